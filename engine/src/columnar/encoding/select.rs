//! The encoding chooser, after BtrBlocks: estimate each candidate encoding's size by actually
//! encoding a sample of the stream, and keep the smallest.
//!
//! 1. List the candidates for the stream's type: plain (always), bit-packing and frame of
//!    reference for integers, and — while the cascade is less than [`MAX_DEPTH`] deep —
//!    dictionary, run-length, delta, pseudodecimal, and for bytes the high-cardinality
//!    fallback and FSST, whose own integer streams are chosen by the same procedure one level
//!    deeper.
//! 2. Take the sample: streams of at most [`SAMPLE_RUNS`] × [`SAMPLE_RUN_LEN`] values are
//!    used whole (and the winner's encoding is the result); longer ones contribute
//!    [`SAMPLE_RUNS`] runs of [`SAMPLE_RUN_LEN`] consecutive values spread evenly over the
//!    stream (deterministic: the same stream always gets the same choice).
//! 3. Encode the sample with each candidate; order the candidates by size (plain wins ties).
//! 4. Encode the whole stream with the best candidate that applies to it (a sample may be
//!    decimal or non-negative where the whole stream is not).
#![deny(clippy::indexing_slicing)]

use super::{
    Encoding, EncodingKind, MAX_DEPTH, bitpack, decimal, delta, dict, frame, fsst, plain, rle,
};
use crate::columnar::vector::{ByteColumn, PhysicalType, Values};

/// How many runs the sample takes from a long stream.
pub const SAMPLE_RUNS: usize = 10;
/// How many consecutive values each sample run holds.
pub const SAMPLE_RUN_LEN: usize = 64;

/// How [`super::encode`] chooses an encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Estimate sizes on a sample (`true`, the default) or by encoding the whole stream with
    /// every candidate (`false`: exact, slower).
    pub sample: bool,
    /// Use this kind for the chunk's values if it applies to them (the child streams are still
    /// chosen); if it does not (decimal for NaNs, bit-packing for negatives, a kind of another
    /// type), the chooser decides as if nothing were forced. For tests and experiments.
    pub force: Option<EncodingKind>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            sample: true,
            force: None,
        }
    }
}

/// The candidate kinds for a stream of type `ty` at cascade depth `depth`.
fn candidates(ty: PhysicalType, depth: usize) -> &'static [EncodingKind] {
    use EncodingKind as K;
    let deep = depth >= MAX_DEPTH;
    match (ty, deep) {
        (PhysicalType::Int, true) => &[K::Plain, K::BitPack, K::For],
        (PhysicalType::Int, false) => &[K::Plain, K::BitPack, K::For, K::Delta, K::Dict, K::Rle],
        (PhysicalType::Double, true) => &[K::Plain],
        (PhysicalType::Double, false) => &[K::Plain, K::Decimal, K::Dict, K::Rle],
        (PhysicalType::Bool, true) => &[K::Bitmap],
        (PhysicalType::Bool, false) => &[K::Bitmap, K::Rle],
        (PhysicalType::Bytes, true) => &[K::Plain],
        (PhysicalType::Bytes, false) => &[K::Plain, K::Fallback, K::Dict, K::Fsst],
    }
}

/// Encodes `values` as `kind` at `depth`; `None` if the kind does not apply to them.
pub fn encode_as(
    values: &Values,
    kind: EncodingKind,
    depth: usize,
    sample: bool,
) -> Option<(Encoding, Vec<u8>)> {
    use EncodingKind as K;
    if !kind.applies_to(values.physical_type()) {
        return None;
    }
    let has_children = !kind.child_types(values.physical_type()).is_empty();
    if has_children && depth >= MAX_DEPTH {
        return None;
    }
    match (values, kind) {
        (Values::Int(v), K::Plain) => Some((Encoding::leaf(K::Plain, 0), plain::encode_ints(v))),
        (Values::Int(v), K::BitPack) => {
            bitpack::encode_ints(v).map(|(w, b)| (Encoding::leaf(K::BitPack, w), b))
        }
        (Values::Int(v), K::For) => {
            let (w, b) = frame::encode_ints(v);
            Some((Encoding::leaf(K::For, w), b))
        }
        (Values::Int(v), K::Delta) => Some(delta::encode(v, depth, sample)),
        (Values::Double(v), K::Plain) => {
            Some((Encoding::leaf(K::Plain, 0), plain::encode_doubles(v)))
        }
        (Values::Double(v), K::Decimal) => decimal::encode(v, depth, sample),
        (Values::Bool(v), K::Bitmap) => {
            Some((Encoding::leaf(K::Bitmap, 0), plain::encode_bools(v)))
        }
        (Values::Bytes(c), K::Plain) => Some((Encoding::leaf(K::Plain, 0), plain::encode_bytes(c))),
        (Values::Bytes(c), K::Fallback) => Some(plain::encode_fallback(c, depth, sample)),
        (Values::Bytes(c), K::Fsst) => Some(fsst::encode(c, depth, sample)),
        (_, K::Dict) => dict::encode(values, depth, sample),
        (_, K::Rle) => rle::encode(values, depth, sample),
        _ => None,
    }
}

