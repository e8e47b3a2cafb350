//! Predicates on one column chunk, evaluated on the encoded data where the encoding allows.
//!
//! Semantics (the naive reference is [`eval`]): NULL rows never match a comparison,
//! `BETWEEN` (inclusive) or `IN`; integers and doubles compare exactly with each other
//! (`x < 2.5` on an integer column is `x ≤ 2`; `2^53 + 1` is not equal to `2^53 as f64`);
//! a comparison with NaN, on either side, or between types that do not compare (bytes with an
//! integer) is false for every operator, `Ne` included.
//!
//! [`filter`] per encoding of the value stream:
//! * integers (any encoding) — the predicate becomes a set of integer ranges; frame-of-
//!   reference and bit-packed streams shift the ranges by the reference and compare packed
//!   values 64 at a time ([`super::encoding::frame::filter`]), without materializing them;
//! * dictionary — the predicate is evaluated once per dictionary entry; the matching codes form
//!   a code range (sorted dictionary) tested on the packed codes the same way, or a code set;
//! * run-length — evaluated once per run;
//! * pseudodecimal — the constant becomes a range of mantissas (exactly: the smallest mantissa
//!   whose double is ≥ / > the constant, by binary search), tested on the mantissa stream;
//! * FSST — `=` and `IN` reject a value whose decoded length (known from its codes) differs
//!   from every constant's, and decode only the others; other predicates decode every value;
//! * otherwise — decoded and compared value by value.
//!
//! [`may_match`] prunes with a zone map: it is false only when no row can match.
#![deny(clippy::indexing_slicing)]

mod ranges;

use std::cmp::Ordering;

use super::encoding::{self, ChunkError, EncodingKind, decimal, dict, fsst, rle, stream};
use super::vector::{Bitmap, PhysicalType, Values};
use super::zone::ZoneMap;

pub use ranges::{IntRanges, int_ranges};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// Whether `ord` (the column value compared with the constant) satisfies the operator;
    /// `None` (incomparable) satisfies none.
    pub fn holds(self, ord: Option<Ordering>) -> bool {
        let Some(o) = ord else { return false };
        match self {
            CmpOp::Eq => o.is_eq(),
            CmpOp::Ne => o.is_ne(),
            CmpOp::Lt => o.is_lt(),
            CmpOp::Le => o.is_le(),
            CmpOp::Gt => o.is_gt(),
            CmpOp::Ge => o.is_ge(),
        }
    }
}

/// A constant of a predicate (or a bound of a zone map or statistics).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// An integer (also a timestamp in microseconds).
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes (also UTF-8 text).
    Bytes(Vec<u8>),
}

/// A predicate on one column.
#[derive(Clone, Debug, PartialEq)]
pub enum ChunkPredicate {
    /// `column op value`.
    Cmp {
        /// The operator.
        op: CmpOp,
        /// The constant.
        value: Scalar,
    },
    /// `column BETWEEN lo AND hi` (both inclusive).
    Between {
        /// The lower bound.
        lo: Scalar,
        /// The upper bound.
        hi: Scalar,
    },
    /// `column IS NULL`.
    IsNull,
    /// `column IS NOT NULL`.
    IsNotNull,
    /// `column IN (…)`.
    InList(Vec<Scalar>),
}

/// `x` compared with `c`, exactly (`None` for NaN).
pub fn cmp_i64_f64(x: i64, c: f64) -> Option<Ordering> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if c.is_nan() {
        None
    } else if c >= TWO_63 {
        Some(Ordering::Less)
    } else if c < -TWO_63 {
        Some(Ordering::Greater)
    } else {
        // In range, so the truncation is exact.
        let t = c.trunc() as i64;
        Some(match x.cmp(&t) {
            Ordering::Equal if c.fract() > 0.0 => Ordering::Less,
            Ordering::Equal if c.fract() < 0.0 => Ordering::Greater,
            o => o,
        })
    }
}

/// An integer column value compared with a constant.
pub fn cmp_int(x: i64, c: &Scalar) -> Option<Ordering> {
    match c {
        Scalar::Int(c) => Some(x.cmp(c)),
        Scalar::Double(c) => cmp_i64_f64(x, *c),
        _ => None,
    }
}

/// A double column value compared with a constant.
pub fn cmp_double(x: f64, c: &Scalar) -> Option<Ordering> {
    match c {
        Scalar::Double(c) => x.partial_cmp(c),
        Scalar::Int(c) if !x.is_nan() => cmp_i64_f64(*c, x).map(Ordering::reverse),
        _ => None,
    }
}

