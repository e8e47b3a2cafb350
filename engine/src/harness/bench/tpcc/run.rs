//! The timed run: `threads` clients of one engine, each with its own seeded [`Inputs`], run
//! the New-Order/Payment mix for a fixed time; a transaction that fails with a retryable error
//! is run again from the start (up to [`ATTEMPTS`] times) with the same input.

use std::time::{Duration, Instant};

use super::client::{ClientError, SqlClient, SqlEngine};
use super::input::Scale;
use super::txn::{Inputs, NewOrder, Outcome, Payment, new_order, payment};
use crate::harness::workload::histogram::Histogram;

/// How many times one transaction is tried.
pub const ATTEMPTS: u32 = 16;

/// What one engine did at one thread count.
#[derive(Clone, Debug)]
pub struct WindowReport {
    /// Client threads.
    pub threads: usize,
    /// How long the clients ran.
    pub elapsed: Duration,
    /// Committed New-Orders.
    pub new_orders: u64,
    /// Committed Payments.
    pub payments: u64,
    /// New-Orders rolled back on purpose (unused item).
    pub rollbacks: u64,
    /// Attempts that failed with a retryable error and were run again.
    pub retries: u64,
    /// Transactions that failed even after [`ATTEMPTS`] tries.
    pub failed: u64,
    /// Latency of each completed transaction (retries included), nanoseconds.
    pub latency: Histogram,
}

impl WindowReport {
    /// Completed transactions (committed or rolled back on purpose) per second.
    pub fn tps(&self) -> f64 {
        (self.new_orders + self.payments + self.rollbacks) as f64
            / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile of the latency in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency.quantile(q) as f64 / 1e6
    }
}

/// Runs the mix on `engine` with `threads` clients for `time`; client `k`'s inputs come from
/// `(seed, first_client + k)`.
pub fn run_window<E: SqlEngine>(
    engine: &E,
    scale: Scale,
    seed: u64,
    threads: usize,
    first_client: u64,
    time: Duration,
) -> Result<WindowReport, ClientError> {
    let start = Instant::now();
    let deadline = start + time;
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                s.spawn(move || {
                    client_loop(
                        engine,
                        Inputs::new(seed, first_client + k as u64, scale),
                        deadline,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(ClientError::fatal("a client thread panicked")))
            })
            .collect::<Vec<_>>()
    });
    let mut total = WindowReport {
        threads,
        elapsed: start.elapsed(),
        new_orders: 0,
        payments: 0,
        rollbacks: 0,
        retries: 0,
        failed: 0,
        latency: Histogram::new(),
    };
    for p in parts {
        let p = p?;
        total.new_orders += p.new_orders;
        total.payments += p.payments;
        total.rollbacks += p.rollbacks;
        total.retries += p.retries;
        total.failed += p.failed;
        total.latency.merge(&p.latency);
    }
    Ok(total)
}

enum Work {
    NewOrder(NewOrder),
    Payment(Payment),
}

fn client_loop<E: SqlEngine>(
    engine: &E,
    mut inputs: Inputs,
    deadline: Instant,
) -> Result<WindowReport, ClientError> {
    let mut c = engine.connect()?;
    let mut r = WindowReport {
        threads: 1,
        elapsed: Duration::ZERO,
        new_orders: 0,
        payments: 0,
        rollbacks: 0,
        retries: 0,
        failed: 0,
        latency: Histogram::new(),
    };
    while Instant::now() < deadline {
        let is_new_order = inputs.next_is_new_order();
        let work = if is_new_order {
            Work::NewOrder(inputs.new_order())
        } else {
            Work::Payment(inputs.payment())
        };
        let h_id = inputs.history_id();
        let filler = inputs.filler();
        let began = Instant::now();
        let mut attempt = 1;
        loop {
            let result = c.begin().and_then(|()| match &work {
                Work::NewOrder(t) => new_order(&mut c, t),
                Work::Payment(t) => payment(&mut c, t, h_id, &filler).map(|()| Outcome::Committed),
            });
            match result {
                Ok(outcome) => {
                    r.latency.record_duration(began.elapsed());
                    match (outcome, is_new_order) {
                        (Outcome::RolledBack, _) => r.rollbacks += 1,
                        (Outcome::Committed, true) => r.new_orders += 1,
                        (Outcome::Committed, false) => r.payments += 1,
                    }
                    break;
                }
                Err(e) => {
                    c.rollback();
                    if !e.retryable {
                        return Err(e);
                    }
                    if attempt >= ATTEMPTS {
                        r.failed += 1;
                        break;
                    }
                    attempt += 1;
                    r.retries += 1;
                }
            }
        }
    }
    Ok(r)
}
