//! From an encoding tree to the module that decodes it: one function per stream type, each
//! matching the node's kind (the tree was checked against the stream's type when it was read,
//! see [`super::Encoding::read`]).
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, Encoding, EncodingKind, invalid};
use super::{bitpack, decimal, delta, dict, frame, fsst, plain, rle};
use crate::columnar::vector::{PhysicalType, Values};

/// Decodes a stream of `n` values of type `ty` encoded as `enc`.
pub fn decode(
    enc: &Encoding,
    ty: PhysicalType,
    payload: &[u8],
    n: usize,
) -> Result<Values, ChunkError> {
    use EncodingKind as K;
    Ok(match (ty, enc.kind) {
        (PhysicalType::Int, _) => Values::Int(decode_ints(enc, payload, n)?),
        (PhysicalType::Double, K::Plain) => Values::Double(plain::decode_doubles(payload, n)?),
        (PhysicalType::Double, K::Decimal) => Values::Double(decimal::decode(enc, payload, n)?),
        (PhysicalType::Bool, K::Bitmap) => Values::Bool(plain::decode_bools(payload, n)?),
        (PhysicalType::Bytes, K::Plain) => Values::Bytes(plain::decode_bytes(payload, n)?),
        (PhysicalType::Bytes, K::Fallback) => {
            Values::Bytes(plain::decode_fallback(enc, payload, n)?)
        }
        (PhysicalType::Bytes, K::Fsst) => Values::Bytes(fsst::decode(enc, payload, n)?),
        (_, K::Dict) => dict::decode(enc, ty, payload, n)?,
        (_, K::Rle) => rle::decode(enc, ty, payload, n)?,
        (ty, kind) => return Err(invalid(format!("encoding {kind:?} for a {ty:?} stream"))),
    })
}

/// Decodes an integer stream of `n` values encoded as `enc`.
pub fn decode_ints(enc: &Encoding, payload: &[u8], n: usize) -> Result<Vec<i64>, ChunkError> {
    match enc.kind {
        EncodingKind::Plain => plain::decode_ints(payload, n),
        EncodingKind::BitPack => bitpack::decode_ints(payload, n, enc.param),
        EncodingKind::For => frame::decode_ints(payload, n, enc.param),
        EncodingKind::Delta => delta::decode(enc, payload, n),
        EncodingKind::Dict | EncodingKind::Rle => {
            let values = if enc.kind == EncodingKind::Dict {
                dict::decode(enc, PhysicalType::Int, payload, n)?
            } else {
                rle::decode(enc, PhysicalType::Int, payload, n)?
            };
            match values {
                Values::Int(v) => Ok(v),
                _ => Err(invalid("integer stream decoded to another type")),
            }
        }
        kind => Err(invalid(format!("encoding {kind:?} for an integer stream"))),
    }
}
