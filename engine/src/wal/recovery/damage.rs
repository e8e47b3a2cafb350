//! The probe that counts the intact records a cut at the damage would throw away, and the
//! damage report itself ([`WalDamage`], defined beside the error that carries it).
#![deny(clippy::indexing_slicing)]

use super::super::format::{
    FrameError, RECORD_HEADER_LEN, RecordKind, SEGMENT_HEADER_LEN, SegmentHeader, layout,
    read_frame, split_commit_trailer, split_txn,
};
pub use crate::error::{DamageKind, WalDamage};
use crate::types::Lsn;
use crate::util::codec::read_u64_at;

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
        let claims = read_u64_at(data, at + layout::LSN.offset).ok();
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
