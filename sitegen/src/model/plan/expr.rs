//! Metric expressions used by plan criteria.
//!
//! Grammar (`||` binds loosest; `×` may be written for `*`):
//! ```text
//! expr       := all ( "||" all )*
//! all        := primary ( "&&" primary )*
//! primary    := "(" expr ")" | comparison
//! comparison := METRIC OP bound
//! bound      := NUMBER | NUMBER "*" REF | REF [ "*" NUMBER ]
//! REF        := "baseline" | METRIC
//! OP         := ">=" | "<=" | ">" | "<" | "=="
//! ```
//! `baseline` means the same metric's value in the baseline run, so
//! `oltp.p95_latency_ms <= 0.80 * baseline || oltp.tps >= 1.20 * baseline` is the plan's
//! "≥20% p95 improvement or ≥20% TPS improvement". Any other name on the right is another
//! metric of the current evidence (`backup.rto_s <= backup_target.rto_s`). Evaluation is three-valued: a comparison
//! whose metric (or baseline) has no evidence is unknown, and unknown never counts as met.

use std::fmt;

use anyhow::{Result, bail};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `==`
    Eq,
}

impl Op {
    /// Applies the operator.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Op::Ge => lhs >= rhs,
            Op::Le => lhs <= rhs,
            Op::Gt => lhs > rhs,
            Op::Lt => lhs < rhs,
            Op::Eq => lhs == rhs,
        }
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "==",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// A fixed number.
    Absolute(f64),
    /// A factor times the metric's baseline value.
    Relative(f64),
    /// A factor times another metric's current value.
    Metric(String, f64),
}

/// One comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Metric name.
    pub metric: String,
    /// Operator.
    pub op: Op,
    /// Bound.
    pub bound: Bound,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, op) = (&self.metric, self.op.as_str());
        match &self.bound {
            Bound::Absolute(v) => write!(f, "{m} {op} {v}"),
            Bound::Relative(k) => write!(f, "{m} {op} {k} × baseline"),
            Bound::Metric(other, k) if *k == 1.0 => write!(f, "{m} {op} {other}"),
            Bound::Metric(other, k) => write!(f, "{m} {op} {k} × {other}"),
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// One comparison.
    Cmp(Comparison),
    /// All must hold.
    All(Vec<Expr>),
    /// Any may hold.
    Any(Vec<Expr>),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, v: &[Expr], sep: &str| -> fmt::Result {
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    write!(f, " {sep} ")?;
                }
                match e {
                    Expr::Cmp(_) => write!(f, "{e}")?,
                    _ => write!(f, "({e})")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::Cmp(c) => write!(f, "{c}"),
            Expr::All(v) => join(f, v, "&&"),
            Expr::Any(v) => join(f, v, "||"),
        }
    }
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Not decidable: evidence is missing.
    Unknown,
}

