//! The planner: how a single-table statement finds its rows.
//!
//! The `WHERE` clause is split into its `AND`ed conjuncts, and each conjunct of the form
//! `column op constant` (`=`, `<`, `<=`, `>`, `>=`, either way round, or `column BETWEEN a AND
//! b`) constrains its column. Every key — the primary key and each secondary index — is scored
//! by how long a prefix of its columns is pinned by equalities, plus whether the next column is
//! bounded by a range:
//!
//! - every primary-key column equal: `PRIMARY KEY point` (one get);
//! - every column of a unique index equal: `INDEX name point`;
//! - otherwise the key with the longest equality prefix (then a range on the next column; the
//!   primary key wins ties, as it needs no second lookup): `PRIMARY KEY range` or
//!   `INDEX name range`;
//! - nothing usable: `FULL SCAN` (in primary-key order).
//!
//! Equalities the access path consumes leave the filter; everything else (ranges included, so
//! that `NULL`s a key range might let in are still refused) stays as the residual filter. The
//! sort is skipped when the path already yields rows in `ORDER BY` order: the `ORDER BY` columns,
//! skipping ones pinned by equalities, follow the key's columns (an index's entries are ordered by
//! its columns, then — for a non-unique index — the primary key), all in one direction (a
//! descending order reads the key backwards). `NULL` sorts first, as in the key encoding.
//!
//! A columnar table has no keys to choose from: its plan is `COLUMNAR SCAN` with the whole
//! filter, whose pushable conjuncts the scan evaluates on encoded chunks
//! ([`columnar`](super::columnar)).

use super::super::def::{IndexDef, TableDef};
use super::expr::{BinOp, Expr};

/// Bounds on a key: equalities on a leading prefix of its columns, then an optional range on
/// the next column. Bounds are over key prefixes (`schema::table`'s rule).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRange {
    /// Values of the leading columns.
    pub eq: Vec<Expr>,
    /// Lower bound of the next column: (value, inclusive).
    pub lo: Option<(Expr, bool)>,
    /// Upper bound of the next column: (value, inclusive).
    pub hi: Option<(Expr, bool)>,
}

/// How rows are reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// No table: one row of constants.
    Constant,
    /// One primary key, every column given.
    PkPoint(Vec<Expr>),
    /// A primary-key range.
    PkRange(KeyRange),
    /// A unique index, every column given (at most one row).
    IndexPoint {
        /// The index.
        index: IndexDef,
        /// Its column values.
        key: Vec<Expr>,
    },
    /// A secondary-index range.
    IndexRange {
        /// The index.
        index: IndexDef,
        /// The bounds.
        range: KeyRange,
    },
    /// Every row, in primary-key order.
    FullScan,
    /// Every row of a columnar table: its segments (pruned by zone maps, filtered on encoded
    /// chunks by the filter's pushable conjuncts) and its delta, in no particular order.
    ColumnarScan,
}

/// A plan for reading a table's rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The access path.
    pub access: Access,
    /// The filter rows must still pass.
    pub residual: Option<Expr>,
    /// Read the access path backwards.
    pub reverse: bool,
    /// Whether an explicit sort is needed for `ORDER BY`.
    pub needs_sort: bool,
}

impl Plan {
    /// The plan of a `SELECT` without `FROM`.
    pub fn constant(filter: Option<Expr>) -> Plan {
        Plan {
            access: Access::Constant,
            residual: filter,
            reverse: false,
            needs_sort: false,
        }
    }
}

/// What the conjuncts say about one column.
#[derive(Clone, Default)]
struct ColumnBounds {
    eq: Option<(Expr, usize)>,
    lo: Option<(Expr, bool)>,
    hi: Option<(Expr, bool)>,
}

