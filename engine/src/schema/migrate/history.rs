//! The applied history: one entry per applied version, stored in the database under
//! `FF 53 03 <version u64 BE>`, each entry's hash chaining to the previous entry's, and a head
//! record under `FF 53 03` (no suffix) holding the count, the last version and the last hash, so
//! a removed last entry is detected as well as an edited or removed middle one.
//!
//! Encoding (little-endian integers, byte for byte in `engine/FORMAT.md`, "Migration history"):
//! see [`Entry::encode`]. `hash` = SHA-256 of every byte of the entry before `hash` (so it
//! covers `prev`). The first entry's `prev` is 32 zero bytes.

use std::fmt;
use std::ops::Bound;

use serde::Serialize;

use crate::db::Transaction;
use crate::util::codec::{Reader, push_u32, push_u64};

use super::error::{MigrateError, Result};
use super::files::{hex, sha256};

/// The 3-byte prefix of every history key.
pub const PREFIX: [u8; 3] = [0xFF, 0x53, 0x03];
/// The key of the head record (the prefix alone).
pub const HEAD_KEY: [u8; 3] = PREFIX;
/// The format byte of entries and of the head record.
const FORMAT: u8 = 1;

/// The key of version `version`'s entry.
pub fn entry_key(version: u64) -> Vec<u8> {
    let mut key = PREFIX.to_vec();
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// How an entry came to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "lowercase")]
pub enum Kind {
    /// Its up file ran.
    Applied,
    /// Marked applied by `baseline` without running.
    Baseline,
    /// Rewritten by `repair`, for this reason.
    Repaired(String),
}

impl Kind {
    fn tag(&self) -> u8 {
        match self {
            Kind::Applied => 1,
            Kind::Baseline => 2,
            Kind::Repaired(_) => 3,
        }
    }

    /// `applied`, `baseline` or `repaired`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Applied => "applied",
            Kind::Baseline => "baseline",
            Kind::Repaired(_) => "repaired",
        }
    }
}

/// One history entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The version.
    pub version: u64,
    /// The migration's name.
    pub name: String,
    /// SHA-256 of the up file's bytes (zeros for a detached entry).
    #[serde(serialize_with = "ser_hex")]
    pub up_sha256: [u8; 32],
    /// SHA-256 of the down file's bytes, if there was one.
    #[serde(serialize_with = "ser_opt_hex")]
    pub down_sha256: Option<[u8; 32]>,
    /// When it was applied: microseconds since the Unix epoch, UTC.
    pub applied_at_us: i64,
    /// How long the up file took, in microseconds.
    pub duration_us: u64,
    /// The catalog digest before.
    #[serde(serialize_with = "ser_hex")]
    pub schema_before: [u8; 32],
    /// The catalog digest after.
    #[serde(serialize_with = "ser_hex")]
    pub schema_after: [u8; 32],
    /// Applied, baseline or repaired (with the reason).
    pub kind: Kind,
    /// No file is expected for it any more (a baseline marker, or accepted by `repair` after
    /// its file was removed).
    pub detached: bool,
    /// The previous entry's hash (zeros for the first).
    #[serde(serialize_with = "ser_hex")]
    pub prev: [u8; 32],
    /// SHA-256 of the encoding up to and including `prev`.
    #[serde(serialize_with = "ser_hex")]
    pub hash: [u8; 32],
}

fn ser_hex<S: serde::Serializer>(d: &[u8; 32], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex(d))
}

fn ser_opt_hex<S: serde::Serializer>(
    d: &Option<[u8; 32]>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&hex(d)),
        None => s.serialize_none(),
    }
}

impl Entry {
    /// The encoding up to and including `prev` (what `hash` covers).
    fn body(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        push_u64(&mut out, self.version);
        push_str(&mut out, &self.name);
        out.extend_from_slice(&self.up_sha256);
        out.push(u8::from(self.down_sha256.is_some()));
        out.extend_from_slice(&self.down_sha256.unwrap_or([0; 32]));
        push_u64(&mut out, self.applied_at_us as u64);
        push_u64(&mut out, self.duration_us);
        out.extend_from_slice(&self.schema_before);
        out.extend_from_slice(&self.schema_after);
        out.push(self.kind.tag());
        push_str(
            &mut out,
            match &self.kind {
                Kind::Repaired(r) => r,
                _ => "",
            },
        );
        out.push(u8::from(self.detached));
        out.extend_from_slice(&self.prev);
        out
    }

