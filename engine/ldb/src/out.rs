//! Standard output and standard error of every `ldb` command.
//!
//! All command output goes through [`print`] (the `outln!` and `out!` macros) or, for long
//! outputs, a [`Buffered`] writer. The rules:
//! * **Closed stdout** (the reader of a pipe went away: `ldb scan db | head -1`): output stops
//!   quietly — no message — and the command ends with the status it would have had (0 for a
//!   successful command, 1 for a check that found problems). Commands whose output has no end
//!   (`scan`, the drill writer) stop early; [`is_closed`] tells them.
//! * **Any other write error** (a full disk behind `> file`, `/dev/full`): a [`StdoutError`] that
//!   names standard output; `main` prints it and exits 2.
//! * Standard error is best effort (`errln!`): a message that cannot be written is dropped
//!   rather than turned into a panic.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to standard output found the reading end closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writing to standard output failed for a reason other than a closed pipe.
#[derive(Debug)]
pub struct StdoutError(io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

/// Whether standard output's reader has gone away (every later write is dropped).
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Maps the result of a write to standard output: a closed pipe is remembered and is not an
/// error; anything else is a [`StdoutError`].
fn classify(result: io::Result<()>) -> Result<(), StdoutError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(StdoutError(e)),
    }
}

/// Writes `args` to standard output and flushes it (see the module docs for errors).
pub fn print(args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
    if is_closed() {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    classify(out.write_fmt(args).and_then(|()| out.flush()))
}

/// A buffered writer to standard output for long outputs; `writeln!(buffered, …)?` works on it.
/// Call [`Buffered::finish`] at the end: it flushes and reports a failure.
pub struct Buffered {
    inner: BufWriter<io::StdoutLock<'static>>,
}

impl Buffered {
    /// Locks standard output for buffered writing.
    pub fn new() -> Self {
        Buffered {
            inner: BufWriter::new(io::stdout().lock()),
        }
    }

    /// Writes `args` (used by `write!` and `writeln!`).
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<(), StdoutError> {
        if is_closed() {
            return Ok(());
        }
        classify(self.inner.write_fmt(args))
    }

    /// Flushes everything written.
    pub fn finish(mut self) -> Result<(), StdoutError> {
        if is_closed() {
            return Ok(());
        }
        classify(self.inner.flush())
    }
}

/// Standard output, locked and buffered, for a library function that writes into any
/// `&mut dyn Write` (`export_csv`): the caller flushes it and treats a broken pipe as the end.
pub fn stdout_writer() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

/// Prints a line to standard output through [`print`]; evaluates to `Result<(), StdoutError>`.
macro_rules! outln {
    () => {
        $crate::out::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints to standard output through [`print`] without a newline.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::print(format_args!($($arg)*))
    };
}

/// Prints a line to standard error, best effort (never panics).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = writeln!(::std::io::stderr(), $($arg)*);
    }};
}

/// The message of `err` and its causes, each cause once: `ctx: cause: cause`. A cause whose text
/// the previous message already contains (an error that prints its source in its own message)
/// is not repeated.
pub fn chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|prev| prev.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_each_cause_once() {
        let io = io::Error::from_raw_os_error(28);
        let engine = lightning_db::Error::io("writing page to", "/db/data.ldb", io);
        let err = anyhow::Error::new(engine).context("while closing database /db");
        let text = chain(&err);
        assert_eq!(
            text.matches("No space left on device").count(),
            1,
            "the OS error appears once: {text}"
        );
        assert!(
            text.starts_with("while closing database /db: I/O error while writing page to"),
            "{text}"
        );
        // Causes that do not repeat each other are all kept.
        let err = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(chain(&err), "outer: middle: inner");
    }
}
