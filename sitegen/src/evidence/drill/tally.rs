//! The arithmetic of the gate drill: from the verdicts of its A/A and A/B comparisons, the
//! false alarms, the power, the smallest detectable change per metric, the metrics document
//! and whether the gate proved honest. No running, no clock: every figure here follows from
//! the judged comparisons alone.

use crate::evidence::metrics::{Direction, FORMAT_VERSION, Metric, MetricsFile};
use crate::evidence::record::{PairedMetric, PairedVerdict};

/// Power below this fails the drill: a planted slowdown must be caught 19 times in 20.
pub const MIN_POWER: f64 = 0.95;

/// Whether the drill judges a metric of unit `unit` for the planted slowdown: the time-based
/// ones, a duration (`s`, `ms`, `us`, `µs`, `ns`) or a rate (`…/s`, e.g. the OLAP scan's
/// `rows/s` and `MiB/s`) — what extra work inside the timed region moves. Counts, sizes and
/// the knob's own `bench.extra_work` are not judged.
pub fn is_time_based(unit: &str) -> bool {
    matches!(unit, "s" | "ms" | "us" | "µs" | "ns") || unit.ends_with("/s")
}

/// The verdicts of one paired comparison, one per metric [`crate::evidence::paired::judge`]
/// could judge.
pub type Comparison = Vec<PairedMetric>;

/// A metric the drill judges for the slowdown, and its paired threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The metric's name.
    pub name: String,
    /// `[regression] paired_threshold`, or its override for this metric.
    pub threshold: f64,
}

/// Everything the drill measured.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResults {
    /// The check measured.
    pub check: String,
    /// Rounds (pairs) per comparison.
    pub rounds: u32,
    /// The planted slowdown, as a fraction of the work.
    pub slowdown: f64,
    /// The metrics judged for the slowdown.
    pub judged: Vec<Judged>,
    /// The A/A comparisons: both sides the same command, unchanged.
    pub aa: Vec<Comparison>,
    /// The A/B comparisons: the current side slowed down by `slowdown`.
    pub ab: Vec<Comparison>,
}

/// The smallest detectable change of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Mde {
    /// The metric's name.
    pub name: String,
    /// The median over the A/A comparisons of the 95 % interval's half-width, as a ratio
    /// minus 1: exp(t975(R − 1) · s / √R) − 1, `s` the std-dev of the log ratios.
    pub half_width: f64,
    /// The paired threshold: no change within it is ever flagged.
    pub threshold: f64,
    /// The larger of the two: the smallest change the gate resolves.
    pub value: f64,
}

/// The counts and rates of the drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// A/A comparisons.
    pub aa_comparisons: u32,
    /// A/A comparisons with some metric judged `regressed`.
    pub false_alarms: u32,
    /// A/A comparisons with some metric judged `improved`.
    pub false_improvements: u32,
    /// A/B comparisons.
    pub ab_comparisons: u32,
    /// A/B comparisons in which every judged metric was judged `regressed`.
    pub detected: u32,
    /// Per judged metric, the smallest detectable change.
    pub mde: Vec<Mde>,
}

impl Tally {
    /// False alarms per A/A comparison.
    pub fn false_alarm_rate(&self) -> f64 {
        rate(self.false_alarms, self.aa_comparisons)
    }

    /// Detections per A/B comparison.
    pub fn power(&self) -> f64 {
        rate(self.detected, self.ab_comparisons)
    }
}

fn rate(n: u32, of: u32) -> f64 {
    if of == 0 {
        0.0
    } else {
        f64::from(n) / f64::from(of)
    }
}

fn any(c: &Comparison, v: PairedVerdict) -> bool {
    c.iter().any(|m| m.verdict == v)
}

/// Whether the A/B comparison `c` caught the slowdown: every judged metric is in it and
/// judged `regressed`; what the other metrics say does not count.
pub fn detects(c: &Comparison, judged: &[Judged]) -> bool {
    !judged.is_empty()
        && judged.iter().all(|j| {
            c.iter()
                .any(|m| m.name == j.name && m.verdict == PairedVerdict::Regressed)
        })
}

/// The interval's half-width of `m` as a ratio minus 1 (`ci_upper / ratio` = exp(half) on the
/// log scale).
pub fn half_width(m: &PairedMetric) -> f64 {
    m.ci_upper / m.ratio - 1.0
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v.get(n / 2 - 1)? + v.get(n / 2)?) / 2.0),
    }
}

/// Counts the results.
pub fn tally(r: &GateResults) -> Tally {
    let count = |cs: &[Comparison], f: &dyn Fn(&Comparison) -> bool| {
        cs.iter().filter(|c| f(c)).count() as u32
    };
    let mde = r
        .judged
        .iter()
        .filter_map(|j| {
            let widths =
                r.aa.iter()
                    .filter_map(|c| c.iter().find(|m| m.name == j.name).map(half_width))
                    .collect();
            let half_width = median(widths)?;
            Some(Mde {
                name: j.name.clone(),
                half_width,
                threshold: j.threshold,
                value: half_width.max(j.threshold),
            })
        })
        .collect();
    Tally {
        aa_comparisons: r.aa.len() as u32,
        false_alarms: count(&r.aa, &|c| any(c, PairedVerdict::Regressed)),
        false_improvements: count(&r.aa, &|c| any(c, PairedVerdict::Improved)),
        ab_comparisons: r.ab.len() as u32,
        detected: count(&r.ab, &|c| detects(c, &r.judged)),
        mde,
    }
}

