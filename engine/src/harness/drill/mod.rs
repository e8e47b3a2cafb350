//! The operational drills behind `ldb drill`: each takes a configuration and a scratch
//! directory and returns what it found; the CLI names the figures as metrics and prints them.

pub mod backup_restore;
pub mod enospc;
pub mod history;
pub mod mv;
pub mod recovery;
