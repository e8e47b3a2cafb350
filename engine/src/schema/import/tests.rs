//! Tests of the CSV reader, the value formats, and import → export round trips.

use std::io::Cursor;

use super::read::parse_field;
use super::*;
use crate::Options;
use crate::schema::sql::SqlDatabase;

/// Every record of `text`, each as (line, fields as strings).
fn records(text: &str) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    records_bounded(text, MAX_FIELD_BYTES)
}

fn records_bounded(text: &str, max: usize) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    // A tiny buffer so records, quotes and line breaks straddle buffer refills.
    let input = BufReader::with_capacity(3, Cursor::new(text.as_bytes().to_vec()));
    let mut r = CsvReader::new(input, "t.csv").with_max_field(max);
    let mut out = Vec::new();
    while r.next_record()? {
        let fields = (0..r.len())
            .map(|i| String::from_utf8(r.field(i).expect("succeeds").0.to_vec()).expect("succeeds"))
            .collect();
        out.push((r.record_line(), fields));
    }
    Ok(out)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reader_handles_quotes_escapes_crlf_and_embedded_newlines() {
    let text =
        "a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n3,,\"\"\n4,last,no-newline";
    let got = records(text).expect("succeeds");
    assert_eq!(
        got,
        vec![
            (1, strs(&["a", "b", "c"])),
            (2, strs(&["1", "x,y", "say \"hi\""])),
            (3, strs(&["2", "two\nlines", ""])),
            (5, strs(&["3", "", ""])),
            (6, strs(&["4", "last", "no-newline"])),
        ]
    );
    // A final line break makes no extra record; a lone CR ends a record too.
    assert_eq!(records("a\n").expect("succeeds").len(), 1);
    assert_eq!(
        records("a\rb\r\n").expect("succeeds"),
        vec![(1, strs(&["a"])), (2, strs(&["b"]))]
    );
    assert!(records("").expect("succeeds").is_empty());
}

#[test]
fn reader_tells_quoted_from_empty() {
    let input = Cursor::new(b",\"\"\n".to_vec());
    let mut r = CsvReader::new(input, "t.csv");
    assert!(r.next_record().expect("succeeds"));
    assert_eq!(r.field(0), Some((&b""[..], false)));
    assert_eq!(r.field(1), Some((&b""[..], true)));
    assert_eq!(r.field(2), None);
}

#[test]
fn reader_errors_name_file_and_line() {
    let err = records("a,b\n1,2\n3,x\"y\n")
        .expect_err("must fail")
        .to_string();
    assert!(
        err.starts_with("t.csv:3: a quote inside an unquoted field"),
        "{err}"
    );
    let err = records("a\n\"ok\"\n\"bad\"x\n")
        .expect_err("must fail")
        .to_string();
    assert!(
        err.starts_with("t.csv:3: text after a closing quote"),
        "{err}"
    );
    let err = records("a\n1\n\"open\nstill open")
        .expect_err("must fail")
        .to_string();
    assert!(
        err.starts_with("t.csv:3: a quoted field is not closed"),
        "{err}"
    );
}

