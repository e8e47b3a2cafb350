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

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::config::check_relative;
use crate::util::repofs::Repo;
use crate::util::tomlerr::{self, Seg, Seg::Item, Seg::Key};

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

/// `text` as an error message quotes it: whole up to 80 characters, else its first 60 and
/// how long it is (a pathological expression must not make a 12,000-character message).
fn abbreviated(text: &str) -> String {
    if text.chars().count() <= 80 {
        return text.to_string();
    }
    let head: String = text.chars().take(60).collect();
    format!("{head}… ({} characters)", text.chars().count())
}

impl Criterion {
    /// The decider; errors when not exactly one is given or the expression does not parse.
    pub fn decider(&self) -> Result<Decider> {
        let mut found = Vec::new();
        if let Some(m) = &self.metric {
            let e = expr::parse(m).map_err(|e| {
                anyhow::anyhow!("criterion `{}`: metric `{}`: {e}", self.id, abbreviated(m))
            })?;
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

    /// Parses and validates the text of a plan file at `path`; a validation error names the
    /// line of the key at fault.
    pub fn parse(path: &Path, text: &str) -> Result<Plan> {
        let plan: Plan = tomlerr::parse(path, text)?;
        if let Some((at, msg)) = plan.problem() {
            bail!("{}: {msg}", tomlerr::Locator::new(path, text).at(&at));
        }
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
        match self.problem() {
            Some((_, msg)) => bail!("{msg}"),
            None => Ok(()),
        }
    }

    /// The first inconsistency, with the key path it is about.
    fn problem(&self) -> Option<(Vec<Seg<'static>>, String)> {
        if self.format_version != FORMAT_VERSION {
            return Some((
                vec![Key("format_version")],
                format!(
                    "format_version {} is not supported (expected {FORMAT_VERSION})",
                    self.format_version
                ),
            ));
        }
        let mut phase_ids = BTreeSet::new();
        for (i, p) in self.phases.iter().enumerate() {
            if !phase_ids.insert(p.id) {
                return Some((
                    vec![Key("phase"), Item(i), Key("id")],
                    format!("phase `{}` is defined twice", p.id),
                ));
            }
        }
        let located = self
            .phases
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.criteria.iter().enumerate().map(move |(j, c)| {
                    (
                        Some(p.id),
                        vec![Key("phase"), Item(i), Key("criterion"), Item(j)],
                        c,
                    )
                })
            })
            .chain(
                self.cross_cutting
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (None, vec![Key("criterion"), Item(k)], c)),
            );
        let mut ids = BTreeSet::new();
        for (phase, at, c) in located {
            let key = |k: &'static str| {
                let mut segs = at.clone();
                segs.push(Key(k));
                segs
            };
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
                return Some((
                    key("id"),
                    format!(
                        "criterion id `{}` must be `{prefix}<slug>` with a lowercase slug",
                        c.id
                    ),
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return Some((key("id"), format!("criterion `{}` is defined twice", c.id)));
            }
            if let Err(e) = c.decider() {
                let at_fault = if c.metric.as_deref().is_some_and(|m| expr::parse(m).is_err()) {
                    "metric"
                } else if c
                    .artifact
                    .as_deref()
                    .is_some_and(|a| check_relative(a).is_err())
                {
                    "artifact"
                } else {
                    "id"
                };
                return Some((key(at_fault), e.to_string()));
            }
        }
        for (i, p) in self.phases.iter().enumerate() {
            for (j, d) in p.depends_on.iter().enumerate() {
                if !phase_ids.contains(d) {
                    return Some((
                        vec![Key("phase"), Item(i), Key("depends_on"), Item(j)],
                        format!("phase `{}` depends on unknown phase {d}", p.id),
                    ));
                }
            }
        }
        let nodes: Vec<(u32, Vec<u32>)> = self
            .phases
            .iter()
            .map(|p| (p.id, p.depends_on.clone()))
            .collect();
        if let Some(cycle) = crate::util::graph::find_cycle(&nodes) {
            let first = self
                .phases
                .iter()
                .position(|p| Some(&p.id) == cycle.first())
                .unwrap_or(0);
            let named: Vec<String> = cycle.iter().map(|id| format!("phase {id}")).collect();
            return Some((
                vec![Key("phase"), Item(first), Key("depends_on")],
                format!(
                    "phases depend on each other in a cycle: {}",
                    named.join(" → ")
                ),
            ));
        }
        None
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
    fn a_phase_cycle_is_named_with_its_line() {
        let phase = |id: u32, deps: &str| {
            format!(
                "[[phase]]\nid = {id}\ntitle = \"t\"\nowner = \"o\"\ndepends_on = [{deps}]\neta = \"e\"\n"
            )
        };
        // 7 waits on the cycle 3 → 5 → 3 but is not part of it.
        let text = format!(
            "format_version = 1\n{}{}{}{}",
            phase(0, ""),
            phase(3, "0, 5"),
            phase(5, "3"),
            phase(7, "5")
        );
        let msg = parse(&text).expect_err("cycle").to_string();
        assert!(
            msg.ends_with("phases depend on each other in a cycle: phase 3 → phase 5 → phase 3"),
            "{msg}"
        );
        assert!(
            msg.starts_with("plan.toml:12: "),
            "depends_on of phase 3: {msg}"
        );
        let own = format!("format_version = 1\n{}", phase(4, "4"));
        let msg = parse(&own).expect_err("self").to_string();
        assert!(msg.contains("cycle: phase 4 → phase 4"), "{msg}");
    }

