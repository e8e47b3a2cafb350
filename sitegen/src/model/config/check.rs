//! `[[check]]` and `[profiles.NAME]`: what each check runs and how it is scheduled, their
//! validation, and the order the runner starts them in.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::{Config, check_relative};
use crate::util::tomlerr::{self, Seg, Seg::Item, Seg::Key};

/// How a check's standard output is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdoutFormat {
    /// Plain text: captured, not parsed.
    #[default]
    Text,
    /// Metrics JSON or Bencher Metric Format, parsed into metrics.
    Metrics,
    /// A JSON document kept whole in the record (up to the input size limit) and checked to
    /// parse, e.g. the engine's catalog for the site's schema catalog page.
    Json,
}

/// What a check is, which decides how the runner schedules it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Runs in its dependency wave, in parallel with the wave's other checks.
    #[default]
    Normal,
    /// A measurement: runs exclusively, after every normal check of the run has ended, one
    /// bench at a time in dependency order, so that nothing else of ours shares the machine.
    Bench,
}

/// One `[[check]]`: a command whose outcome becomes an evidence record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// Unique id, e.g. `engine-tests`.
    pub id: String,
    /// What the check shows, one line.
    pub description: String,
    /// How the runner schedules it: `normal` (default) or `bench` (exclusive, after the rest).
    pub kind: CheckKind,
    /// Program and arguments; no shell is involved. `{root}` is replaced by the absolute
    /// repository root (also in `env` values).
    pub command: Vec<String>,
    /// Working directory, relative to the repository root.
    pub workdir: String,
    /// Seconds before the check is killed and recorded as `timeout`.
    pub timeout_secs: u64,
    /// The plan phase the check serves, if any.
    pub phase: Option<u32>,
    /// Files or folders the check writes that hold metrics (metrics JSON, BMF, JUnit XML, a
    /// criterion output folder, a `benchmark_results` folder), relative to the repository root.
    pub outputs: Vec<String>,
    /// How standard output is read.
    pub stdout: StdoutFormat,
    /// Files recorded by size and sha256 (not copied), relative to the repository root.
    pub artifacts: Vec<String>,
    /// Checks that must finish before this one starts.
    pub depends_on: Vec<String>,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Whether `sitegen pair` measures this check by default (a benchmark whose command
    /// exists at the baseline commit too, printing metrics on standard output).
    pub pairable: bool,
    /// The program the check measures, relative to the tree it runs in (e.g.
    /// `target/release/ldb`): hashed at both sides of a paired measurement. Without it, the
    /// first command word naming a file in the tree is hashed.
    pub binary: Option<String>,
    /// The command `sitegen pair` runs at both sides, when it differs from `command`: one that
    /// exists at the baseline commit too (e.g. without flags added since). Each paired round
    /// is a sample, so it needs no repetitions of its own. Defaults to `command`.
    pub pair_command: Option<Vec<String>>,
    /// What `sitegen pair` runs at the baseline side when it must differ from the current
    /// side's (`pair_command`, else `command`): the same measurement spelled as the baseline
    /// commit's CLI spells it (e.g. without flags added since, which the current side needs to
    /// measure the same work). Defaults to the current side's command.
    pub pair_baseline_command: Option<Vec<String>>,
}

impl CheckConfig {
    /// The check as `sitegen pair` runs it: its `pair_command` in place of `command`.
    pub fn for_pairing(&self) -> CheckConfig {
        let mut check = self.clone();
        if let Some(c) = &self.pair_command {
            check.command = c.clone();
        }
        check
    }

    /// The check as `sitegen pair` runs it at the baseline side: its `pair_baseline_command`
    /// in place of the command, when it has one.
    pub fn at_baseline(&self) -> CheckConfig {
        let mut check = self.clone();
        if let Some(c) = &self.pair_baseline_command {
            check.command = c.clone();
        }
        check
    }
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            id: String::new(),
            description: String::new(),
            kind: CheckKind::Normal,
            command: Vec::new(),
            workdir: ".".into(),
            timeout_secs: 600,
            phase: None,
            outputs: Vec::new(),
            stdout: StdoutFormat::Text,
            artifacts: Vec::new(),
            depends_on: Vec::new(),
            env: BTreeMap::new(),
            pairable: false,
            binary: None,
            pair_command: None,
            pair_baseline_command: None,
        }
    }
}

