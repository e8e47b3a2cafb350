//! What a build is asked to do: [`BuildOptions`].

use std::path::PathBuf;

use crate::project::Project;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The repository root; its `sitegen.toml` `[paths]` say where content, ADRs, templates
    /// and the output are (defaults: `content/`, `adr/`, `templates/`, `site/`). Ignored when
    /// [`BuildOptions::project`] is set.
    pub root: PathBuf,
    /// The project, when the caller opened it already (`publish`): the build then reads
    /// `sitegen.toml` no second time. `None`: the build opens `root`
    /// ([`Project::open_for_site`]).
    pub project: Option<Project>,
    /// Version name; `None` derives it from git (see [`crate::util::git::default_version`]).
    pub version: Option<String>,
    /// Replace an existing `site/<version>/` instead of failing.
    pub force: bool,
    /// Pass raw HTML in markdown through (otherwise it is escaped).
    pub allow_html: bool,
    /// Site title shown in the header.
    pub title: String,
    /// Reuse and store rendered outputs in `target/sitegen-cache/` (see the module docs).
    pub cache: bool,
}

impl BuildOptions {
    /// Options for building the repository at `root` with defaults for everything else.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            project: None,
            version: None,
            force: false,
            allow_html: false,
            title: "Lightning".to_string(),
            cache: true,
        }
    }

    /// Options for building `project` with defaults for everything else.
    pub fn for_project(project: Project) -> Self {
        let mut options = Self::new(project.root.clone());
        options.project = Some(project);
        options
    }
}
