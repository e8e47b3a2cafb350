//! The committed schema catalog (`docs/SCHEMA_CATALOG.md`) must equal what the engine generates
//! from its own constants and from the demo database (`examples/demo`: its migrations applied,
//! then `seed.sql`), so the document cannot drift from the code. After a deliberate change:
//! `UPDATE_SNAPSHOTS=1 cargo test -p lightning-db --test engine catalog::`, then review the diff.

use std::path::{Path, PathBuf};

use lightning_db::schema::migrate::{self, Migrator, SqlEngine};
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::{Database, Options};

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo")
}

/// Builds the demo database in `dir`: every demo migration up, then the seed rows.
fn demo_database(dir: &Path) -> Database {
    let db = Database::create(dir.join("demo"), Options::default()).expect("create");
    let files = migrate::read_dir(&demo_dir().join("migrations")).expect("demo migrations");
    let steps = Migrator::open(&db, SqlEngine::new(), files)
        .expect("migrator")
        .up(None)
        .expect("up");
    assert_eq!(steps.len(), 4, "the demo has four migrations");
    let sql = SqlDatabase::new(db);
    let seed = std::fs::read_to_string(demo_dir().join("seed.sql")).expect("seed.sql");
    sql.session().execute_script(&seed).expect("seed");
    sql.into_inner()
}

