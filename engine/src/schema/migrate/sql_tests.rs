//! Migrations end to end with real SQL (the [`SqlEngine`]): DDL and data changes in one
//! transaction with their history entry, dry runs, the rollback simulation, and a crash loop
//! over every I/O operation of a SQL migration run.

use std::path::Path;
use std::sync::Arc;

use super::diff::logical_digest;
use super::test_engine::write;
use super::*;
use crate::db::{Database, Options};
use crate::schema::Catalog;
use crate::vfs::SimVfs;

fn sql_files(dir: &Path) {
    write(
        dir,
        "0001_users.up.sql",
        "CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL);\n\
         INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'brian'), (3, 'cleo');\n",
    );
    write(dir, "0001_users.down.sql", "DROP TABLE users;\n");
    write(
        dir,
        "0002_email.up.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;\n\
         UPDATE users SET email = name || '@example.com' WHERE id < 3;\n\
         CREATE UNIQUE INDEX users_email ON users (email);\n",
    );
    write(
        dir,
        "0002_email.down.sql",
        "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;\n",
    );
}

/// (logical schema digest, data fingerprint, history version) as a fresh read sees them.
fn state(db: &Database) -> ([u8; 32], [u8; 32], u64) {
    let mut txn = db.begin_read_only().expect("begin");
    let schema = SqlEngine.schema(&mut txn).expect("schema");
    let data = SqlEngine.data_fingerprint(&mut txn).expect("data");
    let version = history::load(&mut txn).expect("history").latest();
    (logical_digest(&schema.tables), data, version)
}

#[test]
fn sql_migrations_apply_report_and_revert() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).expect("mkdir");
    sql_files(&dir);
    let db = Database::create(tmp.path().join("db"), Options::default()).expect("create");
    let m = Migrator::open(&db, SqlEngine, read_dir(&dir).expect("files")).expect("open");
    let empty = state(&db);

    let dry = m.dry_run(None).expect("dry run");
    assert_eq!(dry.steps.len(), 2);
    let kinds: Vec<(&str, u64)> = dry.steps[1]
        .effects
        .iter()
        .map(|e| (e.kind.as_str(), e.rows))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("ALTER TABLE ADD COLUMN", 0),
            ("UPDATE", 2),
            ("CREATE INDEX", 0)
        ]
    );
    assert_eq!(dry.steps[0].effects[1].rows, 3);
    let diff: Vec<String> = dry.changes.iter().map(ToString::to_string).collect();
    assert_eq!(diff.len(), 2, "{diff:?}");
    assert!(
        diff[0].starts_with("+ table users (id BIGINT NOT NULL, name TEXT NOT NULL, email TEXT"),
        "{diff:?}"
    );
    assert_eq!(diff[1], "+ index users.users_email UNIQUE (email)");
    assert_eq!(state(&db), empty, "a dry run keeps nothing");

    m.up(Some(1)).expect("up 1");
    let at1 = state(&db);
    let steps = m.up(None).expect("up 2");
    let diff: Vec<String> = steps[0].changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        diff,
        vec![
            "+ column users.email TEXT",
            "+ index users.users_email UNIQUE (email)"
        ]
    );
    let h = m.history().expect("history");
    assert_eq!(h.entries[1].schema_before, h.entries[0].schema_after);
    let mut txn = db.begin_read_only().expect("begin");
    assert_eq!(
        h.entries[1].schema_after,
        Catalog::load(&mut txn).expect("catalog").digest()
    );
    drop(txn);

    m.down(None).expect("down 2");
    assert_eq!(state(&db), at1, "down of 2 restores version 1 exactly");
    m.down(Some(0)).expect("down all");
    assert_eq!(state(&db), empty);
    let report = verify(&m).expect("verify");
    assert!(report.is_clean(), "{:?}", report.failures);
    assert_eq!(state(&db).2, 2);
}

