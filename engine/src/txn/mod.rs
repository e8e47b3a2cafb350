//! Transactions: the machinery between the public database handle and the copy-on-write tree.
//!
//! - [`lock`]: the lock manager — shared/exclusive locks on keys and key ranges owned by
//!   transactions, with deadlock detection at the moment a wait begins.
//! - [`conflicts`]: which keys were committed at which LSN, for `RepeatableRead`'s
//!   first-updater-wins check.
//! - [`write_set`]: a transaction's buffered writes and the merge of them into its reads.
//!
//! The history checker, which drives the public `Database` API from above, is
//! `crate::harness::history`.
//!
//! The transaction itself ([`crate::db::Transaction`]) lives with the database handle it
//! commits through. The design — snapshot isolation for `RepeatableRead`, strict two-phase
//! locking with range locks for `Serializable` — is written down in `engine/TRANSACTIONS.md` and
//! argued in ADR-0005.

pub mod conflicts;
pub mod lock;
pub mod write_set;

/// How strongly a transaction is isolated from concurrent ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum IsolationLevel {
    /// Snapshot isolation: every read sees the database as of the transaction's start (plus its
    /// own writes); writing a key takes its exclusive lock, and writing a key that another
    /// transaction committed after the snapshot fails with [`crate::Error::WriteConflict`]
    /// (first updater wins). Reads never block and are never blocked. Allows write skew
    /// (anomalies G2-item and G2), nothing weaker.
    RepeatableRead,
    /// Strict two-phase locking: reads take shared locks on the keys and key ranges they read
    /// and see the latest committed state; writes take exclusive locks; all are held to the
    /// end. Every execution is equivalent to running the transactions one at a time in commit
    /// order. Conflicting transactions wait for each other; a cycle of waits makes the youngest
    /// one fail with [`crate::Error::Deadlock`].
    Serializable,
}

impl IsolationLevel {
    /// The level's name as `ldb` prints and parses it.
    pub fn name(self) -> &'static str {
        match self {
            IsolationLevel::RepeatableRead => "repeatable-read",
            IsolationLevel::Serializable => "serializable",
        }
    }
}

impl std::fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for IsolationLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "repeatable-read" | "rr" | "snapshot" => Ok(IsolationLevel::RepeatableRead),
            "serializable" | "ser" => Ok(IsolationLevel::Serializable),
            other => Err(format!(
                "unknown isolation level {other:?}; expected repeatable-read or serializable"
            )),
        }
    }
}
