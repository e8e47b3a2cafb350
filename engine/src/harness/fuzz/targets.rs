//! The fuzz targets: each feeds one input to the decoders of one on-disk (or typed-in) format
//! and returns how they refused it, if they did. A target must never panic, whatever the
//! bytes: a panic is a crash.
//!
//! Inputs that need context carry it in a small prefix the corpus writes and the mutator may
//! damage like everything else: a page its id (8 bytes), a WAL frame its LSN (8 bytes), a
//! columnar chunk its physical type tag and row count (1 + 4 bytes), a catalog entry its key's
//! length and key, a columnar entry its keyspace part.

use std::path::Path;

use crate::btree::node::NodeView;
use crate::btree::overflow;
use crate::columnar::encoding;
use crate::columnar::segment;
use crate::columnar::vector::PhysicalType;
use crate::error::Error;
use crate::harness::fuzz::Corpus;
use crate::schema::catalog::codec;
use crate::schema::{ColumnType, keys, row};
use crate::storage::PageStore;
use crate::storage::page::Page;
use crate::storage::{PageType, freelist, header, page0};
use crate::types::{Lsn, PageId};
use crate::util::codec::Reader;
use crate::wal::format::{self, SegmentHeader};

/// A page store holding one page, the input: what a chain walk reads. Nothing can be written.
struct OnePage(std::sync::Arc<Page>);

impl PageStore for OnePage {
    fn page_size(&self) -> usize {
        self.0.size()
    }
    fn read_page(&self, id: PageId) -> crate::error::Result<std::sync::Arc<Page>> {
        if id == self.0.id() {
            Ok(std::sync::Arc::clone(&self.0))
        } else {
            Err(Error::corruption(id, "not in the fuzz input"))
        }
    }
    fn allocate(&self) -> crate::error::Result<PageId> {
        Err(Error::InvalidArgument("the fuzz store is read-only".into()))
    }
    fn write_page(&self, _page: Page) -> crate::error::Result<()> {
        Err(Error::InvalidArgument("the fuzz store is read-only".into()))
    }
    fn free(&self, _id: PageId) -> crate::error::Result<()> {
        Err(Error::InvalidArgument("the fuzz store is read-only".into()))
    }
}

/// A decoder family under fuzzing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// Data pages: checksum, header, then a B+tree node's cells, slots and children, a
    /// freelist page's ids, or an overflow page walked as a chain.
    Page,
    /// Page 0: the file header, both meta slots, and the integrity check's byte-by-byte check.
    Page0,
    /// WAL segment headers.
    WalHeader,
    /// WAL record frames (header, length bound, checksum).
    WalFrame,
    /// WAL payloads behind the checksum: transaction id, commit trailer, operations.
    WalPayload,
    /// WAL segment file names.
    WalSegmentName,
    /// Backup manifests (JSON).
    BackupManifest,
    /// Catalog entries (the meta entry and table definitions).
    Catalog,
    /// Row values, decoded against their table's definition.
    Row,
    /// Memcomparable key tuples.
    KeyTuple,
    /// Columnar chunks of every type and encoding.
    Chunk,
    /// Columnar keyspace entries: segment state, segment meta, deleted-row bitmaps, stored
    /// column statistics, partition entries.
    SegmentEntry,
    /// SQL text, through the parser.
    Sql,
}

/// Every target, in report order.
pub const ALL: [Target; 13] = [
    Target::Page,
    Target::Page0,
    Target::WalHeader,
    Target::WalFrame,
    Target::WalPayload,
    Target::WalSegmentName,
    Target::BackupManifest,
    Target::Catalog,
    Target::Row,
    Target::KeyTuple,
    Target::Chunk,
    Target::SegmentEntry,
    Target::Sql,
];

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn u64_prefix(input: &[u8]) -> Option<(u64, &[u8])> {
    let head = <[u8; 8]>::try_from(input.get(..8)?).ok()?;
    Some((u64::from_le_bytes(head), input.get(8..)?))
}

