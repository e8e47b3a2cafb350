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
//! [`rle`], [`delta`], [`decimal`]; [`select`] is the chooser and [`stream`] the dispatch from
//! an encoding tree to those modules.
#![deny(clippy::indexing_slicing)]

pub mod bitpack;
pub mod decimal;
pub mod delta;
pub mod dict;
pub mod frame;
pub mod plain;
pub mod rle;
pub mod select;
pub mod stream;

use std::fmt;

use super::vector::{Bitmap, ColumnVector, PhysicalType};
use super::zone::ZoneMap;
use crate::util::codec::{DecodeError, Reader, push_u32, push_u64};

pub use select::EncodeOptions;

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

/// The kinds of encoding (a node of an [`Encoding`] tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodingKind {
    /// Values as they are: `i64`/`f64` little-endian, `u32` offsets + data for bytes.
    Plain,
    /// Non-negative integers bit-packed at the node's width.
    BitPack,
    /// Frame of reference: the minimum, then `value - min` bit-packed at the node's width.
    For,
    /// Booleans one bit each.
    Bitmap,
    /// A sorted dictionary of the distinct values; the codes (code order = value order) are the
    /// child stream.
    Dict,
    /// Run-length: one value per run (child 0) and the run lengths (child 1).
    Rle,
    /// The first value, then the differences of consecutive values (the child stream).
    Delta,
    /// Pseudodecimal doubles: every value is `k / 10^e` exactly; `e` is the node's parameter
    /// and the integers `k` are the child stream.
    Decimal,
    /// High-cardinality bytes: the offsets as an integer child stream, then the data.
    Fallback,
}

impl EncodingKind {
    /// Every kind, in tag order.
    pub const ALL: [EncodingKind; 9] = [
        EncodingKind::Plain,
        EncodingKind::BitPack,
        EncodingKind::For,
        EncodingKind::Bitmap,
        EncodingKind::Dict,
        EncodingKind::Rle,
        EncodingKind::Delta,
        EncodingKind::Decimal,
        EncodingKind::Fallback,
    ];

    /// The kind's tag in a chunk's encoding tree.
    pub fn tag(self) -> u8 {
        match self {
            EncodingKind::Plain => 1,
            EncodingKind::BitPack => 2,
            EncodingKind::For => 3,
            EncodingKind::Bitmap => 4,
            EncodingKind::Dict => 5,
            EncodingKind::Rle => 6,
            EncodingKind::Delta => 7,
            EncodingKind::Decimal => 8,
            EncodingKind::Fallback => 9,
        }
    }

    /// The kind with tag `tag`.
    pub fn from_tag(tag: u8) -> Option<EncodingKind> {
        EncodingKind::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// Whether a stream of type `ty` may use this kind.
    pub fn applies_to(self, ty: PhysicalType) -> bool {
        use EncodingKind as K;
        match ty {
            PhysicalType::Int => matches!(
                self,
                K::Plain | K::BitPack | K::For | K::Dict | K::Rle | K::Delta
            ),
            PhysicalType::Double => matches!(self, K::Plain | K::Dict | K::Rle | K::Decimal),
            PhysicalType::Bool => matches!(self, K::Bitmap | K::Rle),
            PhysicalType::Bytes => matches!(self, K::Plain | K::Dict | K::Fallback),
        }
    }

    /// The types of the child streams of a node of this kind in a stream of type `ty`.
    pub fn child_types(self, ty: PhysicalType) -> &'static [PhysicalType] {
        const INT: &[PhysicalType] = &[PhysicalType::Int];
        match (self, ty) {
            (EncodingKind::Rle, PhysicalType::Int) => &[PhysicalType::Int, PhysicalType::Int],
            (EncodingKind::Rle, PhysicalType::Double) => &[PhysicalType::Double, PhysicalType::Int],
            (EncodingKind::Rle, _) => &[PhysicalType::Bool, PhysicalType::Int],
            (EncodingKind::Dict | EncodingKind::Delta, _) => INT,
            (EncodingKind::Decimal | EncodingKind::Fallback, _) => INT,
            _ => &[],
        }
    }
}

