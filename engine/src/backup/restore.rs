//! [`restore()`]: a verified restore of a backup into a new database directory.
//!
//! Steps, in order (nothing is written before step 2, the target is untouched before step 5):
//! 1. [`verify_backup`]: manifest checks, then size and sha256 of every listed file;
//! 2. refuse an existing target unless `force`, and a target another handle has open;
//! 3. in a temporary sibling directory (`.<target>.restore-tmp-<pid>`, removed again if the
//!    restore fails; those of killed restores are removed first), create a data file: allocate
//!    ids `1..source_page_count`, write every page of the stream at its id (each verified), free
//!    the ids the stream did not use, then checkpoint at the backup's LSN with its root, entry
//!    count and next txn id;
//! 4. give it an empty log starting at the backup's LSN (a checkpointed database must have the
//!    segment holding its checkpoint), open it, run the integrity
//!    check and compare the entry count with the manifest, close it;
//!
//! A point-in-time restore ([`restore_pitr`]) also plans the roll-forward in step 1 (every
//! segment and record between the backup and the target verified, see [`super::pitr`]), copies
//! the planned log segments into the temporary directory's `wal/` in step 3, and in step 4 the
//! open redoes them (ordinary crash recovery) and must land exactly on the planned LSN.
//! 5. move it into place: a new target receives the log segments, then the data file by one
//!    rename (the database appears whole with it); with `force`, the old directory is renamed
//!    aside, the temporary one renamed to the target, the old removed.
#![deny(clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backup::create::{parent_of, sibling};
use crate::backup::leftovers::{self, RESTORE_TMP};
use crate::backup::manifest::Manifest;
use crate::backup::pitr::{self, PitrOptions, RollForward};
use crate::backup::stream::{StreamReader, hash_file};
use crate::backup::{MANIFEST_FILE, PAGES_FILE};
use crate::db::{DATA_FILE, Database, LOCK_FILE, Options, WAL_DIR};
use crate::error::{Error, Result};
use crate::storage::header::valid_page_size;
use crate::storage::{CheckpointFields, PageStore, Storage};
use crate::types::{Lsn, PageId, TxnId};
use crate::vfs::{OpenMode, Vfs};

/// What [`restore()`] did.
#[derive(Clone, Debug)]
pub struct RestoreReport {
    /// The restored database directory.
    pub target: PathBuf,
    /// The manifest of the backup restored.
    pub manifest: Manifest,
    /// Whether an existing database was replaced (`force`).
    pub replaced: bool,
    /// Time spent verifying the backup's hashes (before anything was written).
    pub verify_elapsed: Duration,
    /// Wall time of the whole restore, integrity check included.
    pub elapsed: Duration,
    /// Keys in the restored database.
    pub entries: u64,
    /// LSN of the last commit the restored database holds.
    pub last_commit_lsn: Lsn,
    /// For a point-in-time restore: how far the backup was rolled forward.
    pub roll_forward: Option<RollForward>,
}

