//! `content/plan.toml`: the hardening plan as data (documented in `docs/formats/plan.md`).
//!
//! Phases carry id, title, owner, `depends_on` and ETA, and their acceptance criteria;
//! cross-cutting thresholds are top-level `[[criterion]]` tables with `X.` ids. Each criterion
//! is decided by exactly one of: `metric` (an [`expr`] expression), `check` (the check's latest
//! status is `pass`), `artifact` (a repository path exists; `*` matches one path component),
//! `adr` (that ADR is accepted), or `signoff` (a role's recorded sign-off). [`Plan::load`]
//! validates unique ids, id prefixes, phase references, acyclic dependencies, expressions and
//! paths, naming the file and line of what is wrong.

pub mod expr;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::check_relative;
use crate::repofs::Repo;
use crate::tomlerr;

/// The plan format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Must be [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Plan title.
    #[serde(default)]
    pub title: String,
    /// Phases, as `[[phase]]`.
    #[serde(rename = "phase", default)]
    pub phases: Vec<Phase>,
    /// Cross-cutting thresholds, as top-level `[[criterion]]` with `X.` ids.
    #[serde(rename = "criterion", default)]
    pub cross_cutting: Vec<Criterion>,
}

/// One phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Phase number.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Owner (role).
    pub owner: String,
    /// Phases that must be complete first.
    #[serde(default)]
    pub depends_on: Vec<u32>,
    /// Estimated duration as the plan states it.
    pub eta: String,
    /// Acceptance criteria, as `[[phase.criterion]]`.
    #[serde(rename = "criterion", default)]
    pub criteria: Vec<Criterion>,
}

/// One acceptance criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// `P<phase>.<slug>` or `X.<slug>`.
    pub id: String,
    /// The criterion as the plan words it.
    pub text: String,
    /// A metric expression.
    #[serde(default)]
    pub metric: Option<String>,
    /// A check id whose latest status must be `pass`.
    #[serde(default)]
    pub check: Option<String>,
    /// A repository path that must exist.
    #[serde(default)]
    pub artifact: Option<String>,
    /// An ADR id that must be accepted.
    #[serde(default)]
    pub adr: Option<String>,
    /// The role whose sign-off decides it.
    #[serde(default)]
    pub signoff: Option<String>,
}

/// How a criterion is decided, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Decider {
    /// A metric expression.
    Metric(expr::Expr),
    /// A check's latest status.
    Check(String),
    /// A path that must exist.
    Artifact(String),
    /// An ADR that must be accepted.
    Adr(String),
    /// A role's sign-off.
    Signoff(String),
}

impl Decider {
    /// Short kind name: `metric`, `check`, `artifact`, `adr`, `signoff`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decider::Metric(_) => "metric",
            Decider::Check(_) => "check",
            Decider::Artifact(_) => "artifact",
            Decider::Adr(_) => "adr",
            Decider::Signoff(_) => "signoff",
        }
    }
}

impl Criterion {
    /// The decider; errors when not exactly one is given or the expression does not parse.
    pub fn decider(&self) -> Result<Decider> {
        let mut found = Vec::new();
        if let Some(m) = &self.metric {
            let e = expr::parse(m)
                .map_err(|e| anyhow::anyhow!("criterion `{}`: metric `{m}`: {e}", self.id))?;
            found.push(Decider::Metric(e));
        }
        if let Some(c) = &self.check {
            found.push(Decider::Check(c.clone()));
        }
        if let Some(a) = &self.artifact {
            if let Err(why) = check_relative(a) {
                bail!("criterion `{}`: artifact `{a}` {why}", self.id);
            }
            found.push(Decider::Artifact(a.clone()));
        }
        if let Some(a) = &self.adr {
            found.push(Decider::Adr(a.clone()));
        }
        if let Some(s) = &self.signoff {
            found.push(Decider::Signoff(s.clone()));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            n => bail!(
                "criterion `{}` has {n} deciders; expected exactly one of metric, check, \
                 artifact, adr, signoff",
                self.id
            ),
        }
    }
}

impl Plan {
    /// Reads and validates a plan file of `repo` ([`Repo::read_to_string`]: it must not
    /// resolve outside the repository).
    pub fn load(repo: &Repo, path: &Path) -> Result<Plan> {
        let text = repo.read_to_string(path)?;
        Self::parse(path, &text)
    }

