//! How numbers read on every page: one precision rule, units written naturally, changes signed
//! and classed by the metric's direction — pure functions, and the tera filters that expose
//! them to templates ([`register`]).
//!
//! The rules (documented for users in `docs/publishing.md`, "How numbers are shown"):
//!
//! - **Precision**: three significant digits, but never fewer digits than the integer part has
//!   (`241.2129` → `241`, `1466.13` → `1,466`, `0.012345` → `0.0123`, `1.5` → `1.50`); a whole
//!   number is shown whole (`3`, `14,305`). Thousands are separated by commas.
//! - **Durations** (`ns`, `us`/`µs`, `ms`, `s`, `min`): scaled to the largest unit that keeps
//!   the value at least 1 (`1,234 us` → `1.23 ms`); from a minute on, minutes and seconds
//!   (`174 s` → `2 min 54 s`), from an hour on, hours and minutes.
//! - **Units**: `count` is not written (`0`, `14,305`); `ratio` (or `x`) is a factor (`1.00×`);
//!   `percent`/`%` is `12.3 %`; every other unit follows the value after a space (`12.3 MiB/s`).
//! - **Changes** (a percentage): signed with `+` or `−` (U+2212), e.g. `+12.3 %`, `−4.10 %`,
//!   `0 %`, with at most two decimals (`−0.01 %`); their class is `better`, `worse` or `same` by the metric's direction.
//! - **Charts**: point tooltips and threshold labels are single values written by [`quantity`];
//!   tick labels follow the same units and separators with one unit and one number of decimals
//!   per axis ([`axis`]).

pub mod axis;

use std::collections::HashMap;

use serde_json::Value;

/// Significant digits of every shown value.
const DIGITS: i32 = 3;

/// `digits` (ASCII, no sign) with a comma between each group of three.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `v` with `decimals` decimals, its integer part grouped in thousands; `-` for negatives.
fn fixed(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let negative = v < 0.0 && text_is_nonzero(&int, frac.as_deref());
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_thousands(&int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

fn text_is_nonzero(int: &str, frac: Option<&str>) -> bool {
    int.chars()
        .chain(frac.unwrap_or("").chars())
        .any(|c| c != '0')
}

/// The one precision rule: three significant digits (trailing zeros kept, `1.50`), whole
/// numbers from 100 on (`1,466`), thousands separated; `—` for a value that is not finite.
pub fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (DIGITS - 1 - magnitude).max(0) as usize;
    // Rounding can carry into the next magnitude (9.996 → 10.0): recompute once.
    let rounded: f64 = format!("{:.*}", decimals, v).parse().unwrap_or(v);
    if rounded != 0.0 && rounded.abs().log10().floor() as i32 > magnitude {
        let decimals = (DIGITS - 2 - magnitude).max(0) as usize;
        return fixed(v, decimals);
    }
    fixed(v, decimals)
}

/// A value whole numbers show whole (`3`, `14,305`), others by [`significant`].
pub fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        fixed(v, 0)
    } else {
        significant(v)
    }
}

/// The length of one `unit` of time in nanoseconds, when `unit` is a unit of time.
fn nanos_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "min" => 60e9,
        _ => return None,
    })
}

/// A duration of `ns` nanoseconds in the largest unit that keeps it at least 1.
pub fn duration_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "—".into();
    }
    let sign = if ns < 0.0 { "−" } else { "" };
    let a = ns.abs();
    if a >= 60e9 {
        let total_s = (a / 1e9).round() as u64;
        let text = if total_s >= 3600 {
            format!("{} h {:02} min", total_s / 3600, (total_s % 3600 + 30) / 60)
        } else {
            format!("{} min {} s", total_s / 60, total_s % 60)
        };
        return format!("{sign}{text}");
    }
    let (scale, name) = if a >= 1e9 {
        (1e9, "s")
    } else if a >= 1e6 {
        (1e6, "ms")
    } else if a >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    };
    let shown = significant(a / scale);
    // Rounding up may reach the next unit (999.6 µs → "1,000 µs"): show it there instead.
    if shown == "1,000" && name != "s" {
        return format!("{sign}{}", duration_ns(a.max(scale * 1000.0)));
    }
    format!("{sign}{shown} {name}")
}