fn invalid(path: &Path, detail: impl Into<String>) -> Error {
    Error::InvalidBackup {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Reads and checks the manifest of the backup in `dir`, then the size and sha256 of every file
/// it lists. Writes nothing. Returns the manifest.
pub fn verify_backup(dir: &Path) -> Result<Manifest> {
    let mpath = dir.join(MANIFEST_FILE);
    let meta = std::fs::metadata(&mpath).map_err(|e| Error::io("reading manifest", &mpath, e))?;
    if meta.len() > super::manifest::MAX_MANIFEST_LEN {
        return Err(invalid(&mpath, format!("manifest is {} bytes", meta.len())));
    }
    let bytes = std::fs::read(&mpath).map_err(|e| Error::io("reading manifest", &mpath, e))?;
    let m = Manifest::decode(&mpath, &bytes)?;
    let ps = m.page_size as usize;
    if !valid_page_size(ps) {
        return Err(invalid(&mpath, format!("page size {ps} is not supported")));
    }
    if m.files.len() != 1 || m.files.first().map(|f| f.name.as_str()) != Some(PAGES_FILE) {
        return Err(invalid(
            &mpath,
            format!("expected exactly one file, {PAGES_FILE}"),
        ));
    }
    let consistent = m.source_bytes == m.pages.saturating_mul(ps as u64)
        && m.pages < m.source_page_count.max(1)
        && (m.root == 0) == (m.pages == 0)
        && m.root < m.source_page_count.max(1);
    if !consistent {
        return Err(invalid(
            &mpath,
            format!(
                "inconsistent counts: {} pages, {} source bytes, page count {}, root {}",
                m.pages, m.source_bytes, m.source_page_count, m.root
            ),
        ));
    }
    for f in &m.files {
        let p = dir.join(&f.name);
        let (bytes, sha) = hash_file(&p)?;
        if bytes != f.bytes {
            return Err(invalid(
                &p,
                format!(
                    "{bytes} bytes; the manifest lists {} (truncated or extended)",
                    f.bytes
                ),
            ));
        }
        if sha != f.sha256 {
            return Err(invalid(
                &p,
                format!("sha256 {sha} does not match the manifest's {}", f.sha256),
            ));
        }
    }
    Ok(m)
}

/// Restores the backup in directory `backup` into database directory `target` (on
/// `opts.vfs`), then opens it and runs the integrity check. An existing database at `target` is
/// replaced only if `force`. A refused or failed restore leaves `target` as it was, and no
/// temporary directory behind.
pub fn restore(backup: &Path, target: &Path, opts: &Options, force: bool) -> Result<RestoreReport> {
    restore_with(backup, target, opts, force, None)
}

/// Like [`restore()`], then rolls the backup forward through the WAL archive (and the live log
/// directory, if given) to `pitr.target`. Every archived segment and record the roll-forward
/// needs is verified before anything is written; a missing or damaged one is an error
/// ([`Error::WalArchive`]) and the target is left untouched.
pub fn restore_pitr(
    backup: &Path,
    target: &Path,
    opts: &Options,
    force: bool,
    pitr: &PitrOptions,
) -> Result<RestoreReport> {
    restore_with(backup, target, opts, force, Some(pitr))
}

/// Verifies the backup in `backup` and everything a point-in-time restore to `pitr.target`
/// would read — every archived (and live) segment and record from the backup's LSN to the
/// target — and says where it would land. Writes nothing.
pub fn verify_pitr(
    backup: &Path,
    opts: &Options,
    pitr: &PitrOptions,
) -> Result<(Manifest, RollForward)> {
    let manifest = verify_backup(backup)?;
    let plan = pitr::plan(
        opts.vfs.as_ref(),
        pitr,
        Lsn(manifest.source_lsn),
        manifest.page_size,
        manifest.created_unix_ms,
    )?;
    Ok((manifest, plan.roll))
}

fn restore_with(
    backup: &Path,
    target: &Path,
    opts: &Options,
    force: bool,
    pitr: Option<&PitrOptions>,
) -> Result<RestoreReport> {
    let start = Instant::now();
    let manifest = verify_backup(backup)?;
    let vfs = Arc::clone(&opts.vfs);
    let plan = match pitr {
        Some(p) => Some(pitr::plan(
            vfs.as_ref(),
            p,
            Lsn(manifest.source_lsn),
            manifest.page_size,
            manifest.created_unix_ms,
        )?),
        None => None,
    };
    let verify_elapsed = start.elapsed();
    let exists = vfs.exists(&target.join(DATA_FILE));
    if !exists && vfs.exists(target) {
        // An interrupted earlier restore can leave an empty directory, a lock file, or the log
        // it had moved in before the data file; anything else there is not ours to overwrite.
        let entries = vfs
            .read_dir(target)
            .map_err(|e| Error::io("listing", target, e))?;
        let ours = |p: &Path| match p.file_name() {
            Some(n) if n == LOCK_FILE => true,
            Some(n) if n == WAL_DIR => vfs.read_dir(p).is_ok_and(|files| {
                files
                    .iter()
                    .all(|f| crate::wal::parse_segment_name(f).is_some())
            }),
            _ => false,
        };
        if let Some(other) = entries.iter().find(|p| !ours(p)) {
            return Err(Error::InvalidArgument(format!(
                "{} holds no database but is not empty ({} is there); refusing to restore into it",
                target.display(),
                other.display()
            )));
        }
    }
    if exists && !force {
        return Err(Error::AlreadyExists {
            path: target.to_path_buf(),
        });
    }
    // Hold the target's lock for the whole restore: nobody may have the old database open.
    let _lock = if vfs.exists(&target.join(LOCK_FILE)) {
        let path = target.join(LOCK_FILE);
        let file = vfs
            .open(&path, OpenMode::Existing)
            .map_err(|e| Error::io("opening lock file", &path, e))?;
        if !file
            .try_lock_exclusive()
            .map_err(|e| Error::io("locking", &path, e))?
        {
            return Err(Error::Locked { path });
        }
        Some(file)
    } else {
        None
    };
    // Best effort: leftovers of killed restores are not this restore's business.
    let _ = leftovers::remove_stale_temp_dirs(vfs.as_ref(), target);
    let tmp = sibling(target, &format!("{RESTORE_TMP}-{}", std::process::id()));
    remove_tree(vfs.as_ref(), &tmp)?;
    let target_existed = vfs.exists(target);
    vfs.create_dir_all(&tmp)
        .map_err(|e| Error::io("creating directory", &tmp, e))?;
    let restored = (|| -> Result<(Lsn, u64)> {
        build(backup, &manifest, &tmp, opts)?;
        let expect = match &plan {
            Some(plan) => {
                pitr::copy_into(vfs.as_ref(), plan, &tmp.join(WAL_DIR))?;
                (plan.roll.landed_lsn, None)
            }
            None => {
                crate::wal::create_log(
                    vfs.as_ref(),
                    &tmp.join(WAL_DIR),
                    Lsn(manifest.source_lsn),
                    manifest.page_size,
                    opts.wal_segment_size,
                )?;
                (Lsn(manifest.source_lsn), Some(manifest.entry_count))
            }
        };
        let entries = check_restored(&tmp, expect.0, expect.1, opts)?;
        install(vfs.as_ref(), &tmp, target, exists)?;
        Ok((expect.0, entries))
    })();
    let (last_commit_lsn, entries) = match restored {
        Ok(done) => done,
        Err(e) => {
            // Best effort (the disk may be what failed): the temporary directory is not a
            // database and nothing refers to it; a target directory this restore created is
            // removed if it is still empty.
            let _ = remove_tree(vfs.as_ref(), &tmp);
            if !target_existed {
                let _ = vfs.remove_dir(target);
            }
            return Err(e);
        }
    };
    Ok(RestoreReport {
        target: target.to_path_buf(),
        manifest,
        replaced: exists,
        verify_elapsed,
        elapsed: start.elapsed(),
        entries,
        last_commit_lsn,
        roll_forward: plan.map(|p| p.roll),
    })
}

/// Step 3: the data file of the restored database, inside `dir`.
fn build(backup: &Path, m: &Manifest, dir: &Path, opts: &Options) -> Result<()> {
    let ps = m.page_size as usize;
    let spath = backup.join(PAGES_FILE);
    let data = dir.join(DATA_FILE);
    let storage = Storage::create(Arc::clone(&opts.vfs), &data, ps, opts.cache_bytes as u64)?;
    let count = m.source_page_count.max(1);
    for want in 1..count {
        let got = storage.allocate()?;
        if got.0 != want {
            return Err(Error::InvalidArgument(format!(
                "a new data file allocated {got} where {} was expected",
                PageId(want)
            )));
        }
    }
    let mut seen = vec![false; count as usize];
    let mut reader = StreamReader::open(&spath, ps, PageId(m.root), Lsn(m.source_lsn), m.pages)?;
    while let Some(page) = reader.next_page()? {
        let id = page.id();
        match seen.get_mut(id.0 as usize) {
            Some(s) if id.0 != 0 && !*s => *s = true,
            _ => {
                return Err(invalid(
                    &spath,
                    format!("{id} is repeated or outside the page count {count}"),
                ));
            }
        }
        // Straight to the file: the pages are not cached, and the checkpoint below fsyncs them.
        storage.pager.write_page(&page)?;
    }
    if m.root != 0 && !seen.get(m.root as usize).copied().unwrap_or(false) {
        return Err(invalid(
            &spath,
            format!("root page {} is not in the stream", m.root),
        ));
    }
    for (id, used) in seen.iter().enumerate().skip(1) {
        if !used {
            storage.free(PageId(id as u64))?;
        }
    }
    storage.publish();
    storage.checkpoint(CheckpointFields {
        checkpoint_lsn: Lsn(m.source_lsn),
        root: PageId(m.root),
        entry_count: m.entry_count,
        next_txn_id: TxnId(m.next_txn_id.max(1)),
    })?;
    Ok(())
}

/// Step 4: open the restored database (redoing any copied log), check it (storage and tables),
/// and check that it holds the commit at `lsn` as its last (and `entries` keys, when known);
/// close it.
fn check_restored(dir: &Path, lsn: Lsn, entries: Option<u64>, opts: &Options) -> Result<u64> {
    let opts = Options {
        wal_archive: None,
        ..opts.clone()
    };
    let db = Database::open(dir, opts)?;
    let report = crate::integrity::check_all(&db)?;
    if !report.is_clean() {
        let n = report.error_count();
        return Err(invalid(
            dir,
            format!(
                "restored database fails the integrity check ({n} finding{}): {}",
                if n == 1 { "" } else { "s" },
                report.findings_text()
            ),
        ));
    }
    let stats = db.stats()?;
    if entries.is_some_and(|n| n != stats.entries) || stats.last_commit_lsn != lsn.0 {
        return Err(invalid(
            dir,
            format!(
                "restored database has {} entries at lsn {}; expected {} at {lsn}",
                stats.entries,
                stats.last_commit_lsn,
                entries.map_or_else(|| "any number of".into(), |n| n.to_string()),
            ),
        ));
    }
    db.close()?;
    Ok(stats.entries)
}

/// Step 5: move the restored database at `tmp` to `target`.
fn install(vfs: &dyn Vfs, tmp: &Path, target: &Path, replace: bool) -> Result<()> {
    let parent = parent_of(target);
    if replace {
        let old = sibling(target, "replaced");
        remove_tree(vfs, &old)?;
        vfs.rename(target, &old)
            .map_err(|e| Error::io("moving the old database aside to", &old, e))?;
        if let Err(e) = vfs.rename(tmp, target) {
            // Put the old database back where it was before reporting the failure.
            let _ = vfs.rename(&old, target);
            return Err(Error::io("renaming the restored database to", target, e));
        }
        vfs.sync_dir(&parent)
            .map_err(|e| Error::io("syncing directory", &parent, e))?;
        return remove_tree(vfs, &old);
    }
    // A new target: first the log (the segment holding the checkpoint, which a checkpointed
    // database must have), then the data file, whose rename makes the database appear whole.
    // A log left in the target by an interrupted restore belongs to no database (there is no
    // data file) and is replaced.
    vfs.create_dir_all(target)
        .map_err(|e| Error::io("creating directory", target, e))?;
    let (from_wal, to_wal) = (tmp.join(WAL_DIR), target.join(WAL_DIR));
    if vfs.exists(&to_wal) {
        for f in vfs
            .read_dir(&to_wal)
            .map_err(|e| Error::io("listing", &to_wal, e))?
        {
            vfs.remove_file(&f)
                .map_err(|e| Error::io("removing leftover", &f, e))?;
        }
    }
    vfs.create_dir_all(&to_wal)
        .map_err(|e| Error::io("creating directory", &to_wal, e))?;
    for f in vfs
        .read_dir(&from_wal)
        .map_err(|e| Error::io("listing", &from_wal, e))?
    {
        let Some(name) = f.file_name() else { continue };
        let to = to_wal.join(name);
        vfs.rename(&f, &to)
            .map_err(|e| Error::io("moving the restored log segment to", &to, e))?;
    }
    vfs.sync_dir(&to_wal)
        .map_err(|e| Error::io("syncing directory", &to_wal, e))?;
    vfs.sync_dir(target)
        .map_err(|e| Error::io("syncing directory", target, e))?;
    let from = tmp.join(DATA_FILE);
    let to = target.join(DATA_FILE);
    vfs.rename(&from, &to)
        .map_err(|e| Error::io("renaming the restored data file to", &to, e))?;
    vfs.sync_dir(target)
        .map_err(|e| Error::io("syncing directory", target, e))?;
    vfs.sync_dir(&parent)
        .map_err(|e| Error::io("syncing directory", &parent, e))?;
    remove_tree(vfs, tmp)
}

/// Removes every file under `dir` (the log directory included), then the directories
/// themselves where the file system has them. Missing `dir` is fine.
fn remove_tree(vfs: &dyn Vfs, dir: &Path) -> Result<()> {
    if !vfs.exists(dir) {
        return Ok(());
    }
    for entry in [dir.join(WAL_DIR)] {
        if let Ok(files) = vfs.read_dir(&entry) {
            for f in files {
                vfs.remove_file(&f)
                    .map_err(|e| Error::io("removing", &f, e))?;
            }
        }
    }
    if let Ok(files) = vfs.read_dir(dir) {
        for f in files {
            if f.file_name().is_some_and(|n| n == WAL_DIR) {
                continue;
            }
            vfs.remove_file(&f)
                .map_err(|e| Error::io("removing", &f, e))?;
        }
    }
    for d in [dir.join(WAL_DIR), dir.to_path_buf()] {
        if vfs.exists(&d) {
            vfs.remove_dir(&d)
                .map_err(|e| Error::io("removing directory", &d, e))?;
        }
    }
    Ok(())
}
