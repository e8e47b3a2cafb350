//! The session driver the anomaly scenarios run on: one thread per transaction, like one
//! terminal per client in a hand-run isolation test.
//!
//! A scenario, in order:
//! 1. [`fresh_database`] creates a database on the simulated disk holding the table
//!    `{1: 10, 2: 20}` (see [`super::statements`]), and [`Harness::new`] drives sessions on it;
//! 2. [`Harness::begin`] starts a session: a thread that begins a transaction and then runs the
//!    commands it is sent, one after another, replying to each;
//! 3. [`Harness::exec`] sends one command and then *settles*: it waits until every session with
//!    unanswered commands has either answered or is observed waiting in the lock manager. A
//!    command still unanswered then is recorded as **blocked**; commands sent to a blocked
//!    session queue behind it, exactly as a client's next statement waits for its previous one;
//! 4. the scenario reads the replies ([`Harness::reply`]) and the committed table
//!    ([`Harness::table`]) and decides whether the anomaly occurred;
//! 5. dropping the harness ends the sessions (an unfinished transaction rolls back).
//!
//! Blocking is observed, never assumed: settling compares the number of sessions with
//! unanswered commands with the lock manager's count of waiting requests (only the sessions use
//! the database), and re-checks that no reply arrived in between, so the verdict "blocked" is
//! exact whatever the machine's speed. A step that should not block but does is bounded by the
//! database's lock timeout.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use crate::db::{Database, Options};
use crate::error::{Error, Result};
use crate::txn::IsolationLevel;
use crate::vfs::SimVfs;

pub use super::statements::{Assign, Cmd, Pred, Reply, Row, fmt_rows};
use super::statements::{TABLE_FROM, TABLE_TO, decode, key, run_cmd};

/// How long a session may wait for a lock before [`Error::LockTimeout`] ends the wait: far longer
/// than any scenario keeps a step blocked (a few steps of other sessions), so a timeout means a
/// step that would otherwise never finish.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long settling may take before the scenario is declared stuck.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// A handle on one command sent with [`Harness::exec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(usize);

/// A session's index (`T1` is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sid(usize);

impl Sid {
    /// The session's name, `T1`, `T2`, ...
    pub fn name(self) -> String {
        format!("T{}", self.0 + 1)
    }
}

#[derive(Debug)]
struct Pending {
    session: usize,
    cmd: Cmd,
    reply: Option<Reply>,
    blocked: bool,
}

struct Session<'scope> {
    tx: Option<Sender<Cmd>>,
    rx: Receiver<Reply>,
    unanswered: VecDeque<usize>,
    _thread: ScopedJoinHandle<'scope, ()>,
}

/// Runs sessions against one fresh database; see the module docs.
pub struct Harness<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    db: &'env Database,
    sessions: Vec<Session<'scope>>,
    tickets: Vec<Pending>,
    transcript: Vec<String>,
}

/// Creates the fresh database a scenario runs on: the simulated disk (isolation does not depend
/// on the file system, and a scenario then needs no scratch directory), and a bounded lock wait.
pub fn fresh_database() -> Result<Database> {
    let opts = Options {
        vfs: Arc::new(SimVfs::new()),
        lock_timeout: LOCK_TIMEOUT,
        // A few small commits: a small log segment and cache keep creation cheap.
        wal_segment_size: 1 << 20,
        cache_bytes: 1 << 20,
        ..Options::default()
    };
    let db = Database::create("/isolation", opts)?;
    db.put(&key(1), b"10")?;
    db.put(&key(2), b"20")?;
    Ok(db)
}

