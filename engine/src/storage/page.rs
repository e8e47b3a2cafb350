//! The page: a fixed-size, checksummed block of the data file.
//!
//! Layout of every page except page 0 (the file header), little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0  | 4 | CRC32C of bytes `4..page_size` |
//! | 4  | 1 | page type ([`PageType`]) |
//! | 5  | 1 | flags (type-specific) |
//! | 6  | 2 | reserved, zero |
//! | 8  | 8 | page id (the page's own number: catches misdirected writes) |
//! | 16 | 8 | LSN of the commit that last wrote the page |
//! | 24 | .. | body (type-specific) |
//!
//! A page read from disk is verified ([`Page::verify`]) before anything else looks at it.

#![deny(clippy::indexing_slicing)]

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::types::{Lsn, PageId};
use crate::util::codec::{put_u8_at, put_u32_at, put_u64_at, read_u8_at, read_u32_at, read_u64_at};

/// The fields of the page header, each named once: the page accessors, the catalog and the
/// drift test against `engine/FORMAT.md` all read these.
pub mod layout {
    use crate::util::codec::Field;

    /// CRC32C of the page's bytes after this field.
    pub const CRC: Field = Field::u32(0);
    /// Page type byte.
    pub const PAGE_TYPE: Field = Field::u8(4);
    /// Type-specific flags.
    pub const FLAGS: Field = Field::u8(5);
    /// Reserved, zero.
    pub const RESERVED: Field = Field::zeros(6, 2);
    /// The page's own id.
    pub const PAGE_ID: Field = Field::u64(8);
    /// LSN of the commit that last wrote the page.
    pub const LSN: Field = Field::u64(16);
}

/// Bytes of the common page header; the body starts here.
pub const PAGE_HEADER_LEN: usize = layout::LSN.end();
/// Smallest page size the engine accepts.
pub const MIN_PAGE_SIZE: usize = 1024;
/// Largest page size the engine accepts.
pub const MAX_PAGE_SIZE: usize = 64 * 1024;
/// Default page size for new databases.
pub const DEFAULT_PAGE_SIZE: usize = 4096;

/// What a page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PageType {
    /// A B+tree interior node: separator keys and child page ids.
    Branch = 1,
    /// A B+tree leaf: keys and values (or overflow pointers).
    Leaf = 2,
    /// One page of a large value's overflow chain.
    Overflow = 3,
    /// A page of the persisted freelist.
    FreeList = 4,
}

impl PageType {
    /// Decodes a page-type byte.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(PageType::Branch),
            2 => Some(PageType::Leaf),
            3 => Some(PageType::Overflow),
            4 => Some(PageType::FreeList),
            _ => None,
        }
    }
}

/// A page buffer with typed access to its header.
///
/// The bytes live in one shared allocation (`Arc<[u8]>`: reference counts and page bytes
/// side by side, so reaching a cached page's header costs one pointer hop). Cloning is cheap;
/// every mutating method first makes the buffer exclusive, copying it if it is shared
/// (copy-on-write), so a clone never observes another clone's changes.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    buf: Arc<[u8]>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("id", &self.id())
            .field("type", &self.raw_type())
            .field("lsn", &self.lsn())
            .field("len", &self.buf.len())
            .finish()
    }
}

impl Page {
    /// A zeroed page of `page_size` bytes with its header filled in.
    pub fn new(page_size: usize, id: PageId, ty: PageType) -> Self {
        let mut page = Page {
            buf: std::iter::repeat_n(0u8, page_size).collect(),
        };
        let b = page.bytes_mut();
        put_u8_at(b, layout::PAGE_TYPE.offset, ty as u8);
        put_u64_at(b, layout::PAGE_ID.offset, id.0);
        page
    }

    /// Wraps bytes read from disk *without* checking them; call [`Page::verify`] next.
    pub fn from_bytes(buf: Box<[u8]>) -> Self {
        Page { buf: buf.into() }
    }

