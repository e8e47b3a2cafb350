//! `sitegen.toml` `[site]`: how the published site links out and how `latest` is published.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The `[site]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// Where a commit can be read, with `{sha}` standing for the full commit id
    /// (`https://forge.example/lightning/commit/{sha}`); without it commit ids are plain text.
    pub source_url: Option<String>,
    /// Where a repository file can be read at a commit, with `{sha}` standing for the full
    /// commit id and `{path}` for the file's path from the repository root
    /// (`https://forge.example/lightning/blob/{sha}/{path}`); without it an artifact is shown
    /// as its path, its sha256 and the commit it was read at.
    pub source_file_url: Option<String>,
    /// How `site/latest` is published.
    pub latest: LatestMode,
}

/// How `site/latest` names the newest version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatestMode {
    /// A relative symbolic link `latest -> <version>` (a copy where links are unsupported).
    #[default]
    Symlink,
    /// A full copy of the newest version (hard links where the file system allows).
    Copy,
    /// A page per published page that sends the browser to the same page of the newest
    /// version: for hosts that drop symbolic links, without doubling the upload.
    Redirect,
}

impl LatestMode {
    /// The name as `sitegen.toml` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LatestMode::Symlink => "symlink",
            LatestMode::Copy => "copy",
            LatestMode::Redirect => "redirect",
        }
    }
}

/// Checks a `source_url` template: an `http(s)` URL holding `{sha}` once or more; the error
/// says why it is refused.
pub fn check_source_url(template: &str) -> Result<()> {
    check_template("source_url", template, &["sha"], "commit/{sha}")
}

/// Checks a `source_file_url` template: an `http(s)` URL holding `{sha}` and `{path}`; the
/// error says why it is refused.
pub fn check_source_file_url(template: &str) -> Result<()> {
    check_template(
        "source_file_url",
        template,
        &["sha", "path"],
        "blob/{sha}/{path}",
    )
}

/// Checks the URL template `site.<key>`: it holds every placeholder of `needs`, starts with
/// `https://` or `http://` and has no character a URL cannot hold; `example` is the tail of a
/// template that would do.
fn check_template(key: &str, template: &str, needs: &[&str], example: &str) -> Result<()> {
    for name in needs {
        if !template.contains(&format!("{{{name}}}")) {
            bail!(
                "site.{key} = `{template}` has no `{{{name}}}`: write where it is shown, \
                 e.g. \"https://forge.example/lightning/{example}\""
            );
        }
    }
    if !(template.starts_with("https://") || template.starts_with("http://")) {
        bail!("site.{key} = `{template}` must start with `https://` or `http://`");
    }
    if template.contains(['"', '<', '>', ' ']) {
        bail!("site.{key} = `{template}` holds a character a URL cannot (`\"`, `<`, `>`, space)");
    }
    Ok(())
}

/// The URL of commit `sha` under `template` (checked by [`check_source_url`]).
pub fn commit_url(template: &str, sha: &str) -> String {
    template.replace("{sha}", sha)
}

/// The URL of repository file `path` (`/`-separated, from the repository root) at commit `sha`
/// under `template` (checked by [`check_source_file_url`]). Each path component is
/// percent-encoded except for unreserved characters, so a name with a space, `#` or `?` stays
/// one path.
pub fn file_url(template: &str, sha: &str, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(percent_encode).collect();
    template
        .replace("{sha}", sha)
        .replace("{path}", &encoded.join("/"))
}

/// `segment` with every byte but the URL-unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_url_needs_sha_and_a_web_scheme() {
        assert!(check_source_url("https://forge.example/l/commit/{sha}").is_ok());
        let err = check_source_url("https://forge.example/l/commit/").expect_err("no sha");
        assert!(err.to_string().contains("{sha}"), "{err}");
        assert!(check_source_url("javascript:{sha}").is_err());
        assert!(check_source_url("https://x/{sha}\"><script>").is_err());
        assert_eq!(
            commit_url("https://f.example/c/{sha}?a={sha}", "abc"),
            "https://f.example/c/abc?a=abc"
        );
    }

    #[test]
    fn source_file_url_needs_sha_path_and_a_web_scheme() {
        assert!(check_source_file_url("https://forge.example/l/blob/{sha}/{path}").is_ok());
        let err = check_source_file_url("https://forge.example/l/blob/{sha}/").expect_err("path");
        assert!(err.to_string().contains("site.source_file_url"), "{err}");
        assert!(err.to_string().contains("{path}"), "{err}");
        let err = check_source_file_url("https://forge.example/l/{path}").expect_err("sha");
        assert!(err.to_string().contains("{sha}"), "{err}");
        assert!(check_source_file_url("file:///{sha}/{path}").is_err());
        assert!(check_source_file_url("https://x/{sha}/{path}\"><b>").is_err());
    }

    #[test]
    fn file_urls_encode_each_path_component() {
        let t = "https://f.example/blob/{sha}/{path}";
        assert_eq!(
            file_url(t, "abc", "docs/adr/ADR-0001.md"),
            "https://f.example/blob/abc/docs/adr/ADR-0001.md"
        );
        assert_eq!(
            file_url(t, "abc", "my docs/a#b?.md"),
            "https://f.example/blob/abc/my%20docs/a%23b%3F.md"
        );
        assert_eq!(
            file_url(t, "abc", "caf\u{e9}.txt"),
            "https://f.example/blob/abc/caf%C3%A9.txt"
        );
    }

    #[test]
    fn latest_modes_parse_by_name() {
        let c: SiteConfig = toml::from_str("latest = \"redirect\"").expect("parses");
        assert_eq!(c.latest, LatestMode::Redirect);
        assert_eq!(SiteConfig::default().latest.as_str(), "symlink");
        assert!(toml::from_str::<SiteConfig>("latest = \"hardlink\"").is_err());
    }
}
