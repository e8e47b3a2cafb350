//! The check phase (step 3 of [`crate::site::output`]): every link of every page resolves.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Result, bail};
use rayon::prelude::*;

use super::RenderedPage;
use super::links;
use super::staging::{Staging, page_file};
use crate::site::incremental::reuse::{PageRecord, Previous};

/// Step 3: checks every fragment the rendered pages link to, and the links of shared pages
/// (see `reuse.rs`); returns what the next build needs to share this version's pages.
pub fn check(
    pages: &[RenderedPage],
    staging: &Staging,
    previous: Option<&Previous>,
) -> Result<BTreeMap<String, PageRecord>> {
    let files: Vec<String> = pages
        .iter()
        .map(|p| page_file(&p.path, "index.html"))
        .collect();
    let mut broken: Vec<String> = pages
        .iter()
        .flat_map(|p| p.broken.iter().cloned())
        .collect();
    let mut owned: HashMap<String, HashSet<String>> = HashMap::new();
    let any_shared = pages.iter().any(|p| p.shared);
    if any_shared {
        let Some(prev) = previous else {
            bail!("internal error: pages marked as shared without a previous version");
        };
        let page_paths: HashSet<&str> = pages.iter().map(|p| p.path.as_str()).collect();
        let fresh: HashMap<&str, HashSet<String>> = pages
            .iter()
            .filter(|p| !p.shared)
            .map(|p| (p.path.as_str(), p.ids.clone()))
            .collect();
        if prev.still_reachable(&page_paths, &fresh) {
            for (page, file) in pages.iter().zip(&files).filter(|(p, _)| p.shared) {
                let ids = prev.ids(&page.path).unwrap_or_default();
                owned.insert(file.clone(), ids.iter().cloned().collect());
            }
        } else {
            // Something a shared page may link to is gone: scan the shared pages too.
            let scanned: Vec<(String, links::PageLinks)> = pages
                .par_iter()
                .zip(&files)
                .filter(|(p, _)| p.shared)
                .map(|(p, file)| {
                    let html = staging.read_html(&p.path)?;
                    Ok((file.clone(), links::scan(file, &html, staging.linkable())))
                })
                .collect::<Result<_>>()?;
            let mut fragments = Vec::new();
            for (file, s) in scanned {
                broken.extend(s.broken);
                fragments.push((file.clone(), s.fragments));
                owned.insert(file, s.ids);
            }
            let anchors = anchors_of(pages, &files, &owned);
            for (file, f) in &fragments {
                broken.extend(links::check_fragments(file, f, &anchors));
            }
        }
    }
    let anchors = anchors_of(pages, &files, &owned);
    for (page, file) in pages.iter().zip(&files) {
        broken.extend(links::check_fragments(file, &page.fragments, &anchors));
    }
    links::report(broken)?;
    let mut record = BTreeMap::new();
    for (page, file) in pages.iter().zip(&files) {
        let Some(key) = &page.key else { continue };
        let mut ids: Vec<String> = anchors
            .get(file.as_str())
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        record.insert(
            page.path.clone(),
            PageRecord {
                key: key.clone(),
                ids,
                body: page.body_key.clone(),
            },
        );
    }
    Ok(record)
}

/// The anchors of every page by file: rendered pages' own, shared pages' from `owned`.
fn anchors_of<'a>(
    pages: &'a [RenderedPage],
    files: &'a [String],
    owned: &'a HashMap<String, HashSet<String>>,
) -> HashMap<&'a str, &'a HashSet<String>> {
    let mut anchors: HashMap<&str, &HashSet<String>> = pages
        .iter()
        .zip(files)
        .filter(|(p, _)| !p.shared)
        .map(|(p, f)| (f.as_str(), &p.ids))
        .collect();
    for (file, ids) in owned {
        anchors.insert(file.as_str(), ids);
    }
    anchors
}
