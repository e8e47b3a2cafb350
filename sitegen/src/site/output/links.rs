//! The internal link checker, run on every page as it is rendered and on the whole version
//! before it is published.
//!
//! Steps: for each page ([`scan`]), as soon as it is rendered: collect its `id="…"` anchors; for
//! each `href`/`src`, skip external URLs (with a scheme, `//host`, `mailto:`, `data:`) and links
//! that leave the version's tree (`../versions.js`, `../versions.html`) → resolve the rest
//! against the page's directory (a directory means its `index.html`) → the target file must be
//! in the tree (known before rendering starts); a `#fragment` becomes an obligation. Once every
//! page is scanned ([`check_fragments`]): each obligation's fragment must be an id on its target
//! page. Every broken link is reported ([`report`]), naming the page and the link; any is an
//! error. [`check`] runs all of it over pages held in memory.
//!
//! The same scan refuses any `href` or `src` whose scheme is not `http`, `https` or `mailto`
//! ([`crate::site::render::markdown::is_safe_url`]): whatever put it there — a repository template, raw HTML
//! let through with `--allow-html`, a value from front matter or evidence — a `javascript:`,
//! `data:` or `file:` URL is never published.

use std::collections::{HashMap, HashSet};

use anyhow::{Result, bail};
use rayon::prelude::*;

/// A page to check: its path relative to the version root (`adr/index.html`) and its HTML.
pub type HtmlFile<'a> = (&'a str, &'a str);

/// A link with a `#fragment` whose target file exists: the fragment is checked once every
/// page's anchors are known.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The link as written.
    pub link: String,
    /// The target file, relative to the version root.
    pub target: String,
    /// The id it must name.
    pub fragment: String,
}

/// What scanning one page found.
#[derive(Debug, Default)]
pub struct PageLinks {
    /// Every `id` on the page.
    pub ids: HashSet<String>,
    /// Links to files that are not in the tree, as messages naming the page and the link.
    pub broken: Vec<String>,
    /// Links with a fragment, to check with [`check_fragments`] (one per target and fragment).
    pub fragments: Vec<Fragment>,
}

/// Scans the page `page` (its file path, `adr/index.html`) with HTML `html` against the files of
/// the tree.
pub fn scan(page: &str, html: &str, all_files: &HashSet<String>) -> PageLinks {
    let dir = page.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut out = PageLinks {
        ids: anchors(html),
        ..PageLinks::default()
    };
    let mut seen: HashSet<String> = HashSet::new();
    for link in attribute_values(html, "href").chain(attribute_values(html, "src")) {
        if !seen.insert(link.clone()) {
            continue;
        }
        if !crate::site::render::markdown::is_safe_url(&link) {
            out.broken.push(format!(
                "{page}: unsafe link `{link}` (only http:, https:, mailto: and relative URLs \
                 are published)"
            ));
            continue;
        }
        match resolve_link(dir, page, &link, all_files) {
            None => {}
            Some(Err(problem)) => out.broken.push(format!("{page}: {problem}")),
            Some(Ok((target, Some(fragment)))) => out.fragments.push(Fragment {
                link,
                target,
                fragment,
            }),
            Some(Ok((_, None))) => {}
        }
    }
    out
}

/// The broken anchors among `fragments` of page `page`, given the anchors of every HTML page.
pub fn check_fragments(
    page: &str,
    fragments: &[Fragment],
    anchors: &HashMap<&str, &HashSet<String>>,
) -> Vec<String> {
    fragments
        .iter()
        .filter_map(|f| {
            let (link, target, fragment) = (&f.link, &f.target, &f.fragment);
            match anchors.get(target.as_str()) {
                Some(ids) if ids.contains(fragment) => None,
                Some(_) => Some(format!(
                    "{page}: broken anchor `{link}` (no id `{fragment}` on `{target}`)"
                )),
                None => Some(format!(
                    "{page}: broken anchor `{link}` (`{target}` is not an HTML page)"
                )),
            }
        })
        .collect()
}

/// An error listing every broken link, if there is any.
pub fn report(mut broken: Vec<String>) -> Result<()> {
    if !broken.is_empty() {
        broken.sort();
        broken.dedup();
        bail!(
            "{} broken or unsafe internal link(s):\n  {}",
            broken.len(),
            broken.join("\n  ")
        );
    }
    Ok(())
}