/// How a stream is encoded: a kind, its parameter (the bit width of `BitPack`/`For`, the
/// exponent of `Decimal`, else 0) and the encodings of its child streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// The kind of this node.
    pub kind: EncodingKind,
    /// Bit width (`BitPack`, `For`) or decimal exponent (`Decimal`); 0 otherwise.
    pub param: u8,
    /// The encodings of the child streams, in the order [`EncodingKind::child_types`] lists.
    pub children: Vec<Encoding>,
}

impl Encoding {
    /// A node without children.
    pub fn leaf(kind: EncodingKind, param: u8) -> Encoding {
        Encoding {
            kind,
            param,
            children: Vec::new(),
        }
    }

    /// Appends the tree in pre-order, two bytes a node: kind tag, parameter.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.kind.tag());
        out.push(self.param);
        for c in &self.children {
            c.write(out);
        }
    }

    /// Reads a tree for a stream of type `ty` written by [`Encoding::write`], checking every
    /// kind against its stream type, every parameter, and the depth limit.
    pub fn read(r: &mut Reader<'_>, ty: PhysicalType) -> Result<Encoding, ChunkError> {
        Encoding::read_at(r, ty, 0)
    }

    fn read_at(r: &mut Reader<'_>, ty: PhysicalType, depth: usize) -> Result<Encoding, ChunkError> {
        let tag = r.u8()?;
        let param = r.u8()?;
        let kind = EncodingKind::from_tag(tag)
            .ok_or_else(|| invalid(format!("unknown encoding tag {tag}")))?;
        if !kind.applies_to(ty) {
            return Err(invalid(format!("encoding {kind:?} for a {ty:?} stream")));
        }
        let param_ok = match kind {
            EncodingKind::BitPack | EncodingKind::For => param <= 64,
            EncodingKind::Decimal => param <= decimal::MAX_EXPONENT,
            _ => param == 0,
        };
        if !param_ok {
            return Err(invalid(format!("parameter {param} of encoding {kind:?}")));
        }
        let types = kind.child_types(ty);
        if !types.is_empty() && depth >= MAX_DEPTH {
            return Err(invalid(format!(
                "encoding tree deeper than {MAX_DEPTH} levels"
            )));
        }
        let children = types
            .iter()
            .map(|&t| Encoding::read_at(r, t, depth + 1))
            .collect::<Result<_, _>>()?;
        Ok(Encoding {
            kind,
            param,
            children,
        })
    }
}

impl fmt::Display for Encoding {
    /// `plain`, `bitpack[4]`, `for+bitpack[17]`, `bitmap`, `dict(bitpack[4])`,
    /// `rle(values=bitpack[7],runs=bitpack[3])`, `delta(for+bitpack[3])`,
    /// `decimal[2](for+bitpack[17])`, `fallback(offsets=delta(for+bitpack[5]))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let child = |i: usize| {
            self.children
                .get(i)
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        match self.kind {
            EncodingKind::Plain => f.write_str("plain"),
            EncodingKind::BitPack => write!(f, "bitpack[{}]", self.param),
            EncodingKind::For => write!(f, "for+bitpack[{}]", self.param),
            EncodingKind::Bitmap => f.write_str("bitmap"),
            EncodingKind::Dict => write!(f, "dict({})", child(0)),
            EncodingKind::Rle => write!(f, "rle(values={},runs={})", child(0), child(1)),
            EncodingKind::Delta => write!(f, "delta({})", child(0)),
            EncodingKind::Decimal => write!(f, "decimal[{}]({})", self.param, child(0)),
            EncodingKind::Fallback => write!(f, "fallback(offsets={})", child(0)),
        }
    }
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
