//! Point-in-time restore: rolling a backup forward through archived WAL segments (and, when
//! given, the source's live `wal/` directory) up to a requested LSN, time, or the end of the log.
//!
//! Planning ([`plan`]) reads and verifies everything before anything is written:
//! 1. list the segments of the archive and of the live log directory (an archived copy wins
//!    when both hold a segment: closed segments never change);
//! 2. start at the segment holding the commit that ends at the backup's LSN;
//! 3. for each segment in order: verify the header (magic, CRC, version, page size, name) and
//!    that it starts exactly where the previous one ended — anything else is a gap; verify every
//!    record's checksum and framing, note each commit's LSN and time, and check that the
//!    backup's LSN is a record boundary of this log;
//! 4. stop at the first commit past the target; the landing point is the last commit at or
//!    before it. A damaged record is an error, except as the torn tail of the last segment of
//!    the live directory (which crash recovery would cut the same way); an LSN target past the
//!    end of the available log is an error, never a shorter restore.
//!
//! Applying ([`copy_into`]) copies the planned segments, each cut right after the landing
//! commit, into the new database's `wal/` directory; opening the database then redoes them
//! through ordinary crash recovery, and the caller checks that it landed on the planned LSN.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::types::Lsn;
use crate::vfs::{OpenMode, Vfs};
use crate::wal::format::{
    FrameError, RecordKind, SEGMENT_HEADER_LEN, SegmentHeader, get_varint, read_frame,
    split_commit_trailer, split_txn,
};
use crate::wal::parse_segment_name;

/// The largest segment file a restore reads into memory (1 GiB); a larger one is refused.
pub const MAX_SEGMENT_FILE: u64 = 1 << 30;

/// Where a point-in-time restore stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreTarget {
    /// The last commit in the available log.
    Latest,
    /// The last commit whose commit LSN is at or below this LSN.
    Lsn(Lsn),
    /// The last commit whose commit time is at or before this time (µs since the Unix epoch).
    Time(u64),
}

/// Where to find the log that rolls a backup forward, and how far to go.
#[derive(Clone, Debug)]
pub struct PitrOptions {
    /// The WAL archive directory (`Options::wal_archive` of the source database).
    pub archive: PathBuf,
    /// The source database's live `wal/` directory, for commits not archived yet (optional).
    pub live_wal: Option<PathBuf>,
    /// Where to stop.
    pub target: RestoreTarget,
}

/// What the roll-forward of a point-in-time restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollForward {
    /// The backup's LSN, where the roll-forward began.
    pub from_lsn: Lsn,
    /// The commit LSN the restore landed on.
    pub landed_lsn: Lsn,
    /// The commit time of the landing commit, if the log records it (µs since the epoch).
    pub landed_time: Option<u64>,
    /// Commits replayed after the backup.
    pub commits: u64,
    /// How far the log was read and verified: its end, or the first commit past the target
    /// (where the scan stops).
    pub log_end: Lsn,
    /// Segments verified (and, up to the landing point, copied).
    pub segments: usize,
}

/// One segment to copy: its source file and how many of its bytes.
#[derive(Clone, Debug)]
pub(crate) struct PlannedSegment {
    path: PathBuf,
    len: u64,
}

/// A verified roll-forward: what to copy and where it lands.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) roll: RollForward,
    segments: Vec<PlannedSegment>,
}

#[derive(Clone, Debug)]
struct Source {
    path: PathBuf,
    archived: bool,
}

