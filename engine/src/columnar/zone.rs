//! Zone maps: the row count, NULL count and value bounds of one chunk, kept beside it so a scan
//! can skip chunks no row of which can match ([`super::predicate::may_match`]).
//!
//! Bounds are over the non-NULL values and are *bounds*, not necessarily values:
//! * `min ≤` every value and `max ≥` every value (both `None` when every row is NULL);
//! * doubles: both `None` when any value is NaN (NaN has no place in the order);
//! * bytes: `min` is the true minimum cut to its first [`ZONE_BYTES`] bytes (a prefix sorts
//!   before the value); `max` is the true maximum if it is at most [`ZONE_BYTES`] long, else its
//!   first [`ZONE_BYTES`] bytes with trailing `FF` bytes dropped and the last byte incremented
//!   (greater than every value with that prefix), or `None` (no upper bound) when the prefix is
//!   all `FF`.
//!
//! Layout (via [`crate::util::codec`]): rows `u32`, NULL count `u32`, min, max; each bound a
//! scalar: tag `u8` (0 none, 1 int, 2 double, 3 bool, 4 bytes) then `i64`, `f64` bits, one byte,
//! or `u32` length + bytes.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;

use super::encoding::{ChunkError, invalid};
use super::predicate::Scalar;
use super::vector::{ColumnVector, Values};
use crate::util::codec::{Reader, push_u32, push_u64};

/// The most bytes a bytes bound of a zone map keeps.
pub const ZONE_BYTES: usize = 64;

/// Row count, NULL count and bounds of one chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneMap {
    /// Rows in the chunk.
    pub rows: u32,
    /// NULL rows in the chunk.
    pub null_count: u32,
    /// A lower bound of the non-NULL values (see the module doc), `None` if unknown.
    pub min: Option<Scalar>,
    /// An upper bound of the non-NULL values (see the module doc), `None` if unbounded.
    pub max: Option<Scalar>,
}

/// The smallest byte string greater than every string starting with `prefix`, if any.
pub fn successor_of_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while p.last() == Some(&0xFF) {
        p.pop();
    }
    let last = p.last_mut()?;
    *last += 1;
    Some(p)
}

impl ZoneMap {
    /// The zone map of `col`.
    pub fn of(col: &ColumnVector) -> ZoneMap {
        let valid = |i: usize| !col.is_null(i);
        let (min, max) = match &col.values {
            Values::Int(v) => {
                let it = || {
                    v.iter()
                        .enumerate()
                        .filter(|(i, _)| valid(*i))
                        .map(|(_, x)| *x)
                };
                (it().min().map(Scalar::Int), it().max().map(Scalar::Int))
            }
            Values::Double(v) => {
                let it = || {
                    v.iter()
                        .enumerate()
                        .filter(|(i, _)| valid(*i))
                        .map(|(_, x)| *x)
                };
                if it().any(f64::is_nan) {
                    (None, None)
                } else {
                    let pick = |o: Ordering| {
                        it().reduce(|a, b| if b.partial_cmp(&a) == Some(o) { b } else { a })
                    };
                    (
                        pick(Ordering::Less).map(Scalar::Double),
                        pick(Ordering::Greater).map(Scalar::Double),
                    )
                }
            }
            Values::Bool(v) => {
                let it = || {
                    v.iter()
                        .enumerate()
                        .filter(|(i, _)| valid(*i))
                        .map(|(_, x)| *x)
                };
                (it().min().map(Scalar::Bool), it().max().map(Scalar::Bool))
            }
            Values::Bytes(c) => {
                let it = || {
                    c.iter()
                        .enumerate()
                        .filter(|(i, _)| valid(*i))
                        .map(|(_, x)| x)
                };
                let min = it()
                    .min()
                    .map(|m| Scalar::Bytes(m.get(..ZONE_BYTES).unwrap_or(m).to_vec()));
                let max = match it().max() {
                    None => None,
                    Some(m) if m.len() <= ZONE_BYTES => Some(Scalar::Bytes(m.to_vec())),
                    Some(m) => {
                        successor_of_prefix(m.get(..ZONE_BYTES).unwrap_or(m)).map(Scalar::Bytes)
                    }
                };
                (min, max)
            }
        };
        ZoneMap {
            rows: col.len() as u32,
            null_count: col.null_count() as u32,
            min,
            max,
        }
    }

    /// Appends the zone map.
    pub fn encode(&self, out: &mut Vec<u8>) {
        push_u32(out, self.rows);
        push_u32(out, self.null_count);
        encode_scalar(self.min.as_ref(), out);
        encode_scalar(self.max.as_ref(), out);
    }

    /// Reads a zone map written by [`ZoneMap::encode`].
    pub fn decode(r: &mut Reader<'_>) -> Result<ZoneMap, ChunkError> {
        let rows = r.u32()?;
        let null_count = r.u32()?;
        if null_count > rows {
            return Err(invalid(format!(
                "zone map NULL count {null_count} > rows {rows}"
            )));
        }
        let min = decode_scalar(r, ZONE_BYTES)?;
        let max = decode_scalar(r, ZONE_BYTES)?;
        Ok(ZoneMap {
            rows,
            null_count,
            min,
            max,
        })
    }
}

/// Appends an optional scalar: tag `u8` (0 none, 1 int, 2 double, 3 bool, 4 bytes), payload.
pub fn encode_scalar(s: Option<&Scalar>, out: &mut Vec<u8>) {
    match s {
        None => out.push(0),
        Some(Scalar::Int(v)) => {
            out.push(1);
            push_u64(out, *v as u64);
        }
        Some(Scalar::Double(v)) => {
            out.push(2);
            push_u64(out, v.to_bits());
        }
        Some(Scalar::Bool(b)) => {
            out.push(3);
            out.push(u8::from(*b));
        }
        Some(Scalar::Bytes(b)) => {
            out.push(4);
            push_u32(out, b.len() as u32);
            out.extend_from_slice(b);
        }
    }
}

/// Reads a scalar written by [`encode_scalar`]; bytes longer than `max_len` are refused.
pub fn decode_scalar(r: &mut Reader<'_>, max_len: usize) -> Result<Option<Scalar>, ChunkError> {
    Ok(match r.u8()? {
        0 => None,
        1 => Some(Scalar::Int(r.u64()? as i64)),
        2 => Some(Scalar::Double(f64::from_bits(r.u64()?))),
        3 => match r.u8()? {
            b @ (0 | 1) => Some(Scalar::Bool(b == 1)),
            b => return Err(invalid(format!("boolean byte {b}"))),
        },
        4 => {
            let n = r.u32()? as usize;
            if n > max_len {
                return Err(invalid(format!("bound of {n} bytes (at most {max_len})")));
            }
            Some(Scalar::Bytes(r.bytes(n)?.to_vec()))
        }
        t => return Err(invalid(format!("scalar tag {t}"))),
    })
}
