//! [`SimVfs`]: an in-memory simulated disk for crash and fault tests.
//!
//! Model:
//! * Every file (an "inode") has a durable image and a list of unsynced operations (writes and
//!   length changes). Reads see the volatile view: the durable image with the unsynced operations
//!   applied in order. `sync` makes a file's pending operations durable.
//! * Directory entries (creation, rename, removal) are volatile too, until `sync_dir(parent)`.
//! * Every mutating call (`write_at`, `sync`, `set_len`, `sync_dir`, `rename`, `remove_file`, file
//!   creation) is one I/O operation. [`SimVfs::crash_at`] makes operation `n` and every later one
//!   fail with "simulated crash", as if the process died there.
//! * [`SimVfs::crash_image`] builds the disk a reboot would find: the durable state plus, chosen
//!   by a seeded PRNG, each unsynced operation dropped, applied, or (for writes) torn to a prefix
//!   or a random subset of its 512-byte sectors — independently, so a later write can survive an
//!   earlier one. Unsynced directory changes may be lost.
//! * Faults: EIO (or ENOSPC, a full disk) on writes after a count, EIO on syncs (by path substring or for the next `n`),
//!   bit flips in the durable image, and a lock held by "another process".

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{OpenMode, Vfs, VfsFile};

/// The sector size used when tearing writes in a crash image.
pub const SECTOR: usize = 512;

#[derive(Clone, Debug)]
enum FileOp {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

#[derive(Clone, Debug, Default)]
struct Inode {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    pending: Vec<FileOp>,
    lock_owner: Option<u64>,
}

#[derive(Clone, Debug)]
enum DirOp {
    Create { path: PathBuf, inode: u64 },
    Rename { from: PathBuf, to: PathBuf },
    Remove { path: PathBuf },
}

impl DirOp {
    fn touches(&self, dir: &Path) -> bool {
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        match self {
            DirOp::Create { path, .. } | DirOp::Remove { path } => parent(path) == dir,
            DirOp::Rename { from, to } => parent(from) == dir || parent(to) == dir,
        }
    }
}

/// Counters of a [`SimVfs`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Mutating I/O operations attempted (the counter [`SimVfs::crash_at`] compares against).
    pub ops: u64,
    /// `write_at` calls that succeeded.
    pub writes: u64,
    /// Bytes written by successful `write_at` calls.
    pub bytes_written: u64,
    /// File `sync` calls that succeeded.
    pub syncs: u64,
    /// `sync_dir` calls that succeeded.
    pub dir_syncs: u64,
}

#[derive(Debug, Default)]
struct State {
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dir_pending: Vec<DirOp>,
    dirs: BTreeSet<PathBuf>,
    stats: SimStats,
    crash_at: Option<u64>,
    crashed: bool,
    writes_left: Option<u64>,
    /// The OS error number a write fails with once `writes_left` runs out (EIO unless the disk
    /// is "full").
    write_errno: Option<i32>,
    fail_sync_substr: Option<String>,
    fail_next_syncs: u64,
    foreign_locks: BTreeSet<PathBuf>,
    next_handle: u64,
}

impl State {
    /// Counts one I/O operation; fails if the simulated crash point is reached or passed.
    fn tick(&mut self) -> io::Result<()> {
        if self.crashed {
            return Err(crash_error());
        }
        self.stats.ops += 1;
        if self.crash_at.is_some_and(|n| self.stats.ops >= n) {
            self.crashed = true;
            return Err(crash_error());
        }
        Ok(())
    }
}

