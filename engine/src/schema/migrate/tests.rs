//! Behaviour of the migrator against a real database with the key-value script engine of
//! [`super::test_engine`]: order, refusals, repair, baseline, dry runs, the chain's checks and
//! the rollback simulation.

use super::test_engine::{KvEngine, ROWS, scan, three, write};
use super::*;
use crate::db::{Database, Options};

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    db: Database,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    three(&dir);
    let db = Database::create(tmp.path().join("db"), Options::default()).expect("create");
    Fixture { _tmp: tmp, dir, db }
}

fn migrator<'a>(f: &'a Fixture) -> Result<Migrator<'a, KvEngine>> {
    Migrator::open(&f.db, KvEngine, read_dir(&f.dir)?)
}

fn rows(db: &Database) -> Vec<String> {
    let mut txn = db.begin_read_only().expect("begin");
    scan(&mut txn, ROWS)
        .expect("scan")
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                String::from_utf8_lossy(&k[3..]),
                String::from_utf8_lossy(&v)
            )
        })
        .collect()
}

#[test]
fn up_applies_in_order_records_a_chain_and_reruns_as_a_no_op() {
    let f = fixture();
    let m = migrator(&f).expect("open");
    let st = m.status().expect("status");
    assert_eq!(st.pending, vec![1, 2, 3]);
    assert_eq!(st.current, 0);
    let steps = m.up(Some(2)).expect("up --to 2");
    assert_eq!(
        steps.iter().map(|s| s.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(steps[0].effects.len(), 3);
    assert_eq!(steps[0].effects[1].rows, 1);
    assert_eq!(
        steps[0].changes[0].to_string(),
        "+ table users (; PRIMARY KEY ())"
    );
    let steps = m.up(None).expect("up");
    assert_eq!(steps.len(), 1);
    assert!(
        m.up(None).expect("again").is_empty(),
        "re-running up is a no-op"
    );
    let h = m.history().expect("history");
    assert_eq!(h.entries.len(), 3);
    assert_eq!(h.entries[0].prev, [0; 32]);
    assert_eq!(h.entries[1].prev, h.entries[0].hash);
    assert_eq!(h.entries[2].prev, h.entries[1].hash);
    assert_ne!(h.entries[2].schema_before, h.entries[2].schema_after);
    assert_eq!(h.entries[1].schema_before, h.entries[1].schema_after);
    let files = read_dir(&f.dir).expect("files");
    assert_eq!(h.entries[0].up_sha256, files.get(1).expect("v1").up.sha256);
    assert!(m.validate().expect("clean").is_clean());
    assert_eq!(rows(&f.db), vec!["u1=alice", "u2=bob", "u3=carol"]);
}

#[test]
fn a_failing_migration_leaves_nothing_behind() {
    let f = fixture();
    write(
        &f.dir,
        "0004_bad.up.sql",
        "put u4 dave\ntable extra\nfail now\n",
    );
    let m = migrator(&f).expect("open");
    let err = m.up(None).expect_err("fails").to_string();
    assert!(err.contains("0004_bad.up.sql"), "{err}");
    assert_eq!(m.history().expect("h").latest(), 3, "1..3 committed");
    assert!(!rows(&f.db).contains(&"u4=dave".to_string()), "no row of 4");
    assert_eq!(m.status().expect("st").pending, vec![4]);
}

#[test]
fn down_reverts_latest_first_and_shortens_the_chain() {
    let f = fixture();
    let m = migrator(&f).expect("open");
    m.up(None).expect("up");
    let steps = m.down(None).expect("down one");
    assert_eq!(steps.iter().map(|s| s.version).collect::<Vec<_>>(), vec![3]);
    assert_eq!(
        steps[0].changes[0].to_string(),
        "- table orders (; PRIMARY KEY ())"
    );
    let steps = m.down(Some(0)).expect("down all");
    assert_eq!(
        steps.iter().map(|s| s.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(rows(&f.db).is_empty());
    assert!(m.history().expect("h").entries.is_empty());
    assert!(m.down(None).expect("nothing").is_empty());
    let err = m.down(Some(7)).expect_err("not applied").to_string();
    assert!(err.contains("version 7 is not applied"), "{err}");
    m.up(None).expect("up again");
    assert_eq!(rows(&f.db).len(), 3);
}

#[test]
fn a_changed_file_is_refused_until_repaired_with_a_reason() {
    let f = fixture();
    migrator(&f).expect("open").up(None).expect("up");
    write(&f.dir, "0002_carol.up.sql", "put u3 caroline\n");
    write(&f.dir, "0004_more.up.sql", "put u4 dave\n");
    let m = migrator(&f).expect("open");
    let err = m.up(None).expect_err("refused").to_string();
    let recorded = files::hex(&files::sha256(b"put u3 carol\n"));
    let found = files::hex(&files::sha256(b"put u3 caroline\n"));
    assert!(err.contains("0002_carol.up.sql"), "{err}");
    assert!(err.contains(&recorded) && err.contains(&found), "{err}");
    assert!(m.validate().is_err());
    assert!(matches!(m.repair("  "), Err(MigrateError::Invalid(_))));
    let fixed = m
        .repair("hotfix typo, data corrected by hand")
        .expect("repair");
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    let h = m.history().expect("chain intact after the rewrite");
    match &h.get(2).expect("v2").kind {
        Kind::Repaired(r) => assert!(r.starts_with("hotfix typo") && r.contains(&found), "{r}"),
        k => panic!("kind {k:?}"),
    }
    assert_eq!(m.up(None).expect("now runs").len(), 1);
    assert!(m.repair("again").expect("nothing to repair").is_empty());
}

#[test]
fn missing_files_gaps_and_out_of_order_files_are_refused() {
    let f = fixture();
    migrator(&f).expect("open").up(Some(2)).expect("up");
    std::fs::remove_file(f.dir.join("0001_users.up.sql")).expect("rm");
    std::fs::remove_file(f.dir.join("0001_users.down.sql")).expect("rm");
    let m = migrator(&f).expect("open");
    let err = m.validate().expect_err("missing").to_string();
    assert!(
        err.contains("0001_users.up.sql") && err.contains("has no file"),
        "{err}"
    );
    m.repair("squashed into the baseline").expect("repair");
    assert!(m.validate().is_ok());
    assert!(m.history().expect("h").get(1).expect("v1").detached);

    write(&f.dir, "0006_later.up.sql", "put u6 x\n");
    let err = migrator(&f)
        .expect("open")
        .validate()
        .expect_err("gap")
        .to_string();
    assert!(err.contains("versions 4 to 5 are missing"), "{err}");
    std::fs::remove_file(f.dir.join("0006_later.up.sql")).expect("rm");

    let m = migrator(&f).expect("open");
    m.up(None).expect("up to 3");
    m.down(Some(1)).expect("down to 1");
    m.up(Some(2)).expect("up 2");
    std::fs::remove_file(f.dir.join("0002_carol.down.sql")).expect("rm");
    let err = migrator(&f)
        .expect("open")
        .validate()
        .expect_err("down gone")
        .to_string();
    assert!(
        err.contains("0002_carol.down.sql") && err.contains("the file is gone"),
        "{err}"
    );
    write(&f.dir, "0002_carol.down.sql", "del u3\n");
    write(&f.dir, "0004_x.up.sql", "put u4 x\n");
    write(&f.dir, "0004_x.down.sql", "del u4\n");
    let m = migrator(&f).expect("open");
    m.up(None).expect("3 and 4");
    m.down(Some(2)).expect("down to 2");
    // 3 and 4 are pending again, in order; a new file below the latest applied is not.
    m.up(Some(4)).expect("up");
    std::fs::rename(
        f.dir.join("0003_orders.up.sql"),
        f.dir.join("0003_orders.up.sql.bak"),
    )
    .expect("mv");
    std::fs::rename(
        f.dir.join("0003_orders.down.sql"),
        f.dir.join("0003_orders.down.bak"),
    )
    .expect("mv");
    let m = migrator(&f).expect("open");
    m.repair("orders removed").expect("repair");
    assert!(migrator(&f).expect("open").validate().is_ok());
    // A file that reappears must be the one accepted.
    write(&f.dir, "0003_orders.up.sql", "table orders\n");
    let st = migrator(&f).expect("open").status().expect("st");
    assert_eq!(st.problems.len(), 1, "{:?}", st.problems);
    assert!(st.problems[0].to_string().contains("0003_orders.down.sql"));
    write(&f.dir, "0003_orders.down.sql", "drop orders\n");
    let st = migrator(&f).expect("open").status().expect("st");
    assert!(st.is_clean(), "the same files again: {:?}", st.problems);

    let f = fixture();
    std::fs::remove_file(f.dir.join("0002_carol.up.sql")).expect("rm");
    std::fs::remove_file(f.dir.join("0002_carol.down.sql")).expect("rm");
    let m = migrator(&f).expect("open");
    assert!(
        m.validate()
            .expect_err("gap")
            .to_string()
            .contains("version 2 is missing")
    );
    write(
        &f.dir,
        "0001_users.up.sql",
        "table users\nput u1 alice\nput u2 bob\n",
    );
    std::fs::remove_file(f.dir.join("0001_users.up.sql")).expect("rm");
    std::fs::remove_file(f.dir.join("0001_users.down.sql")).expect("rm");
    write(&f.dir, "0002_carol.up.sql", "put u3 carol\n");
    let m = migrator(&f).expect("open");
    m.up(None).expect("2 and 3");
    write(&f.dir, "0001_users.up.sql", "table users\n");
    let err = migrator(&f)
        .expect("open")
        .up(None)
        .expect_err("out of order")
        .to_string();
    assert!(
        err.contains("0001_users.up.sql") && err.contains("out of order"),
        "{err}"
    );
}

#[test]
fn a_tampered_history_is_found_naming_the_version() {
    let f = fixture();
    migrator(&f).expect("open").up(None).expect("up");
    // Change one field of entry 2 (its name) and store it back with its old hash.
    let mut txn = f.db.begin_read_only().expect("begin");
    let h = history::load(&mut txn).expect("load");
    drop(txn);
    let mut e2 = h.get(2).expect("v2").clone();
    e2.name = "innocent".into();
    f.db.put(&history::entry_key(2), &e2.encode())
        .expect("tamper");
    let err = migrator(&f).err().expect("refused at open").to_string();
    assert!(
        err.contains("version 2") && err.contains("does not match its contents"),
        "{err}"
    );
    let findings = check_history(&f.db).expect("check");
    assert_eq!(findings.len(), 1, "{findings:?}");
    // Re-hashing the forged entry breaks the link from entry 3 instead.
    e2.link(e2.prev);
    f.db.put(&history::entry_key(2), &e2.encode())
        .expect("forge");
    let findings = check_history(&f.db).expect("check");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].version, 3);
    assert!(
        findings[0].problem.contains("previous entry's hash"),
        "{findings:?}"
    );
    // Removing the last entry is caught by the head record.
    let f = fixture();
    migrator(&f).expect("open").up(None).expect("up");
    f.db.delete(&history::entry_key(3)).expect("truncate");
    let findings = check_history(&f.db).expect("check");
    assert!(
        findings.iter().any(|x| x.problem.contains("head record")),
        "{findings:?}"
    );
    f.db.put(&history::entry_key(9), b"\x01garbage")
        .expect("garbage");
    let findings = check_history(&f.db).expect("check");
    assert!(
        findings
            .iter()
            .any(|x| x.version == 9 && x.problem.contains("does not decode"))
    );
}

#[test]
fn entries_round_trip_and_every_field_is_in_the_hash() {
    let f = fixture();
    migrator(&f).expect("open").up(Some(1)).expect("up");
    let e = migrator(&f).expect("open").history().expect("h").entries[0].clone();
    assert_eq!(Entry::decode(&e.encode()), Ok(e.clone()));
    let bytes = e.encode();
    for i in 0..bytes.len() - 32 {
        let mut b = bytes.clone();
        b[i] ^= 1;
        if let Ok(d) = Entry::decode(&b) {
            assert_ne!(
                d.compute_hash(),
                d.hash,
                "byte {i} is not covered by the hash"
            );
        }
    }
    assert!(Entry::decode(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn baseline_marks_versions_applied_without_running_them() {
    let f = fixture();
    let m = migrator(&f).expect("open");
    let entries = m.baseline(2).expect("baseline");
    assert_eq!(
        entries.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(rows(&f.db).is_empty(), "nothing ran");
    assert_eq!(m.status().expect("st").pending, vec![3]);
    assert!(m.baseline(2).is_err(), "only on an empty history");
    let err = m
        .down(Some(0))
        .expect_err("cannot revert a baseline")
        .to_string();
    assert!(err.contains("baselined"), "{err}");

    let f = fixture();
    for v in ["0001_users", "0002_carol"] {
        std::fs::remove_file(f.dir.join(format!("{v}.up.sql"))).expect("rm");
        std::fs::remove_file(f.dir.join(format!("{v}.down.sql"))).expect("rm");
    }
    let m = migrator(&f).expect("open");
    let entries = m.baseline(2).expect("baseline marker");
    assert!(entries[0].detached && entries[0].version == 2);
    assert!(m.validate().is_ok());
    assert_eq!(m.up(None).expect("up").len(), 1);
}

#[test]
fn a_dry_run_reports_effects_and_diff_and_keeps_nothing() {
    let f = fixture();
    let m = migrator(&f).expect("open");
    m.up(Some(1)).expect("up 1");
    let dry = m.dry_run(None).expect("dry run");
    assert_eq!(
        dry.steps.iter().map(|s| s.version).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(dry.steps[0].effects[0].rows, 1);
    assert_eq!(dry.changes.len(), 1);
    assert_eq!(dry.changes[0].name, "orders");
    assert_eq!(m.status().expect("st").pending, vec![2, 3], "nothing kept");
    assert_eq!(rows(&f.db).len(), 2);
}

#[test]
fn verify_reports_a_down_that_does_not_reverse_its_up() {
    let f = fixture();
    let m = migrator(&f).expect("open");
    m.up(Some(1)).expect("start at 1");
    let report = verify(&m).expect("verify");
    assert!(report.is_clean(), "{:?}", report.failures);
    assert_eq!(report.start_version, 1);
    let phases: Vec<(&str, u64)> = report.steps.iter().map(|s| (s.phase, s.version)).collect();
    assert_eq!(
        phases,
        vec![
            ("up", 2),
            ("up", 3),
            ("down", 3),
            ("down", 2),
            ("down", 1),
            ("up-again", 1),
            ("up-again", 2),
            ("up-again", 3)
        ]
    );
    let f = fixture();
    write(&f.dir, "0002_carol.down.sql", "-- forgot to delete u3\n");
    let m = migrator(&f).expect("open");
    let report = verify(&m).expect("verify");
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(report.failures[0].version, 2);
    assert!(
        report.failures[0].problem.contains("data fingerprint"),
        "{:?}",
        report.failures
    );
    let f = fixture();
    write(&f.dir, "0003_orders.down.sql", "-- forgot the drop\n");
    let report = verify(&migrator(&f).expect("open")).expect("verify");
    assert_eq!(report.failures[0].version, 3);
    assert!(
        report.failures[0].problem.contains("schema digest"),
        "{:?}",
        report.failures
    );
}