#[test]
fn reader_bounds_field_length() {
    let long = format!("a,b\n1,{}\n", "x".repeat(100));
    let err = records_bounded(&long, 64).expect_err("must fail");
    assert!(
        matches!(
            err,
            ImportError::FieldTooLong {
                line: 2,
                field: 2,
                max: 64,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("t.csv:2: field 2 is longer than 64 bytes")
    );
    assert!(records_bounded(&long, 100).is_ok());
    // A quoted field without an end is bounded too.
    let err = records_bounded(&format!("\"{}", "y".repeat(1000)), 64).expect_err("must fail");
    assert!(matches!(err, ImportError::FieldTooLong { .. }), "{err}");
}

#[test]
fn fields_parse_by_type_and_format_back_identically() {
    let cases = [
        (ColumnType::Int, "-42", Value::Int(-42)),
        (ColumnType::Double, "0.1", Value::Double(0.1)),
        (ColumnType::Double, "1e300", Value::Double(1e300)),
        (ColumnType::Double, "-0.0", Value::Double(-0.0)),
        (ColumnType::Text, "héllo", Value::Text("héllo".into())),
        (
            ColumnType::Bytes,
            "\\x00ff10",
            Value::Bytes(vec![0, 255, 16]),
        ),
        (ColumnType::Bool, "true", Value::Bool(true)),
        (
            ColumnType::Timestamp,
            "1995-03-15",
            Value::Timestamp(795_225_600_000_000),
        ),
        (
            ColumnType::Timestamp,
            "1995-03-15 01:02:03.000004",
            Value::Timestamp(795_229_323_000_004),
        ),
    ];
    for (ty, text, value) in cases {
        assert_eq!(parse_field(ty, text.as_bytes(), false), Ok(value.clone()));
        let mut out = Vec::new();
        write::write_value(&mut out, &value).expect("succeeds");
        assert_eq!(String::from_utf8(out).expect("succeeds"), text, "{value:?}");
    }
    assert_eq!(parse_field(ColumnType::Int, b"", false), Ok(Value::Null));
    assert_eq!(
        parse_field(ColumnType::Text, b"", true),
        Ok(Value::Text(String::new()))
    );
    assert!(parse_field(ColumnType::Int, b"1.5", false).is_err());
    assert!(parse_field(ColumnType::Bytes, b"\\x0", false).is_err());
    assert!(parse_field(ColumnType::Bool, b"yes", false).is_err());
    assert!(parse_field(ColumnType::Timestamp, b"1995-13-01", false).is_err());
}

#[test]
fn text_is_quoted_only_when_it_must_be() {
    let quote = |s: &str| {
        let mut out = Vec::new();
        write::write_text(&mut out, s).expect("succeeds");
        String::from_utf8(out).expect("succeeds")
    };
    assert_eq!(quote("plain text"), "plain text");
    assert_eq!(quote(""), "\"\"");
    assert_eq!(quote("a,b"), "\"a,b\"");
    assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(quote("two\r\nlines"), "\"two\r\nlines\"");
}

const CREATE: &str = "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, \
    price DOUBLE, data BYTES, ok BOOLEAN, at TIMESTAMP, note TEXT DEFAULT 'none')";

fn database(dir: &Path) -> SqlDatabase {
    let db = SqlDatabase::create(dir.join("db"), Options::default()).expect("succeeds");
    db.execute(CREATE, &[]).expect("succeeds");
    db.execute("CREATE INDEX items_by_name ON items (name)", &[])
        .expect("succeeds");
    db
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn count(db: &SqlDatabase) -> usize {
    db.query("SELECT id FROM items", &[])
        .expect("succeeds")
        .rows
        .len()
}

#[test]
fn import_then_export_round_trips_exactly() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    let csv = "id,name,price,data,ok,at,note\n\
        1,plain,0.1,\\x00ff,true,1998-09-02,\n\
        2,\"comma, and \"\"quote\"\"\",1e300,\\x,false,1998-09-02 12:34:56.000001,x\n\
        3,\"two\nlines\",-0.0,,,1970-01-01 00:00:01,\"\"\n\
        10,\"\",,,,,\n";
    let path = dir.path().join("items.csv");
    std::fs::write(&path, csv).expect("succeeds");
    let report = import_csv(db.database(), "items", &path, 2).expect("succeeds");
    assert_eq!((report.rows, report.batches), (4, 2));
    assert!(report.last_commit.is_some());
    let mut out = Vec::new();
    let exported = export_csv(db.database(), "ITEMS", &mut out).expect("succeeds");
    assert_eq!(exported.rows, 4);
    assert_eq!(String::from_utf8(out).expect("succeeds"), csv);
    // The index was maintained.
    let named = db
        .query("SELECT id FROM items WHERE name = 'plain'", &[])
        .expect("succeeds");
    assert_eq!(named.rows, vec![vec![Value::Int(1)]]);
}

#[test]
fn missing_columns_take_defaults_or_null_and_order_is_free() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    let path = dir.path().join("some.csv");
    std::fs::write(&path, "NAME,id\nb,2\na,1\n").expect("succeeds");
    import_csv(db.database(), "items", &path, 100).expect("succeeds");
    let rows = db
        .query("SELECT id, name, price, note FROM items ORDER BY id", &[])
        .expect("succeeds");
    assert_eq!(
        rows.rows,
        vec![
            vec![Value::Int(1), text("a"), Value::Null, text("none")],
            vec![Value::Int(2), text("b"), Value::Null, text("none")],
        ]
    );
}

#[test]
fn a_bad_row_writes_nothing_and_names_its_line() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    let path = dir.path().join("bad.csv");
    let mut text = String::from("id,name,price\n");
    for i in 1..=50 {
        text.push_str(&format!("{i},n{i},{i}.5\n"));
    }
    text.push_str("51,n51,cheap\n");
    std::fs::write(&path, &text).expect("succeeds");
    let err = import_csv(db.database(), "items", &path, 10).expect_err("must fail");
    let msg = err.to_string();
    let want = format!(
        "{}:52: column `price` (DOUBLE): expected a number",
        path.display()
    );
    assert!(msg.starts_with(&want), "{msg}");
    assert!(msg.ends_with("found \"cheap\""), "{msg}");
    assert_eq!(count(&db), 0, "nothing was written");
}

