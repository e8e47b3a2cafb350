//! The template set: tera templates and static assets, embedded defaults (the crate's
//! `sitegen/templates/`) overridden by files of the same name in the repository's templates
//! folder (`[paths] templates`, default `templates/`).
//!
//! Steps: start from the defaults compiled into the binary (so a repository without a
//! templates folder still builds) → replace each one the repository overrides, and add any extra
//! `*.html` it holds (partials for user templates) → compile all templates together so
//! `{% extends %}` and `{% include %}` resolve. HTML templates autoescape every value; rendered
//! markdown is inserted with `| safe` by the templates that show it.
//!
//! Page templates extend `base.html` and put the page in `{% block main %}`. They are compiled
//! twice: once as written, and once against a bare `base.html` that renders only the `main`
//! block — the page body, which the build caches — and [`LAYOUT`] wraps a body in the real
//! `base.html`. A template that does not extend `base.html` is rendered whole, uncached.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use tera::Tera;

use super::html::escape_html;
use crate::util::repofs::Repo;

/// Default templates, by name.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("home.html", include_str!("../../../templates/home.html")),
    ("page.html", include_str!("../../../templates/page.html")),
    (
        "adr_index.html",
        include_str!("../../../templates/adr_index.html"),
    ),
    ("adr.html", include_str!("../../../templates/adr.html")),
    (
        "history.html",
        include_str!("../../../templates/history.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../../templates/dashboard.html"),
    ),
    (
        "macros.html",
        include_str!("../../../templates/macros.html"),
    ),
    ("trace.html", include_str!("../../../templates/trace.html")),
    (
        "signoff.html",
        include_str!("../../../templates/signoff.html"),
    ),
    (
        "metrics_index.html",
        include_str!("../../../templates/metrics_index.html"),
    ),
    (
        "metric.html",
        include_str!("../../../templates/metric.html"),
    ),
    ("runs.html", include_str!("../../../templates/runs.html")),
    ("run.html", include_str!("../../../templates/run.html")),
    (
        "paired.html",
        include_str!("../../../templates/paired.html"),
    ),
    (
        "compare.html",
        include_str!("../../../templates/compare.html"),
    ),
    (
        "catalog.html",
        include_str!("../../../templates/catalog.html"),
    ),
];

/// Name of the internal template that wraps a rendered body in `base.html`.
pub const LAYOUT: &str = "__layout.html";
const LAYOUT_SOURCE: &str =
    "{% extends \"base.html\" %}{% block main %}{{ __body | safe }}{% endblock main %}";
const BODY_BASE: &str = "{% block main %}{% endblock main %}";

/// Default static assets, by file name; written to `<version>/assets/`.
pub const DEFAULT_ASSETS: &[(&str, &str)] = &[
    ("style.css", include_str!("../../../templates/style.css")),
    ("site.js", include_str!("../../../templates/site.js")),
    ("filter.js", include_str!("../../../templates/filter.js")),
    ("fold.js", include_str!("../../../templates/fold.js")),
    ("search.js", include_str!("../../../templates/search.js")),
];

/// Compiled templates plus the static assets to copy.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
    body: Tera,
    fingerprint: String,
    layouts: Vec<String>,
    /// `(file name, contents)` of every static asset.
    pub assets: Vec<(String, String)>,
    /// Names of templates that came from the repository rather than the defaults.
    pub overridden: Vec<String>,
}

