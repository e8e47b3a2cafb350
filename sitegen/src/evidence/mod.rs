//! The evidence: what was measured, and proof that it was not changed since.
//!
//! In the order evidence flows:
//! - [`runner`] — runs the configured checks, capturing their [`environment`] and the
//!   [`conditions`] (load, CPU frequency, governor) each check ran under;
//! - [`ingest`] — turns the files checks write (JUnit, criterion, BMF, JSON) into [`metrics`];
//! - [`record`] — one check's result in one run;
//! - [`ledger`] — the hash-chained `evidence/<run-id>/` folders (write, load, anchor);
//! - [`verify`] — recomputes every [`hash`] and the chain;
//! - [`paired`] — the baseline commit and the current tree measured alternately, judged from
//!   the paired ratios (`sitegen pair`);
//! - [`drill`] — the gate drill: A/A and A/B paired comparisons of the current tree, to measure
//!   whether those verdicts are honest here (`sitegen drill gate`);
//! - [`testbed`] — which environments may be compared: the fingerprint, its id and label.

pub mod conditions;
pub mod drill;
pub mod environment;
pub mod hash;
pub mod ingest;
pub mod ledger;
pub mod metrics;
pub mod paired;
pub mod record;
pub mod runner;
pub mod testbed;
pub mod verify;
