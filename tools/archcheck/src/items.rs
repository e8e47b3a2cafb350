//! What one source file declares and imports: its `mod` declarations, its `use` trees flattened
//! into paths, and the inline `crate::…`/`super::…` paths in its code. Items under
//! `#[cfg(test)]` are skipped: tests may reach across layers.

use crate::lexer::{Token, tokenize};

/// The declarations and imports of one file.
#[derive(Debug, Default)]
pub struct FileItems {
    /// Child modules declared with `mod name;` (not inline, not test-only).
    pub mods: Vec<String>,
    /// Every path the file refers to through `use` or an inline `crate::`/`super::` path.
    pub imports: Vec<Import>,
    /// True when the file opens with `#![cfg(test)]`.
    pub test_only: bool,
    /// Lines of `#[path = …]` module declarations, which this checker does not follow.
    pub path_attributes: Vec<usize>,
}

/// One referenced path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The path's segments as written, e.g. `["crate", "wal", "Lsn"]`; a glob ends in `*`.
    pub segments: Vec<String>,
    /// The name it is bound to, when a `use` renames it (`as`).
    pub alias: Option<String>,
    /// True for `pub use` (a re-export).
    pub public: bool,
    /// The line it is written on.
    pub line: usize,
}

impl Import {
    /// The name this import binds in its module: the alias, or the last segment.
    pub fn bound_name(&self) -> Option<&str> {
        self.alias
            .as_deref()
            .or_else(|| self.segments.last().map(String::as_str))
    }
}

