//! The site build: one orchestrator running named, timed phases, each returning `Result`.
//!
//! Phases, in order:
//! 1. **load** — content pages, ADRs, git history, templates (repository overrides over the
//!    embedded defaults), the existing `site/versions.json`;
//! 2. **evidence** — when the repository has a `sitegen.toml`: under the ledger lock, hash every
//!    file of the ledger, check the chain and its anchor at git `HEAD` (a broken ledger fails
//!    the build) and parse the runs from the bytes hashed; load the plan, evaluate the gates
//!    ([`load::evidence`]);
//! 3. **plan** — turn what was loaded into a list of [`PageJob`]s, one producer per page family
//!    in [`pages`], rendering markdown and charts in parallel through the cache; warnings (e.g. a
//!    one-sided supersede) are collected here;
//! 4. **render** — every job in parallel with rayon: the page's own template (its `main`
//!    block) with the page's context, through the render cache; then the layout (`base.html`:
//!    header, sidebar, version switcher) around it — rendered once per group of pages that
//!    differ only in title, path and body, and filled in ([`render::layout`]). Each page is written at
//!    once into the version's temporary tree (`target/sitegen-cache/staging/<V>-<pid>/`, created with
//!    every folder by the short `stage` phase) and its links are scanned, so only a page per thread is held in
//!    memory; a page the previous version published with the same key is hard-linked instead
//!    of rendered ([`incremental::reuse`]);
//! 5. **check** — every anchor a page links to, and the links of shared pages ([`output::links`],
//!    [`output::check`]); a broken one fails the build and the temporary tree is removed;
//! 6. **write** — the temporary tree is moved atomically to `site/<version>/`, then
//!    `site/latest`, `site/versions.json` and the root redirect are updated ([`output::publish`]).
//!
//! # Layout
//!
//! Bottom-up, each importing only what is listed before it (`docs/ARCHITECTURE.md`, checked by
//! `tools/archcheck`):
//! 1. [`urls`] (where pages live), [`options`] (what to build), [`areas`] (metric areas), then
//!    [`job`] (a page to render);
//! 2. [`render`] — templates, layouts, markdown, escaping, charts: turning data into HTML;
//! 3. [`versions`] — the list of published versions (`versions.json`, the root redirect);
//! 4. [`load`] — the load and evidence phases;
//! 5. [`incremental`] — everything kept between builds (render cache, page sharing);
//! 6. [`output`] — staging, link check, publishing;
//! 7. [`context`] (what every page shares), [`view`] (how model and evidence values appear in
//!    page contexts);
//! 8. [`search`] (the client-side search index), [`pages`] — one producer per page family
//!    (the plan phase);
//! 9. [`build()`](build::build) — the orchestrator, and the render phase itself
//!    ([`build::render`]).
//!
//! # Adding pages
//!
//! A page is a [`PageJob`]: an output directory (`metrics/commit_p99_us`), a template name and a
//! JSON context. To add a kind of page: write a module in [`pages`] that returns `Vec<PageJob>` built with `Shared::job` (which adds the `site` object: title,
//! version, root prefix, sidebar, versions), push its jobs in [`pages::plan`], and add the
//! template to `sitegen/templates/` and to [`render::templates::DEFAULT_TEMPLATES`]. Rendering in parallel,
//! `data.json`, the link check and versioned publishing then apply to it unchanged. Data the
//! page needs (evidence, plan) is added to [`Loaded`] in the load phase.
//!
//! # Incremental rebuilds
//!
//! Two layers, both under `target/sitegen-cache/` — and nothing about the evidence: every build reads,
//! hashes and parses every ledger file (once each, in parallel), so nothing is shown that this
//! build did not verify:
//! - the render cache ([`incremental::cache`]): markdown documents and page bodies (the page template
//!   rendered with the page's context) by a hash of their inputs, in one pack file;
//! - page sharing ([`incremental::reuse`]): pages carry no version name (`site.js` shows it), so a page
//!   whose key — a hash of its template set, template, context (or, for run, compare and
//!   content pages, of the evidence hashes or sources the context is built from), sidebar and
//!   assets — equals the one the previous build recorded is hard-linked from the previous
//!   version; run, compare and content pages, keyed by their inputs, are not even planned
//!   then. Only shared-page links that could have broken are re-checked.
//!
//! Adding one run therefore renders only the pages whose data changed (the new run and its
//! compare pages, its predecessor, the metrics it measured, the summaries).
//! [`BuildReport::rendered`] counts re-rendered bodies, [`BuildReport::reused`] shared pages.
//!
//! # Versions
//!
//! `site/<V>/` is immutable once published: building an existing version is an error unless
//! [`BuildOptions::force`] is set, which replaces the whole tree atomically (renamed aside,
//! then removed) and makes it the newest entry of `versions.json` again.

pub mod areas;
pub mod build;
pub mod context;
pub mod incremental;
pub mod job;
pub mod load;
pub mod options;
pub mod output;
pub mod pages;
pub mod render;
pub mod search;
pub mod urls;
pub mod versions;
pub mod view;

pub use build::{BuildReport, PhaseTiming, SITE_LOCK, build};
pub use job::PageJob;
pub use load::Loaded;
pub use options::BuildOptions;
