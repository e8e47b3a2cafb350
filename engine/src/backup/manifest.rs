//! `manifest.json`: what a backup holds and how to check it.
//!
//! The manifest is written in one canonical form (pretty JSON, fields in declaration order, a
//! final newline) and carries `checksum`: the sha256 of that canonical form with `checksum`
//! set to the empty string. Reading it checks, in order: size bound, JSON, `format` and
//! `format_version`, that the bytes are exactly the canonical form, and the checksum — so any
//! changed byte of the file is refused.
#![deny(clippy::indexing_slicing)]

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backup::{FORMAT_NAME, FORMAT_VERSION};
use crate::error::{Error, Result};

/// The largest manifest accepted, in bytes (a real one is well under 2 KiB).
pub const MAX_MANIFEST_LEN: u64 = 64 << 10;

/// One file of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// File name inside the backup directory.
    pub name: String,
    /// Length in bytes.
    pub bytes: u64,
    /// sha256 of the contents, lowercase hex.
    pub sha256: String,
}

/// The description of one backup (see `engine/FORMAT.md`, "Backup").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Backup format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// LSN of the commit the backup holds: every commit at or below it, none after.
    pub source_lsn: u64,
    /// Page size of the source database.
    pub page_size: u32,
    /// Number of keys in the backed-up tree.
    pub entry_count: u64,
    /// Root page of the tree (`0` = empty).
    pub root: u64,
    /// A transaction id above every one the backed-up commits used.
    pub next_txn_id: u64,
    /// One more than the largest page id in the stream (the restored file's page count).
    pub source_page_count: u64,
    /// Number of pages in the stream.
    pub pages: u64,
    /// Bytes of source data copied (`pages * page_size`).
    pub source_bytes: u64,
    /// Every file of the backup other than the manifest.
    pub files: Vec<FileEntry>,
    /// sha256 of the canonical manifest with this field empty, lowercase hex.
    pub checksum: String,
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn canonical(m: &Manifest) -> Result<String> {
    let mut s = serde_json::to_string_pretty(m)
        .map_err(|e| Error::InvalidArgument(format!("encoding manifest: {e}")))?;
    s.push('\n');
    Ok(s)
}

fn checksum_of(m: &Manifest) -> Result<String> {
    let mut blank = m.clone();
    blank.checksum = String::new();
    Ok(hex(&Sha256::digest(canonical(&blank)?.as_bytes())))
}

impl Manifest {
    /// The canonical bytes of this manifest with its checksum filled in.
    pub fn encode(&self) -> Result<String> {
        let mut m = self.clone();
        m.checksum = checksum_of(&m)?;
        canonical(&m)
    }

    /// Parses and checks manifest bytes read from `path` (see the module doc).
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        let bad = |detail: String| Error::InvalidBackup {
            path: path.to_path_buf(),
            detail,
        };
        if bytes.len() as u64 > MAX_MANIFEST_LEN {
            return Err(bad(format!(
                "manifest is {} bytes; at most {MAX_MANIFEST_LEN} expected",
                bytes.len()
            )));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            bad(format!(
                "not valid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        match value.get("format") {
            Some(serde_json::Value::String(f)) if f == FORMAT_NAME => {}
            Some(serde_json::Value::String(f)) => {
                return Err(bad(format!(
                    "not a Lightning DB backup: its format is \"{f}\", expected \"{FORMAT_NAME}\""
                )));
            }
            Some(other) => {
                return Err(bad(format!(
                    "not a Lightning DB backup: its format is {other}, expected \"{FORMAT_NAME}\""
                )));
            }
            None => {
                return Err(bad(format!(
                    "not a Lightning DB backup: no \"format\" field (expected \"{FORMAT_NAME}\")"
                )));
            }
        }
        match value.get("format_version") {
            Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
            Some(v) => {
                return Err(bad(format!(
                    "backup format version {v} is not supported (this build reads version {FORMAT_VERSION})"
                )));
            }
            None => {
                return Err(bad(format!(
                    "the manifest has no format_version (this build reads version {FORMAT_VERSION})"
                )));
            }
        }
        let m: Manifest = serde_json::from_value(value)
            .map_err(|e| bad(format!("manifest fields do not match version 1: {e}")))?;
        if canonical(&m)?.as_bytes() != bytes {
            return Err(bad(
                "manifest bytes differ from their canonical form (edited or damaged)".into(),
            ));
        }
        let expected = checksum_of(&m)?;
        if m.checksum != expected {
            return Err(bad(format!(
                "manifest checksum {} does not match its contents ({expected})",
                m.checksum
            )));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            created_at: "2026-01-01T00:00:00Z".into(),
            created_unix_ms: 1,
            source_lsn: 99,
            page_size: 4096,
            entry_count: 3,
            root: 2,
            next_txn_id: 5,
            source_page_count: 3,
            pages: 2,
            source_bytes: 8192,
            files: vec![FileEntry {
                name: "pages.zst".into(),
                bytes: 10,
                sha256: "ab".repeat(32),
            }],
            checksum: String::new(),
        }
    }

    #[test]
    fn round_trips_and_refuses_every_changed_byte() {
        let bytes = sample().encode().expect("encode").into_bytes();
        let p = Path::new("m.json");
        let m = Manifest::decode(p, &bytes).expect("decode");
        assert_eq!(m.source_lsn, 99);
        for i in 0..bytes.len() {
            for delta in [1u8, 0x20, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= delta;
                assert!(
                    Manifest::decode(p, &b).is_err(),
                    "byte {i} ^ {delta:#x} accepted"
                );
            }
        }
    }

    #[test]
    fn wrong_version_is_named() {
        let mut m = sample();
        m.format_version = 7;
        let bytes = m.encode().expect("encode");
        let err = Manifest::decode(Path::new("m.json"), bytes.as_bytes()).expect_err("refused");
        assert!(
            err.to_string()
                .contains("backup format version 7 is not supported (this build reads version 1)"),
            "{err}"
        );
        // Another format altogether is named as such, without Rust debug syntax.
        let text = String::from_utf8(bytes.into_bytes()).expect("utf-8");
        let other = text.replace("lightning-db-backup", "something-else");
        let err = Manifest::decode(Path::new("m.json"), other.as_bytes()).expect_err("refused");
        assert!(
            err.to_string()
                .contains("its format is \"something-else\", expected \"lightning-db-backup\""),
            "{err}"
        );
        assert!(!err.to_string().contains("Some("), "{err}");
    }
}
