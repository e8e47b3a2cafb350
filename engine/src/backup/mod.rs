//! Online backups and verified restores.
//!
//! A backup is a directory holding a zstd-compressed stream of every page the tree of one
//! durable snapshot reaches ([`stream`]), and a `manifest.json` describing it ([`manifest`]).
//!
//! Backup ([`crate::Database::backup`], in [`create`]), in order:
//! 1. pin the current durable snapshot (one short hold of the writer lock; writers keep
//!    committing for the rest of the backup, and the pin keeps every page of the snapshot from
//!    being reused);
//! 2. walk the tree of that snapshot ([`walk`]) and write each page it reaches, read through
//!    storage (checksums verified) and re-sealed, into the compressed stream, hashing as it goes;
//! 3. write the manifest and fsync everything inside a temporary directory, then rename it to
//!    the destination.
//!
//! Restore ([`restore()`], in [`restore`]), in order:
//! 1. read the manifest (checksum, canonical form, format version) and check every listed file's
//!    size and sha256 — nothing is written before this passes;
//! 2. build a new data file in a temporary directory: every page of the stream at its own id,
//!    the ids the stream does not use become free, then one checkpoint at the backup's LSN;
//! 3. open the new database there and run the integrity check;
//! 4. move it into place with a rename (the target is untouched until then).
//!
//! Point-in-time restore ([`restore_pitr`], [`pitr`]) rolls a restored backup forward through
//! the WAL archive (and the source's live log) to an LSN, a time, or the last commit.
//!
//! Both work in a temporary directory next to their destination and remove it when they fail;
//! the ones a killed process left behind are removed by the next backup or restore
//! ([`leftovers`]).
//!
//! The seeded Phase 0 snapshots built on top of both are `crate::harness::snapshot`.
//!
//! The byte layouts are in `engine/FORMAT.md` ("Backup").

pub mod create;
pub mod leftovers;
pub mod manifest;
pub mod pitr;
pub mod restore;
pub mod stream;
pub mod walk;

pub use create::BackupReport;
pub use leftovers::remove_stale_temp_dirs;
pub use manifest::{FileEntry, Manifest};
pub use pitr::{PitrOptions, RestoreTarget, RollForward};
pub use restore::{RestoreReport, restore, restore_pitr, verify_backup, verify_pitr};

/// Name of the manifest file inside a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the compressed page stream inside a backup directory.
pub const PAGES_FILE: &str = "pages.zst";
/// The backup format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The value of the manifest's `format` field.
pub const FORMAT_NAME: &str = "lightning-db-backup";