#[test]
fn header_and_null_errors_are_clear() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    let run = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("succeeds");
        import_csv(db.database(), "items", &path, 10)
            .expect_err("must fail")
            .to_string()
    };
    let err = run("unknown.csv", "id,name,colour\n");
    assert!(
        err.contains("unknown.csv:1: header: column `colour` (field 3) is not a column of `items`"),
        "{err}"
    );
    let err = run("missing.csv", "id,price\n");
    assert!(err.contains("no column `name`, which is NOT NULL"), "{err}");
    let err = run("twice.csv", "id,name,ID\n");
    assert!(err.contains("column `ID` is named twice"), "{err}");
    let err = run("null.csv", "id,name\n1,\n");
    assert!(
        err.contains("null.csv:2: column `name` (TEXT): expected a value (the column is NOT NULL)"),
        "{err}"
    );
    let err = run("short.csv", "id,name\n1,a\n2\n");
    assert!(
        err.contains("short.csv:3: expected 2 fields (as in the header), found 1"),
        "{err}"
    );
    let err = run("empty.csv", "");
    assert!(err.contains("the file is empty"), "{err}");
    let err = import_csv(db.database(), "nope", &dir.path().join("x.csv"), 1)
        .expect_err("must fail")
        .to_string();
    assert!(err.contains("no table named `nope`"), "{err}");
    assert_eq!(count(&db), 0);
}