fn crash_error() -> io::Error {
    io::Error::other("simulated crash")
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(5)
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

fn apply(image: &mut Vec<u8>, op: &FileOp) {
    match op {
        FileOp::Write { offset, data } => apply_write(image, *offset, data),
        FileOp::SetLen(len) => image.resize(usize::try_from(*len).unwrap_or(usize::MAX), 0),
    }
}

fn apply_write(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let end = start.saturating_add(data.len());
    if image.len() < end {
        image.resize(end, 0);
    }
    image[start..end].copy_from_slice(data);
}

/// An in-memory simulated disk. Cloning shares the same disk.
#[derive(Clone, Debug, Default)]
pub struct SimVfs {
    state: Arc<Mutex<State>>,
}

impl SimVfs {
    /// A new, empty disk.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock can only come from a bug in this module; the state is
        // still structurally valid, so keep going rather than cascade panics in tests.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes I/O operation number `n` (1-based, counting from the disk's creation) and all later
    /// ones fail with "simulated crash".
    pub fn crash_at(&self, n: u64) {
        self.lock().crash_at = Some(n);
    }

    /// Whether the simulated crash has happened.
    pub fn has_crashed(&self) -> bool {
        self.lock().crashed
    }

    /// Lets `n` more `write_at` calls succeed; every later one fails with EIO.
    pub fn fail_writes_after(&self, n: u64) {
        let mut s = self.lock();
        s.writes_left = Some(n);
        s.write_errno = None;
    }

    /// Fills the disk: lets `n` more `write_at` calls succeed; every later one fails with ENOSPC
    /// ("No space left on device"), as on a real full disk.
    pub fn disk_full_after(&self, n: u64) {
        let mut s = self.lock();
        s.writes_left = Some(n);
        s.write_errno = Some(28);
    }

    /// Makes every `sync` of a file whose path contains `substr` fail with EIO.
    pub fn fail_sync_matching(&self, substr: &str) {
        self.lock().fail_sync_substr = Some(substr.to_owned());
    }

    /// Makes the next `n` file `sync` calls fail with EIO.
    pub fn fail_next_syncs(&self, n: u64) {
        self.lock().fail_next_syncs = n;
    }

    /// Removes every injected write and sync failure.
    pub fn clear_faults(&self) {
        let mut s = self.lock();
        s.writes_left = None;
        s.write_errno = None;
        s.fail_sync_substr = None;
        s.fail_next_syncs = 0;
    }

    /// Flips bit `bit` (0..8) of byte `offset` in the durable image of `path` (and in its
    /// volatile view, which shows the same byte unless an unsynced write covers it).
    pub fn flip_bit(&self, path: &Path, offset: u64, bit: u8) -> io::Result<()> {
        let mut s = self.lock();
        let ino = *s.names.get(path).ok_or_else(|| not_found(path))?;
        let inode = &mut s.inodes[ino as usize];
        let off = usize::try_from(offset).unwrap_or(usize::MAX);
        let mask = 1u8 << (bit % 8);
        let byte = inode.durable.get_mut(off).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "flip_bit past end of durable image",
            )
        })?;
        *byte ^= mask;
        if let Some(v) = inode.volatile.get_mut(off) {
            *v ^= mask;
        }
        Ok(())
    }

    /// Marks the lock of `path` as held by another process: `try_lock_exclusive` returns `false`.
    pub fn set_lock_held(&self, path: &Path, held: bool) {
        let mut s = self.lock();
        if held {
            s.foreign_locks.insert(path.to_path_buf());
        } else {
            s.foreign_locks.remove(path);
        }
    }

    /// The durable bytes of the file at `path` (as named durably), if it exists durably.
    pub fn durable_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let s = self.lock();
        let ino = *s.durable_names.get(path)?;
        Some(s.inodes[ino as usize].durable.clone())
    }

    /// The bytes a read would see now (volatile view), if the file exists.
    pub fn volatile_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let s = self.lock();
        let ino = *s.names.get(path)?;
        Some(s.inodes[ino as usize].volatile.clone())
    }

    /// The operation counters.
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }
}

impl Vfs for SimVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        let mut s = self.lock();
        if s.crashed {
            return Err(crash_error());
        }
        let exists = s.names.contains_key(path);
        let inode = match (mode, exists) {
            (OpenMode::Existing | OpenMode::ReadOnly, false) => return Err(not_found(path)),
            (OpenMode::CreateNew, true) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: file exists", path.display()),
                ));
            }
            (_, true) => s.names[path],
            (_, false) => {
                let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
                if !parent.as_os_str().is_empty() && !s.dirs.contains(&parent) {
                    return Err(not_found(&parent));
                }
                s.tick()?;
                let ino = s.inodes.len() as u64;
                s.inodes.push(Inode::default());
                s.names.insert(path.to_path_buf(), ino);
                s.dir_pending.push(DirOp::Create {
                    path: path.to_path_buf(),
                    inode: ino,
                });
                ino
            }
        };
        s.next_handle += 1;
        let handle = s.next_handle;
        Ok(Box::new(SimFile {
            vfs: self.clone(),
            path: path.to_path_buf(),
            inode,
            handle,
            read_only: mode == OpenMode::ReadOnly,
        }))
    }

    fn exists(&self, path: &Path) -> bool {
        let s = self.lock();
        s.names.contains_key(path) || s.dirs.contains(path)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        if !s.names.contains_key(path) {
            return Err(not_found(path));
        }
        s.tick()?;
        s.names.remove(path);
        s.dir_pending.push(DirOp::Remove {
            path: path.to_path_buf(),
        });
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.lock();
        if !s.names.contains_key(from) {
            return Err(not_found(from));
        }
        s.tick()?;
        if let Some(ino) = s.names.remove(from) {
            s.names.insert(to.to_path_buf(), ino);
        }
        s.dir_pending.push(DirOp::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        });
        Ok(())
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        // Directories are modelled as always durable: the engine creates them once, up front.
        let mut s = self.lock();
        if s.crashed {
            return Err(crash_error());
        }
        for anc in path.ancestors() {
            if !anc.as_os_str().is_empty() {
                s.dirs.insert(anc.to_path_buf());
            }
        }
        Ok(())
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        // Like creation, removal of a directory is modelled as immediately durable.
        let mut s = self.lock();
        if s.crashed {
            return Err(crash_error());
        }
        if !s.dirs.contains(path) {
            return Err(not_found(path));
        }
        let inside = |p: &PathBuf| p.as_path() != path && p.starts_with(path);
        if s.names.keys().any(inside) || s.dirs.iter().any(inside) {
            return Err(io::Error::new(
                io::ErrorKind::DirectoryNotEmpty,
                format!("{}: directory not empty", path.display()),
            ));
        }
        s.dirs.remove(path);
        Ok(())
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let s = self.lock();
        if !s.dirs.contains(path) {
            return Err(not_found(path));
        }
        let files = s.names.keys().filter(|p| p.parent() == Some(path));
        let dirs = s.dirs.iter().filter(|p| p.parent() == Some(path));
        Ok(files.chain(dirs).cloned().collect())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.lock();
        s.tick()?;
        let pending = std::mem::take(&mut s.dir_pending);
        let (now, later): (Vec<DirOp>, Vec<DirOp>) =
            pending.into_iter().partition(|op| op.touches(dir));
        for op in now {
            match op {
                DirOp::Create { path, inode } => {
                    s.durable_names.insert(path, inode);
                }
                DirOp::Rename { from, to } => {
                    if let Some(ino) = s.durable_names.remove(&from) {
                        s.durable_names.insert(to, ino);
                    }
                }
                DirOp::Remove { path } => {
                    s.durable_names.remove(&path);
                }
            }
        }
        s.dir_pending = later;
        s.stats.dir_syncs += 1;
        Ok(())
    }
}

