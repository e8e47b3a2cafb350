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

use crate::pattern::glob_match;
use crate::repofs::Repo;
use crate::tomlerr;

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

/// One `[[check]]`: a command whose outcome becomes an evidence record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// Unique id, e.g. `engine-tests`.
    pub id: String,
    /// What the check shows, one line.
    pub description: String,
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
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            id: String::new(),
            description: String::new(),
            command: Vec::new(),
            workdir: ".".into(),
            timeout_secs: 600,
            phase: None,
            outputs: Vec::new(),
            stdout: StdoutFormat::Text,
            artifacts: Vec::new(),
            depends_on: Vec::new(),
            env: BTreeMap::new(),
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
    /// repository, see [`crate::repofs`]). A missing file gives the defaults.
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

    /// Checks what serde cannot; errors name `path` and, where known, the line in `text`.
    pub fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let here = |needle: &str| {
            let line = text
                .find(needle)
                .map(|o| tomlerr::line_of(text, o))
                .unwrap_or(1);
            format!("{}:{line}", path.display())
        };
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
                bail!("{}: paths.{key} = `{value}` {why}", here(key));
            }
        }
        let mut ids = BTreeSet::new();
        for check in &self.checks {
            let at = here(&format!("\"{}\"", check.id));
            if check.id.is_empty()
                || !check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!(
                    "{at}: check id `{}` must be non-empty ASCII letters, digits, `-` or `_`",
                    check.id
                );
            }
            if !ids.insert(check.id.as_str()) {
                bail!("{at}: duplicate check id `{}`", check.id);
            }
            if check.command.is_empty() {
                bail!("{at}: check `{}` has an empty command", check.id);
            }
            if check.timeout_secs == 0 {
                bail!("{at}: check `{}` has timeout_secs = 0", check.id);
            }
            for (key, value) in std::iter::once(("workdir", &check.workdir))
                .chain(check.outputs.iter().map(|o| ("outputs", o)))
                .chain(check.artifacts.iter().map(|a| ("artifacts", a)))
            {
                if let Err(why) = check_relative(value) {
                    bail!("{at}: check `{}`: {key} `{value}` {why}", check.id);
                }
            }
        }
        for check in &self.checks {
            for dep in &check.depends_on {
                if !ids.contains(dep.as_str()) {
                    bail!(
                        "{}: check `{}` depends on unknown check `{dep}`",
                        here(&format!("\"{}\"", check.id)),
                        check.id
                    );
                }
            }
        }
        self.check_order()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (name, profile) in &self.profiles {
            for id in &profile.checks {
                if !ids.contains(id.as_str()) {
                    bail!(
                        "{}: profile `{name}` names unknown check `{id}`",
                        here(&format!("[profiles.{name}]"))
                    );
                }
            }
            if let Some(base) = &profile.extends
                && !self.profiles.contains_key(base)
            {
                bail!(
                    "{}: profile `{name}` extends unknown profile `{base}`",
                    here(&format!("[profiles.{name}]"))
                );
            }
        }
        for name in self.profiles.keys() {
            self.profile_checks(name)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        let r = &self.regression;
        for (what, t) in std::iter::once(("threshold", r.threshold))
            .chain(r.overrides.values().map(|t| ("overrides", *t)))
        {
            if !(t.is_finite() && t > 0.0) {
                bail!(
                    "{}: regression {what} must be a positive number, got {t}",
                    here(what)
                );
            }
        }
        if !(r.alpha > 0.0 && r.alpha < 1.0) {
            bail!(
                "{}: regression.alpha must be in (0, 1), got {}",
                here("alpha"),
                r.alpha
            );
        }
        Ok(())
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
                let stuck: Vec<_> = self
                    .checks
                    .iter()
                    .filter(|c| !done.contains(c.id.as_str()))
                    .map(|c| c.id.as_str())
                    .collect();
                bail!(
                    "checks depend on each other in a cycle: {}",
                    stuck.join(", ")
                );
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