/// Why the gate did not prove honest, one reason each; empty when it did: no A/A comparison
/// flagged anything, and the power is at least [`MIN_POWER`].
pub fn failures(r: &GateResults, t: &Tally) -> Vec<String> {
    let mut why = Vec::new();
    if t.false_alarms > 0 {
        why.push(format!(
            "{} of {} A/A comparisons (the same command on both sides) judged a metric regressed",
            t.false_alarms, t.aa_comparisons
        ));
    }
    if t.false_improvements > 0 {
        why.push(format!(
            "{} of {} A/A comparisons judged a metric improved",
            t.false_improvements, t.aa_comparisons
        ));
    }
    if t.power() < MIN_POWER {
        why.push(format!(
            "a planted slowdown of {:.0} % was detected in {} of {} A/B comparisons (power {:.2} \
             < {MIN_POWER}); does check `{}` honour LIGHTNING_BENCH_EXTRA_WORK, and is the \
             slowdown above the smallest detectable change?",
            r.slowdown * 100.0,
            t.detected,
            t.ab_comparisons,
            t.power(),
            r.check
        ));
    }
    why
}

/// The drill's own metrics document.
pub fn metrics(r: &GateResults, t: &Tally) -> MetricsFile {
    let count = |n: u32| f64::from(n);
    let mut metrics = vec![
        Metric::higher("gate.aa.comparisons", count(t.aa_comparisons), "count"),
        Metric::lower("gate.aa.false_alarms", count(t.false_alarms), "count"),
        Metric::lower(
            "gate.aa.false_improvements",
            count(t.false_improvements),
            "count",
        ),
        Metric::lower("gate.aa.false_alarm_rate", t.false_alarm_rate(), "ratio"),
        Metric::higher("gate.ab.comparisons", count(t.ab_comparisons), "count"),
        Metric::higher("gate.ab.detected", count(t.detected), "count"),
        Metric::higher("gate.ab.power", t.power(), "ratio"),
        // Power at a smaller planted slowdown is the stronger claim.
        Metric::new(
            "gate.ab.slowdown",
            r.slowdown,
            "ratio",
            Direction::LowerIsBetter,
        ),
    ];
    for m in &t.mde {
        metrics.push(Metric::lower(
            format!("gate.mde.{}", m.name),
            m.value,
            "ratio",
        ));
    }
    MetricsFile {
        format_version: FORMAT_VERSION,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(name: &str, ratio: f64, half: f64, verdict: PairedVerdict) -> PairedMetric {
        PairedMetric {
            name: name.into(),
            unit: "rows/s".into(),
            direction: Direction::HigherIsBetter,
            pairs: 5,
            ratio,
            ci_lower: ratio / (1.0 + half),
            ci_upper: ratio * (1.0 + half),
            threshold: 0.05,
            verdict,
        }
    }

    fn results() -> GateResults {
        use PairedVerdict::*;
        GateResults {
            check: "c".into(),
            rounds: 5,
            slowdown: 0.1,
            judged: vec![Judged {
                name: "x.rows_per_s".into(),
                threshold: 0.05,
            }],
            aa: vec![
                vec![pm("x.rows_per_s", 1.0, 0.01, NoSignificantChange)],
                vec![pm("x.rows_per_s", 1.0, 0.03, NoSignificantChange)],
                vec![pm("x.rows_per_s", 0.9, 0.02, Regressed)],
                vec![
                    pm("x.rows_per_s", 1.0, 0.10, NoSignificantChange),
                    pm("x.other", 1.1, 0.01, Improved),
                ],
            ],
            ab: vec![
                vec![pm("x.rows_per_s", 0.9, 0.02, Regressed)],
                vec![pm("x.rows_per_s", 0.98, 0.02, NoSignificantChange)],
                // An unjudged metric regressing is not a detection.
                vec![
                    pm("x.rows_per_s", 1.0, 0.02, NoSignificantChange),
                    pm("x.other", 0.5, 0.01, Regressed),
                ],
            ],
        }
    }

    #[test]
    fn counts_rates_and_the_smallest_detectable_change() {
        let r = results();
        let t = tally(&r);
        assert_eq!(
            (t.aa_comparisons, t.false_alarms, t.false_improvements),
            (4, 1, 1)
        );
        assert_eq!((t.ab_comparisons, t.detected), (3, 1));
        assert_eq!(t.false_alarm_rate(), 0.25);
        assert!((t.power() - 1.0 / 3.0).abs() < 1e-12);
        let [m] = t.mde.as_slice() else {
            panic!("{:?}", t.mde)
        };
        // Half-widths 0.01, 0.03, 0.02, 0.10: median 0.025; below the threshold, so 0.05.
        assert!((m.half_width - 0.025).abs() < 1e-12, "{m:?}");
        assert_eq!(m.value, 0.05);
        let why = failures(&r, &t);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[2].contains("LIGHTNING_BENCH_EXTRA_WORK"), "{why:?}");
    }

    #[test]
    fn the_metrics_document_is_valid_and_directed() {
        let r = results();
        let doc = metrics(&r, &tally(&r));
        crate::evidence::metrics::validate("drill", &doc.metrics).expect("valid");
        let get = |n: &str| doc.metrics.iter().find(|m| m.name == n).cloned();
        assert_eq!(
            get("gate.aa.false_alarms").map(|m| m.direction),
            Some(Direction::LowerIsBetter)
        );
        assert_eq!(
            get("gate.ab.power").map(|m| (m.direction, m.unit)),
            Some((Direction::HigherIsBetter, "ratio".to_string()))
        );
        assert_eq!(get("gate.mde.x.rows_per_s").map(|m| m.value), Some(0.05));
    }

    #[test]
    fn time_based_units_are_durations_and_rates() {
        for u in ["s", "ms", "µs", "ns", "rows/s", "MiB/s", "ops/s"] {
            assert!(is_time_based(u), "{u}");
        }
        for u in ["count", "ratio", "MiB", "bytes", ""] {
            assert!(!is_time_based(u), "{u}");
        }
    }
}
