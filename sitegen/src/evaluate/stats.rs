//! Summary statistics of sample sets — the workspace's one definition, from
//! [`lightning_metrics::stats`]: the nearest-rank percentile, the median, and the Mann–Whitney
//! U test (two-sided, normal approximation with tie and continuity correction) used to decide
//! whether two sample sets differ beyond noise.

pub use lightning_metrics::stats::{MannWhitney, erfc, mann_whitney, median, percentile};
