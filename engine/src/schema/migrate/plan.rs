//! Files against history: which versions are applied, which are pending, and what is refused —
//! an applied file changed since (its SHA-256 differs), a renamed one, a gap in the version
//! numbers, a new file below the latest applied version (out of order), a history entry whose
//! file is gone. Pure: no I/O, so the same comparison serves `status`, `validate`, `up`,
//! `down` and `repair`.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::files::{MigrationSet, hex};
use super::history::{Entry, History, Kind};

/// Something about files and history that `up`, `down` and `validate` refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// An applied migration's file differs from what was applied.
    Changed {
        /// The version.
        version: u64,
        /// The file (or the file that is now missing or new).
        file: PathBuf,
        /// `up` or `down`.
        half: &'static str,
        /// The SHA-256 the history recorded (`None`: there was no such file).
        recorded: Option<String>,
        /// The SHA-256 on disk (`None`: the file is gone).
        found: Option<String>,
    },
    /// An applied migration's file now carries another name.
    Renamed {
        /// The version.
        version: u64,
        /// The name the history recorded.
        recorded: String,
        /// The file on disk.
        file: PathBuf,
    },
    /// A pending file whose version is below the latest applied one.
    OutOfOrder {
        /// The version.
        version: u64,
        /// The file.
        file: PathBuf,
        /// The latest applied version.
        latest: u64,
    },
    /// Version numbers with neither a file nor a history entry, between two that have one.
    Gap {
        /// The first missing version.
        version: u64,
        /// The last missing version (equal to `version` for one).
        last: u64,
    },
    /// A history entry whose up file is gone.
    MissingFile {
        /// The version.
        version: u64,
        /// The recorded name.
        name: String,
        /// The file expected.
        expected: PathBuf,
    },
}

impl Problem {
    /// The version concerned.
    pub fn version(&self) -> u64 {
        match self {
            Problem::Changed { version, .. }
            | Problem::Renamed { version, .. }
            | Problem::OutOfOrder { version, .. }
            | Problem::Gap { version, .. }
            | Problem::MissingFile { version, .. } => *version,
        }
    }

    /// Whether `repair` resolves it (by accepting the files on disk).
    pub fn repairable(&self) -> bool {
        matches!(
            self,
            Problem::Changed { .. } | Problem::Renamed { .. } | Problem::MissingFile { .. }
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let none = |s: &Option<String>, what: &str| s.clone().unwrap_or_else(|| what.to_string());
        match self {
            Problem::Changed {
                version,
                file,
                half,
                recorded,
                found,
            } => write!(
                f,
                "{}: the {half} file of applied version {version} changed since it was applied (recorded sha256 {}, file has {}); restore it or run `repair --reason`",
                file.display(),
                none(recorded, "none: there was no such file"),
                none(found, "none: the file is gone"),
            ),
            Problem::Renamed {
                version,
                recorded,
                file,
            } => write!(
                f,
                "{}: applied version {version} was recorded as `{recorded}`; the file has another name",
                file.display()
            ),
            Problem::OutOfOrder {
                version,
                file,
                latest,
            } => write!(
                f,
                "{}: version {version} is not applied but version {latest} is (out of order); renumber it above {latest}",
                file.display()
            ),
            Problem::Gap { version, last } if version == last => write!(
                f,
                "version {version} is missing: no file and no history entry, but versions on both sides exist (gap)"
            ),
            Problem::Gap { version, last } => write!(
                f,
                "versions {version} to {last} are missing: no files and no history entries, but versions on both sides exist (gap)"
            ),
            Problem::MissingFile {
                version,
                name,
                expected,
            } => write!(
                f,
                "{}: applied version {version} (`{name}`) has no file; restore it or run `repair --reason`",
                expected.display()
            ),
        }
    }
}

/// Where one version stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The version.
    pub version: u64,
    /// The name (from the file, else from the history).
    pub name: String,
    /// `applied`, `baseline`, `repaired`, `pending`, or `missing` (a gap).
    pub state: &'static str,
    /// When it was applied (RFC 3339 UTC), for history entries.
    pub applied_at: Option<String>,
    /// How long it took, in microseconds, for history entries.
    pub duration_us: Option<u64>,
    /// The problems of this version, as text.
    pub problems: Vec<String>,
}

