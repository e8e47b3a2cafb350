//! [`Wal`]: appending commits, group commit, segment roll-over and recycling.
//!
//! All log state lives under one mutex. A commit, in order:
//! 1. encodes its records and their payload checksums (outside the lock);
//! 2. under the lock, frames each record at the current end LSN into the shared buffer, first
//!    rolling to a new segment when a record would not fit in the current one;
//! 3. Standard: writes the buffer and fsyncs under the lock. Unified: if no flush is running,
//!    becomes the leader — takes the buffer, releases the lock, writes and fsyncs once, then
//!    publishes the new durable LSN and wakes everyone; otherwise waits for a leader's flush.
//!
//! The Commit record is stamped under the lock with its commit time (never earlier than the
//! previous commit's, so commit times follow LSN order) and with the durable LSN at that moment
//! (the durable mark recovery uses to tell media damage from a torn tail).
//!
//! Roll-over, in order: make the current segment durable; create the next segment (zero-filled,
//! header, fsync, directory fsync); append the closing record to the current segment and fsync
//! it; switch. A closed segment therefore always has its successor, and a segment without a
//! closing record followed by another means the roll-over did not finish (that successor is
//! then empty).
//!
//! Recycling (after a checkpoint): with an archive configured, every closed segment is first
//! copied into the archive ([`super::archive`]); a segment is deleted only once it is archived.
//!
//! Any failed write or fsync poisons the log: the failing caller gets the I/O error, waiters and
//! every later call get [`Error::Poisoned`]. Nothing is retried.

use std::collections::BTreeSet;
use std::mem;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::format::{
    CHUNK_TARGET, PreparedRecord, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, SEGMENT_VERSION,
    SegmentHeader, prepare_txn,
};
use super::recovery::{recover, segment_name};
use super::{MIN_SEGMENT_SIZE, Op, RecoveredTxn, WalMode, WalOptions, WalStats};
use crate::error::{Error, Result};
use crate::types::{Lsn, TxnId};
use crate::vfs::{OpenMode, Vfs, VfsFile};

/// The write-ahead log of one database. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct Wal {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    page_size: u32,
    opts: WalOptions,
    chunk: usize,
    state: Mutex<State>,
    flushed: Condvar,
    /// Committers between entering [`Wal::commit`] and appending to the buffer (Unified).
    arriving: AtomicUsize,
    /// Signalled when a committer appends while a leader is gathering its batch.
    appended: Condvar,
}

/// The longest a Unified leader waits to gather its batch. The actual window is half the last
/// flush's duration, capped here: short next to an fsync, long enough for committers that were
/// just woken by the previous flush to append again — it turns alternating half-batches into
/// full ones.
const MAX_GATHER: Duration = Duration::from_millis(1);

#[derive(Debug)]
struct State {
    file: Arc<dyn VfsFile>,
    seg_first: Lsn,
    seg_path: PathBuf,
    /// End of everything appended (buffered or written).
    end: Lsn,
    /// End of what has been written to the file; the buffer holds `written..end`.
    written: Lsn,
    buf: Vec<u8>,
    buf_commits: u64,
    /// Commits made durable by the last flush (Unified gathering target).
    last_batch: u64,
    /// How long the last flush's write + fsync took.
    last_flush: Duration,
    durable: Lsn,
    leader: bool,
    poisoned: Option<String>,
    segments: Vec<(Lsn, PathBuf)>,
    /// First LSNs of the segments known to be in the archive.
    archived: BTreeSet<Lsn>,
    /// The commit time stamped on the last Commit record (µs since the Unix epoch).
    last_commit_time: u64,
    stats: WalStats,
}

