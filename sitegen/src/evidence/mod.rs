//! The evidence: what was measured, and proof that it was not changed since.
//!
//! In the order evidence flows:
//! - [`runner`] — runs the configured checks, capturing their [`environment`];
//! - [`ingest`] — turns the files checks write (JUnit, criterion, BMF, JSON) into [`metrics`];
//! - [`record`] — one check's result in one run;
//! - [`ledger`] — the hash-chained `evidence/<run-id>/` folders (write, load, anchor);
//! - [`verify`] — recomputes every [`hash`] and the chain;
//! - [`testbed`] — which environments may be compared: the fingerprint, its id and label.

pub mod environment;
pub mod hash;
pub mod ingest;
pub mod ledger;
pub mod metrics;
pub mod record;
pub mod runner;
pub mod testbed;
pub mod verify;
