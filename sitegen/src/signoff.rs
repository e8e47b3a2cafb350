//! Recorded sign-offs: `content/signoffs.toml` (documented in `docs/formats/plan.md`).
//!
//! ```toml
//! format_version = 1
//! [[signoff]]
//! criterion = "P8.signoff-report"
//! by = "Risk Officer"
//! date = "2026-12-01"
//! note = "Report reviewed with the risk register."
//! ```
//! A criterion decided by `signoff = "<role>"` is met when an entry names it with that role.

use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::repofs::Repo;
use crate::tomlerr;

/// One sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signoff {
    /// Criterion id.
    pub criterion: String,
    /// Role (or name) signing.
    pub by: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

/// The file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signoffs {
    /// Must be 1.
    pub format_version: u32,
    /// Entries, as `[[signoff]]`.
    #[serde(rename = "signoff", default)]
    pub entries: Vec<Signoff>,
}

impl Signoffs {
    /// Reads `path`, a file of `repo` ([`Repo::read_to_string`]); a missing file means no
    /// sign-offs.
    pub fn load(repo: &Repo, path: &Path) -> Result<Signoffs> {
        if !path.exists() {
            repo.check(path)?;
            return Ok(Signoffs::default());
        }
        let s: Signoffs = tomlerr::read(repo, path)?;
        if s.format_version != 1 {
            bail!(
                "{}: format_version {} is not supported (expected 1)",
                path.display(),
                s.format_version
            );
        }
        for e in &s.entries {
            if chrono::NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").is_err() {
                bail!(
                    "{}: sign-off of `{}` has date `{}`, expected YYYY-MM-DD",
                    path.display(),
                    e.criterion,
                    e.date
                );
            }
        }
        Ok(s)
    }

    /// The sign-off of `criterion` by `role`, if recorded.
    pub fn find(&self, criterion: &str, role: &str) -> Option<&Signoff> {
        self.entries
            .iter()
            .find(|e| e.criterion == criterion && e.by == role)
    }
}
