//! WAL archiving: copying closed log segments into an archive directory before the log recycles
//! them, so that a restore can roll a backup forward past its LSN (point-in-time restore).
//!
//! Archiving one closed segment, in order:
//! 1. if the archive already holds a file of that name, compare it with the segment's closed
//!    bytes: equal means already archived (an earlier pass, or a pass before a crash); different
//!    is an error ([`Error::WalArchive`]) — the archive belongs to another database or to an
//!    earlier timeline of this one, and nothing is overwritten;
//! 2. copy the segment's header and records (`64 + (next first LSN − first LSN)` bytes; the
//!    zero-filled preallocated rest is not copied) into `<name>.tmp` in the archive, fsync it;
//! 3. rename it to `<name>` and fsync the archive directory.
//!
//! Any failure is returned; the caller ([`super::Wal::recycle_before`]) then deletes nothing,
//! so a segment that is not archived is never recycled.

use std::path::Path;

use crate::error::{Error, Result};
use crate::vfs::{OpenMode, Vfs, VfsFile};

/// Bytes copied or compared per read.
const COPY_CHUNK: u64 = 1 << 20;

/// Creates the archive directory `dir` if it does not exist, making its entry durable.
pub(crate) fn ensure_dir(vfs: &dyn Vfs, dir: &Path) -> Result<()> {
    if vfs.exists(dir) {
        return Ok(());
    }
    vfs.create_dir_all(dir)
        .map_err(|e| Error::io("creating WAL archive directory", dir, e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        vfs.sync_dir(parent)
            .map_err(|e| Error::io("syncing directory", parent, e))?;
    }
    Ok(())
}

/// Archives the first `len` bytes of the closed segment `src` into `archive` (see the module
/// doc). Returns whether a copy was made (`false`: an identical copy was already there).
pub(crate) fn archive_segment(vfs: &dyn Vfs, src: &Path, len: u64, archive: &Path) -> Result<bool> {
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::InvalidArgument(format!("{} has no file name", src.display())))?;
    let source = vfs
        .open(src, OpenMode::Existing)
        .map_err(|e| Error::io("opening WAL segment to archive", src, e))?;
    let dest = archive.join(&name);
    if vfs.exists(&dest) {
        return match same_prefix(vfs, source.as_ref(), src, &dest, len)? {
            None => Ok(false),
            Some(detail) => Err(Error::WalArchive {
                path: dest,
                detail: format!(
                    "{detail}; the archive already holds a different segment of this name (it \
                     belongs to another database, or to this one before a point-in-time \
                     restore): use a new archive directory"
                ),
            }),
        };
    }
    let tmp = archive.join(format!("{name}.tmp"));
    if vfs.exists(&tmp) {
        vfs.remove_file(&tmp)
            .map_err(|e| Error::io("removing leftover", &tmp, e))?;
    }
    let out = vfs
        .open(&tmp, OpenMode::CreateNew)
        .map_err(|e| Error::io("creating archived WAL segment", &tmp, e))?;
    let mut buf = vec![0u8; COPY_CHUNK.min(len) as usize];
    let mut at = 0;
    while at < len {
        let n = (len - at).min(COPY_CHUNK) as usize;
        let chunk = &mut buf[..n];
        source
            .read_at(chunk, at)
            .map_err(|e| Error::io("reading WAL segment to archive", src, e))?;
        out.write_at(chunk, at)
            .map_err(|e| Error::io("writing archived WAL segment", &tmp, e))?;
        at += n as u64;
    }
    out.sync()
        .map_err(|e| Error::io("syncing archived WAL segment", &tmp, e))?;
    drop(out);
    vfs.rename(&tmp, &dest)
        .map_err(|e| Error::io("renaming archived WAL segment to", &dest, e))?;
    vfs.sync_dir(archive)
        .map_err(|e| Error::io("syncing WAL archive directory", archive, e))?;
    Ok(true)
}

/// Compares the first `len` bytes of `source` with the whole of `dest`; `None` if equal, else
/// what differs.
fn same_prefix(
    vfs: &dyn Vfs,
    source: &dyn VfsFile,
    src: &Path,
    dest: &Path,
    len: u64,
) -> Result<Option<String>> {
    let existing = vfs
        .open(dest, OpenMode::Existing)
        .map_err(|e| Error::io("opening archived WAL segment", dest, e))?;
    let have = existing
        .len()
        .map_err(|e| Error::io("reading length of", dest, e))?;
    if have != len {
        return Ok(Some(format!("{have} bytes where the segment has {len}")));
    }
    let mut a = vec![0u8; COPY_CHUNK.min(len) as usize];
    let mut b = a.clone();
    let mut at = 0;
    while at < len {
        let n = (len - at).min(COPY_CHUNK) as usize;
        source
            .read_at(&mut a[..n], at)
            .map_err(|e| Error::io("reading WAL segment", src, e))?;
        existing
            .read_at(&mut b[..n], at)
            .map_err(|e| Error::io("reading archived WAL segment", dest, e))?;
        if a[..n] != b[..n] {
            return Ok(Some(format!("its bytes differ from offset {at}")));
        }
        at += n as u64;
    }
    Ok(None)
}
