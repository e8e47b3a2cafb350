//! The harness: what drives the database from above, through its public API, for proof and
//! measurement. Nothing in the layers below imports it; `ldb` calls it and prints what it
//! returns.
//!
//! - [`workload`] — seeded benchmark data (24-byte keys, 150-byte values), zipfian keys, latency
//!   histograms and the multi-threaded OLTP driver.
//! - [`crashtest`] — the crash loop over the simulated disk (crash at every I/O operation,
//!   recover, verify).
//! - [`crashdrill`] — the workload and the checks of the process crash drill.
//! - [`history`] — the history recorder and checker (dependency cycles per isolation level) and
//!   its seeded workload.
//! - [`isolation`] — the Hermitage-style anomaly suite and the deadlock detection latency.
//! - [`snapshot`] — the seeded Phase 0 snapshots (dataset, backup, content digest).
//! - [`bench`] — the quick measurements behind `ldb bench` (storage, OLTP, KV scans).
//! - [`drill`] — the operational drills behind `ldb drill` (backup/restore, history, process
//!   crash recovery).
//! - [`error`] — the error of a harness run.

pub mod bench;
pub mod crashdrill;
pub mod crashtest;
pub mod drill;
pub mod error;
pub mod fuzz;
pub mod history;
pub mod isolation;
pub mod snapshot;
pub mod workload;
