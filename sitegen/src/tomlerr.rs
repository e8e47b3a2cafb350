//! Turning TOML parse errors into messages that name the file and the line.

use std::path::Path;

use anyhow::{Result, anyhow};
use serde::de::DeserializeOwned;

use crate::repofs::Repo;

/// 1-based line number of byte offset `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text
        .as_bytes()
        .iter()
        .take(end)
        .filter(|&&b| b == b'\n')
        .count()
}

/// Parses `text` (the contents of `path`) as TOML into `T`; errors read `path:line: message`.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        anyhow!("{}:{line}: {}", path.display(), e.message().trim_end())
    })
}

/// Reads `path`, a file of `repo` ([`Repo::read_to_string`]), and parses it with [`parse`].
pub fn read<T: DeserializeOwned>(repo: &Repo, path: &Path) -> Result<T> {
    let text = repo.read_to_string(path)?;
    parse(path, &text)
}