/// A unit as written after a value: `us` is `µs`; `count` is not written.
pub fn unit_name(unit: &str) -> &str {
    match unit {
        "us" | "μs" => "µs",
        "count" => "",
        u => u,
    }
}

/// `v` in `unit`, as pages show it: durations scaled, counts bare, ratios as factors,
/// percentages with `%`, any other unit after the value.
pub fn quantity(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if let Some(n) = nanos_per(unit) {
        if v == 0.0 {
            return format!("0 {}", unit_name(unit));
        }
        return duration_ns(v * n);
    }
    match unit {
        "ratio" | "x" | "×" => format!("{}×", significant(v)),
        "percent" | "%" => format!("{} %", significant(v)),
        _ => match unit_name(unit) {
            "" => number(v),
            u => format!("{} {u}", number(v)),
        },
    }
}

/// The magnitude of a change in percent: three significant digits, at most two decimals
/// (`0.00732` → `0.01`), and `0` for what rounds to nothing.
fn percent_magnitude(pct: f64) -> String {
    let a = pct.abs();
    if a < 0.005 {
        return "0".into();
    }
    if a < 1.0 {
        return fixed(a, 2);
    }
    significant(a)
}

/// A change in percent, signed: `+12.3 %`, `−4.10 %` (U+2212), `0 %`; at most two decimals.
pub fn signed_percent(pct: f64) -> String {
    if !pct.is_finite() {
        return "—".into();
    }
    let body = percent_magnitude(pct);
    if body == "0" {
        return "0 %".into();
    }
    let sign = if pct > 0.0 { "+" } else { "−" };
    format!("{sign}{body} %")
}

/// The class of a change by the metric's direction (`higher_is_better` or `lower_is_better`):
/// `better`, `worse`, or `same` for no change or an unknown direction.
pub fn change_class(pct: f64, direction: &str) -> &'static str {
    let sign = match direction {
        "higher_is_better" => 1.0,
        "lower_is_better" => -1.0,
        _ => 0.0,
    };
    let shown_zero = percent_magnitude(pct) == "0";
    match pct * sign {
        x if shown_zero || x == 0.0 || !x.is_finite() => "same",
        x if x > 0.0 => "better",
        _ => "worse",
    }
}