/// An open file of a [`SimVfs`].
#[derive(Debug)]
struct SimFile {
    vfs: SimVfs,
    path: PathBuf,
    inode: u64,
    handle: u64,
    read_only: bool,
}

impl SimFile {
    /// Refuses a change through a read-only handle, as the OS does (`EBADF`).
    fn writable(&self) -> io::Result<()> {
        if self.read_only {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{}: opened read-only", self.path.display()),
            ));
        }
        Ok(())
    }

    fn with_inode<T>(&self, f: impl FnOnce(&mut State, usize) -> io::Result<T>) -> io::Result<T> {
        let mut s = self.vfs.lock();
        f(&mut s, self.inode as usize)
    }
}

impl VfsFile for SimFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.with_inode(|s, i| {
            if s.crashed {
                return Err(crash_error());
            }
            let data = &s.inodes[i].volatile;
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            let end = start.saturating_add(buf.len());
            let src = data.get(start..end).ok_or_else(|| {
                io::Error::new(io::ErrorKind::UnexpectedEof, "read past end of file")
            })?;
            buf.copy_from_slice(src);
            Ok(())
        })
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.writable()?;
        self.with_inode(|s, i| {
            s.tick()?;
            if let Some(left) = s.writes_left.as_mut() {
                if *left == 0 {
                    return Err(s.write_errno.map_or_else(eio, io::Error::from_raw_os_error));
                }
                *left -= 1;
            }
            let inode = &mut s.inodes[i];
            apply_write(&mut inode.volatile, offset, buf);
            inode.pending.push(FileOp::Write {
                offset,
                data: buf.to_vec(),
            });
            s.stats.writes += 1;
            s.stats.bytes_written += buf.len() as u64;
            Ok(())
        })
    }

    fn sync(&self) -> io::Result<()> {
        self.writable()?;
        let path = self.path.to_string_lossy().into_owned();
        self.with_inode(|s, i| {
            s.tick()?;
            if s.fail_next_syncs > 0 {
                s.fail_next_syncs -= 1;
                return Err(eio());
            }
            if s.fail_sync_substr
                .as_deref()
                .is_some_and(|sub| path.contains(sub))
            {
                return Err(eio());
            }
            let inode = &mut s.inodes[i];
            let pending = std::mem::take(&mut inode.pending);
            for op in &pending {
                apply(&mut inode.durable, op);
            }
            s.stats.syncs += 1;
            Ok(())
        })
    }

    fn len(&self) -> io::Result<u64> {
        self.with_inode(|s, i| Ok(s.inodes[i].volatile.len() as u64))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.writable()?;
        self.with_inode(|s, i| {
            s.tick()?;
            let inode = &mut s.inodes[i];
            let op = FileOp::SetLen(len);
            apply(&mut inode.volatile, &op);
            inode.pending.push(op);
            Ok(())
        })
    }

    fn try_lock_exclusive(&self) -> io::Result<bool> {
        let (path, handle) = (self.path.clone(), self.handle);
        self.with_inode(|s, i| {
            if s.foreign_locks.contains(&path) {
                return Ok(false);
            }
            let owner = &mut s.inodes[i].lock_owner;
            match owner {
                Some(h) if *h != handle => Ok(false),
                _ => {
                    *owner = Some(handle);
                    Ok(true)
                }
            }
        })
    }

    fn try_lock_shared(&self) -> io::Result<bool> {
        // Shared holders are not tracked: the simulated disk only needs to exclude them from an
        // exclusive holder (another handle, or "another process").
        let (path, handle) = (self.path.clone(), self.handle);
        self.with_inode(|s, i| {
            Ok(!s.foreign_locks.contains(&path)
                && s.inodes[i].lock_owner.is_none_or(|h| h == handle))
        })
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut s = self.vfs.lock();
        if let Some(inode) = s.inodes.get_mut(self.inode as usize)
            && inode.lock_owner == Some(self.handle)
        {
            inode.lock_owner = None;
        }
    }
}

mod crash;
#[cfg(test)]
mod tests;
