//! The integrity checker behind `ldb check`: one pass over everything the storage core keeps,
//! trusting none of it.
//!
//! The pass over one snapshot — tree, then storage, then the key count — is
//! [`crate::db::check`] (the database handle and its read-only view call it); this module, above
//! the database layer, adds [`check_database`], which also reports a database that cannot even
//! be opened because it is damaged (a bad header, a missing data file) as a finding, not as an
//! error. It also verifies what the schema layer keeps in the database: the migration history's
//! hash chain ([`crate::schema::migrate::check_history`]; each broken link is a finding of layer
//! `migrations` naming the version). The report lists every finding rather than stopping at the
//! first; `ldb check` exits non-zero when it is not clean.

use std::path::Path;

use crate::db::{DATA_FILE, Database, LOCK_FILE, Options, WAL_DIR};
use crate::error::{Error, Result};

pub use crate::db::check::{Finding, IntegrityReport, TreeShape, check};

/// Opens the database in directory `path` and checks it ([`Database::check`]). A database that
/// cannot be opened because it is damaged — the data file missing from a directory that holds
/// a database's log or lock file, a bad header or meta page, a corrupt log — is reported as
/// [`IntegrityReport::unopenable`], a finding. Errors are for what is not damage: `path` holds
/// no database at all ([`Error::NotFound`]), the database is locked, the file cannot be read.
pub fn check_database(path: &Path, opts: Options) -> Result<IntegrityReport> {
    let vfs = std::sync::Arc::clone(&opts.vfs);
    let data = path.join(DATA_FILE);
    if !vfs.exists(&data) {
        let remains = [WAL_DIR, LOCK_FILE]
            .iter()
            .map(|name| path.join(name))
            .find(|p| vfs.exists(p));
        return match remains {
            Some(found) => Ok(IntegrityReport::unopenable(format!(
                "the data file {} is missing (the directory holds a database: {} is there)",
                data.display(),
                found.display()
            ))),
            None => Err(Error::NotFound {
                path: path.to_path_buf(),
            }),
        };
    }
    match Database::open(path, opts) {
        Ok(db) => {
            let mut report = db.check()?;
            add_schema_findings(&db, &mut report)?;
            Ok(report)
        }
        Err(e) if e.is_damage() => Ok(IntegrityReport::unopenable(format!(
            "cannot open the database: {e}"
        ))),
        Err(e) => Err(e),
    }
}

/// Appends the schema layer's findings about `db` (a damaged migration history) to `report`.
pub fn add_schema_findings(db: &Database, report: &mut IntegrityReport) -> Result<()> {
    let findings = crate::schema::migrate::check_history(db).map_err(|e| match e {
        crate::schema::migrate::MigrateError::Engine(e) => e,
        other => Error::InvalidArgument(other.to_string()),
    })?;
    for f in findings {
        report.findings.push(Finding {
            layer: "migrations",
            page: 0,
            problem: f.to_string(),
        });
        report.clean = false;
    }
    Ok(())
}
