//! `ldb drill`: operational drills that emit metrics JSON (exit code 1 if a verification fails),
//! and the hidden writer process the recovery drill kills.

pub mod backup_restore;
pub mod enospc;
pub mod history;
pub mod isolation;
pub mod mv;
pub mod recovery;
pub mod sql_diff;
