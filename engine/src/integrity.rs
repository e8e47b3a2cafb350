//! The integrity checker behind `ldb check`: one pass over everything the storage core keeps,
//! trusting none of it.
//!
//! The pass over one snapshot — tree, then storage, then the key count — is
//! [`crate::db::check`] (the database handle and its read-only view call it); this module, above
//! the database and schema layers, adds the tables ([`check_tables`]: `schema::check` in a
//! read-only transaction, so writers continue while it runs; its snapshot is the latest commit
//! when it begins, which may be later than the storage pass's), the migration history's hash
//! chain ([`add_schema_findings`], [`crate::schema::migrate::check_history`]; each broken link
//! is a finding of layer `migrations` naming the version), [`check_all`] (all of it), and
//! [`check_database`], which also reports a database that cannot even be opened because it is
//! damaged (a bad header, a missing data file) as a finding, not as an error. The report lists
//! every finding rather than stopping at the first; `ldb check` exits non-zero when it is not
//! clean.

use std::path::Path;

use crate::db::{DATA_FILE, Database, LOCK_FILE, Options, WAL_DIR};
use crate::error::{Error, Result};
use crate::schema::SchemaError;
use crate::schema::check::{FindingKind, SchemaReport};

pub use crate::db::check::{Finding, IntegrityReport, TableFinding, TablesCheck, TreeShape, check};

/// Checks every table and index of `db` (see the module docs). Stored schema data that stops
/// the check (a catalog entry that does not decode) is reported in
/// [`TablesCheck::unreadable`], a finding; errors are for what is not damage in the tables (a
/// failing read, a poisoned database).
pub fn check_tables(db: &Database) -> Result<TablesCheck> {
    let mut txn = db.begin_read_only()?;
    let result = crate::schema::check::check(&mut txn);
    txn.rollback();
    match result {
        Ok(report) => Ok(summary(&report)),
        Err(SchemaError::Engine(e)) => Err(e),
        Err(e) => Ok(TablesCheck {
            unreadable: Some(e.to_string()),
            ..TablesCheck::default()
        }),
    }
}

/// The storage core's check ([`Database::check`]), the migration history's
/// ([`add_schema_findings`]) and the tables' ([`check_tables`]) in one report.
pub fn check_all(db: &Database) -> Result<IntegrityReport> {
    let mut report = db.check()?;
    add_schema_findings(db, &mut report)?;
    let tables = check_tables(db)?;
    Ok(report.with_tables(tables))
}

fn summary(report: &SchemaReport) -> TablesCheck {
    TablesCheck {
        tables: report.tables.len() as u64,
        rows: report.rows(),
        index_entries: report.index_entries(),
        orphaned_index_entries: report.count(FindingKind::OrphanedEntry),
        missing_index_entries: report.count(FindingKind::MissingEntry),
        constraint_violations: report.count(FindingKind::ConstraintViolation),
        undecodable_rows: report.count(FindingKind::UndecodableRow),
        foreign_keys: report.count(FindingKind::ForeignKey),
        column_stats: report.count(FindingKind::ColumnStats),
        view_mismatches: report.count(FindingKind::ViewMismatch),
        unreadable: None,
        findings: report
            .findings
            .iter()
            .map(|f| TableFinding {
                kind: f.kind.metric_name(),
                table: f.table.clone(),
                index: f.index.clone(),
                key: f.key.clone(),
                problem: f.detail.clone(),
            })
            .collect(),
        unlisted: report.unlisted,
    }
}

/// Opens the database in directory `path` and checks it ([`check_all`]: storage and tables). A database that
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
    // Page 0 as it is on disk, before opening: recovery's first checkpoint rewrites the
    // inactive meta slot, so damage there is only visible now.
    let page0 = page0_on_disk(vfs.as_ref(), &data);
    match Database::open(path, opts) {
        Ok(db) => {
            let mut report = check_all(&db)?;
            for problem in page0 {
                if !report
                    .findings
                    .iter()
                    .any(|f| f.page == 0 && f.problem == problem)
                {
                    report.findings.push(Finding {
                        layer: "storage",
                        page: 0,
                        problem: format!("{problem} (on disk before opening)"),
                    });
                    report.clean = false;
                }
            }
            Ok(report)
        }
        Err(e) if e.is_damage() => Ok(IntegrityReport::unopenable(format!(
            "cannot open the database: {e}"
        ))),
        Err(e) => Err(e),
    }
}

/// What [`crate::storage::page0::verify`] finds in page 0 of `data` as stored, taking the slot
/// opening would choose as the active one. Empty when the file cannot be read or its header
/// does not decode: opening reports those.
fn page0_on_disk(vfs: &dyn crate::vfs::Vfs, data: &Path) -> Vec<String> {
    use crate::storage::{header, page::MAX_PAGE_SIZE, page0};
    let Ok(file) = vfs.open(data, crate::vfs::OpenMode::ReadOnly) else {
        return Vec::new();
    };
    let Ok(len) = file.len() else {
        return Vec::new();
    };
    let mut bytes = vec![
        0u8;
        usize::try_from(len)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE)
    ];
    if file.read_at(&mut bytes, 0).is_err() {
        return Vec::new();
    }
    let Ok(h) = header::decode(data, &bytes, len) else {
        return Vec::new();
    };
    bytes.truncate(h.page_size);
    page0::verify(data, &bytes, h.page_size, h.active, &h.meta)
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