impl Expr {
    /// Every comparison, left to right.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        match self {
            Expr::Cmp(c) => vec![c],
            Expr::All(v) | Expr::Any(v) => v.iter().flat_map(|e| e.comparisons()).collect(),
        }
    }

    /// Whether any comparison is relative to the baseline.
    pub fn uses_baseline(&self) -> bool {
        self.comparisons()
            .iter()
            .any(|c| matches!(c.bound, Bound::Relative(_)))
    }

    /// Evaluates with `cmp` deciding each comparison.
    pub fn eval(&self, cmp: &mut impl FnMut(&Comparison) -> Truth) -> Truth {
        match self {
            Expr::Cmp(c) => cmp(c),
            Expr::All(v) => {
                let mut acc = Truth::True;
                for e in v {
                    match e.eval(cmp) {
                        Truth::False => acc = Truth::False,
                        Truth::Unknown if acc == Truth::True => acc = Truth::Unknown,
                        _ => {}
                    }
                }
                acc
            }
            Expr::Any(v) => {
                let mut acc = Truth::False;
                for e in v {
                    match e.eval(cmp) {
                        Truth::True => acc = Truth::True,
                        Truth::Unknown if acc == Truth::False => acc = Truth::Unknown,
                        _ => {}
                    }
                }
                acc
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Num(f64),
    Op(Op),
    Star,
    Or,
    And,
    Open,
    Close,
}

fn lex(src: &str) -> Result<Vec<Tok>> {
    let mut toks = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        let two: String = chars.iter().skip(i).take(2).collect();
        if c.is_whitespace() {
            i += 1;
        } else if let Some(op) = match two.as_str() {
            ">=" => Some(Tok::Op(Op::Ge)),
            "<=" => Some(Tok::Op(Op::Le)),
            "==" => Some(Tok::Op(Op::Eq)),
            "||" => Some(Tok::Or),
            "&&" => Some(Tok::And),
            _ => None,
        } {
            toks.push(op);
            i += 2;
        } else if c == '>' || c == '<' {
            toks.push(Tok::Op(if c == '>' { Op::Gt } else { Op::Lt }));
            i += 1;
        } else if c == '*' || c == '×' {
            toks.push(Tok::Star);
            i += 1;
        } else if c == '(' || c == ')' {
            toks.push(if c == '(' { Tok::Open } else { Tok::Close });
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '-' || c == '.') && at(i + 1).is_some_and(|d| d.is_ascii_digit() || d == '.')
        {
            let start = i;
            i += 1;
            while at(i).is_some_and(|d| {
                d.is_ascii_digit()
                    || d == '.'
                    || d == 'e'
                    || d == 'E'
                    || ((d == '-' || d == '+') && matches!(at(i - 1), Some('e' | 'E')))
            }) {
                i += 1;
            }
            let text: String = chars.get(start..i).unwrap_or_default().iter().collect();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => toks.push(Tok::Num(v)),
                _ => bail!("`{text}` is not a finite number"),
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while at(i).is_some_and(|d| d.is_alphanumeric() || "_.-/:".contains(d)) {
                i += 1;
            }
            toks.push(Tok::Name(
                chars.get(start..i).unwrap_or_default().iter().collect(),
            ));
        } else {
            bail!("unexpected character `{c}` at position {}", i + 1);
        }
    }
    Ok(toks)
}

fn describe(t: &Option<Tok>) -> String {
    match t {
        None => "the end of the expression".into(),
        Some(Tok::Name(n)) => format!("`{n}`"),
        Some(Tok::Num(v)) => format!("`{v}`"),
        Some(Tok::Op(op)) => format!("`{}`", op.as_str()),
        Some(Tok::Star) => "`*`".into(),
        Some(Tok::Or) => "`||`".into(),
        Some(Tok::And) => "`&&`".into(),
        Some(Tok::Open) => "`(`".into(),
        Some(Tok::Close) => "`)`".into(),
    }
}

/// How deeply parentheses may nest. The parser, printing, evaluation and dropping of an
/// expression all recurse once per level, so an unbounded depth would let one line of
/// `plan.toml` overflow the stack; no real criterion needs more than a few levels.
pub const MAX_NESTING: usize = 32;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Parentheses open at the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expr(&mut self) -> Result<Expr> {
        let mut parts = vec![self.all()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            parts.push(self.all()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Any(parts)
        })
    }
    fn all(&mut self) -> Result<Expr> {
        let mut parts = vec![self.primary()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            parts.push(self.primary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::All(parts)
        })
    }
    fn primary(&mut self) -> Result<Expr> {
        match self.next() {
            Some(Tok::Open) => {
                if self.depth == MAX_NESTING {
                    bail!("parentheses nested deeper than {MAX_NESTING} levels");
                }
                self.depth += 1;
                let e = self.expr()?;
                self.depth -= 1;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => bail!("expected `)`"),
                }
            }
            Some(Tok::Name(metric)) if metric != "baseline" => {
                let op = match self.next() {
                    Some(Tok::Op(op)) => op,
                    _ => bail!("expected a comparison operator after `{metric}`"),
                };
                let bound = self.bound()?;
                Ok(Expr::Cmp(Comparison { metric, op, bound }))
            }
            other => bail!("expected a metric name or `(`, found {}", describe(&other)),
        }
    }
    fn bound(&mut self) -> Result<Bound> {
        let reference = |name: String, k: f64| {
            if name == "baseline" {
                Bound::Relative(k)
            } else {
                Bound::Metric(name, k)
            }
        };
        match self.next() {
            Some(Tok::Num(v)) => {
                if self.peek() == Some(&Tok::Star) {
                    self.pos += 1;
                    match self.next() {
                        Some(Tok::Name(n)) => Ok(reference(n, v)),
                        _ => bail!("expected `baseline` or a metric name after `{v} *`"),
                    }
                } else {
                    Ok(Bound::Absolute(v))
                }
            }
            Some(Tok::Name(n)) => {
                if self.peek() == Some(&Tok::Star) {
                    self.pos += 1;
                    match self.next() {
                        Some(Tok::Num(v)) => Ok(reference(n, v)),
                        _ => bail!("expected a number after `{n} *`"),
                    }
                } else {
                    Ok(reference(n, 1.0))
                }
            }
            other => bail!(
                "expected a number, `baseline` or a metric name, found {}",
                describe(&other)
            ),
        }
    }
}

