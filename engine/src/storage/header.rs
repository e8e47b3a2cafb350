//! Page 0 of the data file: the static file header and the two meta slots.
//!
//! Layout (little-endian; the rest of page 0 is zero):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `b"LIGHTNDB"` |
//! | 8..12 | format version (u32, = [`FORMAT_VERSION`]) |
//! | 12..16 | page size (u32) |
//! | 16..24 | created-at, unix seconds (u64) |
//! | 24..60 | reserved, zero |
//! | 60..64 | CRC32C of bytes 0..60 |
//! | 64..192 | meta slot A |
//! | 192..320 | meta slot B |
//!
//! A meta slot (128 bytes): seq, checkpoint LSN, root, freelist head, page count, entry count,
//! next txn id (u64 each, 56 bytes), reserved zeros up to byte 124, CRC32C of bytes 0..124 at
//! 124..128. The valid slot (CRC ok, seq ≠ 0) with the highest seq is the current one; a
//! checkpoint writes only the *other* slot's 128 bytes, so a torn write cannot damage the current.

#![deny(clippy::indexing_slicing)]

use std::path::Path;

use crate::error::{Error, Result};
use crate::storage::page::{MAX_PAGE_SIZE, MIN_PAGE_SIZE};
use crate::types::{Lsn, PageId, TxnId};
use crate::util::codec::{put_bytes_at, put_u32_at, put_u64_at, read_u32_at, read_u64_at};

/// The fields of page 0, each named once: the decoder, the encoder, the catalog and the drift
/// test against `engine/FORMAT.md` all read these.
pub mod layout {
    use crate::util::codec::Field;

    /// Magic number `b"LIGHTNDB"`.
    pub const MAGIC: Field = Field::bytes(0, 8);
    /// Data file format version.
    pub const FORMAT_VERSION: Field = Field::u32(8);
    /// Page size in bytes.
    pub const PAGE_SIZE: Field = Field::u32(12);
    /// Creation time, unix seconds.
    pub const CREATED_AT: Field = Field::u64(16);
    /// Reserved, zero.
    pub const RESERVED: Field = Field::zeros(24, 36);
    /// CRC32C of the static header's bytes before it.
    pub const CRC: Field = Field::u32(60);

    /// The fields of a meta slot, as offsets within the slot.
    pub mod meta {
        use crate::util::codec::Field;

        /// Checkpoint sequence number (0 = never written).
        pub const SEQ: Field = Field::u64(0);
        /// Checkpoint LSN.
        pub const CHECKPOINT_LSN: Field = Field::u64(8);
        /// Root page of the B+tree.
        pub const ROOT: Field = Field::u64(16);
        /// First page of the persisted freelist chain.
        pub const FREELIST_HEAD: Field = Field::u64(24);
        /// Pages in the data file.
        pub const PAGE_COUNT: Field = Field::u64(32);
        /// Keys in the tree.
        pub const ENTRY_COUNT: Field = Field::u64(40);
        /// Next transaction id.
        pub const NEXT_TXN_ID: Field = Field::u64(48);
        /// Reserved, zero.
        pub const RESERVED: Field = Field::zeros(56, 68);
        /// CRC32C of the slot's bytes before it.
        pub const CRC: Field = Field::u32(124);
    }
}

/// The magic number at the start of every data file.
pub const MAGIC: &[u8; 8] = b"LIGHTNDB";
/// The data-file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Length of the static part of the header.
pub const STATIC_LEN: usize = layout::CRC.end();
/// Length of one meta slot.
pub const SLOT_LEN: usize = layout::meta::CRC.end();
/// Bytes of page 0 that carry information (static header + both slots).
pub const HEADER_LEN: usize = STATIC_LEN + 2 * SLOT_LEN;

const _: () = assert!(STATIC_LEN == 64 && SLOT_LEN == 128 && MAGIC.len() == layout::MAGIC.width);

/// One of the two meta slots of page 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Bytes 64..192.
    A,
    /// Bytes 192..320.
    B,
}

impl Slot {
    /// The byte offset of the slot within page 0.
    pub fn offset(self) -> usize {
        match self {
            Slot::A => STATIC_LEN,
            Slot::B => STATIC_LEN + SLOT_LEN,
        }
    }

    /// The other slot.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// The durable state a checkpoint records: where the tree and the freelist are, and counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Meta {
    /// Increases by one with every checkpoint; the higher valid slot wins.
    pub seq: u64,
    /// Every WAL record below this LSN is reflected in this checkpoint.
    pub checkpoint_lsn: Lsn,
    /// Root page of the B+tree; `PageId(0)` = empty tree.
    pub root: PageId,
    /// First page of the persisted freelist chain; `PageId(0)` = none.
    pub freelist_head: PageId,
    /// Number of pages in the data file, page 0 included.
    pub page_count: u64,
    /// Number of key-value entries in the tree.
    pub entry_count: u64,
    /// The next transaction id to hand out.
    pub next_txn_id: TxnId,
}

