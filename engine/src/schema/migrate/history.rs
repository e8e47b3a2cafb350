//! The applied history: one entry per applied version, stored in the database under
//! `FF 53 03 <version u64 BE>`, each entry's hash chaining to the previous entry's, and a head
//! record under `FF 53 03` (no suffix) holding the count, the last version and the last hash, so
//! a removed last entry is detected as well as an edited or removed middle one.
//!
//! The encoding is [`super::entry`]. The first entry's `prev` is 32 zero bytes.

use std::fmt;
use std::ops::Bound;

use serde::Serialize;

use crate::db::Transaction;

pub use super::entry::{Entry, Head, Kind};
use super::error::{MigrateError, Result};
use super::files::hex;

/// The 3-byte prefix of every history key.
pub const PREFIX: [u8; 3] = [0xFF, 0x53, 0x03];
/// The key of the head record (the prefix alone).
pub const HEAD_KEY: [u8; 3] = PREFIX;

/// The key of version `version`'s entry.
pub fn entry_key(version: u64) -> Vec<u8> {
    let mut key = PREFIX.to_vec();
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// One problem with the stored chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainFinding {
    /// The version concerned (0 for the head record or a key outside the layout).
    pub version: u64,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for ChainFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.version == 0 {
            write!(f, "migration history: {}", self.problem)
        } else {
            write!(
                f,
                "migration history version {}: {}",
                self.version, self.problem
            )
        }
    }
}

/// The history as stored, with the problems found reading it.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The entries that decoded, by version.
    pub entries: Vec<Entry>,
    /// The head record, if present and decodable.
    pub head: Option<Head>,
    /// Everything wrong with the chain (empty when it is intact).
    pub findings: Vec<ChainFinding>,
}

impl History {
    /// The entry for `version`.
    pub fn get(&self, version: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.version == version)
    }

    /// The last entry's version, 0 when empty.
    pub fn latest(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.version)
    }

    /// The head an intact chain of these entries has.
    pub fn expected_head(&self) -> Head {
        match self.entries.last() {
            Some(last) => Head {
                count: self.entries.len() as u64,
                last_version: last.version,
                last_hash: last.hash,
            },
            None => Head::EMPTY,
        }
    }

    /// `Err(BrokenChain)` unless the chain is intact.
    pub fn require_intact(self) -> Result<History> {
        if self.findings.is_empty() {
            Ok(self)
        } else {
            Err(MigrateError::BrokenChain(self.findings))
        }
    }
}

