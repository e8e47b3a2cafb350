//! Recovery: scan the log from the checkpoint, collect committed transactions, cut the tail.
//!
//! Steps, in order:
//! 1. List `<dir>/*.wal` segments (16-hex-digit first-LSN names) and sort them by first LSN.
//! 2. For each segment: verify its header (magic, version, CRC, name = first LSN, page size) and
//!    that it continues the previous segment exactly; a bad or discontinuous header ends the log.
//! 3. Read records in order; each must have a sane length, its own position as LSN, a known
//!    kind and a matching CRC. A zero header is the preallocated end of a segment (go on to the
//!    next one); anything else that fails ends the log there.
//! 4. Collect transactions whose commit record ends after the checkpoint LSN; chunk records are
//!    held until their commit record arrives, so a partial transaction is never returned.
//! 5. Cut the log at its valid end: zero the rest of that segment, sync it, delete every later
//!    segment and sync the directory, so stale bytes can never be read as records later.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::RecoveredTxn;
use super::format::{
    FrameError, RecordKind, SEGMENT_HEADER_LEN, SEGMENT_VERSION, SegmentHeader, decode_ops,
    get_varint, read_frame, split_commit_time, split_txn,
};
use crate::error::{Error, Result};
use crate::types::{Lsn, TxnId};
use crate::vfs::{OpenMode, Vfs, VfsFile};

/// The file name of the segment whose first LSN is `lsn`.
pub fn segment_name(lsn: Lsn) -> String {
    format!("{:016x}.wal", lsn.0)
}

/// The first LSN a segment file name (`<16 hex digits>.wal`) stands for; `None` for any other
/// name.
pub fn parse_segment_name(path: &Path) -> Option<Lsn> {
    let name = path.file_name()?.to_str()?;
    let hex = name.strip_suffix(".wal")?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(Lsn)
}

/// What recovery found.
pub struct Recovery {
    /// Committed transactions after the checkpoint, in log order.
    pub txns: Vec<RecoveredTxn>,
    /// Surviving segments (first LSN, path), sorted; the last one is where appends go.
    pub segments: Vec<(Lsn, PathBuf)>,
    /// The open file of the last segment, if any segment survived.
    pub tail: Option<Box<dyn VfsFile>>,
    /// The end of the valid log: where the next record goes.
    pub end: Lsn,
    /// Whether a torn or corrupt tail was cut off.
    pub truncated: bool,
    /// The format version of the last surviving segment (where appends would go).
    pub tail_version: u32,
}

enum Stop {
    /// Clean end of a segment's records (zero header or end of file).
    Clean(Lsn),
    /// A torn or corrupt record at this LSN and file offset.
    Cut(Lsn, u64),
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::io(op, path, e)
}

