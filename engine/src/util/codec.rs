//! The one byte codec for the engine's on-disk fields: every little-endian read of the data file,
//! the write-ahead log and the backup stream goes through here.
//!
//! * [`Field`] — one field of a fixed byte layout (offset, width, encoding). Each format names
//!   its fields once as `Field` constants (`storage::header::layout`, `storage::page::layout`,
//!   `wal::format::layout`, …); decoders, encoders and the [`crate::catalog`] read them.
//! * [`Reader`] — a bounds-checked cursor over `&[u8]` for variable layouts: every read returns
//!   a [`DecodeError`] naming the offset and what was expected instead of panicking.
//! * `read_*_at` — fixed-offset reads for header-style layouts, also returning [`DecodeError`].
//! * `put_*_at` and the `push_*` helpers — the encoding side, for buffers the engine sizes
//!   itself (an out-of-range put is a bug in the encoder, not bad data: it panics).
//! * LEB128 varints ([`push_varint`], [`varint_len`], [`Reader::varint`]) for the lengths in the
//!   write-ahead log's op stream.
//!
//! Callers map a [`DecodeError`] into their own error variant, so the messages users see are
//! the caller's, not the codec's.
#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::ops::Range;

/// How a [`Field`] is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// One byte.
    U8,
    /// A little-endian `u16`.
    U16,
    /// A little-endian `u32`.
    U32,
    /// A little-endian `u64`.
    U64,
    /// Raw bytes (a magic number, a key prefix).
    Bytes,
    /// Reserved bytes, written as zeros.
    Zeros,
}

impl Encoding {
    /// The name the catalog and `engine/FORMAT.md` use: `u8`, `u16 le`, `u32 le`, `u64 le`,
    /// `bytes`, `zeros`.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::U8 => "u8",
            Encoding::U16 => "u16 le",
            Encoding::U32 => "u32 le",
            Encoding::U64 => "u64 le",
            Encoding::Bytes => "bytes",
            Encoding::Zeros => "zeros",
        }
    }
}

/// One field of a fixed byte layout: where it starts, how many bytes it takes, how it is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Byte offset within its structure.
    pub offset: usize,
    /// Width in bytes.
    pub width: usize,
    /// How the bytes are to be read.
    pub encoding: Encoding,
}

impl Field {
    /// A one-byte field at `offset`.
    pub const fn u8(offset: usize) -> Field {
        Field {
            offset,
            width: 1,
            encoding: Encoding::U8,
        }
    }

    /// A little-endian `u16` at `offset`.
    pub const fn u16(offset: usize) -> Field {
        Field {
            offset,
            width: 2,
            encoding: Encoding::U16,
        }
    }

    /// A little-endian `u32` at `offset`.
    pub const fn u32(offset: usize) -> Field {
        Field {
            offset,
            width: 4,
            encoding: Encoding::U32,
        }
    }

    /// A little-endian `u64` at `offset`.
    pub const fn u64(offset: usize) -> Field {
        Field {
            offset,
            width: 8,
            encoding: Encoding::U64,
        }
    }

    /// `width` raw bytes at `offset`.
    pub const fn bytes(offset: usize, width: usize) -> Field {
        Field {
            offset,
            width,
            encoding: Encoding::Bytes,
        }
    }

    /// `width` reserved (zero) bytes at `offset`.
    pub const fn zeros(offset: usize, width: usize) -> Field {
        Field {
            offset,
            width,
            encoding: Encoding::Zeros,
        }
    }

    /// The offset just past the field.
    pub const fn end(self) -> usize {
        self.offset + self.width
    }

    /// The field's byte range.
    pub const fn range(self) -> Range<usize> {
        self.offset..self.end()
    }
}

/// A read that ran past the end of its buffer: where it started, what it wanted, what was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Offset (within the buffer read) where the read started.
    pub offset: usize,
    /// What was expected there (`u32 le`, `bytes`, …).
    pub expected: &'static str,
    /// Bytes the read needed.
    pub needed: usize,
    /// Bytes the buffer held from `offset` on.
    pub available: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} ({} bytes) at byte {}, found {} bytes",
            self.expected, self.needed, self.offset, self.available
        )
    }
}

impl std::error::Error for DecodeError {}

/// The `n` bytes at `at`, or the error a read of `expected` there reports.
#[inline]
pub fn bytes_at<'a>(
    buf: &'a [u8],
    at: usize,
    n: usize,
    expected: &'static str,
) -> Result<&'a [u8], DecodeError> {
    at.checked_add(n)
        .and_then(|end| buf.get(at..end))
        .ok_or(DecodeError {
            offset: at,
            expected,
            needed: n,
            available: buf.len().saturating_sub(at),
        })
}

