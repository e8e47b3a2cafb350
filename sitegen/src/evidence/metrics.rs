//! The metrics JSON format: what a check emits (documented in `docs/formats/metrics.md`).
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

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The metrics JSON format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Most samples one metric may carry.
pub const MAX_SAMPLES: usize = 100_000;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Bigger is better (throughput, hit ratio, compression ratio).
    HigherIsBetter,
    /// Smaller is better (latency, failures, size).
    LowerIsBetter,
}

/// One measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Dotted or slashed name, e.g. `oltp.p95_latency_ms` or `btree/get/1000`.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Unit, e.g. `ns`, `ops/s`, `ratio`, `count`; empty when dimensionless.
    #[serde(default)]
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// Raw samples the value summarises, if kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
    /// Lower confidence bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    /// Upper confidence bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

impl Metric {
    /// A metric without samples or bounds.
    pub fn new(name: impl Into<String>, value: f64, unit: &str, direction: Direction) -> Metric {
        Metric {
            name: name.into(),
            value,
            unit: unit.to_string(),
            direction,
            samples: Vec::new(),
            ci_lower: None,
            ci_upper: None,
        }
    }
}

/// A metrics JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The metrics.
    pub metrics: Vec<Metric>,
}

/// Checks every metric in `metrics`; `origin` (a file name) starts each message.
pub fn validate(origin: &str, metrics: &[Metric]) -> Result<()> {
    let mut names = BTreeSet::new();
    for m in metrics {
        if m.name.trim().is_empty() {
            bail!("{origin}: a metric has an empty name");
        }
        if !names.insert(m.name.as_str()) {
            bail!("{origin}: metric `{}` appears twice", m.name);
        }
        if !m.value.is_finite() {
            bail!(
                "{origin}: metric `{}` has a non-finite value ({}); expected a finite number",
                m.name,
                m.value
            );
        }
        if m.samples.len() > MAX_SAMPLES {
            bail!(
                "{origin}: metric `{}` has {} samples; at most {MAX_SAMPLES} are accepted",
                m.name,
                m.samples.len()
            );
        }
        if let Some(bad) = m.samples.iter().find(|s| !s.is_finite()) {
            bail!(
                "{origin}: metric `{}` has a non-finite sample ({bad})",
                m.name
            );
        }
        for (what, bound) in [("ci_lower", m.ci_lower), ("ci_upper", m.ci_upper)] {
            if let Some(b) = bound
                && !b.is_finite()
            {
                bail!(
                    "{origin}: metric `{}` has a non-finite {what} ({b})",
                    m.name
                );
            }
        }
        if let (Some(lo), Some(hi)) = (m.ci_lower, m.ci_upper)
            && lo > hi
        {
            bail!(
                "{origin}: metric `{}` has ci_lower {lo} above ci_upper {hi}; expected \
                 ci_lower <= ci_upper",
                m.name
            );
        }
        let below = m.ci_lower.filter(|lo| m.value < *lo);
        let above = m.ci_upper.filter(|hi| m.value > *hi);
        if below.is_some() || above.is_some() {
            let bound = |b: Option<f64>| b.map_or("-".to_string(), |b| b.to_string());
            bail!(
                "{origin}: metric `{}` has value {} outside its confidence interval [{}, {}]; \
                 expected ci_lower <= value <= ci_upper",
                m.name,
                m.value,
                bound(m.ci_lower),
                bound(m.ci_upper)
            );
        }
    }
    Ok(())
}

/// Parses a metrics JSON document; errors name `origin` and the line.
pub fn parse(origin: &str, text: &str) -> Result<Vec<Metric>> {
    let file: MetricsFile = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!("{origin}:{}: not valid metrics JSON: {e}", e.line().max(1))
    })?;
    if file.format_version != FORMAT_VERSION {
        bail!(
            "{origin}: metrics format_version {} is not supported (expected {FORMAT_VERSION})",
            file.format_version
        );
    }
    validate(origin, &file.metrics)?;
    Ok(file.metrics)
}

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
