//! The migrations folder: `NNNN_name.up.sql` / `NNNN_name.down.sql` pairs, read and hashed.
//!
//! Rules: a file whose name ends in `.sql` must be named `<version>_<name>.up.sql` or
//! `<version>_<name>.down.sql`, where `<version>` is decimal digits (leading zeros allowed,
//! value ≥ 1) and `<name>` is letters, digits, `_` and `-`. Other files (a README, hidden files)
//! and sub-folders are ignored. Every version has exactly one up file; a down file is optional
//! but must have the same version and name as an up file. Each file's SHA-256 is over its exact
//! bytes; its text must be UTF-8.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::{MigrateError, Result};

/// One file of a migration: where it is, its text and the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlFile {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// SHA-256 of its bytes.
    pub sha256: [u8; 32],
}

/// One version: its up file and, if there is one, its down file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// The version (from the file name).
    pub version: u64,
    /// The name (from the file name, between `_` and `.up.sql`).
    pub name: String,
    /// The up file.
    pub up: SqlFile,
    /// The down file, if there is one.
    pub down: Option<SqlFile>,
}

/// Every migration of a folder, by version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationSet {
    /// The folder.
    pub dir: PathBuf,
    /// The migrations, by version.
    pub migrations: BTreeMap<u64, Migration>,
}

impl MigrationSet {
    /// The migration with version `version`.
    pub fn get(&self, version: u64) -> Option<&Migration> {
        self.migrations.get(&version)
    }

    /// The highest version, 0 when the folder has none.
    pub fn latest(&self) -> u64 {
        self.migrations.keys().next_back().copied().unwrap_or(0)
    }
}

/// Which half of a migration a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `.up.sql`.
    Up,
    /// `.down.sql`.
    Down,
}

/// A parsed file name: version, name, direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName {
    /// The version.
    pub version: u64,
    /// The name.
    pub name: String,
    /// Up or down.
    pub direction: Direction,
}

/// Parses a migration file name (`0003_add_email.up.sql`); `Err` says what is wrong.
pub fn parse_name(file: &str) -> std::result::Result<FileName, String> {
    let expected = "expected NNNN_name.up.sql or NNNN_name.down.sql";
    let (stem, direction) = if let Some(s) = file.strip_suffix(".up.sql") {
        (s, Direction::Up)
    } else if let Some(s) = file.strip_suffix(".down.sql") {
        (s, Direction::Down)
    } else {
        return Err(format!("not .up.sql or .down.sql ({expected})"));
    };
    let Some((digits, name)) = stem.split_once('_') else {
        return Err(format!(
            "no `_` between the version and the name ({expected})"
        ));
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the version `{digits}` is not decimal digits ({expected})"
        ));
    }
    let version: u64 = digits
        .parse()
        .map_err(|_| format!("the version `{digits}` does not fit in 64 bits"))?;
    if version == 0 {
        return Err("version 0 is reserved (versions start at 1)".into());
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "the name `{name}` must be letters, digits, `_` or `-` ({expected})"
        ));
    }
    Ok(FileName {
        version,
        name: name.to_string(),
        direction,
    })
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_sql(path: &Path) -> Result<SqlFile> {
    let bytes = std::fs::read(path).map_err(|e| MigrateError::io(path, e))?;
    let sha256 = sha256(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| MigrateError::BadFile {
        path: path.to_path_buf(),
        reason: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    Ok(SqlFile {
        path: path.to_path_buf(),
        text,
        sha256,
    })
}

/// Reads the migrations folder `dir` (see the module docs for the rules).
pub fn read_dir(dir: &Path) -> Result<MigrationSet> {
    let entries = std::fs::read_dir(dir).map_err(|e| MigrateError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MigrateError::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| MigrateError::io(&path, e))?;
        let Some(file) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            if path.extension().is_some_and(|e| e == "sql") {
                return Err(MigrateError::BadFile {
                    path,
                    reason: "the file name is not UTF-8".into(),
                });
            }
            continue;
        };
        if file.starts_with('.') || !file.ends_with(".sql") || file_type.is_dir() {
            continue;
        }
        let parsed = parse_name(&file).map_err(|reason| MigrateError::BadFile {
            path: path.clone(),
            reason,
        })?;
        names.push((parsed, path));
    }
    // Deterministic order, so the same folder always gives the same first error.
    names.sort_by(|a, b| a.1.cmp(&b.1));
    let mut ups: BTreeMap<u64, (String, PathBuf)> = BTreeMap::new();
    let mut downs: BTreeMap<u64, (String, PathBuf)> = BTreeMap::new();
    for (parsed, path) in names {
        let map = match parsed.direction {
            Direction::Up => &mut ups,
            Direction::Down => &mut downs,
        };
        if let Some((_, first)) = map.get(&parsed.version) {
            return Err(MigrateError::DuplicateVersion {
                version: parsed.version,
                first: first.clone(),
                second: path,
            });
        }
        map.insert(parsed.version, (parsed.name, path));
    }
    for (version, (name, path)) in &downs {
        match ups.get(version) {
            Some((up_name, _)) if up_name == name => {}
            _ => {
                return Err(MigrateError::DownWithoutUp {
                    path: path.clone(),
                    expected: dir.join(format!("{}.up.sql", stem_of(path))),
                });
            }
        }
    }
    let mut migrations = BTreeMap::new();
    for (version, (name, up_path)) in ups {
        let up = read_sql(&up_path)?;
        let down = match downs.get(&version) {
            Some((_, p)) => Some(read_sql(p)?),
            None => None,
        };
        migrations.insert(
            version,
            Migration {
                version,
                name,
                up,
                down,
            },
        );
    }
    Ok(MigrationSet {
        dir: dir.to_path_buf(),
        migrations,
    })
}

