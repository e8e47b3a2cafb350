//! Fast layout: most pages share their layout except for the title, the page path and the
//! body, so the layout is rendered once per group of such pages with placeholders, and each
//! page fills them in.
//!
//! Steps: group the jobs whose layout can only differ in title, path and body — same root
//! prefix and section, no description, a title that is a string, and a path the sidebar does
//! not list (so no sidebar entry is marked current) → render the group's skeleton with
//! placeholder title, path and body → check it: fill in the first page of the group and compare
//! with a full render of that page; a repository `base.html` that transforms the title or path
//! (a filter, a comparison) makes them differ, and the group falls back to full renders →
//! [`Layouts::wrap`] fills in a page (title and path escaped exactly as the template escapes
//! them), or returns `None` for a page without a usable skeleton.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use serde_json::Value;

use super::html::escape_html;
use super::templates::Templates;
use crate::site::job::PageJob;

/// Placeholders: private-use characters that escaping leaves alone and no page contains.
const TITLE: &str = "\u{E000}sitegen-title\u{E000}";
const PATH: &str = "\u{E000}sitegen-path\u{E000}";
const BODY: &str = "\u{E000}sitegen-body\u{E000}";

/// Checked skeletons by group.
#[derive(Debug, Default)]
pub struct Layouts {
    skeletons: HashMap<(String, String), String>,
    /// Pages whose body the check rendered (not taken from the cache).
    pub rendered_bodies: HashSet<String>,
}

fn site_str<'a>(job: &'a PageJob, key: &str) -> Option<&'a str> {
    job.context.get("site")?.get(key)?.as_str()
}

/// The group of a job, when its layout can be filled in from a skeleton.
fn group(job: &PageJob, nav_paths: &HashSet<&str>) -> Option<(String, String)> {
    if job.context.get("description").is_some_and(|d| !d.is_null())
        || !job.context.get("title").is_some_and(Value::is_string)
        || nav_paths.contains(job.path.as_str())
    {
        return None;
    }
    Some((
        site_str(job, "root")?.to_string(),
        site_str(job, "section")?.to_string(),
    ))
}

fn fill(skeleton: &str, title: &str, path: &str, body: &str) -> String {
    skeleton
        .replace(TITLE, &escape_html(title))
        .replace(PATH, &escape_html(path))
        .replace(BODY, body)
}

impl Layouts {
    /// Builds and checks the skeleton of every group among `jobs` whose template has a
    /// layout, with the sidebar `nav`. `body_of` renders a job's body (used only for the check) and says whether it
    /// came from the cache.
    pub fn build(
        templates: &Templates,
        jobs: &[PageJob],
        nav: &Value,
        body_of: impl Fn(&PageJob) -> Result<(String, bool)>,
    ) -> Result<Layouts> {
        let nav_paths: HashSet<&str> = nav
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("path").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let mut firsts: HashMap<(String, String), &PageJob> = HashMap::new();
        for job in jobs.iter().filter(|j| templates.has_layout(&j.template)) {
            if let Some(g) = group(job, &nav_paths) {
                firsts.entry(g).or_insert(job);
            }
        }
        let mut skeletons = HashMap::new();
        let mut rendered_bodies = HashSet::new();
        for (g, job) in firsts {
            let mut placeholder = job.context.clone();
            if let Some(obj) = placeholder.as_object_mut() {
                obj.insert("title".into(), TITLE.into());
                if let Some(site) = obj.get_mut("site").and_then(Value::as_object_mut) {
                    site.insert("path".into(), PATH.into());
                }
            }
            let skeleton = templates.render_layout(BODY, &placeholder, nav)?;
            let (body, cached) = body_of(job)?;
            if !cached {
                rendered_bodies.insert(job.path.clone());
            }
            let full = templates.render_layout(&body, &job.context, nav)?;
            let title = job.context.get("title").and_then(Value::as_str);
            let filled = title.map(|t| fill(&skeleton, t, &job.path, &body));
            if filled.as_deref() == Some(full.as_str()) {
                skeletons.insert(g, skeleton);
            }
        }
        Ok(Layouts {
            skeletons,
            rendered_bodies,
        })
    }

    /// The page's HTML from its group's skeleton, or `None` when it has none.
    pub fn wrap(&self, job: &PageJob, body: &str, nav_paths: &HashSet<&str>) -> Option<String> {
        let skeleton = self.skeletons.get(&group(job, nav_paths)?)?;
        let title = job.context.get("title")?.as_str()?;
        Some(fill(skeleton, title, &job.path, body))
    }

    /// Number of usable skeletons.
    pub fn len(&self) -> usize {
        self.skeletons.len()
    }

    /// Whether no group has a usable skeleton.
    pub fn is_empty(&self) -> bool {
        self.skeletons.is_empty()
    }
}
