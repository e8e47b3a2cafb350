//! Everything sitegen prints goes through here: [`outln!`](crate::outln) for standard output,
//! [`errln!`](crate::errln) for standard error, and [`progress_target`] for progress bars.
//!
//! Printing never panics (`println!` does when its stream is gone) and never stops the work in
//! progress. The rules, applied by the CLI's [`finish`]:
//! - standard output is a pipe whose reader has gone (`sitegen gate | head -1`): what is left
//!   to print is dropped quietly and the command ends as it would have (0 on success) — the
//!   reader has all it asked for;
//! - any other write error on standard output (a full disk: `> /dev/full`): the rest is
//!   dropped, the command finishes its work, then says `error: writing to standard output: …`
//!   and exits with status 2 — its report was lost, so it cannot claim success;
//! - standard error cannot be written: nothing is said (there is nowhere left to say it).

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output failed: nothing more is written to it.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
/// The first error on standard output that was not a closed pipe.
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// The exit status of a command whose standard output could not be written.
pub const EXIT_OUTPUT_FAILED: i32 = 2;

/// Writes `args` to standard output (see the module docs for what happens on errors).
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        stdout_failed(&e);
    }
}

/// Writes `args` to standard error, ignoring errors.
pub fn stderr(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

fn stdout_failed(e: &io::Error) {
    STDOUT_GONE.store(true, Ordering::Relaxed);
    if e.kind() == io::ErrorKind::BrokenPipe {
        return;
    }
    if let Ok(mut first) = STDOUT_ERROR.lock()
        && first.is_none()
    {
        *first = Some(e.to_string());
    }
}

/// The exit status to end with, given the command's own `code`: [`EXIT_OUTPUT_FAILED`], after
/// saying so on standard error, when standard output could not be written (other than a
/// closed pipe); `code` otherwise. Flushes standard output first.
pub fn finish(code: i32) -> i32 {
    if !STDOUT_GONE.load(Ordering::Relaxed)
        && let Err(e) = io::stdout().lock().flush()
    {
        stdout_failed(&e);
    }
    let error = STDOUT_ERROR.lock().ok().and_then(|e| e.clone());
    match error {
        Some(e) => {
            stderr(format_args!("error: writing to standard output: {e}\n"));
            EXIT_OUTPUT_FAILED
        }
        None => code,
    }
}

/// Prints a line to standard output through [`stdout`](crate::util::output::stdout): never panics.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::util::output::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::util::output::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints a line to standard error through [`stderr`](crate::util::output::stderr): never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::util::output::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Where progress bars are drawn: standard error when `show` (errors ignored, as for
/// [`stderr`]), else nowhere.
pub fn progress_target(show: bool) -> indicatif::ProgressDrawTarget {
    if show {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    }
}
