//! Tests of the simulated disk: volatility, crash images, torn writes, faults and locks.

use std::path::{Path, PathBuf};

use super::*;

fn setup() -> (SimVfs, PathBuf) {
    let vfs = SimVfs::new();
    vfs.create_dir_all(Path::new("/db")).expect("mkdir");
    (vfs, PathBuf::from("/db/f"))
}

#[test]
fn reads_see_unsynced_writes_and_sync_makes_them_durable() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.write_at(b"hello", 0).expect("write");
    let mut buf = [0u8; 5];
    f.read_at(&mut buf, 0).expect("read");
    assert_eq!(&buf, b"hello");
    assert_eq!(
        vfs.durable_bytes(&p),
        None,
        "creation not durable before sync_dir"
    );
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    assert_eq!(vfs.durable_bytes(&p).expect("durable"), b"hello");
    let mut big = [0u8; 6];
    assert!(f.read_at(&mut big, 0).is_err(), "read past end must fail");
}

#[test]
fn synced_write_always_survives_and_unsynced_depends_on_seed() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.write_at(&[1u8; 512], 0).expect("write");
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    f.write_at(&[2u8; 512], 512).expect("unsynced write");
    let (mut kept, mut lost) = (0, 0);
    for seed in 0..64 {
        let img = vfs.crash_image(seed);
        let bytes = img
            .durable_bytes(&p)
            .expect("file survives: its entry was synced");
        assert_eq!(&bytes[..512], &[1u8; 512], "seed {seed}: synced data lost");
        if bytes.len() == 1024 && bytes[512..] == [2u8; 512] {
            kept += 1;
        } else {
            lost += 1;
        }
    }
    assert!(kept > 0 && lost > 0, "kept {kept} lost {lost}");
    // The same seed always yields the same image.
    assert_eq!(
        vfs.crash_image(7).durable_bytes(&p),
        vfs.crash_image(7).durable_bytes(&p)
    );
}

#[test]
fn torn_writes_appear_in_some_images() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.write_at(&[0u8; 4096], 0).expect("write");
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    f.write_at(&[9u8; 4096], 0).expect("unsynced");
    let mut torn = 0;
    for seed in 0..64 {
        let bytes = vfs.crash_image(seed).durable_bytes(&p).expect("exists");
        let nines = bytes.iter().filter(|&&b| b == 9).count();
        assert_eq!(nines % SECTOR, 0, "seed {seed}: tearing is per sector");
        if nines != 0 && nines != 4096 {
            torn += 1;
        }
    }
    assert!(torn > 0, "no torn image in 64 seeds");
}

#[test]
fn unsynced_ops_survive_out_of_order() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    f.write_at(&[1u8; 512], 0).expect("first");
    f.write_at(&[2u8; 512], 512).expect("second");
    let found = (0..128).any(|seed| {
        let b = vfs.crash_image(seed).durable_bytes(&p).expect("exists");
        b.len() == 1024 && b[..512] == [0u8; 512] && b[512..] == [2u8; 512]
    });
    assert!(found, "a later write never survived without an earlier one");
}

#[test]
fn unsynced_creation_and_rename_may_be_lost() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.write_at(b"x", 0).expect("write");
    f.sync().expect("sync");
    let (mut with, mut without) = (0, 0);
    for seed in 0..32 {
        if vfs.crash_image(seed).exists(&p) {
            with += 1;
        } else {
            without += 1;
        }
    }
    assert!(with > 0 && without > 0);
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    let q = PathBuf::from("/db/g");
    vfs.rename(&p, &q).expect("rename");
    assert!(vfs.exists(&q) && !vfs.exists(&p));
    let renamed = (0..32).filter(|s| vfs.crash_image(*s).exists(&q)).count();
    assert!(
        renamed > 0 && renamed < 32,
        "renamed in {renamed}/32 images"
    );
    vfs.sync_dir(Path::new("/db")).expect("sync_dir");
    assert!((0..8).all(|s| vfs.crash_image(s).exists(&q)));
}

