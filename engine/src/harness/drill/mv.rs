//! The materialized-view drill behind `ldb drill mv`: a seeded random history of inserts (small
//! ones into the delta, large ones straight into segments), deletes, updates, multi-statement
//! transactions, rolled-back transactions, compactions and refreshes on a columnar table with
//! four views — one per refresh policy — and after every step each view is verified: its
//! stored result with its pending change log applied must equal a full recomputation
//! (`schema::sql::mv::verify`), and a view just refreshed must answer exactly what its
//! defining query answers. Every disagreement is a failure (0 is the pass).

use std::path::Path;
use std::time::Instant;

use crate::db::Options;
use crate::harness::error::{HarnessError, HarnessResult};
use crate::schema::catalog::Catalog;
use crate::schema::keys::encode_tuple;
use crate::schema::sql::SqlDatabase;
use crate::schema::sql::mv::verify;
use crate::schema::{SchemaError, Value};
use crate::util::rng::SplitMix64;

/// What to run.
#[derive(Clone, Debug)]
pub struct MvDrillConfig {
    /// The workload's seed.
    pub seed: u64,
    /// Random steps.
    pub steps: usize,
}

impl Default for MvDrillConfig {
    fn default() -> Self {
        MvDrillConfig {
            seed: 42,
            steps: 150,
        }
    }
}

/// What the drill found.
#[derive(Clone, Debug, Default)]
pub struct MvDrill {
    /// Steps run.
    pub steps: u64,
    /// View verifications and result comparisons made.
    pub checks: u64,
    /// Of those, how many disagreed (0 is the pass).
    pub failures: u64,
    /// Refreshes the views ran (by every policy and statement, the ones `CREATE` ran
    /// included).
    pub refreshes: u64,
    /// The first disagreements, explained.
    pub explained: Vec<String>,
    /// Seconds the drill took.
    pub elapsed_s: f64,
}

/// The views the drill keeps: (name, definition).
pub const VIEWS: [(&str, &str); 4] = [
    (
        "mv_manual",
        "CREATE MATERIALIZED VIEW mv_manual AS SELECT g, COUNT(*) AS n, SUM(x) AS sx, AVG(x) AS ax, MIN(y) AS mny, MAX(x) AS mxx FROM t GROUP BY g",
    ),
    (
        "mv_commit",
        "CREATE MATERIALIZED VIEW mv_commit WITH (refresh = 'on_commit') AS SELECT g, h, COUNT(*) AS n, COUNT(y) AS cy, MIN(x) AS mn, MAX(y) AS my FROM t WHERE x > 0 GROUP BY g, h",
    ),
    (
        "mv_every",
        "CREATE MATERIALIZED VIEW mv_every WITH (refresh = 'every 3 commits') AS SELECT h, SUM(x) AS s, MAX(g) AS mg FROM t GROUP BY h",
    ),
    (
        "mv_seconds",
        "CREATE MATERIALIZED VIEW mv_seconds WITH (refresh = 'every 3600 seconds') AS SELECT g, AVG(x) AS ax, MIN(x) AS mn FROM t WHERE g <> 'west' GROUP BY g",
    ),
];

fn schema(e: SchemaError) -> HarnessError {
    match e {
        SchemaError::Engine(e) => HarnessError::Db(e),
        other => HarnessError::Unexpected(other.to_string()),
    }
}

fn row(rng: &mut SplitMix64, id: u64) -> String {
    let g = ["'north'", "'south'", "'east'", "'west'", "NULL"][rng.below(5) as usize];
    let x = if rng.chance(1, 8) {
        "NULL".to_string()
    } else {
        (rng.below(200) as i64 - 60).to_string()
    };
    let y = if rng.chance(1, 8) {
        "NULL".to_string()
    } else {
        format!("{}.5", rng.below(100))
    };
    format!("({id}, {g}, {}, {x}, {y})", rng.below(4))
}

fn insert_sql(rng: &mut SplitMix64, next_id: &mut u64, n: u64) -> String {
    let rows: Vec<String> = (0..n)
        .map(|_| {
            *next_id += 1;
            row(rng, *next_id)
        })
        .collect();
    format!("INSERT INTO t VALUES {}", rows.join(", "))
}

/// One random write statement.
fn write_sql(rng: &mut SplitMix64, next_id: &mut u64) -> String {
    let hi = (*next_id).max(1);
    match rng.below(10) {
        0 => {
            let n = 1024 + rng.below(200);
            insert_sql(rng, next_id, n)
        }
        1..=4 => {
            let n = 1 + rng.below(40);
            insert_sql(rng, next_id, n)
        }
        5 | 6 => {
            let a = rng.below(hi);
            format!(
                "DELETE FROM t WHERE id BETWEEN {a} AND {}",
                a + rng.below(30)
            )
        }
        7 => format!("DELETE FROM t WHERE x = {}", rng.below(200) as i64 - 60),
        _ => {
            let m = 2 + rng.below(7);
            format!(
                "UPDATE t SET x = x + {}, g = 'east' WHERE id % {m} = {}",
                rng.below(9) as i64 - 4,
                rng.below(m)
            )
        }
    }
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_cached_key(|r| {
        let mut k = Vec::new();
        encode_tuple(&mut k, r);
        k
    });
    rows
}

