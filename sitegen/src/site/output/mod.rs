//! The output phases: publish one version of the site without ever exposing a half-written
//! tree.
//!
//! Steps, in order:
//! 1. ([`staging::Staging::create`], before rendering) refuse if `site/<V>/` exists (published versions
//!    are immutable) unless `--force`; lay out the version's files (known from the page jobs)
//!    and create the temporary directory `target/sitegen-cache/staging/<V>-<pid>/` with every folder
//!    and the assets. Staging lives under `target/sitegen-cache/` — outside the published folder,
//!    on the same file system so that the final rename is atomic — and so does every other
//!    temporary file or tree of a build ([`staging::STAGING`]); a build first removes what builds that
//!    were killed left there ([`leftovers::remove_leftovers`]); then the evidence store
//!    `site/evidence/`, beside the versions, is brought up to date with every run the version
//!    shows ([`evidence::publish`]: complete files renamed into place, never a part);
//! 2. (render phase) each page is written there as soon as it is rendered
//!    ([`staging::Staging::write_page`]) — or hard-linked from the previous version when it is shared
//!    ([`staging::Staging::share_page`]) — so no more than a page per thread is held in memory, and its
//!    links are scanned ([`links::scan`]);
//! 3. ([`check::check`], its own build phase) every anchor the pages link to must exist; nothing is
//!    published if a link is broken; the error names the page and the link;
//! 4. ([`publish::publish`] from here on) rename the temporary tree to `site/<V>/` (with `--force`, the
//!    old tree is first renamed aside, then removed); a build that fails earlier removes it;
//! 5. point `site/latest` at the newest version: a relative symbolic link (`latest -> <V>`),
//!    replaced atomically by creating it under a temporary name and renaming it over the old
//!    one — two system calls however large the site. Where symbolic links are not available, a
//!    full copy (hard links where possible) is made instead, by the same
//!    write-aside-and-rename. Deploy steps that upload the tree dereference the link (e.g.
//!    `tar --dereference`), so static hosts get a plain copy;
//! 6. write `site/versions.json`, `site/versions.js`, `site/versions.html` and the root
//!    redirect `site/index.html`, each through a temporary file and a rename.

pub mod check;
pub mod evidence;
pub mod latest;
pub mod leftovers;
pub mod links;
pub mod publish;
pub mod staging;

use std::collections::HashSet;

use links::Fragment;

/// A page written to the staging tree: rendered, or shared with the previous version.
#[derive(Debug, Clone, Default)]
pub struct RenderedPage {
    /// Same as [`PageJob::path`](crate::site::PageJob::path).
    pub path: String,
    /// Whether its files are the previous version's ([`reuse`](crate::site::incremental::reuse)); nothing was rendered.
    pub shared: bool,
    /// Whether the page body came from the render cache (or the page was shared).
    pub cached: bool,
    /// The page key ([`page_key`](crate::site::incremental::reuse::page_key)) when a later build may share this page.
    pub key: Option<String>,
    /// The render-cache key of the page's body, when known.
    pub body_key: Option<String>,
    /// The `id`s on the page (rendered pages only).
    pub ids: HashSet<String>,
    /// Links to missing files (rendered pages only), as messages.
    pub broken: Vec<String>,
    /// Links with fragments, checked once every page is written (rendered pages only).
    pub fragments: Vec<Fragment>,
}
