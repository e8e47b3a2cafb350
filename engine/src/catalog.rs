//! The catalog: everything the engine can describe about itself, as data.
//!
//! `ldb catalog --json` prints it; the evidence site renders it as the schema catalog and diffs it
//! between versions. Today it describes the storage structures — file header, meta slots, page
//! header, page types, B+tree limits, WAL segment and record layouts, format versions — and the
//! configuration of a database when one is given, and then also its tables (columns, primary
//! key, indexes, row counts) and its applied migration history ([`schema`]). Every figure is taken from the constants the code itself uses —
//! field offsets, widths and encodings from the [`Field`](crate::util::codec::Field) constants
//! the decoders read (`storage::header::layout`, `storage::page::layout`, `wal::format::layout`)
//! — so the catalog cannot drift from the implementation; `engine/tests/engine/catalog.rs`
//! checks each field against real encoded bytes and against `engine/FORMAT.md`.

pub mod schema;

use serde::Serialize;

use crate::btree;
use crate::db::Database;
use crate::storage::{header, page};
use crate::util::codec::Field as CodecField;
use crate::wal::format as walfmt;

/// Version of the catalog JSON layout.
///
/// 2: adds `schema` (a database's tables and migration history; `null` without a database).
pub const CATALOG_FORMAT_VERSION: u32 = 2;

/// One field of a fixed byte layout.
#[derive(Clone, Debug, Serialize)]
pub struct Field {
    /// Field name.
    pub name: &'static str,
    /// Byte offset within its structure.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
    /// Encoding (`u64 le`, `bytes`, …).
    pub encoding: &'static str,
    /// What it holds.
    pub description: &'static str,
}

/// A named byte layout.
#[derive(Clone, Debug, Serialize)]
pub struct Layout {
    /// What the structure is.
    pub description: &'static str,
    /// Total size in bytes (0 when variable).
    pub size: usize,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// A page or record type code.
#[derive(Clone, Debug, Serialize)]
pub struct TypeCode {
    /// The code byte.
    pub code: u8,
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub description: &'static str,
}

/// The whole catalog.
#[derive(Clone, Debug, Serialize)]
pub struct Catalog {
    /// Version of this JSON layout.
    pub format_version: u32,
    /// The engine's version.
    pub engine_version: &'static str,
    /// Data file format version written in page 0.
    pub data_format_version: u32,
    /// WAL segment format version.
    pub wal_format_version: u32,
    /// Page 0: the static file header.
    pub file_header: Layout,
    /// Each of the two meta slots in page 0.
    pub meta_slot: Layout,
    /// The header every other page starts with.
    pub page_header: Layout,
    /// Page type codes.
    pub page_types: Vec<TypeCode>,
    /// The WAL segment header.
    pub wal_segment_header: Layout,
    /// The header of every WAL record.
    pub wal_record_header: Layout,
    /// WAL record kinds.
    pub wal_record_types: Vec<TypeCode>,
    /// Size limits.
    pub limits: Limits,
    /// Configuration of the database described (defaults when none was given).
    pub configuration: Configuration,
    /// The database's tables and migration history (`None` when no database was given).
    pub schema: Option<schema::Schema>,
}

/// Size limits of keys, values, pages and log records.
#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    /// Smallest page size.
    pub min_page_size: usize,
    /// Largest page size.
    pub max_page_size: usize,
    /// Longest key on any page size.
    pub max_key_len: usize,
    /// Longest key on the configured page size.
    pub max_key_len_for_page_size: usize,
    /// Largest value.
    pub max_value_len: usize,
    /// Largest WAL record payload.
    pub max_wal_payload: usize,
}

/// The configuration of one database (or the defaults).
#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    /// Whether this describes a real database (`false`: defaults for a new one).
    pub from_database: bool,
    /// Page size in bytes.
    pub page_size: usize,
    /// WAL mode (`standard` or `unified`).
    pub wal_mode: &'static str,
    /// Keys stored (0 for defaults).
    pub entries: u64,
    /// Pages in the data file (0 for defaults).
    pub page_count: u64,
}

fn f(name: &'static str, field: CodecField, description: &'static str) -> Field {
    Field {
        name,
        offset: field.offset,
        size: field.width,
        encoding: field.encoding.name(),
        description,
    }
}

