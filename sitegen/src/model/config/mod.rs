//! `sitegen.toml`: where things live, which checks exist, which profile runs which checks, and
//! how strict the gates are.
//!
//! Every table uses `deny_unknown_fields`, so a typo is an error naming the key and the line.
//! After parsing, [`Config::validate`] checks what serde cannot: unique check ids, profiles
//! naming existing checks, acyclic `depends_on`, and paths that stay inside the repository.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::util::repofs::Repo;
use crate::util::tomlerr::{self, Seg::Key};

mod check;
mod gates;

pub use check::{CheckConfig, CheckKind, Profile, StdoutFormat};
pub use gates::{GateConfig, RegressionConfig};

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
        self.validate_checks(&loc)?;
        self.regression.validate(&loc)
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
mod tests;
