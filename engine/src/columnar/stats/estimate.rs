//! Row estimates from column statistics: the fraction of a column's rows a chunk predicate
//! selects, for `EXPLAIN`.
//!
//! With `rows` rows, `nulls` of them NULL, `nonnull = rows - nulls` and `ndv` the sketch's
//! distinct estimate (at least 1, at most `nonnull`):
//! * `= v`: `nonnull / ndv` (0 outside `min..=max`); `<> v`: `nonnull` minus that;
//! * `<= v`: the histogram's estimate of the values `≤ v`; `< v`: that minus `= v`;
//!   `> v` and `>= v`: `nonnull` minus `<= v` and `< v`; `BETWEEN a AND b`: `<= b` minus `< a`;
//! * `IN (…)`: the sum of its equalities (at most `nonnull`);
//! * `IS NULL`: `nulls`; `IS NOT NULL`: `nonnull`;
//!
//! each divided by `rows`. Conjuncts are taken as independent (fractions multiply).
#![deny(clippy::indexing_slicing)]

use super::ColumnStats;
use crate::columnar::predicate::{ChunkPredicate, CmpOp, Scalar, compare};

fn nonnull(s: &ColumnStats) -> f64 {
    s.rows.saturating_sub(s.null_count) as f64
}

fn ndv(s: &ColumnStats) -> f64 {
    s.distinct
        .estimate()
        .round()
        .clamp(1.0, nonnull(s).max(1.0))
}

fn in_range(s: &ColumnStats, v: &Scalar) -> bool {
    let above_min = s
        .min
        .as_ref()
        .is_some_and(|m| compare(m, v).is_some_and(|o| o.is_le()));
    let below_max = s
        .max
        .as_ref()
        .is_some_and(|m| compare(v, m).is_some_and(|o| o.is_le()));
    above_min && below_max
}

/// Estimated rows equal to `v`.
fn eq(s: &ColumnStats, v: &Scalar) -> f64 {
    if in_range(s, v) {
        nonnull(s) / ndv(s)
    } else {
        0.0
    }
}

/// Estimated rows `<= v`.
fn le(s: &ColumnStats, v: &Scalar) -> f64 {
    s.histogram.estimate_le(v).min(nonnull(s))
}

/// Estimated rows `< v`.
fn lt(s: &ColumnStats, v: &Scalar) -> f64 {
    (le(s, v) - eq(s, v)).max(0.0)
}

/// The estimated fraction (`0..=1`) of the rows `s` describes that `p` selects; 1 when `s`
/// describes no rows.
pub fn selectivity(s: &ColumnStats, p: &ChunkPredicate) -> f64 {
    if s.rows == 0 {
        return 1.0;
    }
    let all = nonnull(s);
    let n = match p {
        ChunkPredicate::Cmp { op, value } => match op {
            CmpOp::Eq => eq(s, value),
            CmpOp::Ne => all - eq(s, value),
            CmpOp::Le => le(s, value),
            CmpOp::Lt => lt(s, value),
            CmpOp::Gt => all - le(s, value),
            CmpOp::Ge => all - lt(s, value),
        },
        ChunkPredicate::Between { lo, hi } => le(s, hi) - lt(s, lo),
        ChunkPredicate::IsNull => s.null_count as f64,
        ChunkPredicate::IsNotNull => all,
        ChunkPredicate::InList(items) => items.iter().map(|v| eq(s, v)).sum::<f64>().min(all),
    };
    (n / s.rows as f64).clamp(0.0, 1.0)
}
