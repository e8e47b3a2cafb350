//! The migration audit: on scratch copies of a migrations folder and fresh scratch databases,
//! checks what the migrator promises — re-running `up` is a no-op, versions apply in one
//! deterministic order with the same result on every database, a changed applied file (up or
//! down) is refused, gaps, out-of-order files and history entries without a file are refused,
//! every down reverses its up (the rollback simulation of [`super::verify`]), and no history
//! entry lacks a file nor any file stays unapplied after `up`. Each failed expectation is
//! counted; a run whose counts are all 0 passes.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::diff::logical_digest;
use super::engine::{Engine, SqlEngine};
use super::error::{MigrateError, Result};
use super::files::{MigrationSet, read_dir};
use super::plan::Problem;
use super::{Migrator, verify};
use crate::db::{Database, Options};

/// One expectation and whether it held.
#[derive(Clone, Debug, Serialize)]
pub struct AuditCheck {
    /// `audit`, `rollback` or `orphans`: which count a failure adds to.
    pub group: &'static str,
    /// What was checked (`idempotent-rerun`, `checksum-up`, …).
    pub name: &'static str,
    /// Whether it held.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

/// Everything the audit checked.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    /// The migrations folder audited.
    pub dir: PathBuf,
    /// Migrations in it.
    pub migrations: usize,
    /// Every expectation, in the order checked.
    pub checks: Vec<AuditCheck>,
    /// History entries without a file and files not applied after `up`, one line each.
    pub orphans: Vec<String>,
}

impl AuditReport {
    fn failed(&self, group: &str) -> usize {
        self.checks
            .iter()
            .filter(|c| c.group == group && !c.ok)
            .count()
    }

    /// Failed expectations of the migrator's behaviour (`migrations.audit_failures`).
    pub fn audit_failures(&self) -> usize {
        self.failed("audit")
    }

    /// Failed expectations of the rollback simulation (`migrations.rollback_sim_failures`).
    pub fn rollback_sim_failures(&self) -> usize {
        self.failed("rollback")
    }

    /// Orphans found (`migrations.orphaned`): history entries without a file plus files never
    /// applied after `up`, or 1 when the orphan check itself could not run.
    pub fn orphaned(&self) -> usize {
        self.orphans.len() + self.failed("orphans")
    }

    /// Whether every count is 0.
    pub fn is_clean(&self) -> bool {
        self.audit_failures() == 0 && self.rollback_sim_failures() == 0 && self.orphaned() == 0
    }
}

/// The logical schema digest, data fingerprint and history (version, up hash) of `db`.
type State = ([u8; 32], [u8; 32], Vec<(u64, [u8; 32])>);

fn state(m: &Migrator<'_, SqlEngine>) -> Result<State> {
    let mut txn = m.database().begin_read_only()?;
    let schema = SqlEngine.schema(&mut txn)?;
    let data = SqlEngine.data_fingerprint(&mut txn)?;
    drop(txn);
    let history = m.history()?;
    Ok((
        logical_digest(&schema.tables),
        data,
        history
            .entries
            .iter()
            .map(|e| (e.version, e.up_sha256))
            .collect(),
    ))
}

/// A scratch copy of the folder's migration files, their versions shifted by `shift`.
fn copy_dir(set: &MigrationSet, to: &Path, shift: u64) -> Result<PathBuf> {
    std::fs::create_dir_all(to).map_err(|e| MigrateError::io(to, e))?;
    for m in set.migrations.values() {
        let v = m.version + shift;
        let mut halves = vec![("up", &m.up)];
        if let Some(d) = &m.down {
            halves.push(("down", d));
        }
        for (half, file) in halves {
            let path = to.join(format!("{v:04}_{}.{half}.sql", m.name));
            std::fs::write(&path, &file.text).map_err(|e| MigrateError::io(&path, e))?;
        }
    }
    Ok(to.to_path_buf())
}

