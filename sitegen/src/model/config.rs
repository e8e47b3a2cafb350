//! `sitegen.toml`: where things live, which checks exist, which profile runs which checks, and
//! how strict the gates are.
//!
//! Every table uses `deny_unknown_fields`, so a typo is an error naming the key and the line.
//! After parsing, [`Config::validate`] checks what serde cannot: unique check ids, profiles
//! naming existing checks, acyclic `depends_on`, and paths that stay inside the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::util::pattern::glob_match;
use crate::util::repofs::Repo;
use crate::util::tomlerr::{self, Seg, Seg::Item, Seg::Key};

/// The name of the configuration file at the repository root.
pub const CONFIG_FILE: &str = "sitegen.toml";

/// The whole `sitegen.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where inputs and outputs live, relative to the repository root.
    pub paths: Paths,
    /// The checks, as `[[check]]` tables.
    #[serde(rename = "check")]
    pub checks: Vec<CheckConfig>,
    /// Named sets of checks, as `[profiles.NAME]`.
    pub profiles: BTreeMap<String, Profile>,
    /// Regression thresholds.
    pub regression: RegressionConfig,
    /// Which gates fail `sitegen gate`.
    pub gate: GateConfig,
    /// How the published site links out and publishes `latest`.
    pub site: crate::model::site::SiteConfig,
}

/// Repository-relative locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    /// Markdown pages and `plan.toml`.
    pub content: String,
    /// The plan as data.
    pub plan: String,
    /// Recorded sign-offs.
    pub signoffs: String,
    /// Architecture decision records.
    pub adr: String,
    /// The evidence ledger.
    pub evidence: String,
    /// Baseline script outputs, one folder per date.
    pub benchmark_results: String,
    /// Site templates.
    pub templates: String,
    /// Site output.
    pub site: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            content: "content".into(),
            plan: "content/plan.toml".into(),
            signoffs: "content/signoffs.toml".into(),
            adr: "adr".into(),
            evidence: "evidence".into(),
            benchmark_results: "benchmark_results".into(),
            templates: "templates".into(),
            site: "site".into(),
        }
    }
}

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

/// Regression thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegressionConfig {
    /// Relative change in the worse direction that counts as a regression (0.10 = 10%).
    pub threshold: f64,
    /// Relative change in the worse direction that counts as a regression in a paired
    /// measurement (`sitegen pair`), whose back-to-back pairs cancel the machine's drift and
    /// so resolve smaller changes (0.05 = 5%). A per-metric `overrides` entry applies to both.
    pub paired_threshold: f64,
    /// Significance level for the Mann–Whitney U test when samples exist.
    pub alpha: f64,
    /// Samples needed on each side before the statistical test is used.
    pub min_samples: usize,
    /// Per-metric thresholds overriding `threshold`.
    pub overrides: BTreeMap<String, f64>,
    /// Whether a regression makes `sitegen gate` fail.
    pub blocking: bool,
    /// Metric name patterns (`*` matches any run of characters) left out of regression
    /// verdicts, e.g. wall-clock test durations or derived statistics.
    pub ignore: Vec<String>,
}

impl Default for RegressionConfig {
    fn default() -> Self {
        RegressionConfig {
            threshold: 0.10,
            paired_threshold: 0.05,
            alpha: 0.05,
            min_samples: 5,
            overrides: BTreeMap::new(),
            blocking: true,
            ignore: Vec::new(),
        }
    }
}

impl RegressionConfig {
    /// Whether metric `name` is left out of regression verdicts.
    pub fn is_ignored(&self, name: &str) -> bool {
        self.ignore.iter().any(|p| glob_match(p, name))
    }

    /// The paired threshold of metric `name`: its `overrides` entry, else `paired_threshold`.
    pub fn paired_threshold_of(&self, name: &str) -> f64 {
        self.overrides
            .get(name)
            .copied()
            .unwrap_or(self.paired_threshold)
    }
}