impl State {
    fn check(&self) -> Result<()> {
        match &self.poisoned {
            Some(reason) => Err(Error::Poisoned {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    fn file_offset(&self, lsn: Lsn) -> u64 {
        SEGMENT_HEADER_LEN + (lsn.0 - self.seg_first.0)
    }
}

impl Wal {
    /// Opens (or creates) the log in `dir` and runs recovery: returns the transactions committed
    /// after `checkpoint_lsn`, in log order. A torn tail is cut; media damage fails with
    /// [`Error::WalDamaged`] unless `opts.recovery` is salvage (see [`super::recovery`]).
    /// `page_size` is recorded in segment headers and checked on open.
    pub fn open(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        page_size: u32,
        checkpoint_lsn: Lsn,
        opts: WalOptions,
    ) -> Result<(Wal, Vec<RecoveredTxn>)> {
        if opts.segment_size < MIN_SEGMENT_SIZE {
            return Err(Error::InvalidArgument(format!(
                "WAL segment size {} is below the minimum {MIN_SEGMENT_SIZE}",
                opts.segment_size
            )));
        }
        if !vfs.exists(dir) {
            vfs.create_dir_all(dir)
                .map_err(|e| Error::io("creating WAL directory", dir, e))?;
            // The new directory's own entry must be durable before segments in it can be.
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                vfs.sync_dir(parent)
                    .map_err(|e| Error::io("syncing directory", parent, e))?;
            }
        }
        // Archiving, once on, stays on for every later handle (see `archive::resolve`).
        let mut opts = opts;
        opts.archive = super::archive::resolve(vfs.as_ref(), dir, opts.archive.as_deref())?;
        if let Some(archive) = &opts.archive {
            super::archive::ensure_dir(vfs.as_ref(), archive)?;
        }
        let mut rec = recover(
            vfs.as_ref(),
            dir,
            page_size,
            checkpoint_lsn,
            opts.log_required,
            opts.recovery,
        )?;
        let mut stats = WalStats {
            truncated_at_open: rec.truncated,
            salvaged_at_open: rec.salvaged.is_some(),
            ..WalStats::default()
        };
        let last_commit_time = rec
            .txns
            .iter()
            .filter_map(|t| t.commit_time)
            .max()
            .unwrap_or(0);
        let mut segments = rec.segments;
        if rec.tail_version < SEGMENT_VERSION
            && let Some(file) = rec.tail.take()
        {
            // An older-format tail: new records go into a new segment of the current format
            // (it starts where the old one's records end). An old tail without records gets
            // a current-format header in place (its length is its size), so there is never a
            // moment without a segment.
            if let Some((first, path)) = segments.last().cloned()
                && first == rec.end
            {
                let len = file
                    .len()
                    .map_err(|e| Error::io("reading length of", &path, e))?;
                let header = SegmentHeader::new(page_size, first, len).encode();
                file.write_at(&header, 0)
                    .and_then(|()| file.sync())
                    .map_err(|e| Error::io("rewriting old-format WAL segment header", &path, e))?;
                rec.tail = Some(file);
            }
        }
        let (file, seg_first, seg_path) = match (rec.tail, segments.last()) {
            (Some(file), Some((first, path))) => (Arc::from(file), *first, path.clone()),
            _ => {
                let (file, path) =
                    create_segment(vfs.as_ref(), dir, rec.end, page_size, opts.segment_size)?;
                stats.fsyncs += 1;
                stats.segments_created += 1;
                segments.push((rec.end, path.clone()));
                (file, rec.end, path)
            }
        };
        // A record and a closing record must always fit in an empty segment.
        let room = opts.segment_size - SEGMENT_HEADER_LEN - 2 * RECORD_HEADER_LEN as u64 - 32;
        let chunk = CHUNK_TARGET.min(usize::try_from(room).unwrap_or(CHUNK_TARGET));
        let state = State {
            file,
            seg_first,
            seg_path,
            end: rec.end,
            written: rec.end,
            buf: Vec::new(),
            buf_commits: 0,
            last_batch: 0,
            last_flush: Duration::ZERO,
            durable: rec.end,
            leader: false,
            poisoned: None,
            segments,
            archived: BTreeSet::new(),
            last_commit_time,
            stats,
        };
        let wal = Wal {
            vfs,
            dir: dir.to_path_buf(),
            page_size,
            opts,
            chunk,
            state: Mutex::new(state),
            flushed: Condvar::new(),
            arriving: AtomicUsize::new(0),
            appended: Condvar::new(),
        };
        Ok((wal, rec.txns))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Poisoning of the std mutex means a panic mid-update; the log is then unusable.
        self.state.lock().unwrap_or_else(|e| {
            let mut g = e.into_inner();
            g.poisoned
                .get_or_insert_with(|| "a thread panicked while appending".into());
            g
        })
    }

    /// Appends transaction `txn` with `ops` and returns its commit LSN once it is durable per the
    /// mode. Thread-safe; in Unified mode concurrent callers share fsyncs.
    pub fn commit(&self, txn: TxnId, ops: &[Op]) -> Result<Lsn> {
        if self.opts.mode == WalMode::Standard {
            // Append and flush under one lock acquisition: each commit writes and fsyncs its
            // own record, even when callers race (one fsync per commit).
            let (g, target) = self.append_locked(txn, ops)?;
            let (g, res) = self.flush_locked(g, true);
            drop(g);
            res?;
            return Ok(target);
        }
        let target = self.append(txn, ops)?;
        self.wait_durable(target)?;
        Ok(target)
    }

    /// Appends transaction `txn` to the log buffer and returns its commit LSN (the end of its
    /// last record) WITHOUT waiting for durability. Appends are ordered: a caller that appends
    /// under its own lock fixes the log order. Follow with [`Wal::wait_durable`] before
    /// reporting the commit.
    pub fn append(&self, txn: TxnId, ops: &[Op]) -> Result<Lsn> {
        self.append_locked(txn, ops).map(|(_, lsn)| lsn)
    }

    /// [`Wal::append`], returning the still-held log lock with the commit LSN.
    fn append_locked(&self, txn: TxnId, ops: &[Op]) -> Result<(MutexGuard<'_, State>, Lsn)> {
        let unified = self.opts.mode == WalMode::Unified;
        if unified {
            self.arriving.fetch_add(1, Ordering::SeqCst);
        }
        let mut records = prepare_txn(txn, ops, self.chunk);
        let mut g = self.lock();
        if unified {
            self.arriving.fetch_sub(1, Ordering::SeqCst);
            self.appended.notify_all();
        }
        g.check()?;
        // Commit times never go backwards in log order, even if the clock does.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let commit_time = now.max(g.last_commit_time);
        g.last_commit_time = commit_time;
        if let Some(commit) = records.last_mut() {
            commit.stamp_commit(commit_time, g.durable);
        }
        for rec in &records {
            let len = rec.framed_len();
            // Room is kept for the closing record a roll-over appends.
            if g.file_offset(g.end) + len + RECORD_HEADER_LEN as u64 > self.opts.segment_size {
                g = self.roll(g)?;
            }
            let at = g.end;
            rec.frame_into(at, &mut g.buf);
            g.end = Lsn(at.0 + len);
            g.stats.records += 1;
            g.stats.bytes += len;
        }
        g.buf_commits += 1;
        g.stats.commits += 1;
        let end = g.end;
        Ok((g, end))
    }

    /// Returns once the log is durable up to `target` (an LSN from [`Wal::append`]). In
    /// `Standard` mode the caller writes and fsyncs itself; in `Unified` mode it joins the
    /// running group flush or leads the next one, so concurrent waiters share one fsync.
    pub fn wait_durable(&self, target: Lsn) -> Result<()> {
        let g = self.lock();
        match self.opts.mode {
            WalMode::Standard => {
                if g.durable >= target {
                    return Ok(());
                }
                g.check()?;
                let (g, res) = self.flush_locked(g, true);
                drop(g);
                res
            }
            WalMode::Unified => self.wait_durable_locked(g, target).map(|_| ()),
        }
    }

    /// The LSN just past the last appended record (durable or not).
    pub fn end_lsn(&self) -> Lsn {
        self.lock().end
    }

    /// Makes everything appended so far durable; returns the durable end LSN.
    pub fn flush(&self) -> Result<Lsn> {
        let g = self.lock();
        g.check()?;
        let target = g.end;
        self.wait_durable_locked(g, target)
    }

    /// Waits until the durable LSN reaches `target`, leading a group flush when none is running.
    fn wait_durable_locked<'a>(&'a self, mut g: MutexGuard<'a, State>, target: Lsn) -> Result<Lsn> {
        loop {
            if g.durable >= target {
                return Ok(g.durable);
            }
            g.check()?;
            if g.leader {
                g = self.flushed.wait(g).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Lead: give committers already on their way a moment to join this batch.
            g.leader = true;
            // Wait while committers are on their way, or until as many commits as the last
            // flush carried have joined, within the window.
            let deadline = Instant::now() + (g.last_flush / 2).min(MAX_GATHER);
            while self.arriving.load(Ordering::SeqCst) > 0 || g.buf_commits < g.last_batch {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                g = match self.appended.wait_timeout(g, deadline - now) {
                    Ok((g, _)) => g,
                    Err(e) => e.into_inner().0,
                };
            }
            g.leader = false;
            let hold = self.opts.mode == WalMode::Standard;
            let (ng, res) = self.flush_locked(g, hold);
            g = ng;
            res?;
        }
    }

    /// Writes the buffer and fsyncs. With `hold_lock` the lock is kept across the I/O (Standard
    /// commits, and segment roll-over, where nothing may be appended to the old segment
    /// meanwhile); otherwise it is released so others can fill the next batch. On failure the
    /// log is poisoned and every waiter is woken.
    fn flush_locked<'a>(
        &'a self,
        mut g: MutexGuard<'a, State>,
        hold_lock: bool,
    ) -> (MutexGuard<'a, State>, Result<()>) {
        if g.buf.is_empty() && g.durable >= g.end {
            return (g, Ok(()));
        }
        g.leader = true;
        let buf = mem::take(&mut g.buf);
        let commits = mem::take(&mut g.buf_commits);
        let file = Arc::clone(&g.file);
        let offset = g.file_offset(g.written);
        let batch_end = g.end;
        let path = g.seg_path.clone();
        let io = || {
            file.write_at(&buf, offset)
                .map_err(|e| Error::io("appending to WAL segment", &path, e))
                .and_then(|()| {
                    file.sync()
                        .map_err(|e| Error::io("syncing WAL segment", &path, e))
                })
        };
        let started = Instant::now();
        let (mut g, res) = if hold_lock {
            let res = io();
            (g, res)
        } else {
            drop(g);
            let res = io();
            (self.lock(), res)
        };
        g.leader = false;
        match &res {
            Ok(()) => {
                g.written = batch_end;
                g.last_flush = started.elapsed();
                g.last_batch = commits;
                g.durable = batch_end;
                g.stats.fsyncs += 1;
                g.stats.batches += 1;
                g.stats.batched_commits += commits;
                g.stats.max_batch = g.stats.max_batch.max(commits);
                // Reuse the allocation for the next batch.
                if g.buf.is_empty() {
                    let mut buf = buf;
                    buf.clear();
                    g.buf = buf;
                }
            }
            Err(e) => {
                g.poisoned.get_or_insert_with(|| e.to_string());
            }
        }
        self.flushed.notify_all();
        (g, res)
    }

    /// Makes the current segment durable up to `end`, creates the next segment after the
    /// closing record, closes the current one, and switches (the order in the module doc).
    fn roll<'a>(&'a self, mut g: MutexGuard<'a, State>) -> Result<MutexGuard<'a, State>> {
        while g.leader {
            g = self.flushed.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        g.check()?;
        let (ng, res) = self.flush_locked(g, true);
        g = ng;
        res?;
        g.check()?;
        let closing = PreparedRecord::segment_end();
        let first = Lsn(g.end.0 + closing.framed_len());
        let created = create_segment(
            self.vfs.as_ref(),
            &self.dir,
            first,
            self.page_size,
            self.opts.segment_size,
        )
        .and_then(|next| {
            let mut buf = Vec::new();
            closing.frame_into(g.end, &mut buf);
            let offset = g.file_offset(g.end);
            g.file
                .write_at(&buf, offset)
                .map_err(|e| Error::io("closing WAL segment", &g.seg_path, e))?;
            g.file
                .sync()
                .map_err(|e| Error::io("syncing WAL segment", &g.seg_path, e))?;
            Ok(next)
        });
        match created {
            Ok((file, path)) => {
                g.stats.records += 1;
                g.stats.bytes += closing.framed_len();
                g.stats.fsyncs += 1;
                g.end = first;
                g.durable = first;
                g.file = file;
                g.seg_first = first;
                g.written = first;
                g.seg_path = path.clone();
                g.segments.push((first, path));
                g.stats.fsyncs += 1;
                g.stats.segments_created += 1;
                Ok(g)
            }
            Err(e) => {
                g.poisoned.get_or_insert_with(|| e.to_string());
                self.flushed.notify_all();
                Err(e)
            }
        }
    }

    /// Deletes the segments that lie wholly before `lsn` (after a checkpoint at `lsn`). The
    /// current segment and anything not yet durable are always kept. With an archive, every
    /// closed segment is archived first (see [`Wal::archive_closed`]); a failed copy is returned
    /// as the error and nothing is deleted.
    pub fn recycle_before(&self, lsn: Lsn) -> Result<()> {
        let mut g = self.lock();
        g.check()?;
        self.archive_locked(&mut g)?;
        let limit = lsn.min(g.durable);
        let mut removed = 0;
        while g.segments.len() > 1 && g.segments[1].0 <= limit {
            if self.opts.archive.is_some() && !g.archived.contains(&g.segments[0].0) {
                // Unreachable after a successful archive pass; kept as the rule itself.
                return Err(Error::InvalidArgument(format!(
                    "WAL segment {} is not archived yet and cannot be recycled",
                    g.segments[0].1.display()
                )));
            }
            let (first, path) = g.segments.remove(0);
            g.archived.remove(&first);
            if let Err(e) = self.vfs.remove_file(&path) {
                g.segments.insert(0, (first, path.clone()));
                return Err(Error::io("removing WAL segment", path, e));
            }
            removed += 1;
        }
        if removed > 0 {
            self.vfs
                .sync_dir(&self.dir)
                .map_err(|e| Error::io("syncing WAL directory", &self.dir, e))?;
            g.stats.segments_recycled += removed;
        }
        Ok(())
    }

    /// Copies every closed segment (one with a successor) not yet archived into the archive
    /// directory; returns how many were copied. Without an archive this does nothing.
    pub fn archive_closed(&self) -> Result<u64> {
        let mut g = self.lock();
        g.check()?;
        self.archive_locked(&mut g)
    }

    fn archive_locked(&self, g: &mut MutexGuard<'_, State>) -> Result<u64> {
        let Some(archive) = &self.opts.archive else {
            return Ok(0);
        };
        let mut copied = 0;
        for pair in g.segments.windows(2) {
            let [(first, path), (next, _)] = pair else {
                continue;
            };
            if g.archived.contains(first) {
                continue;
            }
            let len = SEGMENT_HEADER_LEN + (next.0 - first.0);
            if super::archive::archive_segment(self.vfs.as_ref(), path, len, archive)? {
                copied += 1;
            }
        }
        let closed: Vec<Lsn> = g
            .segments
            .iter()
            .take(g.segments.len().saturating_sub(1))
            .map(|(l, _)| *l)
            .collect();
        g.archived.extend(closed);
        g.stats.segments_archived += copied;
        Ok(copied)
    }

    /// The durable end LSN.
    pub fn durable_lsn(&self) -> Lsn {
        self.lock().durable
    }

    /// The counters since open.
    pub fn stats(&self) -> WalStats {
        let g = self.lock();
        WalStats {
            segments: g.segments.len() as u64,
            durable_lsn: g.durable,
            ..g.stats
        }
    }

    /// The mode chosen at open.
    pub fn mode(&self) -> WalMode {
        self.opts.mode
    }
}

/// Creates the log directory `dir` holding one empty segment that starts at `first` — the log of
/// a database whose data file is checkpointed at `first` (a restored backup).
pub(crate) fn create_log(
    vfs: &dyn Vfs,
    dir: &Path,
    first: Lsn,
    page_size: u32,
    size: u64,
) -> Result<()> {
    vfs.create_dir_all(dir)
        .map_err(|e| Error::io("creating WAL directory", dir, e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        vfs.sync_dir(parent)
            .map_err(|e| Error::io("syncing directory", parent, e))?;
    }
    create_segment(vfs, dir, first, page_size, size.max(MIN_SEGMENT_SIZE)).map(|_| ())
}

/// Creates the segment starting at `first`: zero-filled to `size` (so appends need no metadata
/// update), header written, file fsynced, directory fsynced — in that order.
fn create_segment(
    vfs: &dyn Vfs,
    dir: &Path,
    first: Lsn,
    page_size: u32,
    size: u64,
) -> Result<(Arc<dyn VfsFile>, PathBuf)> {
    let path = dir.join(segment_name(first));
    let err = |op| {
        let path = path.clone();
        move |e| Error::io(op, path, e)
    };
    let file = vfs
        .open(&path, OpenMode::CreateNew)
        .map_err(err("creating WAL segment"))?;
    let zeros = vec![0u8; (1 << 20).min(size as usize)];
    let mut at = SEGMENT_HEADER_LEN;
    while at < size {
        let n = (size - at).min(zeros.len() as u64) as usize;
        file.write_at(&zeros[..n], at)
            .map_err(err("preallocating WAL segment"))?;
        at += n as u64;
    }
    let header = SegmentHeader::new(page_size, first, size).encode();
    file.write_at(&header, 0)
        .map_err(err("writing WAL segment header"))?;
    file.sync().map_err(err("syncing new WAL segment"))?;
    vfs.sync_dir(dir)
        .map_err(|e| Error::io("syncing WAL directory", dir, e))?;
    Ok((Arc::from(file), path))
}