#[test]
fn crash_at_fails_that_op_and_all_later_ones() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create"); // op 1
    vfs.crash_at(3);
    f.write_at(b"a", 0).expect("op 2 succeeds");
    let err = f.sync().expect_err("op 3 crashes");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(err.to_string(), "simulated crash");
    assert!(f.write_at(b"b", 1).is_err());
    assert!(vfs.has_crashed());
    assert_eq!(vfs.stats().ops, 3);
    let mut b = [0u8; 1];
    assert!(
        f.read_at(&mut b, 0).is_err(),
        "a dead process reads nothing"
    );
}

#[test]
fn eio_injection_on_write_and_sync() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    vfs.fail_writes_after(1);
    f.write_at(b"a", 0).expect("first write allowed");
    let e = f.write_at(b"b", 1).expect_err("second write fails");
    assert_eq!(e.raw_os_error(), Some(5));
    vfs.clear_faults();
    vfs.fail_next_syncs(1);
    assert_eq!(f.sync().expect_err("sync fails").raw_os_error(), Some(5));
    f.sync().expect("next sync ok");
    vfs.fail_sync_matching("/db/f");
    assert_eq!(f.sync().expect_err("matching").raw_os_error(), Some(5));
    let g = vfs
        .open(Path::new("/db/other"), OpenMode::CreateNew)
        .expect("g");
    g.sync().expect("non-matching path syncs");
}

#[test]
fn failed_sync_leaves_writes_unsynced() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("dir");
    f.write_at(b"zz", 0).expect("write");
    vfs.fail_next_syncs(1);
    assert!(f.sync().is_err());
    assert_eq!(vfs.durable_bytes(&p).expect("exists"), b"");
}

#[test]
fn flip_bit_changes_durable_image() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.write_at(&[0u8; 4], 0).expect("write");
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("dir");
    vfs.flip_bit(&p, 2, 3).expect("flip");
    assert_eq!(vfs.durable_bytes(&p).expect("exists"), [0, 0, 8, 0]);
    let mut b = [0u8; 4];
    f.read_at(&mut b, 0).expect("read");
    assert_eq!(b, [0, 0, 8, 0]);
    assert!(vfs.flip_bit(&p, 99, 0).is_err());
}

#[test]
fn locks_exclude_other_handles_and_foreign_holders() {
    let (vfs, p) = setup();
    let a = vfs.open(&p, OpenMode::CreateNew).expect("a");
    let b = vfs.open(&p, OpenMode::Existing).expect("b");
    assert!(a.try_lock_exclusive().expect("lock"));
    assert!(!b.try_lock_exclusive().expect("lock"));
    drop(a);
    assert!(b.try_lock_exclusive().expect("lock after drop"));
    drop(b);
    vfs.set_lock_held(&p, true);
    let c = vfs.open(&p, OpenMode::Existing).expect("c");
    assert!(!c.try_lock_exclusive().expect("foreign"));
    vfs.set_lock_held(&p, false);
    assert!(c.try_lock_exclusive().expect("released"));
}

#[test]
fn set_len_and_remove_are_volatile_until_synced() {
    let (vfs, p) = setup();
    let f = vfs.open(&p, OpenMode::CreateNew).expect("create");
    f.set_len(1000).expect("set_len");
    assert_eq!(f.len().expect("len"), 1000);
    f.sync().expect("sync");
    vfs.sync_dir(Path::new("/db")).expect("dir");
    vfs.remove_file(&p).expect("remove");
    assert!(!vfs.exists(&p));
    assert_eq!(vfs.durable_bytes(&p).expect("still durable").len(), 1000);
    assert!(vfs.read_dir(Path::new("/db")).expect("ls").is_empty());
    vfs.sync_dir(Path::new("/db")).expect("dir");
    assert!(vfs.durable_bytes(&p).is_none());
}
