//! The table integrity check: clean on a healthy database (also while a writer commits), and
//! each corruption planted on purpose — an orphaned entry, a missing entry, a duplicated
//! unique value, a NULL in a NOT NULL column, an undecodable row, a foreign key in the reserved
//! prefix — is found and named by table, index and primary key.

use lightning_db::Database;
use lightning_db::schema::check::{FindingKind, check};
use lightning_db::schema::table::{self, entry};
use lightning_db::schema::{TableDef, Value};

use crate::schema::{SER, open, user, users};

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

#[test]
fn a_healthy_database_checks_clean_with_matching_counts_and_fingerprints_while_a_writer_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.put(b"outside", b"raw kv").expect("raw");
    let def = populated(&db);
    let mut reader = db.begin_read_only().expect("begin");
    let mut w = db.begin(SER).expect("begin");
    table::insert(&mut w, &def, &user(500, Some("late"), 1)).expect("insert");
    w.commit().expect("writer commits during the check");
    let report = check(&mut reader).expect("check");
    assert!(report.is_clean(), "{:?}", report.findings);
    let t = &report.tables[0];
    assert_eq!(
        t.rows, 100,
        "the check reads its snapshot, not the later commit"
    );
    for i in &t.indexes {
        assert_eq!(i.entries, 100, "{}", i.name);
        assert_eq!(
            (i.entries, i.fingerprint),
            (i.expected, i.expected_fingerprint)
        );
    }
}

#[test]
fn planted_corruptions_are_each_found_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = populated(&db);
    let email = def.index("users_email").expect("index").clone();
    let age = def.index("users_age").expect("index").clone();
    // Orphan: an age entry for a row that does not exist.
    db.put(
        &entry::index_entry(&def, &age, &user(900, None, 2)).key,
        b"",
    )
    .expect("orphan");
    // Missing: row 5's email entry deleted.
    db.delete(&entry::index_entry(&def, &email, &user(5, Some("e5"), 1)).key)
        .expect("missing");
    // Duplicate unique value: row 200 written raw with row 7's email and its own age entry.
    let dup = user(200, Some("e7"), 3);
    db.put(
        &entry::row_key(&def, &dup[..1]),
        &lightning_db::schema::row::encode_row(&def, &dup),
    )
    .expect("dup row");
    db.put(&entry::index_entry(&def, &age, &dup).key, b"")
        .expect("dup age entry");
    // NULL in the primary key's NOT NULL column, behind a valid key.
    let mut bad = user(300, None, 0);
    db.put(&entry::row_key(&def, &bad[..1]), &{
        bad[0] = Value::Null;
        lightning_db::schema::row::encode_row(&def, &bad)
    })
    .expect("null pk");
    // An undecodable row value.
    db.put(&entry::row_key(&def, &[Value::Int(400)]), &[9, 9, 9])
        .expect("garbage");
    // A foreign key in the reserved prefix.
    db.put(&[0xFF, 0x53, 0x07, 1], b"?").expect("foreign");

    let mut txn = db.begin_read_only().expect("begin");
    let report = check(&mut txn).expect("check");
    let find = |kind, index: Option<&str>, key: &str| {
        report.findings.iter().any(|f| {
            f.kind == kind
                && f.index.as_deref() == index
                && f.key == key
                && (kind == FindingKind::ForeignKey || f.table == "users")
        })
    };
    assert!(
        find(FindingKind::OrphanedEntry, Some("users_age"), "(900)"),
        "{:#?}",
        report.findings
    );
    assert!(
        find(FindingKind::MissingEntry, Some("users_email"), "(5)"),
        "{:#?}",
        report.findings
    );
    assert!(
        find(
            FindingKind::ConstraintViolation,
            Some("users_email"),
            "(200)"
        ),
        "{:#?}",
        report.findings
    );
    assert!(
        find(FindingKind::UndecodableRow, None, "(400)"),
        "{:#?}",
        report.findings
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::UndecodableRow && f.key == "(300)"),
        "key (300) with a NULL primary key in its value: {:#?}",
        report.findings
    );
    assert_eq!(
        report.count(FindingKind::ForeignKey),
        1,
        "{:#?}",
        report.findings
    );
    let t = &report.tables[0];
    let age_report = t
        .indexes
        .iter()
        .find(|i| i.name == "users_age")
        .expect("age");
    assert_ne!(age_report.fingerprint, age_report.expected_fingerprint);
}
