//! Small helpers shared by the model, the evidence and the site; none knows about either side.
//!
//! - [`output`] — every line sitegen prints (closed pipes, full disks);
//! - [`atomic`] — replacing a file atomically and durably;
//! - [`repofs`] — reading repository files under one symlink rule;
//! - [`git`] — history, the default version name and `HEAD`;
//! - [`lock`] — advisory file locks between processes;
//! - [`tomlerr`] — TOML errors naming file and line;
//! - [`pattern`] — `*` name patterns;
//! - [`graph`] — finding a dependency cycle to name;
//! - [`ids`] — commit ids and hashes shortened for display, one length constant each;
//! - [`slug`] — the slug rules for URLs and anchors, and why they differ.

pub mod atomic;
pub mod git;
pub mod graph;
pub mod ids;
pub mod lock;
pub mod output;
pub mod pattern;
pub mod repofs;
pub mod slug;
pub mod tomlerr;