#[test]
fn a_failing_sql_migration_commits_nothing_of_itself() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).expect("mkdir");
    sql_files(&dir);
    // The third row gets a duplicate email: the unique index cannot be built.
    write(
        &dir,
        "0003_dup.up.sql",
        "CREATE TABLE audit (id BIGINT NOT NULL PRIMARY KEY);\n\
         INSERT INTO audit (id) VALUES (1);\n\
         UPDATE users SET email = 'ada@example.com' WHERE id = 3;\n",
    );
    let db = Database::create(tmp.path().join("db"), Options::default()).expect("create");
    let m = Migrator::open(&db, SqlEngine, read_dir(&dir).expect("files")).expect("open");
    m.up(Some(2)).expect("up 2");
    let before = state(&db);
    let err = m.up(None).expect_err("duplicate").to_string();
    assert!(
        err.contains("0003_dup.up.sql") && err.contains("users_email"),
        "{err}"
    );
    assert_eq!(state(&db), before, "no table audit, no row, no entry");
}

#[test]
fn verify_names_the_version_whose_down_leaves_a_column_behind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).expect("mkdir");
    sql_files(&dir);
    write(&dir, "0002_email.down.sql", "DROP INDEX users_email;\n");
    let db = Database::create(tmp.path().join("db"), Options::default()).expect("create");
    let m = Migrator::open(&db, SqlEngine, read_dir(&dir).expect("files")).expect("open");
    let report = verify(&m).expect("verify");
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(report.failures[0].version, 2);
    assert!(
        report.failures[0].problem.contains("schema digest"),
        "{:?}",
        report.failures
    );
}

fn sim_options(vfs: &SimVfs) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 16 * 1024,
        wal_segment_size: 16 << 10,
        checkpoint_wal_bytes: 8 << 10,
        vfs: Arc::new(vfs.clone()),
        ..Options::default()
    }
}

fn run(vfs: &SimVfs, dir: &Path, states: &mut Vec<([u8; 32], [u8; 32], u64)>) -> u64 {
    let Ok(db) = Database::create("/db", sim_options(vfs)) else {
        return 0;
    };
    let Ok(m) = read_dir(dir).and_then(|f| Migrator::open(&db, SqlEngine, f)) else {
        return 0;
    };
    let record = states.is_empty();
    if record {
        states.push(state(&db));
    }
    let mut acked = 0;
    for v in 1..=2 {
        if m.up(Some(v)).is_err() {
            return acked;
        }
        acked = v;
        if record {
            states.push(state(&db));
        }
    }
    drop(m);
    let _ = db.close();
    acked
}

#[test]
fn a_crash_at_every_io_operation_of_sql_migrations_leaves_version_n_or_n_plus_one() {
    let seed: u64 = std::env::var("LDB_MIGRATE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0051_1C0D);
    let tmp = tempfile::tempdir().expect("tempdir");
    sql_files(tmp.path());
    let mut states = Vec::new();
    let clean = SimVfs::new();
    assert_eq!(
        run(&clean, tmp.path(), &mut states),
        2,
        "seed {seed}: clean run"
    );
    let ops = clean.stats().ops;
    let mut violations = Vec::new();
    for point in 1..=ops + 1 {
        let vfs = SimVfs::new();
        vfs.crash_at(point);
        let acked = run(&vfs, tmp.path(), &mut states);
        let image = vfs.crash_image(seed ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let db = match Database::open("/db", sim_options(&image)) {
            Ok(db) => db,
            Err(crate::Error::NotFound { .. }) if acked == 0 => continue,
            Err(e) => {
                violations.push(format!("point {point}: reopen: {e}"));
                continue;
            }
        };
        let found = state(&db);
        let v = found.2;
        let problem = if v != acked && v != acked + 1 {
            Some(format!("at version {v}, acknowledged {acked}"))
        } else if found != states[v as usize] {
            Some(format!(
                "at version {v} with another schema or data than version {v}'s"
            ))
        } else if !check_history(&db).map(|f| f.is_empty()).unwrap_or(false) {
            Some("the history chain is damaged".into())
        } else {
            match db.check() {
                Ok(r) if r.is_clean() => None,
                Ok(r) => Some(format!("integrity: {}", r.findings_text())),
                Err(e) => Some(format!("integrity check failed: {e}")),
            }
        };
        if let Some(p) = problem {
            violations.push(format!("seed {seed} crash point {point}/{ops}: {p}"));
        }
    }
    assert!(
        violations.is_empty(),
        "{} violations (replay with LDB_MIGRATE_CRASH_SEED={seed}):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
