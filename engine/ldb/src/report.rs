//! How commands that measure or check print their figures: the project's metrics JSON
//! (`docs/formats/metrics.md`, modelled by `lightning_metrics`) with `--json`, aligned
//! `name value unit` lines without; and the exit code of a check.
//!
//! The JSON document is written with its object keys in sorted order (`direction`, `name`,
//! `samples`, `unit`, `value`), the order `ldb` has always printed; readers do not depend on it.

use std::process::ExitCode;

use anyhow::Result;
use lightning_metrics::{Direction, Metric, MetricsFile};

/// A metric whose value is the median of `samples` (0 when there are none), carrying them all:
/// how a benchmark reports a figure measured once per repetition.
pub fn sampled(name: &str, unit: &str, direction: Direction, samples: Vec<f64>) -> Metric {
    let value = lightning_metrics::median(&samples).unwrap_or(0.0);
    Metric::new(name, value, unit, direction).with_samples(samples)
}

/// The metrics JSON document of `metrics`, pretty-printed.
pub fn metrics_json(metrics: Vec<Metric>) -> Result<String> {
    // Through `serde_json::Value`, whose maps are sorted: the key order ldb has always printed.
    let doc = serde_json::to_value(MetricsFile::new(metrics))?;
    Ok(serde_json::to_string_pretty(&doc)?)
}

/// Prints a metrics JSON document.
pub fn print_metrics(metrics: Vec<Metric>) -> Result<()> {
    outln!("{}", metrics_json(metrics)?)?;
    Ok(())
}

/// Prints metrics as the metrics JSON document (`json`) or as aligned text lines.
pub fn report_metrics(metrics: Vec<Metric>, json: bool) -> Result<()> {
    if json {
        print_metrics(metrics)
    } else {
        print_metrics_text(&metrics)
    }
}

/// Prints metrics as aligned `name value unit` lines.
pub fn print_metrics_text(metrics: &[Metric]) -> Result<()> {
    for m in metrics {
        outln!("{:<40} {:>14.3} {}", m.name, m.value, m.unit)?;
    }
    Ok(())
}

/// Exit code 0 when `ok`, 1 (a check found a violation) otherwise.
pub fn verdict(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_keeps_the_key_order_ldb_always_printed() {
        let text = metrics_json(vec![
            Metric::higher("a.count", 3.0, "count"),
            Metric::lower("b.ms", 1.5, "ms").with_samples(vec![1.0, 2.0]),
        ])
        .expect("serialises");
        let legacy = serde_json::to_string_pretty(&serde_json::json!({
            "format_version": 1,
            "metrics": [
                { "name": "a.count", "value": 3.0, "unit": "count", "direction": "higher_is_better" },
                { "name": "b.ms", "value": 1.5, "unit": "ms", "direction": "lower_is_better",
                  "samples": [1.0, 2.0] },
            ],
        }))
        .expect("serialises");
        assert_eq!(text, legacy);
    }
}