fn archive_err(path: &Path, detail: impl Into<String>) -> Error {
    Error::WalArchive {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

fn list(vfs: &dyn Vfs, dir: &Path, archived: bool, out: &mut BTreeMap<Lsn, Source>) -> Result<()> {
    if !vfs.exists(dir) {
        return Err(archive_err(dir, "directory does not exist"));
    }
    let entries = vfs
        .read_dir(dir)
        .map_err(|e| Error::io("listing", dir, e))?;
    for path in entries {
        if let Some(first) = parse_segment_name(&path) {
            out.entry(first).or_insert(Source { path, archived });
        }
    }
    Ok(())
}

fn read_all(vfs: &dyn Vfs, path: &Path) -> Result<Vec<u8>> {
    let file = vfs
        .open(path, OpenMode::Existing)
        .map_err(|e| Error::io("opening WAL segment", path, e))?;
    let len = file
        .len()
        .map_err(|e| Error::io("reading length of", path, e))?;
    if len > MAX_SEGMENT_FILE {
        return Err(archive_err(
            path,
            format!("segment file is {len} bytes; at most {MAX_SEGMENT_FILE} expected"),
        ));
    }
    let mut data = vec![0u8; len as usize];
    file.read_at(&mut data, 0)
        .map_err(|e| Error::io("reading WAL segment", path, e))?;
    Ok(data)
}

/// How a segment's records ended.
enum End {
    /// Cleanly (zero header followed only by zeros, or end of file) at this LSN.
    Clean(Lsn),
    /// At a record that is not valid, at this LSN, for this reason.
    Damaged(Lsn, String),
}

/// State of the scan across segments.
struct Scan {
    from: Lsn,
    target: RestoreTarget,
    /// The last commit at or before the target: its LSN and time.
    landed: (Lsn, Option<u64>),
    commits: u64,
    /// A commit past the target was seen: stop.
    passed: bool,
    /// The backup's LSN was found to be a record boundary (or the start of a segment).
    anchored: bool,
    /// The commit ending at the backup's LSN was read (its time, if any, is in `landed`).
    backup_commit_seen: bool,
}

impl Scan {
    /// Scans the records of one segment; returns how they ended.
    fn segment(&mut self, data: &[u8], header: &SegmentHeader, path: &Path) -> Result<End> {
        let first = header.first_lsn;
        self.anchored |= first == self.from;
        let mut offset = SEGMENT_HEADER_LEN as usize;
        loop {
            let lsn = Lsn(first.0 + (offset as u64 - SEGMENT_HEADER_LEN));
            let rest = data.get(offset..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(End::Clean(lsn));
            }
            let frame = match read_frame(rest, lsn) {
                Ok(f) => f,
                Err(FrameError::End) if rest.iter().all(|&b| b == 0) => {
                    return Ok(End::Clean(lsn));
                }
                Err(FrameError::End) => {
                    return Ok(End::Damaged(
                        lsn,
                        "non-zero bytes after a zero header".into(),
                    ));
                }
                Err(FrameError::Partial) => {
                    return Ok(End::Damaged(lsn, "partial record".into()));
                }
                Err(FrameError::Invalid(why)) => return Ok(End::Damaged(lsn, why)),
            };
            offset += frame.len;
            let end = Lsn(lsn.0 + frame.len as u64);
            if lsn < self.from && end > self.from {
                return Err(archive_err(
                    path,
                    format!(
                        "the backup's {} falls inside the record at {lsn}: this log is not \
                         the backup's database's (or not its timeline)",
                        self.from
                    ),
                ));
            }
            self.anchored |= end == self.from;
            if frame.kind != RecordKind::Commit {
                continue;
            }
            let bad =
                |detail: String| archive_err(path, format!("commit record at {lsn}: {detail}"));
            let (_, body) = split_txn(frame.payload).map_err(bad)?;
            let (mut body, trailer) = split_commit_trailer(body, header).map_err(bad)?;
            let time = trailer.time;
            get_varint(&mut body).map_err(bad)?;
            if end <= self.from {
                if end == self.from {
                    self.landed.1 = time;
                    self.backup_commit_seen = true;
                    if let (RestoreTarget::Time(t), Some(at)) = (self.target, time)
                        && at > t
                    {
                        return Err(archive_err(
                            path,
                            format!(
                                "the backup's last commit ({end}) was made at {}, after the \
                                 requested time {}: use an older backup",
                                fmt_micros(at),
                                fmt_micros(t)
                            ),
                        ));
                    }
                }
                continue;
            }
            let past = match self.target {
                RestoreTarget::Latest => false,
                RestoreTarget::Lsn(l) => end > l,
                RestoreTarget::Time(t) => match time {
                    Some(at) => at > t,
                    None => {
                        return Err(archive_err(
                            path,
                            format!(
                                "commit at {lsn} has no commit time (WAL format version {}); \
                                 restore to an LSN instead",
                                header.version
                            ),
                        ));
                    }
                },
            };
            if past {
                self.passed = true;
                return Ok(End::Clean(lsn));
            }
            self.landed = (end, time);
            self.commits += 1;
        }
    }
}

/// RFC 3339 (UTC, microseconds) of a time in µs since the Unix epoch.
pub fn fmt_micros(us: u64) -> String {
    i64::try_from(us)
        .ok()
        .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_micros)
        .map_or_else(
            || format!("{us} µs"),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
}

/// Verifies the log after a backup at `from` (page size `page_size`, created at
/// `created_unix_ms`) and decides where the restore lands (see the module doc). Writes nothing.
pub(crate) fn plan(
    vfs: &dyn Vfs,
    opts: &PitrOptions,
    from: Lsn,
    page_size: u32,
    created_unix_ms: u64,
) -> Result<Plan> {
    if let RestoreTarget::Lsn(l) = opts.target
        && l < from
    {
        return Err(Error::InvalidArgument(format!(
            "requested {l} is before the backup's {from}: use an older backup"
        )));
    }
    let mut sources = BTreeMap::new();
    list(vfs, &opts.archive, true, &mut sources)?;
    if let Some(live) = &opts.live_wal {
        list(vfs, live, false, &mut sources)?;
    }
    // The segment holding the commit that ends at `from` (it starts before `from`), or else the
    // one starting exactly at `from`.
    let start = sources
        .range(..from)
        .next_back()
        .or_else(|| sources.range(from..=from).next())
        .map(|(l, _)| *l)
        .ok_or_else(|| {
            let after = sources.keys().next().map_or_else(
                || "it holds no segments".to_string(),
                |l| format!("its first segment starts at {l}"),
            );
            archive_err(
                &opts.archive,
                format!(
                    "no segment holds the backup's {from} ({after}): the segments after the \
                     backup are missing"
                ),
            )
        })?;
    let mut scan = Scan {
        from,
        target: opts.target,
        landed: (from, None),
        commits: 0,
        passed: false,
        anchored: false,
        backup_commit_seen: false,
    };
    let chain: Vec<(Lsn, Source)> = sources
        .range(start..)
        .map(|(l, s)| (*l, s.clone()))
        .collect();
    let mut ends: Vec<(PathBuf, Lsn, Lsn)> = Vec::new(); // path, first, end of records
    let mut expected = start;
    for (i, (first, src)) in chain.iter().enumerate() {
        if *first != expected {
            return Err(archive_err(
                &src.path,
                format!(
                    "gap in the log: the previous segment ends at {expected}, the next one \
                     present starts at {first}; the segment starting at {expected} is missing"
                ),
            ));
        }
        let data = read_all(vfs, &src.path)?;
        let hb: &[u8; SEGMENT_HEADER_LEN as usize] = data
            .get(..SEGMENT_HEADER_LEN as usize)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| archive_err(&src.path, "shorter than a segment header"))?;
        let header = SegmentHeader::decode(hb).map_err(|e| archive_err(&src.path, e))?;
        if header.first_lsn != *first || header.page_size != page_size {
            return Err(archive_err(
                &src.path,
                format!(
                    "header says first LSN {} and page size {}; expected {first} and {page_size}",
                    header.first_lsn, header.page_size
                ),
            ));
        }
        let last = i + 1 == chain.len();
        let end = match scan.segment(&data, &header, &src.path)? {
            End::Clean(at) => at,
            End::Damaged(at, _) if last && !src.archived => at,
            End::Damaged(at, why) => {
                return Err(archive_err(&src.path, format!("damaged at {at}: {why}")));
            }
        };
        ends.push((src.path.clone(), *first, end));
        expected = end;
        if scan.passed {
            break;
        }
    }
    let log_end = expected;
    if log_end < from || !scan.anchored {
        return Err(archive_err(
            &opts.archive,
            format!(
                "the log ends at {log_end} without reaching the backup's {from} as a record \
                 boundary: segments are missing, or the log is another database's"
            ),
        ));
    }
    if let RestoreTarget::Lsn(l) = opts.target
        && !scan.passed
        && l > log_end
    {
        return Err(archive_err(
            &opts.archive,
            format!(
                "requested {l} is past the end of the available log ({log_end}): the \
                 segments after {log_end} are missing (add --wal-dir for the live log?)"
            ),
        ));
    }
    if let RestoreTarget::Time(t) = opts.target
        && from > Lsn(0)
        && !scan.backup_commit_seen
        && t / 1000 < created_unix_ms
    {
        return Err(archive_err(
            &opts.archive,
            format!(
                "the backup was created at {}, after the requested time {}, and the segment \
                 holding its last commit (before {from}) is not available to tell when that \
                 commit was made: use an older backup",
                fmt_micros(created_unix_ms.saturating_mul(1000)),
                fmt_micros(t)
            ),
        ));
    }
    let landed = scan.landed.0;
    let segments = ends
        .iter()
        .enumerate()
        .filter(|(i, (_, first, _))| *i == 0 || *first < landed)
        .map(|(_, (path, first, end))| PlannedSegment {
            path: path.clone(),
            len: SEGMENT_HEADER_LEN + ((*end).min(landed).max(*first).0 - first.0),
        })
        .collect();
    Ok(Plan {
        roll: RollForward {
            from_lsn: from,
            landed_lsn: landed,
            landed_time: scan.landed.1,
            commits: scan.commits,
            log_end,
            segments: ends.len(),
        },
        segments,
    })
}

/// Copies the planned segments into `wal_dir` (created), each cut at the landing point, and
/// syncs them and the directory.
pub(crate) fn copy_into(vfs: &dyn Vfs, plan: &Plan, wal_dir: &Path) -> Result<()> {
    vfs.create_dir_all(wal_dir)
        .map_err(|e| Error::io("creating directory", wal_dir, e))?;
    for seg in &plan.segments {
        let name = seg
            .path
            .file_name()
            .ok_or_else(|| archive_err(&seg.path, "segment path has no file name"))?;
        let dest = wal_dir.join(name);
        let src = vfs
            .open(&seg.path, OpenMode::Existing)
            .map_err(|e| Error::io("opening WAL segment", &seg.path, e))?;
        let out = vfs
            .open(&dest, OpenMode::CreateNew)
            .map_err(|e| Error::io("creating WAL segment", &dest, e))?;
        let mut buf = vec![0u8; (1u64 << 20).min(seg.len) as usize];
        let mut at = 0;
        while at < seg.len {
            let n = (seg.len - at).min(1 << 20) as usize;
            src.read_at(&mut buf[..n], at)
                .map_err(|e| Error::io("reading WAL segment", &seg.path, e))?;
            out.write_at(&buf[..n], at)
                .map_err(|e| Error::io("writing WAL segment", &dest, e))?;
            at += n as u64;
        }
        // A segment of format version 3 keeps the size it was created with (recovery takes a
        // shorter one for a truncated file); archived copies end with their records.
        let mut hb = [0u8; SEGMENT_HEADER_LEN as usize];
        src.read_at(&mut hb, 0)
            .map_err(|e| Error::io("reading WAL segment", &seg.path, e))?;
        let header = SegmentHeader::decode(&hb).map_err(|e| archive_err(&seg.path, e))?;
        if header.segment_size > seg.len {
            out.set_len(header.segment_size)
                .map_err(|e| Error::io("extending WAL segment", &dest, e))?;
        }
        out.sync()
            .map_err(|e| Error::io("syncing WAL segment", &dest, e))?;
    }
    vfs.sync_dir(wal_dir)
        .map_err(|e| Error::io("syncing directory", wal_dir, e))
}
