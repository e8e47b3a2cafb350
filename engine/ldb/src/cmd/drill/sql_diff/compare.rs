//! Results of one statement on each engine, in one form, and their comparison.
//!
//! Values are normalized to SQLite's storage classes: a Lightning boolean is the integer 0 or
//! 1 (SQLite stores `TRUE` so), integers and doubles compare by numeric value (exactly, or
//! within 1e-9 relative for doubles: `AVG` divides), text and bytes by their bytes. A write
//! compares by outcome: both failed (the error texts differ by design), or both succeeded
//! with the same number of rows affected.

use std::cmp::Ordering;
use std::fmt;

use lightning_db::schema::Value;

/// One value, as both engines can express it.
#[derive(Clone, Debug)]
pub enum Norm {
    /// SQL `NULL`.
    Null,
    /// An integer (booleans as 0 and 1).
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl fmt::Display for Norm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Norm::Null => write!(f, "NULL"),
            Norm::Int(i) => write!(f, "{i}"),
            Norm::Real(r) => write!(f, "{r:?}"),
            Norm::Text(s) => write!(f, "'{s}'"),
            Norm::Blob(b) => write!(
                f,
                "x'{}'",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            ),
        }
    }
}

impl Norm {
    /// A Lightning value.
    pub fn of_lightning(v: &Value) -> Norm {
        match v {
            Value::Null => Norm::Null,
            Value::Int(i) => Norm::Int(*i),
            Value::Double(d) => Norm::Real(*d),
            Value::Text(s) => Norm::Text(s.clone()),
            Value::Bytes(b) => Norm::Blob(b.clone()),
            Value::Bool(b) => Norm::Int(i64::from(*b)),
            other => Norm::Text(other.to_string()),
        }
    }

    /// A SQLite value.
    pub fn of_sqlite(v: rusqlite::types::ValueRef<'_>) -> Norm {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => Norm::Null,
            ValueRef::Integer(i) => Norm::Int(i),
            ValueRef::Real(r) => Norm::Real(r),
            ValueRef::Text(t) => Norm::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Norm::Blob(b.to_vec()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Norm::Null => 0,
            Norm::Int(_) | Norm::Real(_) => 1,
            Norm::Text(_) => 2,
            Norm::Blob(_) => 3,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Norm::Int(i) => Some(*i as f64),
            Norm::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// Whether the two engines' values agree.
    pub fn same(&self, other: &Norm) -> bool {
        match (self, other) {
            (Norm::Null, Norm::Null) => true,
            (Norm::Int(a), Norm::Int(b)) => a == b,
            (Norm::Text(a), Norm::Text(b)) => a == b,
            (Norm::Blob(a), Norm::Blob(b)) => a == b,
            _ => match (self.number(), other.number()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
                _ => false,
            },
        }
    }

    /// A total order for comparing unordered results: NULL, numbers, text, bytes.
    pub fn order(&self, other: &Norm) -> Ordering {
        self.rank()
            .cmp(&other.rank())
            .then_with(|| match (self, other) {
                (Norm::Text(a), Norm::Text(b)) => a.cmp(b),
                (Norm::Blob(a), Norm::Blob(b)) => a.cmp(b),
                _ => match (self.number(), other.number()) {
                    (Some(a), Some(b)) => a.total_cmp(&b),
                    _ => Ordering::Equal,
                },
            })
    }
}

/// What one engine made of one statement.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The statement failed, with this message.
    Failed(String),
    /// A write succeeded, affecting this many rows.
    Wrote(u64),
    /// A query's rows.
    Rows(Vec<Vec<Norm>>),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Failed(e) => write!(f, "error: {e}"),
            Outcome::Wrote(n) => write!(f, "{n} rows affected"),
            Outcome::Rows(rows) => {
                write!(f, "{} rows", rows.len())?;
                for r in rows.iter().take(8) {
                    let cells: Vec<String> = r.iter().map(Norm::to_string).collect();
                    write!(f, "\n      ({})", cells.join(", "))?;
                }
                if rows.len() > 8 {
                    write!(f, "\n      …")?;
                }
                Ok(())
            }
        }
    }
}

fn sort_rows(rows: &mut [Vec<Norm>]) {
    rows.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.order(y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

/// Whether two outcomes agree; `ordered`: rows must match in order, else as multisets.
pub fn agree(ours: &Outcome, theirs: &Outcome, ordered: bool) -> bool {
    match (ours, theirs) {
        (Outcome::Failed(_), Outcome::Failed(_)) => true,
        (Outcome::Wrote(a), Outcome::Wrote(b)) => a == b,
        (Outcome::Rows(a), Outcome::Rows(b)) => {
            if a.len() != b.len() {
                return false;
            }
            let (mut a, mut b) = (a.clone(), b.clone());
            if !ordered {
                sort_rows(&mut a);
                sort_rows(&mut b);
            }
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.same(q)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_booleans_as_integers() {
        assert!(Norm::of_lightning(&Value::Bool(true)).same(&Norm::Int(1)));
        assert!(Norm::Int(3).same(&Norm::Real(3.0)));
        assert!(Norm::Real(1.0 / 3.0).same(&Norm::Real(0.333_333_333_333_333_3)));
        assert!(!Norm::Int(3).same(&Norm::Real(3.5)));
        assert!(!Norm::Null.same(&Norm::Int(0)));
        assert!(!Norm::Text("1".into()).same(&Norm::Int(1)));
    }

    #[test]
    fn unordered_rows_compare_as_multisets_ordered_ones_in_order() {
        let r = |v: &[i64]| v.iter().map(|&i| vec![Norm::Int(i)]).collect::<Vec<_>>();
        let (a, b) = (Outcome::Rows(r(&[1, 2, 2])), Outcome::Rows(r(&[2, 1, 2])));
        assert!(agree(&a, &b, false));
        assert!(!agree(&a, &b, true));
        assert!(!agree(&a, &Outcome::Rows(r(&[1, 2])), false));
        assert!(agree(
            &Outcome::Failed("x".into()),
            &Outcome::Failed("y".into()),
            true
        ));
        assert!(!agree(
            &Outcome::Wrote(1),
            &Outcome::Failed("y".into()),
            true
        ));
    }
}
