//! The isolation anomaly suite: one scripted scenario per anomaly of the Hermitage catalogue
//! (Adya's phenomena as Kleppmann's Hermitage tests them), run against a real database at a
//! given isolation level, and a report of what each level prevented and what it allowed.
//!
//! Running a level ([`run_level`]), for each [`Anomaly`] in order:
//! 1. create a fresh database on the simulated disk holding the table `{1: 10, 2: 20}`
//!    ([`harness::fresh_database`]);
//! 2. run the anomaly's interleaving of two or three transactions, each in its own session
//!    thread, observing which steps block on a lock ([`harness`]);
//! 3. decide from what the sessions read, which errors ended them and the final committed table
//!    whether the anomaly **occurred**, or how it was **prevented** ([`Outcome`]);
//! 4. compare with what the level must guarantee ([`Anomaly::expected`]); a difference is a
//!    failure of the level, listed in [`IsolationReport::failures`].
//!
//! The scenarios live in [`dirty`] (G0, G1a, G1b, G1c, OTV) and [`skew`] (PMP, P4, G-single,
//! G2-item, G2 and their variants), written in the statements of [`statements`];
//! [`latency`] measures how fast a deadlock victim learns its fate. `ldb drill isolation`
//! prints all of it.

pub mod dirty;
pub mod harness;
pub mod latency;
pub mod skew;
pub mod statements;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::txn::IsolationLevel;
use harness::Harness;

/// An anomaly of the suite, each with one scripted interleaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Anomaly {
    /// G0, write cycles (dirty writes): two transactions' writes to two rows interleave.
    G0,
    /// G1a, aborted read: a transaction reads a value another one later rolls back.
    G1a,
    /// G1b, intermediate read: a transaction reads a value another one later overwrites itself.
    G1b,
    /// G1c, circular information flow: two transactions each read the other's write.
    G1c,
    /// OTV, observed transaction vanishes: a reader sees one writer's rows, then sees them
    /// partly replaced by a second writer.
    Otv,
    /// PMP, predicate-many-preceders: two reads of one predicate disagree about an insert.
    Pmp,
    /// PMP with a write predicate: a predicate delete runs against rows a concurrent update is
    /// changing.
    PmpWrite,
    /// P4, lost update: two read-modify-write increments of one row, one lost.
    P4,
    /// G-single, read skew: a transaction sees one row before and another after a concurrent
    /// transfer between them.
    GSingle,
    /// G-single over predicates: a predicate read sees a row before, another predicate read
    /// sees it after a concurrent update.
    GSinglePredicate,
    /// G2-item, write skew: each transaction reads two rows and writes the one the other read.
    G2Item,
    /// G2, anti-dependency cycles over predicates: each transaction's predicate read misses the
    /// row the other inserts.
    G2,
    /// G2 with two anti-dependency edges: a third transaction sees a second one's write but not
    /// the write of a first one that read before the second wrote.
    G2TwoEdges,
}

/// What a level must do about an anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// The level guarantees the anomaly cannot occur.
    Prevented,
    /// The level allows it, and the scenario must observe it (documented behaviour).
    Occurs,
}

/// How an anomaly was prevented, from the most to the least drastic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prevention {
    /// A transaction was rolled back as a deadlock victim.
    Deadlock,
    /// A transaction was rolled back by a write conflict (first updater wins).
    WriteConflict,
    /// A conflicting step waited for a lock until the other transaction ended, serialising them.
    LockWait,
    /// Nothing aborted or waited: each transaction read its own consistent snapshot.
    Snapshot,
}

/// What a scenario observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The anomaly did not happen.
    Prevented {
        /// By what mechanism.
        how: Prevention,
        /// What the transactions saw and did instead.
        detail: String,
    },
    /// The anomaly happened.
    Occurred {
        /// The evidence.
        detail: String,
    },
    /// The scenario could not run to its end: an unexpected error, or a step that never
    /// finished. Always a failure.
    Failed {
        /// What went wrong.
        error: String,
    },
}

impl Outcome {
    /// A short label: `prevented (deadlock)`, `occurred`, `failed`.
    pub fn label(&self) -> String {
        match self {
            Outcome::Prevented { how, .. } => format!("prevented ({})", how.name()),
            Outcome::Occurred { .. } => "occurred".to_string(),
            Outcome::Failed { .. } => "failed".to_string(),
        }
    }

    /// Whether this outcome is what `expected` asks for.
    pub fn satisfies(&self, expected: Expected) -> bool {
        matches!(
            (self, expected),
            (Outcome::Prevented { .. }, Expected::Prevented)
                | (Outcome::Occurred { .. }, Expected::Occurs)
        )
    }
}

impl Prevention {
    /// The mechanism's name as the report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Prevention::Deadlock => "deadlock victim aborted",
            Prevention::WriteConflict => "write conflict aborted",
            Prevention::LockWait => "blocked until the other ended",
            Prevention::Snapshot => "snapshot read",
        }
    }
}

