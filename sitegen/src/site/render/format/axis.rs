//! Chart axes in the site's one number format: every tick of an axis in one unit (time scaled
//! to the largest unit that keeps the axis maximum at least 1, as [`super::quantity`] scales a
//! single value), thousands separated by commas, the same decimals on every tick — as many as
//! the step needs to tell neighbours apart — and none on an axis of counts.
//!
//! Point tooltips and threshold labels are single values and go through [`super::quantity`]
//! itself, like table cells.

use super::{fixed, nanos_per, significant, unit_name};

/// How the numbers of one axis are written.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisFormat {
    /// Values are divided by this before they are written (a time unit rescaled).
    divisor: f64,
    /// The unit the axis names once (`ms`, `ops/s`, `×`, `%`; empty for counts).
    unit: String,
    /// Decimals of every tick; `None` for an axis without a step (a single value), whose one
    /// label follows the precision rule of [`significant`].
    decimals: Option<usize>,
}

/// The time units an axis may be shown in, largest first, with their length in nanoseconds.
const AXIS_TIME_UNITS: [(&str, f64); 4] = [("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1.0)];

/// Decimals that write `step` exactly (a 1-2-5 step, a bin width like 0.25): the fewest, at
/// most 9.
fn step_decimals(step: f64) -> usize {
    (0..=9)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= scaled.abs() * 1e-9
        })
        .unwrap_or(9)
}

impl AxisFormat {
    /// The format of an axis of values in `unit` whose largest magnitude is `max_abs` and whose
    /// ticks are `step` apart (0 for an axis that labels a single value).
    pub fn new(unit: &str, max_abs: f64, step: f64) -> AxisFormat {
        let (divisor, shown) = match nanos_per(unit) {
            Some(per) if max_abs.is_finite() && max_abs > 0.0 => {
                let ns = max_abs * per;
                let (name, len) = AXIS_TIME_UNITS
                    .into_iter()
                    .find(|(_, len)| ns >= len * (1.0 - 1e-9))
                    .unwrap_or(("ns", 1.0));
                (len / per, name.to_string())
            }
            _ => (1.0, axis_unit(unit).to_string()),
        };
        let decimals = if unit == "count" {
            // Counts are never fractional.
            Some(0)
        } else if step > 0.0 && step.is_finite() {
            Some(step_decimals(step / divisor))
        } else {
            None
        };
        AxisFormat {
            divisor,
            unit: shown,
            decimals,
        }
    }

    /// The unit the axis names once, e.g. `ms` for values recorded in µs; empty for counts.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// `v` as a tick label, without the unit: `250`, `1.5`, `10,000`.
    pub fn tick(&self, v: f64) -> String {
        if !v.is_finite() {
            return "—".into();
        }
        let scaled = v / self.divisor;
        // `fixed` writes a value that rounds to zero without a sign (`-0.0` is `0.0`).
        match self.decimals {
            Some(d) => fixed(scaled, d),
            None => significant(scaled),
        }
    }

    /// `v` with the axis unit: `1.5 s`, `10,000 ops/s`, `1.25×`, `12 %`, `3` (a count).
    pub fn with_unit(&self, v: f64) -> String {
        let n = self.tick(v);
        match self.unit.as_str() {
            "" => n,
            "×" => format!("{n}×"),
            u => format!("{n} {u}"),
        }
    }
}

