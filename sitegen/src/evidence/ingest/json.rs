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

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON we ingest is parsed by serde_json, whose recursion limit (128) refuses deep nesting
    /// with an error naming the file and line, on a small stack.
    #[test]
    fn deeply_nested_json_is_an_error_naming_the_file() {
        let deep = format!(
            "{{\"metrics\":\n{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let msg = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || parse_any("results/deep.json", &deep).map(|_| ()))
            .expect("spawn")
            .join()
            .expect("no stack overflow")
            .expect_err("too deep")
            .to_string();
        assert!(
            msg.starts_with("results/deep.json:2: not valid JSON"),
            "{msg}"
        );
        assert!(msg.contains("recursion limit"), "{msg}");
    }
}
