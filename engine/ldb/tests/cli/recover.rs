//! `ldb recover`, `--salvage` and `--read-only` end to end, on the case that used to lose every
//! durable commit since the checkpoint: one damaged byte in the WAL segment header.

use crate::common::{ldb, ok};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lightning_db::{Database, Options};

fn key(i: u32) -> String {
    format!("key{i:03}")
}

/// A database with 20 keys checkpointed and 30 more committed to the log only (the process
/// "died": the handle is dropped without a checkpoint).
fn database(dir: &Path) -> PathBuf {
    let path = dir.join("db");
    let opts = Options {
        wal_segment_size: 1 << 20,
        ..Options::default()
    };
    let db = Database::create(&path, opts).expect("create");
    for i in 0..20 {
        db.put(key(i).as_bytes(), b"checkpointed").expect("put");
    }
    db.checkpoint().expect("checkpoint");
    for i in 20..50 {
        db.put(key(i).as_bytes(), b"logged").expect("put");
    }
    drop(db);
    path
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("ls") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn segment(db: &Path) -> PathBuf {
    db.join("wal").join("0000000000000000.wal")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn read_only_commands_write_nothing_and_show_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path());
    std::fs::remove_file(db.join("LOCK")).expect("rm LOCK");
    let before = files(&db);
    let s = db.display().to_string();
    let out = ldb(&["get", &s, &key(45), "--read-only"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "logged\n");
    assert!(stderr(&out).contains("needs recovery"), "{}", stderr(&out));
    assert!(stderr(&out).contains("redo 30 commits"), "{}", stderr(&out));
    let scanned = ok(&[
        "scan",
        &s,
        "--from",
        &key(18),
        "--to",
        &key(22),
        "--read-only",
    ]);
    assert_eq!(scanned.lines().count(), 4);
    ok(&["check", &s, "--read-only"]);
    let stats = ok(&["stats", &s, "--read-only", "--json"]);
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("json");
    assert_eq!(stats["entries"], 50);
    assert_eq!(stats["pending_recovery"]["replay_commits"], 30);
    assert!(
        files(&db) == before,
        "a read-only command changed the database"
    );
    let out = ldb(&["put", &s, "k", "v", "--read-only"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--read-only"), "{}", stderr(&out));
    // `recover` then does what the view said.
    let out = ok(&["recover", &s]);
    assert!(out.contains("redid 30 commits"), "{out}");
    assert!(ok(&["recover", &s]).contains("nothing to recover"));
}

#[test]
fn a_damaged_segment_header_is_refused_until_salvaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path());
    let s = db.display().to_string();
    let seg = segment(&db);
    let mut bytes = std::fs::read(&seg).expect("segment");
    bytes[3] = 0;
    std::fs::write(&seg, &bytes).expect("damage");
    let before = files(&db);
    for args in [
        vec!["get", &s, "key005"],
        vec!["check", &s],
        vec!["check", &s, "--read-only"],
        vec!["get", &s, "key005", "--read-only"],
        vec!["recover", &s],
    ] {
        let out = ldb(&args);
        // `check` and `recover` report the damage as their finding (exit 1); `get` cannot open.
        let want = if args[0] == "get" { 2 } else { 1 };
        assert_eq!(out.status.code(), Some(want), "{args:?}");
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(said.contains("write-ahead log damaged"), "{args:?}: {said}");
        assert!(files(&db) == before, "{args:?} changed the database");
    }
    assert!(stderr(&ldb(&["recover", &s])).contains("--salvage"));
    let out = ok(&["recover", &s, "--salvage"]);
    assert!(
        out.contains("redid the 30 commits it could read after the checkpoint"),
        "{out}"
    );
    let aside: Vec<PathBuf> = std::fs::read_dir(db.join("wal"))
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(aside[0].join("0000000000000000.wal")).expect("kept"),
        bytes
    );
    let report = std::fs::read_to_string(aside[0].join("SALVAGE.txt")).expect("report");
    assert!(report.contains("damaged (header)"), "{report}");
    // Only the header's magic was damaged: salvage rebuilt it and kept every commit.
    ok(&["check", &s]);
    assert_eq!(ok(&["get", &s, &key(5)]), "checkpointed\n");
    assert_eq!(ok(&["get", &s, &key(45)]), "logged\n");
    ok(&["put", &s, "after", "salvage"]);
    assert_eq!(ok(&["get", &s, "after"]), "salvage\n");
}
