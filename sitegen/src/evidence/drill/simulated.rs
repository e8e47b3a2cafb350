//! Seeded simulation of the paired verdicts: pairs drawn from a noise model (log-normal noise
//! per run, a slow drift shared by both runs of a pair), judged by
//! [`crate::evidence::paired::judge`] and counted by [`super::tally`], to show that the
//! interval is neither so wide that a 10 % slowdown escapes under realistic noise nor so narrow
//! that an A/A comparison, or a slowdown drowned in heavy noise, is flagged. Deterministic:
//! every assertion names its seed.

use std::collections::BTreeMap;

use super::tally::{self, GateResults, Judged};
use crate::evidence::metrics::{Direction, Metric};
use crate::evidence::paired::judge;
use crate::evidence::record::{Pair, PairedVerdict};
use crate::model::config::RegressionConfig;

const SEED: u64 = 0x5eed_f00d_9a7e;
const NAME: &str = "sim.scan.rows_per_s";

/// splitmix64, and standard normals from it (Box–Muller).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        // In (0, 1]: never 0, so its logarithm is finite.
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The noise model.
struct Model {
    /// Coefficient of variation of one run (0.02 = 2 %).
    cv: f64,
    /// Std-dev of the drift's step per round, on the log scale, shared by both runs of a pair.
    drift: f64,
    /// Extra work planted on the current side (0.10 = each operation takes 10 % longer).
    slowdown: f64,
}

impl Model {
    /// One comparison of `rounds` pairs of a throughput (rows/s) metric.
    fn pairs(&self, rng: &mut Rng, rounds: u32) -> Vec<Pair> {
        let sigma = (1.0 + self.cv * self.cv).ln().sqrt();
        let mut level = 0.0;
        (1..=rounds)
            .map(|round| {
                level += self.drift * rng.normal();
                let mut run = |slow: f64| {
                    let value = 1.0e6 * (level + sigma * rng.normal()).exp() / (1.0 + slow);
                    BTreeMap::from([(NAME.to_string(), value)])
                };
                let baseline = run(0.0);
                let current = run(self.slowdown);
                Pair {
                    round,
                    first: "baseline".into(),
                    baseline,
                    current,
                }
            })
            .collect()
    }
}

fn metrics() -> BTreeMap<String, Metric> {
    BTreeMap::from([(
        NAME.to_string(),
        Metric::new(NAME, 1.0e6, "rows/s", Direction::HigherIsBetter),
    )])
}

/// `comparisons` A/A comparisons and as many A/B ones under `cv`, tallied.
fn drill(seed: u64, cv: f64, comparisons: u32, rounds: u32) -> (GateResults, tally::Tally) {
    let rules = RegressionConfig::default();
    let mut rng = Rng(seed);
    let mut judged_with = |slowdown: f64| {
        let model = Model {
            cv,
            drift: 0.03,
            slowdown,
        };
        judge(&model.pairs(&mut rng, rounds), &metrics(), &rules)
    };
    let mut r = GateResults {
        check: "sim".into(),
        rounds,
        slowdown: 0.10,
        judged: vec![Judged {
            name: NAME.into(),
            threshold: rules.paired_threshold,
        }],
        aa: Vec::new(),
        ab: Vec::new(),
    };
    for _ in 0..comparisons {
        r.aa.push(judged_with(0.0));
        r.ab.push(judged_with(0.10));
    }
    let t = tally::tally(&r);
    (r, t)
}

#[test]
fn under_realistic_noise_no_false_alarm_and_a_ten_percent_slowdown_is_caught() {
    let (r, t) = drill(SEED, 0.02, 20, 5);
    assert_eq!(t.aa_comparisons, 20);
    assert_eq!(
        t.false_alarms, 0,
        "seed {SEED:#x}: A/A flagged regressions: {:?}",
        r.aa
    );
    assert_eq!(t.false_improvements, 0, "seed {SEED:#x}: {:?}", r.aa);
    assert!(
        t.power() >= 0.95,
        "seed {SEED:#x}: power {} ({} of {}): {:?}",
        t.power(),
        t.detected,
        t.ab_comparisons,
        r.ab
    );
    assert!(
        tally::failures(&r, &t).is_empty(),
        "seed {SEED:#x}: {:?}",
        tally::failures(&r, &t)
    );
    // 2 % per run: log ratios of std-dev ≈ 0.028, so the half-width with 5 pairs is about
    // exp(2.776 · 0.028 / √5) − 1 ≈ 3.5 %, under the 5 % threshold that then bounds it.
    let [mde] = t.mde.as_slice() else {
        panic!("seed {SEED:#x}: {:?}", t.mde)
    };
    assert!(
        mde.half_width > 0.015 && mde.half_width < 0.06,
        "seed {SEED:#x}: {mde:?}"
    );
    assert_eq!(mde.value, 0.05, "seed {SEED:#x}: {mde:?}");
}

#[test]
fn under_heavy_noise_a_ten_percent_slowdown_is_not_reliably_flagged() {
    let (r, t) = drill(SEED ^ 0x30, 0.30, 20, 5);
    assert_eq!(t.false_alarms, 0, "seed {:#x}: {:?}", SEED ^ 0x30, r.aa);
    assert!(
        t.power() < 0.5,
        "seed {:#x}: a 10 % change under 30 % noise was flagged {} of {} times: the interval \
         is too narrow",
        SEED ^ 0x30,
        t.detected,
        t.ab_comparisons
    );
    // The interval is wide, and so is the smallest detectable change.
    let mde = t.mde.first().map(|m| m.value).unwrap_or(0.0);
    assert!(mde > 0.2, "seed {:#x}: {:?}", SEED ^ 0x30, t.mde);
}

#[test]
fn the_simulated_verdicts_are_those_of_the_intervals() {
    // A sanity check of the model itself: without noise or drift, A/B is exactly 1 / 1.1.
    let model = Model {
        cv: 0.0,
        drift: 0.0,
        slowdown: 0.10,
    };
    let pairs = model.pairs(&mut Rng(SEED), 3);
    let verdicts = judge(&pairs, &metrics(), &RegressionConfig::default());
    let [v] = verdicts.as_slice() else {
        panic!("{verdicts:?}")
    };
    assert!((v.ratio - 1.0 / 1.1).abs() < 1e-9, "{v:?}");
    assert_eq!(v.verdict, PairedVerdict::Regressed);
}
