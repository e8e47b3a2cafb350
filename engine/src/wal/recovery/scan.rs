//! The recovery scan: reads the log from the checkpoint and decides, without writing anything,
//! what the log holds and what (if anything) must be repaired.
//!
//! Steps, in order:
//! 1. List `<dir>/*.wal` segments (16-hex-digit first-LSN names), sorted by first LSN. Segments
//!    wholly before the checkpoint are not read (they are recycled at the next checkpoint). A
//!    database that has been checkpointed since it was created must have the segment holding
//!    the checkpoint LSN.
//! 2. For each segment from that one on: verify its header (magic, version, CRC, name = first
//!    LSN, page size), that it continues the previous segment exactly, and (format version 3)
//!    that the file still has the size it was created with.
//! 3. Read its records from the checkpoint LSN (or its first LSN) on; each must have a sane
//!    length, its own position as LSN, a known kind and a matching CRC. Commit records are
//!    collected (chunks wait for their commit); a zero header followed only by zeros ends the
//!    segment's records; a closing record (version 3) says the log goes on in the next segment.
//! 4. Classify how the log ends ([`Outcome`]):
//!    * clean — the records end, and no later segment exists (or the log continues exactly);
//!    * torn tail — a bad record in the last segment that no later record proves durable: the
//!      last write of a crashed process, never acknowledged; it is cut;
//!    * unfinished segment — the last segment holds no record and its creation (a roll-over, or
//!      a new log) never completed: it is removed (it holds nothing);
//!    * damaged — anything else ([`WalDamage`]): recovery refuses to open unless salvaging.
//!
//! A record is *proved durable* by a later intact record whose durable mark (the log's durable
//! LSN when it was framed, format version 3) lies past it: the writer framed that record only
//! after the earlier one had been fsynced, so the earlier one cannot be a torn write. Damage in
//! a segment that has a successor is always media damage: a segment is created only after the
//! previous one's records are durable.
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::super::RecoveredTxn;
use super::super::format::{
    FrameError, RECORD_HEADER_LEN, RecordKind, SEGMENT_HEADER_LEN, SegmentHeader, decode_ops,
    get_varint, read_frame, split_commit_trailer, split_txn,
};
use super::damage::{DamageKind, WalDamage, probe};
use super::parse_segment_name;
use crate::error::{Error, Result};
use crate::types::{Lsn, TxnId};
use crate::vfs::{OpenMode, Vfs};

/// One segment file found in the log directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentFile {
    /// Its first LSN (from its name).
    pub first: Lsn,
    /// Its path.
    pub path: PathBuf,
}

/// Where salvage cuts a damaged log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalvageCut {
    /// Segment `index`, whose header is damaged but whose records read at the LSNs its name
    /// gives, gets a rebuilt header (its forensic copy is kept aside first).
    pub header: Option<usize>,
    /// Segment `index`, kept, is zeroed from `offset` to `size` bytes, or to its length if that
    /// is larger (its forensic copy is kept aside first).
    pub zero: Option<(usize, u64, u64)>,
    /// Segments from this index on are moved aside whole.
    pub move_from: usize,
}

impl SalvageCut {
    /// Move segments `from..` aside whole.
    fn moving(from: usize) -> Self {
        SalvageCut {
            header: None,
            zero: None,
            move_from: from,
        }
    }

    /// Zero segment `i` from `offset` (to `size` bytes at least) and move every later one aside.
    fn zeroing(i: usize, offset: u64, size: u64) -> Self {
        SalvageCut {
            header: None,
            zero: Some((i, offset, size)),
            move_from: i + 1,
        }
    }
}

/// How the log ends, and what recovery must do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to repair.
    Clean,
    /// A torn last write in segment `segment` from `offset` on (`bytes` non-zero bytes): the
    /// rest of the segment is zeroed.
    TornTail {
        /// Index into [`LogScan::segments`].
        segment: usize,
        /// File offset of the first unreadable byte.
        offset: u64,
        /// Non-zero bytes from there to the end of what was written.
        bytes: u64,
    },
    /// The last segment holds no record and its creation never completed: it is removed.
    Unfinished {
        /// Index into [`LogScan::segments`].
        segment: usize,
    },
    /// Media damage: refuse, or salvage at `cut`.
    Damaged {
        /// What is damaged.
        damage: Box<WalDamage>,
        /// Where salvage would cut.
        cut: SalvageCut,
    },
}

