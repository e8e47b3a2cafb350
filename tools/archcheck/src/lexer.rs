//! A small Rust tokenizer: just enough to find `mod` declarations, `use` trees and `crate::`
//! paths. Comments, string literals (plain, byte and raw) and character literals are dropped, so
//! a path inside a doc comment or a string is never mistaken for an import.

/// One token of Rust source with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's text: an identifier, `::`, or a single punctuation character.
    pub text: String,
    /// The line the token starts on.
    pub line: usize,
}

impl Token {
    /// True when this token is exactly `text`.
    pub fn is(&self, text: &str) -> bool {
        self.text == text
    }

    /// True when this token is an identifier or keyword.
    pub fn is_ident(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    }
}

/// Splits `source` into tokens, skipping whitespace, comments and literals.
pub fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = at(i);
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if at(i) == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            line += chars[i..end].iter().filter(|&&c| c == '\n').count();
            i = end;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && at(i) != '"' {
                if at(i) == '\\' {
                    i += 1;
                }
                if at(i) == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            // A char literal ('a', '\n', '\u{1F600}', b'x') or a lifetime ('a).
            let start = if c == 'b' { i + 1 } else { i };
            if at(start + 1) == '\\' {
                // Past the backslash and the escaped character (which may itself be a quote).
                let mut j = start + 3;
                while j < chars.len() && at(j) != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if at(start + 2) == '\'' {
                i = start + 3;
            } else {
                // A lifetime or label: skip the quote, the name is tokenized next.
                i = start + 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (at(i).is_alphanumeric() || at(i) == '_') {
                i += 1;
            }
            tokens.push(Token {
                text: chars[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

/// If a raw string (`r"…"`, `r#"…"#`, `br#"…"#`) starts at `i`, the index just past its end.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    // `r` must start the token: `for"` is not a raw string.
    if i > 0
        && chars
            .get(i - 1)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        tokenize(source).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn comments_and_strings_are_not_tokens() {
        let source = "// use crate::a;\n/* use crate::b; /* nested */ */\nlet s = \"crate::c\";\nlet r = r#\"crate::d\"#; let q = '\"'; let l: &'life str;";
        let all = texts(source);
        assert!(
            !all.iter()
                .any(|t| t == "a" || t == "b" || t == "c" || t == "d")
        );
        assert!(all.contains(&"l".to_string()));
        assert!(all.contains(&"str".to_string()));
    }

    #[test]
    fn an_escaped_quote_ends_its_char_literal() {
        // The literal after it must still be one literal, not the name `x`.
        assert_eq!(texts("['\\'','x', y]"), ["[", ",", ",", "y", "]"]);
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let tokens = tokenize("/*\n\n*/ a \"x\ny\" b\nc");
        let lines: Vec<usize> = tokens.iter().map(|t| t.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
    }

    #[test]
    fn path_separators_are_one_token() {
        assert_eq!(
            texts("crate::a::{b, c}"),
            ["crate", "::", "a", "::", "{", "b", ",", "c", "}"]
        );
    }
}