    /// The bytes, exclusively: copies them first if another clone shares them.
    fn bytes_mut(&mut self) -> &mut [u8] {
        if Arc::get_mut(&mut self.buf).is_none() {
            self.buf = Arc::from(&*self.buf);
        }
        Arc::get_mut(&mut self.buf).expect("a buffer just copied has no other owner")
    }

    /// An exclusive copy of `src`'s bytes, written into `spare`'s buffer if it is a page of the
    /// same size that no one else shares (saving an allocation), else into a new buffer.
    pub fn copy_of(src: &Page, spare: Option<Page>) -> Page {
        match spare {
            Some(mut page) if page.size() == src.size() => {
                if let Some(bytes) = Arc::get_mut(&mut page.buf) {
                    bytes.copy_from_slice(&src.buf);
                    return page;
                }
                Page {
                    buf: Arc::from(&*src.buf),
                }
            }
            _ => Page {
                buf: Arc::from(&*src.buf),
            },
        }
    }

    /// Whether no other clone shares this page's buffer (it may be reused as scratch).
    pub fn is_exclusive(&mut self) -> bool {
        Arc::get_mut(&mut self.buf).is_some()
    }

    /// Whether `self` and `other` share one buffer (the very same image, not just equal bytes).
    pub fn same_image(&self, other: &Page) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
    }

    /// Checks the size, the checksum, the self id and the page type of a page read from disk.
    /// A page is never shorter than [`MIN_PAGE_SIZE`]: every decoder of a verified page relies
    /// on that (a freelist page's capacity is computed from its size).
    pub fn verify(&self, expected: PageId) -> Result<()> {
        let short = || Error::corruption(expected, "page shorter than its header");
        if self.buf.len() < MIN_PAGE_SIZE {
            return Err(Error::corruption(
                expected,
                format!(
                    "page is {} bytes, shorter than the smallest page size {MIN_PAGE_SIZE}",
                    self.buf.len()
                ),
            ));
        }
        let stored = read_u32_at(&self.buf, layout::CRC.offset).map_err(|_| short())?;
        let actual = crc32c::crc32c(self.checksummed());
        if stored != actual {
            return Err(Error::corruption(
                expected,
                format!("checksum mismatch: stored {stored:#010x}, computed {actual:#010x}"),
            ));
        }
        if self.id() != expected {
            return Err(Error::corruption(
                expected,
                format!("page header names {} (misdirected write)", self.id()),
            ));
        }
        if self.page_type().is_none() {
            return Err(Error::corruption(
                expected,
                format!("unknown page type {}", self.raw_type()),
            ));
        }
        Ok(())
    }

    /// Computes and stores the checksum; call after the last change, before writing to disk.
    pub fn seal(&mut self) {
        let crc = crc32c::crc32c(self.checksummed());
        put_u32_at(self.bytes_mut(), layout::CRC.offset, crc);
    }

    /// The bytes the page checksum covers: everything after the checksum field.
    fn checksummed(&self) -> &[u8] {
        self.buf.get(layout::CRC.end()..).unwrap_or_default()
    }

    /// The page's own id, from its header (`PageId(0)` if the page is shorter than its header,
    /// which [`Page::verify`] rejects).
    pub fn id(&self) -> PageId {
        PageId(read_u64_at(&self.buf, layout::PAGE_ID.offset).unwrap_or(0))
    }

    /// Re-numbers the page (used when copy-on-write moves its contents to a new page).
    pub fn set_id(&mut self, id: PageId) {
        put_u64_at(self.bytes_mut(), layout::PAGE_ID.offset, id.0);
    }

    /// The raw page-type byte (0, which is no page type, if the page is shorter than its
    /// header).
    pub fn raw_type(&self) -> u8 {
        read_u8_at(&self.buf, layout::PAGE_TYPE.offset).unwrap_or(0)
    }

    /// The page type, if the byte is a known one.
    pub fn page_type(&self) -> Option<PageType> {
        PageType::from_u8(self.raw_type())
    }

    /// Changes the page type (keeps the body).
    pub fn set_page_type(&mut self, ty: PageType) {
        put_u8_at(self.bytes_mut(), layout::PAGE_TYPE.offset, ty as u8);
    }

    /// The type-specific flags byte (0 if the page is shorter than its header).
    pub fn flags(&self) -> u8 {
        read_u8_at(&self.buf, layout::FLAGS.offset).unwrap_or(0)
    }

    /// Sets the flags byte.
    pub fn set_flags(&mut self, flags: u8) {
        put_u8_at(self.bytes_mut(), layout::FLAGS.offset, flags);
    }

    /// The LSN of the commit that last wrote this page (`Lsn(0)` if the page is shorter than
    /// its header).
    pub fn lsn(&self) -> Lsn {
        Lsn(read_u64_at(&self.buf, layout::LSN.offset).unwrap_or(0))
    }

    /// Sets the page LSN.
    pub fn set_lsn(&mut self, lsn: Lsn) {
        put_u64_at(self.bytes_mut(), layout::LSN.offset, lsn.0);
    }

    /// The body: everything after the header (empty if the page is shorter than its header).
    pub fn body(&self) -> &[u8] {
        self.buf.get(PAGE_HEADER_LEN..).unwrap_or_default()
    }

    /// The body, mutably.
    pub fn body_mut(&mut self) -> &mut [u8] {
        self.bytes_mut()
            .get_mut(PAGE_HEADER_LEN..)
            .unwrap_or_default()
    }

    /// The whole page, header included (what goes to disk).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The page size in bytes.
    pub fn size(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_page_verifies_and_every_bit_flip_is_detected() {
        let mut page = Page::new(1024, PageId(7), PageType::Leaf);
        page.body_mut()[..5].copy_from_slice(b"hello");
        page.set_lsn(Lsn(42));
        page.seal();
        page.verify(PageId(7)).expect("fresh page verifies");
        for bit in 0..page.size() * 8 {
            let mut bad = page.clone();
            bad.bytes_mut()[bit / 8] ^= 1 << (bit % 8);
            assert!(
                bad.verify(PageId(7)).is_err(),
                "flip of bit {bit} not detected"
            );
        }
    }

    #[test]
    fn clones_share_bytes_until_one_changes() {
        let mut a = Page::new(1024, PageId(5), PageType::Leaf);
        a.body_mut()[0] = 1;
        let mut b = a.clone();
        assert!(a.same_image(&b));
        b.body_mut()[0] = 2;
        b.set_lsn(Lsn(9));
        assert!(!a.same_image(&b));
        assert_eq!(
            (a.body()[0], a.lsn()),
            (1, Lsn(0)),
            "the original is untouched"
        );
        assert_eq!((b.body()[0], b.lsn()), (2, Lsn(9)));
    }

    #[test]
    fn copies_reuse_only_exclusive_spare_buffers() {
        let mut src = Page::new(1024, PageId(5), PageType::Leaf);
        src.body_mut()[..3].copy_from_slice(b"abc");
        let spare = Page::new(1024, PageId(9), PageType::Branch);
        let copy = Page::copy_of(&src, Some(spare));
        assert_eq!(copy, src);
        assert!(!copy.same_image(&src), "the copy is exclusive");
        let shared = Page::new(1024, PageId(9), PageType::Branch);
        let holder = shared.clone();
        let copy = Page::copy_of(&src, Some(shared));
        assert_eq!(copy, src);
        assert_eq!(
            holder.id(),
            PageId(9),
            "a shared spare is never overwritten"
        );
        let small = Page::new(2048, PageId(9), PageType::Branch);
        assert_eq!(Page::copy_of(&src, Some(small)), src);
    }

    #[test]
    fn misdirected_page_is_rejected() {
        let mut page = Page::new(1024, PageId(3), PageType::Branch);
        page.seal();
        let err = page.verify(PageId(4)).expect_err("wrong id must fail");
        assert!(err.to_string().contains("misdirected"), "{err}");
    }
}
