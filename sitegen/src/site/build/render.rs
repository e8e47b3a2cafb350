//! The render phase: every [`PageJob`] rendered (or shared) and written to the staging tree.

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::site::context::Chrome;
use crate::site::incremental::{cache, reuse};
use crate::site::job::{PageData, PageJob};
use crate::site::output::staging::Staging;
use crate::site::output::{RenderedPage, links};
use crate::site::render::layout;
use crate::site::render::templates::Templates;

/// Where the render phase puts pages.
pub struct Output<'a> {
    /// The version's temporary tree.
    pub staging: &'a Staging,
    /// The previous build, whose pages may be shared.
    pub previous: Option<&'a reuse::Previous>,
}

/// The render phase: every job's body through its template (cached by template set and
/// context), then the layout with the version's [`Chrome`] around it, in parallel; each
/// page is written to the staging tree and its links scanned at once, so only a page per thread
/// is in memory. A page whose key matches the one the previous version published is not
/// rendered but shared (see [`reuse`]).
pub fn render(
    templates: &Templates,
    jobs: Vec<PageJob>,
    chrome: &Chrome,
    cache: &cache::Cache,
    out: &Output<'_>,
) -> Result<Vec<RenderedPage>> {
    let previous = out.previous;
    let body_key = |job: &PageJob| -> Result<String> {
        let mut inputs = templates.fingerprint().as_bytes().to_vec();
        inputs.extend_from_slice(job.template.as_bytes());
        inputs.push(0);
        serde_json::to_writer(&mut inputs, &job.context)?;
        Ok(cache::Cache::key("body", &inputs))
    };
    let body_with_key = |job: &PageJob, key: &str| -> Result<(String, bool)> {
        let mut computed = false;
        let body = cache.get_or_keyed("body", key, || {
            computed = true;
            templates.render_body(&job.template, &job.context)
        })?;
        Ok((body, !computed))
    };
    let body_of = |job: &PageJob| body_with_key(job, &body_key(job)?);
    let chrome_digest = reuse::chrome_digest(templates, &chrome.nav)?;
    let layouts = layout::Layouts::build(templates, &jobs, &chrome.nav, body_of)?;
    let nav_paths: std::collections::HashSet<&str> = chrome
        .nav
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("path").and_then(serde_json::Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let share = |path: &str, key: String, body_key: Option<String>| -> Result<RenderedPage> {
        let prev = previous.context("internal error: a shared page without a previous version")?;
        out.staging.share_page(path, &prev.dir)?;
        if let Some(k) = &body_key {
            cache.keep("body", k);
        }
        Ok(RenderedPage {
            path: path.to_string(),
            shared: true,
            cached: true,
            key: Some(key),
            body_key,
            ..RenderedPage::default()
        })
    };
    // Jobs are consumed: each context is freed as soon as its page is written.
    jobs.into_par_iter()
        .map(|job| {
            let job = &job;
            let named = || {
                format!(
                    "while rendering page `{}/index.html` with template `{}`",
                    job.path, job.template
                )
            };
            if job.shared {
                // Shared by its producer, which derived the key from the page's inputs.
                let key = job
                    .key
                    .clone()
                    .context("internal error: shared page without a key")?;
                let body_key = previous
                    .and_then(|p| p.body_key(&job.path))
                    .map(str::to_string);
                return share(&job.path, key, body_key);
            }
            let (html, cached, key, body_key) = if templates.has_layout(&job.template) {
                let body_key = body_key(job).with_context(named)?;
                let key = match (&job.key, &job.measurements) {
                    (Some(k), _) => k.clone(),
                    (None, None) => reuse::page_key(&body_key, &chrome_digest),
                    // The data file holds more than the body shows.
                    (None, Some(all)) => reuse::page_key(
                        &reuse::page_key(&body_key, &chrome_digest),
                        &cache::Cache::key("measurements", &serde_json::to_vec(all)?),
                    ),
                };
                if previous.is_some_and(|p| p.unchanged(&job.path, &key)) {
                    return share(&job.path, key, Some(body_key));
                }
                let (body, cached) = body_with_key(job, &body_key).with_context(named)?;
                // A body the layout check rendered a moment ago counts as rendered.
                let cached = cached && !layouts.rendered_bodies.contains(&job.path);
                let html = match layouts.wrap(job, &body, &nav_paths) {
                    Some(html) => html,
                    None => templates
                        .render_layout(&body, &job.context, &chrome.nav)
                        .with_context(named)?,
                };
                (html, cached, Some(key), Some(body_key))
            } else {
                // A template that does not use the layout is rendered whole, with the version
                // name and list in `site`; such pages are never shared between versions.
                let mut full = job.context.clone();
                if let Some(site) = full.get_mut("site").and_then(|s| s.as_object_mut()) {
                    site.insert("version".into(), chrome.version.clone().into());
                    site.insert("nav".into(), chrome.nav.clone());
                    site.insert("versions".into(), chrome.versions.clone());
                }
                let html = templates.render(&job.template, &full).with_context(named)?;
                (html, false, None, None)
            };
            let data = serde_json::to_string_pretty(&PageData {
                context: &job.context,
                measurements: job.measurements.as_deref(),
            })
            .with_context(|| format!("while serialising data for `{}`", job.path))?;
            out.staging.write_page(&job.path, &html, &data)?;
            let file = if job.path.is_empty() {
                "index.html".to_string()
            } else {
                format!("{}/index.html", job.path)
            };
            let scanned = links::scan(&file, &html, out.staging.linkable());
            Ok(RenderedPage {
                path: job.path.clone(),
                shared: false,
                cached,
                key,
                body_key,
                ids: scanned.ids,
                broken: scanned.broken,
                fragments: scanned.fragments,
            })
        })
        .collect()
}
