//! The evidence record: one check's result in one run (documented in
//! `docs/formats/evidence-record.md`), and the environment it ran in.

use serde::{Deserialize, Serialize};

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
    /// Whether tracked or untracked (non-ignored) files differed from `HEAD`.
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
}