/// Which criteria block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Criterion ids or patterns (`*` matches any characters, e.g. `P0.*`). A blocking
    /// criterion that is not met, or has no evidence, fails the gate; waived passes.
    pub blocking: Vec<String>,
}

impl GateConfig {
    /// Whether `criterion` is blocking.
    pub fn is_blocking(&self, criterion: &str) -> bool {
        self.blocking.iter().any(|p| glob_match(p, criterion))
    }
}

impl Config {
    /// Reads and validates `<root>/sitegen.toml` (which must not resolve outside the
    /// repository, see [`crate::util::repofs`]). A missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join(CONFIG_FILE);
        let repo = Repo::open(root);
        if !path.exists() {
            repo.check(&path)?;
            return Ok(Config::default());
        }
        let text = repo.read_to_string(&path)?;
        Self::parse(&path, &text)
    }

    /// Parses and validates the text of a config file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let config: Config = tomlerr::parse(path, text)?;
        config.validate(path, text)?;
        Ok(config)
    }

    /// Checks what serde cannot; errors name `path` and the line in `text` of the key at
    /// fault (see [`tomlerr::Locator`]).
    pub fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let loc = tomlerr::Locator::new(path, text);
        let p = &self.paths;
        for (key, value) in [
            ("content", &p.content),
            ("plan", &p.plan),
            ("signoffs", &p.signoffs),
            ("adr", &p.adr),
            ("evidence", &p.evidence),
            ("benchmark_results", &p.benchmark_results),
            ("templates", &p.templates),
            ("site", &p.site),
        ] {
            if let Err(why) = check_relative(value) {
                bail!(
                    "{}: paths.{key} = `{value}` {why}",
                    loc.at(&[Key("paths"), Key(key)])
                );
            }
        }
        if let Some(url) = &self.site.source_url
            && let Err(why) = crate::model::site::check_source_url(url)
        {
            bail!("{}: {why:#}", loc.at(&[Key("site"), Key("source_url")]));
        }
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
        let r = &self.regression;
        let thresholds = std::iter::once((
            "threshold".to_string(),
            vec![Key("regression"), Key("threshold")],
            r.threshold,
        ))
        .chain(std::iter::once((
            "paired_threshold".to_string(),
            vec![Key("regression"), Key("paired_threshold")],
            r.paired_threshold,
        )))
        .chain(r.overrides.iter().map(|(metric, t)| {
            (
                format!("overrides.\"{metric}\""),
                vec![Key("regression"), Key("overrides"), Key(metric.as_str())],
                *t,
            )
        }));
        for (what, segs, t) in thresholds {
            if !(t.is_finite() && t > 0.0) {
                bail!(
                    "{}: regression.{what} must be a positive number, got {t}",
                    loc.at(&segs)
                );
            }
        }
        if !(r.alpha > 0.0 && r.alpha < 1.0) {
            bail!(
                "{}: regression.alpha must be in (0, 1), got {}",
                loc.at(&[Key("regression"), Key("alpha")]),
                r.alpha
            );
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

/// Accepts a relative path that never climbs above its start; explains why otherwise.
pub fn check_relative(path: &str) -> std::result::Result<(), &'static str> {
    let p = Path::new(path);
    if path.is_empty() {
        return Err("is empty");
    }
    let mut depth: i64 = 0;
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return Err("escapes the repository (`..` above the root)");
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("must be relative to the repository root");
            }
        }
    }
    Ok(())
}

/// `root` joined with a path that [`check_relative`] accepted.
pub fn resolve(root: &Path, rel: &str) -> PathBuf {
    root.join(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("sitegen.toml"), text)
    }

    const OK: &str = r#"
[[check]]
id = "a"
command = ["true"]

[[check]]
id = "b"
command = ["true"]
depends_on = ["a"]

[profiles.quick]
checks = ["a"]

