use super::super::bind::{Bound, Tables, bind};
use super::super::explain::explain;
use super::super::parse::parse_one;
use super::*;
use crate::schema::def::{ColumnDef, IndexDef, TableDef};
use crate::schema::error::{Result, SchemaError};
use crate::schema::value::ColumnType;

/// `orders(id BIGINT PK, customer BIGINT, amount DOUBLE, ref TEXT, placed TIMESTAMP)` with
/// `orders_by_customer (customer, placed)` and unique `orders_ref (ref)`; `lines(order_id,
/// line_no, qty)` with primary key `(order_id, line_no)`.
pub(crate) struct Fixture(pub Vec<TableDef>);

impl Tables for Fixture {
    fn table(&self, name: &str) -> Result<&TableDef> {
        self.0
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| SchemaError::UnknownTable {
                table: name.to_string(),
            })
    }
}

fn col(id: u32, name: &str, ty: ColumnType) -> ColumnDef {
    ColumnDef {
        id,
        name: name.into(),
        ty,
        not_null: false,
        default: None,
    }
}

pub(crate) fn fixture() -> Fixture {
    let orders = TableDef {
        id: 1,
        name: "orders".into(),
        columns: vec![
            col(1, "id", ColumnType::Int),
            col(2, "customer", ColumnType::Int),
            col(3, "amount", ColumnType::Double),
            col(4, "ref", ColumnType::Text),
            col(5, "placed", ColumnType::Timestamp),
        ],
        primary_key: vec![1],
        indexes: vec![
            IndexDef {
                id: 1,
                name: "orders_by_customer".into(),
                columns: vec![2, 5],
                unique: false,
            },
            IndexDef {
                id: 2,
                name: "orders_ref".into(),
                columns: vec![4],
                unique: true,
            },
        ],
        version: 1,
        next_column_id: 6,
        next_index_id: 3,
        storage: crate::schema::def::Storage::Row,
        partition: None,
    };
    let lines = TableDef {
        id: 2,
        name: "lines".into(),
        columns: vec![
            col(1, "order_id", ColumnType::Int),
            col(2, "line_no", ColumnType::Int),
            col(3, "qty", ColumnType::Int),
        ],
        primary_key: vec![1, 2],
        indexes: vec![],
        version: 1,
        next_column_id: 4,
        next_index_id: 1,
        storage: crate::schema::def::Storage::Row,
        partition: None,
    };
    Fixture(vec![orders, lines])
}

fn select_plan(sql: &str) -> (Plan, Vec<String>) {
    let parsed = parse_one(sql).expect("parses");
    let bound = bind(&parsed, &fixture()).expect("binds");
    let lines = explain(&bound.bound);
    match bound.bound {
        Bound::Select(s) => (s.plan, lines),
        Bound::Update(u) => (u.plan, lines),
        Bound::Delete(d) => (d.plan, lines),
        other => panic!("not a row statement: {other:?}"),
    }
}

#[test]
fn primary_key_equality_is_a_point_lookup_with_no_residual() {
    let (p, lines) = select_plan("SELECT amount FROM orders WHERE id = ?");
    assert!(
        matches!(&p.access, Access::PkPoint(k) if matches!(k.as_slice(), [Expr::Coerce { expr, .. }] if **expr == Expr::Param(0))),
        "{:?}",
        p.access
    );
    assert_eq!(p.residual, None);
    assert!(
        lines[0].contains("PRIMARY KEY point (id = $1)"),
        "{lines:?}"
    );
    // Either way round.
    let (p, _) = select_plan("SELECT * FROM orders WHERE 5 = id AND amount > 1");
    assert!(matches!(p.access, Access::PkPoint(_)));
    assert!(p.residual.is_some());
}

#[test]
fn composite_key_prefix_and_range() {
    let (p, lines) = select_plan("SELECT * FROM lines WHERE order_id = 3 AND line_no >= 2");
    match &p.access {
        Access::PkRange(r) => {
            assert_eq!(r.eq, vec![Expr::Literal(crate::schema::Value::Int(3))]);
            assert!(matches!(r.lo, Some((_, true))));
            assert!(r.hi.is_none());
        }
        other => panic!("expected a primary-key range, got {other:?}"),
    }
    assert!(
        lines[0].contains("PRIMARY KEY range (order_id = 3 AND line_no >= 2)"),
        "{lines:?}"
    );
    // The range conjunct stays in the residual filter.
    assert!(p.residual.is_some());
    let (p, _) = select_plan("SELECT * FROM lines WHERE order_id = 3 AND line_no = 1");
    assert!(matches!(p.access, Access::PkPoint(ref k) if k.len() == 2));
    // A predicate on the second key column alone cannot use the key.
    let (p, lines) = select_plan("SELECT * FROM lines WHERE line_no = 1");
    assert_eq!(p.access, Access::FullScan);
    assert_eq!(lines[0], "SELECT lines: FULL SCAN");
}

