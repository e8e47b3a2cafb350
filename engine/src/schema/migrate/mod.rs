//! Versioned migrations: a folder of `NNNN_name.up.sql` / `NNNN_name.down.sql` files applied in
//! version order, each in one transaction together with its entry in the applied history — a
//! hash chain stored in the database itself under `FF 53 03`, verified whenever a migrator
//! opens and by `ldb check`.
//!
//! - [`files`] reads and hashes the folder; [`history`] stores and verifies the chain of
//!   [`entry`] records;
//! - [`plan`] compares the two (pending, applied, changed, gap, out of order, missing file);
//! - [`apply`] runs `up`, dry runs and `down` through an [`Engine`]; [`repair`] runs `repair`
//!   and `baseline`;
//! - [`diff`] is the schema diff of a dry run; [`verify`] the up/down/up rollback simulation;
//! - [`template`] writes new migration files; [`audit`] checks the migrator's promises on
//!   scratch copies of a folder (`ldb migrate audit`).

pub mod apply;
pub mod audit;
pub mod diff;
pub mod engine;
pub mod entry;
pub mod error;
pub mod files;
pub mod history;
pub mod plan;
pub mod repair;
pub mod template;
pub mod verify;

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod sql_tests;
#[cfg(test)]
mod test_engine;
#[cfg(test)]
mod tests;

pub use apply::{DryRun, Migrator, Step};
pub use audit::{AuditCheck, AuditReport, audit};
pub use engine::{Effect, Engine, SchemaState, SqlEngine};
pub use error::{MigrateError, Result};
pub use files::{Migration, MigrationSet, read_dir};
pub use history::{ChainFinding, Entry, History, Kind};
pub use plan::{Problem, Status};
pub use verify::{VerifyReport, verify};

/// Reads and verifies the migration history of `db`'s latest commit: the findings of a
/// damaged chain (empty when it is intact or there is none). Used by the integrity check.
pub fn check_history(db: &crate::db::Database) -> Result<Vec<ChainFinding>> {
    let mut txn = db.begin_read_only()?;
    Ok(history::load(&mut txn)?.findings)
}