/// The catalog of the engine's formats, with `db`'s configuration, tables and migration
/// history if given.
pub fn describe(db: Option<&Database>) -> crate::schema::migrate::Result<Catalog> {
    let schema = db.map(schema::describe).transpose()?;
    let configuration = match db {
        Some(db) => {
            let stats = db.stats()?;
            Configuration {
                from_database: true,
                page_size: stats.page_size,
                wal_mode: stats.wal_mode,
                entries: stats.entries,
                page_count: stats.storage.page_count,
            }
        }
        None => Configuration {
            from_database: false,
            page_size: page::DEFAULT_PAGE_SIZE,
            wal_mode: "standard",
            entries: 0,
            page_count: 0,
        },
    };
    let slot = header::SLOT_LEN;
    use header::layout as h;
    use header::layout::meta as m;
    use page::layout as p;
    use walfmt::layout as r;
    use walfmt::layout::segment as w;
    Ok(Catalog {
        format_version: CATALOG_FORMAT_VERSION,
        engine_version: env!("CARGO_PKG_VERSION"),
        data_format_version: header::FORMAT_VERSION,
        wal_format_version: walfmt::SEGMENT_VERSION,
        file_header: Layout {
            description: "bytes 0..64 of page 0: identifies the file and fixes its page size",
            size: header::STATIC_LEN,
            fields: vec![
                f("magic", h::MAGIC, "\"LIGHTNDB\""),
                f(
                    "format_version",
                    h::FORMAT_VERSION,
                    "data file format version",
                ),
                f("page_size", h::PAGE_SIZE, "page size in bytes"),
                f("created_at", h::CREATED_AT, "creation time, unix seconds"),
                f("reserved", h::RESERVED, "reserved"),
                f("crc32c", h::CRC, "CRC32C of bytes 0..60"),
            ],
        },
        meta_slot: Layout {
            description: "two slots at 64..192 and 192..320 of page 0; the valid one with the highest seq is the last checkpoint",
            size: slot,
            fields: vec![
                f("seq", m::SEQ, "checkpoint sequence number"),
                f(
                    "checkpoint_lsn",
                    m::CHECKPOINT_LSN,
                    "WAL position the data file reflects; redo starts after it",
                ),
                f("root", m::ROOT, "B+tree root page (0 = empty tree)"),
                f(
                    "freelist_head",
                    m::FREELIST_HEAD,
                    "first page of the persisted freelist (0 = none)",
                ),
                f("page_count", m::PAGE_COUNT, "pages in the data file"),
                f("entry_count", m::ENTRY_COUNT, "keys in the tree"),
                f(
                    "next_txn_id",
                    m::NEXT_TXN_ID,
                    "next transaction id to assign",
                ),
                f("reserved", m::RESERVED, "reserved"),
                f("crc32c", m::CRC, "CRC32C of the slot's other bytes"),
            ],
        },
        page_header: Layout {
            description: "the first bytes of every page except page 0",
            size: page::PAGE_HEADER_LEN,
            fields: vec![
                f("crc32c", p::CRC, "CRC32C of bytes 4..page_size"),
                f("page_type", p::PAGE_TYPE, "see page_types"),
                f("flags", p::FLAGS, "type-specific"),
                f("reserved", p::RESERVED, "reserved"),
                f(
                    "page_id",
                    p::PAGE_ID,
                    "the page's own number (catches misdirected writes)",
                ),
                f("lsn", p::LSN, "LSN of the commit that last wrote the page"),
            ],
        },
        page_types: [
            page::PageType::Branch,
            page::PageType::Leaf,
            page::PageType::Overflow,
            page::PageType::FreeList,
        ]
        .into_iter()
        .map(|t| TypeCode {
            code: t as u8,
            name: match t {
                page::PageType::Branch => "branch",
                page::PageType::Leaf => "leaf",
                page::PageType::Overflow => "overflow",
                page::PageType::FreeList => "freelist",
            },
            description: match t {
                page::PageType::Branch => "B+tree interior node: separator keys and child page ids",
                page::PageType::Leaf => "B+tree leaf: keys with inline values or overflow pointers",
                page::PageType::Overflow => "one page of a large value's overflow chain",
                page::PageType::FreeList => "one page of the persisted freelist chain",
            },
        })
        .collect(),
        wal_segment_header: Layout {
            description: "the first bytes of every WAL segment file (<first lsn as 16 hex digits>.wal)",
            size: walfmt::SEGMENT_HEADER_LEN as usize,
            fields: vec![
                f("magic", w::MAGIC, "\"LDBWAL01\""),
                f("format_version", w::VERSION, "WAL format version"),
                f(
                    "page_size",
                    w::PAGE_SIZE,
                    "page size of the database the log belongs to",
                ),
                f(
                    "first_lsn",
                    w::FIRST_LSN,
                    "LSN of the segment's first record",
                ),
                f(
                    "segment_size",
                    w::SEGMENT_SIZE,
                    "the size the file was created with (version 3); a shorter file is truncated",
                ),
                f("reserved", w::RESERVED, "reserved"),
                f("crc32c", w::CRC, "CRC32C of bytes 0..60"),
            ],
        },
        wal_record_header: Layout {
            description: "the header of every WAL record; the payload follows",
            size: walfmt::RECORD_HEADER_LEN,
            fields: vec![
                f("len", r::LEN, "payload bytes"),
                f("crc32c", r::CRC, "CRC32C over lsn, kind and payload"),
                f("lsn", r::LSN, "the record's own position in the log"),
                f("kind", r::KIND, "see wal_record_types"),
            ],
        },
        wal_record_types: vec![
            TypeCode {
                code: walfmt::RecordKind::Commit as u8,
                name: "commit",
                description: "the final record of a transaction: txn id, op count, ops (put/delete), commit time (µs since the Unix epoch; WAL format 2 on), durable mark (the log's durable LSN when framed; WAL format 3 on)",
            },
            TypeCode {
                code: walfmt::RecordKind::TxnChunk as u8,
                name: "txn_chunk",
                description: "a non-final piece of a large transaction's ops",
            },
            TypeCode {
                code: walfmt::RecordKind::SegmentEnd as u8,
                name: "segment_end",
                description: "the last record of a full segment (WAL format 3 on): the log goes on in the segment named after its end",
            },
        ],
        limits: Limits {
            min_page_size: page::MIN_PAGE_SIZE,
            max_page_size: page::MAX_PAGE_SIZE,
            max_key_len: btree::MAX_KEY_LEN,
            max_key_len_for_page_size: btree::max_key_len(configuration.page_size),
            max_value_len: btree::MAX_VALUE_LEN,
            max_wal_payload: walfmt::MAX_PAYLOAD,
        },
        configuration,
        schema,
    })
}

