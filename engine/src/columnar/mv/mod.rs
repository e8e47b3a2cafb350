//! The storage side of materialized views over columnar tables: each view's change log — the
//! rows every write of the base table inserted or deleted, appended in the writing transaction
//! ([`log`]) — and each view's refresh state: how far the log has been applied, how many
//! commits changed the base since the last refresh, and when that was ([`state`]).
//!
//! The SQL side (`schema::sql::mv`) defines views, applies the log to the stored result,
//! recomputes it in full, and fires the refresh policies at commit. Layouts are in
//! `engine/FORMAT.md`, "Columnar tables", "Materialized views".

pub mod log;
pub mod state;

pub use log::{Change, ChangeKind};
pub use state::ViewState;