impl Meta {
    /// The slot's `u64` fields with their values, in layout order.
    fn fields(&self) -> [(crate::util::codec::Field, u64); 7] {
        use layout::meta;
        [
            (meta::SEQ, self.seq),
            (meta::CHECKPOINT_LSN, self.checkpoint_lsn.0),
            (meta::ROOT, self.root.0),
            (meta::FREELIST_HEAD, self.freelist_head.0),
            (meta::PAGE_COUNT, self.page_count),
            (meta::ENTRY_COUNT, self.entry_count),
            (meta::NEXT_TXN_ID, self.next_txn_id.0),
        ]
    }

    /// Encodes the slot: fields, zero padding, CRC32C of the first 124 bytes at the end.
    pub fn encode(&self) -> [u8; SLOT_LEN] {
        let mut b = [0u8; SLOT_LEN];
        for (field, v) in self.fields() {
            put_u64_at(&mut b, field.offset, v);
        }
        let crc = crc32c::crc32c(&b[..layout::meta::CRC.offset]);
        put_u32_at(&mut b, layout::meta::CRC.offset, crc);
        b
    }

    /// Decodes a slot; `None` if its CRC does not match or its seq is 0 (never written).
    pub fn decode(b: &[u8]) -> Option<Meta> {
        use layout::meta;
        let b = b.get(..SLOT_LEN)?;
        let stored = read_u32_at(b, meta::CRC.offset).ok()?;
        if crc32c::crc32c(b.get(..meta::CRC.offset)?) != stored {
            return None;
        }
        let word = |f: crate::util::codec::Field| read_u64_at(b, f.offset).ok();
        let seq = word(meta::SEQ)?;
        if seq == 0 {
            return None;
        }
        Some(Meta {
            seq,
            checkpoint_lsn: Lsn(word(meta::CHECKPOINT_LSN)?),
            root: PageId(word(meta::ROOT)?),
            freelist_head: PageId(word(meta::FREELIST_HEAD)?),
            page_count: word(meta::PAGE_COUNT)?,
            entry_count: word(meta::ENTRY_COUNT)?,
            next_txn_id: TxnId(word(meta::NEXT_TXN_ID)?),
        })
    }
}

/// The decoded page 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Page size of the file.
    pub page_size: usize,
    /// Creation time, unix seconds.
    pub created_at: u64,
    /// The current (valid, highest-seq) meta.
    pub meta: Meta,
    /// The slot `meta` came from; the next checkpoint writes the other one.
    pub active: Slot,
}

/// Whether `page_size` is one the engine accepts (a power of two in the supported range).
pub fn valid_page_size(page_size: usize) -> bool {
    page_size.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size)
}

/// Encodes a complete page 0 for a new file: static header, `meta` in slot A, slot B empty.
pub fn encode_new(page_size: usize, created_at: u64, meta: &Meta) -> Vec<u8> {
    let mut page = vec![0u8; page_size];
    put_bytes_at(&mut page, layout::MAGIC.offset, MAGIC);
    put_u32_at(&mut page, layout::FORMAT_VERSION.offset, FORMAT_VERSION);
    // `valid_page_size` bounds page sizes to 64 KiB, so the cast is lossless.
    put_u32_at(&mut page, layout::PAGE_SIZE.offset, page_size as u32);
    put_u64_at(&mut page, layout::CREATED_AT.offset, created_at);
    let crc = crc32c::crc32c(page.get(..layout::CRC.offset).unwrap_or_default());
    put_u32_at(&mut page, layout::CRC.offset, crc);
    put_bytes_at(&mut page, Slot::A.offset(), &meta.encode());
    page
}

