//! Binding `sqlparser` expressions to [`Expr`]: names to column positions, parameters to slots,
//! literals to [`Value`]s, and the coercion of constants compared with a column to its type.

use sqlparser::ast::{self, BinaryOperator, Spanned, UnaryOperator, Value as AstValue};

use super::super::super::def::TableDef;
use super::super::super::error::{Result, SchemaError};
use super::super::super::value::{ColumnType, Value};
use super::super::aggregate::{AggCall, AggFunc};
use super::super::expr::{BinOp, Expr};
use super::super::parse::Parsed;

/// How deeply a bound expression may nest (operators, parentheses, function arguments).
/// `sqlparser` bounds its own recursion, but a chain of left-associative operators
/// (`1 + 1 + … + 1`) parses in a loop into a tree as deep as the chain is long; binding,
/// evaluating and printing that tree recurse once per level, so the depth is bounded here,
/// with an error, before any of them can overflow the stack.
pub const MAX_EXPR_DEPTH: usize = 64;

/// Which parameter style a statement uses (they may not be mixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Positional,
    Numbered,
}

/// The state of binding one statement: its table (if any) and its parameters.
pub struct Scope<'a> {
    /// The statement being bound (for error positions).
    pub parsed: &'a Parsed,
    /// The table whose columns names resolve to (`None`: no `FROM`).
    pub table: Option<&'a TableDef>,
    /// The table's alias in this statement (`FROM orders o`), if any.
    pub alias: Option<String>,
    style: Option<Style>,
    next_positional: usize,
    /// Number of parameter slots seen so far (highest slot + 1).
    pub params: usize,
    /// The aggregate calls bound so far, when aggregates are allowed where binding is (the
    /// `SELECT` list, `HAVING`, `ORDER BY`); `None` elsewhere (`WHERE`, `GROUP BY`, an
    /// aggregate's own argument).
    pub aggregates: Option<Vec<AggCall>>,
    /// Expressions being bound around the current one (see [`MAX_EXPR_DEPTH`]).
    depth: usize,
}

