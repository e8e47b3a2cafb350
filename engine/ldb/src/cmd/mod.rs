//! One module per command family. Each parses nothing but its own arguments, calls the library
//! (`lightning_db`, its `harness` for the drills and benchmarks) and prints through
//! [`crate::out`] and [`crate::report`]. No command module imports another; `main` dispatches.

pub mod backup;
pub mod bench;
pub mod catalog;
pub mod check;
pub mod crashtest;
pub mod drill;
pub mod export;
pub mod fuzz;
pub mod import;
pub mod kv;
pub mod migrate;
pub mod recover;
pub mod snapshot;
pub mod sql;
pub mod stats;
pub mod tpch;
pub mod txn;