/// Files against history.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Status {
    /// The latest applied version (0: none).
    pub current: u64,
    /// The highest version on disk.
    pub latest_file: u64,
    /// Pending versions in order (out-of-order ones excluded).
    pub pending: Vec<u64>,
    /// Every version, in order.
    pub rows: Vec<Row>,
    /// Everything refused.
    pub problems: Vec<Problem>,
}

impl Status {
    /// Whether nothing is refused.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// `applied_at_us` as RFC 3339 UTC.
pub fn timestamp(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us).map_or_else(
        || format!("{us} us"),
        |t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    )
}

fn entry_problems(files: &MigrationSet, e: &Entry, out: &mut Vec<Problem>) {
    let Some(m) = files.get(e.version) else {
        if !e.detached {
            out.push(Problem::MissingFile {
                version: e.version,
                name: e.name.clone(),
                expected: files
                    .dir
                    .join(format!("{:04}_{}.up.sql", e.version, e.name)),
            });
        }
        return;
    };
    if e.detached {
        // Accepted without a file; a file that reappears must match what was accepted, if
        // anything was recorded.
        if e.up_sha256 == [0; 32] {
            return;
        }
    }
    if m.name != e.name {
        out.push(Problem::Renamed {
            version: e.version,
            recorded: e.name.clone(),
            file: m.up.path.clone(),
        });
    }
    if m.up.sha256 != e.up_sha256 {
        out.push(Problem::Changed {
            version: e.version,
            file: m.up.path.clone(),
            half: "up",
            recorded: Some(hex(&e.up_sha256)),
            found: Some(hex(&m.up.sha256)),
        });
    }
    let found_down = m.down.as_ref().map(|d| d.sha256);
    if found_down != e.down_sha256 {
        let file = m.down.as_ref().map_or_else(
            || {
                files
                    .dir
                    .join(format!("{:04}_{}.down.sql", e.version, m.name))
            },
            |d| d.path.clone(),
        );
        out.push(Problem::Changed {
            version: e.version,
            file,
            half: "down",
            recorded: e.down_sha256.map(|h| hex(&h)),
            found: found_down.map(|h| hex(&h)),
        });
    }
}

/// Compares `files` with `history`.
pub fn status(files: &MigrationSet, history: &History) -> Status {
    let current = history.latest();
    let mut st = Status {
        current,
        latest_file: files.latest(),
        ..Status::default()
    };
    let mut versions: Vec<u64> = files.migrations.keys().copied().collect();
    versions.extend(history.entries.iter().map(|e| e.version));
    versions.sort_unstable();
    versions.dedup();
    let baseline_top = history
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Baseline)
        .map(|e| e.version)
        .max()
        .unwrap_or(0);
    let mut prev: Option<u64> = None;
    for &v in &versions {
        if let Some(p) = prev {
            let first = (p + 1).max(baseline_top + 1);
            if first < v {
                let gap = Problem::Gap {
                    version: first,
                    last: v - 1,
                };
                st.rows.push(Row {
                    version: first,
                    name: String::new(),
                    state: "missing",
                    applied_at: None,
                    duration_us: None,
                    problems: vec![gap.to_string()],
                });
                st.problems.push(gap);
            }
        }
        prev = Some(v);
        let mut problems = Vec::new();
        let row = match history.get(v) {
            Some(e) => {
                entry_problems(files, e, &mut problems);
                Row {
                    version: v,
                    name: e.name.clone(),
                    state: e.kind.name(),
                    applied_at: Some(timestamp(e.applied_at_us)),
                    duration_us: Some(e.duration_us),
                    problems: Vec::new(),
                }
            }
            None => {
                let m = files
                    .get(v)
                    .expect("every version without an entry comes from a file");
                if v < current {
                    problems.push(Problem::OutOfOrder {
                        version: v,
                        file: m.up.path.clone(),
                        latest: current,
                    });
                } else {
                    st.pending.push(v);
                }
                Row {
                    version: v,
                    name: m.name.clone(),
                    state: "pending",
                    applied_at: None,
                    duration_us: None,
                    problems: Vec::new(),
                }
            }
        };
        let mut row = row;
        row.problems = problems.iter().map(ToString::to_string).collect();
        st.rows.push(row);
        st.problems.extend(problems);
    }
    st.rows.sort_by_key(|r| r.version);
    st
}
