//! Verifying a columnar table's stored column statistics against its segments (`ldb check`,
//! `ldb bench tpch`'s `columnar.stats_failures`).
//!
//! Each column's statistics are recomputed from the live rows of every segment
//! ([`super::compute`]) and compared with the stored entry:
//! * no row deleted since the last `ANALYZE` (`deleted == 0`): rows, NULL count, min and max
//!   must be equal, and the sketch's distinct estimate within [`SKETCH_TOLERANCE`] of the
//!   recomputed one (sketches merge exactly, so in practice they are equal);
//! * rows deleted since: the entry only has to be conservative — rows and NULLs at least the
//!   live ones (rows at most `deleted` more), `min ≤` and `max ≥` the live bounds, the distinct
//!   estimate at least the live one less the tolerance.
//!
//! An entry that does not decode fails with the decoder's reason; a column without an entry
//! (added after its table's segments were written, not yet analyzed) has nothing to verify.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;

use super::{StoredStats, compute, load};
use crate::Transaction;
use crate::columnar::predicate::{Scalar, compare};
use crate::columnar::stats::ColumnStats;
use crate::schema::def::TableDef;
use crate::schema::error::Result;

/// Allowed relative difference of distinct estimates: three standard errors
/// (`3 · 1.04 / √4096`) of the 4096-register sketch.
pub const SKETCH_TOLERANCE: f64 = 3.0 * 1.04 / 64.0;

/// One column's verification.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnVerdict {
    /// The column.
    pub column: String,
    /// Whether a stored entry exists (or failed to decode).
    pub stored: bool,
    /// What disagrees (empty: the entry passes).
    pub problems: Vec<String>,
}

impl ColumnVerdict {
    /// Whether the stored statistics pass.
    pub fn passes(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A bound as text (numbers as numbers, bytes as lossy UTF-8 in quotes).
pub fn show(s: Option<&Scalar>) -> String {
    match s {
        None => "none".into(),
        Some(Scalar::Int(v)) => v.to_string(),
        Some(Scalar::Double(v)) => v.to_string(),
        Some(Scalar::Bool(v)) => v.to_string(),
        Some(Scalar::Bytes(b)) => format!("'{}'", String::from_utf8_lossy(b)),
    }
}

fn order(a: Option<&Scalar>, b: Option<&Scalar>) -> Option<Ordering> {
    match (a, b) {
        (Some(x), Some(y)) => compare(x, y),
        (None, None) => Some(Ordering::Equal),
        _ => None,
    }
}

/// The disagreements between `stored` and the statistics `live` recomputed from the segments.
pub fn compare_stats(stored: &StoredStats, live: &ColumnStats) -> Vec<String> {
    let s = &stored.stats;
    let mut out = Vec::new();
    let (est, want) = (s.distinct.estimate(), live.distinct.estimate());
    let slack = SKETCH_TOLERANCE * want + 3.0;
    if stored.deleted == 0 {
        if s.rows != live.rows {
            out.push(format!(
                "rows {} stored, {} in the segments",
                s.rows, live.rows
            ));
        }
        if s.null_count != live.null_count {
            out.push(format!(
                "NULL count {} stored, {} in the segments",
                s.null_count, live.null_count
            ));
        }
        for (what, a, b) in [("min", &s.min, &live.min), ("max", &s.max, &live.max)] {
            if order(a.as_ref(), b.as_ref()) != Some(Ordering::Equal) {
                out.push(format!(
                    "{what} {} stored, {} in the segments",
                    show(a.as_ref()),
                    show(b.as_ref())
                ));
            }
        }
        if (est - want).abs() > slack {
            out.push(format!(
                "distinct estimate {est:.0} stored, {want:.0} from the segments (beyond the sketch's error bound)"
            ));
        }
        return out;
    }
    if s.rows < live.rows || s.rows - live.rows > stored.deleted {
        out.push(format!(
            "rows {} stored, {} live in the segments with {} deleted since ANALYZE",
            s.rows, live.rows, stored.deleted
        ));
    }
    if s.null_count < live.null_count {
        out.push(format!(
            "NULL count {} stored, {} live in the segments",
            s.null_count, live.null_count
        ));
    }
    let min_ok =
        live.min.is_none() || order(s.min.as_ref(), live.min.as_ref()).is_some_and(Ordering::is_le);
    let max_ok =
        live.max.is_none() || order(s.max.as_ref(), live.max.as_ref()).is_some_and(Ordering::is_ge);
    for (what, ok, a, b) in [
        ("min", min_ok, &s.min, &live.min),
        ("max", max_ok, &s.max, &live.max),
    ] {
        if !ok {
            out.push(format!(
                "{what} {} stored does not bound the live {what} {}",
                show(a.as_ref()),
                show(b.as_ref())
            ));
        }
    }
    if est + slack < want {
        out.push(format!(
            "distinct estimate {est:.0} stored, {want:.0} live (beyond the sketch's error bound)"
        ));
    }
    out
}

/// Verifies every column's stored statistics of the columnar table `def` as `txn` sees it.
pub fn verify(txn: &mut Transaction<'_>, def: &TableDef) -> Result<Vec<ColumnVerdict>> {
    let live = compute(txn, def, None, &[])?;
    let mut out = Vec::with_capacity(def.columns.len());
    for (col, fresh) in def.columns.iter().zip(&live) {
        let (stored, problems) = match load(txn, def, col) {
            Ok(Some(s)) => (true, compare_stats(&s, fresh)),
            Ok(None) => (false, Vec::new()),
            Err(crate::schema::error::SchemaError::Engine(e)) => return Err(e.into()),
            Err(e) => (true, vec![e.to_string()]),
        };
        out.push(ColumnVerdict {
            column: col.name.clone(),
            stored,
            problems,
        });
    }
    Ok(out)
}

/// How many columns of `def` fail [`verify`].
pub fn failures(txn: &mut Transaction<'_>, def: &TableDef) -> Result<u64> {
    Ok(verify(txn, def)?.iter().filter(|v| !v.passes()).count() as u64)
}