impl Catalog {
    /// Renders the catalog as the markdown document committed as `docs/SCHEMA_CATALOG.md`
    /// (`ldb catalog --markdown`); a test keeps the committed copy equal to this output.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Schema catalog\n\n");
        out.push_str(
            "Generated by `ldb catalog --markdown` from the constants the engine uses; do not edit \
             by hand (`engine/tests/engine/catalog.rs` fails when this file and the code disagree — \
             regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p lightning-db --test engine catalog::`).\n\n",
        );
        out.push_str(&format!(
            "Engine {} · data file format {} · WAL format {} · catalog format {}\n\n",
            self.engine_version,
            self.data_format_version,
            self.wal_format_version,
            self.format_version
        ));
        out.push_str(
            "Lightning DB stores tables (typed columns, primary keys, unique and secondary \
             indexes) and their migration history in one ordered key-value map; foreign keys are \
             not part of the engine (N/A). The storage structures below are the complete on-disk \
             format (`engine/FORMAT.md` explains their invariants); given a database, its tables \
             and applied migrations follow. `docs/SCHEMA_CATALOG.md` describes the demo database \
             (`examples/demo`: its migrations applied, then `seed.sql`), whose applied-at times and \
             entry hashes differ on every build and so read `(per build)` there.\n\n",
        );
        for (title, layout) in [
            ("File header (page 0, bytes 0..64)", &self.file_header),
            ("Meta slot (page 0, two copies)", &self.meta_slot),
            ("Page header (every other page)", &self.page_header),
            ("WAL segment header", &self.wal_segment_header),
            ("WAL record header", &self.wal_record_header),
        ] {
            out.push_str(&format!(
                "## {title}\n\n{} — {} bytes.\n\n| offset | size | field | encoding | meaning |\n|---:|---:|---|---|---|\n",
                layout.description, layout.size
            ));
            for f in &layout.fields {
                out.push_str(&format!(
                    "| {} | {} | `{}` | {} | {} |\n",
                    f.offset,
                    f.size,
                    f.name,
                    f.encoding,
                    f.description.replace('|', "\\|")
                ));
            }
            out.push('\n');
        }
        for (title, codes) in [
            ("Page types", &self.page_types),
            ("WAL record types", &self.wal_record_types),
        ] {
            out.push_str(&format!(
                "## {title}\n\n| code | name | holds |\n|---:|---|---|\n"
            ));
            for c in codes {
                out.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    c.code, c.name, c.description
                ));
            }
            out.push('\n');
        }
        let l = &self.limits;
        out.push_str("## Limits\n\n| limit | value |\n|---|---:|\n");
        for (name, value) in [
            ("smallest page size (bytes)", l.min_page_size),
            ("largest page size (bytes)", l.max_page_size),
            ("longest key, any page size (bytes)", l.max_key_len),
            (
                "longest key with 4 KiB pages (bytes)",
                l.max_key_len_for_page_size,
            ),
            ("largest value (bytes)", l.max_value_len),
            ("largest WAL record payload (bytes)", l.max_wal_payload),
        ] {
            out.push_str(&format!("| {name} | {value} |\n"));
        }
        out.push_str(&format!(
            "\n## Defaults for a new database\n\n| setting | value |\n|---|---|\n| page size | {} |\n| WAL mode | {} |\n",
            self.configuration.page_size, self.configuration.wal_mode
        ));
        if let Some(schema) = &self.schema {
            out.push('\n');
            out.push_str(&schema.to_markdown());
        }
        out
    }
}
