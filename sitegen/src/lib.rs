//! sitegen — the evidence site generator.
//!
//! It runs a project's checks and benchmarks, records their results as a hash-chained evidence
//! ledger, evaluates the hardening plan's acceptance gates against that evidence, and renders a
//! versioned static site. The pipeline, in order: load → verify → evaluate → render → write.

pub mod adr;
pub mod content;
pub mod frontmatter;
pub mod git;
pub mod markdown;
pub mod site;
