//! Command-line options shared by several commands: the database a command opens and the WAL
//! mode as a command-line value.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use lightning_db::wal::WalMode;

/// Options shared by the commands that open a database.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// The database directory.
    pub db: PathBuf,
    /// WAL durability mode: `standard` fsyncs every commit; `unified` shares fsyncs between
    /// concurrent committers (group commit).
    #[arg(long, value_enum, default_value_t = Mode::Standard, global = true)]
    pub wal_mode: Mode,
    /// Page cache budget in MiB.
    #[arg(long, default_value_t = 64, global = true)]
    pub cache_mb: usize,
    /// WAL archive directory: closed WAL segments are copied there before they are recycled
    /// (for `ldb restore --wal-archive`, point-in-time restore).
    #[arg(long, value_name = "DIR", global = true)]
    pub wal_archive: Option<PathBuf>,
}

/// WAL mode as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    /// One fsync per commit.
    Standard,
    /// Group commit.
    Unified,
}

impl Mode {
    /// The library's WAL mode.
    pub fn wal_mode(self) -> WalMode {
        match self {
            Mode::Standard => WalMode::Standard,
            Mode::Unified => WalMode::Unified,
        }
    }

    /// The mode's name in metric names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Standard => "standard",
            Mode::Unified => "unified",
        }
    }
}