/// Registers the filters on `tera`: `{{ v | qty(unit=u) }}` ([`quantity`]),
/// `{{ v | num }}` ([`number`]), `{{ pct | signed_pct }}` ([`signed_percent`]) and
/// `{{ pct | change_class(direction=d) }}` ([`change_class`]). A value that is not a number
/// renders as `—`.
pub fn register(tera: &mut tera::Tera) {
    tera.register_filter("qty", |v: &Value, args: &HashMap<String, Value>| {
        let unit = args.get("unit").and_then(Value::as_str).unwrap_or("");
        Ok(Value::String(
            v.as_f64().map_or("—".into(), |v| quantity(v, unit)),
        ))
    });
    tera.register_filter("num", |v: &Value, _: &HashMap<String, Value>| {
        Ok(Value::String(v.as_f64().map_or("—".into(), number)))
    });
    tera.register_filter("signed_pct", |v: &Value, _: &HashMap<String, Value>| {
        Ok(Value::String(v.as_f64().map_or("—".into(), signed_percent)))
    });
    tera.register_filter(
        "change_class",
        |v: &Value, args: &HashMap<String, Value>| {
            let direction = args.get("direction").and_then(Value::as_str).unwrap_or("");
            Ok(Value::String(
                v.as_f64()
                    .map_or("same", |p| change_class(p, direction))
                    .into(),
            ))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits_whole_from_a_hundred() {
        assert_eq!(significant(241.2129027310116), "241");
        assert_eq!(significant(1466.1343419999998), "1,466");
        assert_eq!(significant(0.012345), "0.0123");
        assert_eq!(significant(12.345), "12.3");
        assert_eq!(significant(1.5), "1.50");
        assert_eq!(significant(9.996), "10.0");
        assert_eq!(significant(99.96), "100");
        assert_eq!(significant(-0.5), "-0.500");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(f64::NAN), "—");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(number(14305.0), "14,305");
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(-14305.0), "-14,305");
        assert_eq!(significant(1234567.89), "1,234,568");
    }

    #[test]
    fn whole_numbers_stay_whole() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.25), "2.25");
    }

    #[test]
    fn durations_take_the_largest_unit_that_keeps_them_at_least_one() {
        assert_eq!(quantity(241.2129027310116, "ms"), "241 ms");
        assert_eq!(quantity(1466.1343419999998, "ms"), "1.47 s");
        assert_eq!(quantity(1234.0, "us"), "1.23 ms");
        assert_eq!(quantity(12.5, "us"), "12.5 µs");
        assert_eq!(quantity(850.0, "ns"), "850 ns");
        assert_eq!(quantity(2500.0, "ns"), "2.50 µs");
        assert_eq!(quantity(0.5, "s"), "500 ms");
        assert_eq!(quantity(174.0, "s"), "2 min 54 s");
        assert_eq!(quantity(59.9996, "s"), "60.0 s");
        assert_eq!(quantity(3725.0, "s"), "1 h 02 min");
        assert_eq!(quantity(999.96, "us"), "1.00 ms");
        assert_eq!(quantity(0.0, "ms"), "0 ms");
    }

    #[test]
    fn units_read_naturally() {
        assert_eq!(quantity(0.0, "count"), "0");
        assert_eq!(quantity(14305.0, "count"), "14,305");
        assert_eq!(quantity(1.0, "ratio"), "1.00×");
        assert_eq!(quantity(0.953, "ratio"), "0.953×");
        assert_eq!(quantity(3.0, "x"), "3.00×");
        assert_eq!(quantity(12.34, "percent"), "12.3 %");
        assert_eq!(quantity(123.456, "MiB/s"), "123 MiB/s");
        assert_eq!(quantity(42.0, "txns"), "42 txns");
        assert_eq!(quantity(f64::INFINITY, "ms"), "—");
        assert_eq!(unit_name("us"), "µs");
        assert_eq!(unit_name("count"), "");
        assert_eq!(unit_name("MiB"), "MiB");
    }

    #[test]
    fn changes_are_signed_with_a_true_minus() {
        assert_eq!(signed_percent(12.345), "+12.3 %");
        assert_eq!(signed_percent(-4.1), "−4.10 %");
        assert_eq!(signed_percent(0.0), "0 %");
        assert_eq!(signed_percent(-250.0), "−250 %");
        assert_eq!(signed_percent(-0.00732), "−0.01 %");
        assert_eq!(signed_percent(0.5), "+0.50 %");
        assert_eq!(signed_percent(0.001), "0 %");
    }

    #[test]
    fn change_class_follows_the_direction() {
        assert_eq!(change_class(5.0, "higher_is_better"), "better");
        assert_eq!(change_class(-5.0, "higher_is_better"), "worse");
        assert_eq!(change_class(5.0, "lower_is_better"), "worse");
        assert_eq!(change_class(-5.0, "lower_is_better"), "better");
        assert_eq!(change_class(0.0, "lower_is_better"), "same");
        // A change shown as 0 % is not coloured either way.
        assert_eq!(change_class(0.001, "lower_is_better"), "same");
        assert_eq!(change_class(5.0, "unknown"), "same");
    }

    #[test]
    fn filters_format_numbers_and_dash_the_rest() {
        let mut tera = tera::Tera::default();
        register(&mut tera);
        tera.add_raw_template(
            "t",
            "{{ a | qty(unit=\"us\") }}|{{ b | qty(unit=\"ms\") }}|{{ c | signed_pct }}|{{ c | change_class(direction=\"lower_is_better\") }}|{{ d | num }}",
        )
        .expect("compiles");
        let ctx = tera::Context::from_value(
            serde_json::json!({"a": 1500.0, "b": null, "c": -3.0, "d": 14305}),
        )
        .expect("context");
        assert_eq!(
            tera.render("t", &ctx).expect("renders"),
            "1.50 ms|—|−3.00 %|better|14,305"
        );
    }
}
