//! The seeded demo schema: two tables with typed columns, a composite primary key, unique and
//! non-unique (one composite) secondary indexes, loaded with rows that are a pure function of
//! `(seed, i)`. `ldb load --table-rows`, the `engine-integrity` evidence check and `ldb bench
//! tables` use it, so the integrity check always runs over real tables and indexes.
//!
//! * `customers(id BIGINT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, balance
//!   DOUBLE, active BOOLEAN, created TIMESTAMP)` with `customers_email` UNIQUE (email) and
//!   `customers_name` (name, created);
//! * `orders(customer BIGINT, seq BIGINT, amount BIGINT NOT NULL, note TEXT, PRIMARY KEY
//!   (customer, seq))` with `orders_amount` (amount).

use crate::db::Database;
use crate::schema::ddl::{self, ColumnSpec, IndexSpec, TableSpec};
use crate::schema::error::Result;
use crate::schema::{Catalog, ColumnType, TableDef, Value, table};
use crate::txn::IsolationLevel;
use crate::util::rng::SplitMix64 as Rng;

/// Rows per commit while loading.
pub const BATCH: u64 = 1000;

fn column(name: &str, ty: ColumnType, not_null: bool) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        ty,
        not_null,
        default: None,
    }
}

fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexSpec {
    IndexSpec {
        name: name.into(),
        table: table.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        unique,
    }
}

/// Creates the demo tables and their indexes in one transaction.
pub fn create_schema(db: &Database) -> Result<()> {
    let mut txn = db.begin(IsolationLevel::Serializable)?;
    ddl::create_table(
        &mut txn,
        &TableSpec {
            name: "customers".into(),
            columns: vec![
                column("id", ColumnType::Int, true),
                column("email", ColumnType::Text, true),
                column("name", ColumnType::Text, true),
                column("balance", ColumnType::Double, false),
                column("active", ColumnType::Bool, false),
                column("created", ColumnType::Timestamp, false),
            ],
            primary_key: vec!["id".into()],
            storage: Default::default(),
        },
    )?;
    ddl::create_table(
        &mut txn,
        &TableSpec {
            name: "orders".into(),
            columns: vec![
                column("customer", ColumnType::Int, true),
                column("seq", ColumnType::Int, true),
                column("amount", ColumnType::Int, true),
                column("note", ColumnType::Text, false),
            ],
            primary_key: vec!["customer".into(), "seq".into()],
            storage: Default::default(),
        },
    )?;
    for spec in [
        index("customers_email", "customers", &["email"], true),
        index("customers_name", "customers", &["name", "created"], false),
        index("orders_amount", "orders", &["amount"], false),
    ] {
        ddl::create_index(&mut txn, &spec)?;
    }
    txn.commit()?;
    Ok(())
}

/// The `i`-th customer of the demo data with `seed`.
pub fn customer(seed: u64, i: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let id = i64::try_from(i).unwrap_or(i64::MAX);
    let active = !rng.next_u64().is_multiple_of(5);
    vec![
        Value::Int(id),
        Value::Text(format!("c{i}@example.com")),
        Value::Text(format!("name-{:03}", rng.next_u64() % 500)),
        if rng.next_u64().is_multiple_of(10) {
            Value::Null
        } else {
            Value::Double((rng.next_u64() % 1_000_000) as f64 / 100.0)
        },
        Value::Bool(active),
        Value::Timestamp(1_700_000_000_000_000 + (rng.next_u64() % 86_400_000_000) as i64),
    ]
}

/// The `i`-th order of the demo data with `seed` (`customers` customers).
pub fn order(seed: u64, i: u64, customers: u64) -> Vec<Value> {
    let mut rng = Rng::new(!seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let customer = rng.next_u64() % customers.max(1);
    let amount = (rng.next_u64() % 100_000) as i64;
    vec![
        Value::Int(i64::try_from(customer).unwrap_or(i64::MAX)),
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX)),
        Value::Int(amount),
        if i.is_multiple_of(3) {
            Value::Text(format!("note {i}"))
        } else {
            Value::Null
        },
    ]
}

/// Inserts `count` rows made by `row(i)` into `def`, [`BATCH`] rows per commit.
pub fn insert_rows(
    db: &Database,
    def: &TableDef,
    count: u64,
    row: impl Fn(u64) -> Vec<Value>,
) -> Result<()> {
    let mut i = 0;
    while i < count {
        let end = (i + BATCH).min(count);
        let mut txn = db.begin(IsolationLevel::RepeatableRead)?;
        for n in i..end {
            table::insert(&mut txn, def, &row(n))?;
        }
        txn.commit()?;
        i = end;
    }
    Ok(())
}

/// The definition of table `name` as the latest commit sees it.
pub fn table_def(db: &Database, name: &str) -> Result<TableDef> {
    let mut txn = db.begin_read_only()?;
    let def = Catalog::load(&mut txn)?.table(name)?.clone();
    txn.rollback();
    Ok(def)
}

/// Creates the demo schema and loads `rows` customers and `rows` orders.
pub fn load(db: &Database, rows: u64, seed: u64) -> Result<()> {
    create_schema(db)?;
    let customers = table_def(db, "customers")?;
    insert_rows(db, &customers, rows, |i| customer(seed, i))?;
    let orders = table_def(db, "orders")?;
    insert_rows(db, &orders, rows, |i| order(seed, i, rows))?;
    Ok(())
}
