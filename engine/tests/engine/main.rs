//! The engine's integration tests, one binary with one module per area (one link step instead
//! of one per file). `engine/tests/README.md` says what each module proves;
//! `cargo test -p lightning-db --test engine model::` runs one of them.
//!
//! The `ldb` command-line tests live with the `ldb` crate, in `engine/ldb/tests/cli/`.

mod backup;
mod bank;
mod catalog;
mod column_stats;
mod columnar;
mod concurrency;
mod crash_loop;
mod deadlocks;
mod faults;
mod history;
mod isolation;
mod model;
mod mv;
mod mv_crash;
mod mv_errors;
mod partitions;
mod partitions_write;
mod pitr;
mod range_locks;
mod schema;
mod schema_check;
mod schema_concurrency;
mod schema_ddl;
mod sql;
mod sql_aggregate;
mod transactions;
mod wal_damage;