    #[test]
    fn every_plan_error_names_the_line_of_the_key_at_fault() {
        let fails_at = |text: &str, line: usize, needle: &str| {
            let msg = parse(text).expect_err(needle).to_string();
            assert!(
                msg.starts_with(&format!("plan.toml:{line}: ")),
                "expected line {line}: {msg}"
            );
            assert!(msg.contains(needle), "expected `{needle}`: {msg}");
        };
        fails_at(
            &OK.replace("id = 1\n", "id = 0\n"),
            13,
            "phase `0` is defined twice",
        );
        fails_at(
            &OK.replace("depends_on = [0]", "depends_on = [0, 9]"),
            16,
            "unknown phase 9",
        );
        fails_at(
            &format!(
                "# plan\n{}",
                OK.replace("format_version = 1", "format_version = 2")
            ),
            2,
            "format_version 2",
        );
        fails_at(
            &format!("{OK}\n[[criterion]]\nid = \"X.oltp\"\ntext = \"t\"\ncheck = \"c\"\n"),
            29,
            "`X.oltp` is defined twice",
        );
        fails_at(
            &OK.replace("adr = \"ADR-0001\"", "adr = \"ADR-0001\"\ncheck = \"x\""),
            19,
            "2 deciders",
        );
        fails_at(
            &OK.replace(
                "artifact = \"rust-toolchain.toml\"",
                "artifact = \"../../etc\"",
            ),
            10,
            "escapes",
        );
        fails_at(
            &OK.replace("owner = \"PM\"\ndepends_on", "depends_on"),
            12,
            "missing field `owner`",
        );
        fails_at(
            &OK.replace("id = 1\n", "id = \"one\"\n"),
            13,
            "invalid type",
        );
        let deep = format!("{}tps > 0{}", "(".repeat(12_000), ")".repeat(12_000));
        fails_at(
            &OK.replace("tps >= 1.2 * baseline || p95 <= 0.8 * baseline", &deep),
            26,
            "parentheses nested deeper than 32 levels",
        );
        fails_at(
            &OK.replace(
                "eta = \"1 day\"\n[[phase.criterion]]\nid = \"P1",
                "eta = \"1 day\"\nowner = \"x\"\n[[phase.criterion]]\nid = \"P1",
            ),
            18,
            "duplicate key",
        );
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
