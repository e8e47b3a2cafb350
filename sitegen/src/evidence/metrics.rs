//! The metrics JSON format: what a check emits (documented in `docs/formats/metrics.md`).
//!
//! The model is the workspace's shared one, [`lightning_metrics::model`] (`ldb` writes what
//! sitegen reads); this module re-exports it where the rest of sitegen looks for it.
//!
//! ```json
//! { "format_version": 1,
//!   "metrics": [ { "name": "oltp.tps", "value": 5120.0, "unit": "ops/s",
//!                  "direction": "higher_is_better", "samples": [..], "ci_lower": .., "ci_upper": .. } ] }
//! ```
//!
//! Every number must be finite; names are non-empty and unique within one file; sample lists
//! are bounded; the confidence bounds, where given, bound the value
//! (`ci_lower ≤ value ≤ ci_upper`). [`validate`] enforces this for anything that becomes
//! evidence.

pub use lightning_metrics::model::{
    Direction, FORMAT_VERSION, MAX_SAMPLES, Metric, MetricsError, MetricsFile, parse, validate,
};

#[cfg(test)]
mod tests {
    // The format's own rules are tested where they live, in `lightning_metrics::model`; what
    // sitegen adds is that every input format reaches the same validation.
    #[test]
    fn other_input_formats_go_through_the_same_validation() {
        let bmf: serde_json::Value = serde_json::from_str(
            r#"{"get":{"latency":{"value":88.5,"lower_value":90,"upper_value":80}}}"#,
        )
        .expect("json");
        let msg = crate::evidence::ingest::bmf::parse("b.json", &bmf)
            .expect_err("bmf")
            .to_string();
        assert!(
            msg.contains("b.json") && msg.contains("get.latency"),
            "{msg}"
        );
    }
}
