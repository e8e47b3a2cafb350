//! Repairs after the [scan](super::scan): the only writes recovery makes.
//!
//! * A torn tail is zeroed from its first unreadable byte to the end of its segment and synced,
//!   so its stale bytes can never be read as records later.
//! * An unfinished last segment (no record, creation never completed) is removed and the
//!   directory synced.
//! * Damage is refused ([`Error::WalDamaged`]) unless salvaging. Salvage never deletes: the
//!   damaged segment is copied and every later segment moved into
//!   `<wal>/salvage-<UTC time>/`, with `SALVAGE.txt` saying what was found and what was kept;
//!   then a damaged header whose records are intact is rebuilt, the damaged segment is zeroed
//!   from the damage on (or, with an unreadable header and records, moved aside whole), so the
//!   log ends at the last commit before the damage.

use std::path::{Path, PathBuf};

use super::super::WalRecovery;
use super::super::format::SegmentHeader;
use super::scan::{LogScan, Outcome, SalvageCut};
use super::{Recovery, segment_name};
use crate::error::{Error, Result};
use crate::vfs::{OpenMode, Vfs, VfsFile};

/// Applies the scan's outcome (see the module doc) and opens the segment appends go to.
pub fn repair(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    scan: LogScan,
    mode: WalRecovery,
) -> Result<Recovery> {
    let LogScan {
        txns,
        segments,
        end,
        tail,
        tail_version,
        outcome,
        ..
    } = scan;
    let mut kept: Vec<_> = segments.iter().map(|s| (s.first, s.path.clone())).collect();
    let mut tail_file: Option<Box<dyn VfsFile>> = None;
    let mut truncated = false;
    let mut salvaged = None;
    match outcome {
        Outcome::Clean => {}
        Outcome::TornTail {
            segment, offset, ..
        } => {
            let path = &kept[segment].1;
            let file = open_rw(vfs, path)?;
            let len = file
                .len()
                .map_err(|e| Error::io("reading length of", path, e))?;
            zero_range(file.as_ref(), offset, len, path)?;
            tail_file = Some(file);
            truncated = true;
        }
        Outcome::Unfinished { segment } => {
            let path = kept[segment].1.clone();
            vfs.remove_file(&path)
                .map_err(|e| Error::io("removing unfinished WAL segment", &path, e))?;
            vfs.sync_dir(dir)
                .map_err(|e| Error::io("syncing directory", dir, e))?;
            kept.truncate(segment);
            truncated = true;
        }
        Outcome::Damaged { damage, cut } => {
            if mode != WalRecovery::Salvage {
                return Err(Error::WalDamaged(damage));
            }
            let aside = salvage(
                vfs,
                dir,
                page_size,
                &kept,
                &cut,
                &damage.summary(),
                txns.len(),
            )?;
            kept.truncate(cut.move_from.min(kept.len()));
            truncated = true;
            salvaged = Some(aside);
        }
    }
    let tail = match (tail_file, tail) {
        (Some(f), _) => Some(f),
        (None, Some(i)) => Some(open_rw(vfs, &kept[i].1)?),
        (None, None) => None,
    };
    Ok(Recovery {
        txns,
        segments: kept,
        tail,
        end,
        truncated,
        tail_version,
        salvaged,
    })
}

fn open_rw(vfs: &dyn Vfs, path: &Path) -> Result<Box<dyn VfsFile>> {
    vfs.open(path, OpenMode::Existing)
        .map_err(|e| Error::io("opening WAL segment", path, e))
}