[profiles.full]
extends = "quick"
checks = ["b", "a"]
"#;

    #[test]
    fn profiles_extend_and_order_checks() {
        let c = parse(OK).expect("parses");
        assert_eq!(c.profile_checks("full").expect("full"), vec!["a", "b"]);
        assert_eq!(c.check_order().expect("order"), vec![vec!["a"], vec!["b"]]);
        assert_eq!(c.regression.threshold, 0.10);
        assert!(c.profile_checks("nightly").is_err());
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[paths]\ncontent = \"c\"\ncontnet = \"x\"\n").expect_err("typo");
        let msg = err.to_string();
        assert!(msg.starts_with("sitegen.toml:3:"), "{msg}");
        assert!(msg.contains("contnet"), "{msg}");
    }

    #[test]
    fn duplicate_check_id_is_an_error_with_line() {
        let text =
            "[[check]]\nid = \"a\"\ncommand = [\"x\"]\n[[check]]\nid = \"a\"\ncommand = [\"y\"]\n";
        let msg = parse(text).expect_err("duplicate").to_string();
        assert!(msg.contains("duplicate check id `a`"), "{msg}");
        assert!(msg.starts_with("sitegen.toml:"), "{msg}");
    }

    #[test]
    fn escaping_paths_are_rejected() {
        for bad in ["../x", "a/../../x", "/etc"] {
            let text = format!("[paths]\nevidence = \"{bad}\"\n");
            let msg = parse(&text).expect_err(bad).to_string();
            assert!(msg.contains("sitegen.toml:2:"), "{msg}");
            assert!(msg.contains("paths.evidence"), "{msg}");
        }
        assert!(check_relative("a/../b").is_ok());
        let text = "[[check]]\nid = \"a\"\ncommand = [\"x\"]\noutputs = [\"../../o.json\"]\n";
        assert!(
            parse(text)
                .expect_err("escape")
                .to_string()
                .contains("escapes")
        );
    }

    #[test]
    fn cycles_and_unknown_references_are_errors() {
        let cyc = "[[check]]\nid = \"a\"\ncommand = [\"x\"]\ndepends_on = [\"b\"]\n[[check]]\nid = \"b\"\ncommand = [\"x\"]\ndepends_on = [\"a\"]\n";
        assert!(parse(cyc).expect_err("cycle").to_string().contains("cycle"));
        let unknown = "[profiles.quick]\nchecks = [\"nope\"]\n";
        assert!(
            parse(unknown)
                .expect_err("unknown")
                .to_string()
                .contains("nope")
        );
    }

    /// Asserts that `text` fails with a message starting `sitegen.toml:<line>:` and holding
    /// `needle`.
    fn fails_at(text: &str, line: usize, needle: &str) {
        let msg = parse(text).expect_err(needle).to_string();
        assert!(
            msg.starts_with(&format!("sitegen.toml:{line}: ")),
            "expected line {line}: {msg}"
        );
        assert!(msg.contains(needle), "expected `{needle}`: {msg}");
    }

    #[test]
    fn every_error_names_the_line_of_the_key_at_fault() {
        let two = "# checks\n[[check]]\nid = 'a'\ncommand = ['x']\n\n[[check]]\nid = 'b'\ncommand = ['x']\n";
        // Syntax and serde errors.
        fails_at(&format!("{two}timeout_secs = \n"), 9, "");
        fails_at(&format!("{two}comand = ['y']\n"), 9, "comand");
        fails_at(&format!("{two}timeout_secs = 'long'\n"), 9, "invalid type");
        fails_at(&format!("{two}stdout = 'xml'\n"), 9, "xml");
        // Validation errors, written in ways a text search does not find.
        fails_at(
            &two.replace("id = 'b'", "id = 'a'"),
            7,
            "duplicate check id `a`",
        );
        fails_at(&two.replace("id = 'b'", "id = ''"), 7, "check id ``");
        fails_at(&format!("{two}timeout_secs = 0\n"), 9, "timeout_secs = 0");
        fails_at(
            &format!("{two}outputs = ['ok', '../../x']\n"),
            9,
            "outputs `../../x`",
        );
        fails_at(
            &format!("{two}depends_on = ['a', 'zz']\n"),
            9,
            "unknown check `zz`",
        );
        let cycle = two
            .replace(
                "command = ['x']\n\n",
                "command = ['x']\ndepends_on = ['b']\n\n",
            )
            .replace(
                "id = 'b'\ncommand = ['x']",
                "id = 'b'\ncommand = ['x']\ndepends_on = ['a']",
            );
        fails_at(&cycle, 5, "a cycle: `a` → `b` → `a`");
        fails_at(
            &format!("{two}\n[profiles]\nquick.checks = ['a', 'nope']\n"),
            11,
            "unknown check `nope`",
        );
        fails_at(
            &format!("{two}\n[profiles.'full']\nchecks = []\nextends = 'ghost'\n"),
            12,
            "unknown profile `ghost`",
        );
        fails_at(
            &format!("{two}[profiles.a]\nextends = 'b'\n[profiles.b]\nextends = 'a'\n"),
            10,
            "extends itself",
        );
        fails_at(
            "[paths]\nsignoffs = 'content/plan-signoffs.toml'\nplan = '/etc/plan.toml'\n",
            3,
            "paths.plan",
        );
        fails_at(
            "[regression]\nthreshold = 0.1\n\n[regression.overrides]\n'a.threshold' = 0.2\n'b' = -1\n",
            6,
            "overrides.\"b\"",
        );
        fails_at(
            "[gate]\nblocking = []\n[regression]\nalpha = 2.0\n",
            4,
            "alpha",
        );
    }

    #[test]
    fn bench_checks_run_alone_after_the_normal_ones() {
        let text = "[[check]]\nid = 'b1'\nkind = 'bench'\ncommand = ['x']\n\
                    [[check]]\nid = 'n1'\ncommand = ['x']\n\
                    [[check]]\nid = 'b2'\nkind = 'bench'\ncommand = ['x']\ndepends_on = ['n2', 'b1']\n\
                    [[check]]\nid = 'n2'\ncommand = ['x']\ndepends_on = ['n1']\n\
                    [[check]]\nid = 'n3'\ncommand = ['x']\n";
        let c = parse(text).expect("parses");
        assert_eq!(c.check("b1").map(|c| c.kind), Some(CheckKind::Bench));
        assert_eq!(c.check("n1").map(|c| c.kind), Some(CheckKind::Normal));
        let all: Vec<String> = ["b2", "n3", "b1", "n2", "n1"].map(String::from).into();
        assert_eq!(
            c.run_order(&all).expect("order"),
            vec![vec!["n1", "n3"], vec!["n2"], vec!["b1"], vec!["b2"]]
        );
        let some: Vec<String> = ["b2", "n2"].map(String::from).into();
        assert_eq!(
            c.run_order(&some).expect("order"),
            vec![vec!["n2"], vec!["b2"]]
        );
    }

    #[test]
    fn unknown_kinds_and_normal_checks_after_benches_are_errors_with_line() {
        let two = "[[check]]\nid = 'a'\ncommand = ['x']\nkind = 'bench'\n\n[[check]]\nid = 'b'\ncommand = ['x']\n";
        fails_at(&format!("{two}kind = 'benchmark'\n"), 9, "benchmark");
        fails_at(
            &format!("{two}depends_on = ['a']\n"),
            9,
            "depends on bench check `a`",
        );
        assert!(parse(&format!("{two}kind = 'bench'\ndepends_on = ['a']\n")).is_ok());
    }

    #[test]
    fn gate_patterns_match_prefixes() {
        let g = GateConfig {
            blocking: vec!["P0.*".into(), "P5.zero-failing".into()],
        };
        assert!(g.is_blocking("P0.toolchain"));
        assert!(g.is_blocking("P5.zero-failing"));
        assert!(!g.is_blocking("P5.suite-time"));
    }
}
