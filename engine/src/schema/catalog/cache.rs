//! [`CatalogCache`]: the current catalog for a transaction without reading it from the KV on
//! every statement, and never stale.
//!
//! The cache holds one `(lsn, catalog)` pair meaning "the committed catalog as of commit `lsn`
//! is `catalog`". [`CatalogCache::get`] for a transaction:
//!
//! 1. If the transaction wrote the meta entry (its own DDL), the cache is bypassed: the
//!    catalog is loaded through the transaction, own writes included, and not cached.
//! 2. Otherwise it guards the meta entry ([`Transaction::lock_shared`]). From then until the
//!    transaction ends no DDL can commit (DDL writes the meta entry and needs its exclusive
//!    lock), and under `RepeatableRead` the guard fails with a retryable write conflict if a DDL
//!    committed after the snapshot. Either way the catalog the transaction sees is the
//!    committed catalog as of [`Transaction::visible_lsn`] and stays so.
//! 3. If that LSN is the cached one, the cached catalog is it (no read at all).
//! 4. Else the meta entry is read (one small get): the version identifies a committed catalog
//!    uniquely (DDL commits are serialized on the meta entry and each bumps it), so an equal
//!    version means the cached catalog is still current and only the LSN is advanced; a
//!    different one reloads the catalog.
//!
//! Read-only transactions take no lock; their snapshot is fixed, and steps 3–4 compare at that
//! snapshot, which is equally exact.

use std::sync::{Arc, Mutex, PoisonError};

use super::{Catalog, read_meta};
use crate::Transaction;
use crate::schema::error::Result;
use crate::schema::keys::catalog_meta_key;
use crate::types::Lsn;

/// A never-stale cache of the committed catalog; one per database handle (see the module docs).
#[derive(Debug, Default)]
pub struct CatalogCache {
    cached: Mutex<Option<(Lsn, Arc<Catalog>)>>,
}

impl CatalogCache {
    /// An empty cache.
    pub fn new() -> CatalogCache {
        CatalogCache::default()
    }

    fn current(&self) -> Option<(Lsn, Arc<Catalog>)> {
        self.cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, lsn: Lsn, catalog: &Arc<Catalog>) {
        let mut slot = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_none_or(|(l, _)| *l <= lsn) {
            *slot = Some((lsn, Arc::clone(catalog)));
        }
    }

    /// The catalog `txn` sees, guarded for the rest of `txn` (see the module docs).
    pub fn get(&self, txn: &mut Transaction<'_>) -> Result<Arc<Catalog>> {
        let meta_key = catalog_meta_key();
        if txn.has_written(&meta_key) {
            return Ok(Arc::new(Catalog::load(txn)?));
        }
        txn.lock_shared(&meta_key)?;
        let lsn = txn.visible_lsn();
        let cached = self.current();
        if let Some((at, cat)) = &cached
            && *at == lsn
        {
            return Ok(Arc::clone(cat));
        }
        let meta = read_meta(txn)?;
        if let Some((_, cat)) = cached
            && cat.version() == meta.version
        {
            self.store(lsn, &cat);
            return Ok(cat);
        }
        let cat = Arc::new(Catalog::load(txn)?);
        self.store(lsn, &cat);
        Ok(cat)
    }

    /// Forgets the cached catalog (the next [`get`](Self::get) reads it again).
    pub fn clear(&self) {
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
