//! Lightning DB — an embedded transactional key-value and analytics engine.
//!
//! The engine is built in strict layers; each layer calls only the ones below it, never one
//! above (vfs → storage → btree → wal → txn → db → schema → columnar → SQL/migrations →
//! backup/integrity → harness; `docs/ARCHITECTURE.md` is the map `archcheck` enforces):
//!
//! 1. [`vfs`] — file I/O behind a trait: real files, and a simulated disk for crash and fault tests.
//! 2. [`storage`] — checksummed fixed-size pages, the pager, the buffer pool and the freelist.
//! 3. [`btree`] — an ordered byte-key map over pages (copy-on-write, overflow pages for large values).
//! 4. [`wal`] — the write-ahead log: checksummed records, `Standard` and `Unified` (group commit)
//!    modes, and recovery (which cuts a torn tail and refuses media damage, or salvages it).
//! 5. [`txn`] — the transaction machinery: the lock manager with deadlock detection, the
//!    write-conflict index, and write sets.
//! 6. [`db`] — the public [`Database`] handle and its [`Transaction`]s (snapshot isolation and
//!    serializable), commits, snapshots, checkpoints, recovery, the integrity check of a
//!    snapshot; [`ReadOnlyDatabase`], a view that writes nothing.
//! 7. [`schema`] — tables, typed columns, primary keys and secondary indexes over transactions,
//!    the catalog stored in the database itself, DDL.
//! 8. [`columnar`] — analytics storage: encoded column chunks, zone maps, statistics; columnar
//!    tables' segments, writes and scans; vectorized expressions and aggregation.
//! 9. [`schema::sql`] and [`schema::migrate`] — SQL over row and columnar tables, and versioned
//!    migrations run through it.
//! 10. [`backup`] — online consistent backups, verified and point-in-time restore; [`integrity`]
//!     — the checker behind `ldb check` (including a database too damaged to open).
//! 11. [`harness`] — what drives the database from above for proof and measurement: seeded
//!     workloads, the crash loop, the process crash drill, the history checker, the anomaly
//!     suite, the Phase 0 snapshots.
//!
//! Beside the layers: [`error`] and [`types`] (used by every layer), [`catalog`] (what the
//! engine can describe about its own formats), and [`util`]: helpers every layer may use —
//! [`util::codec`], the one byte codec every on-disk field is read and written with (its
//! decoders deny `clippy::indexing_slicing`), and a deterministic PRNG for tests and benches.
//!
//! On-disk formats and the invariants each layer keeps are written down in `engine/FORMAT.md`.
//! The command-line tool `ldb` is its own crate, `engine/ldb`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod backup;
pub mod btree;
pub mod catalog;
pub mod columnar;
pub mod db;
pub mod error;
pub mod harness;
pub mod integrity;
pub mod schema;
pub mod storage;
pub mod txn;
pub mod types;
pub mod util;
pub mod vfs;
pub mod wal;

pub use db::{
    CommitInfo, Database, Options, PendingRecovery, Range, ReadOnlyDatabase, Snapshot, Stats,
    Transaction, TxnRange, WriteBatch,
};
pub use error::{Error, Result};
pub use integrity::IntegrityReport;
pub use txn::IsolationLevel;
pub use types::{Lsn, PageId, TxnId};