impl Target {
    /// The target's name in reports and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Target::Page => "page",
            Target::Page0 => "page0",
            Target::WalHeader => "wal_header",
            Target::WalFrame => "wal_frame",
            Target::WalPayload => "wal_payload",
            Target::WalSegmentName => "wal_segment_name",
            Target::BackupManifest => "backup_manifest",
            Target::Catalog => "catalog",
            Target::Row => "row",
            Target::KeyTuple => "key_tuple",
            Target::Chunk => "chunk",
            Target::SegmentEntry => "segment_entry",
            Target::Sql => "sql",
        }
    }

    /// The target named `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        ALL.into_iter().find(|t| t.name() == name)
    }

    /// Recomputes the checksum a mutation broke, where the format has one the target can
    /// find (pages, columnar chunks); other inputs are left alone.
    pub fn reseal(self, input: &mut Vec<u8>) {
        match self {
            Target::Page if input.len() > 8 + 24 => {
                let mut page = Page::from_bytes(input.get(8..).unwrap_or_default().into());
                page.seal();
                input.truncate(8);
                input.extend_from_slice(page.as_bytes());
            }
            Target::Chunk if input.len() >= 5 + 4 => {
                let end = input.len() - 4;
                let crc = crc32c::crc32c(input.get(5..end).unwrap_or_default());
                input.truncate(end);
                input.extend_from_slice(&crc.to_le_bytes());
            }
            _ => {}
        }
    }

    /// Feeds `input` to the target's decoders; `Err` says how they refused it.
    pub fn exec(self, input: &[u8], corpus: &Corpus) -> Result<(), String> {
        match self {
            Target::Page => {
                let (id, bytes) = u64_prefix(input).ok_or("no page id")?;
                let page = Page::from_bytes(bytes.into());
                page.verify(PageId(id)).map_err(err)?;
                match page.page_type() {
                    Some(PageType::FreeList) => {
                        freelist::decode_page(&page).map(|_| ()).map_err(err)
                    }
                    Some(PageType::Branch | PageType::Leaf) => {
                        let node = NodeView::open(&page, PageId(id)).map_err(err)?;
                        for i in 0..node.count() {
                            node.key(i).map_err(err)?;
                            node.slot_prefix(i).map_err(err)?;
                            if node.is_leaf() {
                                node.leaf_cell(i).map_err(err)?;
                            } else {
                                node.child(i).map_err(err)?;
                            }
                        }
                        if !node.is_leaf() {
                            node.child(node.count()).map_err(err)?;
                        }
                        node.search(b"t0000000030-01").map(|_| ()).map_err(err)
                    }
                    Some(PageType::Overflow) => {
                        // A chain of this one page, as long as the page says it holds (its
                        // successor, if it names one, is not in the input: a refusal).
                        let len = crate::util::codec::read_u32_at(
                            page.body(),
                            overflow::layout::LEN.offset,
                        )
                        .unwrap_or(0);
                        let store = OnePage(std::sync::Arc::new(page));
                        overflow::walk_chain(&store, PageId(id), u64::from(len), |_, _| {})
                            .map_err(err)
                    }
                    None => Ok(()),
                }
            }
            Target::Page0 => {
                let path = Path::new("data.ldb");
                let h = header::decode(path, input, input.len() as u64).map_err(err)?;
                let bytes = input
                    .get(..h.page_size)
                    .ok_or("shorter than its page size")?;
                let problems = page0::verify(path, bytes, h.page_size, h.active, &h.meta);
                match problems.first() {
                    Some(p) => Err(p.clone()),
                    None => Ok(()),
                }
            }
            Target::WalHeader => {
                let b =
                    <[u8; 64]>::try_from(input.get(..64).ok_or("short header")?).map_err(err)?;
                SegmentHeader::decode(&b).map(|_| ())
            }
            Target::WalFrame => {
                let (lsn, bytes) = u64_prefix(input).ok_or("no lsn")?;
                match format::read_frame(bytes, Lsn(lsn)) {
                    Ok(frame) => Target::WalPayload.exec(frame.payload, corpus),
                    Err(e) => Err(format!("{e:?}")),
                }
            }
            Target::WalPayload => {
                let (_, body) = format::split_txn(input)?;
                let header = SegmentHeader::new(4096, Lsn(0), 64 << 10);
                let (ops, _) = format::split_commit_trailer(body, &header)?;
                let mut rest = ops;
                let count = format::get_varint(&mut rest)?;
                format::decode_ops(rest, count.min(1 << 20)).map(|_| ())
            }
            Target::WalSegmentName => {
                let name = String::from_utf8_lossy(input);
                crate::wal::parse_segment_name(Path::new(name.as_ref()))
                    .map(|_| ())
                    .ok_or_else(|| "not a segment name".to_string())
            }
            Target::BackupManifest => {
                crate::backup::manifest::Manifest::decode(Path::new("manifest.json"), input)
                    .map(|_| ())
                    .map_err(err)
            }
            Target::Catalog => {
                let (&n, rest) = input.split_first().ok_or("empty")?;
                let key = rest.get(..n as usize).ok_or("short key")?;
                let value = rest.get(n as usize..).unwrap_or_default();
                if key == keys::CATALOG_META_KEY {
                    codec::decode_meta(value).map(|_| ()).map_err(err)
                } else {
                    let id = key
                        .get(4..8)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map_or(0, u32::from_be_bytes);
                    codec::decode_table(id, value).map(|_| ()).map_err(err)
                }
            }
            Target::Row => {
                let def = corpus.row_table.as_ref().ok_or("no table")?;
                row::decode_row(def, input).map(|_| ()).map_err(err)
            }
            Target::KeyTuple => {
                let types = [
                    ColumnType::Text,
                    ColumnType::Int,
                    ColumnType::Double,
                    ColumnType::Bool,
                    ColumnType::Bytes,
                ];
                let mut first = Err(String::new());
                for n in 1..=types.len() {
                    let r = keys::decode_tuple(input, types.get(..n).unwrap_or_default(), "fuzz")
                        .map(|_| ())
                        .map_err(err);
                    if n == 1 || r.is_ok() {
                        first = r;
                    }
                }
                let _ =
                    keys::decode_tuple(input, &[ColumnType::Double, ColumnType::Timestamp], "fuzz");
                first
            }
            Target::Chunk => {
                let (&tag, rest) = input.split_first().ok_or("empty")?;
                let rows = rest
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_le_bytes) as usize;
                let bytes = rest.get(4..).unwrap_or_default();
                let ty = PhysicalType::from_tag(tag).unwrap_or(PhysicalType::Int);
                encoding::describe(bytes, ty, rows).map_err(err)?;
                encoding::decode(bytes, ty, rows).map(|_| ()).map_err(err)
            }
            Target::SegmentEntry => {
                let (&part, value) = input.split_first().ok_or("empty")?;
                match part {
                    0x00 => segment::decode_state(value).map(|_| ()).map_err(err),
                    0x01 => segment::decode_meta(value).map(|_| ()).map_err(err),
                    0x03 => segment::decode_deleted(value, 65_536)
                        .map(|_| ())
                        .map_err(err),
                    0x04 => crate::columnar::table_stats::StoredStats::decode(value)
                        .map(|_| ())
                        .map_err(err),
                    0x06 => crate::columnar::partition::decode_entry(7, value)
                        .map(|_| ())
                        .map_err(err),
                    _ => {
                        let mut r = Reader::new(value);
                        crate::columnar::stats::ColumnStats::decode(&mut r)
                            .map(|_| ())
                            .map_err(err)
                    }
                }
            }
            Target::Sql => {
                let text = String::from_utf8_lossy(input);
                crate::schema::sql::parse::parse_script(&text)
                    .map(|_| ())
                    .map_err(err)
            }
        }
    }
}
