//! `site/versions.json`: the published versions, newest first, as `[{"version", "title",
//! "aliases"}]`. The newest carries the alias `latest`. The same list is also written as
//! `site/versions.js` (`window.SITEGEN_VERSIONS = [...]`) so pages opened from `file://` can
//! read it with a plain `<script>` tag, where fetching JSON is blocked.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionEntry {
    /// Directory name under `site/`.
    pub version: String,
    /// Human title.
    pub title: String,
    /// Other names that point at it (`latest`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// The page list of a version, at its root ([`pages_js`]).
pub const PAGES_JS: &str = "pages.js";

/// The alias that always names the newest version.
pub const LATEST: &str = "latest";

/// A version name must be a single safe path segment: 1 to 100 letters, digits, `.`, `-`, `_`,
/// `+`, not starting with `.` (so `.`, `..`, `.cache` and the build's temporary names are
/// never versions), and not a reserved name.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
    if !ok {
        bail!(
            "`{name}` is not a valid version name: a version is one folder name of 1 to 100 \
             characters, each a letter, digit, `.`, `-`, `_` or `+`, not starting with `.` \
             (e.g. `v1.2.0` or `4cec030a-dirty`)"
        );
    }
    if matches!(
        name,
        LATEST
            | crate::site::urls::EVIDENCE_STORE
            | "index.html"
            | "versions.json"
            | "versions.js"
            | "versions.html"
    ) {
        bail!(
            "`{name}` is not a valid version name: it is reserved (`latest` names the newest \
             version, `evidence` is the evidence store every version links to; the others are \
             files of the site's root)"
        );
    }
    Ok(())
}

/// Reads `site_dir/versions.json`; a missing file is an empty list. Bad JSON is an error naming
/// the file.
pub fn read(site_dir: &Path) -> Result<Vec<VersionEntry>> {
    let path = site_dir.join("versions.json");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("while reading {}", path.display()))?;
    let entries: Vec<VersionEntry> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected a JSON array of {{\"version\", \"title\", \"aliases\"}}",
            path.display()
        )
    })?;
    for entry in &entries {
        validate_name(&entry.version).with_context(|| format!("in {}", path.display()))?;
    }
    Ok(entries)
}

/// The list after publishing `version`: it goes first (moved there if it was listed already)
/// and takes the `latest` alias from whichever entry had it.
pub fn with_new(existing: &[VersionEntry], version: &str, title: &str) -> Vec<VersionEntry> {
    let mut out = Vec::with_capacity(existing.len() + 1);
    out.push(VersionEntry {
        version: version.to_string(),
        title: title.to_string(),
        aliases: vec![LATEST.to_string()],
    });
    for entry in existing.iter().filter(|e| e.version != version) {
        let mut entry = entry.clone();
        entry.aliases.retain(|a| a != LATEST);
        out.push(entry);
    }
    out
}

/// The contents of `versions.json` and `versions.js` for `entries`.
pub fn render_files(entries: &[VersionEntry]) -> Result<(String, String)> {
    let json = serde_json::to_string_pretty(entries).context("while serialising versions")?;
    // `</` cannot appear inside JSON strings we produce (names are validated), but escape
    // it anyway so the script can never be closed early.
    let js = format!(
        "window.SITEGEN_VERSIONS = {};\n",
        serde_json::to_string(entries)
            .context("while serialising versions")?
            .replace("</", "<\\/")
    );
    Ok((json + "\n", js))
}

/// `site/versions.html`: the published versions, the version switcher's target when
/// JavaScript is off. Styled with the newest version's stylesheet and headed like its pages,
/// with a way back to its home.
pub fn render_page(entries: &[VersionEntry]) -> String {
    use crate::site::render::html::escape_html;
    let mut items = String::new();
    for e in entries {
        let aliases: String = e
            .aliases
            .iter()
            .map(|a| format!(" <span class=\"alias\">{}</span>", escape_html(a)))
            .collect();
        items.push_str(&format!(
            "<li><a href=\"{v}/index.html\">{t}</a>{aliases}</li>\n",
            v = escape_html(&e.version),
            t = escape_html(&e.title)
        ));
    }
    let (style, back) = match entries.first() {
        Some(newest) => {
            let v = escape_html(&newest.version);
            (
                format!("<link rel=\"stylesheet\" href=\"{v}/assets/style.css\">\n"),
                format!(
                    "<p class=\"eyebrow\"><a href=\"{v}/index.html\">← Back to the newest \
                     version ({v})</a></p>\n"
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>Published versions</title>\n{style}</head>\n<body>\n\
         <main id=\"main\" class=\"versions-page\">\n<header class=\"page-head\">\n{back}\
         <h1 class=\"page-title\">Published versions</h1>\n\
         <p class=\"lede\">Newest first. Every version is kept as it was published.</p>\n\
         </header>\n<ul class=\"version-index\">\n{items}</ul>\n</main>\n</body>\n</html>\n"
    )
}

/// `<version>/pages.js`: the page paths of a version (`""` for its home), which the "newer
/// version" banner of an older version reads to open the same page in the newest version, or
/// that version's home when the page is not there. A script, not JSON, so that it loads from
/// `file://`.
pub fn pages_js(paths: &[&str]) -> Result<String> {
    let mut sorted: Vec<&str> = paths.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let json = serde_json::to_string(&sorted).context("while serialising the page list")?;
    Ok(format!(
        "window.SITEGEN_PAGES = {};\n",
        json.replace("</", "<\\/")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_and_latest_alias_moves() {
        let v1 = with_new(&[], "v1", "v1");
        let v2 = with_new(&v1, "v2", "v2");
        let v3 = with_new(&v2, "abc123", "abc123");
        let names: Vec<_> = v3.iter().map(|e| e.version.as_str()).collect();
        assert_eq!(names, ["abc123", "v2", "v1"]);
        assert_eq!(v3[0].aliases, vec!["latest".to_string()]);
        assert!(v3[1].aliases.is_empty() && v3[2].aliases.is_empty());
        let again = with_new(&v3, "v1", "v1");
        let names: Vec<_> = again.iter().map(|e| e.version.as_str()).collect();
        assert_eq!(names, ["v1", "abc123", "v2"]);
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_name("v1.2.0-rc1").is_ok());
        assert!(validate_name("0a1b2c3d-dirty").is_ok());
        for bad in [
            "", ".", "..", "../x", "a/b", ".hidden", ".cache", "latest", "evidence", "a b",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_versions_json_names_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("versions.json"), "{").expect("write");
        let err = format!("{:#}", read(tmp.path()).expect_err("bad"));
        assert!(err.contains("versions.json"), "{err}");
        let (_, js) = render_files(&with_new(&[], "v1", "v1")).expect("render");
        assert!(
            js.starts_with("window.SITEGEN_VERSIONS = [{\"version\":\"v1\""),
            "{js}"
        );
        let page = render_page(&with_new(&with_new(&[], "v1", "v1"), "v2", "<v2>"));
        assert!(page.contains("<li><a href=\"v2/index.html\">&lt;v2&gt;</a> <span class=\"alias\">latest</span></li>\n<li><a href=\"v1/index.html\">v1</a></li>"), "{page}");
        assert!(
            page.contains("href=\"v2/assets/style.css\""),
            "styled: {page}"
        );
        assert!(
            page.contains("<a href=\"v2/index.html\">← Back"),
            "a way back: {page}"
        );
        assert_eq!(
            pages_js(&["runs", "", "adr/adr-0001", "runs"]).expect("js"),
            "window.SITEGEN_PAGES = [\"\",\"adr/adr-0001\",\"runs\"];\n"
        );
    }
}
