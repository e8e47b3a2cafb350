//! JSON inputs: metrics JSON (has `format_version` and `metrics`) or Bencher Metric Format
//! (an object of benchmark → measure → `{value, lower_value?, upper_value?}`).

use anyhow::{Result, anyhow, bail};

use crate::evidence::ingest::bmf;
use crate::evidence::metrics::{self, Metric};

/// Parses either JSON metrics format, telling them apart by shape; errors name `origin`.
pub fn parse_any(origin: &str, text: &str) -> Result<Vec<Metric>> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| anyhow!("{origin}:{}: not valid JSON: {e}", e.line().max(1)))?;
    let Some(obj) = value.as_object() else {
        bail!("{origin}: expected a JSON object (metrics JSON or Bencher Metric Format)");
    };
    if obj.contains_key("format_version") || obj.contains_key("metrics") {
        return Ok(metrics::parse(origin, text)?);
    }
    if bmf::looks_like(&value) {
        return bmf::parse(origin, &value);
    }
    bail!(
        "{origin}: unknown JSON format (expected metrics JSON with `format_version` and \
         `metrics`, or Bencher Metric Format)"
    )
}