/// Keeps the damaged files aside (see the module doc); returns the folder.
fn salvage(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    segments: &[(crate::types::Lsn, PathBuf)],
    cut: &SalvageCut,
    finding: &str,
    kept_commits: usize,
) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut aside = dir.join(format!("salvage-{stamp}"));
    let mut n = 1;
    while vfs.exists(&aside) {
        n += 1;
        aside = dir.join(format!("salvage-{stamp}-{n}"));
    }
    vfs.create_dir_all(&aside)
        .map_err(|e| Error::io("creating directory", &aside, e))?;
    let mut report = format!(
        "Lightning DB WAL salvage, {}\n\nFound: {finding}\n\nKept: the {kept_commits} commits \
         before the damage; the log now ends there.\n\nFiles kept here:\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if let Some(i) = cut.header {
        let (first, path) = &segments[i];
        let copy = aside.join(segment_name(*first));
        copy_file(vfs, path, &copy)?;
        report.push_str(&format!(
            "- {} (a copy; the live segment got a rebuilt header, its records were read at the \
             LSNs its name gives)\n",
            segment_name(*first)
        ));
        let file = open_rw(vfs, path)?;
        let len = file
            .len()
            .map_err(|e| Error::io("reading length of", path, e))?;
        let header = SegmentHeader::new(page_size, *first, len).encode();
        file.write_at(&header, 0)
            .and_then(|()| file.sync())
            .map_err(|e| Error::io("rebuilding the header of", path, e))?;
    }
    if let Some((i, offset, size)) = cut.zero {
        let (first, path) = &segments[i];
        let copy = aside.join(segment_name(*first));
        if !vfs.exists(&copy) {
            copy_file(vfs, path, &copy)?;
        }
        report.push_str(&format!(
            "- {} (a copy; the live segment was zeroed from byte {offset})\n",
            segment_name(*first)
        ));
        let file = open_rw(vfs, path)?;
        let len = file
            .len()
            .map_err(|e| Error::io("reading length of", path, e))?;
        zero_range(file.as_ref(), offset, size.max(len), path)?;
    }
    for (first, path) in segments.iter().skip(cut.move_from) {
        let to = aside.join(segment_name(*first));
        vfs.rename(path, &to)
            .map_err(|e| Error::io("moving damaged WAL segment to", &to, e))?;
        report.push_str(&format!(
            "- {} (moved from the log)\n",
            segment_name(*first)
        ));
    }
    let report_path = aside.join("SALVAGE.txt");
    let file = vfs
        .open(&report_path, OpenMode::CreateNew)
        .map_err(|e| Error::io("creating", &report_path, e))?;
    file.write_at(report.as_bytes(), 0)
        .map_err(|e| Error::io("writing", &report_path, e))?;
    file.sync()
        .map_err(|e| Error::io("syncing", &report_path, e))?;
    for d in [aside.as_path(), dir] {
        vfs.sync_dir(d)
            .map_err(|e| Error::io("syncing directory", d, e))?;
    }
    Ok(aside)
}

/// Copies `from` to the new file `to` and syncs it.
fn copy_file(vfs: &dyn Vfs, from: &Path, to: &Path) -> Result<()> {
    let src = vfs
        .open(from, OpenMode::ReadOnly)
        .map_err(|e| Error::io("opening WAL segment", from, e))?;
    let out = vfs
        .open(to, OpenMode::CreateNew)
        .map_err(|e| Error::io("creating", to, e))?;
    let len = src
        .len()
        .map_err(|e| Error::io("reading length of", from, e))?;
    let mut buf = vec![0u8; (1u64 << 20).min(len) as usize];
    let mut at = 0;
    while at < len {
        let n = (len - at).min(buf.len() as u64) as usize;
        src.read_at(&mut buf[..n], at)
            .map_err(|e| Error::io("reading WAL segment", from, e))?;
        out.write_at(&buf[..n], at)
            .map_err(|e| Error::io("writing", to, e))?;
        at += n as u64;
    }
    out.sync().map_err(|e| Error::io("syncing", to, e))
}

/// Overwrites `file` with zeros from `from` to `to` (extending it if shorter) and syncs it.
fn zero_range(file: &dyn VfsFile, from: u64, to: u64, path: &Path) -> Result<()> {
    let zeros = vec![0u8; 1 << 20];
    let mut at = from;
    while at < to {
        let n = (to - at).min(zeros.len() as u64) as usize;
        file.write_at(&zeros[..n], at)
            .map_err(|e| Error::io("zeroing WAL tail of", path, e))?;
        at += n as u64;
    }
    file.sync().map_err(|e| Error::io("syncing", path, e))
}
