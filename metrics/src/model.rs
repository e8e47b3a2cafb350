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
//! evidence, whichever format it arrived in.

use std::collections::BTreeSet;

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

impl Direction {
    /// +1 when a larger value is worse, -1 when a larger value is better.
    pub fn worse_sign(self) -> f64 {
        match self {
            Direction::LowerIsBetter => 1.0,
            Direction::HigherIsBetter => -1.0,
        }
    }
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

    /// A metric where a larger value is better.
    pub fn higher(name: impl Into<String>, value: f64, unit: &str) -> Metric {
        Metric::new(name, value, unit, Direction::HigherIsBetter)
    }

    /// A metric where a smaller value is better.
    pub fn lower(name: impl Into<String>, value: f64, unit: &str) -> Metric {
        Metric::new(name, value, unit, Direction::LowerIsBetter)
    }

    /// The same metric carrying the samples its value summarises.
    pub fn with_samples(mut self, samples: Vec<f64>) -> Metric {
        self.samples = samples;
        self
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

impl MetricsFile {
    /// A document of the current format version.
    pub fn new(metrics: Vec<Metric>) -> MetricsFile {
        MetricsFile {
            format_version: FORMAT_VERSION,
            metrics,
        }
    }

    /// The document as pretty-printed JSON (what `--json` prints and checks write).
    pub fn to_json_pretty(&self) -> String {
        // A struct of strings, numbers and vectors always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Why a metrics document or metric was refused. Every message starts with the origin (a
/// file name) and says what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The text is not a metrics JSON document.
    #[error("{origin}:{line}: not valid metrics JSON: {message}")]
    Json {
        /// File name.
        origin: String,
        /// 1-based line of the error.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A `format_version` this build does not read.
    #[error(
        "{origin}: metrics format_version {found} is not supported (expected {FORMAT_VERSION})"
    )]
    Version {
        /// File name.
        origin: String,
        /// The version found.
        found: u32,
    },
    /// A metric without a name.
    #[error("{origin}: a metric has an empty name")]
    EmptyName {
        /// File name.
        origin: String,
    },
    /// Two metrics of the same name in one document.
    #[error("{origin}: metric `{name}` appears twice")]
    Duplicate {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
    },
    /// A value that is NaN or infinite.
    #[error("{origin}: metric `{name}` has a non-finite value ({value}); expected a finite number")]
    NonFiniteValue {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// The value.
        value: f64,
    },
    /// More samples than [`MAX_SAMPLES`].
    #[error("{origin}: metric `{name}` has {count} samples; at most {MAX_SAMPLES} are accepted")]
    TooManySamples {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// Samples given.
        count: usize,
    },
    /// A sample that is NaN or infinite.
    #[error("{origin}: metric `{name}` has a non-finite sample ({sample})")]
    NonFiniteSample {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// The sample.
        sample: f64,
    },
    /// A confidence bound that is NaN or infinite.
    #[error("{origin}: metric `{name}` has a non-finite {bound} ({value})")]
    NonFiniteBound {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// `ci_lower` or `ci_upper`.
        bound: &'static str,
        /// The bound.
        value: f64,
    },
    /// `ci_lower` above `ci_upper`.
    #[error(
        "{origin}: metric `{name}` has ci_lower {lower} above ci_upper {upper}; expected \
         ci_lower <= ci_upper"
    )]
    BoundsReversed {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// A value outside its own confidence interval.
    #[error(
        "{origin}: metric `{name}` has value {value} outside its confidence interval [{}, {}]; \
         expected ci_lower <= value <= ci_upper",
        show(*lower),
        show(*upper)
    )]
    OutsideInterval {
        /// File name.
        origin: String,
        /// Metric name.
        name: String,
        /// The value.
        value: f64,
        /// Lower bound, if given.
        lower: Option<f64>,
        /// Upper bound, if given.
        upper: Option<f64>,
    },
}

fn show(bound: Option<f64>) -> String {
    bound.map_or("-".to_string(), |b| b.to_string())
}

/// Checks every metric in `metrics`; `origin` (a file name) starts each message.
pub fn validate(origin: &str, metrics: &[Metric]) -> Result<(), MetricsError> {
    let origin_s = || origin.to_string();
    let mut names = BTreeSet::new();
    for m in metrics {
        let name = || m.name.clone();
        if m.name.trim().is_empty() {
            return Err(MetricsError::EmptyName { origin: origin_s() });
        }
        if !names.insert(m.name.as_str()) {
            return Err(MetricsError::Duplicate {
                origin: origin_s(),
                name: name(),
            });
        }
        if !m.value.is_finite() {
            return Err(MetricsError::NonFiniteValue {
                origin: origin_s(),
                name: name(),
                value: m.value,
            });
        }
        if m.samples.len() > MAX_SAMPLES {
            return Err(MetricsError::TooManySamples {
                origin: origin_s(),
                name: name(),
                count: m.samples.len(),
            });
        }
        if let Some(&sample) = m.samples.iter().find(|s| !s.is_finite()) {
            return Err(MetricsError::NonFiniteSample {
                origin: origin_s(),
                name: name(),
                sample,
            });
        }
        for (bound, value) in [("ci_lower", m.ci_lower), ("ci_upper", m.ci_upper)] {
            if let Some(value) = value
                && !value.is_finite()
            {
                return Err(MetricsError::NonFiniteBound {
                    origin: origin_s(),
                    name: name(),
                    bound,
                    value,
                });
            }
        }
        if let (Some(lower), Some(upper)) = (m.ci_lower, m.ci_upper)
            && lower > upper
        {
            return Err(MetricsError::BoundsReversed {
                origin: origin_s(),
                name: name(),
                lower,
                upper,
            });
        }
        let below = m.ci_lower.is_some_and(|lo| m.value < lo);
        let above = m.ci_upper.is_some_and(|hi| m.value > hi);
        if below || above {
            return Err(MetricsError::OutsideInterval {
                origin: origin_s(),
                name: name(),
                value: m.value,
                lower: m.ci_lower,
                upper: m.ci_upper,
            });
        }
    }
    Ok(())
}