impl<'a> Scope<'a> {
    /// A scope over `table`.
    pub fn new(parsed: &'a Parsed, table: Option<&'a TableDef>) -> Scope<'a> {
        Scope {
            parsed,
            table,
            alias: None,
            style: None,
            next_positional: 0,
            params: 0,
            aggregates: None,
            depth: 0,
        }
    }

    fn err_at(&self, e: &ast::Expr, message: String) -> SchemaError {
        self.parsed.error_at(e.span().start, message)
    }

    fn column(&self, ident: &ast::Ident, qualifier: Option<&ast::Ident>) -> Result<Expr> {
        let Some(table) = self.table else {
            return Err(self.parsed.error_at(
                ident.span.start,
                format!("no table to take column `{}` from", ident.value),
            ));
        };
        if let Some(q) = qualifier
            && !q.value.eq_ignore_ascii_case(&table.name)
            && !self
                .alias
                .as_deref()
                .is_some_and(|a| q.value.eq_ignore_ascii_case(a))
        {
            return Err(SchemaError::UnknownTable {
                table: q.value.clone(),
            });
        }
        match table.column(&ident.value) {
            Some((pos, def)) => Ok(Expr::Column {
                pos,
                name: def.name.clone(),
            }),
            None => Err(SchemaError::UnknownColumn {
                table: table.name.clone(),
                column: ident.value.clone(),
            }),
        }
    }

    fn param(&mut self, e: &ast::Expr, text: &str) -> Result<Expr> {
        let (style, slot) = if text == "?" {
            let slot = self.next_positional;
            self.next_positional += 1;
            (Style::Positional, slot)
        } else if let Some(n) = text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
            if n == 0 {
                return Err(self.err_at(e, "parameters are numbered from $1".into()));
            }
            (Style::Numbered, n - 1)
        } else {
            return Err(self.err_at(e, format!("unsupported parameter `{text}` (use ? or $1)")));
        };
        if self.style.is_some_and(|s| s != style) {
            return Err(self.err_at(e, "do not mix ? and $n parameters".into()));
        }
        self.style = Some(style);
        self.params = self.params.max(slot + 1);
        Ok(Expr::Param(slot))
    }

    /// Binds `e`; an error past [`MAX_EXPR_DEPTH`] levels of nesting.
    pub fn bind(&mut self, e: &ast::Expr) -> Result<Expr> {
        if self.depth == MAX_EXPR_DEPTH {
            return Err(self.parsed.error_at(
                leftmost(e).span().start,
                format!("expression nested deeper than {MAX_EXPR_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let bound = self.bind_node(e);
        self.depth -= 1;
        bound
    }

    fn bind_node(&mut self, e: &ast::Expr) -> Result<Expr> {
        Ok(match e {
            ast::Expr::Identifier(id) => self.column(id, None)?,
            ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] => self.column(c, Some(q))?,
                _ => return Err(self.err_at(e, format!("unsupported name `{e}`"))),
            },
            ast::Expr::Nested(inner) => self.bind(inner)?,
            ast::Expr::Value(v) => match &v.value {
                AstValue::Placeholder(p) => self.param(e, p)?,
                other => Expr::Literal(literal(other).map_err(|m| self.err_at(e, m))?),
            },
            ast::Expr::TypedString(ts) => {
                let text = match &ts.value.value {
                    AstValue::SingleQuotedString(s) => s.clone(),
                    other => return Err(self.err_at(e, format!("unsupported literal {other}"))),
                };
                let ty = column_type(&ts.data_type).map_err(|m| self.err_at(e, m))?;
                let v = super::super::expr::coerce(Value::Text(text), ty, "literal", "value")?;
                Expr::Literal(v)
            }
            ast::Expr::UnaryOp { op, expr } => {
                let inner = self.bind(expr)?;
                match op {
                    UnaryOperator::Not => Expr::Not(Box::new(inner)),
                    UnaryOperator::Minus => match inner {
                        Expr::Literal(Value::Int(v)) => Expr::Literal(Value::Int(-v)),
                        Expr::Literal(Value::Double(v)) => Expr::Literal(Value::Double(-v)),
                        other => Expr::Neg(Box::new(other)),
                    },
                    UnaryOperator::Plus => inner,
                    other => return Err(self.err_at(e, format!("unsupported operator {other}"))),
                }
            }
            ast::Expr::BinaryOp { left, op, right } => {
                let op = bin_op(op)
                    .ok_or_else(|| self.err_at(e, format!("unsupported operator {op}")))?;
                let (l, r) = (self.bind(left)?, self.bind(right)?);
                if op.is_comparison() {
                    let (l, r) = self.coerce_pair(l, r)?;
                    Expr::Binary {
                        op,
                        left: Box::new(l),
                        right: Box::new(r),
                    }
                } else {
                    Expr::Binary {
                        op,
                        left: Box::new(l),
                        right: Box::new(r),
                    }
                }
            }
            ast::Expr::IsNull(inner) => Expr::IsNull {
                expr: Box::new(self.bind(inner)?),
                negated: false,
            },
            ast::Expr::IsNotNull(inner) => Expr::IsNull {
                expr: Box::new(self.bind(inner)?),
                negated: true,
            },
            ast::Expr::IsTrue(inner) => self.is_bool(inner, true, false)?,
            ast::Expr::IsFalse(inner) => self.is_bool(inner, false, false)?,
            ast::Expr::IsNotTrue(inner) => self.is_bool(inner, true, true)?,
            ast::Expr::IsNotFalse(inner) => self.is_bool(inner, false, true)?,
            ast::Expr::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                ..
            } => {
                let target = self.bind(expr)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let bound = self.bind(item)?;
                    items.push(self.coerce_pair(target.clone(), bound)?.1);
                }
                Expr::InList {
                    expr: Box::new(target),
                    list: items,
                    negated: *negated,
                }
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let target = self.bind(expr)?;
                let low = self.bind(low)?;
                let high = self.bind(high)?;
                let low = self.coerce_pair(target.clone(), low)?.1;
                let high = self.coerce_pair(target.clone(), high)?.1;
                Expr::Between {
                    expr: Box::new(target),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: *negated,
                }
            }
            ast::Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => Expr::Like {
                expr: Box::new(self.bind(expr)?),
                pattern: Box::new(self.bind(pattern)?),
                negated: *negated,
            },
            ast::Expr::Function(f) => self.function(e, f)?,
            other => {
                return Err(self.err_at(e, format!("unsupported expression `{other}`")));
            }
        })
    }

    /// Binds an aggregate call (the only functions there are) to [`Expr::Aggregate`].
    fn function(&mut self, e: &ast::Expr, f: &ast::Function) -> Result<Expr> {
        let name = match f.name.0.as_slice() {
            [ast::ObjectNamePart::Identifier(id)] => id.value.clone(),
            _ => return Err(self.err_at(e, format!("unsupported function `{}`", f.name))),
        };
        let Some(func) = AggFunc::from_name(&name) else {
            return Err(self.err_at(
                e,
                format!(
                    "unknown function `{name}` (the functions are COUNT, SUM, AVG, MIN and MAX)"
                ),
            ));
        };
        if f.over.is_some()
            || f.filter.is_some()
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
            || !matches!(f.parameters, ast::FunctionArguments::None)
        {
            return Err(self.err_at(
                e,
                format!("unsupported form of {name}: no OVER, FILTER or WITHIN GROUP"),
            ));
        }
        let ast::FunctionArguments::List(list) = &f.args else {
            return Err(self.err_at(e, format!("{name} takes one argument")));
        };
        if matches!(
            list.duplicate_treatment,
            Some(ast::DuplicateTreatment::Distinct)
        ) {
            return Err(self.err_at(e, format!("{name}(DISTINCT …) is not supported")));
        }
        if !list.clauses.is_empty() {
            return Err(self.err_at(e, format!("unsupported clause in {name}(…)")));
        }
        let [arg] = list.args.as_slice() else {
            return Err(self.err_at(e, format!("{name} takes exactly one argument")));
        };
        let ast::FunctionArg::Unnamed(arg) = arg else {
            return Err(self.err_at(e, format!("{name} takes no named arguments")));
        };
        let Some(mut calls) = self.aggregates.take() else {
            return Err(self.err_at(
                e,
                format!("aggregate {name} is not allowed here (not in WHERE, GROUP BY or inside another aggregate)"),
            ));
        };
        let bound = match arg {
            ast::FunctionArgExpr::Wildcard if func == AggFunc::Count => {
                Ok((AggFunc::CountStar, None))
            }
            ast::FunctionArgExpr::Expr(x) => self.bind(x).map(|b| (func, Some(b))),
            _ => Err(self.err_at(e, format!("unsupported argument to {name}"))),
        };
        let result = bound.and_then(|(func, arg)| {
            let arg_ty = arg.as_ref().and_then(|a| super::type_of(a, self.table));
            if matches!(func, AggFunc::Sum | AggFunc::Avg)
                && !matches!(arg_ty, Some(ColumnType::Int | ColumnType::Double) | None)
            {
                return Err(self.err_at(
                    e,
                    format!(
                        "{name} needs a number, not {}",
                        arg_ty.map_or("?", |t| t.sql_name())
                    ),
                ));
            }
            let text = e.to_string();
            let index = calls.len();
            calls.push(AggCall {
                func,
                arg,
                text: text.clone(),
            });
            Ok(Expr::Aggregate {
                index,
                ty: func.result_type(arg_ty),
                text,
            })
        });
        self.aggregates = Some(calls);
        result
    }

    fn is_bool(&mut self, inner: &ast::Expr, value: bool, negated: bool) -> Result<Expr> {
        // `x IS TRUE` is never NULL: compare and map NULL to FALSE.
        let cmp = Expr::Binary {
            op: BinOp::Eq,
            left: Box::new(self.bind(inner)?),
            right: Box::new(Expr::Literal(Value::Bool(value))),
        };
        let is = Expr::Binary {
            op: BinOp::And,
            left: Box::new(Expr::IsNull {
                expr: Box::new(cmp.clone()),
                negated: true,
            }),
            right: Box::new(cmp),
        };
        Ok(if negated { Expr::Not(Box::new(is)) } else { is })
    }

    /// Wraps the constant side of a column-vs-constant pair in a coercion to the column's type
    /// (a literal is converted at once, so a mismatch is reported when the statement is bound).
    pub fn coerce_pair(&self, l: Expr, r: Expr) -> Result<(Expr, Expr)> {
        Ok(match (self.column_type_of(&l), self.column_type_of(&r)) {
            (Some((ty, name)), None) if r.is_constant() => {
                let r = self.coerce_to(r, ty, name)?;
                (l, r)
            }
            (None, Some((ty, name))) if l.is_constant() => (self.coerce_to(l, ty, name)?, r),
            _ => (l, r),
        })
    }

    fn column_type_of(&self, e: &Expr) -> Option<(ColumnType, String)> {
        let table = self.table?;
        let pos = e.as_column()?;
        table.columns.get(pos).map(|c| (c.ty, c.name.clone()))
    }

    /// `e` converted to `ty` for `column` of the scope's table: a literal now, anything else
    /// when evaluated.
    pub fn coerce_to(&self, e: Expr, ty: ColumnType, column: String) -> Result<Expr> {
        let table = self.table.map_or_else(String::new, |t| t.name.clone());
        Ok(match e {
            Expr::Literal(v) => Expr::Literal(super::super::expr::coerce(v, ty, &table, &column)?),
            other => Expr::Coerce {
                expr: Box::new(other),
                ty,
                target: (table, column),
            },
        })
    }
}

