//! What a build is asked to do: [`BuildOptions`].

use std::path::PathBuf;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The repository root (holds `content/`, `adr/`, `templates/`; output goes to `site/`).
    pub root: PathBuf,
    /// Version name; `None` derives it from git (see [`git::default_version`]).
    pub version: Option<String>,
    /// Replace an existing `site/<version>/` instead of failing.
    pub force: bool,
    /// Pass raw HTML in markdown through (otherwise it is escaped).
    pub allow_html: bool,
    /// Site title shown in the header.
    pub title: String,
    /// Reuse and store rendered outputs in `site/.cache/` (see the module docs).
    pub cache: bool,
}

impl BuildOptions {
    /// Options for building the repository at `root` with defaults for everything else.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            version: None,
            force: false,
            allow_html: false,
            title: "Lightning".to_string(),
            cache: true,
        }
    }
}