/// Reads the declarations and imports of a file's source text.
pub fn scan(source: &str) -> FileItems {
    let tokens = tokenize(source);
    let mut items = FileItems::default();
    let mut i = 0;
    let mut pending_test = false;
    let mut pending_path = false;
    while let Some(token) = tokens.get(i) {
        let next = |k: usize| tokens.get(i + k).map(|t| t.text.as_str()).unwrap_or("");
        if token.is("#") && (next(1) == "[" || (next(1) == "!" && next(2) == "[")) {
            let inner = next(1) == "!";
            let open = if inner { i + 2 } else { i + 1 };
            let close = matching(&tokens, open);
            let attribute = tokens.get(open + 1..close).unwrap_or_default();
            if is_cfg_test(attribute) {
                if inner {
                    items.test_only = true;
                } else {
                    pending_test = true;
                }
            }
            if attribute.first().is_some_and(|t| t.is("path")) {
                pending_path = true;
            }
            i = close + 1;
            continue;
        }
        if pending_test {
            i = item_end(&tokens, i);
            pending_test = false;
            pending_path = false;
            continue;
        }
        if token.is("mod") && tokens.get(i + 1).is_some_and(Token::is_ident) && next(2) == ";" {
            if pending_path {
                items.path_attributes.push(token.line);
            }
            items.mods.push(next(1).to_string());
            pending_path = false;
            i += 3;
            continue;
        }
        if token.is("use") {
            let public = i > 0 && is_visibility_end(&tokens, i - 1);
            let mut j = i + 1;
            let mut found = Vec::new();
            use_tree(&tokens, &mut j, Vec::new(), &mut found);
            for (segments, alias) in found {
                items.imports.push(Import {
                    segments,
                    alias,
                    public,
                    line: token.line,
                });
            }
            while tokens.get(j).is_some_and(|t| !t.is(";")) {
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if (token.is("crate") || token.is("super"))
            && next(1) == "::"
            && !(i > 0 && tokens.get(i - 1).is_some_and(|t| t.is("::")))
        {
            let mut segments = vec![token.text.clone()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t.is("::"))
                && tokens.get(j + 1).is_some_and(Token::is_ident)
            {
                segments.push(tokens[j + 1].text.clone());
                j += 2;
            }
            items.imports.push(Import {
                segments,
                alias: None,
                public: false,
                line: token.line,
            });
            i = j;
            continue;
        }
        if token.is(";") || token.is("}") {
            pending_path = false;
        }
        i += 1;
    }
    items
}

/// `cfg(test)`, or a `cfg(all(test, …))`-style attribute that requires `test`.
fn is_cfg_test(attribute: &[Token]) -> bool {
    attribute.first().is_some_and(|t| t.is("cfg"))
        && attribute.iter().any(|t| t.is("test"))
        && !attribute.iter().any(|t| t.is("not") || t.is("any"))
}

/// True when the token at `at` ends a visibility (`pub`, `pub(crate)`), so a `use` after it is a
/// re-export.
fn is_visibility_end(tokens: &[Token], at: usize) -> bool {
    match tokens.get(at) {
        Some(t) if t.is("pub") => true,
        Some(t) if t.is(")") => {
            // pub(crate) / pub(super) / pub(in path)
            let mut k = at;
            while k > 0 && !tokens[k].is("(") {
                k -= 1;
            }
            k > 0 && tokens[k - 1].is("pub")
        }
        _ => false,
    }
}

/// The index of the bracket closing the one at `open` (or the last token).
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0i32;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "[" | "(" | "{" => depth += 1,
            "]" | ")" | "}" => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// The index just past the item starting at `start`: its `;`, or its braced body.
fn item_end(tokens: &[Token], start: usize) -> usize {
    let mut k = start;
    let mut depth = 0i32;
    while let Some(token) = tokens.get(k) {
        match token.text.as_str() {
            "(" | "[" => depth += 1,
            ")" | "]" => depth -= 1,
            ";" if depth == 0 => return k + 1,
            "{" if depth == 0 => return matching(tokens, k) + 1,
            _ => {}
        }
        k += 1;
    }
    k
}

/// Flattens one `use` tree starting at `*at` into (path, alias) pairs.
fn use_tree(
    tokens: &[Token],
    at: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    while let Some(token) = tokens.get(*at) {
        if token.is("::") {
            *at += 1;
        } else if token.is("{") {
            *at += 1;
            while let Some(inner) = tokens.get(*at) {
                if inner.is("}") {
                    *at += 1;
                    break;
                }
                if inner.is(",") {
                    *at += 1;
                    continue;
                }
                let before = *at;
                use_tree(tokens, at, path.clone(), out);
                if *at == before {
                    *at += 1;
                }
            }
            return;
        } else if token.is("*") {
            *at += 1;
            path.push("*".into());
            out.push((path, None));
            return;
        } else if token.is_ident() {
            path.push(token.text.clone());
            *at += 1;
            if tokens.get(*at).is_some_and(|t| t.is("::")) {
                continue;
            }
            let mut alias = None;
            if tokens.get(*at).is_some_and(|t| t.is("as")) {
                alias = tokens.get(*at + 1).map(|t| t.text.clone());
                *at += 2;
            }
            if path.last().is_some_and(|s| s == "self") {
                path.pop();
            }
            out.push((path, alias));
            return;
        } else {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Vec<String> {
        scan(source)
            .imports
            .iter()
            .map(|i| i.segments.join("::"))
            .collect()
    }

    #[test]
    fn use_trees_are_flattened() {
        let found = paths("use crate::{a::{self, B}, c::*};\nuse super::d as e;\nuse std::fmt;");
        assert_eq!(
            found,
            [
                "crate::a",
                "crate::a::B",
                "crate::c::*",
                "super::d",
                "std::fmt"
            ]
        );
        let items = scan("use super::d as e;");
        assert_eq!(items.imports[0].bound_name(), Some("e"));
    }

    #[test]
    fn inline_paths_are_imports_too() {
        let items = scan("fn f() -> crate::wal::Lsn { super::super::x::y() }");
        let found: Vec<(String, usize)> = items
            .imports
            .iter()
            .map(|i| (i.segments.join("::"), i.line))
            .collect();
        assert_eq!(
            found,
            [
                ("crate::wal::Lsn".to_string(), 1),
                ("super::super::x::y".to_string(), 1)
            ]
        );
    }

    #[test]
    fn test_items_and_comments_are_skipped() {
        let source = "mod a;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod inline { use crate::db; }\n// use crate::x;\npub use b::C;\n#[cfg(test)]\nfn helper() { crate::db::open(); }";
        let items = scan(source);
        assert_eq!(items.mods, ["a"]);
        assert_eq!(paths(source), ["b::C"]);
        assert!(items.imports[0].public);
        assert!(scan("#![cfg(test)]\nuse crate::x;").test_only);
    }

    #[test]
    fn visibility_marks_reexports() {
        let items = scan("pub(crate) use crate::a::B;\nuse crate::c::D;");
        assert!(items.imports[0].public);
        assert!(!items.imports[1].public);
    }

    #[test]
    fn path_attributes_are_reported() {
        let items = scan("#[path = \"other.rs\"]\nmod x;\nmod y;");
        assert_eq!(items.path_attributes, [2]);
    }
}
