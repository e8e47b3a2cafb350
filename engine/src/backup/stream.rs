//! The page stream: `pages.zst`, a zstd frame whose decompressed bytes are a 32-byte header
//! followed by whole pages.
//!
//! Header (little-endian): `magic "LDBPAGES" | version u32 | page_size u32 | root u64 |
//! source_lsn u64`. Then `pages` sealed pages (their own header names their id and carries
//! their checksum), each `page_size` bytes, in tree-walk order, then the end of the stream.
//! The page count is in the manifest; the reader accepts exactly that many pages and nothing
//! after them.

#![deny(clippy::indexing_slicing)]

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::storage::Page;
use crate::types::{Lsn, PageId};
use crate::util::codec::{field_bytes, push_u32, push_u64, read_u32_at, read_u64_at};

/// The fields of the stream header, each named once.
pub mod layout {
    use crate::util::codec::Field;

    /// Magic number `b"LDBPAGES"`.
    pub const MAGIC: Field = Field::bytes(0, 8);
    /// Backup format version.
    pub const VERSION: Field = Field::u32(8);
    /// Page size of the pages that follow.
    pub const PAGE_SIZE: Field = Field::u32(12);
    /// Root page of the backed-up tree (0 = empty).
    pub const ROOT: Field = Field::u64(16);
    /// LSN of the commit the backup holds.
    pub const SOURCE_LSN: Field = Field::u64(24);
}

/// Magic number at the start of the decompressed stream.
pub const MAGIC: &[u8; 8] = b"LDBPAGES";
/// Length of the stream header.
pub const HEADER_LEN: usize = layout::SOURCE_LSN.end();
/// zstd level used for backups: fast, since pages of random data barely compress anyway.
pub const ZSTD_LEVEL: i32 = 1;

/// Bytes of stream written between two `fdatasync`s: keeps the backup's dirty data small, so
/// that it does not pile up and stall the log's fsyncs of concurrent commits.
pub const SYNC_EVERY: u64 = 64 << 20;

/// A writer that hashes and counts the bytes passing through it, syncing every
/// [`SYNC_EVERY`] bytes.
struct Hashing {
    inner: BufWriter<File>,
    hash: Sha256,
    bytes: u64,
    synced: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or(buf));
        self.bytes += n as u64;
        if self.bytes - self.synced >= SYNC_EVERY {
            self.inner.flush()?;
            self.inner.get_ref().sync_data()?;
            self.synced = self.bytes;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes of pages handed to the compression thread at a time.
const CHUNK: usize = 1 << 20;

/// Writes a page stream to a file. The caller's thread copies and seals pages into chunks; a
/// second thread compresses, hashes and writes them, so reading the tree overlaps compression.
pub struct StreamWriter {
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<io::Result<(u64, String)>>>,
    buf: Vec<u8>,
    path: PathBuf,
    page_size: usize,
    pages: u64,
}

fn compress(
    mut enc: zstd::Encoder<'static, Hashing>,
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
) -> io::Result<(u64, String)> {
    for chunk in rx {
        enc.write_all(&chunk)?;
    }
    let mut sink = enc.finish()?;
    sink.flush()?;
    sink.inner.get_ref().sync_all()?;
    Ok((sink.bytes, super::manifest::hex(&sink.hash.finalize())))
}

impl StreamWriter {
    /// Creates `path` (which must not exist) and writes the header.
    pub fn create(path: &Path, page_size: usize, root: PageId, lsn: Lsn) -> Result<StreamWriter> {
        let io = |e| Error::io("creating backup stream", path, e);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        let sink = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            bytes: 0,
            synced: 0,
        };
        let enc = zstd::Encoder::new(sink, ZSTD_LEVEL).map_err(io)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let worker = std::thread::Builder::new()
            .name("backup-compress".into())
            .spawn(move || {
                super::create::background_priority();
                compress(enc, rx)
            })
            .map_err(io)?;
        let mut buf = Vec::with_capacity(CHUNK + page_size);
        buf.extend_from_slice(MAGIC);
        push_u32(&mut buf, super::FORMAT_VERSION);
        push_u32(&mut buf, page_size as u32);
        push_u64(&mut buf, root.0);
        push_u64(&mut buf, lsn.0);
        Ok(StreamWriter {
            tx: Some(tx),
            worker: Some(worker),
            buf,
            path: path.to_path_buf(),
            page_size,
            pages: 0,
        })
    }

    /// Appends one page, sealing a copy first (a page still dirty in the cache has not been
    /// sealed yet).
    pub fn write_page(&mut self, page: &Page) -> Result<()> {
        if page.size() != self.page_size {
            return Err(Error::InvalidArgument(format!(
                "{} is {} bytes in a stream of {}-byte pages",
                page.id(),
                page.size(),
                self.page_size
            )));
        }
        let mut copy = Page::from_bytes(page.as_bytes().into());
        copy.seal();
        self.buf.extend_from_slice(copy.as_bytes());
        self.pages += 1;
        if self.buf.len() >= CHUNK {
            let chunk =
                std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + self.page_size));
            self.send(chunk)?;
        }
        Ok(())
    }

    fn send(&mut self, chunk: Vec<u8>) -> Result<()> {
        let sent = self.tx.as_ref().map(|tx| tx.send(chunk).is_ok());
        if sent != Some(true) {
            // The compression thread stopped early: its result says why.
            self.tx = None;
            return Err(self.join().err().unwrap_or_else(|| {
                Error::io(
                    "writing backup stream",
                    &self.path,
                    io::Error::other("compression thread stopped"),
                )
            }));
        }
        Ok(())
    }

    fn join(&mut self) -> Result<(u64, String)> {
        let failed = |e| Error::io("writing backup stream", &self.path, e);
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(r)) => r.map_err(failed),
            Some(Err(_)) => Err(failed(io::Error::other("compression thread panicked"))),
            None => Err(failed(io::Error::other(
                "compression thread already finished",
            ))),
        }
    }

    /// Ends the stream, fsyncs the file and returns `(pages, file bytes, sha256 hex)`.
    pub fn finish(mut self) -> Result<(u64, u64, String)> {
        let rest = std::mem::take(&mut self.buf);
        if !rest.is_empty() {
            self.send(rest)?;
        }
        self.tx = None;
        let (bytes, sha) = self.join()?;
        Ok((self.pages, bytes, sha))
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        // An abandoned stream: close the channel so the thread ends, and wait for it.
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// Returns the length and sha256 (hex) of the file at `path`.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let io = |e| Error::io("reading backup file", path, e);
    let mut file = File::open(path).map_err(io)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hash.update(buf.get(..n).unwrap_or(&buf));
        bytes += n as u64;
    }
    Ok((bytes, super::manifest::hex(&hash.finalize())))
}

