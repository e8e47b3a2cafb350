//! A transaction's own uncommitted writes, and reads that see them.
//!
//! Writes are buffered in a [`WriteSet`] (an ordered map from key to new value, `None` for a
//! delete) until commit, when they become one atomic batch. Reads consult the write set first:
//! a point read returns the transaction's own write if there is one, and a range scan
//! ([`MergedRange`]) merges the write set's entries in the range into the committed scan — an
//! own put replaces or inserts a key, an own delete hides it.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::Result;
use crate::txn::lock::KeyRange;
use crate::wal::Op;

/// Uncommitted writes, by key (the last write to a key wins).
#[derive(Debug, Default)]
pub struct WriteSet {
    map: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteSet {
    /// Records `key = value`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.map.insert(key.to_vec(), Some(value.to_vec()));
    }

    /// Records `key = value` for every pair (a later pair wins over an earlier one with the
    /// same key, as with [`put`](Self::put)). Already-sorted pairs are merged in one pass.
    pub fn put_all(&mut self, pairs: Vec<(Vec<u8>, Vec<u8>)>) {
        let mut other: BTreeMap<Vec<u8>, Option<Vec<u8>>> =
            pairs.into_iter().map(|(k, v)| (k, Some(v))).collect();
        self.map.append(&mut other);
    }

    /// Records the deletion of `key`.
    pub fn delete(&mut self, key: &[u8]) {
        self.map.insert(key.to_vec(), None);
    }

    /// The transaction's own write to `key`: `None` if it did not write it, `Some(None)` if it
    /// deleted it, `Some(Some(value))` if it put it.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.map.get(key).map(Option::as_deref)
    }

    /// Number of distinct keys written.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The writes inside `(from, to)`, in scan order (descending if `reverse`).
    pub fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        if bounds_empty(from, to) {
            return Vec::new();
        }
        let it = self
            .map
            .range::<[u8], _>((from, to))
            .map(|(k, v)| (k.clone(), v.clone()));
        if reverse {
            it.rev().collect()
        } else {
            it.collect()
        }
    }

    /// The writes as commit operations, ascending by key.
    pub fn into_ops(self) -> Vec<Op> {
        self.map
            .into_iter()
            .map(|(key, value)| match value {
                Some(value) => Op::Put { key, value },
                None => Op::Delete { key },
            })
            .collect()
    }
}

/// Whether no key can lie between `from` and `to` (a range the B-tree map would reject).
pub fn bounds_empty(from: Bound<&[u8]>, to: Bound<&[u8]>) -> bool {
    match (from, to) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}

/// The half-open lock range `[start, end)` covering exactly the keys in `(from, to)`, or `None`
/// if the bounds hold no key. (Keys are non-empty, so the empty key is below every key; the key
/// right after `k` is `k` followed by a zero byte.)
pub fn lock_range(from: Bound<&[u8]>, to: Bound<&[u8]>) -> Option<KeyRange> {
    if bounds_empty(from, to) {
        return None;
    }
    let start = match from {
        Bound::Included(a) => a.to_vec(),
        Bound::Excluded(a) => successor(a),
        Bound::Unbounded => Vec::new(),
    };
    let end = match to {
        Bound::Included(b) => Some(successor(b)),
        Bound::Excluded(b) => Some(b.to_vec()),
        Bound::Unbounded => None,
    };
    KeyRange::new(start, end).ok()
}

/// The smallest key greater than `key`.
pub fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = Vec::with_capacity(key.len() + 1);
    next.extend_from_slice(key);
    next.push(0);
    next
}

/// A committed range scan with a transaction's own writes merged in.
pub struct MergedRange<I: Iterator> {
    base: std::iter::Peekable<I>,
    /// The write set's entries in the range, in scan order, consumed from the front.
    own: std::collections::VecDeque<(Vec<u8>, Option<Vec<u8>>)>,
    reverse: bool,
}