/// Checks the magic of whatever prefix of the file exists. `bytes` is the start of the file
/// (up to [`HEADER_LEN`] bytes) and `file_len` its total length.
///
/// Order of checks: magic (`NotADatabase`), length (`Truncated`), version
/// (`UnsupportedVersion`), static CRC and page size (`Corruption` of page 0), meta slots.
pub fn decode(path: &Path, bytes: &[u8], file_len: u64) -> Result<Header> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes.is_empty() || bytes.get(..magic_len) != MAGIC.get(..magic_len) {
        return Err(Error::NotADatabase { path: path.into() });
    }
    let truncated = || Error::Truncated {
        path: path.into(),
        expected: HEADER_LEN as u64,
        found: file_len,
    };
    let Some(bytes) = bytes.get(..HEADER_LEN) else {
        return Err(truncated());
    };
    // The header is `HEADER_LEN` bytes long now, so none of these reads can fail.
    let u32_at =
        |f: crate::util::codec::Field| read_u32_at(bytes, f.offset).map_err(|_| truncated());
    let version = u32_at(layout::FORMAT_VERSION)?;
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            path: path.into(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let stored = u32_at(layout::CRC)?;
    let actual = crc32c::crc32c(bytes.get(..layout::CRC.offset).ok_or_else(truncated)?);
    if stored != actual {
        return Err(Error::corruption(
            PageId(0),
            format!(
                "file header checksum mismatch: stored {stored:#010x}, computed {actual:#010x}"
            ),
        ));
    }
    let page_size = u32_at(layout::PAGE_SIZE)? as usize;
    if !valid_page_size(page_size) {
        return Err(Error::corruption(
            PageId(0),
            format!("file header names an impossible page size {page_size}"),
        ));
    }
    if file_len < page_size as u64 {
        return Err(Error::Truncated {
            path: path.into(),
            expected: page_size as u64,
            found: file_len,
        });
    }
    let created_at = read_u64_at(bytes, layout::CREATED_AT.offset).map_err(|_| truncated())?;
    let slot_bytes = |s: Slot| {
        bytes
            .get(s.offset()..s.offset() + SLOT_LEN)
            .unwrap_or_default()
    };
    let (meta, active) = match (
        Meta::decode(slot_bytes(Slot::A)),
        Meta::decode(slot_bytes(Slot::B)),
    ) {
        (Some(a), Some(b)) if b.seq > a.seq => (b, Slot::B),
        (Some(a), _) => (a, Slot::A),
        (None, Some(b)) => (b, Slot::B),
        (None, None) => {
            return Err(Error::corruption(
                PageId(0),
                "both meta slots fail their checksum",
            ));
        }
    };
    Ok(Header {
        page_size,
        created_at,
        meta,
        active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_meta(seq: u64) -> Meta {
        Meta {
            seq,
            checkpoint_lsn: Lsn(1234),
            root: PageId(17),
            freelist_head: PageId(9),
            page_count: 40,
            entry_count: 1_000_000,
            next_txn_id: TxnId(77),
        }
    }

    #[test]
    fn meta_round_trips_and_detects_corruption() {
        let m = sample_meta(5);
        let enc = m.encode();
        assert_eq!(Meta::decode(&enc), Some(m));
        for bit in 0..SLOT_LEN * 8 {
            let mut bad = enc;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(Meta::decode(&bad), None, "bit {bit} flip not detected");
        }
        assert_eq!(
            Meta::decode(&[0u8; SLOT_LEN]),
            None,
            "empty slot is invalid"
        );
    }

    #[test]
    fn header_round_trip_and_slot_choice() {
        let path = Path::new("x.ldb");
        let mut page = encode_new(4096, 99, &sample_meta(1));
        let h = decode(path, &page, 4096).expect("valid header");
        assert_eq!((h.page_size, h.created_at, h.active), (4096, 99, Slot::A));
        assert_eq!(h.meta, sample_meta(1));
        // A newer slot B wins; a torn (corrupt) slot B falls back to A.
        let off = Slot::B.offset();
        page[off..off + SLOT_LEN].copy_from_slice(&sample_meta(2).encode());
        let h = decode(path, &page, 4096).expect("valid header");
        assert_eq!((h.meta.seq, h.active), (2, Slot::B));
        page[off + 3] ^= 0x40;
        let h = decode(path, &page, 4096).expect("valid header");
        assert_eq!((h.meta.seq, h.active), (1, Slot::A));
        // Both corrupt: a typed corruption of page 0.
        page[Slot::A.offset() + 10] ^= 1;
        let err = decode(path, &page, 4096).expect_err("both slots bad");
        assert!(
            matches!(
                err,
                Error::Corruption {
                    page: PageId(0),
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn typed_errors_for_foreign_new_and_short_files() {
        let path = Path::new("x.ldb");
        let page = encode_new(4096, 1, &sample_meta(1));
        let err = decode(path, b"hello world, I am a text file", 29).expect_err("foreign");
        assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
        let err = decode(path, &page[..100], 100).expect_err("short");
        assert!(matches!(err, Error::Truncated { found: 100, .. }), "{err}");
        let err = decode(path, &page, 2000).expect_err("shorter than a page");
        assert!(matches!(err, Error::Truncated { found: 2000, .. }), "{err}");
        let mut newer = page.clone();
        newer[8..12].copy_from_slice(&2u32.to_le_bytes());
        let err = decode(path, &newer, 4096).expect_err("newer version");
        assert!(
            matches!(err, Error::UnsupportedVersion { found: 2, .. }),
            "{err}"
        );
        let mut bad = page.clone();
        bad[20] ^= 1;
        let err = decode(path, &bad, 4096).expect_err("bad static crc");
        assert!(matches!(err, Error::Corruption { .. }), "{err}");
    }
}
