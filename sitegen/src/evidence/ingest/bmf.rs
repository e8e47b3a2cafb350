//! Bencher Metric Format input: `{ "<benchmark>": { "<measure>": { "value": f, "lower_value": f?,
//! "upper_value": f? } } }`.
//!
//! Each benchmark × measure becomes the metric `<benchmark>.<measure>`. The measure decides the
//! direction and unit: `throughput` is higher-is-better in operations per second; `latency` is
//! lower-is-better in nanoseconds; any other measure is lower-is-better without a unit.

use anyhow::{Result, bail};
use serde_json::Value;

use crate::evidence::metrics::{self, Direction, Metric};

/// Whether `value` has the BMF shape (non-empty, all leaves objects with a numeric `value`).
pub fn looks_like(value: &Value) -> bool {
    let Some(benches) = value.as_object() else {
        return false;
    };
    !benches.is_empty()
        && benches.values().all(|measures| {
            measures.as_object().is_some_and(|m| {
                !m.is_empty()
                    && m.values()
                        .all(|leaf| leaf.get("value").is_some_and(Value::is_number))
            })
        })
}

/// Converts a BMF document; errors name `origin`.
pub fn parse(origin: &str, value: &Value) -> Result<Vec<Metric>> {
    let Some(benches) = value.as_object() else {
        bail!("{origin}: Bencher Metric Format must be a JSON object");
    };
    let mut out = Vec::new();
    for (bench, measures) in benches {
        let Some(measures) = measures.as_object() else {
            bail!("{origin}: benchmark `{bench}` must map measures to objects");
        };
        for (measure, leaf) in measures {
            let num = |key: &str| leaf.get(key).and_then(Value::as_f64);
            let Some(v) = num("value") else {
                bail!("{origin}: `{bench}`.`{measure}` has no numeric `value`");
            };
            let (unit, direction) = match measure.as_str() {
                "throughput" => ("ops/s", Direction::HigherIsBetter),
                "latency" => ("ns", Direction::LowerIsBetter),
                _ => ("", Direction::LowerIsBetter),
            };
            let mut m = Metric::new(format!("{bench}.{measure}"), v, unit, direction);
            m.ci_lower = num("lower_value");
            m.ci_upper = num("upper_value");
            out.push(m);
        }
    }
    metrics::validate(origin, &out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_measures_with_bounds() {
        let v: Value = serde_json::from_str(
            r#"{"get":{"latency":{"value":88.5,"lower_value":80,"upper_value":90},"throughput":{"value":1000}}}"#,
        )
        .expect("json");
        assert!(looks_like(&v));
        let m = parse("b.json", &v).expect("parses");
        let lat = m.iter().find(|m| m.name == "get.latency").expect("latency");
        assert_eq!(
            (lat.value, lat.ci_lower, lat.ci_upper),
            (88.5, Some(80.0), Some(90.0))
        );
        assert_eq!(lat.direction, Direction::LowerIsBetter);
        let tp = m.iter().find(|m| m.name == "get.throughput").expect("tp");
        assert_eq!(tp.direction, Direction::HigherIsBetter);
        assert!(!looks_like(&serde_json::json!({"a": 1})));
    }
}