    /// Parses and validates the text of a plan file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Plan> {
        let plan: Plan = tomlerr::parse(path, text)?;
        plan.validate().map_err(|e| {
            let msg = e.to_string();
            let at = msg.split('`').nth(1).and_then(|needle| {
                let quoted = format!("\"{needle}\"");
                if msg.contains("twice") {
                    text.rfind(&quoted)
                } else {
                    text.find(&quoted)
                }
            });
            // Point at the offending key of the criterion when the message names one.
            let at = at.map(|start| {
                ["metric", "artifact"]
                    .iter()
                    .filter(|key| msg.contains(&format!("{key} `")))
                    .find_map(|key| {
                        let rest = text.get(start..).unwrap_or("");
                        let end = rest.find("\n[").unwrap_or(rest.len());
                        rest.get(..end)?
                            .find(&format!("\n{key} ="))
                            .map(|o| start + o + 1)
                    })
                    .unwrap_or(start)
            });
            let line = at.map(|o| tomlerr::line_of(text, o)).unwrap_or(1);
            anyhow::anyhow!("{}:{line}: {msg}", path.display())
        })?;
        Ok(plan)
    }

    /// Every criterion with its phase (`None` for cross-cutting), phases first.
    pub fn criteria(&self) -> Vec<(Option<u32>, &Criterion)> {
        self.phases
            .iter()
            .flat_map(|p| p.criteria.iter().map(move |c| (Some(p.id), c)))
            .chain(self.cross_cutting.iter().map(|c| (None, c)))
            .collect()
    }

    /// The criterion with id `id`.
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criteria()
            .into_iter()
            .map(|(_, c)| c)
            .find(|c| c.id == id)
    }

    /// Checks the plan's own consistency.
    pub fn validate(&self) -> Result<()> {
        if self.format_version != FORMAT_VERSION {
            bail!(
                "format_version {} is not supported (expected {FORMAT_VERSION})",
                self.format_version
            );
        }
        let mut phase_ids = BTreeSet::new();
        for p in &self.phases {
            if !phase_ids.insert(p.id) {
                bail!("phase `{}` is defined twice", p.id);
            }
        }
        let mut ids = BTreeSet::new();
        for (phase, c) in self.criteria() {
            let prefix = match phase {
                Some(p) => format!("P{p}."),
                None => "X.".to_string(),
            };
            let slug = c.id.strip_prefix(&prefix).unwrap_or("");
            if slug.is_empty()
                || !slug
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            {
                bail!(
                    "criterion id `{}` must be `{prefix}<slug>` with a lowercase slug",
                    c.id
                );
            }
            if !ids.insert(c.id.as_str()) {
                bail!("criterion `{}` is defined twice", c.id);
            }
            c.decider()?;
        }
        for p in &self.phases {
            for d in &p.depends_on {
                if !phase_ids.contains(d) {
                    bail!("phase `{}` depends on unknown phase {d}", p.id);
                }
            }
        }
        let deps: BTreeMap<u32, &Vec<u32>> =
            self.phases.iter().map(|p| (p.id, &p.depends_on)).collect();
        let mut done = BTreeSet::new();
        while done.len() < deps.len() {
            let ready: Vec<u32> = deps
                .iter()
                .filter(|(id, d)| !done.contains(*id) && d.iter().all(|x| done.contains(x)))
                .map(|(id, _)| *id)
                .collect();
            if ready.is_empty() {
                let stuck: Vec<String> = deps
                    .keys()
                    .filter(|id| !done.contains(*id))
                    .map(|id| id.to_string())
                    .collect();
                bail!(
                    "phases depend on each other in a cycle: `{}`",
                    stuck.join(", ")
                );
            }
            done.extend(ready);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"format_version = 1
[[phase]]
id = 0
title = "Discover"
owner = "PM"
eta = "1 day"
[[phase.criterion]]
id = "P0.toolchain"
text = "pinned"
artifact = "rust-toolchain.toml"

[[phase]]
id = 1
title = "Plan"
owner = "PM"
depends_on = [0]
eta = "1 day"
[[phase.criterion]]
id = "P1.adr"
text = "adr"
adr = "ADR-0001"

[[criterion]]
id = "X.oltp"
text = "faster"
metric = "tps >= 1.2 * baseline || p95 <= 0.8 * baseline"
"#;

    fn parse(t: &str) -> Result<Plan> {
        Plan::parse(Path::new("plan.toml"), t)
    }

    #[test]
    fn parses_phases_and_cross_cutting() {
        let p = parse(OK).expect("parses");
        assert_eq!(p.criteria().len(), 3);
        assert!(matches!(
            p.criterion("X.oltp").expect("x").decider(),
            Ok(Decider::Metric(_))
        ));
    }

    #[test]
    fn validation_errors_name_file_and_line() {
        let dup = OK.replace("P1.adr", "P0.toolchain");
        let msg = parse(&dup).expect_err("dup").to_string();
        assert!(msg.contains("P0.toolchain"), "{msg}");
        let prefix = OK.replace("P1.adr", "P2.adr");
        let msg = parse(&prefix).expect_err("prefix").to_string();
        assert!(msg.starts_with("plan.toml:19:"), "{msg}");
        let cyc = OK.replace(
            "eta = \"1 day\"\n[[phase.criterion]]\nid = \"P0",
            "eta = \"1 day\"\ndepends_on = [1]\n[[phase.criterion]]\nid = \"P0",
        );
        assert!(
            parse(&cyc)
                .expect_err("cycle")
                .to_string()
                .contains("cycle")
        );
        let unknown = OK.replace("depends_on = [0]", "depends_on = [7]");
        assert!(
            parse(&unknown)
                .expect_err("unknown")
                .to_string()
                .contains("unknown phase 7")
        );
        let bad_expr = OK.replace("tps >= 1.2", "tps >>= 1.2");
        assert!(parse(&bad_expr).is_err());
        let two = OK.replace("adr = \"ADR-0001\"", "adr = \"ADR-0001\"\ncheck = \"x\"");
        assert!(
            parse(&two)
                .expect_err("two")
                .to_string()
                .contains("2 deciders")
        );
        let typo = OK.replace("owner = \"PM\"\neta", "ownr = \"PM\"\neta");
        assert!(
            parse(&typo)
                .expect_err("typo")
                .to_string()
                .starts_with("plan.toml:")
        );
    }
}
