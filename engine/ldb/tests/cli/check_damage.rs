//! `ldb check` on damaged data files: a flipped byte in a page is a finding naming the page,
//! and so is one anywhere in page 0 — in a meta slot (which opening survives by choosing the
//! other slot) or after the slots (which opening never reads).

use std::path::Path;

use crate::common::{ldb, ok};

fn db_path(dir: &Path) -> String {
    dir.join("db").display().to_string()
}

#[test]
fn check_exits_nonzero_on_a_corrupt_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = db_path(dir.path());
    ok(&["init", &db, "--page-size", "1024"]);
    assert!(
        ok(&["load", &db, "--keys", "300", "--seed", "5", "--batch", "50"])
            .contains("loaded 300 keys")
    );
    // Flip one byte in the middle of page 2 of the data file.
    let data = dir.path().join("db").join("data.ldb");
    let mut bytes = std::fs::read(&data).expect("read data file");
    bytes[2 * 1024 + 500] ^= 0x40;
    std::fs::write(&data, &bytes).expect("write data file");
    let out = ldb(&["check", &db]);
    assert_ne!(out.status.code(), Some(0), "corruption must fail the check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("page 2"),
        "the finding names the page: {text}"
    );
}

#[test]
fn check_reports_damage_anywhere_in_page_0() {
    for (at, needle) in [
        (100, "meta slot A"),
        (250, "meta slot B"),
        (1000, "byte 1000 of page 0"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = db_path(dir.path());
        ok(&["init", &db]);
        // Two checkpoints, so both meta slots hold one.
        ok(&[
            "load", &db, "--keys", "2000", "--seed", "3", "--batch", "500",
        ]);
        ok(&[
            "load", &db, "--keys", "2000", "--seed", "4", "--batch", "500",
        ]);
        let clean = ldb(&["check", &db]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "a fresh database checks clean"
        );
        let data = dir.path().join("db").join("data.ldb");
        let mut bytes = std::fs::read(&data).expect("read data file");
        bytes[at] ^= 0x40;
        std::fs::write(&data, &bytes).expect("write data file");
        let out = ldb(&["check", &db]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "byte {at}: {text}");
        assert!(
            text.contains(needle),
            "byte {at}: expected `{needle}`: {text}"
        );
    }
}
