//! sitegen — the evidence site generator.
//!
//! It runs a project's checks and benchmarks, records their results as a hash-chained evidence
//! ledger, evaluates the hardening plan's acceptance gates against that evidence, and renders a
//! versioned static site. The pipeline, in order: load → verify → evaluate → render → write.
//!
//! The entry point for programs (the CLI and the site) is [`project::Project`]:
//!
//! ```no_run
//! use sitegen::project::Project;
//!
//! let project = Project::open(std::path::Path::new("."))?; // reads sitegen.toml
//! let report = project.verify()?; // every hash and the chain
//! assert!(report.ok());
//! let runs = project.load_runs()?; // Vec<Run>: records, metrics, manifest sha256
//! let eval = project.evaluate_runs(&runs, None)?; // criteria, phases, regressions
//! for c in eval.criteria.iter().filter(|c| !c.verdict.passes()) {
//!     println!("{} is {}: {}", c.id, c.verdict.label(), c.reason);
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! # Layout
//!
//! - [`model`] — what the project declares: `sitegen.toml`, the plan, sign-offs, ADRs, content;
//! - [`evidence`] — what was measured: running checks, ingesting results, the hash-chained
//!   ledger and its verification;
//! - [`evaluate`] — the model's criteria judged against the evidence (verdicts, regressions);
//! - [`project`] — the front door: a repository root, its parsed `sitegen.toml` and the folders
//!   it names, with the operations that combine the layers below (verify, load, evaluate, run);
//! - [`site`] — the static site build;
//! - [`bench`](mod@bench) — synthetic repositories and the site-build benchmark;
//! - [`util`] — small shared helpers (output, file access, git, locks);
//! - [`cmd`] — the command line: one module per command.
//!
//! Formats are documented in `docs/formats/` (metrics JSON, evidence record, run manifest,
//! plan.toml, sitegen.toml), each JSON one with a JSON Schema beside it.

pub mod bench;
pub mod cmd;
pub mod evaluate;
pub mod evidence;
pub mod fuzz;
pub mod model;
pub mod project;
pub mod site;
pub mod util;
