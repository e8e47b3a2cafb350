//! SQL text to `sqlparser` statements, each with its own text and position.
//!
//! The dialect is `sqlparser`'s `GenericDialect` (standard SQL plus the common extensions:
//! `?` and `$1` parameters, `x'..'` byte strings, `||`). A script is split into statements at
//! top-level `;` tokens (the tokenizer knows strings, quoted identifiers and comments, so a `;`
//! inside them does not split), and each statement is parsed on its own: its text is what a
//! migration's history and dry-run show, and an error anywhere names the line and column in the
//! whole script.

use sqlparser::ast::Statement as Ast;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::super::error::{Result, SchemaError, SqlError};

/// One statement of a script.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The statement's text as written (without the terminating `;`), trimmed.
    pub text: String,
    /// 1-based line of its first character in the script.
    pub line: u64,
    /// 1-based column of its first character in the script.
    pub column: u64,
    /// The syntax tree.
    pub ast: Ast,
}

impl Parsed {
    /// A [`SqlError`] at `loc`, a location inside this statement as `sqlparser` reports it
    /// (relative to the statement's own text), translated to the script's line and column.
    pub fn error_at(&self, loc: Location, message: impl Into<String>) -> SchemaError {
        let (line, column) = self.absolute(loc.line, loc.column);
        SchemaError::Sql(SqlError {
            message: message.into(),
            line,
            column,
        })
    }

    /// An error about the statement as a whole (positioned at its start).
    pub fn error(&self, message: impl Into<String>) -> SchemaError {
        SchemaError::Sql(SqlError {
            message: message.into(),
            line: self.line,
            column: self.column,
        })
    }

    fn absolute(&self, line: u64, column: u64) -> (u64, u64) {
        absolute(self.line, self.column, line, column)
    }
}

fn absolute(start_line: u64, start_col: u64, line: u64, column: u64) -> (u64, u64) {
    match line {
        0 => (start_line, start_col),
        1 => (start_line, start_col + column.saturating_sub(1)),
        l => (start_line + l - 1, column),
    }
}

fn syntax_error(message: String, line: u64, column: u64) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line,
        column,
    })
}

/// Splits `sqlparser`'s "… at Line: 3, Column: 7" suffix off an error message.
fn split_location(message: &str) -> (String, Option<(u64, u64)>) {
    let Some(at) = message.rfind(" at Line: ") else {
        return (message.to_string(), None);
    };
    let (text, tail) = message.split_at(at);
    let tail = tail.trim_start_matches(" at Line: ");
    let mut parts = tail.splitn(2, ", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse().ok());
    let column = parts.next().and_then(|c| {
        let digits: String = c.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    });
    match (line, column) {
        (Some(l), Some(c)) => (text.to_string(), Some((l, c))),
        _ => (message.to_string(), None),
    }
}

fn parser_error(err: ParserError, start_line: u64, start_col: u64) -> SchemaError {
    let raw = match err {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "statement nested too deeply".to_string(),
    };
    let (message, loc) = split_location(&raw);
    let (line, column) = match loc {
        Some((l, c)) => absolute(start_line, start_col, l, c),
        None => (start_line, start_col),
    };
    syntax_error(format!("syntax error: {message}"), line, column)
}

/// Byte offset in `text` of a 1-based (line, column) location (columns count characters).
fn offset_of(line_starts: &[usize], text: &str, loc: Location) -> usize {
    let line = usize::try_from(loc.line.max(1) - 1).unwrap_or(usize::MAX);
    let Some(&start) = line_starts.get(line) else {
        return text.len();
    };
    let col = usize::try_from(loc.column.max(1) - 1).unwrap_or(usize::MAX);
    text[start..]
        .char_indices()
        .nth(col)
        .map_or(text.len(), |(i, _)| start + i)
}

/// The words of `REFRESH MATERIALIZED VIEW v INCREMENTAL`, when `text` is that statement.
fn incremental_refresh(text: &str) -> Option<&str> {
    let rest = text.trim_end();
    let head = rest.get(..7)?;
    if !head.eq_ignore_ascii_case("refresh") {
        return None;
    }
    let cut = rest.len().checked_sub("incremental".len())?;
    let tail = rest.get(cut..)?;
    let before = rest.get(..cut)?;
    // `REFRESH MATERIALIZED VIEW <name> INCREMENTAL`: at least four words before it (a view
    // named `incremental` is still a plain refresh).
    (tail.eq_ignore_ascii_case("incremental")
        && before.ends_with(char::is_whitespace)
        && before.split_whitespace().count() >= 4)
        .then_some(before)
}

/// Whether `text` is `REFRESH MATERIALIZED VIEW v INCREMENTAL` (`sqlparser` parses the statement
/// without its last word; the binder reads it from the text).
pub fn is_incremental_refresh(text: &str) -> bool {
    incremental_refresh(text).is_some()
}

fn without_incremental(text: &str) -> &str {
    incremental_refresh(text).unwrap_or(text)
}

/// Parses every statement of `sql` (empty statements, such as a trailing `;` or a comment-only
/// tail, are skipped).
pub fn parse_script(sql: &str) -> Result<Vec<Parsed>> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| {
            syntax_error(
                format!("syntax error: {}", e.message),
                e.location.line,
                e.location.column,
            )
        })?;
    bound_operator_chains(&tokens)?;
    let mut line_starts = vec![0];
    line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
    // Byte ranges of the statements: between top-level semicolons.
    let mut pieces = Vec::new();
    let mut start = 0;
    for tok in &tokens {
        if tok.token == Token::SemiColon {
            let end = offset_of(&line_starts, sql, tok.span.start);
            pieces.push((start, end));
            start = end + 1;
        }
    }
    pieces.push((start, sql.len()));
    let mut out = Vec::new();
    for (start, end) in pieces {
        let Some(raw) = sql.get(start..end) else {
            continue;
        };
        let lead = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let begin = start + lead;
        let line_idx = line_starts.partition_point(|&s| s <= begin) - 1;
        let line_start = line_starts.get(line_idx).copied().unwrap_or(0);
        let line = line_idx as u64 + 1;
        let column = sql
            .get(line_start..begin)
            .map_or(1, |s| s.chars().count() as u64 + 1);
        let mut asts = Parser::new(&dialect)
            .try_with_sql(without_incremental(text))
            .and_then(|mut p| p.parse_statements())
            .map_err(|e| parser_error(e, line, column))?;
        match asts.len() {
            0 => continue,
            1 => {}
            _ => {
                return Err(syntax_error(
                    "syntax error: expected one statement".to_string(),
                    line,
                    column,
                ));
            }
        }
        let ast = asts.remove(0);
        out.push(Parsed {
            text: text.to_string(),
            line,
            column,
            ast,
        });
    }
    Ok(out)
}