/// Checks every internal link in `html_files`. `all_files` holds every file in the tree
/// (HTML or not), relative to the version root with `/` separators.
pub fn check(all_files: &HashSet<String>, html_files: &[HtmlFile<'_>]) -> Result<()> {
    let scanned: Vec<PageLinks> = html_files
        .par_iter()
        .map(|(page, html)| scan(page, html, all_files))
        .collect();
    let anchors: HashMap<&str, &HashSet<String>> = html_files
        .iter()
        .zip(&scanned)
        .map(|((page, _), s)| (*page, &s.ids))
        .collect();
    let mut broken = Vec::new();
    for ((page, _), s) in html_files.iter().zip(&scanned) {
        broken.extend(s.broken.iter().cloned());
        broken.extend(check_fragments(page, &s.fragments, &anchors));
    }
    report(broken)
}

/// Every `id` on a page.
pub fn anchors(html: &str) -> HashSet<String> {
    attribute_values(html, "id").collect()
}

/// Resolves one link of page `page` (in directory `dir`): `None` when it is not ours to check
/// (external, leaves the version tree), an error message when its file is missing, else the
/// target file and the fragment to check, if any.
fn resolve_link(
    dir: &str,
    page: &str,
    link: &str,
    all_files: &HashSet<String>,
) -> Option<Result<(String, Option<String>), String>> {
    if link.is_empty() || is_external(link) {
        return None;
    }
    let (path_part, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (link, None),
    };
    let path_part = path_part.split('?').next().unwrap_or("");
    let target = if path_part.is_empty() {
        page.to_string()
    } else {
        // `None`: leaves the version tree — into the evidence store (checked: its files are
        // known as `../evidence/…`), or to another version or the site root (not ours).
        let Some(mut resolved) = resolve(dir, path_part) else {
            let beside = resolve_beside(dir, path_part)?;
            if !all_files.contains(&beside) {
                return Some(Err(format!("broken link `{link}` (no file `{beside}`)")));
            }
            let fragment = fragment.filter(|f| !f.is_empty()).map(str::to_string);
            return Some(Ok((beside, fragment)));
        };
        if resolved.is_empty() || path_part.ends_with('/') {
            if !resolved.is_empty() {
                resolved.push('/');
            }
            resolved.push_str("index.html");
        } else if !all_files.contains(&resolved)
            && all_files.contains(&format!("{resolved}/index.html"))
        {
            resolved.push_str("/index.html");
        }
        resolved
    };
    if !all_files.contains(&target) {
        return Some(Err(format!("broken link `{link}` (no file `{target}`)")));
    }
    let fragment = fragment.filter(|f| !f.is_empty()).map(str::to_string);
    Some(Ok((target, fragment)))
}

fn is_external(link: &str) -> bool {
    if link.starts_with("//") || link.starts_with("mailto:") || link.starts_with("data:") {
        return true;
    }
    match link.find(':') {
        Some(colon) => {
            let scheme = &link[..colon];
            !scheme.is_empty()
                && !scheme.contains('/')
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Resolves `rel`, which leaves the version root from `dir`, to `../evidence/<path>` when it
/// lands in the site's evidence store; `None` for anywhere else.
fn resolve_beside(dir: &str, rel: &str) -> Option<String> {
    // One folder above the version root stands for the site root.
    const VERSION: &str = "\u{0}";
    let resolved = resolve(&format!("{VERSION}/{dir}"), rel)?;
    let store = crate::site::urls::EVIDENCE_STORE;
    resolved
        .strip_prefix(store)
        .filter(|rest| rest.starts_with('/'))
        .map(|rest| format!("../{store}{rest}"))
}

/// Resolves `rel` against `dir` (both `/`-separated, relative to the version root). `None`
/// when the result would leave the root.
fn resolve(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        return None;
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in rel.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Decodes the character references an escaper writes in attribute values: `&amp;`, `&lt;`,
/// `&gt;`, `&quot;` and numeric `&#NN;` / `&#xNN;`.
fn decode_entities(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail.find(';').and_then(|semi| {
            let name = &tail[1..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The values of every `name="…"` attribute in `html` (double-quoted, as our templates and
/// the markdown renderer write them), with character references decoded.
fn attribute_values<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = String> + 'a {
    let needle = format!(" {name}=\"");
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = rest.find(&needle)? + needle.len();
        let after = &rest[start..];
        let end = after.find('"')?;
        let value = &after[..end];
        rest = &after[end..];
        Some(decode_entities(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> HashSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entities_in_attributes_are_decoded() {
        assert_eq!(
            decode_entities("..&#x2F;a&amp;b&#47;c&bogus"),
            "../a&b/c&bogus"
        );
        let all = files(&["a/index.html", "index.html"]);
        let pages = [
            ("index.html", r#"<a href="a&#x2F;index.html"></a>"#),
            ("a/index.html", ""),
        ];
        check(&all, &pages).expect("decoded link resolves");
    }

    #[test]
    fn good_links_pass() {
        let all = files(&[
            "index.html",
            "adr/index.html",
            "assets/style.css",
            "a/data.json",
        ]);
        let pages = [
            (
                "index.html",
                r##"<a href="adr/index.html#top"></a><a href="adr/"></a><a href="#me"></a><p id="me"></p><link href="assets/style.css"><a href="https://x.org/#y"></a><a href="../v1/index.html"></a><a href="a/data.json"></a>"##,
            ),
            (
                "adr/index.html",
                r##"<h1 id="top"></h1><a href="../index.html"></a><a href="..#me"></a>"##,
            ),
        ];
        check(&all, &pages).expect("all links good");
    }

    #[test]
    fn broken_link_names_page_and_link() {
        let all = files(&["index.html", "adr/index.html"]);
        let pages = [
            ("index.html", r#"<a href="adr/missing/index.html"></a>"#),
            ("adr/index.html", ""),
        ];
        let err = check(&all, &pages).expect_err("broken").to_string();
        assert!(
            err.contains("index.html: broken link `adr/missing/index.html`"),
            "{err}"
        );
    }

    #[test]
    fn unsafe_urls_fail_the_check_naming_page_and_link() {
        let all = files(&["index.html"]);
        let pages = [(
            "index.html",
            r#"<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AA"><a href="&#106;avascript:alert(2)"></a><a href=" JaVa&#9;Script:alert(3)"></a><a href="https://example.org/"></a><a href="mailto:a@example.org"></a>"#,
        )];
        let err = check(&all, &pages).expect_err("unsafe").to_string();
        assert!(err.starts_with("4 broken or unsafe"), "{err}");
        for link in [
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "javascript:alert(2)",
            "Script:alert(3)",
        ] {
            assert!(err.contains(link), "{link} not named: {err}");
        }
        assert!(err.contains("index.html: unsafe link `"), "{err}");
    }

    #[test]
    fn broken_anchor_names_page_and_link() {
        let all = files(&["index.html", "adr/index.html"]);
        let pages = [
            ("index.html", r#"<a href="adr/index.html#nope"></a>"#),
            (
                "adr/index.html",
                r##"<h1 id="yes"></h1><a href="#gone"></a>"##,
            ),
        ];
        let err = check(&all, &pages).expect_err("broken").to_string();
        assert!(
            err.contains("index.html: broken anchor `adr/index.html#nope`"),
            "{err}"
        );
        assert!(
            err.contains("adr/index.html: broken anchor `#gone`"),
            "{err}"
        );
        assert!(err.starts_with("2 broken"), "{err}");
    }

    #[test]
    fn links_into_the_evidence_store_are_checked_and_other_versions_are_not() {
        let all = files(&["runs/r/index.html", "../evidence/r/SHA256SUMS"]);
        let good = [(
            "runs/r/index.html",
            r#"<a href="../../../evidence/r/SHA256SUMS"></a><a href="../../../v0/index.html"></a><a href="../../../versions.html"></a>"#,
        )];
        check(&all, &good).expect("store link resolves; other versions are not ours");
        let bad = [(
            "runs/r/index.html",
            r#"<a href="../../../evidence/r/records/gone.json"></a>"#,
        )];
        let err = check(&all, &bad)
            .expect_err("missing store file")
            .to_string();
        assert!(
            err.contains("no file `../evidence/r/records/gone.json`"),
            "{err}"
        );
    }
}