/// A boolean column value compared with a constant.
pub fn cmp_bool(x: bool, c: &Scalar) -> Option<Ordering> {
    match c {
        Scalar::Bool(c) => Some(x.cmp(c)),
        _ => None,
    }
}

/// A bytes column value compared with a constant.
pub fn cmp_bytes(x: &[u8], c: &Scalar) -> Option<Ordering> {
    match c {
        Scalar::Bytes(c) => Some(x.cmp(c.as_slice())),
        _ => None,
    }
}

/// Two scalars compared (what a column value of `a`'s type does with constant `b`).
pub fn compare(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match a {
        Scalar::Int(x) => cmp_int(*x, b),
        Scalar::Double(x) => cmp_double(*x, b),
        Scalar::Bool(x) => cmp_bool(*x, b),
        Scalar::Bytes(x) => cmp_bytes(x, b),
    }
}

/// Whether a non-NULL value satisfies `pred`, given how it compares with a constant.
pub fn eval_with(pred: &ChunkPredicate, cmp: impl Fn(&Scalar) -> Option<Ordering>) -> bool {
    match pred {
        ChunkPredicate::Cmp { op, value } => op.holds(cmp(value)),
        ChunkPredicate::Between { lo, hi } => CmpOp::Ge.holds(cmp(lo)) && CmpOp::Le.holds(cmp(hi)),
        ChunkPredicate::IsNull => false,
        ChunkPredicate::IsNotNull => true,
        ChunkPredicate::InList(list) => list.iter().any(|c| CmpOp::Eq.holds(cmp(c))),
    }
}

/// Whether a value (`None` = NULL) satisfies `pred`: the reference semantics of [`filter`].
pub fn eval(pred: &ChunkPredicate, value: Option<&Scalar>) -> bool {
    match (pred, value) {
        (ChunkPredicate::IsNull, v) => v.is_none(),
        (_, None) => false,
        (_, Some(v)) => eval_with(pred, |c| compare(v, c)),
    }
}

/// Which rows of the chunk `bytes` (`rows` rows of type `ty`, as [`encoding::decode`] takes)
/// satisfy `pred`. The checksum and the structure read are checked as decoding does.
pub fn filter(
    bytes: &[u8],
    ty: PhysicalType,
    rows: usize,
    pred: &ChunkPredicate,
) -> Result<Bitmap, ChunkError> {
    let p = encoding::parse(bytes, ty, rows)?;
    let all = || Bitmap::all(rows);
    match pred {
        ChunkPredicate::IsNull => {
            return Ok(p
                .validity
                .map_or_else(|| Bitmap::none(rows), |v| all().and(&not(&v))));
        }
        ChunkPredicate::IsNotNull => return Ok(p.validity.unwrap_or_else(all)),
        _ => {}
    }
    let hits = filter_values(&p.encoding, ty, p.payload, rows, pred)?;
    Ok(match p.validity {
        Some(v) => hits.and(&v),
        None => hits,
    })
}

fn not(b: &Bitmap) -> Bitmap {
    Bitmap::from_words(b.words().iter().map(|w| !w).collect(), b.len())
}

/// `pred` on a value stream, NULLs not considered.
fn filter_values(
    enc: &encoding::Encoding,
    ty: PhysicalType,
    payload: &[u8],
    n: usize,
    pred: &ChunkPredicate,
) -> Result<Bitmap, ChunkError> {
    match (ty, enc.kind) {
        (PhysicalType::Int, _) => {
            let r = int_ranges(pred, i64::MIN, i64::MAX, cmp_int);
            ranges::filter_ints(enc, payload, n, &r)
        }
        (PhysicalType::Double, EncodingKind::Decimal) => {
            let e = enc.param;
            let m = decimal::MAX_MANTISSA;
            let r = int_ranges(pred, -m, m, |k, c| cmp_double(decimal::value(k, e), c));
            ranges::filter_ints(decimal::child(enc)?, payload, n, &r)
        }
        (_, EncodingKind::Dict) => {
            let parts = dict::split(enc, ty, payload, n)?;
            let hit = per_value(&parts.dict, pred);
            ranges::filter_codes(&parts, &hit, n)
        }
        (_, EncodingKind::Rle) => {
            let runs = rle::decode_runs(enc, ty, payload, n)?;
            let hit = per_value(&runs.values, pred);
            let mut out = Bitmap::none(n);
            let mut at = 0;
            for (&len, &h) in runs.lengths.iter().zip(&hit) {
                if h {
                    out.set_range(at, at + len);
                }
                at += len;
            }
            Ok(out)
        }
        (PhysicalType::Bytes, EncodingKind::Fsst) => fsst_filter(enc, payload, n, pred),
        _ => {
            let values = stream::decode(enc, ty, payload, n)?;
            Ok(bits_of(&per_value(&values, pred)))
        }
    }
}

