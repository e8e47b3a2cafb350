//! Small helpers shared by the model, the evidence and the site; none knows about either side.
//!
//! - [`output`] — every line sitegen prints (closed pipes, full disks);
//! - [`atomic`] — replacing a file atomically and durably;
//! - [`repofs`] — reading repository files under one symlink rule;
//! - [`git`] — history, the default version name and `HEAD`;
//! - [`lock`] — advisory file locks between processes;
//! - [`tomlerr`] — TOML errors naming file and line;
//! - [`pattern`] — `*` name patterns;
//! - [`graph`] — finding a dependency cycle to name.

pub mod atomic;
pub mod git;
pub mod graph;
pub mod lock;
pub mod output;
pub mod pattern;
pub mod repofs;
pub mod tomlerr;
