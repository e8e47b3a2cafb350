//! Fuzzing sitegen's own parsers (`sitegen fuzz`): the seeded mutation loop of
//! `lightning-mutate` over a corpus of real inputs — this repository's plan, `sitegen.toml`,
//! ADRs and content pages, the newest runs of its evidence ledger, and the fixtures of
//! sitegen's tests (JUnit XML, metrics JSON, Bencher Metric Format) — each fed to one target's
//! parser, every panic caught as a crash. A parser may refuse any input; it must never panic.

pub mod targets;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
pub use lightning_mutate::{Budget, LoopReport};

pub use targets::{ALL, Target};

/// Inputs per target.
#[derive(Debug, Default)]
pub struct Corpus {
    inputs: BTreeMap<&'static str, Vec<Vec<u8>>>,
}

impl Corpus {
    /// The inputs for `target` (empty if none).
    pub fn inputs(&self, target: Target) -> &[Vec<u8>] {
        self.inputs.get(target.name()).map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, target: Target, input: Vec<u8>) {
        self.inputs.entry(target.name()).or_default().push(input);
    }

    fn add_file(&mut self, target: Target, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        self.add(target, bytes);
        Ok(())
    }

    /// The corpus of the repository at `root`: its own declarations and newest evidence, and
    /// the fixtures compiled into sitegen.
    pub fn build(root: &Path) -> Result<Corpus> {
        let mut c = Corpus::default();
        c.add_file(Target::Config, &root.join("sitegen.toml"))?;
        c.add_file(Target::Plan, &root.join("content").join("plan.toml"))?;
        let plan = std::fs::read_to_string(root.join("content").join("plan.toml"))?;
        for line in plan.lines() {
            if let Some(expr) = line
                .strip_prefix("metric = \"")
                .and_then(|l| l.strip_suffix('"'))
            {
                c.add(Target::Expression, expr.as_bytes().to_vec());
            }
        }
        for dir in ["adr", "content"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .take(12)
            {
                let target = if dir == "adr" {
                    Target::Adr
                } else {
                    Target::FrontMatter
                };
                c.add_file(target, path)?;
            }
        }
        let evidence = root.join("evidence");
        if let Ok(head) = std::fs::read(evidence.join("chain-head.json")) {
            c.add(Target::ChainHead, head);
        }
        let mut runs: Vec<_> = std::fs::read_dir(&evidence)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        runs.sort();
        for run in runs.iter().rev().take(2) {
            c.add_file(Target::Manifest, &run.join("manifest.json"))?;
            c.add_file(Target::RunInfo, &run.join("run.json"))?;
            if let Ok(records) = std::fs::read_dir(run.join("records")) {
                for r in records.filter_map(|e| e.ok()).take(6) {
                    c.add_file(Target::Record, &r.path())?;
                }
            }
        }
        for (target, text) in [
            (
                Target::Junit,
                include_str!("../../tests/fixtures/junit/nextest.xml"),
            ),
            (
                Target::Junit,
                include_str!("../../tests/fixtures/repo/junit-src.xml"),
            ),
            (
                Target::MetricsJson,
                include_str!("../../tests/fixtures/json/metrics.json"),
            ),
            (
                Target::MetricsJson,
                include_str!("../../tests/fixtures/json/bmf.json"),
            ),
        ] {
            c.add(target, text.as_bytes().to_vec());
        }
        c.add(Target::RenderCache, targets::render_cache_seed());
        c.add(Target::PageRecord, targets::page_record_seed());
        Ok(c)
    }
}

/// Fuzzes `target` for `budget` with the mutation stream seeded by `seed` (and the target);
/// `scratch` is a folder the file-based targets may write in.
pub fn run(
    target: Target,
    corpus: &Corpus,
    budget: Budget,
    seed: u64,
    scratch: &Path,
) -> LoopReport {
    lightning_mutate::run_with(
        corpus.inputs(target),
        budget,
        seed ^ (target as u64).wrapping_mul(0x9E37_79B9),
        |_| {},
        |input| target.exec(input, scratch),
    )
}

#[cfg(test)]
mod tests;
