//! [`WalDamage`]: what write-ahead log recovery reports when the log is damaged rather than torn.
//!
//! A torn tail (the last write of a crashed process, never acknowledged) may be cut. Anything
//! else — a damaged segment header, a missing or truncated segment, a bad record followed by
//! records written after it was durable — is media damage: recovery refuses to open and says
//! how much is unreadable and what lies after it.
//!
//! The type lives beside [`Error`](super::Error), which carries it, so that the error module
//! depends on nothing above it; `wal::recovery` builds it and re-exports it.

use std::fmt;
use std::path::PathBuf;

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
