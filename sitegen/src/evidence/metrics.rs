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
    use super::*;

    #[test]
    fn parses_and_rejects_bad_values() {
        let ok = r#"{"format_version":1,"metrics":[{"name":"a","value":1.5,"unit":"ns","direction":"lower_is_better","samples":[1,2]}]}"#;
        let m = parse("m.json", ok).expect("parses");
        assert_eq!(m[0].value, 1.5);
        assert_eq!(m[0].samples, vec![1.0, 2.0]);
        let dup = r#"{"format_version":1,"metrics":[
{"name":"a","value":1,"direction":"lower_is_better"},
{"name":"a","value":2,"direction":"lower_is_better"}]}"#;
        assert!(
            parse("m.json", dup)
                .expect_err("dup")
                .to_string()
                .contains("twice")
        );
        let bad_dir = "{\"format_version\":1,\n\"metrics\":[{\"name\":\"a\",\"value\":1,\"direction\":\"up\"}]}";
        let msg = parse("m.json", bad_dir).expect_err("direction").to_string();
        assert!(msg.starts_with("m.json:2:"), "{msg}");
        let v2 = r#"{"format_version":2,"metrics":[]}"#;
        assert!(parse("m.json", v2).is_err());
    }

    #[test]
    fn confidence_bounds_must_bound_the_value() {
        let doc = |v: &str, lo: &str, hi: &str| {
            format!(
                "{{\"format_version\":1,\"metrics\":[{{\"name\":\"lat\",\"value\":{v},\"direction\":\"lower_is_better\"{lo}{hi}}}]}}"
            )
        };
        let lo = |x: f64| format!(",\"ci_lower\":{x}");
        let hi = |x: f64| format!(",\"ci_upper\":{x}");
        let err = |text: String| parse("m.json", &text).expect_err("refused").to_string();
        let msg = err(doc("5", &lo(6.0), &hi(4.0)));
        assert!(
            msg.starts_with("m.json:")
                && msg.contains("`lat`")
                && msg.contains("ci_lower 6 above ci_upper 4"),
            "{msg}"
        );
        let msg = err(doc("9", &lo(4.0), &hi(6.0)));
        assert!(
            msg.contains("`lat`") && msg.contains("value 9 outside"),
            "{msg}"
        );
        let msg = err(doc("1", &lo(4.0), ""));
        assert!(
            msg.contains("value 1 outside its confidence interval [4, -]"),
            "{msg}"
        );
        assert!(parse("m.json", &doc("5", &lo(4.0), &hi(6.0))).is_ok());
        assert!(parse("m.json", &doc("5", &lo(5.0), &hi(5.0))).is_ok());
        assert!(parse("m.json", &doc("5", "", &hi(7.0))).is_ok());
        // Every input format goes through the same check.
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

    #[test]
    fn non_finite_values_are_rejected() {
        let mut m = Metric::new("x", f64::NAN, "", Direction::LowerIsBetter);
        let msg = validate("f.json", std::slice::from_ref(&m))
            .expect_err("nan")
            .to_string();
        assert!(
            msg.contains("f.json") && msg.contains("non-finite"),
            "{msg}"
        );
        m.value = 1.0;
        m.samples = vec![1.0, f64::INFINITY];
        assert!(validate("f.json", &[m]).is_err());
    }
}