fn bin_op(op: &BinaryOperator) -> Option<BinOp> {
    Some(match op {
        BinaryOperator::Plus => BinOp::Add,
        BinaryOperator::Minus => BinOp::Sub,
        BinaryOperator::Multiply => BinOp::Mul,
        BinaryOperator::Divide => BinOp::Div,
        BinaryOperator::Modulo => BinOp::Mod,
        BinaryOperator::StringConcat => BinOp::Concat,
        BinaryOperator::Eq => BinOp::Eq,
        BinaryOperator::NotEq => BinOp::NotEq,
        BinaryOperator::Lt => BinOp::Lt,
        BinaryOperator::LtEq => BinOp::LtEq,
        BinaryOperator::Gt => BinOp::Gt,
        BinaryOperator::GtEq => BinOp::GtEq,
        BinaryOperator::And => BinOp::And,
        BinaryOperator::Or => BinOp::Or,
        _ => return None,
    })
}

/// A literal's value: integers that fit `i64` are `Int`, other numbers `Double`; `'…'` is text,
/// `x'…'` bytes.
pub fn literal(v: &AstValue) -> std::result::Result<Value, String> {
    Ok(match v {
        AstValue::Number(n, _) => {
            if let Ok(i) = n.parse::<i64>() {
                Value::Int(i)
            } else {
                match n.parse::<f64>() {
                    Ok(f) if f.is_finite() => Value::Double(f),
                    _ => return Err(format!("number {n} is out of range")),
                }
            }
        }
        AstValue::SingleQuotedString(s) | AstValue::DoubleQuotedString(s) => Value::Text(s.clone()),
        AstValue::HexStringLiteral(h) => Value::Bytes(hex(h).ok_or(format!("bad hex x'{h}'"))?),
        AstValue::Boolean(b) => Value::Bool(*b),
        AstValue::Null => Value::Null,
        other => return Err(format!("unsupported literal {other}")),
    })
}