/// A named set of checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// A profile whose checks come first.
    pub extends: Option<String>,
    /// Check ids.
    pub checks: Vec<String>,
}

impl Config {
    /// Checks the `[[check]]` tables and the profiles: ids, commands, paths, dependencies,
    /// cycles, profile references; errors name the line of the key at fault.
    pub(super) fn validate_checks(&self, loc: &tomlerr::Locator<'_>) -> Result<()> {
        let mut ids = BTreeSet::new();
        for (i, check) in self.checks.iter().enumerate() {
            let at = |rest: &[Seg<'_>]| {
                let mut segs = vec![Key("check"), Item(i)];
                segs.extend_from_slice(rest);
                loc.at(&segs)
            };
            if check.id.is_empty()
                || !check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!(
                    "{}: check id `{}` must be non-empty ASCII letters, digits, `-` or `_`",
                    at(&[Key("id")]),
                    check.id
                );
            }
            if !ids.insert(check.id.as_str()) {
                bail!("{}: duplicate check id `{}`", at(&[Key("id")]), check.id);
            }
            if check.command.is_empty() {
                bail!(
                    "{}: check `{}` has an empty command",
                    at(&[Key("command")]),
                    check.id
                );
            }
            for (key, cmd) in [
                ("pair_command", &check.pair_command),
                ("pair_baseline_command", &check.pair_baseline_command),
            ] {
                if cmd.as_ref().is_some_and(|c| c.is_empty()) {
                    bail!(
                        "{}: check `{}` has an empty {key}",
                        at(&[Key(key)]),
                        check.id
                    );
                }
            }
            if check.timeout_secs == 0 {
                bail!(
                    "{}: check `{}` has timeout_secs = 0",
                    at(&[Key("timeout_secs")]),
                    check.id
                );
            }
            let outputs = check.outputs.iter().enumerate();
            let artifacts = check.artifacts.iter().enumerate();
            for (key, j, value) in std::iter::once(("workdir", None, &check.workdir))
                .chain(check.binary.iter().map(|b| ("binary", None, b)))
                .chain(outputs.map(|(j, v)| ("outputs", Some(j), v)))
                .chain(artifacts.map(|(j, v)| ("artifacts", Some(j), v)))
            {
                if let Err(why) = check_relative(value) {
                    let mut segs = vec![Key(key)];
                    segs.extend(j.map(Item));
                    bail!("{}: check `{}`: {key} `{value}` {why}", at(&segs), check.id);
                }
            }
        }
        for (i, check) in self.checks.iter().enumerate() {
            for (j, dep) in check.depends_on.iter().enumerate() {
                if !ids.contains(dep.as_str()) {
                    bail!(
                        "{}: check `{}` depends on unknown check `{dep}`",
                        loc.at(&[Key("check"), Item(i), Key("depends_on"), Item(j)]),
                        check.id
                    );
                }
                if check.kind == CheckKind::Normal
                    && self.check(dep).map(|d| d.kind) == Some(CheckKind::Bench)
                {
                    bail!(
                        "{}: check `{}` depends on bench check `{dep}`, but bench checks run \
                         after every other check; only another bench check may depend on one",
                        loc.at(&[Key("check"), Item(i), Key("depends_on"), Item(j)]),
                        check.id
                    );
                }
            }
        }
        if let Some(cycle) = self.dependency_cycle() {
            let first = self
                .checks
                .iter()
                .position(|c| Some(&c.id) == cycle.first())
                .unwrap_or(0);
            bail!(
                "{}: checks depend on each other in a cycle: {}",
                loc.at(&[Key("check"), Item(first), Key("depends_on")]),
                name_cycle(&cycle)
            );
        }
        for (name, profile) in &self.profiles {
            for (j, id) in profile.checks.iter().enumerate() {
                if !ids.contains(id.as_str()) {
                    bail!(
                        "{}: profile `{name}` names unknown check `{id}`",
                        loc.at(&[Key("profiles"), Key(name), Key("checks"), Item(j)])
                    );
                }
            }
            if let Some(base) = &profile.extends
                && !self.profiles.contains_key(base)
            {
                bail!(
                    "{}: profile `{name}` extends unknown profile `{base}`",
                    loc.at(&[Key("profiles"), Key(name), Key("extends")])
                );
            }
        }
        for name in self.profiles.keys() {
            self.profile_checks(name).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {e}",
                    loc.at(&[Key("profiles"), Key(name), Key("extends")])
                )
            })?;
        }
        Ok(())
    }

    /// A cycle among the checks' `depends_on`, as check ids with the first repeated last.
    fn dependency_cycle(&self) -> Option<Vec<String>> {
        let nodes: Vec<(String, Vec<String>)> = self
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.depends_on.clone()))
            .collect();
        crate::util::graph::find_cycle(&nodes)
    }

    /// The check with id `id`.
    pub fn check(&self, id: &str) -> Option<&CheckConfig> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The check ids a profile runs (its `extends` chain first), without duplicates.
    pub fn profile_checks(&self, name: &str) -> Result<Vec<String>> {
        let mut chain = Vec::new();
        let mut current = Some(name.to_string());
        while let Some(n) = current {
            if chain.contains(&n) {
                bail!("profile `{name}` extends itself through `{n}`");
            }
            let Some(profile) = self.profiles.get(&n) else {
                let known: Vec<_> = self.profiles.keys().cloned().collect();
                bail!("unknown profile `{n}` (known: {})", known.join(", "));
            };
            current = profile.extends.clone();
            chain.push(n);
        }
        let mut out: Vec<String> = Vec::new();
        for n in chain.iter().rev() {
            for id in &self.profiles[n].checks {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
        }
        Ok(out)
    }

    /// The checks of `ids` in the order the runner starts them: the normal checks in their
    /// dependency waves (each wave's checks run in parallel), then every bench check alone, one
    /// per wave, in dependency order. A check's dependencies that are not in `ids` are not
    /// waited for.
    pub fn run_order(&self, ids: &[String]) -> Result<Vec<Vec<String>>> {
        let waves = self.check_order()?;
        let selected = |kind: CheckKind| {
            waves.iter().map(move |wave| {
                wave.iter()
                    .filter(|id| ids.contains(id))
                    .filter(|id| self.check(id).map(|c| c.kind) == Some(kind))
                    .cloned()
                    .collect::<Vec<String>>()
            })
        };
        let mut order: Vec<Vec<String>> = selected(CheckKind::Normal)
            .filter(|wave| !wave.is_empty())
            .collect();
        order.extend(selected(CheckKind::Bench).flatten().map(|id| vec![id]));
        Ok(order)
    }

    /// All checks in waves: every check's dependencies are in an earlier wave. Errors on cycles.
    pub fn check_order(&self) -> Result<Vec<Vec<String>>> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut waves = Vec::new();
        while done.len() < self.checks.len() {
            let wave: Vec<String> = self
                .checks
                .iter()
                .filter(|c| !done.contains(c.id.as_str()))
                .filter(|c| c.depends_on.iter().all(|d| done.contains(d.as_str())))
                .map(|c| c.id.clone())
                .collect();
            if wave.is_empty() {
                match self.dependency_cycle() {
                    Some(cycle) => bail!(
                        "checks depend on each other in a cycle: {}",
                        name_cycle(&cycle)
                    ),
                    None => bail!("checks depend on checks that do not exist"),
                }
            }
            for id in &wave {
                if let Some(c) = self.check(id) {
                    done.insert(c.id.as_str());
                }
            }
            waves.push(wave);
        }
        Ok(waves)
    }
}

/// `a` → `b` → `a`, for a cycle of check ids.
fn name_cycle(cycle: &[String]) -> String {
    cycle
        .iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}