/// What the scan found (nothing has been written).
#[derive(Debug)]
pub struct LogScan {
    /// Committed transactions after the checkpoint, in log order, up to the end (or the
    /// damage).
    pub txns: Vec<RecoveredTxn>,
    /// Every segment file, sorted by first LSN.
    pub segments: Vec<SegmentFile>,
    /// The end of the readable log: where the next record goes after any repair.
    pub end: Lsn,
    /// The segment appends go to after any repair (an index into `segments`); `None` when a
    /// new segment must be created at `end` (no segment is left, or the last one is closed).
    pub tail: Option<usize>,
    /// The format version of the segment appends would go to (of the last kept segment).
    pub tail_version: u32,
    /// How the log ends.
    pub outcome: Outcome,
    /// A damaged header that salvage read past (segment index, the damage), while scanning for
    /// salvage; folded into `outcome` before [`scan`] returns.
    header_fix: Option<(usize, Box<WalDamage>)>,
}

/// How one segment's records ended.
enum Stop {
    /// No more records: a zero header followed only by zeros, or the end of the file.
    Clean(Lsn),
    /// A closing record ending at this LSN: the log goes on in the next segment.
    Closed(Lsn),
    /// A record that cannot be read, at this LSN and file offset.
    Bad(Lsn, u64, String),
}

/// What the previous segment left for the next one.
struct Prev {
    index: usize,
    end: Lsn,
    closed: bool,
    marks: bool,
}

/// Reads the log in `dir` (see the module doc). `log_required`: the database has been
/// checkpointed since its creation, so the segment holding `checkpoint` must exist. With
/// `salvage`, a segment whose header is damaged but whose records read at the LSNs its name
/// gives is read on (the outcome stays that damage; the cut rebuilds the header).
pub fn scan(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    checkpoint: Lsn,
    log_required: bool,
    salvage: bool,
) -> Result<LogScan> {
    let mut out = scan_log(vfs, dir, page_size, checkpoint, log_required, salvage)?;
    if let Some((i, damage)) = out.header_fix.take() {
        let count = out.segments.len();
        let later = match &out.outcome {
            Outcome::Clean => (None, count),
            Outcome::TornTail {
                segment, offset, ..
            } => (Some((*segment, *offset, 0)), count),
            Outcome::Unfinished { segment } => (None, *segment),
            Outcome::Damaged { cut, .. } => (cut.zero, cut.move_from),
        };
        out.outcome = Outcome::Damaged {
            damage,
            cut: SalvageCut {
                header: Some(i),
                zero: later.0,
                move_from: later.1,
            },
        };
    }
    Ok(out)
}

