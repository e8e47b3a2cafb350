//! A slowdown knob that exists only for the gate drill (`sitegen drill gate`, see
//! `docs/gate-honesty.md`): with `LIGHTNING_BENCH_EXTRA_WORK=<fraction>` in its environment, a
//! benchmark that honours it spins on real computation after each timed operation, inside the
//! timed region, until the elapsed time is (1 + fraction) × the operation's own time. The drill
//! uses it to plant a known slowdown and see whether the paired verdicts catch it.
//!
//! Absent, nothing changes. A value that is not a number, is negative or exceeds [`MAX`] is an
//! error, never silently ignored; a benchmark run with the knob set reports it as a metric, so
//! a slowed-down run can never pass for a normal one.

use std::time::{Duration, Instant};

/// The environment variable.
pub const VAR: &str = "LIGHTNING_BENCH_EXTRA_WORK";

/// The largest fraction accepted: ten times the work added.
pub const MAX: f64 = 10.0;

/// Why the value of [`VAR`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{VAR}={value:?}: {why}; expected a fraction of extra work from 0 to {MAX}, e.g. 0.10 \
     (or leave it unset)"
)]
pub struct BadExtraWork {
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// The extra work asked for: a fraction of each timed operation's own time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtraWork(f64);

impl ExtraWork {
    /// The knob from the process environment: `None` when [`VAR`] is unset.
    pub fn from_env() -> Result<Option<ExtraWork>, BadExtraWork> {
        match std::env::var_os(VAR) {
            None => Ok(None),
            Some(v) => ExtraWork::parse(&v.to_string_lossy()).map(Some),
        }
    }

    /// Parses a fraction such as `0.10`.
    pub fn parse(text: &str) -> Result<ExtraWork, BadExtraWork> {
        let bad = |why| BadExtraWork {
            value: text.to_string(),
            why,
        };
        let f: f64 = text.trim().parse().map_err(|_| bad("not a number"))?;
        if !f.is_finite() {
            return Err(bad("not a finite number"));
        }
        if f < 0.0 {
            return Err(bad("negative"));
        }
        if f > MAX {
            return Err(bad("too large"));
        }
        Ok(ExtraWork(f))
    }

    /// The fraction.
    pub fn fraction(self) -> f64 {
        self.0
    }

    /// How long an operation that took `own` should appear to take: (1 + fraction) × `own`.
    pub fn target(self, own: Duration) -> Duration {
        own.mul_f64(1.0 + self.0)
    }

    /// Called at the end of a timed operation that started at `start`: spins on real
    /// computation (hashing through [`std::hint::black_box`], never sleeping) until the
    /// elapsed time reaches [`ExtraWork::target`] of the operation's own time; returns the
    /// elapsed time, at least that target.
    pub fn pad(self, start: Instant) -> Duration {
        let own = start.elapsed();
        let target = self.target(own);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ own.as_nanos() as u64;
        loop {
            for _ in 0..256 {
                state = std::hint::black_box(mix(state));
            }
            let elapsed = start.elapsed();
            if elapsed >= target {
                return elapsed;
            }
        }
    }
}

/// One step of the splitmix64 finaliser: the busy-work.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_parse_and_bad_values_are_refused_by_name() {
        assert_eq!(ExtraWork::parse("0.10").map(ExtraWork::fraction), Ok(0.10));
        assert_eq!(ExtraWork::parse(" 0 ").map(ExtraWork::fraction), Ok(0.0));
        assert_eq!(ExtraWork::parse("10").map(ExtraWork::fraction), Ok(10.0));
        for (text, why) in [
            ("fast", "not a number"),
            ("", "not a number"),
            ("-0.1", "negative"),
            ("10.5", "too large"),
            ("NaN", "not a finite number"),
            ("inf", "not a finite number"),
        ] {
            let e = ExtraWork::parse(text).expect_err(text);
            assert_eq!(e.why, why, "{text}");
            let msg = e.to_string();
            assert!(msg.contains(VAR) && msg.contains("fraction"), "{msg}");
        }
    }

    #[test]
    fn the_target_grows_the_own_time_by_the_fraction() {
        let w = ExtraWork::parse("0.10").expect("parses");
        assert_eq!(
            w.target(Duration::from_millis(200)),
            Duration::from_millis(220)
        );
        let none = ExtraWork::parse("0").expect("parses");
        assert_eq!(
            none.target(Duration::from_millis(200)),
            Duration::from_millis(200)
        );
        let triple = ExtraWork::parse("2").expect("parses");
        assert_eq!(
            triple.target(Duration::from_micros(5)),
            Duration::from_micros(15)
        );
    }

    #[test]
    fn padding_never_ends_before_the_target() {
        let w = ExtraWork::parse("0.5").expect("parses");
        let start = Instant::now();
        while start.elapsed() < Duration::from_micros(200) {
            std::hint::black_box(mix(1));
        }
        let own = start.elapsed();
        let padded = w.pad(start);
        // A lower bound only (the work is at least what was asked), never a timing assertion.
        assert!(padded >= w.target(own), "{padded:?} < 1.5 × {own:?}");
    }

    #[test]
    fn the_mix_is_real_computation() {
        assert_ne!(mix(1), mix(2));
        assert_ne!(mix(0), 0);
    }
}
