//! Tick and value labels for charts: time units rescaled (ns/µs/ms/s), thousands separators,
//! k/M suffixes for large counts and rates, as many decimals as the tick step needs.
//!
//! Self-contained on purpose (charts need only a few rules); a site-wide number format can
//! replace it later.

/// How the numbers of one axis are written: a scale (time units rescaled) and the decimals the
/// step needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Format {
    /// Divide values by this before printing.
    divisor: f64,
    /// Suffix after the number (`k`, `M`), empty for none.
    suffix: &'static str,
    /// Unit shown for the axis (after rescaling), e.g. `ms` for values recorded in µs.
    pub unit: String,
    /// Decimals after the point.
    decimals: usize,
}

/// Seconds per time unit, for the time units charts rescale.
fn time_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1e-9,
        "µs" | "us" | "μs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => return None,
    })
}

impl Format {
    /// The format for an axis of `unit` whose largest magnitude is `max_abs` and whose ticks
    /// are `step` apart (a histogram bin width, a tick step; 0 for single values).
    pub fn for_axis(unit: &str, max_abs: f64, step: f64) -> Format {
        let (divisor, suffix, shown) = if let Some(secs) = time_unit(unit) {
            // The largest unit in which the biggest value is at least 1 (zero keeps its unit).
            let in_secs = max_abs * secs;
            match [("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)]
                .into_iter()
                .find(|(_, s)| in_secs >= *s * (1.0 - 1e-9))
            {
                Some((shown, s)) if in_secs > 0.0 => (s / secs, "", shown.to_string()),
                _ => (1.0, "", unit.to_string()),
            }
        } else if (1e6..1e15).contains(&max_abs) {
            (1e6, "M", unit.to_string())
        } else if (1e4..1e15).contains(&max_abs) && step >= 100.0 {
            (1e3, "k", unit.to_string())
        } else {
            (1.0, "", unit.to_string())
        };
        let scaled_step = step / divisor;
        let decimals = if scaled_step > 0.0 && scaled_step.is_finite() {
            // Enough decimals to tell neighbouring ticks apart (steps are 1, 2 or 5 × 10^k).
            (-(scaled_step.log10() + 1e-9).floor()).clamp(0.0, 9.0) as usize
        } else {
            2
        };
        Format {
            divisor,
            suffix,
            unit: shown,
            decimals,
        }
    }

    /// `v` as a tick label (no unit: the axis names it once).
    pub fn tick(&self, v: f64) -> String {
        let scaled = v / self.divisor;
        if scaled.abs() >= 1e15 {
            return format!("{scaled:.2e}");
        }
        let mut s = group_thousands(&format!("{scaled:.*}", self.decimals));
        if s == "-0" || s.starts_with("-0.") && s[1..].chars().all(|c| c == '0' || c == '.') {
            s.remove(0);
        }
        s.push_str(self.suffix);
        s
    }

    /// `v` with the axis unit, e.g. `1.25 ms`.
    pub fn with_unit(&self, v: f64) -> String {
        if self.unit.is_empty() {
            self.tick(v)
        } else {
            format!("{} {}", self.tick(v), self.unit)
        }
    }
}

/// A single value with its unit, at about 4 significant digits, e.g. `9,643 ops/s`,
/// `1.204 ms` (recorded as 1204 µs) — for tooltips and threshold labels.
pub fn value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return format!("{v} {unit}").trim_end().to_string();
    }
    let f = Format::for_axis(unit, v.abs(), 0.0);
    let scaled = (v / f.divisor).abs();
    // Four significant digits, never fewer than needed to show a whole number.
    let decimals = if scaled == 0.0 || scaled >= 1000.0 {
        0
    } else {
        (3.0 - scaled.log10().floor()).clamp(0.0, 9.0) as usize
    };
    let f = Format { decimals, ..f };
    let out = f.with_unit(v);
    trim_zeros(&out)
}

/// Drops trailing zeros after a decimal point (`1.500 ms` → `1.5 ms`).
fn trim_zeros(s: &str) -> String {
    let (num, rest) =
        match s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',' || c == '-')) {
            Some(i) => s.split_at(i),
            None => (s, ""),
        };
    if !num.contains('.') {
        return s.to_string();
    }
    let num = num.trim_end_matches('0').trim_end_matches('.');
    format!("{num}{rest}")
}

/// Inserts `,` between groups of three digits of the integer part.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if int.len() <= 3 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands("9643"), "9,643");
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("1.5e20"), "1.5e20");
    }

    #[test]
    fn time_axes_are_rescaled() {
        // Values recorded in µs, up to 3,000 µs, ticks 500 µs apart: shown in ms.
        let f = Format::for_axis("µs", 3000.0, 500.0);
        assert_eq!(f.unit, "ms");
        assert_eq!(f.tick(1500.0), "1.5");
        assert_eq!(f.tick(3000.0), "3.0");
        // Sub-microsecond values recorded in ms are shown in ns.
        let f = Format::for_axis("ms", 0.0004, 0.0001);
        assert_eq!(f.unit, "ns");
        assert_eq!(f.tick(0.0002), "200");
        // Seconds stay seconds.
        assert_eq!(Format::for_axis("s", 12.0, 2.0).unit, "s");
    }

    #[test]
    fn large_rates_use_suffixes_and_separators() {
        let f = Format::for_axis("ops/s", 14_000.0, 2000.0);
        assert_eq!(f.tick(12_000.0), "12k");
        let f = Format::for_axis("ops/s", 9800.0, 200.0);
        assert_eq!(f.tick(9600.0), "9,600");
        let f = Format::for_axis("B", 3.2e6, 5e5);
        assert_eq!(f.tick(2.5e6), "2.5M");
        let f = Format::for_axis("count", 4.0, 1.0);
        assert_eq!(f.tick(3.0), "3");
        assert_eq!(f.tick(-0.0), "0");
    }

    #[test]
    fn single_values_have_four_significant_digits() {
        assert_eq!(value(9643.2, "ops/s"), "9,643 ops/s");
        assert_eq!(value(1204.0, "µs"), "1.204 ms");
        assert_eq!(value(1500.0, "µs"), "1.5 ms");
        assert_eq!(value(0.125, ""), "0.125");
        assert_eq!(value(2.5e7, "ops"), "25M ops");
        assert_eq!(value(0.0, "ms"), "0 ms");
    }
}
