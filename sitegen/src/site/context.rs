//! The context every page shares: [`Chrome`] (what the layout adds: version, sidebar, version
//! list) and [`Shared`] (what every page job gets: the `site` object, and page keys for
//! sharing unchanged pages with the previous version).

use anyhow::Result;
use serde_json::{Value, json};

use super::incremental::reuse::{self, Previous};
use super::job::PageJob;
use super::load::Loaded;
use super::options::BuildOptions;
use super::render::templates::Templates;
use super::urls::root_prefix;
use super::versions;

/// What the layout adds to every page of this version: the version name, the sidebar and the
/// version list. Kept out of each page's context, so page bodies do not depend on the version
/// (and are reused from the render cache) and no page's context holds copies of them.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The version being built.
    pub version: String,
    /// Sidebar documents: `[{title, path}]`.
    pub nav: Value,
    /// Every published version, this one included, newest first.
    pub versions: Value,
}

impl Chrome {
    /// The chrome of the version `loaded` builds.
    pub fn new(loaded: &Loaded) -> Self {
        let nav = loaded
            .pages
            .iter()
            .map(|p| json!({"title": p.meta.title, "path": p.slug}))
            .collect();
        Self {
            version: loaded.version.clone(),
            nav,
            versions: json!(versions::with_new(
                &loaded.versions,
                &loaded.version,
                &loaded.version
            )),
        }
    }
}

/// Context shared by every page; [`Shared::job`] adds the page-specific root prefix.
pub struct Shared<'a> {
    /// The site title shown in the header.
    pub title: String,
    evidence: bool,
    /// `[site] source_url`: commit ids link to it (`{sha}` replaced) when set.
    source_url: Option<String>,
    /// [`reuse::chrome_digest`] of this build.
    chrome: String,
    previous: Option<&'a Previous>,
    templates: &'a Templates,
}

impl<'a> Shared<'a> {
    /// The shared context of the build of `loaded` with `options`.
    pub fn new(
        options: &BuildOptions,
        loaded: &'a Loaded,
        chrome: &Chrome,
        previous: Option<&'a Previous>,
    ) -> Result<Self> {
        Ok(Self {
            title: options.title.clone(),
            evidence: loaded.evidence.is_some(),
            source_url: loaded.site.source_url.clone(),
            chrome: reuse::chrome_digest(&loaded.templates, &chrome.nav)?,
            previous,
            templates: &loaded.templates,
        })
    }

    /// Like [`Shared::job`] for a page whose context `context()` builds from nothing but what
    /// `inputs` identifies (the caller's digest of every input: evidence hashes, ids of linked
    /// pages, configuration). The page key is derived from `inputs`, so when the previous
    /// version published the page with the same key the context is never built and the page
    /// is shared ([`PageJob::shared`]).
    pub fn keyed_job(
        &self,
        path: String,
        template: &str,
        section: &str,
        inputs: &[u8],
        context: impl FnOnce() -> Result<Value>,
    ) -> Result<PageJob> {
        if !self.templates.has_layout(template) {
            // Rendered whole with the version name: never shared.
            return Ok(self.job(path, template, section, context()?));
        }
        let mut all = Vec::with_capacity(inputs.len() + self.title.len() + 16);
        all.extend_from_slice(self.title.as_bytes());
        all.push(0);
        all.push(u8::from(self.evidence));
        all.extend_from_slice(self.source_url.as_deref().unwrap_or_default().as_bytes());
        all.push(0);
        all.extend_from_slice(section.as_bytes());
        all.push(0);
        all.extend_from_slice(inputs);
        let key = reuse::input_page_key(&self.chrome, template, &path, &all);
        if self.previous.is_some_and(|p| p.unchanged(&path, &key)) {
            return Ok(PageJob {
                path,
                template: template.to_string(),
                context: Value::Null,
                key: Some(key),
                shared: true,
                measurements: None,
            });
        }
        let mut job = self.job(path, template, section, context()?);
        job.key = Some(key);
        Ok(job)
    }

    /// A page job at `path` rendered by `template`, in sidebar `section`, with `page` as its
    /// context plus the `site` object (title, root prefix, path, section, whether there is
    /// evidence, the `[site] source_url` template; the layout adds the version, sidebar and version list from [`Chrome`]).
    pub fn job(&self, path: String, template: &str, section: &str, mut page: Value) -> PageJob {
        let site = json!({
            "title": self.title,
            "root": root_prefix(&path),
            "path": path,
            "section": section,
            "evidence": self.evidence,
            "source_url": self.source_url,
        });
        if let Some(obj) = page.as_object_mut() {
            obj.insert("site".to_string(), site);
        }
        PageJob {
            path,
            template: template.to_string(),
            context: page,
            key: None,
            shared: false,
            measurements: None,
        }
    }
}
