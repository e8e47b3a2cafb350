//! Newtype identifiers shared by every layer: page ids, log sequence numbers, transaction ids.
//!
//! They are distinct types so that a page id can never be passed where an LSN is expected. Each is
//! a plain `u64` on disk (little-endian), as `engine/FORMAT.md` documents.

use std::fmt;

/// The number of a page in the data file; page `n` starts at byte `n * page_size`.
/// Page 0 is the file header and is never handed out by the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct PageId(pub u64);

/// A log sequence number: the logical byte position of a record in the write-ahead log.
/// LSNs only grow; `Lsn(0)` means "before any record".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Lsn(pub u64);

/// A transaction id, assigned in increasing order as transactions begin or commit.
/// `TxnId(0)` is reserved for "no transaction".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct TxnId(pub u64);

macro_rules! display_newtype {
    ($t:ty, $prefix:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}
display_newtype!(PageId, "page ");
display_newtype!(Lsn, "lsn ");
display_newtype!(TxnId, "txn ");