#[test]
fn duplicate_keys_in_the_file_are_found_before_writing() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    let path = dir.path().join("dup.csv");
    std::fs::write(&path, "id,name\n3,a\n1,b\n2,c\n1,d\n").expect("succeeds");
    let err = import_csv(db.database(), "items", &path, 1).expect_err("must fail");
    assert!(
        matches!(
            err,
            ImportError::DuplicateKey {
                line: 5,
                first: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("dup.csv:5: primary key (1)"),
        "{err}"
    );
    std::fs::write(&path, "id,name\n1,a\n1,b\n").expect("succeeds");
    let err = import_csv(db.database(), "items", &path, 1).expect_err("must fail");
    assert!(
        matches!(
            err,
            ImportError::DuplicateKey {
                line: 3,
                first: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(count(&db), 0);
}

#[test]
fn a_key_already_in_the_table_stops_the_insert_and_says_what_was_committed() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = database(dir.path());
    db.execute("INSERT INTO items (id, name) VALUES (5, 'old')", &[])
        .expect("succeeds");
    let path = dir.path().join("clash.csv");
    std::fs::write(&path, "id,name\n1,a\n2,b\n3,c\n5,e\n").expect("succeeds");
    let err = import_csv(db.database(), "items", &path, 2).expect_err("must fail");
    let msg = err.to_string();
    assert!(msg.contains("clash.csv:5: duplicate key"), "{msg}");
    assert!(
        msg.ends_with("(2 rows were committed before this batch)"),
        "{msg}"
    );
    assert_eq!(count(&db), 3);
}

fn columnar_database(dir: &Path) -> SqlDatabase {
    let db = SqlDatabase::create(dir.join("db"), Options::default()).expect("succeeds");
    db.execute(
        "CREATE TABLE facts (id BIGINT PRIMARY KEY, region TEXT, amount DOUBLE) \
         WITH (storage = 'columnar', row_group = 1024)",
        &[],
    )
    .expect("succeeds");
    db
}

fn facts_csv(rows: u64, bad_line: Option<u64>) -> String {
    let mut text = String::from("id,region,amount\n");
    for i in 1..=rows {
        // Line i + 1 holds row i.
        if bad_line == Some(i + 1) {
            text.push_str(&format!("{i},east,lots\n"));
        } else {
            text.push_str(&format!("{i},r{},{}.25\n", i % 5, i % 100));
        }
    }
    text
}

#[test]
fn a_columnar_import_is_one_transaction_of_whole_segments() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = columnar_database(dir.path());
    let path = dir.path().join("facts.csv");
    std::fs::write(&path, facts_csv(2500, None)).expect("succeeds");
    let report = import_csv(db.database(), "facts", &path, 100).expect("succeeds");
    assert_eq!((report.rows, report.batches), (2500, 1));
    // Two whole row groups and the tail: three segments, nothing left in the delta.
    let mut txn = db.database().begin_read_only().expect("succeeds");
    let def = Catalog::load(&mut txn)
        .expect("succeeds")
        .table("facts")
        .expect("succeeds")
        .clone();
    let segs = crate::columnar::store::segments(&mut txn, &def).expect("succeeds");
    let rows: Vec<u32> = segs.iter().map(|s| s.meta.rows).collect();
    assert_eq!(rows, vec![1024, 1024, 452]);
    assert_eq!(
        crate::columnar::store::state(&mut txn, &def, false)
            .expect("succeeds")
            .delta_rows,
        0
    );
    drop(txn);
    let sums = db
        .query(
            "SELECT COUNT(*), SUM(amount) FROM facts WHERE region = 'r3'",
            &[],
        )
        .expect("succeeds");
    let want: f64 = (1..=2500u64)
        .filter(|i| i % 5 == 3)
        .map(|i| (i % 100) as f64 + 0.25)
        .sum();
    assert_eq!(sums.rows, vec![vec![Value::Int(500), Value::Double(want)]]);
    // The export reads every row back (segment order is primary-key order here).
    let mut out = Vec::new();
    export_csv(db.database(), "facts", &mut out).expect("succeeds");
    assert_eq!(
        String::from_utf8(out).expect("succeeds"),
        facts_csv(2500, None)
    );
}

#[test]
fn a_bad_line_late_in_a_columnar_import_writes_nothing() {
    let dir = tempfile::tempdir().expect("succeeds");
    let db = columnar_database(dir.path());
    let path = dir.path().join("facts.csv");
    // Two row groups are written before line 2200 fails to parse.
    std::fs::write(&path, facts_csv(2500, Some(2200))).expect("succeeds");
    let err = import_csv(db.database(), "facts", &path, 100).expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}:2200:", path.display())),
        "{msg}"
    );
    let n = db
        .query("SELECT COUNT(*) FROM facts", &[])
        .expect("succeeds");
    assert_eq!(n.rows, vec![vec![Value::Int(0)]], "nothing was written");
    // A key repeated across row groups is refused the same way.
    let mut dup = facts_csv(2000, None);
    dup.push_str("5,east,1.0\n");
    std::fs::write(&path, dup).expect("succeeds");
    let err = import_csv(db.database(), "facts", &path, 100).expect_err("must fail");
    assert!(err.to_string().contains("(5) already exists"), "{err}");
    let n = db
        .query("SELECT COUNT(*) FROM facts", &[])
        .expect("succeeds");
    assert_eq!(n.rows, vec![vec![Value::Int(0)]]);
}
