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
    if !template.contains("{sha}") {
        bail!(
            "site.source_url = `{template}` has no `{{sha}}`: write where the commit is shown, \
             e.g. \"https://forge.example/lightning/commit/{{sha}}\""
        );
    }
    if !(template.starts_with("https://") || template.starts_with("http://")) {
        bail!("site.source_url = `{template}` must start with `https://` or `http://`");
    }
    if template.contains(['"', '<', '>', ' ']) {
        bail!(
            "site.source_url = `{template}` holds a character a URL cannot (`\"`, `<`, `>`, space)"
        );
    }
    Ok(())
}

/// The URL of commit `sha` under `template` (checked by [`check_source_url`]).
pub fn commit_url(template: &str, sha: &str) -> String {
    template.replace("{sha}", sha)
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
    fn latest_modes_parse_by_name() {
        let c: SiteConfig = toml::from_str("latest = \"redirect\"").expect("parses");
        assert_eq!(c.latest, LatestMode::Redirect);
        assert_eq!(SiteConfig::default().latest.as_str(), "symlink");
        assert!(toml::from_str::<SiteConfig>("latest = \"hardlink\"").is_err());
    }
}
