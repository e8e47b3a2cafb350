//! Slugs: text turned into URL path segments and HTML ids. Four rules, one module. They differ
//! on purpose, and none can change without changing published URLs and anchors (links into
//! older versions, bookmarks, snapshot-tested output):
//!
//! - [`page_segment`] — a content file's name as a URL segment: it must already be one (ASCII
//!   letters, digits, `-`, `_`), lowercased; anything else is refused, never rewritten, so two
//!   files can never map to one page;
//! - [`metric_slugs`] — metric names as page folders: `.`, `_` and `-` kept (metric names use
//!   them), anything else `-`, never starting with `.`, and unique (a clash is numbered);
//! - [`heading_id`] — markdown headings as anchors: any Unicode letter or digit kept, every run
//!   of other characters one `-`, never empty;
//! - [`anchor_id`] — catalog entries as anchors: one character in, one out (ASCII letters and
//!   digits lowercased, everything else `-`), so nested names stay distinct.

use std::collections::{HashMap, HashSet};

/// `part` lowercased when it is a usable URL segment (non-empty, ASCII letters, digits, `-`
/// and `_` only); `None` otherwise.
pub fn page_segment(part: &str) -> Option<String> {
    let ok = !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| part.to_ascii_lowercase())
}

/// URL-safe, unique slugs for metric names: lowercase ASCII letters, digits, `.`, `_` and `-`
/// kept, anything else becomes `-`; a clash gets `-2`, `-3`… in name order.
pub fn metric_slugs<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<String, String> {
    let mut names: Vec<&str> = names.filter(|n| !n.is_empty()).collect();
    names.sort_unstable();
    names.dedup();
    let mut taken = HashSet::new();
    let mut out = HashMap::new();
    for name in names {
        let base: String = name
            .chars()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let base = if base.starts_with('.') || base.is_empty() {
            format!("m{base}")
        } else {
            base
        };
        let mut slug = base.clone();
        let mut n = 2;
        while !taken.insert(slug.clone()) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        out.insert(name.to_string(), slug);
    }
    out
}

/// Turns heading text into an anchor id: lowercase letters and digits, other runs of
/// characters become one `-`. Never empty (`section` when nothing is left).
pub fn heading_id(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    if slug.is_empty() {
        slug.push_str("section");
    }
    slug
}

/// One character per character: ASCII letters and digits lowercased, anything else `-`.
pub fn anchor_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_as_documented() {
        assert_eq!(
            page_segment("Backup_Guide-2").as_deref(),
            Some("backup_guide-2")
        );
        assert_eq!(page_segment("a b"), None);
        assert_eq!(page_segment(""), None);
        assert_eq!(
            heading_id("Phase 0 — Discover & Baseline"),
            "phase-0-discover-baseline"
        );
        assert_eq!(heading_id("!!!"), "section");
        assert_eq!(anchor_id("page_types[2].Name"), "page-types-2--name");
        let s = metric_slugs(["a/b", "a-b", "A B", ".hidden", "ok.name_1"].into_iter());
        // Clashes are numbered in name order: "A B" < "a-b" < "a/b".
        assert_eq!(s["A B"], "a-b");
        assert_eq!(s["a-b"], "a-b-2");
        assert_eq!(s["a/b"], "a-b-3");
        assert_eq!(s[".hidden"], "m.hidden");
        assert_eq!(s["ok.name_1"], "ok.name_1");
    }
}