/// Runs `work` on a migrator over a fresh database at `scratch/db` and the files in `dir`.
fn with_db<T>(
    scratch: &Path,
    dir: &Path,
    work: impl FnOnce(&Migrator<'_, SqlEngine>) -> Result<T>,
) -> Result<T> {
    let db = Database::create(scratch.join("db"), Options::default())?;
    let result = work(&Migrator::open(&db, SqlEngine::new(), read_dir(dir)?)?);
    db.close()?;
    result
}

/// Refused by `up` and reported by `status` with a problem `want` accepts.
fn refused(m: &Migrator<'_, SqlEngine>, want: impl Fn(&Problem) -> bool) -> Result<(bool, String)> {
    let st = m.status()?;
    let found = st.problems.iter().any(&want);
    let up = m.up(None);
    Ok((
        found && up.is_err(),
        format!(
            "status: {}; up: {}",
            if st.problems.is_empty() {
                "no problem".to_string()
            } else {
                st.problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            match up {
                Ok(steps) => format!("applied {} version(s)", steps.len()),
                Err(MigrateError::Refused(_)) => "refused".to_string(),
                Err(e) => format!("failed ({e})"),
            }
        ),
    ))
}

/// Audits the migrations in `dir`, using `scratch` (an existing, empty folder) for copies and
/// databases. Fails only when `dir` cannot be read or `scratch` written; everything the
/// migrator does wrong is a failed [`AuditCheck`].
pub fn audit(dir: &Path, scratch: &Path) -> Result<AuditReport> {
    let set = read_dir(dir)?;
    let versions: Vec<u64> = set.migrations.keys().copied().collect();
    let mut report = AuditReport {
        dir: dir.to_path_buf(),
        migrations: versions.len(),
        checks: Vec::new(),
        orphans: Vec::new(),
    };
    let mut check = |group, name, outcome: Result<(bool, String)>| {
        let (ok, detail) = outcome.unwrap_or_else(|e| (false, format!("error: {e}")));
        report.checks.push(AuditCheck {
            group,
            name,
            ok,
            detail,
        });
    };

    // Idempotent re-run, ordering and orphans on the folder itself.
    let mut first: Option<State> = None;
    let mut orphans = Vec::new();
    let run = with_db(&scratch.join("rerun"), dir, |m| {
        let up = m.up(None);
        let applied: Vec<u64> = match &up {
            Ok(steps) => steps.iter().map(|s| s.version).collect(),
            Err(_) => Vec::new(),
        };
        let after = state(m)?;
        let history = m.history()?;
        let st = m.status()?;
        for p in &st.problems {
            if let Problem::MissingFile { .. } = p {
                orphans.push(p.to_string());
            }
        }
        for v in &versions {
            if history.get(*v).is_none() {
                orphans.push(format!("version {v} was not applied by up"));
            }
        }
        let again = m.up(None).map(|s| s.len()).map_err(|e| e.to_string());
        let same = state(m)? == after;
        first = Some(after);
        Ok((up.map_err(|e| e.to_string()), applied, again, same))
    });
    match run {
        Ok((up, applied, again, same)) => {
            check(
                "audit",
                "idempotent-rerun",
                Ok((
                    up.is_ok() && again == Ok(0) && same,
                    format!(
                        "first up: {}; second up: {}; schema, data and history {}",
                        up.map_or_else(
                            |e| format!("failed ({e})"),
                            |_| format!("{} version(s)", applied.len())
                        ),
                        again.map_or_else(|e| format!("failed ({e})"), |n| format!("applied {n}")),
                        if same { "unchanged" } else { "CHANGED" }
                    ),
                )),
            );
            check(
                "audit",
                "deterministic-order",
                Ok((
                    applied == versions,
                    format!("applied {applied:?}, files {versions:?}"),
                )),
            );
            check(
                "orphans",
                "orphan-scan",
                Ok((true, format!("{} orphan(s)", orphans.len()))),
            );
        }
        Err(e) => {
            check("audit", "idempotent-rerun", Err(e));
            check(
                "orphans",
                "orphan-scan",
                Ok((false, "the first up could not run".into())),
            );
        }
    }
    report.orphans = orphans;

    // A second database reaches the same schema, data and history.
    let second = with_db(&scratch.join("again"), dir, |m| {
        m.up(None)?;
        state(m)
    });
    check(
        "audit",
        "same-result-on-a-second-database",
        second.map(|s| {
            let same = first.as_ref() == Some(&s);
            (
                same,
                if same {
                    "identical".into()
                } else {
                    "differs from the first database".into()
                },
            )
        }),
    );

    let latest = versions.last().copied().unwrap_or(0);
    let first_version = versions.first().copied().unwrap_or(0);
    let with_down = set
        .migrations
        .values()
        .find(|m| m.down.is_some())
        .map(|m| m.version);
    // A changed applied file is refused, up half and down half.
    for (name, version, half) in [
        ("checksum-up", Some(first_version), "up"),
        ("checksum-down", with_down, "down"),
    ] {
        let s = scratch.join(name);
        let outcome = (|| {
            let Some(version) = version.filter(|v| *v > 0) else {
                return Ok((false, format!("no migration with a {half} file to change")));
            };
            let copy = copy_dir(&set, &s.join("files"), 0)?;
            with_db(&s, &copy, |m| m.up(None).map(|_| ()))?;
            let m = &set.migrations[&version];
            let file = copy.join(format!("{version:04}_{}.{half}.sql", m.name));
            let mut text = std::fs::read(&file).map_err(|e| MigrateError::io(&file, e))?;
            text.extend_from_slice(b"\n-- edited after apply\n");
            std::fs::write(&file, text).map_err(|e| MigrateError::io(&file, e))?;
            let db = Database::open(s.join("db"), Options::default())?;
            let out = refused(
                &Migrator::open(&db, SqlEngine::new(), read_dir(&copy)?)?,
                |p| matches!(p, Problem::Changed { version: v, half: h, .. } if *v == version && *h == half),
            );
            db.close()?;
            out
        })();
        check("audit", name, outcome);
    }

    // A gap: the latest version renumbered two up.
    let s = scratch.join("gap");
    let outcome = (|| {
        if versions.len() < 2 {
            return Ok((false, "a gap needs two migrations".into()));
        }
        let copy = copy_dir(&set, &s.join("files"), 0)?;
        let m = &set.migrations[&latest];
        for half in ["up", "down"] {
            let from = copy.join(format!("{latest:04}_{}.{half}.sql", m.name));
            if from.exists() {
                let to = copy.join(format!("{:04}_{}.{half}.sql", latest + 2, m.name));
                std::fs::rename(&from, &to).map_err(|e| MigrateError::io(&from, e))?;
            }
        }
        with_db(&s, &copy, |m| {
            refused(
                m,
                |p| matches!(p, Problem::Gap { version, last } if *version == latest && *last == latest + 1),
            )
        })
    })();
    check("audit", "gap", outcome);

    // Out of order: every version shifted one up and applied, then a version-1 file appears.
    let s = scratch.join("out-of-order");
    let outcome = (|| {
        let copy = copy_dir(&set, &s.join("files"), 1)?;
        with_db(&s, &copy, |m| m.up(None).map(|_| ()))?;
        let late = copy.join("0001_late.up.sql");
        std::fs::write(&late, &set.migrations[&first_version].up.text)
            .map_err(|e| MigrateError::io(&late, e))?;
        let db = Database::open(s.join("db"), Options::default())?;
        let out = refused(
            &Migrator::open(&db, SqlEngine::new(), read_dir(&copy)?)?,
            |p| matches!(p, Problem::OutOfOrder { version: 1, .. }),
        );
        db.close()?;
        out
    })();
    check("audit", "out-of-order", outcome);

    // A history entry whose file is gone.
    let s = scratch.join("missing-file");
    let outcome = (|| {
        let copy = copy_dir(&set, &s.join("files"), 0)?;
        with_db(&s, &copy, |m| m.up(None).map(|_| ()))?;
        let m = &set.migrations[&latest];
        for half in ["up", "down"] {
            let f = copy.join(format!("{latest:04}_{}.{half}.sql", m.name));
            if f.exists() {
                std::fs::remove_file(&f).map_err(|e| MigrateError::io(&f, e))?;
            }
        }
        let db = Database::open(s.join("db"), Options::default())?;
        let out = refused(
            &Migrator::open(&db, SqlEngine::new(), read_dir(&copy)?)?,
            |p| matches!(p, Problem::MissingFile { version, .. } if *version == latest),
        );
        db.close()?;
        out
    })();
    check("audit", "history-entry-without-file", outcome);

    // The rollback simulation: up, down, up, comparing schema and data at every step.
    let sim = with_db(&scratch.join("rollback"), dir, verify);
    match sim {
        Ok(r) if r.failures.is_empty() => check(
            "rollback",
            "rollback-simulation",
            Ok((
                true,
                format!("{} step(s), every down reverses its up", r.steps.len()),
            )),
        ),
        Ok(r) => {
            for f in &r.failures {
                check(
                    "rollback",
                    "rollback-simulation",
                    Ok((false, format!("version {}: {}", f.version, f.problem))),
                );
            }
        }
        Err(e) => check("rollback", "rollback-simulation", Err(e)),
    }
    Ok(report)
}
