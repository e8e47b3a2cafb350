//! Encoded column chunks: the byte format of one column of a segment, and the encodings that
//! compress it (after BtrBlocks: lightweight encodings, cascaded, chosen by sampling).
//!
//! Encoding a [`ColumnVector`] ([`encode`]):
//! 1. compute its [`ZoneMap`];
//! 2. choose an encoding for the value stream ([`select`]): each candidate encodes a sample and
//!    the smallest wins (plain is always a candidate); integer streams an encoding produces
//!    (dictionary codes, run lengths, deltas, decimal mantissas, offsets) are encoded by the
//!    same chooser, at most [`MAX_DEPTH`] levels deep;
//! 3. write the chunk: header, null bitmap, the [`Encoding`] tree, the payload, a crc32c.
//!
//! Decoding ([`decode`]) checks the checksum first, then every tag, length and count against
//! the bytes left and the declared row count, and returns a [`ChunkError`] instead of panicking.
//! The layout is written down in `engine/FORMAT.md`, "Columnar chunks".
//!
//! One file per encoding: [`plain`], [`bitpack`], [`frame`] (frame of reference), [`dict`],
//! [`rle`], [`delta`], [`decimal`], [`fsst`] (symbol-table compression of text); [`tree`] holds the [`Encoding`] tree, [`select`] is the
//! chooser and [`stream`] the dispatch from an encoding tree to those modules.
#![deny(clippy::indexing_slicing)]

pub mod bitpack;
pub mod decimal;
pub mod delta;
pub mod dict;
pub mod frame;
pub mod fsst;
pub mod plain;
pub mod rle;
pub mod select;
pub mod stream;
pub mod tree;

use super::vector::{Bitmap, ColumnVector, PhysicalType};
use super::zone::ZoneMap;
use crate::util::codec::{DecodeError, Reader, push_u32, push_u64};

pub use select::EncodeOptions;
pub use tree::{Encoding, EncodingKind};

/// The chunk format's magic/version byte (version 1).
pub const CHUNK_MAGIC: u8 = 0xC1;
/// How many levels deep encodings cascade: the root is level 0; a node at this level has no
/// children.
pub const MAX_DEPTH: usize = 3;
/// The most rows one chunk may hold (2^24); decoding refuses larger row counts.
pub const MAX_ROWS: usize = 1 << 24;

/// Why a chunk could not be decoded.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    /// The stored crc32c does not match the chunk's bytes.
    #[error("columnar chunk checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum {
        /// The checksum in the chunk.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
    /// A field runs past the end of the chunk.
    #[error("columnar chunk truncated: {0}")]
    Truncated(#[from] DecodeError),
    /// The chunk's magic/version byte is not one this build reads.
    #[error("columnar chunk has version byte {found:#04x}; this build reads {CHUNK_MAGIC:#04x}")]
    Version {
        /// The byte found.
        found: u8,
    },
    /// The checksum is right but the structure is not (a bad tag, width, count or offset).
    #[error("invalid columnar chunk: {what}")]
    Invalid {
        /// What is wrong, e.g. "dictionary code 9 >= dictionary size 4".
        what: String,
    },
}

/// A [`ChunkError::Invalid`] saying `what`.
pub(crate) fn invalid(what: impl Into<String>) -> ChunkError {
    ChunkError::Invalid { what: what.into() }
}

/// One encoded column chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedChunk {
    /// The chunk's bytes, checksum included.
    pub bytes: Vec<u8>,
    /// The encoding chosen for the values (also recorded in `bytes`).
    pub encoding: Encoding,
    /// Row count, NULL count and bounds of the chunk.
    pub zone: ZoneMap,
}

/// Appends `child` as a `u32` length and its bytes.
pub(crate) fn push_child(out: &mut Vec<u8>, child: &[u8]) {
    push_u32(out, child.len() as u32);
    out.extend_from_slice(child);
}

/// Reads a child payload written by [`push_child`].
pub(crate) fn read_child<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], ChunkError> {
    let n = r.u32()? as usize;
    Ok(r.bytes(n)?)
}

/// Fails unless the reader consumed its whole payload.
pub(crate) fn expect_end(r: &Reader<'_>, what: &str) -> Result<(), ChunkError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "{} trailing bytes after the {what} payload",
            r.remaining()
        )))
    }
}

