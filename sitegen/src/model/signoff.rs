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

use crate::util::repofs::Repo;
use crate::util::tomlerr::{self, Seg::Item, Seg::Key};

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
        let text = repo.read_to_string(path)?;
        let s: Signoffs = tomlerr::parse(path, &text)?;
        let loc = tomlerr::Locator::new(path, &text);
        if s.format_version != 1 {
            bail!(
                "{}: format_version {} is not supported (expected 1)",
                loc.at(&[Key("format_version")]),
                s.format_version
            );
        }
        for (i, e) in s.entries.iter().enumerate() {
            if chrono::NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").is_err() {
                bail!(
                    "{}: sign-off of `{}` has date `{}`, expected YYYY-MM-DD",
                    loc.at(&[Key("signoff"), Item(i), Key("date")]),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_of_the_key_at_fault() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("signoffs.toml");
        let repo = Repo::open(tmp.path());
        let entry = |date: &str| {
            format!("[[signoff]]\ncriterion = \"P1.x\"\nby = \"PM\"\ndate = \"{date}\"\n")
        };
        let cases = [
            (
                format!(
                    "format_version = 1\n{}\n{}",
                    entry("2026-01-01"),
                    entry("soon")
                ),
                10,
                "date `soon`",
            ),
            (
                format!("# s\nformat_version = 2\n{}", entry("2026-01-01")),
                2,
                "format_version 2",
            ),
            (
                format!("format_version = 1\n{}note = 3\n", entry("2026-01-01")),
                6,
                "invalid type",
            ),
            (
                format!("format_version = 1\n{}role = 3\n", entry("2026-01-01")),
                6,
                "role",
            ),
        ];
        for (text, line, needle) in cases {
            std::fs::write(&path, &text).expect("write");
            let msg = Signoffs::load(&repo, &path).expect_err(needle).to_string();
            let want = format!("{}:{line}: ", path.display());
            assert!(
                msg.starts_with(&want) && msg.contains(needle),
                "{want}…{needle}: {msg}"
            );
        }
    }
}