#[inline]
fn array_at<const N: usize>(
    buf: &[u8],
    at: usize,
    expected: &'static str,
) -> Result<[u8; N], DecodeError> {
    let b = bytes_at(buf, at, N, expected)?;
    let mut out = [0u8; N];
    out.copy_from_slice(b);
    Ok(out)
}

/// The byte at `at`.
#[inline]
pub fn read_u8_at(buf: &[u8], at: usize) -> Result<u8, DecodeError> {
    let [b] = array_at::<1>(buf, at, Encoding::U8.name())?;
    Ok(b)
}

/// The little-endian `u16` at `at`.
#[inline]
pub fn read_u16_at(buf: &[u8], at: usize) -> Result<u16, DecodeError> {
    array_at(buf, at, Encoding::U16.name()).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `at`.
#[inline]
pub fn read_u32_at(buf: &[u8], at: usize) -> Result<u32, DecodeError> {
    array_at(buf, at, Encoding::U32.name()).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `at`.
#[inline]
pub fn read_u64_at(buf: &[u8], at: usize) -> Result<u64, DecodeError> {
    array_at(buf, at, Encoding::U64.name()).map(u64::from_le_bytes)
}

/// The bytes of `field` in `buf` (a layout whose fields are offsets from the start of `buf`).
#[inline]
pub fn field_bytes(buf: &[u8], field: Field) -> Result<&[u8], DecodeError> {
    bytes_at(buf, field.offset, field.width, field.encoding.name())
}

/// `out[at..at + bytes.len()] = bytes`.
///
/// # Panics
/// If the range lies outside `out`: encoders write only into buffers they sized themselves.
#[inline]
#[track_caller]
pub fn put_bytes_at(out: &mut [u8], at: usize, bytes: &[u8]) {
    let len = out.len();
    match at
        .checked_add(bytes.len())
        .and_then(|end| out.get_mut(at..end))
    {
        Some(dst) => dst.copy_from_slice(bytes),
        None => panic!(
            "encoder bug: {} bytes at {at} do not fit a {len}-byte buffer",
            bytes.len()
        ),
    }
}

/// Writes `v` at `at`. Panics like [`put_bytes_at`].
#[inline]
#[track_caller]
pub fn put_u8_at(out: &mut [u8], at: usize, v: u8) {
    put_bytes_at(out, at, &[v]);
}

/// Writes `v` little-endian at `at`. Panics like [`put_bytes_at`].
#[inline]
#[track_caller]
pub fn put_u16_at(out: &mut [u8], at: usize, v: u16) {
    put_bytes_at(out, at, &v.to_le_bytes());
}

/// Writes `v` little-endian at `at`. Panics like [`put_bytes_at`].
#[inline]
#[track_caller]
pub fn put_u32_at(out: &mut [u8], at: usize, v: u32) {
    put_bytes_at(out, at, &v.to_le_bytes());
}

/// Writes `v` little-endian at `at`. Panics like [`put_bytes_at`].
#[inline]
#[track_caller]
pub fn put_u64_at(out: &mut [u8], at: usize, v: u64) {
    put_bytes_at(out, at, &v.to_le_bytes());
}

/// Bytes of the longest LEB128 varint of a `u64`.
pub const MAX_VARINT_LEN: usize = 10;
/// [`DecodeError::expected`] of a varint cut off by the end of the buffer.
pub const VARINT: &str = "varint";
/// [`DecodeError::expected`] of a varint whose last allowed byte still says "more follows".
pub const LONG_VARINT: &str = "varint of at most 10 bytes";

/// Appends `v` as a LEB128 varint: 7 bits a byte, least significant first, the high bit set on
/// every byte but the last.
pub fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes of `v` as a varint.
pub fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Appends `v` little-endian.
#[inline]
pub fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` little-endian.
#[inline]
pub fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends `v` little-endian.
#[inline]
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A bounds-checked cursor over bytes read from disk.
///
/// Every read advances past what it returns; a read that does not fit fails with a
/// [`DecodeError`] naming its offset (from the start of the buffer) and leaves the cursor where
/// it was.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// A reader at offset `pos` of `buf` (errors report offsets from the start of `buf`).
    pub fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }

    /// Offset of the next read from the start of the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Everything not yet read (the cursor moves to the end).
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.pos.max(self.buf.len());
        rest
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let b = bytes_at(self.buf, self.pos, n, Encoding::Bytes.name())?;
        self.pos += n;
        Ok(b)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    fn array<const N: usize>(&mut self, expected: &'static str) -> Result<[u8; N], DecodeError> {
        let a = array_at::<N>(self.buf, self.pos, expected)?;
        self.pos += N;
        Ok(a)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(Encoding::U8.name())?;
        Ok(b)
    }

    /// The next little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array(Encoding::U16.name()).map(u16::from_le_bytes)
    }

    /// The next little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array(Encoding::U32.name()).map(u32::from_le_bytes)
    }

    /// The next little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array(Encoding::U64.name()).map(u64::from_le_bytes)
    }

    /// The next LEB128 varint (see [`push_varint`]). Fails with `expected` [`VARINT`] if the
    /// buffer ends inside it, [`LONG_VARINT`] if its 10th byte still has the high bit set.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let Some(&b) = self.pos.checked_add(i).and_then(|at| self.buf.get(at)) else {
                return Err(DecodeError {
                    offset: self.pos,
                    expected: VARINT,
                    needed: i + 1,
                    available: self.remaining(),
                });
            };
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        Err(DecodeError {
            offset: self.pos,
            expected: LONG_VARINT,
            needed: MAX_VARINT_LEN + 1,
            available: self.remaining(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::SplitMix64;

    #[test]
    fn reader_reads_little_endian_and_reports_where_it_ran_out() {
        let buf = [1u8, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9];
        let mut r = Reader::new(&buf);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(2));
        assert_eq!(r.u32(), Ok(3));
        assert_eq!(r.u64(), Ok(4));
        assert_eq!((r.position(), r.remaining()), (15, 1));
        let err = r.u32().expect_err("only one byte left");
        assert_eq!(
            err,
            DecodeError {
                offset: 15,
                expected: "u32 le",
                needed: 4,
                available: 1
            }
        );
        assert_eq!(r.position(), 15, "a failed read does not move the cursor");
        assert_eq!(r.rest(), &[9]);
        assert!(r.is_empty());
        assert!(Reader::at(&buf, 100).bytes(1).is_err());
        assert!(
            bytes_at(&buf, usize::MAX, 2, "bytes").is_err(),
            "no overflow"
        );
    }

    /// Every put reads back through the fixed-offset readers and the cursor (seeded).
    #[test]
    fn puts_round_trip_through_both_readers() {
        let mut rng = SplitMix64::new(0xC0DEC);
        for _ in 0..500 {
            let (a, b, c, d) = (
                rng.next_u64() as u8,
                rng.next_u64() as u16,
                rng.next_u64() as u32,
                rng.next_u64(),
            );
            let mut buf = [0u8; 15];
            put_u8_at(&mut buf, 0, a);
            put_u16_at(&mut buf, 1, b);
            put_u32_at(&mut buf, 3, c);
            put_u64_at(&mut buf, 7, d);
            assert_eq!(read_u8_at(&buf, 0), Ok(a));
            assert_eq!(read_u16_at(&buf, 1), Ok(b));
            assert_eq!(read_u32_at(&buf, 3), Ok(c));
            assert_eq!(read_u64_at(&buf, 7), Ok(d));
            let mut v = vec![a];
            push_u16(&mut v, b);
            push_u32(&mut v, c);
            push_u64(&mut v, d);
            assert_eq!(v, buf);
            let mut r = Reader::new(&v);
            assert_eq!(
                (r.u8(), r.u16(), r.u32(), r.u64()),
                (Ok(a), Ok(b), Ok(c), Ok(d))
            );
        }
    }

    /// Varints round-trip at every length, and a cut or overlong one is an error (seeded).
    #[test]
    fn varints_round_trip_and_bad_ones_are_errors() {
        let mut rng = SplitMix64::new(0x7A51);
        for bits in 0..64 {
            let v = (rng.next_u64() >> bits) | (1 << (63 - bits));
            let mut out = Vec::new();
            push_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v));
            let mut r = Reader::new(&out);
            assert_eq!(r.varint(), Ok(v));
            assert!(r.is_empty());
            let cut = &out[..out.len() - 1];
            assert_eq!(
                Reader::new(cut).varint().map_err(|e| e.expected),
                Err(VARINT)
            );
        }
        assert_eq!(Reader::new(&[0]).varint(), Ok(0));
        let long = [0x80u8; 11];
        assert_eq!(
            Reader::new(&long).varint().map_err(|e| e.expected),
            Err(LONG_VARINT)
        );
    }

    #[test]
    fn fields_know_their_range() {
        let f = Field::u32(8);
        assert_eq!(
            (f.range(), f.end(), f.encoding.name()),
            (8..12, 12, "u32 le")
        );
        let buf = [0u8; 10];
        assert_eq!(field_bytes(&buf, f).expect_err("past the end").available, 2);
    }
}
