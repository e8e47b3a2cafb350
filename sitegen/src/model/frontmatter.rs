//! Front matter: a TOML block between `+++` lines at the top of a markdown file.
//!
//! ```text
//! +++
//! title = "Backup and restore"
//! weight = 10
//! +++
//! # Body in markdown
//! ```
//!
//! Errors name the file and the line inside it, counted from the top of the markdown file.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::de::DeserializeOwned;

use crate::util::repofs::Repo;
use crate::util::tomlerr::{self, Seg};

/// A markdown file split into its parsed front matter and its body.
#[derive(Debug, Clone)]
pub struct Document<T> {
    /// The parsed front matter.
    pub meta: T,
    /// The markdown after the closing `+++`.
    pub body: String,
    /// 1-based line number at which the body starts (for error messages).
    pub body_line: usize,
}

/// Splits `text` (the contents of `path`) into front matter and body and parses the front matter
/// as `T`. A missing or unterminated block, or TOML that does not match `T`, is an error naming
/// `path` and the line.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<Document<T>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        bail!(
            "{}:1: expected front matter starting with a `+++` line",
            path.display()
        );
    }
    let mut toml_src = String::new();
    let mut consumed = first.len();
    let mut line_no = 1;
    let mut closed = false;
    for line in lines {
        line_no += 1;
        consumed += line.len();
        if line.trim_end() == "+++" {
            closed = true;
            break;
        }
        toml_src.push_str(line);
    }
    if !closed {
        bail!(
            "{}:1: front matter opened with `+++` is never closed",
            path.display()
        );
    }
    let meta: T = toml::from_str(&toml_src).map_err(|e| {
        let line = e
            .span()
            .map(|span| 2 + toml_src[..span.start].matches('\n').count())
            .unwrap_or(1);
        anyhow!(
            "{}:{line}: invalid front matter: {}",
            path.display(),
            e.message()
        )
    })?;
    Ok(Document {
        meta,
        body: text[consumed..].to_string(),
        body_line: line_no + 1,
    })
}

/// The line, counted from the top of the markdown file `text`, at which the front matter key
/// path `at` is written (see [`tomlerr::Locator::line`]); 1 when the block cannot be read.
pub fn key_line(text: &str, at: &[Seg<'_>]) -> usize {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("+++") {
        return 1;
    }
    let block: String = lines.take_while(|l| l.trim_end() != "+++").collect();
    1 + tomlerr::Locator::new(Path::new(""), &block).line(at)
}

/// Reads `path`, a file of `repo` ([`Repo::read_to_string`]), and parses it with [`parse`].
pub fn read<T: DeserializeOwned>(repo: &Repo, path: &Path) -> Result<Document<T>> {
    let text = repo.read_to_string(path)?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Meta {
        title: String,
        #[serde(default)]
        weight: i64,
    }

    #[test]
    fn splits_meta_and_body() {
        let doc: Document<Meta> = parse(
            Path::new("a.md"),
            "+++\ntitle = \"T\"\nweight = 3\n+++\n# Hi\n",
        )
        .expect("parses");
        assert_eq!(doc.meta.title, "T");
        assert_eq!(doc.meta.weight, 3);
        assert_eq!(doc.body, "# Hi\n");
        assert_eq!(doc.body_line, 5);
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let err = parse::<Meta>(Path::new("x/a.md"), "+++\ntitle = \"T\"\ntitel = 1\n+++\n")
            .expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.starts_with("x/a.md:3:"), "{msg}");
        assert!(msg.contains("titel"), "{msg}");
    }

    /// TOML nesting is bounded by the `toml` parser itself: an error naming file and line, on
    /// the 2 MiB stack of a worker thread (pages are read on rayon's threads) in a debug build.
    #[test]
    fn deeply_nested_front_matter_is_an_error_naming_file_and_line() {
        let text = format!(
            "+++\ntitle = \"T\"\nweight = {}1{}\n+++\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        );
        let msg = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse::<Meta>(Path::new("c/deep.md"), &text).map(|_| ()))
            .expect("spawn")
            .join()
            .expect("no stack overflow")
            .expect_err("too deep")
            .to_string();
        assert!(
            msg.starts_with("c/deep.md:3: invalid front matter"),
            "{msg}"
        );
        assert!(msg.contains("recursion"), "{msg}");
    }

    #[test]
    fn missing_or_unclosed_block_is_an_error() {
        assert!(parse::<Meta>(Path::new("a.md"), "# no front matter\n").is_err());
        assert!(parse::<Meta>(Path::new("a.md"), "+++\ntitle = \"T\"\n").is_err());
    }
}