/// Reads a page stream back, checking the header against what the manifest says.
pub struct StreamReader {
    dec: zstd::Decoder<'static, BufReader<File>>,
    path: PathBuf,
    page_size: usize,
    remaining: u64,
}

impl StreamReader {
    /// Opens `path` and checks its header: version, `page_size`, `root` and `lsn` must match.
    pub fn open(
        path: &Path,
        page_size: usize,
        root: PageId,
        lsn: Lsn,
        pages: u64,
    ) -> Result<StreamReader> {
        let file = File::open(path).map_err(|e| Error::io("opening backup stream", path, e))?;
        let dec =
            zstd::Decoder::new(file).map_err(|e| Error::io("opening backup stream", path, e))?;
        let mut r = StreamReader {
            dec,
            path: path.to_path_buf(),
            page_size,
            remaining: pages,
        };
        let mut h = [0u8; HEADER_LEN];
        r.read_exact(&mut h, "the stream header")?;
        // `h` is the whole header, so none of these reads can fail.
        let short = |e| r.bad(format!("stream header: {e}"));
        let h_magic = field_bytes(&h, layout::MAGIC).map_err(short)?;
        let h_version = read_u32_at(&h, layout::VERSION.offset).map_err(short)?;
        let h_page_size = read_u32_at(&h, layout::PAGE_SIZE.offset).map_err(short)?;
        let h_root = read_u64_at(&h, layout::ROOT.offset).map_err(short)?;
        let h_lsn = read_u64_at(&h, layout::SOURCE_LSN.offset).map_err(short)?;
        if h_magic != MAGIC
            || h_version != super::FORMAT_VERSION
            || h_page_size as usize != page_size
            || h_root != root.0
            || h_lsn != lsn.0
        {
            return Err(r.bad(format!(
                "stream header (magic, version {}, page size {}, root {h_root}, lsn {h_lsn}) \
                 does not match the manifest (version {}, page size {page_size}, root {}, lsn {})",
                h_version,
                h_page_size,
                super::FORMAT_VERSION,
                root.0,
                lsn.0
            )));
        }
        Ok(r)
    }

    fn bad(&self, detail: String) -> Error {
        Error::InvalidBackup {
            path: self.path.clone(),
            detail,
        }
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        match self.dec.read_exact(buf) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(self.bad(format!("stream ends inside {what}")))
            }
            Err(e) => Err(self.bad(format!("cannot decompress {what}: {e}"))),
        }
    }

    /// The next page, verified against its own checksum; `None` after the last page, once the
    /// stream is confirmed to end there.
    pub fn next_page(&mut self) -> Result<Option<Page>> {
        if self.remaining == 0 {
            let mut extra = [0u8; 1];
            return match self.dec.read(&mut extra) {
                Ok(0) => Ok(None),
                Ok(_) => Err(self.bad("stream holds more pages than the manifest lists".into())),
                Err(e) => Err(self.bad(format!("cannot decompress the stream end: {e}"))),
            };
        }
        let mut buf = vec![0u8; self.page_size].into_boxed_slice();
        self.read_exact(&mut buf, "a page")?;
        self.remaining -= 1;
        let page = Page::from_bytes(buf);
        page.verify(page.id())
            .map_err(|e| self.bad(format!("page fails verification: {e}")))?;
        Ok(Some(page))
    }
}
