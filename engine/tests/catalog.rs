//! The committed schema catalog (`docs/SCHEMA_CATALOG.md`) must equal what the engine generates
//! from its own constants, so the document cannot drift from the code. After a deliberate format
//! change: `UPDATE_SNAPSHOTS=1 cargo test -p lightning-db --test catalog`, then review the diff.

use std::path::Path;

#[test]
fn committed_schema_catalog_matches_the_engine() {
    let generated = lightning_db::catalog::describe(None)
        .expect("describe")
        .to_markdown();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/SCHEMA_CATALOG.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).expect("write catalog");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; regenerate it with UPDATE_SNAPSHOTS=1 cargo test -p lightning-db --test catalog",
        path.display()
    );
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