/// Encodes `col` into a chunk, choosing the encoding as `opts` says.
///
/// # Panics
/// If the column has more than [`MAX_ROWS`] rows (segments cut chunks far smaller).
pub fn encode(col: &ColumnVector, opts: &EncodeOptions) -> EncodedChunk {
    let rows = col.len();
    assert!(
        rows <= MAX_ROWS,
        "a columnar chunk holds at most {MAX_ROWS} rows"
    );
    let zone = ZoneMap::of(col);
    let (encoding, payload) = select::encode_root(&col.values, opts);
    let mut bytes = Vec::with_capacity(payload.len() + 32);
    bytes.push(CHUNK_MAGIC);
    bytes.push(col.values.physical_type().tag());
    push_u32(&mut bytes, rows as u32);
    match &col.validity {
        Some(v) if v.count_ones() != rows => {
            bytes.push(1);
            for &w in v.words() {
                push_u64(&mut bytes, w);
            }
        }
        _ => bytes.push(0),
    }
    encoding.write(&mut bytes);
    bytes.extend_from_slice(&payload);
    let crc = crc32c::crc32c(&bytes);
    push_u32(&mut bytes, crc);
    EncodedChunk {
        bytes,
        encoding,
        zone,
    }
}

/// A chunk's parts after its header is checked: the validity bitmap, the encoding tree and the
/// payload.
pub(crate) struct Parsed<'a> {
    pub validity: Option<Bitmap>,
    pub encoding: Encoding,
    pub payload: &'a [u8],
}

/// Checks the checksum and the header of `bytes` (a chunk of `rows` rows of type `ty`).
pub(crate) fn parse(bytes: &[u8], ty: PhysicalType, rows: usize) -> Result<Parsed<'_>, ChunkError> {
    let body_len = bytes.len().checked_sub(4).ok_or(DecodeError {
        offset: 0,
        expected: "columnar chunk checksum",
        needed: 4,
        available: bytes.len(),
    })?;
    let (body, crc) = bytes.split_at(body_len);
    let stored = Reader::new(crc).u32()?;
    let computed = crc32c::crc32c(body);
    if stored != computed {
        return Err(ChunkError::Checksum { stored, computed });
    }
    let mut r = Reader::new(body);
    let magic = r.u8()?;
    if magic != CHUNK_MAGIC {
        return Err(ChunkError::Version { found: magic });
    }
    let tag = r.u8()?;
    if PhysicalType::from_tag(tag) != Some(ty) {
        return Err(invalid(format!("physical type tag {tag}, expected {ty:?}")));
    }
    let declared = r.u32()? as usize;
    if declared != rows || declared > MAX_ROWS {
        return Err(invalid(format!(
            "row count {declared}, expected {rows} (at most {MAX_ROWS})"
        )));
    }
    let validity = match r.u8()? {
        0 => None,
        1 => {
            let words = r.bytes(rows.div_ceil(64) * 8)?;
            let words: Vec<u64> = words
                .chunks_exact(8)
                .map(|c| Reader::new(c).u64())
                .collect::<Result<_, _>>()?;
            let bm = Bitmap::from_words(words.clone(), rows);
            if bm.words() != words.as_slice() {
                return Err(invalid("null bitmap has bits set past the row count"));
            }
            Some(bm)
        }
        f => return Err(invalid(format!("null bitmap flag {f}"))),
    };
    let encoding = Encoding::read(&mut r, ty)?;
    Ok(Parsed {
        validity,
        encoding,
        payload: r.rest(),
    })
}

/// Decodes a chunk written by [`encode`] that holds `rows` rows of type `ty`.
pub fn decode(bytes: &[u8], ty: PhysicalType, rows: usize) -> Result<ColumnVector, ChunkError> {
    let p = parse(bytes, ty, rows)?;
    let values = stream::decode(&p.encoding, ty, p.payload, rows)?;
    Ok(ColumnVector {
        values,
        validity: p.validity,
    })
}

/// The encoding tree recorded in a chunk (checksum and header checked), for `EXPLAIN`.
pub fn describe(bytes: &[u8], ty: PhysicalType, rows: usize) -> Result<Encoding, ChunkError> {
    parse(bytes, ty, rows).map(|p| p.encoding)
}
