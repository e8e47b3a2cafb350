//! Materialized views under crashes: a workload of inserts and deletes on a columnar table with
//! an `on_commit` and a `manual` view is crashed at a stride of its I/O operations on the
//! simulated disk; after recovery every view must verify (its stored result with its change log
//! applied equals a full recomputation) and the `on_commit` view must answer what its query
//! answers — a refresh commits with the change it applies or not at all.

use std::sync::Arc;

use lightning_db::schema::sql::SqlDatabase;
use lightning_db::util::rng::SplitMix64;
use lightning_db::vfs::SimVfs;
use lightning_db::{Database, Options};

const DB_DIR: &str = "/db";
const QUERY: &str = "SELECT g, COUNT(*) AS n, SUM(x) AS s, MIN(x) AS lo FROM t GROUP BY g";

fn sim_options(vfs: &SimVfs) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 32 * 1024,
        wal_segment_size: 64 << 10,
        checkpoint_wal_bytes: 32 << 10,
        vfs: Arc::new(vfs.clone()),
        ..Options::default()
    }
}

fn workload(seed: u64) -> Vec<String> {
    let mut rng = SplitMix64::new(seed);
    let mut out = vec![
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, x BIGINT) WITH (storage = 'columnar', row_group = 1024)".to_string(),
        format!("CREATE MATERIALIZED VIEW c WITH (refresh = 'on_commit') AS {QUERY}"),
        format!("CREATE MATERIALIZED VIEW m AS {QUERY}"),
    ];
    let mut id = 0;
    for step in 0..8 {
        let n = 20 + rng.below(60);
        let rows: Vec<String> = (0..n)
            .map(|i| {
                let g = ["'a'", "'b'", "'c'", "NULL"][rng.below(4) as usize];
                format!("({}, {g}, {})", id + i, rng.below(100))
            })
            .collect();
        id += n;
        out.push(format!("INSERT INTO t VALUES {}", rows.join(", ")));
        if step % 2 == 1 {
            out.push(format!("DELETE FROM t WHERE x < {}", rng.below(20)));
        }
        if step % 3 == 2 {
            out.push("REFRESH MATERIALIZED VIEW m INCREMENTAL".to_string());
        }
    }
    out
}

fn run_crashing(vfs: &SimVfs, statements: &[String]) -> usize {
    let Ok(db) = Database::create(DB_DIR, sim_options(vfs)) else {
        return 0;
    };
    let db = SqlDatabase::new(db);
    let mut acked = 0;
    for s in statements {
        if db.execute(s, &[]).is_err() {
            return acked;
        }
        acked += 1;
    }
    acked
}

/// Why the recovered database is not what it must be (`None`: it is).
fn verdict(db: &SqlDatabase) -> Option<String> {
    let report = match lightning_db::integrity::check_all(db.database()) {
        Ok(r) => r,
        Err(e) => return Some(format!("check failed: {e}")),
    };
    if let Some(t) = &report.tables
        && t.total() > 0
    {
        return Some(format!("table check: {:?}", t.findings));
    }
    match db.catalog() {
        Ok(cat) if cat.view("c").is_none() => return None,
        Ok(_) => {}
        Err(e) => return Some(format!("catalog: {e}")),
    }
    let view = match db.query("SELECT * FROM c", &[]) {
        Ok(r) => r.rows,
        Err(e) => return Some(format!("reading the view: {e}")),
    };
    let direct = match db.query(QUERY, &[]) {
        Ok(r) => r.rows,
        Err(e) => return Some(format!("its query: {e}")),
    };
    (view != direct).then(|| format!("on_commit view: {view:?} vs its query {direct:?}"))
}

#[test]
fn a_crash_at_any_point_leaves_every_view_consistent() {
    let seed = 0x00AA_11CE_u64;
    let statements = workload(seed);
    let clean = SimVfs::new();
    assert_eq!(
        run_crashing(&clean, &statements),
        statements.len(),
        "seed {seed:#x}: clean run"
    );
    let ops = clean.stats().ops;
    let stride = (ops / 30).max(1);
    let mut violations = Vec::new();
    let mut recovered = 0;
    let mut point = 1;
    while point <= ops + 1 {
        let vfs = SimVfs::new();
        vfs.crash_at(point);
        let acked = run_crashing(&vfs, &statements);
        let image = vfs.crash_image(seed ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        match Database::open(DB_DIR, sim_options(&image)) {
            Err(lightning_db::Error::NotFound { .. }) if acked == 0 => {}
            Err(e) => violations.push(format!("point {point}: reopen failed: {e}")),
            Ok(db) => {
                recovered += 1;
                if let Some(v) = verdict(&SqlDatabase::new(db)) {
                    violations.push(format!("point {point} (after {acked} statements): {v}"));
                }
            }
        }
        point += stride;
    }
    assert!(
        recovered >= 20,
        "seed {seed:#x}: only {recovered} recoveries"
    );
    assert!(
        violations.is_empty(),
        "seed {seed:#x}: {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
