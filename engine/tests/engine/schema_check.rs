//! The table integrity check: clean on a healthy database (also while a writer thread commits),
//! and each corruption planted on purpose through a plain transaction's raw writes under the
//! reserved prefix — an orphaned entry, a missing entry, a duplicated unique value, a NULL in a
//! NOT NULL column, an undecodable row, a foreign key — is found, named by table, index and
//! primary key, and counted exactly; the storage check and the table check together
//! (`integrity::check_all`) report the same counts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use lightning_db::harness::workload::tables as demo;
use lightning_db::schema::check::{FindingKind, MAX_LISTED, SchemaReport, check};
use lightning_db::schema::row::encode_row;
use lightning_db::schema::table::{self, entry};
use lightning_db::schema::{TableDef, Value};
use lightning_db::util::rng::SplitMix64;
use lightning_db::{Database, integrity};

use crate::schema::{RR, SER, open, user, users};

fn populated(db: &Database) -> TableDef {
    let def = users(db);
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..100 {
        let email = (i % 10 != 0).then(|| format!("e{i}"));
        table::insert(&mut txn, &def, &user(i, email.as_deref(), i % 4)).expect("insert");
    }
    txn.commit().expect("commit");
    def
}

fn checked(db: &Database) -> SchemaReport {
    let mut txn = db.begin_read_only().expect("begin");
    check(&mut txn).expect("check")
}

fn has(report: &SchemaReport, kind: FindingKind, table: &str, index: Option<&str>, key: &str) {
    assert!(
        report.findings.iter().any(|f| f.kind == kind
            && f.table == table
            && f.index.as_deref() == index
            && f.key == key),
        "no {kind:?} finding for table {table}, index {index:?}, key {key}: {:#?}",
        report.findings
    );
}

#[test]
fn a_healthy_populated_database_checks_clean_with_matching_counts_and_fingerprints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.put(b"outside", b"raw kv").expect("raw");
    demo::load(&db, 500, 11).expect("demo tables");
    let report = checked(&db);
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert_eq!(report.total(), 0);
    assert_eq!(report.tables.len(), 2);
    assert_eq!(report.rows(), 1000);
    assert_eq!(
        report.index_entries(),
        1500,
        "two customer indexes, one order index"
    );
    for t in &report.tables {
        for i in &t.indexes {
            assert_eq!(i.entries, t.rows, "{}", i.name);
            assert!(i.agrees() && !i.drilled, "{i:?}");
            assert_ne!(i.fingerprint, 0, "{}: a fingerprint of 500 entries", i.name);
        }
    }
    let all = integrity::check_all(&db).expect("check_all");
    assert!(all.is_clean(), "{}", all.findings_text());
    let tables = all.tables.expect("tables checked");
    assert_eq!((tables.rows, tables.index_entries), (1000, 1500));
}

#[test]
fn the_check_reads_its_snapshot_while_a_writer_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = populated(&db);
    let mut reader = db.begin_read_only().expect("begin");
    let mut w = db.begin(SER).expect("begin");
    table::insert(&mut w, &def, &user(500, Some("late"), 1)).expect("insert");
    table::delete(&mut w, &def, &[Value::Int(3)]).expect("delete");
    w.commit().expect("writer commits during the check");
    let report = check(&mut reader).expect("check");
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(
        report.tables[0].rows, 100,
        "the snapshot, not the later commit"
    );
}

#[test]
fn checks_stay_clean_while_a_writer_thread_inserts_updates_and_deletes() {
    let seed = 0x5EED_C4EC;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(open(&dir));
    let def = populated(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Barrier::new(2));
    let writer = {
        let (db, def, stop, started) = (db.clone(), def.clone(), stop.clone(), started.clone());
        std::thread::spawn(move || {
            let mut rng = SplitMix64::new(seed);
            let mut commits = 0u64;
            started.wait();
            while !stop.load(Ordering::Relaxed) || commits < 20 {
                let mut txn = db.begin(RR).expect("begin");
                for _ in 0..10 {
                    let id = rng.below(300) as i64;
                    let email = format!("w{}", rng.below(1_000_000));
                    let row = user(id, Some(&email), rng.below(4) as i64);
                    let pk = [Value::Int(id)];
                    let r = match rng.below(3) {
                        0 => table::delete(&mut txn, &def, &pk).map(|_| ()),
                        1 => table::update(&mut txn, &def, &pk, &row).map(|_| ()),
                        _ => table::insert(&mut txn, &def, &row),
                    };
                    // A duplicate key or a duplicate random email is refused; the rest goes on.
                    let _ = r;
                }
                if txn.commit().is_ok() {
                    commits += 1;
                }
            }
            commits
        })
    };
    started.wait();
    for round in 0..8 {
        let report = checked(&db);
        assert!(
            report.is_clean(),
            "seed {seed:#x}, check {round}: {:#?}",
            report.findings
        );
    }
    stop.store(true, Ordering::Relaxed);
    let commits = writer.join().expect("writer");
    assert!(
        commits >= 20,
        "seed {seed:#x}: the writer committed {commits} times"
    );
    assert!(checked(&db).is_clean(), "seed {seed:#x}: after the writer");
}

