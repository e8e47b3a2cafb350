//! [`WalDamage`]: what recovery reports when the log is damaged rather than torn, and the probe
//! that counts the intact records a cut at the damage would throw away.
//!
//! A torn tail (the last write of a crashed process, never acknowledged) may be cut. Anything
//! else — a damaged segment header, a missing or truncated segment, a bad record followed by
//! records written after it was durable — is media damage: recovery refuses to open and says
//! how much is unreadable and what lies after it.

use std::fmt;
use std::path::PathBuf;

use super::super::format::{
    FrameError, RECORD_HEADER_LEN, RecordKind, SEGMENT_HEADER_LEN, SegmentHeader, read_frame,
    split_commit_trailer, split_txn,
};
use crate::types::Lsn;

/// What kind of damage recovery found.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// A segment's header cannot be read (bad magic, checksum, version, or a name that does not
    /// match the header's first LSN).
    Header,
    /// A record cannot be read, yet the log provably went on after it was durable.
    Record,
    /// A segment the log needs is not there (a gap between segments, a closed segment without
    /// its successor, or no segment holding the checkpoint).
    MissingSegment,
    /// A segment file is shorter than it was created.
    Truncated,
}

impl DamageKind {
    /// A short lower-case name: `header`, `record`, `missing-segment`, `truncated`.
    pub fn name(&self) -> &'static str {
        match self {
            DamageKind::Header => "header",
            DamageKind::Record => "record",
            DamageKind::MissingSegment => "missing-segment",
            DamageKind::Truncated => "truncated",
        }
    }
}

/// Media damage in the write-ahead log: durable commits may be unreadable. Recovery refuses to
/// open (nothing is written or deleted) unless salvage mode was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalDamage {
    /// What kind of damage.
    pub kind: DamageKind,
    /// The segment file at fault (for a missing segment: the one before the gap, or the WAL
    /// directory when no segment is left).
    pub segment: PathBuf,
    /// The LSN where the unreadable part starts (the end of the last readable record).
    pub lsn: Lsn,
    /// The file offset in `segment` where it starts.
    pub offset: u64,
    /// What is wrong, in words.
    pub detail: String,
    /// Bytes that cannot be read, from `offset` to the next intact record (or the end of the
    /// written part of the segment).
    pub unreadable_bytes: u64,
    /// Intact records found after the damage, in this and later segments: what cutting the log
    /// at the damage would throw away.
    pub records_after: u64,
    /// The end LSN of the last intact record found after the damage.
    pub last_lsn_after: Option<Lsn>,
    /// Segment files after the damaged one.
    pub later_segments: u64,
    /// Committed transactions readable before the damage (what salvage keeps).
    pub commits_before: u64,
}

impl WalDamage {
    /// What is damaged and how much, without the advice [`fmt::Display`] adds.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "write-ahead log damaged ({}) in {} at {} (byte {}): {}; {} bytes unreadable, {} \
             intact records after them",
            self.kind.name(),
            self.segment.display(),
            self.lsn,
            self.offset,
            self.detail,
            self.unreadable_bytes,
            self.records_after
        );
        if let Some(last) = self.last_lsn_after {
            out.push_str(&format!(" (up to {last})"));
        }
        if self.later_segments > 0 {
            out.push_str(&format!(
                " in this and {} later segment files",
                self.later_segments
            ));
        }
        out
    }
}

impl fmt::Display for WalDamage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keeps = if self.kind == DamageKind::Header && self.records_after > 0 {
            format!(
                "keeps the {} commits before the damage and those behind the header whose \
                 records still read",
                self.commits_before
            )
        } else {
            format!(
                "keeps the {} commits before the damage",
                self.commits_before
            )
        };
        write!(
            f,
            "{}. Nothing was changed. Salvage mode (`ldb recover --salvage`) {keeps}, and moves \
             the damaged files aside",
            self.summary()
        )
    }
}

/// Intact records found by [`probe`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// Intact records found.
    pub records: u64,
    /// The offset of the first one (relative to the buffer given), if any.
    pub first_offset: Option<usize>,
    /// The end LSN of the last one.
    pub last_end: Option<Lsn>,
    /// The highest durable mark among them: a Commit record's mark, or a closing record's own
    /// LSN (it is written only once everything before it is durable).
    pub max_durable: Option<Lsn>,
    /// The end offset of the last non-zero byte at or after the start (relative to the buffer).
    pub written_end: usize,
}

/// Looks for intact records in `data` (a whole segment file) at or after byte `from`, at any
/// offset: a record is intact when its length is sane, its LSN field equals its position and
/// its checksum matches, so a false match is as unlikely as a CRC32C collision at a position
/// that also carries the right LSN.
pub fn probe(data: &[u8], header: &SegmentHeader, from: usize) -> Probe {
    let first = header.first_lsn.0;
    let header_len = SEGMENT_HEADER_LEN as usize;
    let mut out = Probe {
        written_end: data
            .iter()
            .rposition(|&b| b != 0)
            .map_or(from, |i| (i + 1).max(from)),
        ..Probe::default()
    };
    let mut at = from.max(header_len);
    while at + RECORD_HEADER_LEN <= out.written_end.min(data.len()) {
        let lsn = Lsn(first + (at - header_len) as u64);
        let claims = data
            .get(at + 8..at + 16)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes);
        if claims != Some(lsn.0) {
            at += 1;
            continue;
        }
        let Some(rest) = data.get(at..) else { break };
        match read_frame(rest, lsn) {
            Ok(frame) => {
                out.records += 1;
                out.first_offset.get_or_insert(at);
                let end = Lsn(lsn.0 + frame.len as u64);
                out.last_end = Some(end);
                let mark = match frame.kind {
                    RecordKind::SegmentEnd => Some(lsn),
                    RecordKind::Commit => split_txn(frame.payload)
                        .ok()
                        .and_then(|(_, body)| split_commit_trailer(body, header).ok())
                        .and_then(|(_, t)| t.durable),
                    RecordKind::TxnChunk => None,
                };
                if let Some(m) = mark {
                    out.max_durable = Some(out.max_durable.map_or(m, |d| d.max(m)));
                }
                at += frame.len;
            }
            Err(FrameError::End | FrameError::Partial | FrameError::Invalid(_)) => at += 1,
        }
    }
    out
}