fn scan_log(
    vfs: &dyn Vfs,
    dir: &Path,
    page_size: u32,
    checkpoint: Lsn,
    log_required: bool,
    salvage: bool,
) -> Result<LogScan> {
    let mut segments: Vec<SegmentFile> = if vfs.exists(dir) {
        vfs.read_dir(dir)
            .map_err(|e| Error::io("listing", dir, e))?
            .into_iter()
            .filter_map(|p| parse_segment_name(&p).map(|first| SegmentFile { first, path: p }))
            .collect()
    } else {
        Vec::new()
    };
    segments.sort_by_key(|s| s.first);
    let mut out = LogScan {
        txns: Vec::new(),
        segments,
        end: checkpoint,
        tail: None,
        tail_version: super::super::format::SEGMENT_VERSION,
        outcome: Outcome::Clean,
        header_fix: None,
    };
    let Some(start) = out.segments.iter().rposition(|s| s.first <= checkpoint) else {
        if let Some(first) = out.segments.first() {
            let detail = format!(
                "the log starts at {}, after the checkpoint at {checkpoint}: the segments \
                 before it are missing",
                first.first
            );
            out.outcome = missing(&out, first.path.clone(), checkpoint, detail, 0);
        } else if log_required {
            let detail = format!(
                "no WAL segment is left, but the checkpoint at {checkpoint} needs the segment \
                 holding it"
            );
            out.outcome = missing(&out, dir.to_path_buf(), checkpoint, detail, 0);
        }
        return Ok(out);
    };
    let mut chunks: HashMap<TxnId, Vec<u8>> = HashMap::new();
    let mut prev: Option<Prev> = None;
    let count = out.segments.len();
    for i in start..count {
        let Some(seg) = out.segments.get(i) else {
            break;
        };
        let (first, path) = (seg.first, seg.path.clone());
        let last = i + 1 == count;
        let data = read_segment(vfs, &path)?;
        let body_empty = data
            .get(SEGMENT_HEADER_LEN as usize..)
            .is_none_or(|b| b.iter().all(|&x| x == 0));
        // An empty last segment whose creation may not have finished: after a previous segment
        // that was not closed and ends where it starts, or as the whole log of a database that
        // has not checkpointed since it was created (once it has, its first segment was whole).
        let unfinished_ok = last
            && body_empty
            && match &prev {
                Some(p) => !p.closed && successor_of(p) == first,
                None => first == checkpoint && !log_required,
            };
        let header = match decode_header(&data, first) {
            Ok(h) => h,
            Err(_) if unfinished_ok => {
                out.tail = open_tail(&prev);
                out.outcome = Outcome::Unfinished { segment: i };
                return Ok(out);
            }
            Err(why) => {
                out.tail = open_tail(&prev);
                let lsn = prev.as_ref().map_or(first, |p| p.end);
                let guess = SegmentHeader::new(page_size, first, data.len() as u64);
                let pr = probe(&data, &guess, 0);
                let outcome = damaged(
                    &out,
                    vfs,
                    i,
                    DamageKind::Header,
                    lsn,
                    0,
                    why,
                    SEGMENT_HEADER_LEN.min(data.len() as u64),
                    pr,
                    SalvageCut::moving(i),
                )?;
                // Salvage reads on when the records where the log goes on are intact at the
                // LSNs the segment's name gives (their CRCs cover those LSNs).
                let at = SEGMENT_HEADER_LEN + (checkpoint.0.max(first.0) - first.0);
                let readable = data.get(at as usize..).is_some_and(|rest| {
                    read_frame(rest, Lsn(first.0 + at - SEGMENT_HEADER_LEN)).is_ok()
                });
                match outcome {
                    Outcome::Damaged { damage, .. } if salvage && readable => {
                        out.header_fix = Some((i, damage));
                        guess
                    }
                    other => {
                        out.outcome = other;
                        return Ok(out);
                    }
                }
            }
        };
        if header.page_size != page_size {
            return Err(Error::WalCorruption {
                path,
                lsn: first,
                detail: format!(
                    "segment belongs to a database with page size {}, expected {page_size}",
                    header.page_size
                ),
            });
        }
        if let Some(p) = &prev {
            if successor_of(p) != first {
                out.tail = open_tail(&prev);
                let detail = format!(
                    "the previous segment ends at {}, but the next segment starts at {first}: \
                     the log between them is missing",
                    p.end
                );
                let pr = probe(&data, &header, SEGMENT_HEADER_LEN as usize);
                out.outcome = damaged(
                    &out,
                    vfs,
                    i,
                    DamageKind::MissingSegment,
                    p.end,
                    0,
                    detail,
                    0,
                    pr,
                    SalvageCut::moving(i),
                )?;
                return Ok(out);
            }
            if p.marks && !p.closed {
                // The previous segment was rolled over but never closed: the roll-over did not
                // finish, so this segment must be empty.
                out.tail = open_tail(&prev);
                if unfinished_ok {
                    out.outcome = Outcome::Unfinished { segment: i };
                    return Ok(out);
                }
                let detail = format!(
                    "the previous segment ends at {first} without its closing record, yet the \
                     log goes on in this one"
                );
                let pr = probe(&data, &header, SEGMENT_HEADER_LEN as usize);
                out.outcome = damaged(
                    &out,
                    vfs,
                    i,
                    DamageKind::Record,
                    first,
                    0,
                    detail,
                    0,
                    pr,
                    SalvageCut::moving(i),
                )?;
                return Ok(out);
            }
        }
        out.tail_version = header.version;
        let from = SEGMENT_HEADER_LEN + (checkpoint.0.max(first.0) - first.0);
        let truncated = header.has_durable_marks() && (data.len() as u64) < header.segment_size;
        if truncated && body_empty && unfinished_ok {
            out.tail = open_tail(&prev);
            out.outcome = Outcome::Unfinished { segment: i };
            return Ok(out);
        }
        let stop = if from > data.len() as u64 {
            Stop::Bad(
                Lsn(first.0 + (data.len() as u64).saturating_sub(SEGMENT_HEADER_LEN)),
                data.len() as u64,
                format!("the checkpoint at {checkpoint} lies past the end of the segment"),
            )
        } else {
            scan_segment(
                &data,
                &header,
                from,
                checkpoint,
                &path,
                &mut chunks,
                &mut out.txns,
            )?
        };
        let (end, closed) = match &stop {
            Stop::Clean(at) => (*at, false),
            Stop::Closed(at) => (*at, true),
            Stop::Bad(at, _, _) => (*at, false),
        };
        out.end = end;
        out.tail = (!closed).then_some(i);
        if truncated {
            let offset = SEGMENT_HEADER_LEN + (end.0 - first.0);
            let detail = format!(
                "the segment is {} bytes long but was created with {}",
                data.len(),
                header.segment_size
            );
            let pr = probe(&data, &header, offset as usize);
            out.tail = Some(i);
            out.outcome = damaged(
                &out,
                vfs,
                i,
                DamageKind::Truncated,
                end,
                offset,
                detail,
                0,
                pr,
                SalvageCut::zeroing(i, offset, header.segment_size),
            )?;
            return Ok(out);
        }
        match stop {
            Stop::Clean(_) => {}
            Stop::Closed(at) if last => {
                let detail = format!(
                    "the segment is closed: the log goes on at {at}, but no segment starts there"
                );
                out.outcome = damaged(
                    &out,
                    vfs,
                    i,
                    DamageKind::MissingSegment,
                    at,
                    SEGMENT_HEADER_LEN + (at.0 - first.0),
                    detail,
                    0,
                    Default::default(),
                    SalvageCut::moving(count),
                )?;
                return Ok(out);
            }
            Stop::Closed(_) => {}
            Stop::Bad(at, offset, why) => {
                let pr = probe(&data, &header, offset as usize + 1);
                let proved = pr.max_durable.is_some_and(|d| d > at);
                if last && !proved {
                    out.outcome = Outcome::TornTail {
                        segment: i,
                        offset,
                        bytes: (pr.written_end as u64).saturating_sub(offset),
                    };
                    return Ok(out);
                }
                let detail = if last {
                    format!("{why}, yet a later record shows it had been made durable")
                } else {
                    format!("{why}, in a segment the log goes on after")
                };
                let unreadable = pr
                    .first_offset
                    .map_or(pr.written_end, |o| o)
                    .saturating_sub(offset as usize) as u64;
                let size = header.segment_size.max(data.len() as u64);
                out.outcome = damaged(
                    &out,
                    vfs,
                    i,
                    DamageKind::Record,
                    at,
                    offset,
                    detail,
                    unreadable.max(1),
                    pr,
                    SalvageCut::zeroing(i, offset, size),
                )?;
                return Ok(out);
            }
        }
        prev = Some(Prev {
            index: i,
            end,
            closed,
            marks: header.has_durable_marks(),
        });
    }
    Ok(out)
}

