//! Rollback simulation: on a copy of a database, apply every pending migration up, revert every
//! applied one down, then apply them all up again, measuring after each step the schema (an
//! id-independent digest, [`logical_digest`]) and the table data (the engine's fingerprint). A
//! down that does not restore the state before its up, or an up that does not reproduce the
//! state it gave the first time, is reported by version. The first mismatch of a phase ends
//! that phase (every later state would carry the same difference), and a failed down phase
//! skips the up-again phase (the copy is in a state no up was written for).
//!
//! Run it on a copy only: it really applies and reverts migrations.

use std::collections::BTreeMap;

use serde::Serialize;

use super::apply::Migrator;
use super::diff::logical_digest;
use super::engine::Engine;
use super::error::Result;
use super::files::hex;
use super::history::Kind;

/// The measured state after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    schema: [u8; 32],
    data: [u8; 32],
}

/// One step of the simulation.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyStep {
    /// `up`, `down` or `up-again`.
    pub phase: &'static str,
    /// The version run.
    pub version: u64,
    /// The schema digest after it (hex).
    pub schema: String,
    /// The data fingerprint after it (hex).
    pub data: String,
    /// What did not match, if anything.
    pub problem: Option<String>,
}

/// A version whose migrations do not reverse each other.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyFailure {
    /// The version.
    pub version: u64,
    /// What went wrong.
    pub problem: String,
}

/// The simulation's result.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    /// The version the copy started at.
    pub start_version: u64,
    /// Every step, in order.
    pub steps: Vec<VerifyStep>,
    /// Every failure, by version.
    pub failures: Vec<VerifyFailure>,
}

impl VerifyReport {
    /// Whether every down reversed its up.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty()
    }
}

fn measure<E: Engine>(m: &Migrator<'_, E>) -> Result<State> {
    let mut txn = m.database().begin_read_only()?;
    let schema = m.engine().schema(&mut txn)?;
    let data = m.engine().data_fingerprint(&mut txn)?;
    Ok(State {
        schema: logical_digest(&schema.tables),
        data,
    })
}

fn compare(expected: &State, found: &State) -> Option<String> {
    let mut parts = Vec::new();
    if expected.schema != found.schema {
        parts.push(format!(
            "schema digest {} where {} was expected",
            hex(&found.schema),
            hex(&expected.schema)
        ));
    }
    if expected.data != found.data {
        parts.push(format!(
            "data fingerprint {} where {} was expected",
            hex(&found.data),
            hex(&expected.data)
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Runs the simulation on the database `m` works on (a copy: it is changed). Refused
/// ([`MigrateError::Refused`](super::MigrateError::Refused)) if files and history disagree.
pub fn verify<E: Engine>(m: &Migrator<'_, E>) -> Result<VerifyReport> {
    let st = m.validate()?;
    let mut report = VerifyReport {
        start_version: st.current,
        ..VerifyReport::default()
    };
    let mut states: BTreeMap<u64, State> = BTreeMap::new();
    states.insert(st.current, measure(m)?);
    let record =
        |report: &mut VerifyReport, phase, version, state: &State, problem: Option<String>| {
            if let Some(p) = &problem {
                report.failures.push(VerifyFailure {
                    version,
                    problem: format!("{phase}: {p}"),
                });
            }
            report.steps.push(VerifyStep {
                phase,
                version,
                schema: hex(&state.schema),
                data: hex(&state.data),
                problem,
            });
        };
    // 1. Up: every pending migration.
    for v in st.pending {
        m.up(Some(v))?;
        let s = measure(m)?;
        record(&mut report, "up", v, &s, None);
        states.insert(v, s);
    }
    // 2. Down: every applied migration, latest first.
    let mut reverted = Vec::new();
    loop {
        let history = m.history()?;
        let Some(last) = history.entries.last() else {
            break;
        };
        let (version, stop) = (last.version, last.kind == Kind::Baseline || last.detached);
        if stop {
            break;
        }
        let has_down = m.files().get(version).is_some_and(|f| f.down.is_some());
        if !has_down {
            report.failures.push(VerifyFailure {
                version,
                problem: "down: no down file; the migration cannot be reversed".into(),
            });
            break;
        }
        let prev = history.entries.iter().rev().nth(1).map_or(0, |e| e.version);
        if let Err(e) = m.down(Some(prev)) {
            report.failures.push(VerifyFailure {
                version,
                problem: format!("down: failed: {e}"),
            });
            break;
        }
        reverted.push(version);
        let s = measure(m)?;
        let problem = states.get(&prev).and_then(|want| {
            compare(want, &s)
                .map(|d| format!("does not restore the state before version {version}'s up: {d}"))
        });
        let failed = problem.is_some();
        record(&mut report, "down", version, &s, problem);
        if failed {
            // Every later state would carry this difference: stop at the version that made it.
            break;
        }
        states.entry(prev).or_insert(s);
    }
    // 3. Up again: every reverted migration — unless a down failed, which leaves the copy in a
    // state no up was written for.
    if !report.failures.is_empty() {
        return Ok(report);
    }
    for v in reverted.into_iter().rev() {
        if let Err(e) = m.up(Some(v)) {
            report.failures.push(VerifyFailure {
                version: v,
                problem: format!("up-again: failed after its down: {e}"),
            });
            break;
        }
        let s = measure(m)?;
        let problem = states.get(&v).and_then(|want| {
            compare(want, &s)
                .map(|d| format!("up after down does not give the state its first up gave: {d}"))
        });
        let failed = problem.is_some();
        record(&mut report, "up-again", v, &s, problem);
        if failed {
            break;
        }
    }
    Ok(report)
}