/// Reads the history as `txn` sees it and verifies the chain: every key has the layout, every
/// entry decodes, its key's version is its own, its hash is its fields' hash, its `prev` is the
/// previous entry's hash, and the head record agrees with the last entry. Never fails on bad
/// data: problems are [`History::findings`].
pub fn load(txn: &mut Transaction<'_>) -> Result<History> {
    let mut hi = PREFIX.to_vec();
    hi[2] += 1;
    let mut h = History::default();
    let mut head_bytes = None;
    for item in txn.range(
        Bound::Included(&PREFIX[..]),
        Bound::Excluded(&hi[..]),
        false,
    )? {
        let (key, value) = item?;
        if key.as_slice() == HEAD_KEY {
            head_bytes = Some(value);
            continue;
        }
        let Some(suffix) = key.get(3..).filter(|s| s.len() == 8) else {
            h.findings.push(ChainFinding {
                version: 0,
                problem: format!(
                    "key {} is not a history key (expected FF 53 03 + 8-byte version)",
                    hex(&key)
                ),
            });
            continue;
        };
        let mut be = [0; 8];
        be.copy_from_slice(suffix);
        let version = u64::from_be_bytes(be);
        let entry = match Entry::decode(&value) {
            Ok(e) => e,
            Err(problem) => {
                h.findings.push(ChainFinding {
                    version,
                    problem: format!("entry does not decode: {problem}"),
                });
                continue;
            }
        };
        let prev = h.entries.last().map_or([0; 32], |p: &Entry| p.hash);
        if entry.version != version {
            h.findings.push(ChainFinding {
                version,
                problem: format!(
                    "the entry stored under this key says version {}",
                    entry.version
                ),
            });
        }
        if entry.compute_hash() != entry.hash {
            h.findings.push(ChainFinding {
                version,
                problem: format!(
                    "stored hash {} does not match its contents (which hash to {})",
                    hex(&entry.hash),
                    hex(&entry.compute_hash())
                ),
            });
        }
        if entry.prev != prev {
            h.findings.push(ChainFinding {
                version,
                problem: format!(
                    "prev {} is not the previous entry's hash {} (an entry before it was changed or removed)",
                    hex(&entry.prev),
                    hex(&prev)
                ),
            });
        }
        h.entries.push(entry);
    }
    let expected = h.expected_head();
    match head_bytes.map(|b| Head::decode(&b)) {
        None if expected == Head::EMPTY => {}
        None => h.findings.push(ChainFinding {
            version: 0,
            problem: "the head record is missing but entries exist".into(),
        }),
        Some(Err(problem)) => h.findings.push(ChainFinding {
            version: 0,
            problem: format!("the head record does not decode: {problem}"),
        }),
        Some(Ok(head)) if head != expected => h.findings.push(ChainFinding {
            version: head.last_version,
            problem: format!(
                "the head record says {} entries ending at version {} with hash {}; the chain has {} ending at version {} with hash {} (entries after it were removed or added)",
                head.count,
                head.last_version,
                hex(&head.last_hash),
                expected.count,
                expected.last_version,
                hex(&expected.last_hash)
            ),
        }),
        Some(Ok(head)) => h.head = Some(head),
    }
    Ok(h)
}

/// Takes the exclusive lock on the head record, so migrators serialize on it, and reads the
/// (verified) history.
pub fn lock_and_load(txn: &mut Transaction<'_>) -> Result<History> {
    txn.get_for_update(&HEAD_KEY)?;
    load(txn)?.require_intact()
}

/// Writes `entry` after `history`'s last entry (its `prev` and `hash` are set here) and moves
/// the head. Returns the linked entry.
pub fn append(txn: &mut Transaction<'_>, history: &mut History, mut entry: Entry) -> Result<Entry> {
    if entry.version <= history.latest() {
        return Err(MigrateError::Invalid(format!(
            "version {} cannot follow version {} in the history",
            entry.version,
            history.latest()
        )));
    }
    entry.link(history.expected_head().last_hash);
    txn.put(&entry_key(entry.version), &entry.encode())?;
    history.entries.push(entry.clone());
    txn.put(&HEAD_KEY, &history.expected_head().encode())?;
    Ok(entry)
}

/// Removes the last entry (a reverted migration) and moves the head back to the one before.
pub fn pop(txn: &mut Transaction<'_>, history: &mut History) -> Result<Option<Entry>> {
    let Some(last) = history.entries.pop() else {
        return Ok(None);
    };
    txn.delete(&entry_key(last.version))?;
    txn.put(&HEAD_KEY, &history.expected_head().encode())?;
    Ok(Some(last))
}

/// Replaces the entries with `entries` (same versions or fewer, in order), re-linking the chain
/// from the first entry that changed; used by `repair`.
pub fn rewrite(
    txn: &mut Transaction<'_>,
    history: &mut History,
    entries: Vec<Entry>,
) -> Result<()> {
    for old in &history.entries {
        if !entries.iter().any(|e| e.version == old.version) {
            txn.delete(&entry_key(old.version))?;
        }
    }
    let mut prev = [0; 32];
    let mut linked = Vec::with_capacity(entries.len());
    for mut e in entries {
        e.link(prev);
        prev = e.hash;
        if history.get(e.version) != Some(&e) {
            txn.put(&entry_key(e.version), &e.encode())?;
        }
        linked.push(e);
    }
    history.entries = linked;
    txn.put(&HEAD_KEY, &history.expected_head().encode())?;
    Ok(())
}