/// Parses an expression; the error says what was expected.
pub fn parse(src: &str) -> Result<Expr> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if let Some(t) = p.peek() {
        bail!(
            "unexpected {} after a complete expression",
            describe(&Some(t.clone()))
        );
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_relative_and_any_of() {
        let e = parse("oltp.p95_latency_ms <= 0.80 * baseline || oltp.tps >= 1.20 × baseline")
            .expect("parses");
        let Expr::Any(parts) = &e else {
            panic!("any-of expected: {e:?}")
        };
        assert_eq!(parts.len(), 2);
        assert!(e.uses_baseline());
        let c = parse("page_cache.hit_ratio >= 0.90").expect("parses");
        assert_eq!(
            c,
            Expr::Cmp(Comparison {
                metric: "page_cache.hit_ratio".into(),
                op: Op::Ge,
                bound: Bound::Absolute(0.9)
            })
        );
        let t = parse("engine-tests.tests.failed == 0 && (a < -1e3 || b > baseline * 2)")
            .expect("parses");
        assert_eq!(t.comparisons().len(), 3);
    }

    #[test]
    fn three_valued_logic() {
        let e = parse("a >= 1 || b >= 1").expect("parses");
        let mut f = |c: &Comparison| {
            if c.metric == "a" {
                Truth::False
            } else {
                Truth::Unknown
            }
        };
        assert_eq!(e.eval(&mut f), Truth::Unknown);
        let mut g = |c: &Comparison| {
            if c.metric == "a" {
                Truth::Unknown
            } else {
                Truth::True
            }
        };
        assert_eq!(e.eval(&mut g), Truth::True);
        let all = parse("a >= 1 && b >= 1").expect("parses");
        let mut h = |c: &Comparison| {
            if c.metric == "a" {
                Truth::Unknown
            } else {
                Truth::False
            }
        };
        assert_eq!(all.eval(&mut h), Truth::False);
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in [
            "a >=",
            ">= 1",
            "a >= 1 ||",
            "a ! 1",
            "a >= 1 b",
            "(a >= 1",
            "a >= 2 * 3",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    fn nested(levels: usize) -> String {
        format!("{}a >= 1{}", "(".repeat(levels), ")".repeat(levels))
    }

    #[test]
    fn nesting_is_bounded_with_an_error_not_a_stack_overflow() {
        let deepest = parse(&nested(MAX_NESTING)).expect("the limit itself parses");
        assert_eq!(deepest.comparisons().len(), 1);
        for levels in [MAX_NESTING + 1, 12_000] {
            let msg = parse(&nested(levels)).expect_err("too deep").to_string();
            assert!(msg.contains("nested deeper than 32 levels"), "{msg}");
        }
        // Unbalanced input past the limit is refused the same way, before any `)` is needed.
        let msg = parse(&"(".repeat(100_000))
            .expect_err("open only")
            .to_string();
        assert!(msg.contains("nested deeper"), "{msg}");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,6}(\\.[a-z0-9_-]{1,6}){0,2}".prop_filter("reserved", |n| n != "baseline")
    }

    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-1000i32..1000).prop_map(f64::from),
            (0u32..10_000).prop_map(|v| f64::from(v) / 100.0)
        ]
    }

    fn comparison() -> impl Strategy<Value = Expr> {
        let op = prop_oneof![
            Just(Op::Ge),
            Just(Op::Le),
            Just(Op::Gt),
            Just(Op::Lt),
            Just(Op::Eq)
        ];
        let bound = prop_oneof![
            number().prop_map(Bound::Absolute),
            number().prop_map(Bound::Relative),
            (name(), number()).prop_map(|(n, k)| Bound::Metric(n, k)),
        ];
        (name(), op, bound)
            .prop_map(|(metric, op, bound)| Expr::Cmp(Comparison { metric, op, bound }))
    }

    fn expr() -> impl Strategy<Value = Expr> {
        comparison().prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::All),
                prop::collection::vec(inner, 2..4).prop_map(Expr::Any),
            ]
        })
    }

    proptest! {
        // Nested lists are printed in parentheses, so the tree survives exactly. proptest
        // prints the minimal failing case and persists its seed in proptest-regressions/.
        #[test]
        fn printing_then_parsing_gives_the_same_expression(e in expr()) {
            let text = e.to_string();
            let parsed = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
            prop_assert_eq!(parsed, e, "{}", text);
        }
    }
}
