//! Verifying a view against its base table, as one transaction sees them (what `ldb check`
//! runs per view): the refresh state and every change-log entry decode and the log has exactly
//! the unapplied entries; the stored result rows are the rows the stored group states stand
//! for; and the stored groups with the pending log applied (in memory) equal a full
//! recomputation from the base table, compared by fingerprint. Nothing is written.

use sha2::{Digest, Sha256};

use super::super::super::catalog::ViewDef;
use super::super::super::error::Result;
use super::super::bind::Tables;
use super::super::bind::view::Shape;
use super::compute::{Groups, apply_changes, recompute, stored_groups};
use super::record::hex;
use super::refresh::{fingerprint, row_entry, shape};
use crate::Transaction;
use crate::columnar::mv::{log, state};

/// What verifying one view found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewCheck {
    /// The view.
    pub view: String,
    /// Stored groups (result rows).
    pub groups: u64,
    /// Change-log entries not yet applied.
    pub pending: u64,
    /// Fingerprint of the full recomputation (hex), when it ran.
    pub fingerprint: String,
    /// What is wrong (empty: the view is consistent).
    pub problems: Vec<String>,
}

/// The fingerprint `refresh::fingerprint` would compute over `groups` stored as result rows.
fn groups_fingerprint(view: &ViewDef, shape: &Shape, groups: &Groups) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    for (key, (values, st)) in groups {
        if st.rows <= 0 {
            continue;
        }
        let (k, v) = row_entry(view, shape, key, values, st)?;
        h.update((k.len() as u32).to_be_bytes());
        h.update(&k);
        h.update((v.len() as u32).to_be_bytes());
        h.update(&v);
    }
    Ok(h.finalize().into())
}

/// Verifies `view` (see the module docs). An error is returned only for a failure of the store
/// itself; whatever is wrong with the view is in [`ViewCheck::problems`].
pub fn verify(txn: &mut Transaction<'_>, tables: &dyn Tables, view: &ViewDef) -> Result<ViewCheck> {
    let mut out = ViewCheck {
        view: view.name.clone(),
        ..ViewCheck::default()
    };
    match check(txn, tables, view, &mut out) {
        Ok(()) => {}
        Err(e @ crate::schema::error::SchemaError::Engine(_)) => return Err(e),
        Err(e) => out.problems.push(e.to_string()),
    }
    Ok(out)
}

fn check(
    txn: &mut Transaction<'_>,
    tables: &dyn Tables,
    view: &ViewDef,
    out: &mut ViewCheck,
) -> Result<()> {
    let shape = shape(tables, view)?;
    let st = state::get(txn, view.id, false)?;
    out.pending = st.next - st.applied;
    let changes = log::entries(txn, &shape.base, view, &st)?;
    let stored = stored_groups(txn, view, &shape)?;
    out.groups = stored.len() as u64;
    let (rows, actual) = fingerprint(txn, view)?;
    if rows != out.groups || actual != groups_fingerprint(view, &shape, &stored)? {
        out.problems.push(format!(
            "its {rows} result rows are not the rows its {} stored groups stand for",
            out.groups
        ));
    }
    let (touched, _) = apply_changes(txn, view, &shape, &changes, Some(&stored))?;
    let mut incremental = stored;
    for (k, g) in touched {
        if g.1.rows > 0 {
            incremental.insert(k, g);
        } else {
            incremental.remove(&k);
        }
    }
    let full = recompute(txn, &shape, None)?;
    let inc_fp = groups_fingerprint(view, &shape, &incremental)?;
    let full_fp = groups_fingerprint(view, &shape, &full)?;
    out.fingerprint = hex(&full_fp);
    if inc_fp != full_fp || incremental != full {
        let differ = full
            .keys()
            .chain(incremental.keys())
            .filter(|k| full.get(*k) != incremental.get(*k))
            .count();
        out.problems.push(format!(
            "the stored result with the change log applied ({} groups, fingerprint {}) differs from a full recomputation ({} groups, fingerprint {}) in {differ} group(s)",
            incremental.len(),
            hex(&inc_fp),
            full.len(),
            hex(&full_fp)
        ));
    }
    Ok(())
}
