//! sitegen — the evidence site generator.
//!
//! It runs a project's checks and benchmarks, records their results as a hash-chained evidence
//! ledger, evaluates the hardening plan's acceptance gates against that evidence, and renders a
//! versioned static site. The pipeline, in order: load → verify → evaluate → render → write.
//!
//! The entry point for programs (the CLI and the site) is [`project::Project`].

pub mod adr;
pub mod cli;
pub mod config;
pub mod environment;
pub mod evaluate;
pub mod frontmatter;
pub mod hash;
pub mod ingest;
pub mod ledger;
pub mod metrics;
pub mod plan;
pub mod project;
pub mod record;
pub mod runner;
pub mod signoff;
pub mod tomlerr;
pub mod verify;
