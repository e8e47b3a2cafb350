//! The pager: whole-page reads and writes of the data file through the [`Vfs`].
//!
//! Every page read is verified ([`Page::verify`]: checksum, self id, type) before it is returned;
//! every page written is sealed (checksum computed) on its way to the file. Page 0 (the file
//! header) is read and written only through the header functions here, and a meta-slot update
//! writes exactly that slot's 128 bytes.
#![deny(clippy::indexing_slicing)]

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::storage::header::{self, HEADER_LEN, Header, Meta, SLOT_LEN, Slot};
use crate::storage::page::Page;
use crate::types::PageId;
use crate::vfs::{OpenMode, Vfs, VfsFile};

/// Reads and writes pages of one data file.
#[derive(Debug)]
pub struct Pager {
    file: Box<dyn VfsFile>,
    path: PathBuf,
    page_size: usize,
}

impl Pager {
    /// Creates a new data file at `path` holding only page 0 (`meta` in slot A), synced, with
    /// its directory entry synced too.
    pub fn create(
        vfs: &Arc<dyn Vfs>,
        path: &Path,
        page_size: usize,
        created_at: u64,
        meta: &Meta,
    ) -> Result<Pager> {
        if !header::valid_page_size(page_size) {
            return Err(Error::InvalidArgument(format!(
                "page size {page_size} is not a power of two between {} and {}",
                crate::storage::page::MIN_PAGE_SIZE,
                crate::storage::page::MAX_PAGE_SIZE
            )));
        }
        let file = vfs.open(path, OpenMode::CreateNew).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Error::AlreadyExists { path: path.into() }
            } else {
                Error::io("creating", path, e)
            }
        })?;
        let page0 = header::encode_new(page_size, created_at, meta);
        file.write_at(&page0, 0)
            .map_err(|e| Error::io("writing the file header of", path, e))?;
        file.sync()
            .map_err(|e| Error::io("syncing the new data file", path, e))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        vfs.sync_dir(dir)
            .map_err(|e| Error::io("syncing the directory of", path, e))?;
        Ok(Pager {
            file,
            path: path.into(),
            page_size,
        })
    }

    /// Opens an existing data file and decodes its header. Checks that the file holds at least
    /// `page_count` pages (`Error::Truncated` otherwise).
    pub fn open(vfs: &Arc<dyn Vfs>, path: &Path) -> Result<(Pager, Header)> {
        Self::open_mode(vfs, path, OpenMode::Existing)
    }

    /// [`Pager::open`] with the file opened in `mode` ([`OpenMode::ReadOnly`] for a read-only
    /// view: every write through it fails).
    pub fn open_mode(vfs: &Arc<dyn Vfs>, path: &Path, mode: OpenMode) -> Result<(Pager, Header)> {
        let file = vfs.open(path, mode).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::NotFound { path: path.into() }
            } else {
                Error::io("opening", path, e)
            }
        })?;
        let len = file
            .len()
            .map_err(|e| Error::io("reading the length of", path, e))?;
        let n = usize::try_from(len.min(HEADER_LEN as u64)).unwrap_or(HEADER_LEN);
        let mut bytes = vec![0u8; n];
        file.read_at(&mut bytes, 0)
            .map_err(|e| Error::io("reading the file header of", path, e))?;
        let hdr = header::decode(path, &bytes, len)?;
        let need = hdr.meta.page_count.saturating_mul(hdr.page_size as u64);
        if hdr.meta.page_count == 0 {
            return Err(Error::corruption(PageId(0), "meta slot has page count 0"));
        }
        if len < need {
            return Err(Error::Truncated {
                path: path.into(),
                expected: need,
                found: len,
            });
        }
        let pager = Pager {
            file,
            path: path.into(),
            page_size: hdr.page_size,
        };
        Ok((pager, hdr))
    }

    /// The page size.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The data file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn offset(&self, id: PageId) -> Result<u64> {
        id.0.checked_mul(self.page_size as u64)
            .ok_or_else(|| Error::corruption(id, "page id out of range"))
    }

    /// Reads page `id` and verifies it. A short read (page past the end of the file) is
    /// corruption of that page: a reference pointed outside the file.
    pub fn read_page(&self, id: PageId) -> Result<Page> {
        if id.0 == 0 {
            return Err(Error::corruption(
                id,
                "page 0 is the file header, not a page",
            ));
        }
        let mut buf = vec![0u8; self.page_size].into_boxed_slice();
        match self.file.read_at(&mut buf, self.offset(id)?) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::corruption(id, "page lies past the end of the file"));
            }
            Err(e) => return Err(Error::io("reading a page of", &self.path, e)),
        }
        let page = Page::from_bytes(buf);
        page.verify(id)?;
        Ok(page)
    }

    /// Reads page 0 (the file header and meta slots) as raw bytes, for the integrity check.
    pub fn read_header_page(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; self.page_size];
        self.file
            .read_at(&mut buf, 0)
            .map_err(|e| Error::io("reading the header page of", &self.path, e))?;
        Ok(buf)
    }

    /// Seals a copy of `page` (computes its checksum) and writes it at its own id's position.
    /// Not durable until [`Pager::sync`]. Sealing here, on the way to the file, means a page
    /// rewritten many times while cached pays for its checksum once per write-back.
    pub fn write_page(&self, page: &Page) -> Result<()> {
        let id = page.id();
        if id.0 == 0 || page.size() != self.page_size {
            return Err(Error::InvalidArgument(format!(
                "cannot write {id} of {} bytes to a file of {}-byte pages",
                page.size(),
                self.page_size
            )));
        }
        let mut sealed = Page::from_bytes(page.as_bytes().into());
        sealed.seal();
        self.file
            .write_at(sealed.as_bytes(), self.offset(id)?)
            .map_err(|e| Error::io("writing a page of", &self.path, e))
    }

    /// Writes `meta` into `slot` of page 0: exactly that slot's 128 bytes. Not durable until
    /// [`Pager::sync`].
    pub fn write_meta(&self, slot: Slot, meta: &Meta) -> Result<()> {
        let bytes: [u8; SLOT_LEN] = meta.encode();
        self.file
            .write_at(&bytes, slot.offset() as u64)
            .map_err(|e| Error::io("writing a meta slot of", &self.path, e))
    }

    /// Makes every completed write durable. An error here poisons the caller's state.
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync()
            .map_err(|e| Error::io("syncing", &self.path, e))
    }

    /// The file length in bytes.
    pub fn file_len(&self) -> Result<u64> {
        self.file
            .len()
            .map_err(|e| Error::io("reading the length of", &self.path, e))
    }

    /// Truncates (or extends) the file to exactly `pages` pages. Not durable until synced.
    pub fn set_page_count(&self, pages: u64) -> Result<()> {
        self.file
            .set_len(pages.saturating_mul(self.page_size as u64))
            .map_err(|e| Error::io("resizing", &self.path, e))
    }
}
