//! The error of a harness run: the database failed, the harness's own file or process work
//! failed, or the database did not behave as the measurement or drill requires. Each can carry
//! what the harness was doing ([`Context::context`]), printed before the cause.

use crate::error::Error;

/// Why a benchmark or drill could not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] Error),
    /// A file or process operation of the harness itself failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The database or a child process did not behave as the run requires.
    #[error("{0}")]
    Unexpected(String),
    /// What the harness was doing when `source` happened.
    #[error("{context}")]
    Context {
        /// What the harness was doing, e.g. `while preloading`.
        context: String,
        /// The failure.
        #[source]
        source: Box<HarnessError>,
    },
}

/// The result of a harness run.
pub type HarnessResult<T> = std::result::Result<T, HarnessError>;

/// Adds what the harness was doing to a failure.
pub trait Context<T> {
    /// Wraps the error with `context()`.
    fn context_with(self, context: impl FnOnce() -> String) -> HarnessResult<T>;

    /// Wraps the error with `context`.
    fn context(self, context: &str) -> HarnessResult<T>;
}

impl<T, E: Into<HarnessError>> Context<T> for std::result::Result<T, E> {
    fn context_with(self, context: impl FnOnce() -> String) -> HarnessResult<T> {
        self.map_err(|e| HarnessError::Context {
            context: context(),
            source: Box::new(e.into()),
        })
    }

    fn context(self, context: &str) -> HarnessResult<T> {
        self.context_with(|| context.to_string())
    }
}

/// Fails with [`HarnessError::Unexpected`] when `ok` is false.
pub fn ensure(ok: bool, what: impl FnOnce() -> String) -> HarnessResult<()> {
    if ok {
        Ok(())
    } else {
        Err(HarnessError::Unexpected(what()))
    }
}