/// Where the segment after `prev` starts: at its end if it is closed (or of a format without
/// closing records); after the closing record a roll-over was about to append, if not.
fn successor_of(prev: &Prev) -> Lsn {
    if prev.marks && !prev.closed {
        Lsn(prev.end.0 + RECORD_HEADER_LEN as u64)
    } else {
        prev.end
    }
}

/// The segment appends go to when the log ends with `prev`: it, unless it is closed.
fn open_tail(prev: &Option<Prev>) -> Option<usize> {
    prev.as_ref().filter(|p| !p.closed).map(|p| p.index)
}

/// Reads a whole segment file.
fn read_segment(vfs: &dyn Vfs, path: &Path) -> Result<Vec<u8>> {
    let file = vfs
        .open(path, OpenMode::ReadOnly)
        .map_err(|e| Error::io("opening WAL segment", path, e))?;
    let len = file
        .len()
        .map_err(|e| Error::io("reading length of", path, e))?;
    if len > MAX_SEGMENT_FILE {
        return Err(Error::WalCorruption {
            path: path.to_path_buf(),
            lsn: Lsn(0),
            detail: format!(
                "segment file is {len} bytes, more than any segment ({MAX_SEGMENT_FILE})"
            ),
        });
    }
    let mut data = vec![0u8; len as usize];
    file.read_at(&mut data, 0)
        .map_err(|e| Error::io("reading WAL segment", path, e))?;
    Ok(data)
}

/// The largest segment file recovery reads (segments are created at most this large).
pub const MAX_SEGMENT_FILE: u64 = 4 << 30;

/// Decodes a segment's header and checks it against the first LSN its name gives.
fn decode_header(data: &[u8], first: Lsn) -> std::result::Result<SegmentHeader, String> {
    let bytes: [u8; SEGMENT_HEADER_LEN as usize] = data
        .get(..SEGMENT_HEADER_LEN as usize)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            format!(
                "the file is {} bytes, shorter than a segment header",
                data.len()
            )
        })?;
    let header = SegmentHeader::decode(&bytes)?;
    if header.first_lsn != first {
        return Err(format!(
            "the header says the segment starts at {}, its name says {first}",
            header.first_lsn
        ));
    }
    Ok(header)
}