impl Anomaly {
    /// Every anomaly, in the order the suite runs them.
    pub const ALL: [Anomaly; 13] = [
        Anomaly::G0,
        Anomaly::G1a,
        Anomaly::G1b,
        Anomaly::G1c,
        Anomaly::Otv,
        Anomaly::Pmp,
        Anomaly::PmpWrite,
        Anomaly::P4,
        Anomaly::GSingle,
        Anomaly::GSinglePredicate,
        Anomaly::G2Item,
        Anomaly::G2,
        Anomaly::G2TwoEdges,
    ];

    /// The anomaly's name in the Hermitage catalogue.
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::G0 => "G0",
            Anomaly::G1a => "G1a",
            Anomaly::G1b => "G1b",
            Anomaly::G1c => "G1c",
            Anomaly::Otv => "OTV",
            Anomaly::Pmp => "PMP",
            Anomaly::PmpWrite => "PMP-write",
            Anomaly::P4 => "P4",
            Anomaly::GSingle => "G-single",
            Anomaly::GSinglePredicate => "G-single-predicate",
            Anomaly::G2Item => "G2-item",
            Anomaly::G2 => "G2",
            Anomaly::G2TwoEdges => "G2-two-edges",
        }
    }

    /// One line on what the anomaly is.
    pub fn description(self) -> &'static str {
        match self {
            Anomaly::G0 => "write cycles: two transactions' writes to two rows interleave",
            Anomaly::G1a => "aborted read: seeing a write that is later rolled back",
            Anomaly::G1b => "intermediate read: seeing a value its writer later overwrote",
            Anomaly::G1c => "circular information flow: each reads the other's write",
            Anomaly::Otv => "observed transaction vanishes: a writer's rows partly replaced",
            Anomaly::Pmp => "predicate-many-preceders: two predicate reads disagree on an insert",
            Anomaly::PmpWrite => "predicate-many-preceders with a predicate delete",
            Anomaly::P4 => "lost update: one of two increments lost",
            Anomaly::GSingle => "read skew: one row before, another after a concurrent transfer",
            Anomaly::GSinglePredicate => "read skew over predicate reads",
            Anomaly::G2Item => "write skew: each writes the row the other read",
            Anomaly::G2 => "anti-dependency cycle: each predicate read misses the other's insert",
            Anomaly::G2TwoEdges => "anti-dependency cycle through a reader of one of two writers",
        }
    }

    /// What `level` must do about this anomaly: `Serializable` prevents every one;
    /// `RepeatableRead` (snapshot isolation) prevents all but the anti-dependency cycles G2-item
    /// and G2 (both G2 scenarios).
    pub fn expected(self, level: IsolationLevel) -> Expected {
        match (level, self) {
            (
                IsolationLevel::RepeatableRead,
                Anomaly::G2Item | Anomaly::G2 | Anomaly::G2TwoEdges,
            ) => Expected::Occurs,
            _ => Expected::Prevented,
        }
    }

    /// Parses a name as [`Anomaly::name`] prints it (case-insensitive).
    pub fn from_name(name: &str) -> Option<Anomaly> {
        Anomaly::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

/// One scenario's result at one level.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    /// The anomaly's name.
    pub anomaly: &'static str,
    /// What the anomaly is.
    pub description: &'static str,
    /// The level the transactions ran at.
    pub level: IsolationLevel,
    /// What the level must guarantee.
    pub expected: Expected,
    /// What happened.
    pub observed: Outcome,
    /// Whether `observed` is what `expected` asks for.
    pub matches: bool,
    /// Every step and what it returned, in order.
    pub steps: Vec<String>,
}

/// The whole suite's result at one level.
#[derive(Clone, Debug, Serialize)]
pub struct IsolationReport {
    /// The level.
    pub level: IsolationLevel,
    /// One report per anomaly, in [`Anomaly::ALL`] order.
    pub scenarios: Vec<ScenarioReport>,
    /// Names of the scenarios whose outcome differs from what the level must guarantee.
    pub failures: Vec<&'static str>,
}

/// Runs one anomaly's scenario at `level` on a fresh database. Errors only if the database
/// cannot be created; anything going wrong inside the scenario is an [`Outcome::Failed`].
pub fn run_scenario(anomaly: Anomaly, level: IsolationLevel) -> Result<ScenarioReport> {
    let db = harness::fresh_database()?;
    let (observed, steps) = std::thread::scope(|scope| {
        let mut h = Harness::new(scope, &db);
        let result = match anomaly {
            Anomaly::G0 => dirty::g0(&mut h, level),
            Anomaly::G1a => dirty::g1a(&mut h, level),
            Anomaly::G1b => dirty::g1b(&mut h, level),
            Anomaly::G1c => dirty::g1c(&mut h, level),
            Anomaly::Otv => dirty::otv(&mut h, level),
            Anomaly::Pmp => skew::pmp(&mut h, level),
            Anomaly::PmpWrite => skew::pmp_write(&mut h, level),
            Anomaly::P4 => skew::p4(&mut h, level),
            Anomaly::GSingle => skew::g_single(&mut h, level),
            Anomaly::GSinglePredicate => skew::g_single_predicate(&mut h, level),
            Anomaly::G2Item => skew::g2_item(&mut h, level),
            Anomaly::G2 => skew::g2(&mut h, level),
            Anomaly::G2TwoEdges => skew::g2_two_edges(&mut h, level),
        };
        let observed = result
            .and_then(|anomaly| verdict(&h, anomaly))
            .unwrap_or_else(|e| Outcome::Failed {
                error: e.to_string(),
            });
        (observed, h.finish())
    });
    let expected = anomaly.expected(level);
    Ok(ScenarioReport {
        anomaly: anomaly.name(),
        description: anomaly.description(),
        level,
        expected,
        matches: observed.satisfies(expected),
        observed,
        steps,
    })
}

