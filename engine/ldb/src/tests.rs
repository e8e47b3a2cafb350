//! The writing commands on a simulated disk that fills up at every possible write: what each
//! command reports must match what is on disk. An error only when its commit is not durable (so
//! that retrying it is right); success — with the warning `committed (durable at lsn N); closing
//! failed: …` when closing failed — only when it is. `init` leaves no database or a complete one.

use std::path::Path;
use std::sync::Arc;

use clap::Parser;
use lightning_db::vfs::{SimVfs, Vfs};
use lightning_db::{Database, Options};

use crate::cmd::kv::{del, init, load, put};

const DIR: &str = "/db";

/// Options on `vfs`; `auto_checkpoint` makes every commit checkpoint (the disk then fills up in
/// the commit's own checkpoint, which poisons the handle, rather than in the close).
fn opts(vfs: &SimVfs, auto_checkpoint: bool) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 64 << 10,
        wal_segment_size: 64 << 10,
        checkpoint_wal_bytes: u64::from(auto_checkpoint),
        vfs: Arc::new(vfs.clone()),
        ..Options::default()
    }
}

/// A simulated disk holding an empty database.
fn disk(auto_checkpoint: bool) -> SimVfs {
    let vfs = SimVfs::new();
    let warning = init(Path::new(DIR), opts(&vfs, auto_checkpoint)).expect("init");
    assert!(warning.is_none());
    vfs
}

/// Runs `command` on a disk that fills up after 0, 1, 2, … writes until it runs without a fault;
/// after each run (faults cleared, like freeing space) reopens the database and asks `durable`
/// whether the command's commit is there. Returns how many runs ended with a close warning.
fn on_a_filling_disk(
    what: &str,
    auto_checkpoint: bool,
    command: impl Fn(&SimVfs) -> anyhow::Result<Option<String>>,
    durable: impl Fn(&Database) -> bool,
) -> usize {
    let mut warnings = 0;
    for n in 0.. {
        assert!(n < 10_000, "{what}: never ran without a fault");
        let vfs = disk(auto_checkpoint);
        vfs.disk_full_after(n);
        let outcome = command(&vfs);
        vfs.clear_faults();
        let db = Database::open(DIR, opts(&vfs, false))
            .unwrap_or_else(|e| panic!("{what}, disk full after {n} writes: reopen: {e}"));
        let on_disk = durable(&db);
        match outcome {
            Err(e) => assert!(
                !on_disk,
                "{what}, disk full after {n} writes: reported as failed although its commit \
                 is durable (a retry would apply it twice): {e:#}"
            ),
            Ok(warning) => {
                assert!(
                    on_disk,
                    "{what}, disk full after {n} writes: success, no commit"
                );
                let Some(w) = warning else { break };
                warnings += 1;
                assert!(
                    w.starts_with("committed (durable at lsn ") && w.contains("; closing failed: "),
                    "{what}: {w}"
                );
                assert_eq!(
                    w.matches("No space left on device").count(),
                    1,
                    "{what}: the cause, once: {w}"
                );
            }
        }
    }
    warnings
}

#[test]
fn put_del_load_and_txn_report_a_durable_commit_as_committed_when_the_disk_fills() {
    for auto in [false, true] {
        let w = on_a_filling_disk(
            "put",
            auto,
            |vfs| put(Path::new(DIR), opts(vfs, auto), b"k", b"v").map(|(_, w)| w),
            |db| db.get(b"k").ok().flatten().is_some(),
        );
        assert!(
            w > 0,
            "put (auto checkpoint {auto}): the close never failed"
        );
        let w = on_a_filling_disk(
            "load",
            auto,
            |vfs| load(Path::new(DIR), opts(vfs, auto), 30, 1, 10, 0),
            // The last of three commits of 10 keys: all of them, or the command failed.
            |db| db.stats().is_ok_and(|s| s.entries == 30),
        );
        assert!(w > 0, "load (auto checkpoint {auto})");
        let txn = crate::Cli::try_parse_from(["ldb", "txn", DIR, "put:a=1", "put:b=2"])
            .expect("arguments");
        let crate::Command::Txn(args) = txn.command else {
            panic!("not a txn command");
        };
        let w = on_a_filling_disk(
            "txn",
            auto,
            |vfs| crate::cmd::txn::txn(&args, opts(vfs, auto)),
            |db| db.get(b"b").ok().flatten().is_some(),
        );
        assert!(w > 0, "txn (auto checkpoint {auto})");
    }
    // A delete: the key exists first, so "durable" means it is gone.
    let mut warnings = 0;
    for n in 0.. {
        let vfs = disk(false);
        let (_, w) = put(Path::new(DIR), opts(&vfs, false), b"k", b"v").expect("put");
        assert!(w.is_none());
        vfs.disk_full_after(n);
        let outcome = del(Path::new(DIR), opts(&vfs, false), b"k");
        vfs.clear_faults();
        let db = Database::open(DIR, opts(&vfs, false)).expect("reopen");
        let gone = db.get(b"k").expect("get").is_none();
        match outcome {
            Err(e) => assert!(!gone, "del after {n} writes: failed, yet durable: {e:#}"),
            Ok((existed, warning)) => {
                assert!(existed && gone, "del after {n} writes");
                let Some(w) = warning else { break };
                assert!(w.starts_with("committed (durable at lsn "), "{w}");
                warnings += 1;
            }
        }
    }
    assert!(warnings > 0, "del: the close never failed");
}

#[test]
fn init_on_a_filling_disk_leaves_no_database_or_a_complete_one() {
    for n in 0.. {
        assert!(n < 10_000, "init never ran without a fault");
        let vfs = SimVfs::new();
        vfs.disk_full_after(n);
        let outcome = init(Path::new(DIR), opts(&vfs, false));
        vfs.clear_faults();
        match outcome {
            Err(e) => {
                let text = format!("{e:#}");
                assert!(text.contains("No space left on device"), "{text}");
                assert!(
                    !vfs.exists(Path::new(DIR)),
                    "init failed after {n} writes but left {DIR} behind: {text}"
                );
                // The user runs init again, which must succeed.
                init(Path::new(DIR), opts(&vfs, false))
                    .unwrap_or_else(|e| panic!("init after a failed init ({n} writes): {e:#}"));
            }
            Ok(warning) => {
                let db = Database::open(DIR, opts(&vfs, false)).expect("a complete database");
                assert!(db.check().expect("check").is_clean());
                if warning.is_none() {
                    break;
                }
            }
        }
        let db = Database::open(DIR, opts(&vfs, false)).expect("open");
        db.put(b"k", b"v").expect("a commit on the new database");
    }
}
