//! Content pages: `content/**/*.md`, markdown rendered in parallel through the cache; an
//! unchanged page is shared with the previous version without even reading the cache.

use anyhow::Result;
use rayon::prelude::*;
use serde_json::json;

use crate::site::context::Shared;
use crate::site::incremental::cache::Cache;
use crate::site::job::PageJob;
use crate::site::load::Loaded;
use crate::site::options::BuildOptions;
use crate::site::render::markdown::RenderOptions;
use crate::site::urls::root_prefix;
use crate::site::view::{markdown_inputs, parent_dir, relative, render_markdown};

/// One page job per content page.
pub fn content_pages(
    shared: &Shared,
    options: &BuildOptions,
    loaded: &Loaded,
    cache: &Cache,
) -> Result<Vec<PageJob>> {
    loaded
        .pages
        .par_iter()
        .map(|page| {
            let source = relative(&options.root, &page.path);
            let md_options = RenderOptions {
                allow_html: options.allow_html,
                top_heading_level: 2,
                root_prefix: root_prefix(&page.slug),
                source_dir: parent_dir(&source),
                content_dir: loaded.paths.content.clone(),
                adr_dir: loaded.paths.adr.clone(),
            };
            // The page is a function of its front matter title and description, its source
            // path, and its markdown with the render options: keyed by them, an unchanged page
            // is shared without rendering or even reading its markdown from the cache.
            let md_inputs = markdown_inputs(&page.body, &md_options)?;
            cache.keep("markdown", &Cache::key("markdown", &md_inputs));
            let mut inputs =
                serde_json::to_vec(&(&page.meta.title, &page.meta.description, &source))?;
            inputs.push(0);
            inputs.extend_from_slice(&md_inputs);
            shared.keyed_job(page.slug.clone(), "page.html", "content", &inputs, || {
                let rendered = render_markdown(cache, &page.body, &md_options)?;
                Ok(json!({
                    "title": page.meta.title,
                    "description": page.meta.description,
                    "source": source,
                    "content": rendered.html,
                    "toc": rendered.toc,
                }))
            })
        })
        .collect()
}