/// Runs every scenario at `level`.
pub fn run_level(level: IsolationLevel) -> Result<IsolationReport> {
    let scenarios = Anomaly::ALL
        .into_iter()
        .map(|a| run_scenario(a, level))
        .collect::<Result<Vec<_>>>()?;
    let failures = scenarios
        .iter()
        .filter(|s| !s.matches)
        .map(|s| s.anomaly)
        .collect();
    Ok(IsolationReport {
        level,
        scenarios,
        failures,
    })
}

/// What a scenario script concluded from what its transactions read and left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The anomaly happened; the evidence.
    Occurred(String),
    /// It did not; what the transactions saw instead.
    NotObserved(String),
}

/// Checks that the final table is the result of some serial order of the transactions that
/// committed: `allowed` lists those results. Returns the evidence if it is not.
pub(crate) fn serial_check(table: &[harness::Row], allowed: &[&[harness::Row]]) -> Option<String> {
    if allowed.contains(&table) {
        return None;
    }
    let expected: Vec<String> = allowed.iter().map(|r| harness::fmt_rows(r)).collect();
    Some(format!(
        "final table {} is the result of no serial order of the committed transactions \
         (expected {})",
        harness::fmt_rows(table),
        expected.join(" or ")
    ))
}

/// Turns a script's finding into an outcome: an unexpected error or an unfinished step is a
/// failure; otherwise the anomaly occurred, or the strongest mechanism seen prevented it.
fn verdict(h: &Harness<'_, '_>, finding: Finding) -> Result<Outcome> {
    if let Some(e) = h.errors().find(|e| {
        !matches!(
            e,
            Error::Deadlock { .. } | Error::WriteConflict { .. } | Error::TransactionAborted { .. }
        )
    }) {
        return Ok(Outcome::Failed {
            error: format!("unexpected error: {e}"),
        });
    }
    let unanswered = h.unanswered();
    if !unanswered.is_empty() {
        return Ok(Outcome::Failed {
            error: format!("steps never finished: {}", unanswered.join("; ")),
        });
    }
    let detail = match finding {
        Finding::Occurred(evidence) => return Ok(Outcome::Occurred { detail: evidence }),
        Finding::NotObserved(note) => note,
    };
    let how = if h.errors().any(|e| matches!(e, Error::Deadlock { .. })) {
        Prevention::Deadlock
    } else if h.errors().any(|e| matches!(e, Error::WriteConflict { .. })) {
        Prevention::WriteConflict
    } else if h.any_blocked() {
        Prevention::LockWait
    } else {
        Prevention::Snapshot
    };
    Ok(Outcome::Prevented { how, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mixed_final_table_is_evidence_and_a_serial_one_is_not() {
        let allowed: &[&[harness::Row]] = &[&[(1, 12), (2, 22)], &[(1, 11), (2, 21)]];
        assert_eq!(serial_check(&[(1, 11), (2, 21)], allowed), None);
        let evidence = serial_check(&[(1, 11), (2, 22)], allowed).expect("mixed");
        assert!(evidence.contains("{1: 11, 2: 22}"), "{evidence}");
        assert!(
            evidence.contains("{1: 12, 2: 22} or {1: 11, 2: 21}"),
            "{evidence}"
        );
    }

    #[test]
    fn outcomes_satisfy_only_their_expectation() {
        let prevented = Outcome::Prevented {
            how: Prevention::Snapshot,
            detail: String::new(),
        };
        let occurred = Outcome::Occurred {
            detail: String::new(),
        };
        let failed = Outcome::Failed {
            error: String::new(),
        };
        assert!(prevented.satisfies(Expected::Prevented));
        assert!(!prevented.satisfies(Expected::Occurs));
        assert!(occurred.satisfies(Expected::Occurs));
        assert!(!occurred.satisfies(Expected::Prevented));
        assert!(!failed.satisfies(Expected::Prevented) && !failed.satisfies(Expected::Occurs));
    }

    #[test]
    fn only_write_skew_is_allowed_and_only_under_repeatable_read() {
        for a in Anomaly::ALL {
            assert_eq!(
                a.expected(IsolationLevel::Serializable),
                Expected::Prevented
            );
            let rr = a.expected(IsolationLevel::RepeatableRead);
            assert_eq!(
                rr == Expected::Occurs,
                matches!(a, Anomaly::G2Item | Anomaly::G2 | Anomaly::G2TwoEdges),
                "{a:?}"
            );
            assert_eq!(Anomaly::from_name(&a.name().to_lowercase()), Some(a));
        }
        assert_eq!(Anomaly::from_name("G3"), None);
    }
}