/// `pred` on an FSST stream: equality decodes only the values of a constant's length.
fn fsst_filter(
    enc: &encoding::Encoding,
    payload: &[u8],
    n: usize,
    pred: &ChunkPredicate,
) -> Result<Bitmap, ChunkError> {
    let parts = fsst::split(enc, payload, n)?;
    let constants: Vec<&[u8]> = match pred {
        ChunkPredicate::Cmp {
            op: CmpOp::Eq,
            value,
        } => vec![value],
        ChunkPredicate::InList(list) => list.iter().collect(),
        _ => {
            let values = Values::Bytes(parts.decode_all()?);
            return Ok(bits_of(&per_value(&values, pred)));
        }
    }
    .into_iter()
    .filter_map(|c| match c {
        Scalar::Bytes(b) => Some(b.as_slice()),
        _ => None,
    })
    .collect();
    let mut out = Bitmap::none(n);
    let mut scratch = Vec::new();
    for (i, &len) in parts.lens.iter().enumerate() {
        if constants.iter().any(|c| c.len() == len as usize) {
            scratch.clear();
            parts.value_into(i, &mut scratch);
            if constants.contains(&scratch.as_slice()) {
                out.set(i, true);
            }
        }
    }
    Ok(out)
}

fn bits_of(hits: &[bool]) -> Bitmap {
    let mut out = Bitmap::none(hits.len());
    for (i, _) in hits.iter().enumerate().filter(|(_, h)| **h) {
        out.set(i, true);
    }
    out
}

/// `pred` on each value (all taken as non-NULL).
fn per_value(values: &Values, pred: &ChunkPredicate) -> Vec<bool> {
    match values {
        Values::Int(v) => v
            .iter()
            .map(|&x| eval_with(pred, |c| cmp_int(x, c)))
            .collect(),
        Values::Double(v) => v
            .iter()
            .map(|&x| eval_with(pred, |c| cmp_double(x, c)))
            .collect(),
        Values::Bool(v) => v
            .iter()
            .map(|&x| eval_with(pred, |c| cmp_bool(x, c)))
            .collect(),
        Values::Bytes(col) => col
            .iter()
            .map(|x| eval_with(pred, |c| cmp_bytes(x, c)))
            .collect(),
    }
}

/// Whether a chunk with zone map `zone` may hold a row satisfying `pred` (false only if none
/// can).
pub fn may_match(zone: &ZoneMap, pred: &ChunkPredicate) -> bool {
    let non_null = zone.null_count < zone.rows;
    let (min, max) = (zone.min.as_ref(), zone.max.as_ref());
    // `bound op c` could hold, or the bound is unknown.
    let lo_ok = |op: CmpOp, c: &Scalar| min.is_none_or(|m| op.holds(compare(m, c)));
    let hi_ok = |op: CmpOp, c: &Scalar| max.is_none_or(|m| op.holds(compare(m, c)));
    let comparable = |c: &Scalar| min.or(max).is_none_or(|m| compare(m, c).is_some());
    let eq = |c: &Scalar| comparable(c) && lo_ok(CmpOp::Le, c) && hi_ok(CmpOp::Ge, c);
    match pred {
        ChunkPredicate::IsNull => zone.null_count > 0,
        ChunkPredicate::IsNotNull => non_null,
        _ if !non_null => false,
        ChunkPredicate::Cmp { op, value: c } => {
            comparable(c)
                && match op {
                    CmpOp::Eq => eq(c),
                    CmpOp::Ne => !matches!(
                        (min.map(|m| compare(m, c)), max.map(|m| compare(m, c))),
                        (Some(Some(Ordering::Equal)), Some(Some(Ordering::Equal)))
                    ),
                    CmpOp::Lt => lo_ok(CmpOp::Lt, c),
                    CmpOp::Le => lo_ok(CmpOp::Le, c),
                    CmpOp::Gt => hi_ok(CmpOp::Gt, c),
                    CmpOp::Ge => hi_ok(CmpOp::Ge, c),
                }
        }
        ChunkPredicate::Between { lo, hi } => {
            comparable(lo) && comparable(hi) && hi_ok(CmpOp::Ge, lo) && lo_ok(CmpOp::Le, hi)
        }
        ChunkPredicate::InList(list) => list.iter().any(eq),
    }
}
