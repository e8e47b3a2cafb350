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
//!
//! Archiving stays on once enabled: opening the log with an archive records its path in
//! `wal/ARCHIVE` ([`ARCHIVE_MARKER`]), and a later open without the option uses the recorded
//! archive ([`resolve`]). Deleting that file turns archiving off.

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

/// The file in the log directory that records the archive directory while archiving is on.
pub const ARCHIVE_MARKER: &str = "ARCHIVE";

/// The archive to use for the log in `wal_dir`: `configured` if given (recorded in
/// [`ARCHIVE_MARKER`] when it differs from what is recorded: written to a temporary name,
/// fsynced, renamed, directory fsynced), else the recorded one — so a handle opened without the
/// option still archives before it recycles, and no segment silently escapes the archive.
pub(crate) fn resolve(
    vfs: &dyn Vfs,
    wal_dir: &Path,
    configured: Option<&Path>,
) -> Result<Option<std::path::PathBuf>> {
    let marker = wal_dir.join(ARCHIVE_MARKER);
    let recorded = if vfs.exists(&marker) {
        let f = vfs
            .open(&marker, OpenMode::Existing)
            .map_err(|e| Error::io("opening", &marker, e))?;
        let len = f
            .len()
            .map_err(|e| Error::io("reading length of", &marker, e))?;
        if len == 0 || len > 4096 {
            return Err(Error::WalArchive {
                path: marker,
                detail: format!("{len} bytes; expected one archive directory path"),
            });
        }
        let mut b = vec![0u8; len as usize];
        f.read_at(&mut b, 0)
            .map_err(|e| Error::io("reading", &marker, e))?;
        let text = String::from_utf8(b).map_err(|_| Error::WalArchive {
            path: marker.clone(),
            detail: "not UTF-8; expected one archive directory path".into(),
        })?;
        Some(std::path::PathBuf::from(text.trim_end_matches('\n')))
    } else {
        None
    };
    let Some(want) = configured else {
        return Ok(recorded);
    };
    if recorded.as_deref() != Some(want) {
        let text = want.to_str().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "WAL archive path {} is not valid UTF-8",
                want.display()
            ))
        })?;
        let tmp = wal_dir.join(format!("{ARCHIVE_MARKER}.tmp"));
        if vfs.exists(&tmp) {
            vfs.remove_file(&tmp)
                .map_err(|e| Error::io("removing leftover", &tmp, e))?;
        }
        let f = vfs
            .open(&tmp, OpenMode::CreateNew)
            .map_err(|e| Error::io("creating", &tmp, e))?;
        f.write_at(format!("{text}\n").as_bytes(), 0)
            .map_err(|e| Error::io("writing", &tmp, e))?;
        f.sync().map_err(|e| Error::io("syncing", &tmp, e))?;
        drop(f);
        vfs.rename(&tmp, &marker)
            .map_err(|e| Error::io("renaming to", &marker, e))?;
        vfs.sync_dir(wal_dir)
            .map_err(|e| Error::io("syncing directory", wal_dir, e))?;
    }
    Ok(Some(want.to_path_buf()))
}