/// A missing-segment damage at the start of the log (nothing is readable).
fn missing(scan: &LogScan, at: PathBuf, lsn: Lsn, detail: String, move_from: usize) -> Outcome {
    Outcome::Damaged {
        damage: Box::new(WalDamage {
            kind: DamageKind::MissingSegment,
            segment: at,
            lsn,
            offset: 0,
            detail,
            unreadable_bytes: 0,
            records_after: 0,
            last_lsn_after: None,
            later_segments: scan.segments.len().saturating_sub(move_from) as u64,
            commits_before: scan.txns.len() as u64,
        }),
        cut: SalvageCut::moving(move_from),
    }
}

/// Builds a damage outcome for segment `i`, counting the intact records after it: `pr` (in
/// segment `i` itself) plus every record readable in later segments.
#[allow(clippy::too_many_arguments)]
fn damaged(
    scan: &LogScan,
    vfs: &dyn Vfs,
    i: usize,
    kind: DamageKind,
    lsn: Lsn,
    offset: u64,
    detail: String,
    unreadable_bytes: u64,
    pr: super::damage::Probe,
    cut: SalvageCut,
) -> Result<Outcome> {
    let mut records = pr.records;
    let mut last = pr.last_end;
    for seg in scan.segments.iter().skip(i + 1) {
        let data = read_segment(vfs, &seg.path)?;
        let header = SegmentHeader::new(0, seg.first, 0);
        let later = probe(&data, &header, SEGMENT_HEADER_LEN as usize);
        records += later.records;
        last = later.last_end.or(last);
    }
    Ok(Outcome::Damaged {
        damage: Box::new(WalDamage {
            kind,
            // `i` names a segment of the scan (the damaged one).
            segment: scan
                .segments
                .get(i)
                .map(|s| s.path.clone())
                .unwrap_or_default(),
            lsn,
            offset,
            detail,
            unreadable_bytes,
            records_after: records,
            last_lsn_after: last,
            later_segments: scan.segments.len().saturating_sub(i + 1) as u64,
            commits_before: scan.txns.len() as u64,
        }),
        cut,
    })
}

/// Reads the records of one segment from byte `from` on, collecting committed transactions
/// that end after `checkpoint`.
fn scan_segment(
    data: &[u8],
    header: &SegmentHeader,
    from: u64,
    checkpoint: Lsn,
    path: &Path,
    chunks: &mut HashMap<TxnId, Vec<u8>>,
    txns: &mut Vec<RecoveredTxn>,
) -> Result<Stop> {
    let first = header.first_lsn;
    let mut offset = from as usize;
    loop {
        let lsn = Lsn(first.0 + (offset as u64 - SEGMENT_HEADER_LEN));
        let rest = data.get(offset..).unwrap_or(&[]);
        if rest.is_empty() {
            return Ok(Stop::Clean(lsn));
        }
        let frame = match read_frame(rest, lsn) {
            Ok(f) => f,
            Err(FrameError::End) if rest.iter().all(|&b| b == 0) => return Ok(Stop::Clean(lsn)),
            Err(FrameError::End) => {
                return Ok(Stop::Bad(
                    lsn,
                    offset as u64,
                    "a zero record header followed by written bytes".into(),
                ));
            }
            Err(FrameError::Partial) => {
                return Ok(Stop::Bad(lsn, offset as u64, "a partial record".into()));
            }
            Err(FrameError::Invalid(why)) => return Ok(Stop::Bad(lsn, offset as u64, why)),
        };
        offset += frame.len;
        let end = Lsn(lsn.0 + frame.len as u64);
        if frame.kind == RecordKind::SegmentEnd {
            return Ok(Stop::Closed(end));
        }
        if end <= checkpoint {
            continue;
        }
        let bad = |detail: String| Error::WalCorruption {
            path: path.to_path_buf(),
            lsn,
            detail,
        };
        let (txn, body) = split_txn(frame.payload).map_err(bad)?;
        match frame.kind {
            RecordKind::TxnChunk => chunks.entry(txn).or_default().extend_from_slice(body),
            RecordKind::Commit => {
                let (mut body, trailer) = split_commit_trailer(body, header).map_err(bad)?;
                let count = get_varint(&mut body).map_err(bad)?;
                let ops = match chunks.remove(&txn) {
                    Some(mut stream) => {
                        stream.extend_from_slice(body);
                        decode_ops(&stream, count)
                    }
                    None => decode_ops(body, count),
                }
                .map_err(|e| bad(format!("{txn}: {e}")))?;
                txns.push(RecoveredTxn {
                    txn,
                    lsn: end,
                    commit_time: trailer.time,
                    ops,
                });
            }
            RecordKind::SegmentEnd => {}
        }
    }
}