#[test]
fn secondary_indexes_on_their_leading_columns() {
    let (_, lines) = select_plan("SELECT id FROM orders WHERE customer = 7");
    assert!(
        lines[0].contains("INDEX orders_by_customer range (customer = 7)"),
        "{lines:?}"
    );
    let (p, lines) =
        select_plan("SELECT id FROM orders WHERE customer = 7 AND placed > '2026-01-01T00:00:00Z'");
    match &p.access {
        Access::IndexRange { index, range } => {
            assert_eq!(index.name, "orders_by_customer");
            assert_eq!(range.eq.len(), 1);
            assert!(matches!(
                range.lo,
                Some((Expr::Literal(crate::schema::Value::Timestamp(_)), false))
            ));
        }
        other => panic!("expected an index range, got {other:?}"),
    }
    assert!(
        lines[0].contains("placed > '2026-01-01T00:00:00.000000Z'"),
        "{lines:?}"
    );
    let (p, lines) = select_plan("SELECT id FROM orders WHERE ref = 'A-1'");
    assert!(matches!(p.access, Access::IndexPoint { .. }));
    assert!(
        lines[0].contains("INDEX orders_ref point (ref = 'A-1')"),
        "{lines:?}"
    );
    // Only the non-leading column of an index: full scan.
    let (p, _) = select_plan("SELECT id FROM orders WHERE placed > '2026-01-01'");
    assert_eq!(p.access, Access::FullScan);
    // A primary-key point wins over an index.
    let (p, _) = select_plan("SELECT id FROM orders WHERE customer = 1 AND id = 2");
    assert!(matches!(p.access, Access::PkPoint(_)));
    // OR cannot be used for a key.
    let (p, _) = select_plan("SELECT id FROM orders WHERE id = 1 OR id = 2");
    assert_eq!(p.access, Access::FullScan);
}

#[test]
fn sort_is_skipped_when_the_path_yields_the_order() {
    let (p, lines) = select_plan("SELECT * FROM orders ORDER BY id DESC LIMIT 3");
    assert_eq!(p.access, Access::FullScan);
    assert!(!p.needs_sort && p.reverse);
    assert!(
        lines.iter().any(|l| l.contains("key order, no sort")),
        "{lines:?}"
    );
    let (p, _) = select_plan("SELECT * FROM orders WHERE customer = 1 ORDER BY placed");
    assert!(!p.needs_sort, "pinned customer, then placed: index order");
    let (p, _) = select_plan("SELECT * FROM orders WHERE customer = 1 ORDER BY placed, id");
    assert!(
        !p.needs_sort,
        "a non-unique index ends with the primary key"
    );
    let (p, lines) = select_plan("SELECT * FROM orders ORDER BY amount");
    assert!(p.needs_sort);
    assert!(lines.iter().any(|l| l.contains("(sort)")), "{lines:?}");
    let (p, _) = select_plan("SELECT * FROM lines ORDER BY order_id, line_no DESC");
    assert!(p.needs_sort, "mixed directions need a sort");
    let (p, _) = select_plan("SELECT * FROM lines WHERE order_id = 1 ORDER BY line_no DESC");
    assert!(!p.needs_sort && p.reverse);
}

#[test]
fn update_and_delete_are_planned_too() {
    let (p, lines) = select_plan("UPDATE orders SET amount = amount * 2 WHERE customer = $1");
    assert!(matches!(p.access, Access::IndexRange { .. }));
    assert!(
        lines[0].starts_with("UPDATE orders: INDEX orders_by_customer range"),
        "{lines:?}"
    );
    let (p, _) = select_plan("DELETE FROM lines WHERE order_id BETWEEN 1 AND 5");
    assert!(matches!(p.access, Access::PkRange(ref r) if r.lo.is_some() && r.hi.is_some()));
}