impl MvDrill {
    fn fail(&mut self, why: String) {
        self.failures += 1;
        if self.explained.len() < 20 {
            self.explained.push(why);
        }
    }

    /// Verifies every view; `fresh` names views just refreshed, compared with their queries.
    fn check(&mut self, db: &SqlDatabase, step: u64, fresh: &[&str]) -> HarnessResult<()> {
        let mut txn = db.database().begin_read_only()?;
        let catalog = Catalog::load(&mut txn).map_err(schema)?;
        for view in catalog.views() {
            self.checks += 1;
            let found = verify(&mut txn, &catalog, view).map_err(schema)?;
            for p in found.problems {
                self.fail(format!("step {step}: view `{}`: {p}", view.name));
            }
        }
        txn.rollback();
        for name in fresh {
            self.checks += 1;
            let view = db
                .query(&format!("SELECT * FROM {name}"), &[])
                .map_err(schema)?;
            let cat = db.catalog().map_err(schema)?;
            let Some(def) = cat.view(name) else {
                self.fail(format!("step {step}: view `{name}` is missing"));
                continue;
            };
            let direct = db.query(&def.query, &[]).map_err(schema)?;
            if sorted(view.rows.clone()) != sorted(direct.rows.clone()) {
                self.fail(format!(
                    "step {step}: view `{name}` has {} rows, its query answers {} (or their values differ)",
                    view.rows.len(),
                    direct.rows.len()
                ));
            }
        }
        Ok(())
    }
}

/// Runs the drill on a new database in `dir`.
pub fn run(cfg: &MvDrillConfig, opts: Options, dir: &Path) -> HarnessResult<MvDrill> {
    let start = Instant::now();
    let db = SqlDatabase::create(dir.join("mv.ldb"), opts).map_err(schema)?;
    let mut rng = SplitMix64::new(cfg.seed);
    let mut next_id = 0u64;
    let mut d = MvDrill::default();
    db.execute(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, h BIGINT, x BIGINT, y DOUBLE) WITH (storage = 'columnar', row_group = 1024)",
        &[],
    )
    .map_err(schema)?;
    db.execute(&insert_sql(&mut rng, &mut next_id, 300), &[])
        .map_err(schema)?;
    for (_, ddl) in VIEWS {
        db.execute(ddl, &[]).map_err(schema)?;
    }
    d.check(
        &db,
        0,
        &["mv_manual", "mv_commit", "mv_every", "mv_seconds"],
    )?;
    for step in 1..=cfg.steps as u64 {
        d.steps += 1;
        let mut fresh: Vec<&str> = Vec::new();
        match rng.below(12) {
            0 => {
                let name = VIEWS[rng.below(4) as usize].0;
                let kind = if rng.chance(1, 3) { "" } else { " INCREMENTAL" };
                db.execute(&format!("REFRESH MATERIALIZED VIEW {name}{kind}"), &[])
                    .map_err(schema)?;
                fresh.push(name);
            }
            1 => {
                // Several writes in one transaction: one commit for the policies.
                let mut s = db.session();
                s.execute("BEGIN", &[]).map_err(schema)?;
                for _ in 0..2 + rng.below(3) {
                    s.execute(&write_sql(&mut rng, &mut next_id), &[])
                        .map_err(schema)?;
                }
                s.execute("COMMIT", &[]).map_err(schema)?;
                fresh.push("mv_commit");
            }
            2 => {
                // Rolled back: the views and logs must not move.
                let mut s = db.session();
                s.execute("BEGIN", &[]).map_err(schema)?;
                s.execute(&write_sql(&mut rng, &mut next_id), &[])
                    .map_err(schema)?;
                s.execute("ROLLBACK", &[]).map_err(schema)?;
            }
            3 => {
                let mut txn = db
                    .database()
                    .begin(crate::txn::IsolationLevel::Serializable)?;
                let cat = Catalog::load(&mut txn).map_err(schema)?;
                let t = cat.table("t").map_err(schema)?.clone();
                crate::columnar::write::compact(&mut txn, &t, true).map_err(schema)?;
                txn.commit()?;
            }
            _ => {
                db.execute(&write_sql(&mut rng, &mut next_id), &[])
                    .map_err(schema)?;
                fresh.push("mv_commit");
            }
        }
        d.check(&db, step, &fresh)?;
    }
    let mut txn = db.database().begin_read_only()?;
    let catalog = Catalog::load(&mut txn).map_err(schema)?;
    for view in catalog.views() {
        d.refreshes += crate::columnar::mv::state::get(&mut txn, view.id, false)
            .map_err(schema)?
            .refreshes;
    }
    txn.rollback();
    d.elapsed_s = start.elapsed().as_secs_f64();
    Ok(d)
}
