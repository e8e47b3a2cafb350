//! The refresh policies, fired at commit: [`before_commit`] runs in a committing transaction
//! (an autocommit statement, or a session's `COMMIT`) just before it commits. For each view
//! whose base table the transaction changed — it appended to the view's change log — it
//!
//! * `manual`: does nothing (the log waits for `REFRESH MATERIALIZED VIEW`);
//! * `on_commit`: refreshes incrementally;
//! * `every N commits`: counts the commit, and at the N-th since the last refresh refreshes
//!   incrementally;
//! * `every N seconds`: refreshes incrementally when N seconds or more have passed since the
//!   last refresh (else counts the commit).
//!
//! The refresh is part of the committing transaction: it commits with the base change or not
//! at all. Transactions a caller runs itself (`execute_in`, `execute_script`, migrations, the
//! library's write functions) fire no policy; their log entries wait for the next refresh.

use super::super::super::catalog::{Catalog, Policy};
use super::super::super::error::Result;
use super::super::super::keys::{MvKey, mv_key};
use super::refresh::{incremental, now_us};
use crate::Transaction;
use crate::columnar::mv::state;

/// Fires the refresh policies of the views whose base tables `txn` changed (see the module
/// docs).
pub fn before_commit(txn: &mut Transaction<'_>, catalog: &Catalog) -> Result<()> {
    for view in catalog.views() {
        if !txn.has_written(&mv_key(view.id, MvKey::State)) {
            continue;
        }
        let mut st = state::get(txn, view.id, true)?;
        if !st.pending() {
            continue;
        }
        let fire = match view.policy {
            Policy::Manual => false,
            Policy::OnCommit => true,
            Policy::EveryCommits(n) => st.commits + 1 >= n,
            Policy::EverySeconds(s) => {
                now_us().saturating_sub(st.refreshed_us) >= s.saturating_mul(1_000_000)
            }
        };
        if fire {
            incremental(txn, catalog, view)?;
        } else {
            st.commits += 1;
            state::put(txn, view.id, &st)?;
        }
    }
    Ok(())
}