impl<'scope, 'env> Harness<'scope, 'env> {
    /// A harness over `db` (from [`fresh_database`]) whose sessions run in `scope`.
    pub fn new(scope: &'scope Scope<'scope, 'env>, db: &'env Database) -> Self {
        Harness {
            scope,
            db,
            sessions: Vec::new(),
            tickets: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// Starts session `T<n>` with a transaction at `level`; returns once it has begun, so
    /// sessions begin (and get ids, which order deadlock victims) in call order.
    pub fn begin(&mut self, level: IsolationLevel) -> Result<Sid> {
        let (cmd_tx, cmd_rx) = mpsc::channel::<Cmd>();
        let (reply_tx, reply_rx) = mpsc::channel::<Reply>();
        let db = self.db;
        let thread = self.scope.spawn(move || {
            let mut txn = match db.begin(level) {
                Ok(t) => {
                    let _ = reply_tx.send(Reply::Done);
                    Some(t)
                }
                Err(e) => {
                    let _ = reply_tx.send(Reply::Failed(e));
                    return;
                }
            };
            while let Ok(cmd) = cmd_rx.recv() {
                let reply = run_cmd(&mut txn, cmd).unwrap_or_else(Reply::Failed);
                if reply_tx.send(reply).is_err() {
                    break;
                }
            }
        });
        let name = format!("T{}", self.sessions.len() + 1);
        match reply_rx.recv_timeout(SETTLE_LIMIT) {
            Ok(Reply::Failed(e)) => return Err(e),
            Ok(_) => {}
            Err(_) => {
                return Err(Error::InvalidArgument(format!(
                    "{name} did not begin within {SETTLE_LIMIT:?}"
                )));
            }
        }
        self.transcript.push(format!("{name}: begin {level}"));
        self.sessions.push(Session {
            tx: Some(cmd_tx),
            rx: reply_rx,
            unanswered: VecDeque::new(),
            _thread: thread,
        });
        Ok(Sid(self.sessions.len() - 1))
    }

    /// Sends `cmd` to session `s` and settles (see the module docs).
    pub fn exec(&mut self, s: Sid, cmd: Cmd) -> Result<Ticket> {
        let session = self
            .sessions
            .get_mut(s.0)
            .ok_or_else(|| Error::InvalidArgument(format!("no session {}", s.0 + 1)))?;
        let id = self.tickets.len();
        let queued = !session.unanswered.is_empty();
        let sent = session.tx.as_ref().is_some_and(|tx| tx.send(cmd).is_ok());
        if !sent {
            return Err(Error::InvalidArgument(format!(
                "T{}: {cmd}: the session has ended",
                s.0 + 1
            )));
        }
        session.unanswered.push_back(id);
        self.tickets.push(Pending {
            session: s.0,
            cmd,
            reply: None,
            blocked: queued,
        });
        // Reserve this step's line so that lines logged while settling (other sessions
        // unblocking) follow it.
        let line_at = self.transcript.len();
        self.transcript.push(String::new());
        self.settle()?;
        let t = &self.tickets[id];
        let line = match &t.reply {
            Some(r) => format!("T{}: {cmd} -> {r}", s.0 + 1),
            None if queued => format!("T{}: {cmd} -> queued behind its blocked statement", s.0 + 1),
            None => format!("T{}: {cmd} -> blocked", s.0 + 1),
        };
        self.transcript[line_at] = line;
        Ok(Ticket(id))
    }

    /// Collects every reply that has arrived; returns how many did.
    fn drain(&mut self) -> usize {
        let mut got = 0;
        for (i, session) in self.sessions.iter_mut().enumerate() {
            while let Ok(reply) = session.rx.try_recv() {
                got += 1;
                let Some(id) = session.unanswered.pop_front() else {
                    continue;
                };
                let t = &mut self.tickets[id];
                if t.blocked {
                    self.transcript
                        .push(format!("T{}: ({}) unblocked -> {reply}", i + 1, t.cmd));
                }
                t.reply = Some(reply);
            }
        }
        got
    }

    /// Waits until every session with unanswered commands is waiting for a lock, then marks
    /// their current commands blocked.
    fn settle(&mut self) -> Result<()> {
        let deadline = Instant::now() + SETTLE_LIMIT;
        loop {
            self.drain();
            let busy = self
                .sessions
                .iter()
                .filter(|s| !s.unanswered.is_empty())
                .count() as u64;
            if busy == 0 {
                return Ok(());
            }
            let waiting = self.db.stats()?.locks.waiting_now;
            if waiting == busy && self.drain() == 0 {
                for s in &self.sessions {
                    if let Some(&id) = s.unanswered.front() {
                        self.tickets[id].blocked = true;
                    }
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::InvalidArgument(format!(
                    "scenario stuck: {busy} session(s) neither answered nor waited for a lock \
                     within {SETTLE_LIMIT:?}"
                )));
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    /// The reply to `t`, or `None` while its command is blocked or queued.
    pub fn reply(&self, t: Ticket) -> Option<&Reply> {
        self.tickets.get(t.0).and_then(|p| p.reply.as_ref())
    }

    /// The rows a select returned (`None` if it is blocked or failed).
    pub fn rows(&self, t: Ticket) -> Option<&[Row]> {
        match self.reply(t) {
            Some(Reply::Rows(rows)) => Some(rows),
            _ => None,
        }
    }

    /// Whether `t` finished without error.
    pub fn succeeded(&self, t: Ticket) -> bool {
        matches!(self.reply(t), Some(r) if !matches!(r, Reply::Failed(_)))
    }

    /// Commands still unanswered (blocked or queued), as `T<n>: <command>`.
    pub fn unanswered(&self) -> Vec<String> {
        self.tickets
            .iter()
            .filter(|t| t.reply.is_none())
            .map(|t| format!("T{}: {}", t.session + 1, t.cmd))
            .collect()
    }

    /// Whether any command ever had to wait for a lock.
    pub fn any_blocked(&self) -> bool {
        self.tickets.iter().any(|t| t.blocked)
    }

    /// The errors the sessions' commands failed with, in command order.
    pub fn errors(&self) -> impl Iterator<Item = &Error> {
        self.tickets.iter().filter_map(|t| match &t.reply {
            Some(Reply::Failed(e)) => Some(e),
            _ => None,
        })
    }

    /// The committed table, read outside every session.
    pub fn table(&self) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        for kv in self.db.range(
            Bound::Included(TABLE_FROM),
            Bound::Excluded(TABLE_TO),
            false,
        )? {
            let (k, v) = kv?;
            rows.push(decode(&k, &v)?);
        }
        Ok(rows)
    }

    /// The steps run so far, one line each, with what each returned.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    /// Ends every session (an unfinished transaction rolls back) and returns the transcript.
    /// The session threads are joined when the enclosing scope ends.
    pub fn finish(mut self) -> Vec<String> {
        for s in &mut self.sessions {
            s.tx = None;
        }
        std::mem::take(&mut self.transcript)
    }
}