impl<I: Iterator<Item = Result<(Vec<u8>, Vec<u8>)>>> MergedRange<I> {
    /// Merges `own` (in scan order) into `base`.
    pub fn new(base: I, own: Vec<(Vec<u8>, Option<Vec<u8>>)>, reverse: bool) -> Self {
        MergedRange {
            base: base.peekable(),
            own: own.into(),
            reverse,
        }
    }
}

impl<I: Iterator<Item = Result<(Vec<u8>, Vec<u8>)>>> Iterator for MergedRange<I> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let base_key = match self.base.peek() {
                Some(Ok((k, _))) => Some(k.as_slice()),
                Some(Err(_)) => return self.base.next(),
                None => None,
            };
            let take_own = match (self.own.front(), base_key) {
                (None, None) => return None,
                (None, Some(_)) => false,
                (Some(_), None) => true,
                (Some((own, _)), Some(base)) => {
                    if own.as_slice() == base {
                        // The own write replaces the committed entry.
                        self.base.next();
                        true
                    } else {
                        // Whether the own key comes first in scan order.
                        (own.as_slice() < base) != self.reverse
                    }
                }
            };
            if !take_own {
                return self.base.next();
            }
            if let Some((key, Some(value))) = self.own.pop_front() {
                return Some(Ok((key, value)));
            }
            // An own delete: hide the key and keep going.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(keys: &[&str]) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> {
        keys.iter()
            .map(|k| Ok((k.as_bytes().to_vec(), b"old".to_vec())))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn collect(it: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>>) -> Vec<(String, String)> {
        it.map(|r| {
            let (k, v) = r.expect("no error");
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn own_writes_replace_insert_and_hide_keys_in_both_directions() {
        let mut ws = WriteSet::default();
        ws.put(b"b", b"new");
        ws.put(b"d", b"new");
        ws.delete(b"c");
        ws.delete(b"z");
        let all = (Bound::Unbounded, Bound::Unbounded);
        let fwd = MergedRange::new(
            base(&["a", "b", "c", "e"]),
            ws.range(all.0, all.1, false),
            false,
        );
        assert_eq!(
            collect(fwd),
            pairs(&[("a", "old"), ("b", "new"), ("d", "new"), ("e", "old")])
        );
        let rev = MergedRange::new(
            base(&["e", "c", "b", "a"]),
            ws.range(all.0, all.1, true),
            true,
        );
        assert_eq!(
            collect(rev),
            pairs(&[("e", "old"), ("d", "new"), ("b", "new"), ("a", "old")])
        );
    }

    #[test]
    fn the_write_set_range_honours_its_bounds() {
        let mut ws = WriteSet::default();
        for k in ["a", "b", "c", "d"] {
            ws.put(k.as_bytes(), b"v");
        }
        let got: Vec<Vec<u8>> = ws
            .range(Bound::Excluded(b"a"), Bound::Included(b"c"), false)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(got, vec![b"b".to_vec(), b"c".to_vec()]);
        assert!(
            ws.range(Bound::Included(b"c"), Bound::Excluded(b"c"), false)
                .is_empty()
        );
        assert!(
            ws.range(Bound::Included(b"d"), Bound::Included(b"a"), false)
                .is_empty()
        );
    }

    #[test]
    fn lock_ranges_cover_exactly_the_keys_in_the_bounds() {
        let r = lock_range(Bound::Excluded(b"a"), Bound::Included(b"c")).expect("non-empty");
        assert!(!r.contains(b"a"));
        assert!(r.contains(b"a\0"));
        assert!(r.contains(b"c"));
        assert!(!r.contains(b"c\0"));
        let all = lock_range(Bound::Unbounded, Bound::Unbounded).expect("non-empty");
        assert!(all.contains(b"\0") && all.contains(b"\xff\xff"));
        assert!(lock_range(Bound::Included(b"b"), Bound::Excluded(b"b")).is_none());
        assert!(lock_range(Bound::Included(b"c"), Bound::Included(b"b")).is_none());
    }
}