    /// The hash this entry's fields give.
    pub fn compute_hash(&self) -> [u8; 32] {
        sha256(&self.body())
    }

    /// Sets `prev` and recomputes `hash`.
    pub fn link(&mut self, prev: [u8; 32]) {
        self.prev = prev;
        self.hash = self.compute_hash();
    }

    /// The stored value: [`body`](Self::compute_hash) followed by the 32-byte `hash`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.body();
        out.extend_from_slice(&self.hash);
        out
    }

    /// Decodes a stored value; `Err` says where it is malformed.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Entry, String> {
        let mut r = Reader::new(bytes);
        let e = |e: crate::util::codec::DecodeError| e.to_string();
        let format = r.u8().map_err(e)?;
        if format != FORMAT {
            return Err(format!("unknown format byte {format} (expected {FORMAT})"));
        }
        let version = r.u64().map_err(e)?;
        let name = read_str(&mut r)?;
        let up_sha256 = read32(&mut r)?;
        let has_down = read_bool(&mut r, "has-down flag")?;
        let down = read32(&mut r)?;
        let applied_at_us = r.u64().map_err(e)? as i64;
        let duration_us = r.u64().map_err(e)?;
        let schema_before = read32(&mut r)?;
        let schema_after = read32(&mut r)?;
        let tag = r.u8().map_err(e)?;
        let reason = read_str(&mut r)?;
        let kind = match tag {
            1 => Kind::Applied,
            2 => Kind::Baseline,
            3 => Kind::Repaired(reason),
            t => return Err(format!("unknown kind {t} (expected 1, 2 or 3)")),
        };
        let detached = read_bool(&mut r, "detached flag")?;
        let prev = read32(&mut r)?;
        let hash = read32(&mut r)?;
        if !r.is_empty() {
            return Err(format!("{} trailing bytes", r.remaining()));
        }
        Ok(Entry {
            version,
            name,
            up_sha256,
            down_sha256: has_down.then_some(down),
            applied_at_us,
            duration_us,
            schema_before,
            schema_after,
            kind,
            detached,
            prev,
            hash,
        })
    }
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    push_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn read_str(r: &mut Reader<'_>) -> std::result::Result<String, String> {
    let len = r.u32().map_err(|e| e.to_string())? as usize;
    let bytes = r.bytes(len).map_err(|e| e.to_string())?;
    String::from_utf8(bytes.to_vec()).map_err(|_| "a text field is not UTF-8".to_string())
}

fn read32(r: &mut Reader<'_>) -> std::result::Result<[u8; 32], String> {
    let b = r.bytes(32).map_err(|e| e.to_string())?;
    let mut out = [0; 32];
    out.copy_from_slice(b);
    Ok(out)
}

fn read_bool(r: &mut Reader<'_>, what: &str) -> std::result::Result<bool, String> {
    match r.u8().map_err(|e| e.to_string())? {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(format!("the {what} is {b} (expected 0 or 1)")),
    }
}

/// The head record: how many entries, the last version and the last hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Number of entries.
    pub count: u64,
    /// The last entry's version (0 when empty).
    pub last_version: u64,
    /// The last entry's hash (zeros when empty).
    pub last_hash: [u8; 32],
}

impl Head {
    /// The head of an empty history.
    pub const EMPTY: Head = Head {
        count: 0,
        last_version: 0,
        last_hash: [0; 32],
    };

    /// `format u8 | count u64 | last_version u64 | last_hash [32]` (49 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        push_u64(&mut out, self.count);
        push_u64(&mut out, self.last_version);
        out.extend_from_slice(&self.last_hash);
        out
    }

    fn decode(bytes: &[u8]) -> std::result::Result<Head, String> {
        let mut r = Reader::new(bytes);
        let format = r.u8().map_err(|e| e.to_string())?;
        if format != FORMAT {
            return Err(format!("unknown format byte {format} (expected {FORMAT})"));
        }
        let count = r.u64().map_err(|e| e.to_string())?;
        let last_version = r.u64().map_err(|e| e.to_string())?;
        let last_hash = read32(&mut r)?;
        if !r.is_empty() {
            return Err(format!("{} trailing bytes", r.remaining()));
        }
        Ok(Head {
            count,
            last_version,
            last_hash,
        })
    }
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
