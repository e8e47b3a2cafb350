//! The evidence record: one check's result in one run (documented in
//! `docs/formats/evidence-record.md`), and the environment it ran in.

use serde::{Deserialize, Serialize};

use crate::evidence::conditions::Conditions;
use crate::evidence::metrics::Metric;

/// The evidence record format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Exit code 0, outputs read, no failed tests.
    Pass,
    /// Non-zero exit code or failed tests.
    Fail,
    /// Could not be run, or its outputs were missing or unreadable.
    Error,
    /// Killed after its timeout.
    Timeout,
}

impl Status {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Timeout => "timeout",
        }
    }
}

/// A file recorded by hash (not copied into the run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Path relative to the repository root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the contents, lowercase hex.
    pub sha256: String,
}

/// A captured output stream: bounded text plus the length and hash of the whole stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Captured {
    /// The kept text: the head and the tail of the stream, joined by a marker when cut.
    pub text: String,
    /// Length of the whole stream in bytes.
    pub bytes: u64,
    /// Whether `text` is shorter than the stream.
    pub truncated: bool,
    /// sha256 of the whole stream.
    pub sha256: String,
}

/// Where a run happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Full commit id of `HEAD`.
    pub git_commit: String,
    /// Whether tracked or untracked (non-ignored) files differed from `HEAD`, outside the
    /// folders sitegen writes itself (the evidence ledger and the site).
    pub dirty: bool,
    /// `rustc --version`, or empty when rustc could not be run.
    pub rustc: String,
    /// sha256 of `Cargo.lock`, when there is one.
    pub cargo_lock_sha256: Option<String>,
    /// Operating system and version.
    pub os: String,
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available.
    pub cores: u32,
    /// Total memory in MiB (`MemTotal` of `/proc/meminfo`); absent in records made before
    /// it was captured, or where it cannot be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    /// Kernel release (`/proc/sys/kernel/osrelease`); absent as `memory_mib` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// File system type of the work dir (the mount in `/proc/mounts` with the longest prefix
    /// of the repository root); absent as `memory_mib` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<String>,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRecord {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The check's id.
    pub check_id: String,
    /// The plan phase the check serves.
    #[serde(default)]
    pub phase: Option<u32>,
    /// How it ended.
    pub status: Status,
    /// The command run.
    pub command: Vec<String>,
    /// Its working directory, relative to the repository root.
    pub workdir: String,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Exit code, when the process exited normally.
    pub exit_code: Option<i32>,
    /// Why the status is not `pass`, when known.
    #[serde(default)]
    pub message: Option<String>,
    /// Metrics read from the check's outputs.
    pub metrics: Vec<Metric>,
    /// Files the check produced or read, by hash.
    pub artifacts: Vec<Artifact>,
    /// Standard output.
    pub stdout: Captured,
    /// Standard error.
    pub stderr: Captured,
    /// Where it ran.
    pub environment: Environment,
    /// The load average and CPU frequency/governor at the start and at the end of the check.
    /// Absent in records written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    /// For the records of a `paired` run: the baseline and current measurements side by
    /// side and their verdicts (absent from every other record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Paired>,
}

/// One side of a paired measurement: the commit, the tree it was built in, the binary run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairedSide {
    /// Full commit id.
    pub commit: String,
    /// Whether the tree differed from the commit (the current tree may be dirty; the
    /// baseline worktree never is).
    pub dirty: bool,
    /// The tree the command ran in, relative to the repository root (`.` for the current
    /// tree, `target/paired/<commit>` for the baseline).
    pub tree: String,
    /// The binary measured, relative to its tree, and its sha256 (after the warm-up run built
    /// it); `None` when the side never got that far.
    pub binary: Option<Artifact>,
    /// The command run at this side when it differs from the record's `command` (the check's
    /// `pair_baseline_command`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
}

/// Which way a metric moved, judged from the paired ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedVerdict {
    /// The whole confidence interval is on the worse side of 1 and the geometric mean ratio
    /// is worse by more than the threshold.
    Regressed,
    /// The same on the better side.
    Improved,
    /// Anything else (the interval contains 1, or the change is within the threshold).
    NoSignificantChange,
}

impl PairedVerdict {
    /// How pages and the gate print it.
    pub fn label(self) -> &'static str {
        match self {
            PairedVerdict::Regressed => "regressed",
            PairedVerdict::Improved => "improved",
            PairedVerdict::NoSignificantChange => "no significant change",
        }
    }
}

/// One round: both sides measured, in the order given by `first`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Round number, from 1.
    pub round: u32,
    /// Which side ran first in this round: `baseline` or `current`.
    pub first: String,
    /// Metric name → value measured at the baseline.
    pub baseline: std::collections::BTreeMap<String, f64>,
    /// Metric name → value measured at the current tree.
    pub current: std::collections::BTreeMap<String, f64>,
}

/// One metric's paired result: the geometric mean of the ratios current / baseline with its
/// 95 % confidence interval, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairedMetric {
    /// The metric's name.
    pub name: String,
    /// Its unit.
    #[serde(default)]
    pub unit: String,
    /// Which way is better.
    pub direction: crate::evidence::metrics::Direction,
    /// Pairs the ratio was computed from.
    pub pairs: u32,
    /// Geometric mean of current / baseline.
    pub ratio: f64,
    /// Lower bound of the 95 % confidence interval of the ratio.
    pub ci_lower: f64,
    /// Upper bound.
    pub ci_upper: f64,
    /// The relative change that counts (`[regression] paired_threshold`, or its override).
    pub threshold: f64,
    /// The verdict.
    pub verdict: PairedVerdict,
}

/// A paired measurement of one check: the baseline commit and the current tree run
/// alternately, every pair kept, a verdict per metric (see `docs/formats/evidence-record.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paired {
    /// The baseline side.
    pub baseline: PairedSide,
    /// The current side.
    pub current: PairedSide,
    /// Rounds asked for.
    pub rounds: u32,
    /// How the interval was computed: `t95-log-ratio` (Student t on the log ratios).
    pub interval: String,
    /// Every pair measured, in order.
    pub pairs: Vec<Pair>,
    /// The verdict per metric measured on both sides in every pair, by name.
    pub metrics: Vec<PairedMetric>,
    /// Why the check could not be paired (`status` is then `error`), e.g. the command fails
    /// at the baseline.
    #[serde(default)]
    pub not_pairable: Option<String>,
}