fn hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// The column type a SQL type name declares.
pub fn column_type(ty: &ast::DataType) -> std::result::Result<ColumnType, String> {
    use ast::DataType as D;
    Ok(match ty {
        D::Int(_)
        | D::Integer(_)
        | D::BigInt(_)
        | D::Int4(_)
        | D::Int8(_)
        | D::Int64
        | D::SmallInt(_) => ColumnType::Int,
        D::Double(_) | D::DoublePrecision | D::Float(_) | D::Float8 | D::Real | D::Float64 => {
            ColumnType::Double
        }
        D::Text | D::Varchar(_) | D::String(_) | D::Char(_) | D::CharVarying(_) => ColumnType::Text,
        D::Bytea | D::Blob(_) | D::Bytes(_) | D::Varbinary(_) | D::Binary(_) => ColumnType::Bytes,
        D::Bool | D::Boolean => ColumnType::Bool,
        D::Timestamp(_, _) | D::Datetime(_) => ColumnType::Timestamp,
        other => {
            return Err(format!(
                "unsupported type {other} (use BIGINT, DOUBLE, TEXT, BYTES, BOOLEAN or TIMESTAMP)"
            ));
        }
    })
}

/// The innermost operand at the left edge of `e`, found by a loop: where binding stops at the
/// depth limit the subtree may be very deep, and `Spanned::span` of an operator recurses into
/// both operands.
fn leftmost(mut e: &ast::Expr) -> &ast::Expr {
    loop {
        e = match e {
            ast::Expr::BinaryOp { left, .. } => left,
            ast::Expr::Nested(inner)
            | ast::Expr::UnaryOp { expr: inner, .. }
            | ast::Expr::IsNull(inner)
            | ast::Expr::IsNotNull(inner) => inner,
            _ => return e,
        };
    }
}