/// Parses and validates a metrics JSON document; errors name `origin` and, for syntax, the line.
pub fn parse(origin: &str, text: &str) -> Result<Vec<Metric>, MetricsError> {
    let file: MetricsFile = serde_json::from_str(text).map_err(|e| MetricsError::Json {
        origin: origin.to_string(),
        line: e.line().max(1),
        message: e.to_string(),
    })?;
    if file.format_version != FORMAT_VERSION {
        return Err(MetricsError::Version {
            origin: origin.to_string(),
            found: file.format_version,
        });
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
        let msg = parse("m.json", dup).expect_err("dup").to_string();
        assert_eq!(msg, "m.json: metric `a` appears twice");
        let bad_dir = "{\"format_version\":1,\n\"metrics\":[{\"name\":\"a\",\"value\":1,\"direction\":\"up\"}]}";
        let msg = parse("m.json", bad_dir).expect_err("direction").to_string();
        assert!(
            msg.starts_with("m.json:2: not valid metrics JSON:"),
            "{msg}"
        );
        let v2 = r#"{"format_version":2,"metrics":[]}"#;
        assert_eq!(
            parse("m.json", v2).expect_err("version").to_string(),
            "m.json: metrics format_version 2 is not supported (expected 1)"
        );
        let empty = r#"{"format_version":1,"metrics":[{"name":" ","value":1,"direction":"lower_is_better"}]}"#;
        assert_eq!(
            parse("m.json", empty).expect_err("empty").to_string(),
            "m.json: a metric has an empty name"
        );
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
        assert_eq!(
            err(doc("5", &lo(6.0), &hi(4.0))),
            "m.json: metric `lat` has ci_lower 6 above ci_upper 4; expected ci_lower <= ci_upper"
        );
        assert_eq!(
            err(doc("9", &lo(4.0), &hi(6.0))),
            "m.json: metric `lat` has value 9 outside its confidence interval [4, 6]; expected \
             ci_lower <= value <= ci_upper"
        );
        let msg = err(doc("1", &lo(4.0), ""));
        assert!(
            msg.contains("value 1 outside its confidence interval [4, -]"),
            "{msg}"
        );
        assert!(parse("m.json", &doc("5", &lo(4.0), &hi(6.0))).is_ok());
        assert!(parse("m.json", &doc("5", &lo(5.0), &hi(5.0))).is_ok());
        assert!(parse("m.json", &doc("5", "", &hi(7.0))).is_ok());
    }

    #[test]
    fn non_finite_values_are_rejected() {
        let mut m = Metric::lower("x", f64::NAN, "");
        let msg = validate("f.json", std::slice::from_ref(&m))
            .expect_err("nan")
            .to_string();
        assert_eq!(
            msg,
            "f.json: metric `x` has a non-finite value (NaN); expected a finite number"
        );
        m.value = 1.0;
        m.samples = vec![1.0, f64::INFINITY];
        assert_eq!(
            validate("f.json", std::slice::from_ref(&m))
                .expect_err("inf")
                .to_string(),
            "f.json: metric `x` has a non-finite sample (inf)"
        );
        m.samples = vec![0.0; MAX_SAMPLES + 1];
        assert!(matches!(
            validate("f.json", &[m]),
            Err(MetricsError::TooManySamples { count, .. }) if count == MAX_SAMPLES + 1
        ));
    }

    #[test]
    fn a_written_document_reads_back() {
        let doc = MetricsFile::new(vec![
            Metric::higher("oltp.tps", 5120.5, "ops/s"),
            Metric::lower("commit.p99_us", 812.0, "us").with_samples(vec![800.0, 812.0, 830.0]),
        ]);
        let text = doc.to_json_pretty();
        assert_eq!(parse("x.json", &text).expect("reads back"), doc.metrics);
        // Field order is the documented one: name, value, unit, direction, samples.
        let first = text.find("\"name\"").expect("name");
        assert!(first < text.find("\"value\"").expect("value"));
        assert!(text.find("\"unit\"") < text.find("\"direction\""));
    }
}
