//! Applying one commit's logical operations to the copy-on-write tree.
//!
//! Steps:
//! 1. order the operations by key (a stable sort of references, so the batch is not copied),
//!    keeping only the last operation on each key — the batch's own last-write-wins semantics;
//! 2. apply them in key order through one [`TreeWriter`], so each page on the way is copied once
//!    and the pages are visited left to right (a sorted load appends at the right edge, where
//!    the writer packs pages full instead of splitting them in half);
//! 3. finish the writer: the new root and entry count.
//!
//! The same path serves live commits and WAL redo at recovery, so both build the same tree.

use crate::btree::TreeWriter;
use crate::error::Result;
use crate::storage::Storage;
use crate::types::{Lsn, PageId};
use crate::wal::Op;

fn op_key(op: &Op) -> &[u8] {
    op.key()
}

/// The first 8 bytes of `key` as a big-endian number (zero-padded): ordering these orders
/// keys, except that equal prefixes need a full comparison.
fn prefix(key: &[u8]) -> u64 {
    let mut p = [0u8; 8];
    let n = key.len().min(8);
    p[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(p)
}

/// The operations that decide the outcome of `ops`, ascending by key: for every key, only its
/// last operation in `ops` (earlier ones are overwritten within the same commit).
pub(crate) fn last_writes_sorted(ops: &[Op]) -> Vec<&Op> {
    // Each reference carries its key's first 8 bytes (big-endian, zero-padded), which order
    // keys without reading them from the batch unless they tie.
    let mut sorted: Vec<(u64, &Op)> = ops.iter().map(|op| (prefix(op_key(op)), op)).collect();
    // Stable: operations on one key keep their batch order, so the last one is the last.
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| op_key(a.1).cmp(op_key(b.1))));
    let mut out: Vec<&Op> = Vec::with_capacity(sorted.len());
    for (_, op) in sorted {
        match out.last_mut() {
            Some(prev) if op_key(prev) == op_key(op) => *prev = op,
            _ => out.push(op),
        }
    }
    out
}

/// Applies `ops` to the tree at `root`, returning the new root and entry count.
pub(crate) fn apply_ops(
    storage: &Storage,
    root: PageId,
    entries: u64,
    lsn: Lsn,
    ops: &[Op],
) -> Result<(PageId, u64)> {
    apply_sorted(storage, root, entries, lsn, &last_writes_sorted(ops))
}

/// Applies operations already reduced by [`last_writes_sorted`] (ascending, one per key).
pub(crate) fn apply_sorted(
    storage: &Storage,
    root: PageId,
    mut entries: u64,
    lsn: Lsn,
    sorted: &[&Op],
) -> Result<(PageId, u64)> {
    let mut tree = TreeWriter::new(storage, root, lsn);
    for op in sorted {
        match op {
            Op::Put { key, value } => {
                if !tree.put(key, value)? {
                    entries += 1;
                }
            }
            Op::Delete { key } => {
                if tree.delete(key)? {
                    entries = entries.saturating_sub(1);
                }
            }
        }
    }
    Ok((tree.finish()?, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &[u8], v: &[u8]) -> Op {
        Op::Put {
            key: k.to_vec(),
            value: v.to_vec(),
        }
    }

    fn del(k: &[u8]) -> Op {
        Op::Delete { key: k.to_vec() }
    }

    #[test]
    fn keeps_the_last_operation_per_key_in_key_order() {
        let ops = vec![
            put(b"b", b"1"),
            put(b"a", b"1"),
            del(b"b"),
            put(b"c", b"1"),
            put(b"a", b"2"),
            del(b"c"),
            put(b"c", b"3"),
        ];
        let got: Vec<Op> = last_writes_sorted(&ops).into_iter().cloned().collect();
        assert_eq!(got, vec![put(b"a", b"2"), del(b"b"), put(b"c", b"3")]);
    }

    #[test]
    fn keys_sharing_an_eight_byte_prefix_are_ordered_in_full() {
        let ops = vec![
            put(b"abcdefgh\x02", b"1"),
            put(b"abcdefgh", b"1"),
            put(b"abcdefgh\x00", b"1"),
            put(b"abc", b"1"),
            put(b"abc\x00", b"1"),
            put(b"abcdefgh\x01", b"1"),
        ];
        let got: Vec<&[u8]> = last_writes_sorted(&ops).into_iter().map(op_key).collect();
        let want: Vec<&[u8]> = vec![
            b"abc",
            b"abc\x00",
            b"abcdefgh",
            b"abcdefgh\x00",
            b"abcdefgh\x01",
            b"abcdefgh\x02",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn an_empty_batch_stays_empty() {
        assert!(last_writes_sorted(&[]).is_empty());
    }
}
