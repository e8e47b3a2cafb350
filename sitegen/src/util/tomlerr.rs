//! Turning TOML errors into messages that name the file and the line.
//!
//! Two kinds: errors of the TOML parser and of serde (syntax, unknown keys, wrong types, missing
//! fields), which carry a span ([`parse`]); and errors found after parsing by a file's own
//! validation (a duplicate id, an unknown reference, a cycle), which name a key path that a
//! [`Locator`] turns into the line of that key as written.

use std::ops::Range;
use std::path::Path;

use anyhow::{Result, anyhow};
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::repofs::Repo;

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

/// One step of a key path into a TOML document: a table key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    /// A key of a table (`paths`, `check`, a profile's name).
    Key(&'a str),
    /// An element of an array (the `i`-th `[[check]]`, the `j`-th `depends_on` entry).
    Item(usize),
}

/// Finds where keys are written in a TOML document that has parsed, for validation errors.
pub struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
    doc: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    /// A locator over `text`, the contents of `path`.
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Locator {
            path,
            text,
            doc: DeTable::parse(text).ok(),
        }
    }

    /// The 1-based line of the deepest part of `at` that the document holds: the key itself,
    /// else the nearest enclosing table or array element that is written (a value left to its
    /// default has no line of its own). 1 when nothing of it is written.
    pub fn line(&self, at: &[Seg<'_>]) -> usize {
        self.doc
            .as_ref()
            .and_then(|doc| in_table(doc.get_ref(), at, None))
            .map(|span| line_of(self.text, span.start))
            .unwrap_or(1)
    }

    /// `path:line` for `at`, to start a message with.
    pub fn at(&self, at: &[Seg<'_>]) -> String {
        format!("{}:{}", self.path.display(), self.line(at))
    }
}

fn in_table(
    table: &DeTable<'_>,
    at: &[Seg<'_>],
    best: Option<Range<usize>>,
) -> Option<Range<usize>> {
    let Some((Seg::Key(name), rest)) = at.split_first() else {
        return best;
    };
    match table
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == *name)
    {
        Some((key, value)) => in_value(value.get_ref(), rest, Some(key.span())),
        None => best,
    }
}

fn in_value(
    value: &DeValue<'_>,
    at: &[Seg<'_>],
    best: Option<Range<usize>>,
) -> Option<Range<usize>> {
    match (value, at.first()) {
        (DeValue::Table(table), Some(Seg::Key(_))) => in_table(table, at, best),
        (DeValue::Array(items), Some(Seg::Item(i))) => match items.as_ref().get(*i) {
            Some(item) => in_value(item.get_ref(), &at[1..], Some(item.span())),
            None => best,
        },
        _ => best,
    }
}
