//! `site/latest` in `redirect` mode (`[site] latest = "redirect"`): for every page of the newest
//! version, a small page at the same path under `latest/` that sends the browser to that page
//! of the version (keeping the `#fragment`), with and without JavaScript. For hosts that drop
//! symbolic links, at a fraction of a copy's size: data files, assets and evidence are not
//! duplicated, and a link into `latest/` keeps pointing at the newest version.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::staging::create_dirs;
use crate::site::render::html::escape_html;

/// The pages of a version's files: every `.html` file.
pub fn pages(files: &HashSet<String>) -> HashSet<String> {
    files
        .iter()
        .filter(|f| f.ends_with(".html"))
        .cloned()
        .collect()
}

/// The redirect page written at `latest/<file>` for `version`: a relative link up out of
/// `latest/` and its folders, then down into `<version>/<file>`.
pub fn stub(version: &str, file: &str) -> String {
    let up = "../".repeat(file.matches('/').count() + 1);
    let target = escape_html(&format!("{up}{version}/{file}"));
    let version = escape_html(version);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Redirecting to {version}</title>\n\
         <meta http-equiv=\"refresh\" content=\"0; url={target}\">\n\
         <link rel=\"canonical\" href=\"{target}\">\n\
         <script>location.replace(\"{target}\" + location.hash);</script>\n</head>\n<body>\n\
         <p>This page of the newest version is <a href=\"{target}\">{version}</a>.</p>\n\
         </body>\n</html>\n"
    )
}

/// Writes the redirect tree for `version`'s `files` into `dir` (which does not exist yet).
pub fn write_tree(dir: &Path, version: &str, files: &HashSet<String>) -> Result<()> {
    let pages = pages(files);
    create_dirs(dir, &pages)?;
    pages.par_iter().try_for_each(|file| {
        let path = dir.join(file);
        std::fs::write(&path, stub(version, file))
            .with_context(|| format!("while writing {}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stubs_climb_out_of_latest_and_into_the_version() {
        let home = stub("v1", "index.html");
        assert!(home.contains("url=../v1/index.html\""), "{home}");
        let run = stub("v1", "runs/r1/index.html");
        assert!(
            run.contains("href=\"../../../v1/runs/r1/index.html\""),
            "{run}"
        );
        assert!(run.contains("+ location.hash"), "keeps the fragment");
    }

    #[test]
    fn only_pages_get_stubs() {
        let files: HashSet<String> = [
            "index.html",
            "data.json",
            "assets/style.css",
            "a/index.html",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let mut got: Vec<String> = pages(&files).into_iter().collect();
        got.sort();
        assert_eq!(got, ["a/index.html", "index.html"]);
    }
}
