//! Architecture decision records: `adr/NNNN-title.md`, MADR fields as TOML front matter.
//!
//! The front matter names what the decision claims to move (`[claims]`: metrics, criteria, and
//! criteria it waives), which is how the site traces a decision to its evidence. Unknown keys
//! are errors. `0000-template.md` is the template, not a decision, and is skipped.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::frontmatter;
use crate::util::repofs::Repo;
use crate::util::tomlerr::Seg::Key;

/// The lifecycle state of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdrStatus {
    /// Under discussion.
    Proposed,
    /// In force.
    Accepted,
    /// Considered and turned down.
    Rejected,
    /// No longer recommended, not replaced.
    Deprecated,
    /// Replaced by a newer ADR (named in `superseded-by`).
    Superseded,
}

impl AdrStatus {
    /// The lowercase name, as written in front matter.
    pub fn as_str(self) -> &'static str {
        match self {
            AdrStatus::Proposed => "proposed",
            AdrStatus::Accepted => "accepted",
            AdrStatus::Rejected => "rejected",
            AdrStatus::Deprecated => "deprecated",
            AdrStatus::Superseded => "superseded",
        }
    }
}

/// What a decision claims to move.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Claims {
    /// Metric names the decision should move.
    pub metrics: Vec<String>,
    /// Plan criterion ids the decision serves.
    pub criteria: Vec<String>,
    /// Plan criterion ids this decision justifies waiving (effective only when accepted).
    pub waives: Vec<String>,
}

/// ADR front matter, as written in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AdrMeta {
    /// `ADR-NNNN`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Lifecycle state.
    pub status: AdrStatus,
    /// Date of the latest status change, `YYYY-MM-DD`.
    pub date: String,
    /// Who decided.
    #[serde(default)]
    pub decision_makers: Vec<String>,
    /// ADR ids this one replaces.
    #[serde(default)]
    pub supersedes: Vec<String>,
    /// ADR ids that replace this one.
    #[serde(default)]
    pub superseded_by: Vec<String>,
    /// What the decision claims to move.
    #[serde(default)]
    pub claims: Claims,
}

/// A loaded ADR.
#[derive(Debug, Clone)]
pub struct Adr {
    /// The front matter.
    pub meta: AdrMeta,
    /// The markdown body.
    pub body: String,
    /// Where it was read from.
    pub path: PathBuf,
}

/// Parses one ADR file's text. The id must be `ADR-` followed by the 4-digit number the file
/// name starts with, and the date must be a real `YYYY-MM-DD` date.
pub fn parse(path: &Path, text: &str) -> Result<Adr> {
    let doc = frontmatter::parse::<AdrMeta>(path, text)?;
    let meta = doc.meta;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let number = file_name.get(..4).unwrap_or("");
    let at = |key: &str| {
        format!(
            "{}:{}",
            path.display(),
            frontmatter::key_line(text, &[Key(key)])
        )
    };
    if !number.chars().all(|c| c.is_ascii_digit()) || meta.id != format!("ADR-{number}") {
        bail!(
            "{}: id `{}` does not match the file name (expected `ADR-{number}` from `{file_name}`)",
            at("id"),
            meta.id
        );
    }
    if chrono::NaiveDate::parse_from_str(&meta.date, "%Y-%m-%d").is_err() {
        bail!(
            "{}: date `{}` is not a YYYY-MM-DD date",
            at("date"),
            meta.date
        );
    }
    Ok(Adr {
        meta,
        body: doc.body,
        path: path.to_path_buf(),
    })
}

/// Loads every `adr/NNNN-*.md` except the template, sorted by id. `dir` is a folder of
/// `repo`, read by [`Repo::files`]: a symbolic link is followed when it stays inside the
/// repository and is an error otherwise. Duplicate ids are an error.
pub fn load_dir(repo: &Repo, dir: &Path) -> Result<Vec<Adr>> {
    let mut adrs = Vec::new();
    for path in repo.files(dir, false)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".md")
            || name.starts_with("0000-")
            || !name.starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        let text = repo.read_to_string(&path)?;
        adrs.push(parse(&path, &text)?);
    }
    adrs.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    for pair in adrs.windows(2) {
        if pair[0].meta.id == pair[1].meta.id {
            bail!(
                "{} and {} both declare {}",
                pair[0].path.display(),
                pair[1].path.display(),
                pair[0].meta.id
            );
        }
    }
    Ok(adrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nid = \"ADR-0007\"\ntitle = \"T\"\nstatus = \"accepted\"\ndate = \"2026-01-02\"\n[claims]\nmetrics = [\"m\"]\n+++\nbody\n";

    #[test]
    fn parses_fields_and_claims() {
        let adr = parse(Path::new("adr/0007-t.md"), GOOD).expect("parses");
        assert_eq!(adr.meta.status, AdrStatus::Accepted);
        assert_eq!(adr.meta.claims.metrics, vec!["m".to_string()]);
        assert_eq!(adr.body, "body\n");
    }

    #[test]
    fn id_must_match_file_name() {
        let err = parse(Path::new("adr/0008-t.md"), GOOD).expect_err("mismatch");
        assert!(err.to_string().contains("ADR-0008"), "{err}");
    }

    #[test]
    fn id_and_date_errors_name_their_line() {
        let err = parse(Path::new("adr/0008-t.md"), GOOD).expect_err("id");
        assert!(err.to_string().starts_with("adr/0008-t.md:2: "), "{err}");
        let text = GOOD.replace("2026-01-02", "soon");
        let err = parse(Path::new("adr/0007-t.md"), &text).expect_err("date");
        assert!(err.to_string().starts_with("adr/0007-t.md:5: "), "{err}");
    }

    #[test]
    fn bad_status_is_an_error_naming_the_file() {
        let text = GOOD.replace("accepted", "maybe");
        let err = parse(Path::new("adr/0007-t.md"), &text).expect_err("bad status");
        assert!(err.to_string().contains("adr/0007-t.md:4"), "{err}");
    }

    #[test]
    fn the_repository_adrs_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../adr");
        let adrs = load_dir(&Repo::open(&dir), &dir).expect("repository ADRs parse");
        assert!(adrs.iter().any(|a| a.meta.id == "ADR-0001"));
        parse(
            &dir.join("0000-template.md"),
            &std::fs::read_to_string(dir.join("0000-template.md"))
                .expect("template")
                .replace("YYYY-MM-DD", "2026-01-01"),
        )
        .expect("the template parses once its date is filled in");
    }
}