/// The most binary operators an expression may chain at one level of parentheses.
pub const MAX_OPERATOR_CHAIN: usize = 1000;

/// Refuses a chain of more than [`MAX_OPERATOR_CHAIN`] binary operators between two commas
/// at one level of parentheses, before `sqlparser` sees it. `sqlparser` bounds its recursion
/// (nested parentheses, prefix operators) but parses such a chain in a loop into a tree as deep
/// as the chain is long, which dropping or printing the tree then walks recursively — a long
/// enough `1 + 1 + … + 1` would overflow the stack. The binder refuses far shallower trees
/// (`bind::expr::MAX_EXPR_DEPTH`); this bound only keeps the parser's own tree droppable.
fn bound_operator_chains(tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> Result<()> {
    let mut chains = vec![0usize];
    for tok in tokens {
        let is_operator = match &tok.token {
            Token::LParen => {
                chains.push(0);
                false
            }
            Token::RParen => {
                if chains.len() > 1 {
                    chains.pop();
                }
                false
            }
            Token::Comma | Token::SemiColon => {
                if let Some(c) = chains.last_mut() {
                    *c = 0;
                }
                false
            }
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::Eq
            | Token::DoubleEq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::StringConcat
            | Token::Caret
            | Token::Ampersand
            | Token::Pipe => true,
            Token::Word(w) => matches!(
                w.keyword,
                sqlparser::keywords::Keyword::AND
                    | sqlparser::keywords::Keyword::OR
                    | sqlparser::keywords::Keyword::IS
            ),
            _ => false,
        };
        if is_operator && let Some(c) = chains.last_mut() {
            *c += 1;
            if *c > MAX_OPERATOR_CHAIN {
                return Err(syntax_error(
                    format!(
                        "more than {MAX_OPERATOR_CHAIN} operators in a row in one expression \
                         (split it, or use IN (…) for long OR lists)"
                    ),
                    tok.span.start.line,
                    tok.span.start.column,
                ));
            }
        }
    }
    Ok(())
}

/// Parses exactly one statement (a trailing `;` is allowed).
pub fn parse_one(sql: &str) -> Result<Parsed> {
    let mut all = parse_script(sql)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(syntax_error("empty statement".to_string(), 1, 1)),
        n => Err(all[1].error(format!(
            "expected one statement, found {n} (use a script or a session for several)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_pos(sql: &str) -> (u64, u64, String) {
        match parse_script(sql) {
            Err(SchemaError::Sql(e)) => (e.line, e.column, e.message),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let script = "CREATE TABLE t (a BIGINT PRIMARY KEY);\n-- c; d\nINSERT INTO t VALUES (1), (2);\n\n  SELECT 'x;y' FROM t;;";
        let p = parse_script(script).expect("parses");
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].text, "CREATE TABLE t (a BIGINT PRIMARY KEY)");
        assert_eq!((p[1].line, p[1].column), (2, 1));
        assert_eq!(p[2].text, "SELECT 'x;y' FROM t");
        assert_eq!((p[2].line, p[2].column), (5, 3));
    }

    #[test]
    fn syntax_errors_name_line_and_column_in_the_script() {
        let (line, col, msg) = err_pos("SELECT 1;\nSELECT * FORM t");
        assert_eq!((line, col), (2, 10), "{msg}");
        assert!(msg.starts_with("syntax error"), "{msg}");
        let (line, col, _) = err_pos("  SELEC 1");
        assert_eq!((line, col), (1, 3));
        let (line, _, _) = err_pos("SELECT 'unterminated");
        assert_eq!(line, 1);
    }

    #[test]
    fn refresh_incremental_is_read_from_the_text() {
        let p = parse_one("REFRESH MATERIALIZED VIEW v INCREMENTAL").expect("parses");
        assert!(is_incremental_refresh(&p.text));
        let p = parse_one("refresh materialized view v").expect("parses");
        assert!(!is_incremental_refresh(&p.text));
        let p = parse_one("REFRESH MATERIALIZED VIEW incremental").expect("parses");
        assert!(!is_incremental_refresh(&p.text));
        assert!(parse_one("REFRESH MATERIALIZED VIEW v INCREMENTAL INCREMENTAL").is_err());
    }

    #[test]
    fn parameters_of_both_styles_parse() {
        assert!(parse_one("SELECT * FROM t WHERE a = ? AND b = ?").is_ok());
        assert!(parse_one("SELECT * FROM t WHERE a = $1 AND b = $2").is_ok());
        assert!(parse_one("SELECT 1; SELECT 2").is_err());
    }
}
