//! Fault injection through the storage layer: a file system whose fsync fails on demand shows
//! that a failed checkpoint is an error, poisons the handle, and leaves the previous checkpoint
//! as the durable state.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{PS, db, fields, fill, leaf};
use crate::error::Error;
use crate::storage::{PageStore, Storage};
use crate::vfs::{OpenMode, RealVfs, Vfs, VfsFile};

/// A file system whose `sync` fails with EIO once `fail` is set.
#[derive(Debug)]
struct FailingSync {
    fail: Arc<AtomicBool>,
}

#[derive(Debug)]
struct FailingFile {
    inner: Box<dyn VfsFile>,
    fail: Arc<AtomicBool>,
}

impl Vfs for FailingSync {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        Ok(Box::new(FailingFile {
            inner: RealVfs.open(path, mode)?,
            fail: Arc::clone(&self.fail),
        }))
    }
    fn exists(&self, path: &Path) -> bool {
        RealVfs.exists(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        RealVfs.remove_file(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        RealVfs.rename(from, to)
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        RealVfs.create_dir_all(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        RealVfs.remove_dir(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        RealVfs.read_dir(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        RealVfs.sync_dir(dir)
    }
}

impl VfsFile for FailingFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn sync(&self) -> io::Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(5));
        }
        self.inner.sync()
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn try_lock_exclusive(&self) -> io::Result<bool> {
        self.inner.try_lock_exclusive()
    }
    fn try_lock_shared(&self) -> io::Result<bool> {
        self.inner.try_lock_shared()
    }
}

#[test]
fn a_failed_checkpoint_fsync_poisons_and_keeps_the_old_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fail = Arc::new(AtomicBool::new(false));
    let v: Arc<dyn Vfs> = Arc::new(FailingSync {
        fail: Arc::clone(&fail),
    });
    let s = Storage::create(Arc::clone(&v), &db(&dir), PS, 1 << 20).expect("create");
    let ids = fill(&s, 3);
    s.checkpoint(fields(ids[0])).expect("checkpoint");
    fail.store(true, Ordering::SeqCst);
    let err = s.checkpoint(fields(ids[1])).expect_err("fsync fails");
    assert!(matches!(err, Error::Io { .. }), "{err}");
    fail.store(false, Ordering::SeqCst);
    for r in [
        s.checkpoint(fields(ids[1])).map(|_| ()),
        s.allocate().map(|_| ()),
        s.write_page(leaf(ids[2], 0)),
        s.free(ids[2]),
    ] {
        assert!(matches!(r, Err(Error::Poisoned { .. })), "{r:?}");
    }
    drop(s);
    let (_, meta) = Storage::open(v, &db(&dir), 1 << 20).expect("reopen");
    assert_eq!((meta.seq, meta.root), (2, ids[0]));
}
