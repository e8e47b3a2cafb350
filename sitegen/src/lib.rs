//! sitegen — the evidence site generator.
//!
//! It runs a project's checks and benchmarks, records their results as a hash-chained evidence
//! ledger, evaluates the hardening plan's acceptance gates against that evidence, and renders a
//! versioned static site. The pipeline, in order: load → verify → evaluate → render → write.
//!
//! The entry point for programs (the CLI and the site) is [`project::Project`]:
//!
//! ```no_run
//! use sitegen::evaluate::Verdict;
//! use sitegen::project::Project;
//!
//! let project = Project::open(std::path::Path::new("."))?; // reads sitegen.toml
//! let report = project.verify()?; // every hash and the chain
//! assert!(report.ok());
//! let runs = project.load_runs()?; // Vec<Run>: records, metrics, manifest sha256
//! let eval = project.evaluate_runs(&runs, None)?; // criteria, phases, regressions
//! for c in eval.criteria.iter().filter(|c| c.verdict == Verdict::NoEvidence) {
//!     println!("{} has no evidence yet", c.id);
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Formats are documented in `docs/formats/` (metrics JSON, evidence record, run manifest,
//! plan.toml, sitegen.toml), each JSON one with a JSON Schema beside it.

pub mod adr;
pub mod cli;
pub mod config;
pub mod content;
pub mod environment;
pub mod evaluate;
pub mod frontmatter;
pub mod git;
pub mod graph;
pub mod hash;
pub mod ingest;
pub mod ledger;
pub mod lock;
pub mod markdown;
pub mod metrics;
pub mod output;
pub mod pattern;
pub mod plan;
pub mod project;
pub mod record;
pub mod repofs;
pub mod runner;
pub mod signoff;
pub mod site;
pub mod tomlerr;
pub mod verify;
