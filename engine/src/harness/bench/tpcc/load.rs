//! The schema (the migration files in `migrations/`, embedded and applied as migrations) and
//! the seeded loader: every
//! table filled as TPC-C's clause 4.3.3 describes, at a [`Scale`], in transactions of at most
//! [`BATCH`] rows, through the same [`SqlClient`] calls on every engine.

use super::client::{ClientResult, SqlClient};
use super::input::{NuConstants, Scale, astring, last_name, money};
use std::path::PathBuf;

use crate::schema::Value;
use crate::schema::migrate::files::{Migration, MigrationSet, SqlFile, sha256};
use crate::util::rng::SplitMix64 as Rng;

/// The schema's up migration.
pub const SCHEMA_UP: &str = include_str!("migrations/0001_tpcc.up.sql");
/// The schema's down migration.
pub const SCHEMA_DOWN: &str = include_str!("migrations/0001_tpcc.down.sql");

/// The schema as a migration set (version 1, `tpcc`), as if read from `migrations/`.
pub fn migrations() -> MigrationSet {
    let dir = PathBuf::from("engine/src/harness/bench/tpcc/migrations");
    let file = |name: &str, text: &str| SqlFile {
        path: dir.join(name),
        text: text.to_string(),
        sha256: sha256(text.as_bytes()),
    };
    let m = Migration {
        version: 1,
        name: "tpcc".to_string(),
        up: file("0001_tpcc.up.sql", SCHEMA_UP),
        down: Some(file("0001_tpcc.down.sql", SCHEMA_DOWN)),
    };
    MigrationSet {
        dir: dir.clone(),
        migrations: [(1, m)].into_iter().collect(),
    }
}

/// Rows per loader transaction.
pub const BATCH: usize = 1_000;

/// A warehouse's year-to-date total after loading (and a district's is a tenth of it).
pub const WAREHOUSE_YTD: f64 = 300_000.0;
/// The amount of the one history row loaded per customer.
pub const INITIAL_PAYMENT: f64 = 10.0;
/// The fixed `o_entry_d`/`h_date` of loaded rows (microseconds since the epoch).
pub const LOAD_TIME: i64 = 1_780_000_000_000_000;

/// Writes statements in transactions of [`BATCH`].
struct Batcher<'c, C: SqlClient> {
    client: &'c mut C,
    pending: usize,
}

impl<C: SqlClient> Batcher<'_, C> {
    fn insert(&mut self, sql: &str, params: &[Value]) -> ClientResult<()> {
        if self.pending == 0 {
            self.client.begin()?;
        }
        self.client.execute(sql, params)?;
        self.pending += 1;
        if self.pending == BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> ClientResult<()> {
        if self.pending > 0 {
            self.pending = 0;
            self.client.commit()?;
        }
        Ok(())
    }
}

fn original_or(rng: &mut Rng) -> String {
    let mut data = astring(rng, 26, 50);
    if rng.chance(1, 10) {
        let at = rng.below((data.len() - 8) as u64) as usize;
        data.replace_range(at..at + 8, "ORIGINAL");
    }
    data
}

/// Creates the schema and loads a database of `scale`, every value drawn from `seed`.
pub fn load(client: &mut impl SqlClient, scale: Scale, seed: u64) -> ClientResult<()> {
    client.apply_migrations(&migrations())?;
    let mut rng = Rng::new(seed);
    let nu = NuConstants::new(&mut rng);
    let mut b = Batcher { client, pending: 0 };
    let (i, t) = (Value::Int, Value::Text);
    for id in 1..=scale.items {
        b.insert(
            "INSERT INTO item VALUES (?, ?, ?, ?, ?)",
            &[
                i(id as i64),
                i(rng.range_inclusive(1, 10_000) as i64),
                t(astring(&mut rng, 14, 24)),
                Value::Double(money(&mut rng, 100, 10_000)),
                t(original_or(&mut rng)),
            ],
        )?;
    }
    let district_ytd = WAREHOUSE_YTD / scale.districts.max(1) as f64;
    for w in 1..=scale.warehouses as i64 {
        b.insert(
            "INSERT INTO warehouse VALUES (?, ?, ?, ?, ?, ?)",
            &[
                i(w),
                t(astring(&mut rng, 6, 10)),
                t(astring(&mut rng, 10, 20)),
                t(astring(&mut rng, 10, 20)),
                Value::Double(rng.below(2_001) as f64 / 10_000.0),
                Value::Double(WAREHOUSE_YTD),
            ],
        )?;
        for s in 1..=scale.items {
            b.insert(
                "INSERT INTO stock VALUES (?, ?, ?, ?, 0, 0, 0, ?)",
                &[
                    i(w),
                    i(s as i64),
                    i(rng.range_inclusive(10, 100) as i64),
                    t(astring(&mut rng, 24, 24)),
                    t(original_or(&mut rng)),
                ],
            )?;
        }
        for d in 1..=scale.districts as i64 {
            b.insert(
                "INSERT INTO district VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    i(w),
                    i(d),
                    t(astring(&mut rng, 6, 10)),
                    t(astring(&mut rng, 10, 20)),
                    t(astring(&mut rng, 10, 20)),
                    Value::Double(rng.below(2_001) as f64 / 10_000.0),
                    Value::Double(district_ytd),
                    i(scale.customers as i64 + 1),
                ],
            )?;
            load_customers(&mut b, &mut rng, &nu, scale, w, d)?;
            load_orders(&mut b, &mut rng, scale, w, d)?;
        }
    }
    b.flush()
}

