//! The encoding tree of a chunk: which [`EncodingKind`] encodes a stream, with what parameter,
//! and how its child streams are encoded — written into every chunk (two bytes a node,
//! pre-order), read back with every kind, parameter and the depth checked, and printed for
//! `EXPLAIN` (`decimal[2](for+bitpack[17])`).
#![deny(clippy::indexing_slicing)]

use std::fmt;

use super::{ChunkError, MAX_DEPTH, decimal, invalid};
use crate::columnar::vector::PhysicalType;
use crate::util::codec::Reader;

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
    /// High-cardinality text: a symbol table of up to 255 symbols of 1–8 bytes, the offsets of
    /// the compressed values as an integer child stream, then the compressed values.
    Fsst,
}

impl EncodingKind {
    /// Every kind, in tag order.
    pub const ALL: [EncodingKind; 10] = [
        EncodingKind::Plain,
        EncodingKind::BitPack,
        EncodingKind::For,
        EncodingKind::Bitmap,
        EncodingKind::Dict,
        EncodingKind::Rle,
        EncodingKind::Delta,
        EncodingKind::Decimal,
        EncodingKind::Fallback,
        EncodingKind::Fsst,
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
            EncodingKind::Fsst => 10,
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
            PhysicalType::Bytes => matches!(self, K::Plain | K::Dict | K::Fallback | K::Fsst),
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
            (EncodingKind::Decimal | EncodingKind::Fallback | EncodingKind::Fsst, _) => INT,
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
    /// `decimal[2](for+bitpack[17])`, `fallback(offsets=delta(for+bitpack[5]))`,
    /// `fsst(offsets=delta(bitpack[6]))`.
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
            EncodingKind::Fsst => write!(f, "fsst(offsets={})", child(0)),
        }
    }
}
