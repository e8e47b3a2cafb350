//! The load phase: content pages, ADRs, git history, templates (repository overrides over the
//! embedded defaults) and the published versions; the verified evidence is loaded beside it
//! ([`evidence`]).

pub mod evidence;

use anyhow::Result;

use super::options::BuildOptions;
use super::render::templates;
use super::versions;
use crate::model::config::Paths;
use crate::model::{adr, content};
use crate::project::Project;
use crate::util::git;
use crate::util::repofs::Repo;

/// Everything the load phase reads.
#[derive(Debug)]
pub struct Loaded {
    /// Content pages in sidebar order.
    pub pages: Vec<content::Page>,
    /// ADRs sorted by id.
    pub adrs: Vec<adr::Adr>,
    /// Git history from HEAD.
    pub history: git::History,
    /// The template set.
    pub templates: templates::Templates,
    /// Versions already published (from `site/versions.json`).
    pub versions: Vec<versions::VersionEntry>,
    /// The version being built.
    pub version: String,
    /// Where the repository keeps its inputs (`sitegen.toml` `[paths]`).
    pub paths: Paths,
    /// `sitegen.toml` `[site]`.
    pub site: crate::model::site::SiteConfig,
    /// The verified evidence and its evaluation; `None` without a `sitegen.toml`.
    pub evidence: Option<evidence::Evidence>,
}

/// The load phase.
pub fn load(options: &BuildOptions, project: &Project) -> Result<Loaded> {
    let root = &project.root;
    let version = match &options.version {
        Some(v) => v.clone(),
        None => {
            // The evidence capture's rule (`evidence::environment::git_state`), plus the
            // build folder, which holds the build cache.
            let mut outputs = project.outputs().to_vec();
            outputs.push(std::path::Path::new("target"));
            git::default_version(root, &outputs)?
        }
    };
    versions::validate_name(&version)?;
    let repo = Repo::open(root);
    Ok(Loaded {
        pages: content::load_dir(&repo, &project.content_dir())?,
        adrs: adr::load_dir(&repo, &project.adr_dir())?,
        history: git::history(root)?,
        templates: templates::Templates::load(&repo, &project.templates_dir())?,
        versions: versions::read(&project.site_dir())?,
        paths: project.config.paths.clone(),
        site: project.config.site.clone(),
        version,
        evidence: None,
    })
}