fn load_customers<C: SqlClient>(
    b: &mut Batcher<'_, C>,
    rng: &mut Rng,
    nu: &NuConstants,
    scale: Scale,
    w: i64,
    d: i64,
) -> ClientResult<()> {
    let (i, t) = (Value::Int, Value::Text);
    let names = scale.last_names();
    for c in 1..=scale.customers as i64 {
        let name = if (c as u64) <= names {
            c as u64 - 1
        } else {
            nu.nurand(rng, 255, 0, names - 1)
        };
        let credit = if rng.chance(1, 10) { "BC" } else { "GC" };
        b.insert(
            "INSERT INTO customer VALUES (?, ?, ?, ?, 'OE', ?, ?, ?, ?, ?, 50000.0, ?, -10.0, 10.0, 1, 0, ?)",
            &[
                i(w),
                i(d),
                i(c),
                t(astring(rng, 8, 16)),
                t(last_name(name)),
                t(astring(rng, 10, 20)),
                t(astring(rng, 10, 20)),
                i(LOAD_TIME),
                t(credit.to_string()),
                Value::Double(rng.below(5_001) as f64 / 10_000.0),
                t(astring(rng, 300, 500)),
            ],
        )?;
        b.insert(
            "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                i(history_id(0, (w - 1) * 1_000_000 + d * 10_000 + c)),
                i(c),
                i(d),
                i(w),
                i(d),
                i(w),
                i(LOAD_TIME),
                Value::Double(INITIAL_PAYMENT),
                t(astring(rng, 12, 24)),
            ],
        )?;
    }
    Ok(())
}

/// One order per customer (customers in a random permutation), 5–15 lines each; the last 30%
/// are undelivered and listed in `new_order`.
fn load_orders<C: SqlClient>(
    b: &mut Batcher<'_, C>,
    rng: &mut Rng,
    scale: Scale,
    w: i64,
    d: i64,
) -> ClientResult<()> {
    let i = Value::Int;
    let n = scale.customers as i64;
    let mut customers: Vec<i64> = (1..=n).collect();
    for k in (1..customers.len()).rev() {
        customers.swap(k, rng.below(k as u64 + 1) as usize);
    }
    let undelivered_from = n - n * 3 / 10 + 1;
    for (o, c) in (1..=n).zip(customers) {
        let delivered = o < undelivered_from;
        let lines = rng.range_inclusive(5, 15) as i64;
        let carrier = if delivered {
            i(rng.range_inclusive(1, 10) as i64)
        } else {
            Value::Null
        };
        b.insert(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            &[i(w), i(d), i(o), i(c), i(LOAD_TIME), carrier, i(lines)],
        )?;
        for l in 1..=lines {
            let (delivery, amount) = if delivered {
                (i(LOAD_TIME), 0.0)
            } else {
                (Value::Null, money(rng, 1, 999_999))
            };
            b.insert(
                "INSERT INTO order_line VALUES (?, ?, ?, ?, ?, ?, ?, 5, ?, ?)",
                &[
                    i(w),
                    i(d),
                    i(o),
                    i(l),
                    i(rng.range_inclusive(1, scale.items) as i64),
                    i(w),
                    delivery,
                    Value::Double(amount),
                    Value::Text(astring(rng, 24, 24)),
                ],
            )?;
        }
        if !delivered {
            b.insert(
                "INSERT INTO new_order VALUES (?, ?, ?)",
                &[i(w), i(d), i(o)],
            )?;
        }
    }
    Ok(())
}

/// A history row's key: the client number in the top 24 bits, its own counter below.
pub fn history_id(client: u64, counter: i64) -> i64 {
    ((client as i64) << 40) | counter
}
