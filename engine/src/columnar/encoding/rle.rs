//! Run-length encoding: one value per run of equal consecutive values (doubles compare by
//! bits) and the run lengths, each a child stream encoded by the chooser.
//!
//! Payload: `u32` run count `r` (≤ rows; 0 only for 0 rows); the run values as a child (`u32`
//! length + a stream of `r` values of the column's type); the run lengths as a child (`u32`
//! length + an integer stream of `r` values). Decoding checks that every length is ≥ 1 and that
//! they sum to the row count.
#![deny(clippy::indexing_slicing)]

use super::{ChunkError, Encoding, EncodingKind, expect_end, invalid, push_child, read_child};
use super::{select, stream};
use crate::columnar::vector::{PhysicalType, Values};
use crate::util::codec::{Reader, push_u32};

/// The runs of `values`: the index of each run's first value and each run's length.
pub fn runs(values: &Values) -> (Vec<usize>, Vec<i64>) {
    fn go<T>(v: &[T], eq: impl Fn(&T, &T) -> bool) -> (Vec<usize>, Vec<i64>) {
        let (mut starts, mut lens) = (Vec::new(), Vec::new());
        let mut i = 0;
        while let Some(first) = v.get(i) {
            let len = v
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|x| eq(x, first))
                .count();
            starts.push(i);
            lens.push(len as i64);
            i += len;
        }
        (starts, lens)
    }
    match values {
        Values::Int(v) => go(v, |a, b| a == b),
        Values::Double(v) => go(v, |a, b| a.to_bits() == b.to_bits()),
        Values::Bool(v) => go(v, |a, b| a == b),
        Values::Bytes(c) => {
            let idx: Vec<usize> = (0..c.len()).collect();
            go(&idx, |&a, &b| c.get(a) == c.get(b))
        }
    }
}

/// Run-length encodes `values` (not bytes), the children encoded at `depth + 1`.
pub fn encode(values: &Values, depth: usize, sample: bool) -> Option<(Encoding, Vec<u8>)> {
    let (starts, lens) = runs(values);
    fn pick<T: Copy>(v: &[T], starts: &[usize]) -> Vec<T> {
        starts.iter().filter_map(|&s| v.get(s).copied()).collect()
    }
    let run_values = match values {
        Values::Int(v) => Values::Int(pick(v, &starts)),
        Values::Double(v) => Values::Double(pick(v, &starts)),
        Values::Bool(v) => Values::Bool(pick(v, &starts)),
        Values::Bytes(_) => return None,
    };
    let (venc, vbytes) = select::encode_stream(&run_values, depth + 1, sample);
    let (renc, rbytes) = select::encode_ints(&lens, depth + 1, sample);
    let mut out = Vec::with_capacity(12 + vbytes.len() + rbytes.len());
    push_u32(&mut out, lens.len() as u32);
    push_child(&mut out, &vbytes);
    push_child(&mut out, &rbytes);
    Some((
        Encoding {
            kind: EncodingKind::Rle,
            param: 0,
            children: vec![venc, renc],
        },
        out,
    ))
}

/// A run-length payload taken apart: the value of each run and its length.
pub struct Runs {
    /// One value per run.
    pub values: Values,
    /// The length of each run (each ≥ 1, summing to the row count).
    pub lengths: Vec<usize>,
}

/// Decodes the runs of a run-length payload of `n` rows of type `ty`.
pub fn decode_runs(
    enc: &Encoding,
    ty: PhysicalType,
    payload: &[u8],
    n: usize,
) -> Result<Runs, ChunkError> {
    let (Some(venc), Some(renc)) = (enc.children.first(), enc.children.get(1)) else {
        return Err(invalid("run-length encoding without two child encodings"));
    };
    let mut r = Reader::new(payload);
    let count = r.u32()? as usize;
    if count > n || (count == 0) != (n == 0) {
        return Err(invalid(format!("{count} runs for {n} rows")));
    }
    let vbytes = read_child(&mut r)?;
    let rbytes = read_child(&mut r)?;
    expect_end(&r, "run-length")?;
    let values = stream::decode(venc, ty, vbytes, count)?;
    let mut sum: u64 = 0;
    let lengths = stream::decode_ints(renc, rbytes, count)?
        .into_iter()
        .map(|l| {
            let l = usize::try_from(l)
                .ok()
                .filter(|&l| l >= 1 && l <= n)
                .ok_or_else(|| invalid(format!("run length {l}")))?;
            sum += l as u64;
            Ok(l)
        })
        .collect::<Result<Vec<_>, ChunkError>>()?;
    if sum != n as u64 {
        return Err(invalid(format!("run lengths sum to {sum}, not {n} rows")));
    }
    Ok(Runs { values, lengths })
}

/// Decodes a run-length stream of `n` values of type `ty`.
pub fn decode(
    enc: &Encoding,
    ty: PhysicalType,
    payload: &[u8],
    n: usize,
) -> Result<Values, ChunkError> {
    let Runs { values, lengths } = decode_runs(enc, ty, payload, n)?;
    fn expand<T: Copy>(v: &[T], lens: &[usize], n: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(n);
        for (x, &l) in v.iter().zip(lens) {
            out.extend(std::iter::repeat_n(*x, l));
        }
        out
    }
    Ok(match values {
        Values::Int(v) => Values::Int(expand(&v, &lengths, n)),
        Values::Double(v) => Values::Double(expand(&v, &lengths, n)),
        Values::Bool(v) => Values::Bool(expand(&v, &lengths, n)),
        Values::Bytes(_) => return Err(invalid("run-length encoded bytes")),
    })
}