/// The applied-at times (and so the entry hashes, which cover them) differ on every build of
/// the demo database; the committed document shows them as `(per build)`.
fn normalise(markdown: &str) -> String {
    let mut in_history = false;
    let mut out = String::new();
    for line in markdown.lines() {
        if line.starts_with("## ") {
            in_history = line == "## Migration history";
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        if in_history
            && cells.len() == 8
            && cells[0].trim_start_matches("| ").parse::<u64>().is_ok()
        {
            let mut cells: Vec<String> = cells.into_iter().map(String::from).collect();
            cells[3] = "(per build)".into();
            cells[6] = "(per build)".into();
            out.push_str(&cells.join(" | "));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn committed_schema_catalog_matches_the_engine_and_the_demo_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let generated = normalise(
        &lightning_db::catalog::describe(Some(&db))
            .expect("describe")
            .to_markdown(),
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/SCHEMA_CATALOG.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).expect("write catalog");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; regenerate it with UPDATE_SNAPSHOTS=1 cargo test -p lightning-db --test engine catalog::",
        path.display()
    );
}

#[test]
fn catalog_of_the_demo_database_lists_tables_indexes_rows_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    let json = serde_json::to_value(lightning_db::catalog::describe(Some(&db)).expect("describe"))
        .expect("json");
    assert_eq!(json["format_version"], 2);
    let tables = json["schema"]["tables"].as_array().expect("tables");
    let names: Vec<&str> = tables.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["accounts", "transfers"]);
    let accounts = &tables[0];
    let columns: Vec<(&str, &str, bool)> = accounts["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["type"].as_str().unwrap_or(""),
                c["not_null"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "BIGINT", true),
            ("owner", "TEXT", true),
            ("balance", "BIGINT", true),
            ("status", "TEXT", true)
        ]
    );
    assert_eq!(accounts["columns"][3]["default"], "'open'");
    assert_eq!(accounts["columns"][0]["default"], serde_json::Value::Null);
    assert_eq!(accounts["primary_key"], serde_json::json!(["id"]));
    assert_eq!(accounts["rows"], 4);
    assert_eq!(
        accounts["indexes"],
        serde_json::json!([{"name": "accounts_by_owner", "columns": ["owner"], "unique": true}])
    );
    assert_eq!(tables[1]["rows"], 3);
    assert_eq!(tables[1]["indexes"][0]["unique"], false);
    let history = json["schema"]["migrations"].as_array().expect("history");
    let versions: Vec<u64> = history
        .iter()
        .filter_map(|m| m["version"].as_u64())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4]);
    assert_eq!(json["schema"]["chain_ok"], true);
    let up =
        std::fs::read(demo_dir().join("migrations/0001_create_accounts.up.sql")).expect("up file");
    assert_eq!(
        history[0]["up_sha256"],
        migrate::files::hex(&migrate::files::sha256(&up))
    );
    for m in history {
        assert_eq!(m["kind"], "applied");
        assert_eq!(m["chain_ok"], true);
        assert_eq!(m["entry_hash"].as_str().map(str::len), Some(64));
        assert!(m["applied_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}

#[test]
fn catalog_reports_a_broken_history_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_database(dir.path());
    // Remove the middle entry (version 2) behind the migrator's back.
    let mut key = migrate::history::PREFIX.to_vec();
    key.extend_from_slice(&2u64.to_be_bytes());
    db.delete(&key).expect("delete entry");
    let catalog = lightning_db::catalog::describe(Some(&db)).expect("describe");
    let schema = catalog.schema.as_ref().expect("schema section");
    assert!(!schema.chain_ok);
    assert!(!schema.chain_findings.is_empty());
    assert_eq!(schema.migrations.len(), 3);
    assert!(
        schema.migrations.iter().any(|m| !m.chain_ok),
        "the entry after the gap must be flagged: {:?}",
        schema.chain_findings
    );
    assert!(catalog.to_markdown().contains("Hash chain: BROKEN"));
}

#[test]
fn catalog_without_a_database_has_no_schema_section() {
    let catalog = lightning_db::catalog::describe(None).expect("describe");
    assert!(catalog.schema.is_none());
    let json = serde_json::to_value(&catalog).expect("json");
    assert_eq!(json["schema"], serde_json::Value::Null);
}

#[test]
fn catalog_json_names_every_page_and_record_type() {
    let catalog = lightning_db::catalog::describe(None).expect("describe");
    let json = serde_json::to_value(&catalog).expect("json");
    let names: Vec<&str> = json["page_types"]
        .as_array()
        .expect("page types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["branch", "leaf", "overflow", "freelist"]);
    assert_eq!(json["wal_record_types"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["wal_format_version"], 3);
    assert_eq!(json["file_header"]["size"], 64);
    assert_eq!(json["limits"]["max_key_len_for_page_size"], 994);
}

/// A value a catalog field must read back from encoded bytes.
#[derive(Debug, PartialEq)]
enum Want {
    /// A little-endian integer of the field's width.
    Int(u64),
    /// Exactly these bytes.
    Bytes(&'static [u8]),
    /// All zero.
    Zeros,
    /// CRC32C of the layout's bytes before the field.
    CrcOfBefore,
    /// CRC32C of the whole buffer after the field.
    CrcOfAfter,
}

/// Reads every field of `layout` from `bytes` at the catalog's offset and width, as the
/// catalog's encoding says, and compares it with `want` (by field name). Also checks that the
/// fields tile the layout and that every field has an expectation.
fn check_layout(
    what: &str,
    layout: &lightning_db::catalog::Layout,
    bytes: &[u8],
    want: &[(&str, Want)],
) {
    let mut at = 0;
    for field in &layout.fields {
        assert_eq!(
            field.offset, at,
            "{what}.{}: fields must tile the layout",
            field.name
        );
        at += field.size;
        let raw = bytes
            .get(field.offset..field.offset + field.size)
            .unwrap_or_else(|| panic!("{what}.{} lies outside the encoded bytes", field.name));
        let Some((_, expected)) = want.iter().find(|(n, _)| *n == field.name) else {
            panic!("{what}.{} has no expected value in this test", field.name);
        };
        let int = || {
            let mut b = [0u8; 8];
            b[..raw.len()].copy_from_slice(raw);
            u64::from_le_bytes(b)
        };
        let width = match field.encoding {
            "u8" => 1,
            "u16 le" => 2,
            "u32 le" => 4,
            "u64 le" => 8,
            _ => 0,
        };
        if width != 0 {
            assert_eq!(width, field.size, "{what}.{}: encoding vs size", field.name);
        }
        let ok = match expected {
            Want::Int(v) => width != 0 && int() == *v,
            Want::Bytes(b) => field.encoding == "bytes" && raw == *b,
            Want::Zeros => field.encoding == "zeros" && raw.iter().all(|&b| b == 0),
            Want::CrcOfBefore => {
                width == 4 && int() == u64::from(crc32c::crc32c(&bytes[..field.offset]))
            }
            Want::CrcOfAfter => {
                width == 4
                    && int() == u64::from(crc32c::crc32c(&bytes[field.offset + field.size..]))
            }
        };
        assert!(
            ok,
            "{what}.{} (offset {}, size {}, {}) reads {raw:02x?}, expected {expected:?}",
            field.name, field.offset, field.size, field.encoding
        );
    }
    assert_eq!(at, layout.size, "{what}: fields must cover the layout");
    for (name, _) in want {
        assert!(
            layout.fields.iter().any(|f| f.name == *name),
            "{what} lists no field {name}"
        );
    }
}

/// Every field the catalog describes reads back, at the catalog's offset and width, exactly the
/// value the engine's encoder wrote there — so a wrong offset in the catalog or in the codec
/// constants fails here (and `format_md_states_the_same_offsets` holds both to FORMAT.md).
#[test]
fn every_catalog_field_reads_back_what_the_encoder_wrote() {
    use Want::*;
    use lightning_db::storage::{Page, PageType, header};
    use lightning_db::wal::format as walfmt;
    use lightning_db::{Lsn, PageId, TxnId};

    let catalog = lightning_db::catalog::describe(None).expect("describe");

    let meta = header::Meta {
        seq: 0x0101_0101_0101_0101,
        checkpoint_lsn: Lsn(0x0202_0202_0202_0202),
        root: PageId(0x0303_0303_0303_0303),
        freelist_head: PageId(0x0404_0404_0404_0404),
        page_count: 0x0505_0505_0505_0505,
        entry_count: 0x0606_0606_0606_0606,
        next_txn_id: TxnId(0x0707_0707_0707_0707),
    };
    let page0 = header::encode_new(4096, 0x1122_3344_5566_7788, &meta);
    check_layout(
        "file_header",
        &catalog.file_header,
        &page0[..catalog.file_header.size],
        &[
            ("magic", Bytes(b"LIGHTNDB")),
            ("format_version", Int(1)),
            ("page_size", Int(4096)),
            ("created_at", Int(0x1122_3344_5566_7788)),
            ("reserved", Zeros),
            ("crc32c", CrcOfBefore),
        ],
    );
    let slot_a = header::Slot::A.offset();
    check_layout(
        "meta_slot",
        &catalog.meta_slot,
        &page0[slot_a..slot_a + catalog.meta_slot.size],
        &[
            ("seq", Int(meta.seq)),
            ("checkpoint_lsn", Int(meta.checkpoint_lsn.0)),
            ("root", Int(meta.root.0)),
            ("freelist_head", Int(meta.freelist_head.0)),
            ("page_count", Int(meta.page_count)),
            ("entry_count", Int(meta.entry_count)),
            ("next_txn_id", Int(meta.next_txn_id.0)),
            ("reserved", Zeros),
            ("crc32c", CrcOfBefore),
        ],
    );

    let mut page = Page::new(1024, PageId(0x1817_1615_1413_1211), PageType::Leaf);
    page.set_flags(0xA5);
    page.set_lsn(Lsn(0x2827_2625_2423_2221));
    page.body_mut()[..4].copy_from_slice(b"body");
    page.seal();
    check_layout(
        "page_header",
        &catalog.page_header,
        page.as_bytes(),
        &[
            ("crc32c", CrcOfAfter),
            ("page_type", Int(PageType::Leaf as u64)),
            ("flags", Int(0xA5)),
            ("reserved", Zeros),
            ("page_id", Int(0x1817_1615_1413_1211)),
            ("lsn", Int(0x2827_2625_2423_2221)),
        ],
    );

    let segment = walfmt::SegmentHeader::new(8192, Lsn(0x3837_3635_3433_3231), 0x0009_0000);
    check_layout(
        "wal_segment_header",
        &catalog.wal_segment_header,
        &segment.encode(),
        &[
            ("magic", Bytes(b"LDBWAL01")),
            ("format_version", Int(u64::from(walfmt::SEGMENT_VERSION))),
            ("page_size", Int(8192)),
            ("first_lsn", Int(0x3837_3635_3433_3231)),
            ("segment_size", Int(0x0009_0000)),
            ("reserved", Zeros),
            ("crc32c", CrcOfBefore),
        ],
    );

    let ops = [walfmt::Op::Put {
        key: b"key".to_vec(),
        value: b"value".to_vec(),
    }];
    let records = walfmt::prepare_txn(TxnId(42), &ops, 1 << 20);
    let [record] = records.as_slice() else {
        panic!("one small transaction is one record");
    };
    let lsn = Lsn(0x4847_4645_4443_4241);
    let mut framed = Vec::new();
    record.frame_into(lsn, &mut framed);
    check_layout(
        "wal_record_header",
        &catalog.wal_record_header,
        &framed,
        &[
            ("len", Int(record.payload.len() as u64)),
            (
                "crc32c",
                Int(u64::from(walfmt::record_crc(
                    crc32c::crc32c(&record.payload),
                    lsn,
                    walfmt::RecordKind::Commit as u8,
                ))),
            ),
            ("lsn", Int(lsn.0)),
            ("kind", Int(walfmt::RecordKind::Commit as u64)),
        ],
    );
}

/// The `(offset, size)` rows of the first table after the line starting with `marker` in
/// `engine/FORMAT.md`, keeping rows that start inside `within` (offsets `a`, `a..b` or `a..`).
fn format_md_rows(doc: &str, marker: &str, within: std::ops::Range<usize>) -> Vec<(usize, usize)> {
    let start = doc
        .lines()
        .position(|l| l.starts_with(marker))
        .unwrap_or_else(|| panic!("FORMAT.md has no line starting with {marker:?}"));
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in doc.lines().skip(start + 1) {
        let line = line.trim();
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let spec = cells[0].trim_matches('`');
        let (from, to) = match spec.split_once("..") {
            Some((a, b)) => (a, b.parse::<usize>().ok()),
            None => (spec, None),
        };
        let Ok(from) = from.parse::<usize>() else {
            continue; // the header row, the separator row, `…` rows
        };
        if !within.contains(&from) {
            continue;
        }
        let size: usize = cells[1]
            .parse()
            .unwrap_or_else(|_| panic!("FORMAT.md {marker:?}: row {line:?} has no numeric size"));
        if let Some(to) = to {
            assert_eq!(to - from, size, "FORMAT.md {marker:?}: row {line:?}");
        }
        rows.push((from, size));
    }
    assert!(!rows.is_empty(), "FORMAT.md {marker:?}: no table rows");
    rows
}

/// `engine/FORMAT.md`'s layout tables state the offsets and sizes of the codec's constants:
/// the catalog's layouts, and the freelist, node, overflow and backup stream headers.
#[test]
fn format_md_states_the_same_offsets() {
    use lightning_db::backup::stream;
    use lightning_db::btree::{node, overflow};
    use lightning_db::storage::{freelist, page};
    use lightning_db::util::codec::Field;

    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("FORMAT.md"))
        .expect("read FORMAT.md");
    let catalog = lightning_db::catalog::describe(None).expect("describe");
    for (marker, layout) in [
        ("### Page 0: file header", &catalog.file_header),
        ("Meta slot (128 bytes", &catalog.meta_slot),
        ("### Page header", &catalog.page_header),
        ("### Segment header", &catalog.wal_segment_header),
        ("### Record frame", &catalog.wal_record_header),
    ] {
        let code: Vec<(usize, usize)> = layout.fields.iter().map(|f| (f.offset, f.size)).collect();
        assert_eq!(
            format_md_rows(&doc, marker, 0..layout.size),
            code,
            "{marker}"
        );
    }
    let rows = |fields: &[Field], base: usize| -> Vec<(usize, usize)> {
        fields.iter().map(|f| (base + f.offset, f.width)).collect()
    };
    let body = page::PAGE_HEADER_LEN;
    for (marker, within, want) in [
        (
            "### Freelist page",
            body..body + freelist::layout::IDS,
            rows(
                &[
                    freelist::layout::COUNT,
                    freelist::layout::RESERVED,
                    freelist::layout::NEXT,
                ],
                body,
            ),
        ),
        (
            "### Leaf page",
            0..node::LEAF_HEADER_LEN,
            rows(&[node::layout::COUNT, node::layout::RESERVED], 0),
        ),
        (
            "### Branch page",
            0..node::BRANCH_HEADER_LEN,
            rows(
                &[
                    node::layout::COUNT,
                    node::layout::RESERVED,
                    node::layout::LEFTMOST,
                ],
                0,
            ),
        ),
        (
            "### Overflow page",
            0..overflow::OVERFLOW_HEADER_LEN,
            rows(&[overflow::layout::NEXT, overflow::layout::LEN], 0),
        ),
        (
            "### Page stream",
            0..stream::HEADER_LEN,
            rows(
                &[
                    stream::layout::MAGIC,
                    stream::layout::VERSION,
                    stream::layout::PAGE_SIZE,
                    stream::layout::ROOT,
                    stream::layout::SOURCE_LSN,
                ],
                0,
            ),
        ),
    ] {
        assert_eq!(format_md_rows(&doc, marker, within), want, "{marker}");
    }
}
