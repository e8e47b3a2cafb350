//! A TPC-C-style workload in SQL (`ldb bench tpcc`): the schema as migration files
//! (`migrations/`), a seeded loader ([`load`]), the New-Order and Payment transactions
//! ([`txn`]), the timed multi-client run ([`run`]) and the consistency check ([`check`]), all
//! written against a small SQL client trait ([`client`]) so the same SQL text runs on Lightning
//! (implemented here) and on SQLite (implemented in `ldb`). `docs/tpcc.md` describes the
//! schema, the transactions, the simplifications and the metrics.

pub mod check;
pub mod client;
pub mod input;
pub mod load;
pub mod run;
pub mod txn;

use std::time::{Duration, Instant};

pub use client::{ClientError, ClientResult, LightningEngine, SqlClient, SqlEngine};
pub use input::Scale;
pub use run::WindowReport;

/// What `ldb bench tpcc` runs on each engine.
#[derive(Clone, Debug)]
pub struct TpccConfig {
    /// Database size.
    pub scale: Scale,
    /// Thread counts, one timed window each, in this order.
    pub threads: Vec<usize>,
    /// Length of each window.
    pub each: Duration,
    /// Seed of the loader and of every client's inputs.
    pub seed: u64,
}

/// One engine's run: load time, one report per thread count, and the consistency check.
#[derive(Clone, Debug)]
pub struct EngineReport {
    /// The engine's name.
    pub engine: &'static str,
    /// Seconds the schema and the load took.
    pub load_secs: f64,
    /// One window per thread count, in the configured order.
    pub windows: Vec<WindowReport>,
    /// The consistency violations found after the windows (empty: consistent).
    pub violations: Vec<String>,
}

/// Loads `engine` (which must be empty) with `cfg.scale` and `cfg.seed`.
pub fn load_engine<E: SqlEngine>(engine: &E, cfg: &TpccConfig) -> ClientResult<f64> {
    let started = Instant::now();
    let mut c = engine.connect()?;
    load::load(&mut c, cfg.scale, cfg.seed)?;
    Ok(started.elapsed().as_secs_f64())
}

/// Runs the window of `threads` clients on a loaded `engine`; `window` numbers it (its
/// clients' history ids stay distinct from every other window's).
pub fn run_engine_window<E: SqlEngine>(
    engine: &E,
    cfg: &TpccConfig,
    window: usize,
    threads: usize,
) -> ClientResult<WindowReport> {
    let first_client = (window as u64) * 1_000;
    run::run_window(engine, cfg.scale, cfg.seed, threads, first_client, cfg.each)
}

/// Checks a loaded (and perhaps run) `engine`'s consistency conditions.
pub fn check_engine<E: SqlEngine>(engine: &E, scale: Scale) -> ClientResult<Vec<String>> {
    let mut c = engine.connect()?;
    check::check(&mut c, scale)
}

#[cfg(test)]
mod tests;
