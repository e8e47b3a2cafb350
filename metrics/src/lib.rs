//! lightning-metrics — the one metrics model of the workspace.
//!
//! `ldb` writes metrics and `sitegen` reads, stores and judges them; the two binaries must not
//! link each other, so what they share lives here:
//!
//! - [`model`] — the metrics JSON format (`docs/formats/metrics.md`): [`Metric`], [`Direction`],
//!   [`MetricsFile`], and [`parse`]/[`validate`], which every input format goes through.
//! - [`stats`] — [`percentile`] (nearest rank, the one definition used everywhere), [`median`],
//!   and the Mann–Whitney U test.
//! - [`compare`] — [`worse_by`] (relative change in the worse direction, as a fraction) and
//!   [`judge`], the noise-aware regression verdict used by `ldb bench compare` and by
//!   `sitegen`'s baseline check alike.
//! - [`process`] — figures about the running process (peak resident memory, in MiB).
//!
//! It depends on nothing but serde; it knows nothing of the engine or the site.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod compare;
pub mod model;
pub mod process;
pub mod stats;

pub use compare::{Judgement, Method, RegressionState, Rule, judge, worse_by};
pub use model::{
    Direction, FORMAT_VERSION, MAX_SAMPLES, Metric, MetricsError, MetricsFile, parse, validate,
};
pub use stats::{median, percentile};