/// Scans the log in `dir` (see the module doc). Records ending at or before `checkpoint` are
/// validated but not returned.
pub fn recover(vfs: &dyn Vfs, dir: &Path, page_size: u32, checkpoint: Lsn) -> Result<Recovery> {
    let mut found: Vec<(Lsn, PathBuf)> = vfs
        .read_dir(dir)
        .map_err(io_err("listing", dir))?
        .into_iter()
        .filter_map(|p| parse_segment_name(&p).map(|l| (l, p)))
        .collect();
    found.sort();

    let mut txns = Vec::new();
    let mut chunks: HashMap<TxnId, Vec<u8>> = HashMap::new();
    let mut kept: Vec<(Lsn, PathBuf)> = Vec::new();
    let mut tail: Option<Box<dyn VfsFile>> = None;
    let mut end: Option<Lsn> = None;
    let mut tail_version = SEGMENT_VERSION;
    let mut cut: Option<(usize, Option<u64>)> = None; // (first segment index to drop, offset to zero from in the previous)

    for (i, (first, path)) in found.iter().enumerate() {
        let file = vfs
            .open(path, OpenMode::Existing)
            .map_err(io_err("opening WAL segment", path))?;
        let len = file.len().map_err(io_err("reading length of", path))?;
        let mut hb = [0u8; SEGMENT_HEADER_LEN as usize];
        let header = if len < SEGMENT_HEADER_LEN {
            Err("segment shorter than its header".to_string())
        } else {
            file.read_at(&mut hb, 0)
                .map_err(io_err("reading WAL header of", path))?;
            SegmentHeader::decode(&hb)
        };
        let header = match header {
            Ok(h) if h.first_lsn == *first && end.is_none_or(|e| e == *first) => h,
            // A torn header (a crash while creating the segment) or a segment that does not
            // continue the previous one: the log ends before it.
            _ => {
                cut = Some((i, None));
                break;
            }
        };
        if header.page_size != page_size {
            return Err(Error::WalCorruption {
                path: path.clone(),
                lsn: *first,
                detail: format!(
                    "segment belongs to a database with page size {}, expected {page_size}",
                    header.page_size
                ),
            });
        }
        if i == 0 && *first > checkpoint {
            return Err(Error::WalCorruption {
                path: path.clone(),
                lsn: *first,
                detail: format!(
                    "log starts after the checkpoint at {checkpoint}: segments are missing"
                ),
            });
        }
        kept.push((*first, path.clone()));
        tail_version = header.version;
        // Segments wholly before the checkpoint hold nothing to redo: skip their records.
        let next_first = found.get(i + 1).map(|(l, _)| *l);
        if next_first.is_some_and(|n| n <= checkpoint) {
            end = next_first;
            continue;
        }
        let mut data = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
        file.read_at(&mut data, 0)
            .map_err(io_err("reading WAL segment", path))?;
        let stop = scan_segment(&data, &header, checkpoint, path, &mut chunks, &mut txns)?;
        tail = Some(file);
        match stop {
            Stop::Clean(at) => end = Some(at),
            Stop::Cut(at, offset) => {
                end = Some(at);
                cut = Some((i + 1, Some(offset)));
                break;
            }
        }
    }

    let end = end.unwrap_or(checkpoint);
    if !kept.is_empty() && end < checkpoint {
        let path = kept.last().map(|(_, p)| p.clone()).unwrap_or_default();
        return Err(Error::WalCorruption {
            path,
            lsn: end,
            detail: format!("log ends before the checkpoint at {checkpoint}"),
        });
    }
    let mut truncated = false;
    if let Some((drop_from, zero_from)) = cut {
        truncated = true;
        if let (Some(offset), Some(file)) = (zero_from, tail.as_ref()) {
            let path = &kept.last().map(|(_, p)| p.clone()).unwrap_or_default();
            zero_tail(file.as_ref(), offset, path)?;
        }
        for (_, path) in &found[drop_from..] {
            vfs.remove_file(path)
                .map_err(io_err("removing WAL segment", path))?;
        }
        vfs.sync_dir(dir)
            .map_err(io_err("syncing directory", dir))?;
    }
    if tail.is_none()
        && let Some((_, path)) = kept.last()
    {
        tail = Some(
            vfs.open(path, OpenMode::Existing)
                .map_err(io_err("opening WAL segment", path))?,
        );
    }
    Ok(Recovery {
        txns,
        segments: kept,
        tail,
        end,
        truncated,
        tail_version,
    })
}

/// Overwrites `file` with zeros from `offset` to its end and syncs it.
fn zero_tail(file: &dyn VfsFile, offset: u64, path: &Path) -> Result<()> {
    let len = file.len().map_err(io_err("reading length of", path))?;
    let zeros = vec![0u8; 1 << 20];
    let mut at = offset;
    while at < len {
        let n = (len - at).min(zeros.len() as u64) as usize;
        file.write_at(&zeros[..n], at)
            .map_err(io_err("zeroing WAL tail of", path))?;
        at += n as u64;
    }
    file.sync().map_err(io_err("syncing", path))
}

fn scan_segment(
    data: &[u8],
    header: &SegmentHeader,
    checkpoint: Lsn,
    path: &Path,
    chunks: &mut HashMap<TxnId, Vec<u8>>,
    txns: &mut Vec<RecoveredTxn>,
) -> Result<Stop> {
    let first = header.first_lsn;
    let mut offset = SEGMENT_HEADER_LEN as usize;
    loop {
        let lsn = Lsn(first.0 + (offset as u64 - SEGMENT_HEADER_LEN));
        let rest = data.get(offset..).unwrap_or(&[]);
        if rest.is_empty() {
            return Ok(Stop::Clean(lsn));
        }
        let frame = match read_frame(rest, lsn) {
            Ok(f) => f,
            Err(FrameError::End) => {
                // A zero header is the end only if nothing after it was written; otherwise a
                // torn write left later sectors behind, and the tail must be cut.
                return Ok(if rest.iter().all(|&b| b == 0) {
                    Stop::Clean(lsn)
                } else {
                    Stop::Cut(lsn, offset as u64)
                });
            }
            Err(FrameError::Partial | FrameError::Invalid(_)) => {
                return Ok(Stop::Cut(lsn, offset as u64));
            }
        };
        offset += frame.len;
        let end = Lsn(lsn.0 + frame.len as u64);
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
                let (mut body, commit_time) =
                    split_commit_time(body, header.has_commit_time()).map_err(bad)?;
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
                    commit_time,
                    ops,
                });
            }
        }
    }
}
