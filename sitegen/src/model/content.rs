//! Content pages: `content/**/*.md` with front matter (title, description, weight).
//!
//! Steps: walk the directory (sorted, so builds are deterministic) → parse front matter (unknown
//! keys are errors naming the file and line) → derive each page's slug from its path → order the
//! pages by weight, then title, which is the order of the navigation sidebar.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::frontmatter;
use crate::util::repofs::Repo;

/// Front matter of a content page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    /// Page title (sidebar and `<title>`).
    pub title: String,
    /// One-sentence summary (shown under the title and in `<meta name="description">`).
    #[serde(default)]
    pub description: String,
    /// Sort key for the sidebar; lower comes first.
    #[serde(default)]
    pub weight: i64,
}

/// A loaded content page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The front matter.
    pub meta: PageMeta,
    /// The markdown body.
    pub body: String,
    /// URL path under the version root, without slashes at either end: `guides/backup`.
    pub slug: String,
    /// The source file.
    pub path: PathBuf,
}

/// One sidebar entry.
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    /// Link text.
    pub title: String,
    /// URL path under the version root (`guides/backup`).
    pub slug: String,
}

/// Loads every `*.md` under `dir` (a folder of `repo`, read by [`Repo::files`]: a symbolic
/// link is followed when it stays inside the repository and is an error otherwise), ordered
/// for the sidebar. A missing directory gives no pages. Slugs must be unique and must not
/// collide with generated sections (`adr`, `history`).
pub fn load_dir(repo: &Repo, dir: &Path) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    for path in repo.files(dir, true)? {
        let path = path.as_path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let doc = frontmatter::read::<PageMeta>(repo, path)?;
        let slug = slug_for(dir, path)?;
        pages.push(Page {
            meta: doc.meta,
            body: doc.body,
            slug,
            path: path.to_path_buf(),
        });
    }
    pages.sort_by(|a, b| {
        (a.meta.weight, &a.meta.title, &a.slug).cmp(&(b.meta.weight, &b.meta.title, &b.slug))
    });
    let mut seen = std::collections::HashMap::new();
    for page in &pages {
        if let Some(other) = seen.insert(page.slug.clone(), page.path.clone()) {
            bail!(
                "{} and {} both map to the page `{}`",
                other.display(),
                page.path.display(),
                page.slug
            );
        }
    }
    Ok(pages)
}

/// The sidebar for `pages` (already in sidebar order).
pub fn navigation(pages: &[Page]) -> Vec<NavItem> {
    pages
        .iter()
        .map(|p| NavItem {
            title: p.meta.title.clone(),
            slug: p.slug.clone(),
        })
        .collect()
}

/// Reserved top-level URL segments used by generated pages.
pub const RESERVED: &[&str] = &["adr", "history", "assets", "index"];

fn slug_for(dir: &Path, path: &Path) -> Result<String> {
    let rel = path
        .strip_prefix(dir)
        .with_context(|| format!("{} is not under {}", path.display(), dir.display()))?;
    let mut parts = Vec::new();
    for component in rel.with_extension("").components() {
        let part = component
            .as_os_str()
            .to_str()
            .with_context(|| format!("{}: file name is not valid UTF-8", path.display()))?;
        let Some(segment) = crate::util::slug::page_segment(part) else {
            bail!(
                "{}: `{part}` is not a usable URL segment (expected letters, digits, `-` or `_`)",
                path.display()
            );
        };
        parts.push(segment);
    }
    if parts.len() == 1 && RESERVED.contains(&parts[0].as_str()) {
        bail!(
            "{}: the page name `{}` is reserved for a generated page",
            path.display(),
            parts[0]
        );
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn pages_are_ordered_by_weight_then_title() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(
            tmp.path(),
            "b.md",
            "+++\ntitle = \"Bee\"\nweight = 1\n+++\n",
        );
        write(
            tmp.path(),
            "a.md",
            "+++\ntitle = \"Ant\"\nweight = 2\n+++\n",
        );
        write(
            tmp.path(),
            "guides/c.md",
            "+++\ntitle = \"Cat\"\nweight = 1\n+++\n",
        );
        write(tmp.path(), "plan.toml", "not a page");
        let pages = load_dir(&Repo::open(tmp.path()), tmp.path()).expect("loads");
        let slugs: Vec<_> = pages.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, ["b", "guides/c", "a"]);
        assert_eq!(navigation(&pages)[1].title, "Cat");
    }

    #[test]
    fn unknown_front_matter_key_is_an_error_naming_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), "a.md", "+++\ntitle = \"A\"\nwieght = 1\n+++\n");
        let err = load_dir(&Repo::open(tmp.path()), tmp.path())
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains("a.md:3") && err.contains("wieght"), "{err}");
    }

    #[test]
    fn reserved_and_odd_names_are_rejected() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), "history.md", "+++\ntitle = \"H\"\n+++\n");
        assert!(load_dir(&Repo::open(tmp.path()), tmp.path()).is_err());
        let tmp = tempfile::tempdir().expect("tempdir");
        write(tmp.path(), "a b.md", "+++\ntitle = \"H\"\n+++\n");
        let err = load_dir(&Repo::open(tmp.path()), tmp.path())
            .expect_err("space")
            .to_string();
        assert!(err.contains("a b"), "{err}");
    }
}
