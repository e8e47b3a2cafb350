//! `ldb migrate`: templates, status, up (dry run, `--to`, idempotent), down, validate, refusal of
//! a changed file, repair, baseline, verify, and `ldb check` finding a tampered history.

use std::path::Path;

use crate::common::{ldb, ok, s};

fn setup(dir: &Path) -> (String, String) {
    let db = s(&dir.join("db"));
    let m = s(&dir.join("migrations"));
    ok(&["init", &db]);
    ok(&[
        "migrate",
        "new",
        "users",
        "--dir",
        &m,
        "--template",
        "create-table",
        "--param",
        "table=users",
        "--param",
        "column=name",
        "--param",
        "type=TEXT",
    ]);
    let up = dir.join("migrations/0001_users.up.sql");
    let mut text = std::fs::read_to_string(&up).expect("read");
    text.push_str("INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'brian');\n");
    std::fs::write(&up, text).expect("write");
    ok(&[
        "migrate",
        "new",
        "email",
        "--dir",
        &m,
        "--template",
        "add-column",
        "--param",
        "table=users",
        "--param",
        "column=email",
        "--param",
        "type=TEXT",
    ]);
    (db, m)
}

fn fails(args: &[&str], code: i32, needle: &str) -> String {
    let out = ldb(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "ldb {args:?}: {text}");
    assert!(
        text.contains(needle),
        "ldb {args:?} should say {needle:?}: {text}"
    );
    text
}

#[test]
fn new_fills_templates_and_refuses_bad_parameters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = s(&dir.path().join("migrations"));
    let out = ok(&[
        "migrate",
        "new",
        "idx",
        "--dir",
        &m,
        "--template",
        "add-index",
        "--param",
        "table=t",
        "--param",
        "column=c",
        "--param",
        "index=t_c",
    ]);
    assert!(
        out.contains("0001_idx.up.sql") && out.contains("0001_idx.down.sql"),
        "{out}"
    );
    let up = std::fs::read_to_string(dir.path().join("migrations/0001_idx.up.sql")).expect("up");
    assert_eq!(up, "CREATE INDEX t_c ON t (c);\n");
    fails(
        &[
            "migrate",
            "new",
            "x",
            "--dir",
            &m,
            "--template",
            "add-index",
            "--param",
            "table=t",
        ],
        2,
        "missing parameter(s) index, column",
    );
    fails(
        &[
            "migrate",
            "new",
            "x",
            "--dir",
            &m,
            "--template",
            "drop-everything",
        ],
        2,
        "no such template (known: create-table, add-column, add-index)",
    );
    fails(
        &[
            "migrate",
            "new",
            "x",
            "--dir",
            &m,
            "--template",
            "add-index",
            "--param",
            "colour",
        ],
        2,
        "expected KEY=VALUE",
    );
}

#[test]
fn up_status_down_validate_repair_and_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, m) = setup(dir.path());
    let out = ok(&["migrate", "status", &db, "--dir", &m]);
    assert!(out.contains("at version 0 (0 applied, 2 pending)"), "{out}");
    let out = ok(&["migrate", "up", &db, "--dir", &m, "--dry-run"]);
    assert!(out.contains("dry run: 2 migrations would run"), "{out}");
    assert!(out.contains("INSERT") && out.contains("2 rows"), "{out}");
    assert!(
        out.contains("+ table users (id BIGINT NOT NULL, name TEXT, email TEXT"),
        "{out}"
    );
    assert!(ok(&["migrate", "status", &db, "--dir", &m]).contains("at version 0"));

    let out = ok(&["migrate", "up", &db, "--dir", &m, "--to", "1"]);
    assert!(
        out.contains("applied 0001_users") && out.contains("at version 1"),
        "{out}"
    );
    ok(&["migrate", "up", &db, "--dir", &m]);
    assert!(ok(&["migrate", "up", &db, "--dir", &m]).contains("nothing to do: at version 2"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["migrate", "status", &db, "--dir", &m, "--json"]))
            .expect("json");
    assert_eq!(json["status"]["current"], 2);
    assert_eq!(json["history"][1]["prev"], json["history"][0]["hash"]);
    assert_eq!(json["history"][0]["kind"]["kind"], "applied");
    assert!(ok(&["migrate", "validate", &db, "--dir", &m]).starts_with("ok:"));

    let out = ok(&["migrate", "down", &db, "--dir", &m]);
    assert!(
        out.contains("reverted 0002_email") && out.contains("at version 1"),
        "{out}"
    );
    ok(&["migrate", "up", &db, "--dir", &m]);

    // An applied file edited afterwards: refused, naming the file, until repaired.
    let up = dir.path().join("migrations/0002_email.up.sql");
    std::fs::write(
        &up,
        "ALTER TABLE users ADD COLUMN email TEXT; -- reviewed\n",
    )
    .expect("edit");
    fails(
        &["migrate", "validate", &db, "--dir", &m],
        1,
        "0002_email.up.sql",
    );
    fails(
        &["migrate", "up", &db, "--dir", &m],
        2,
        "changed since it was applied",
    );
    fails(
        &["migrate", "repair", &db, "--dir", &m, "--reason", " "],
        2,
        "needs a reason",
    );
    let out = ok(&[
        "migrate",
        "repair",
        &db,
        "--dir",
        &m,
        "--reason",
        "comment added",
    ]);
    assert!(out.contains("version 2: accepted"), "{out}");
    assert!(ok(&["migrate", "validate", &db, "--dir", &m]).starts_with("ok:"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["migrate", "status", &db, "--dir", &m, "--json"]))
            .expect("json");
    assert_eq!(json["history"][1]["kind"]["kind"], "repaired");
    assert!(
        json["history"][1]["kind"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("comment added; accepted")),
        "{json}"
    );

    // The integrity check verifies the chain: an entry edited behind its back is a finding.
    assert!(ldb(&["check", &db]).status.success());
    let key = "ff53030000000000000001";
    let value = ok(&["get", &db, "--hex", key]);
    let mut bytes = value.trim().to_string();
    let flip = if bytes.ends_with('0') { '1' } else { '0' };
    bytes.pop();
    bytes.push(flip);
    ok(&["put", &db, "--hex", key, &bytes]);
    fails(&["check", &db], 1, "migration history version 1");
    fails(
        &["migrate", "status", &db, "--dir", &m],
        2,
        "the migration history is damaged",
    );
}

#[test]
fn verify_reports_a_down_that_does_not_reverse_its_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, m) = setup(dir.path());
    let out = ok(&["migrate", "verify", &db, "--dir", &m]);
    assert!(out.contains("ok: every down reverses its up"), "{out}");
    assert!(
        ok(&["migrate", "status", &db, "--dir", &m]).contains("at version 0"),
        "the copy only"
    );
    std::fs::write(
        dir.path().join("migrations/0002_email.down.sql"),
        "-- nothing\n",
    )
    .expect("w");
    let out = fails(&["migrate", "verify", &db, "--dir", &m], 1, "version 2:");
    assert!(
        out.contains("does not restore the state before version 2's up"),
        "{out}"
    );
}

#[test]
fn baseline_marks_versions_applied_without_running_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, m) = setup(dir.path());
    let out = ok(&["migrate", "baseline", &db, "--dir", &m, "1"]);
    assert!(
        out.contains("version 1 (users) marked applied (baseline)"),
        "{out}"
    );
    // Nothing ran: version 2's ALTER TABLE finds no table.
    fails(&["migrate", "up", &db, "--dir", &m], 2, "0002_email.up.sql");
    fails(
        &["migrate", "baseline", &db, "--dir", &m, "1"],
        2,
        "needs an empty history",
    );
}