fn stem_of(path: &Path) -> String {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    file.strip_suffix(".down.sql").unwrap_or(file).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).expect("write a test file");
    }

    #[test]
    fn names_parse_and_bad_ones_say_why() {
        let n = parse_name("0003_add-email.down.sql").expect("valid");
        assert_eq!(
            (n.version, n.name.as_str(), n.direction),
            (3, "add-email", Direction::Down)
        );
        assert!(
            parse_name("0003_x.sql")
                .expect_err("refused")
                .contains("not .up.sql")
        );
        assert!(
            parse_name("0003.up.sql")
                .expect_err("refused")
                .contains("no `_`")
        );
        assert!(
            parse_name("v3_x.up.sql")
                .expect_err("refused")
                .contains("`v3`")
        );
        assert!(
            parse_name("0000_x.up.sql")
                .expect_err("refused")
                .contains("reserved")
        );
        assert!(
            parse_name("0001_a b.up.sql")
                .expect_err("refused")
                .contains("`a b`")
        );
        assert!(
            parse_name("99999999999999999999999_x.up.sql")
                .expect_err("refused")
                .contains("64 bits")
        );
    }

    #[test]
    fn a_folder_reads_in_version_order_with_hashes() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "0002_b.up.sql", "UP B");
        write(dir.path(), "0001_a.up.sql", "UP A");
        write(dir.path(), "0001_a.down.sql", "DOWN A");
        write(dir.path(), "README.md", "ignored");
        let set = read_dir(dir.path()).expect("reads");
        let versions: Vec<u64> = set.migrations.keys().copied().collect();
        assert_eq!(versions, vec![1, 2]);
        let a = set.get(1).expect("version 1");
        assert_eq!(a.up.sha256, sha256(b"UP A"));
        assert_eq!(a.down.as_ref().map(|d| d.text.as_str()), Some("DOWN A"));
        assert!(set.get(2).expect("version 2").down.is_none());
        assert_eq!(set.latest(), 2);
    }

    #[test]
    fn bad_folders_are_refused_naming_the_file() {
        let cases: &[(&[&str], &str)] = &[
            (&["0001_a.up.sql", "oops.sql"], "oops.sql"),
            (&["0001_a.up.sql", "0001_b.up.sql"], "0001_b.up.sql"),
            (&["0001_a.up.sql", "0002_b.down.sql"], "0002_b.down.sql"),
            (&["0001_a.up.sql", "0001_b.down.sql"], "0001_b.down.sql"),
        ];
        for (files, named) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            for f in *files {
                write(dir.path(), f, "SELECT 1");
            }
            let err = read_dir(dir.path()).expect_err("refused").to_string();
            assert!(
                err.contains(named),
                "{files:?}: `{err}` should name {named}"
            );
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("0001_a.up.sql"), [0x66, 0xff]).expect("write");
        let err = read_dir(dir.path()).expect_err("not utf-8").to_string();
        assert!(
            err.contains("0001_a.up.sql") && err.contains("UTF-8"),
            "{err}"
        );
        let err = read_dir(&dir.path().join("missing")).expect_err("no folder");
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
