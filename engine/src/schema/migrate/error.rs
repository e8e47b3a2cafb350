//! The migration layer's typed errors: every message names the file, the version or the
//! history entry it is about, and what was expected.

use std::fmt;
use std::path::PathBuf;

use crate::error::Error as EngineError;
use crate::schema::SchemaError;

use super::history::ChainFinding;
use super::plan::Problem;

/// A migration-layer result.
pub type Result<T, E = MigrateError> = std::result::Result<T, E>;

/// What went wrong while reading, planning, applying or verifying migrations.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The storage or transaction layer failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The schema layer refused something outside a migration file (loading the catalog).
    #[error(transparent)]
    Schema(Box<SchemaError>),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A `.sql` file in the migrations folder whose name is not `NNNN_name.up.sql` or
    /// `NNNN_name.down.sql`, or whose bytes are not UTF-8.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// Two up (or two down) files with the same version.
    #[error("version {version} is used by two files: {} and {}", first.display(), second.display())]
    DuplicateVersion {
        /// The version.
        version: u64,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A down file without the up file of the same version and name.
    #[error("{}: a down migration without its up file (expected {})", path.display(), expected.display())]
    DownWithoutUp {
        /// The down file.
        path: PathBuf,
        /// The up file it needs.
        expected: PathBuf,
    },
    /// The files on disk disagree with the applied history (or with each other).
    #[error("refused: {}", Problems(.0))]
    Refused(Vec<Problem>),
    /// The applied history stored in the database is not an intact hash chain.
    #[error("the migration history is damaged: {}", Findings(.0))]
    BrokenChain(Vec<ChainFinding>),
    /// A migration file's SQL failed; its transaction was rolled back (nothing of it applied).
    #[error("{}: {source}", path.display())]
    Script {
        /// The file whose statement failed.
        path: PathBuf,
        /// The schema layer's error (it names the statement's line and column, table, column
        /// or key).
        source: Box<SchemaError>,
    },
    /// A request that cannot be carried out as asked (a target version that does not exist, a
    /// revert of a migration without a down file, a baseline over applied history, …).
    #[error("{0}")]
    Invalid(String),
    /// A template that does not exist, or parameters that do not fit it.
    #[error("template `{template}`: {reason}")]
    Template {
        /// The template's name.
        template: String,
        /// What is wrong and what was expected.
        reason: String,
    },
}

impl From<SchemaError> for MigrateError {
    fn from(e: SchemaError) -> Self {
        MigrateError::Schema(Box::new(e))
    }
}

impl MigrateError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MigrateError::Io {
            path: path.into(),
            source,
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

struct Findings<'a>(&'a [ChainFinding]);

impl fmt::Display for Findings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
