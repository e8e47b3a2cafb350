//! `repair` and `baseline`: the two ways of changing the applied history without running a
//! migration file — accepting the files on disk (the reason is recorded in the chain), and
//! marking versions applied that an existing database already has.

use crate::txn::IsolationLevel;

use super::apply::{Migrator, new_entry, now_us};
use super::engine::Engine;
use super::error::{MigrateError, Result};
use super::files::hex;
use super::history::{self, Entry, Kind};
use super::plan;

impl<E: Engine> Migrator<'_, E> {
    /// Accepts the files on disk as the truth for every repairable problem (a changed or
    /// renamed file, a missing file), recording `reason` in the rewritten entries. Returns what
    /// was repaired, one line per version (none: nothing needed repair).
    pub fn repair(&self, reason: &str) -> Result<Vec<String>> {
        if reason.trim().is_empty() {
            return Err(MigrateError::Invalid(
                "repair needs a reason (--reason TEXT); it is recorded in the history".into(),
            ));
        }
        let mut txn = self.db.begin(IsolationLevel::Serializable)?;
        let mut history = history::lock_and_load(&mut txn)?;
        let st = plan::status(&self.files, &history);
        let mut lines = Vec::new();
        let mut entries = history.entries.clone();
        for e in &mut entries {
            let problems: Vec<String> = st
                .problems
                .iter()
                .filter(|p| p.version() == e.version && p.repairable())
                .map(ToString::to_string)
                .collect();
            if problems.is_empty() {
                continue;
            }
            let what = match self.files.get(e.version) {
                Some(m) => {
                    let what = format!(
                        "accepted {} (up sha256 {} -> {})",
                        m.up.path.display(),
                        hex(&e.up_sha256),
                        hex(&m.up.sha256)
                    );
                    e.name = m.name.clone();
                    e.up_sha256 = m.up.sha256;
                    e.down_sha256 = m.down.as_ref().map(|d| d.sha256);
                    e.detached = false;
                    what
                }
                None => {
                    e.detached = true;
                    format!("accepted without its file (`{}`)", e.name)
                }
            };
            e.kind = Kind::Repaired(format!("{}; {what}", reason.trim()));
            lines.push(format!("version {}: {what}", e.version));
        }
        if lines.is_empty() {
            return Ok(lines);
        }
        history::rewrite(&mut txn, &mut history, entries)?;
        txn.commit()?;
        Ok(lines)
    }

    /// Marks every file version ≤ `version` applied without running it (and `version` itself,
    /// as a marker, when no file has it). Only on an empty history.
    pub fn baseline(&self, version: u64) -> Result<Vec<Entry>> {
        if version == 0 {
            return Err(MigrateError::Invalid("baseline needs a version ≥ 1".into()));
        }
        let mut txn = self.db.begin(IsolationLevel::Serializable)?;
        let mut history = history::lock_and_load(&mut txn)?;
        if let Some(last) = history.entries.last() {
            return Err(MigrateError::Invalid(format!(
                "baseline needs an empty history; version {} is already recorded",
                last.version
            )));
        }
        let schema = self.schema(&mut txn)?;
        let now = now_us();
        let mut out = Vec::new();
        for m in self.files.migrations.range(..=version).map(|(_, m)| m) {
            let e = new_entry(m, Kind::Baseline, now, 0, &schema, &schema);
            out.push(history::append(&mut txn, &mut history, e)?);
        }
        if self.files.get(version).is_none() {
            let marker = Entry {
                version,
                name: "baseline".into(),
                up_sha256: [0; 32],
                down_sha256: None,
                applied_at_us: now,
                duration_us: 0,
                schema_before: schema.digest,
                schema_after: schema.digest,
                kind: Kind::Baseline,
                detached: true,
                prev: [0; 32],
                hash: [0; 32],
            };
            out.push(history::append(&mut txn, &mut history, marker)?);
        }
        txn.commit()?;
        Ok(out)
    }
}
