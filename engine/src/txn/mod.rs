//! Transactions: the layer between the public database handle and the copy-on-write tree.
//!
//! Today it holds the [`lock`] manager: shared/exclusive locks on keys and key ranges owned by
//! transactions, with deadlock detection at the moment a wait begins. MVCC snapshots, isolation
//! levels and version garbage collection are built on top of it. The design is written down in
//! `engine/TRANSACTIONS.md`.

pub mod lock;