/// The unit an axis of `unit` names: `ratio` is `×`, `percent` is `%`, `count` is nothing.
fn axis_unit(unit: &str) -> &str {
    match unit {
        "ratio" | "x" | "×" => "×",
        "percent" | "%" => "%",
        u => unit_name(u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::render::format::quantity;

    fn ticks(f: &AxisFormat, values: &[f64]) -> Vec<String> {
        values.iter().map(|&v| f.tick(v)).collect()
    }

    #[test]
    fn microsecond_ticks_stay_in_microseconds_below_a_millisecond() {
        let f = AxisFormat::new("us", 500.0, 250.0);
        assert_eq!(f.unit(), "µs");
        assert_eq!(ticks(&f, &[0.0, 250.0, 500.0]), ["0", "250", "500"]);
        assert_eq!(f.with_unit(250.0), "250 µs");
    }

    #[test]
    fn time_axes_take_the_unit_of_their_maximum() {
        // Recorded in ms, up to 1.5 s, 0.5 s apart: seconds with one decimal on every tick.
        let f = AxisFormat::new("ms", 1500.0, 500.0);
        assert_eq!(f.unit(), "s");
        assert_eq!(ticks(&f, &[0.0, 500.0, 1500.0]), ["0.0", "0.5", "1.5"]);
        assert_eq!(f.with_unit(1500.0), "1.5 s");
        // Recorded in µs, up to 3,000 µs: milliseconds.
        let f = AxisFormat::new("µs", 3000.0, 500.0);
        assert_eq!((f.unit(), f.tick(1500.0).as_str()), ("ms", "1.5"));
        // Sub-microsecond values recorded in ms: nanoseconds.
        let f = AxisFormat::new("ms", 0.0004, 0.0001);
        assert_eq!((f.unit(), f.tick(0.0002).as_str()), ("ns", "200"));
        // An axis at zero keeps its unit, as a table writes `0 ms`.
        assert_eq!(AxisFormat::new("ms", 0.0, 1.0).unit(), "ms");
    }

    #[test]
    fn large_values_are_separated_in_thousands_as_in_tables() {
        let f = AxisFormat::new("ops/s", 12_000.0, 2000.0);
        assert_eq!(f.tick(10_000.0), "10,000");
        assert_eq!(f.with_unit(10_000.0), "10,000 ops/s");
        assert_eq!(f.with_unit(10_000.0), quantity(10_000.0, "ops/s"));
        let f = AxisFormat::new("B", 3.2e6, 5e5);
        assert_eq!(f.tick(2.5e6), "2,500,000");
        assert_eq!(AxisFormat::new("ops/s", 100.0, 20.0).tick(-20.0), "-20");
    }

    #[test]
    fn counts_are_never_fractional() {
        let f = AxisFormat::new("count", 4.0, 1.0);
        assert_eq!(f.unit(), "");
        assert_eq!(ticks(&f, &[0.0, 3.0, -0.0]), ["0", "3", "0"]);
        // Even on an axis whose step is fractional.
        assert_eq!(AxisFormat::new("count", 2.0, 0.5).tick(1.5), "2");
        assert_eq!(
            AxisFormat::new("count", 14_305.0, 5000.0).tick(15_000.0),
            "15,000"
        );
    }

    #[test]
    fn decimals_are_what_the_step_needs_on_every_tick() {
        let f = AxisFormat::new("", 0.8, 0.2);
        assert_eq!(ticks(&f, &[0.0, 0.2, 0.8]), ["0.0", "0.2", "0.8"]);
        let f = AxisFormat::new("MiB/s", 1.0, 0.25);
        assert_eq!(ticks(&f, &[0.25, 1.0]), ["0.25", "1.00"]);
        assert_eq!(step_decimals(5000.0), 0);
        assert_eq!(step_decimals(0.005), 3);
    }

    #[test]
    fn ratios_and_percentages_read_as_in_tables() {
        let f = AxisFormat::new("ratio", 1.2, 0.1);
        assert_eq!(f.with_unit(1.1), "1.1×");
        let f = AxisFormat::new("percent", 40.0, 10.0);
        assert_eq!(f.with_unit(30.0), "30 %");
    }

    #[test]
    fn a_single_value_follows_the_precision_rule() {
        let f = AxisFormat::new("us", 1204.0, 0.0);
        assert_eq!(f.with_unit(1204.0), "1.20 ms");
        assert_eq!(f.with_unit(1204.0), quantity(1204.0, "us"));
        assert_eq!(f.tick(f64::NAN), "—");
    }
}