/// The runs of a long stream the chooser samples, as index ranges; `None` for a stream short
/// enough to be its own sample.
fn sample_ranges(n: usize) -> Option<Vec<(usize, usize)>> {
    if n <= SAMPLE_RUNS * SAMPLE_RUN_LEN {
        return None;
    }
    let span = n - SAMPLE_RUN_LEN;
    Some(
        (0..SAMPLE_RUNS)
            .map(|i| {
                let start = span * i / (SAMPLE_RUNS - 1);
                (start, start + SAMPLE_RUN_LEN)
            })
            .collect(),
    )
}

fn take_sample(values: &Values, ranges: &[(usize, usize)]) -> Values {
    fn pick<T: Copy>(v: &[T], ranges: &[(usize, usize)]) -> Vec<T> {
        ranges
            .iter()
            .flat_map(|&(a, b)| v.get(a..b).unwrap_or_default().iter().copied())
            .collect()
    }
    match values {
        Values::Int(v) => Values::Int(pick(v, ranges)),
        Values::Double(v) => Values::Double(pick(v, ranges)),
        Values::Bool(v) => Values::Bool(pick(v, ranges)),
        Values::Bytes(c) => {
            let mut out = ByteColumn::new();
            for &(a, b) in ranges {
                for i in a..b {
                    out.push(c.get(i));
                }
            }
            Values::Bytes(out)
        }
    }
}

/// Encodes a stream of any type at `depth`, choosing its encoding.
pub fn encode_stream(values: &Values, depth: usize, sample: bool) -> (Encoding, Vec<u8>) {
    let kinds = candidates(values.physical_type(), depth);
    let ranges = if sample {
        sample_ranges(values.len())
    } else {
        None
    };
    match ranges {
        None => {
            // Exact: every candidate encodes the whole stream; the smallest is the result.
            let mut best: Option<(Encoding, Vec<u8>)> = None;
            for &k in kinds {
                if let Some((e, b)) = encode_as(values, k, depth, sample)
                    && best.as_ref().is_none_or(|(_, bb)| b.len() < bb.len())
                {
                    best = Some((e, b));
                }
            }
            best.unwrap_or_else(|| plain_of(values))
        }
        Some(ranges) => {
            let s = take_sample(values, &ranges);
            let mut sized: Vec<(usize, usize, EncodingKind)> = kinds
                .iter()
                .enumerate()
                .filter_map(|(i, &k)| encode_as(&s, k, depth, sample).map(|(_, b)| (b.len(), i, k)))
                .collect();
            sized.sort_unstable_by_key(|&(len, i, _)| (len, i));
            sized
                .into_iter()
                .find_map(|(_, _, k)| encode_as(values, k, depth, sample))
                .unwrap_or_else(|| plain_of(values))
        }
    }
}

/// The baseline encoding of `values` (plain; a bitmap for booleans).
fn plain_of(values: &Values) -> (Encoding, Vec<u8>) {
    match values {
        Values::Int(v) => (
            Encoding::leaf(EncodingKind::Plain, 0),
            plain::encode_ints(v),
        ),
        Values::Double(v) => (
            Encoding::leaf(EncodingKind::Plain, 0),
            plain::encode_doubles(v),
        ),
        Values::Bool(v) => (
            Encoding::leaf(EncodingKind::Bitmap, 0),
            plain::encode_bools(v),
        ),
        Values::Bytes(c) => (
            Encoding::leaf(EncodingKind::Plain, 0),
            plain::encode_bytes(c),
        ),
    }
}

/// Encodes an integer stream at `depth`, choosing its encoding.
pub fn encode_ints(values: &[i64], depth: usize, sample: bool) -> (Encoding, Vec<u8>) {
    encode_stream(&Values::Int(values.to_vec()), depth, sample)
}

/// Encodes a chunk's values as `opts` says (depth 0).
pub fn encode_root(values: &Values, opts: &EncodeOptions) -> (Encoding, Vec<u8>) {
    opts.force
        .and_then(|k| encode_as(values, k, 0, opts.sample))
        .unwrap_or_else(|| encode_stream(values, 0, opts.sample))
}