impl Templates {
    /// Loads the defaults, overridden by files in `dir` (which need not exist), a folder of
    /// `repo` read by [`Repo::files`]: a symbolic link is followed when it stays inside the
    /// repository and is an error otherwise.
    pub fn load(repo: &Repo, dir: &Path) -> Result<Self> {
        let mut sources: Vec<(String, String)> = DEFAULT_TEMPLATES
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut assets: Vec<(String, String)> = DEFAULT_ASSETS
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut overridden = Vec::new();
        {
            for path in repo.files(dir, false)? {
                let Some(name) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_string)
                else {
                    continue;
                };
                let is_asset = assets.iter().any(|(n, _)| *n == name);
                if !is_asset && !name.ends_with(".html") {
                    continue;
                }
                let text = repo.read_to_string(&path)?;
                let slot = if is_asset { &mut assets } else { &mut sources };
                match slot.iter_mut().find(|(n, _)| *n == name) {
                    Some(existing) => existing.1 = text,
                    None => slot.push((name.clone(), text)),
                }
                overridden.push(name);
            }
        }
        let compile = |sources: &[(String, String)]| -> Result<Tera> {
            let mut tera = Tera::default();
            tera.autoescape_on(vec![".html"]);
            tera.set_escape_fn(escape_html);
            super::format::register(&mut tera);
            tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
                .map_err(|e| anyhow!("{}", error_chain(&e)))
                .with_context(|| {
                    format!(
                        "while compiling templates (defaults, overridden from {}: {:?})",
                        dir.display(),
                        overridden
                    )
                })?;
            Ok(tera)
        };
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        for (n, s) in &sources {
            sha2::Digest::update(&mut hasher, n.as_bytes());
            sha2::Digest::update(&mut hasher, [0]);
            sha2::Digest::update(&mut hasher, s.as_bytes());
            sha2::Digest::update(&mut hasher, [0]);
        }
        let fingerprint = crate::evidence::hash::hex(&sha2::Digest::finalize(hasher));
        let layouts = sources
            .iter()
            .filter(|(n, s)| n != "base.html" && s.contains("extends \"base.html\""))
            .map(|(n, _)| n.clone())
            .collect();
        let body_sources: Vec<(String, String)> = sources
            .iter()
            .map(|(n, s)| {
                let s = if n == "base.html" {
                    BODY_BASE
                } else {
                    s.as_str()
                };
                (n.clone(), s.to_string())
            })
            .collect();
        let body = compile(&body_sources)?;
        sources.push((LAYOUT.to_string(), LAYOUT_SOURCE.to_string()));
        let tera = compile(&sources)?;
        Ok(Self {
            tera,
            body,
            fingerprint,
            layouts,
            assets,
            overridden,
        })
    }

    /// A hash of every template source: part of every cached body's key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether `template` extends `base.html` (so its body can be rendered and cached alone).
    pub fn has_layout(&self, template: &str) -> bool {
        self.layouts.iter().any(|n| n == template)
    }

    /// Renders only the `main` block of `template` with `context`.
    pub fn render_body(&self, template: &str, context: &serde_json::Value) -> Result<String> {
        let ctx = tera::Context::from_value(context.clone())
            .map_err(|e| anyhow!("{}", error_chain(&e)))?;
        self.body
            .render(template, &ctx)
            .map_err(|e| anyhow!("{}", error_chain(&e)))
    }

    /// Wraps a rendered `body` in `base.html`: the page's title, description and `site`, with
    /// the sidebar `nav` added to `site`.
    pub fn render_layout(
        &self,
        body: &str,
        context: &serde_json::Value,
        nav: &serde_json::Value,
    ) -> Result<String> {
        // The layout shows only the title, description and `site`; copying the rest of a large
        // context would cost time for nothing.
        let mut site = context
            .get("site")
            .and_then(|s| s.as_object())
            .cloned()
            .unwrap_or_default();
        // No version name or list: pages stay identical between versions (`reuse.rs`);
        // `site.js` shows them.
        site.insert("nav".into(), nav.clone());
        let mut top = serde_json::Map::new();
        for key in ["title", "description"] {
            if let Some(v) = context.get(key) {
                top.insert(key.into(), v.clone());
            }
        }
        top.insert("site".into(), serde_json::Value::Object(site));
        top.insert("__body".into(), body.into());
        let ctx = tera::Context::from_value(serde_json::Value::Object(top))
            .map_err(|e| anyhow!("{}", error_chain(&e)))?;
        self.tera
            .render(LAYOUT, &ctx)
            .map_err(|e| anyhow!("{}", error_chain(&e)))
    }

    /// Renders `template` with `context` (a JSON object).
    pub fn render(&self, template: &str, context: &serde_json::Value) -> Result<String> {
        let ctx = tera::Context::from_value(context.clone())
            .map_err(|e| anyhow!("{}", error_chain(&e)))?;
        self.tera
            .render(template, &ctx)
            .map_err(|e| anyhow!("{}", error_chain(&e)))
    }
}

/// Tera errors keep the useful part (line, missing variable) in their sources.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_file_overrides_default_and_bad_template_names_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("home.html"), "HOME {{ x }}").expect("write");
        std::fs::write(tmp.path().join("style.css"), "body{}").expect("write");
        let t = Templates::load(&Repo::open(tmp.path()), tmp.path()).expect("loads");
        let out = t
            .render("home.html", &serde_json::json!({"x": "<b>"}))
            .expect("renders");
        assert_eq!(out, "HOME &lt;b&gt;");
        assert!(
            t.assets
                .iter()
                .any(|(n, s)| n == "style.css" && s == "body{}")
        );
        std::fs::write(tmp.path().join("page.html"), "{% if %}").expect("write");
        let err = format!(
            "{:#}",
            Templates::load(&Repo::open(tmp.path()), tmp.path()).expect_err("bad")
        );
        assert!(err.contains("page.html"), "{err}");
    }

    #[test]
    fn defaults_compile_without_a_templates_directory() {
        let dir = Path::new("/nonexistent/templates");
        let t = Templates::load(&Repo::open(dir), dir).expect("defaults");
        assert!(t.overridden.is_empty());
        assert_eq!(t.assets.len(), DEFAULT_ASSETS.len());
    }
}
