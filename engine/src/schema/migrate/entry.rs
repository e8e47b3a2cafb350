//! The encoding of one migration-history entry and of the head record, byte for byte as
//! `engine/FORMAT.md` ("Migration history") states it: little-endian integers, length-prefixed
//! UTF-8, 32-byte digests; an entry's `hash` is SHA-256 of every byte before it (so it covers
//! `prev`). Decoding trusts nothing: every length, flag and tag is checked.

use serde::Serialize;

use crate::util::codec::{Reader, push_u32, push_u64};

use super::files::{hex, sha256};

/// The format byte of entries and of the head record.
const FORMAT: u8 = 1;

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

    /// Decodes a stored head record; `Err` says where it is malformed.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Head, String> {
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