/// The demo tables with five corruptions planted in `customers` through a plain transaction,
/// plus a foreign key in the reserved prefix.
fn corrupted(db: &Database) -> TableDef {
    demo::load(db, 200, 3).expect("demo tables");
    let def = demo::table_def(db, "customers").expect("customers");
    let email = def.index("customers_email").expect("index").clone();
    let name = def.index("customers_name").expect("index").clone();
    let mut txn = db.begin(SER).expect("begin");
    // Orphan: a name entry for a customer that does not exist.
    let ghost = demo::customer(3, 9000);
    txn.put(&entry::index_entry(&def, &name, &ghost).key, b"")
        .expect("orphan");
    // Missing: customer 5's email entry deleted.
    let five = demo::customer(3, 5);
    txn.delete(&entry::index_entry(&def, &email, &five).key)
        .expect("missing");
    // Duplicate unique value: customer 300 written raw with customer 7's email (and its own
    // name entry, so only the email index disagrees).
    let mut dup = demo::customer(3, 300);
    dup[1] = demo::customer(3, 7)[1].clone();
    txn.put(&entry::row_key(&def, &dup[..1]), &encode_row(&def, &dup))
        .expect("dup row");
    txn.put(&entry::index_entry(&def, &name, &dup).key, b"")
        .expect("dup name entry");
    // NOT NULL: customer 301 with a NULL name, its index entries all in place.
    let mut null_name = demo::customer(3, 301);
    null_name[2] = Value::Null;
    txn.put(
        &entry::row_key(&def, &null_name[..1]),
        &encode_row(&def, &null_name),
    )
    .expect("null row");
    for index in [&email, &name] {
        let e = entry::index_entry(&def, index, &null_name);
        txn.put(&e.key, &e.value).expect("null row's entry");
    }
    // Undecodable: customer 302's value is garbage.
    txn.put(&entry::row_key(&def, &[Value::Int(302)]), &[9, 9, 9])
        .expect("garbage");
    // Foreign: a key in the reserved prefix no one owns.
    txn.put(&[0xFF, 0x53, 0x07, 1], b"?").expect("foreign");
    txn.commit().expect("commit the corruption");
    def
}

#[test]
fn planted_corruptions_are_each_found_named_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    corrupted(&db);
    let report = checked(&db);
    let c = "customers";
    has(
        &report,
        FindingKind::OrphanedEntry,
        c,
        Some("customers_name"),
        "(9000)",
    );
    has(
        &report,
        FindingKind::MissingEntry,
        c,
        Some("customers_email"),
        "(5)",
    );
    has(
        &report,
        FindingKind::ConstraintViolation,
        c,
        Some("customers_email"),
        "(300)",
    );
    has(&report, FindingKind::ConstraintViolation, c, None, "(301)");
    has(&report, FindingKind::UndecodableRow, c, None, "(302)");
    let counts: Vec<u64> = FindingKind::ALL.iter().map(|k| report.count(*k)).collect();
    assert_eq!(counts, [1, 1, 2, 1, 1, 0, 0], "{:#?}", report.findings);
    let dup = report
        .findings
        .iter()
        .find(|f| f.key == "(300)")
        .expect("the duplicate");
    assert!(
        dup.detail.contains("(7)") && dup.detail.contains("c7@example.com"),
        "names both rows and the value: {}",
        dup.detail
    );
    let customers = &report.tables[0];
    assert_eq!(customers.table, "customers");
    assert_eq!(customers.rows, 203);
    for i in &customers.indexes {
        assert!(!i.agrees() && i.drilled, "{i:?}");
    }
    let orders = &report.tables[1];
    assert!(orders.indexes.iter().all(|i| i.agrees() && !i.drilled));

    // The same counts through the checker behind `ldb check`.
    let all = integrity::check_all(&db).expect("check_all");
    assert!(!all.is_clean());
    assert!(all.findings.is_empty(), "the storage core is sound");
    let t = all.tables.as_ref().expect("tables checked");
    assert_eq!(
        [
            t.orphaned_index_entries,
            t.missing_index_entries,
            t.constraint_violations,
            t.undecodable_rows,
            t.foreign_keys
        ],
        [1, 1, 2, 1, 1]
    );
    assert_eq!(all.error_count(), 6);
    let text = all.to_string();
    assert!(
        text.contains(
            "orphaned_index_entries: table `customers`: index `customers_name`: key (9000)"
        ),
        "{text}"
    );
}

#[test]
fn findings_beyond_the_listing_cap_are_still_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = populated(&db);
    let age = def.index("users_age").expect("index").clone();
    let extra = 5;
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..(MAX_LISTED as i64 + extra) {
        txn.put(
            &entry::index_entry(&def, &age, &user(10_000 + i, None, 1)).key,
            b"",
        )
        .expect("orphan");
    }
    txn.commit().expect("commit");
    let report = checked(&db);
    assert_eq!(
        report.count(FindingKind::OrphanedEntry),
        MAX_LISTED as u64 + 5
    );
    assert_eq!(report.findings.len(), MAX_LISTED);
    assert_eq!(report.unlisted, 5);
}

#[test]
fn raw_keys_in_the_reserved_prefix_are_findings_only_once_the_schema_is_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.put(&[0xFF, 0x53, 0x7C, 1], b"raw, from before tables")
        .expect("raw");
    let before = checked(&db);
    assert!(before.is_clean(), "no catalog yet: {:#?}", before.findings);
    users(&db);
    let after = checked(&db);
    assert_eq!(
        after.count(FindingKind::ForeignKey),
        1,
        "{:#?}",
        after.findings
    );
    assert_eq!(after.findings[0].key, "\\xffS|\\x01");
}