fn collect(conjuncts: &[&Expr], width: usize) -> Vec<ColumnBounds> {
    let mut cols = vec![ColumnBounds::default(); width];
    for (i, c) in conjuncts.iter().enumerate() {
        match c {
            Expr::Binary { op, left, right } if op.is_comparison() => {
                let (pos, op, value) = match (left.as_column(), right.as_column()) {
                    (Some(p), None) if right.is_constant() => (p, *op, right.as_ref()),
                    (None, Some(p)) if left.is_constant() => (p, op.flipped(), left.as_ref()),
                    _ => continue,
                };
                let Some(b) = cols.get_mut(pos) else { continue };
                match op {
                    BinOp::Eq if b.eq.is_none() => b.eq = Some((value.clone(), i)),
                    BinOp::Lt | BinOp::LtEq if b.hi.is_none() => {
                        b.hi = Some((value.clone(), op == BinOp::LtEq));
                    }
                    BinOp::Gt | BinOp::GtEq if b.lo.is_none() => {
                        b.lo = Some((value.clone(), op == BinOp::GtEq));
                    }
                    _ => {}
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                negated: false,
            } if low.is_constant() && high.is_constant() => {
                if let Some(b) = expr.as_column().and_then(|p| cols.get_mut(p))
                    && b.lo.is_none()
                    && b.hi.is_none()
                {
                    b.lo = Some((low.as_ref().clone(), true));
                    b.hi = Some((high.as_ref().clone(), true));
                }
            }
            _ => {}
        }
    }
    cols
}

/// A candidate key: its columns (positions) and what it would give.
struct Candidate {
    score: u32,
    access: Access,
    consumed: Vec<usize>,
    /// The order its entries come in (column positions), and how many leading ones are pinned.
    order: Vec<usize>,
}

fn candidate(key: &[usize], bounds: &[ColumnBounds]) -> (usize, KeyRange, Vec<usize>) {
    let mut range = KeyRange {
        eq: Vec::new(),
        lo: None,
        hi: None,
    };
    let mut consumed = Vec::new();
    for &pos in key {
        let Some(b) = bounds.get(pos) else { break };
        match &b.eq {
            Some((v, i)) => {
                range.eq.push(v.clone());
                consumed.push(*i);
            }
            None => {
                range.lo = b.lo.clone();
                range.hi = b.hi.clone();
                break;
            }
        }
    }
    (range.eq.len(), range, consumed)
}

/// Plans reading `table`'s rows that pass `filter`, in `order_by` order if given.
pub fn plan(table: &TableDef, filter: Option<Expr>, order_by: &[(Expr, bool)]) -> Plan {
    if table.storage.is_columnar() {
        return Plan {
            access: Access::ColumnarScan,
            residual: filter,
            reverse: false,
            needs_sort: !order_by.is_empty(),
        };
    }
    let conjuncts: Vec<&Expr> = filter.as_ref().map(Expr::conjuncts).unwrap_or_default();
    let bounds = collect(&conjuncts, table.columns.len());
    let pk = table.primary_key_positions();
    let mut best = Candidate {
        score: 0,
        access: Access::FullScan,
        consumed: Vec::new(),
        order: pk.clone(),
    };
    // The primary key.
    let (k, range, consumed) = candidate(&pk, &bounds);
    let ranged = range.lo.is_some() || range.hi.is_some();
    let pk_candidate = if k == pk.len() && k > 0 {
        Some(Candidate {
            score: 1000,
            access: Access::PkPoint(range.eq),
            consumed,
            order: pk.clone(),
        })
    } else if k > 0 || ranged {
        Some(Candidate {
            score: (k as u32) * 10 + if ranged { 5 } else { 0 } + 1,
            access: Access::PkRange(range),
            consumed,
            order: pk.clone(),
        })
    } else {
        None
    };
    if let Some(c) = pk_candidate {
        best = c;
    }
    for index in &table.indexes {
        let cols: Vec<usize> = index
            .columns
            .iter()
            .filter_map(|id| table.position(*id))
            .collect();
        if cols.len() != index.columns.len() {
            continue;
        }
        let (k, range, consumed) = candidate(&cols, &bounds);
        let ranged = range.lo.is_some() || range.hi.is_some();
        let mut order = cols.clone();
        if !index.unique {
            order.extend(pk.iter().copied());
        }
        let c = if index.unique && k == cols.len() {
            Candidate {
                score: 900,
                access: Access::IndexPoint {
                    index: index.clone(),
                    key: range.eq,
                },
                consumed,
                order,
            }
        } else if k > 0 || ranged {
            Candidate {
                score: (k as u32) * 10 + if ranged { 5 } else { 0 },
                access: Access::IndexRange {
                    index: index.clone(),
                    range,
                },
                consumed,
                order,
            }
        } else {
            continue;
        };
        if c.score > best.score {
            best = c;
        }
    }
    let residual = conjuncts
        .iter()
        .enumerate()
        .filter(|(i, _)| !best.consumed.contains(i))
        .map(|(_, e)| (*e).clone())
        .reduce(|a, b| Expr::Binary {
            op: BinOp::And,
            left: Box::new(a),
            right: Box::new(b),
        });
    let pinned: Vec<usize> = bounds
        .iter()
        .enumerate()
        .filter(|(_, b)| b.eq.is_some())
        .map(|(p, _)| p)
        .collect();
    let (needs_sort, reverse) = match sorted_by(&best.order, &pinned, order_by) {
        Some(reverse) => (false, reverse),
        None => (true, false),
    };
    Plan {
        access: best.access,
        residual,
        reverse,
        needs_sort,
    }
}

/// Whether entries in `key` order satisfy `order_by` (given `pinned` columns are constant), and
/// if so whether reading backwards is needed.
fn sorted_by(key: &[usize], pinned: &[usize], order_by: &[(Expr, bool)]) -> Option<bool> {
    let Some((_, first_desc)) = order_by.first() else {
        return Some(false);
    };
    let mut wanted = Vec::new();
    for (e, desc) in order_by {
        if desc != first_desc {
            return None;
        }
        wanted.push(e.as_column()?);
    }
    let (mut i, mut j) = (0, 0);
    while j < wanted.len() {
        if key.get(i) == Some(&wanted[j]) {
            i += 1;
            j += 1;
        } else if pinned.contains(&wanted[j]) {
            j += 1;
        } else if key.get(i).is_some_and(|k| pinned.contains(k)) {
            i += 1;
        } else {
            return None;
        }
    }
    Some(*first_desc)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

#[cfg(test)]
pub(crate) use tests::fixture as tests_fixture;
