//! Materialized views in the catalog: [`ViewDef`] — a view's name, its base table, its refresh
//! policy, its defining query and the shape of its result — and the entry it is stored as,
//! `FF 53 00 02 <view id u32 BE>` (layout in `engine/FORMAT.md`, "Columnar tables",
//! "Materialized views"). A view's id comes from the same counter as table ids, so its result
//! rows can be row entries `FF 53 01 <view id> …` that no table's rows can collide with.
//! Decoding checks every length and refuses trailing bytes.

#![deny(clippy::indexing_slicing)]

use crate::schema::def::{ColumnDef, Storage, TableDef, TableId};
use crate::schema::error::{Result, SchemaError};
use crate::schema::value::ColumnType;
use crate::util::codec::{Reader, push_u16, push_u32, push_u64};

/// The view entry's format version.
pub const VIEW_FORMAT: u8 = 1;

/// When a view is brought up to date with its base table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Only by `REFRESH MATERIALIZED VIEW`.
    Manual,
    /// In every committing transaction that changed the base table, just before it commits.
    OnCommit,
    /// At the N-th commit that changed the base table since the last refresh.
    EveryCommits(u64),
    /// At the first commit that changes the base table once N seconds have passed since the
    /// last refresh.
    EverySeconds(u64),
}

impl Policy {
    /// Parses `manual`, `on_commit`, `every N commits` or `every N seconds` (N ≥ 1).
    pub fn parse(text: &str) -> std::result::Result<Policy, String> {
        let t = text.trim().to_ascii_lowercase();
        let words: Vec<&str> = t.split_whitespace().collect();
        let expected = "expected 'manual', 'on_commit', 'every N commits' or 'every N seconds'";
        match words.as_slice() {
            ["manual"] => Ok(Policy::Manual),
            ["on_commit"] => Ok(Policy::OnCommit),
            ["every", n, unit] => {
                let n: u64 =
                    n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("refresh = '{text}': N must be a whole number ≥ 1")
                    })?;
                match *unit {
                    "commit" | "commits" => Ok(Policy::EveryCommits(n)),
                    "second" | "seconds" => Ok(Policy::EverySeconds(n)),
                    _ => Err(format!("refresh = '{text}': {expected}")),
                }
            }
            _ => Err(format!("refresh = '{text}': {expected}")),
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Policy::Manual => f.write_str("manual"),
            Policy::OnCommit => f.write_str("on_commit"),
            Policy::EveryCommits(n) => write!(f, "every {n} commits"),
            Policy::EverySeconds(n) => write!(f, "every {n} seconds"),
        }
    }
}

/// A materialized view as the catalog records it.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewDef {
    /// Stable id (from the table id counter).
    pub id: u32,
    /// Name, unique among tables and views (case-insensitive, stored as declared).
    pub name: String,
    /// The base table's id.
    pub base: TableId,
    /// The refresh policy.
    pub policy: Policy,
    /// The defining `SELECT`, as text (bound again against the base table when refreshed).
    pub query: String,
    /// The result's shape as a table: its columns in `SELECT` order and, as its primary key,
    /// the group columns in `GROUP BY` order. Its rows are the view's result rows.
    pub table: TableDef,
}

/// The result table of view `id` named `name`: `columns` (name, type) with the columns at
/// positions `key` as primary key (ids are positions + 1).
pub fn result_table(
    id: u32,
    name: &str,
    columns: &[(String, ColumnType)],
    key: &[u16],
) -> TableDef {
    let cols: Vec<ColumnDef> = columns
        .iter()
        .enumerate()
        .map(|(i, (n, ty))| ColumnDef {
            id: i as u32 + 1,
            name: n.clone(),
            ty: *ty,
            not_null: false,
            default: None,
        })
        .collect();
    TableDef {
        id,
        name: name.to_string(),
        next_column_id: cols.len() as u32 + 1,
        columns: cols,
        primary_key: key.iter().map(|p| u32::from(*p) + 1).collect(),
        indexes: Vec::new(),
        version: 1,
        next_index_id: 1,
        storage: Storage::Row,
        partition: None,
    }
}

/// Names are checked to be at most `MAX_NAME_LEN` bytes before they are stored.
fn push_str16(out: &mut Vec<u8>, s: &str) {
    push_u16(out, s.len() as u16);
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a view's catalog entry (see the module docs).
pub fn encode_view(v: &ViewDef) -> Vec<u8> {
    let mut out = vec![VIEW_FORMAT];
    push_str16(&mut out, &v.name);
    push_u32(&mut out, v.base);
    match v.policy {
        Policy::Manual => out.push(0),
        Policy::OnCommit => out.push(1),
        Policy::EveryCommits(n) => {
            out.push(2);
            push_u64(&mut out, n);
        }
        Policy::EverySeconds(n) => {
            out.push(3);
            push_u64(&mut out, n);
        }
    }
    push_u16(&mut out, v.table.columns.len() as u16);
    for c in &v.table.columns {
        push_str16(&mut out, &c.name);
        out.push(c.ty.tag());
    }
    push_u16(&mut out, v.table.primary_key.len() as u16);
    for id in &v.table.primary_key {
        push_u16(&mut out, id.saturating_sub(1) as u16);
    }
    push_u32(&mut out, v.query.len() as u32);
    out.extend_from_slice(v.query.as_bytes());
    out
}

struct ViewReader<'a> {
    r: Reader<'a>,
    id: u32,
}

impl ViewReader<'_> {
    fn corrupt(&self, reason: impl Into<String>) -> SchemaError {
        SchemaError::Corrupt {
            what: format!("catalog entry of materialized view {}", self.id),
            reason: format!("byte {}: {}", self.r.position(), reason.into()),
        }
    }
    fn u8(&mut self) -> Result<u8> {
        self.r.u8().map_err(|e| self.corrupt(e.to_string()))
    }
    fn u16(&mut self) -> Result<u16> {
        self.r.u16().map_err(|e| self.corrupt(e.to_string()))
    }
    fn u32(&mut self) -> Result<u32> {
        self.r.u32().map_err(|e| self.corrupt(e.to_string()))
    }
    fn u64(&mut self) -> Result<u64> {
        self.r.u64().map_err(|e| self.corrupt(e.to_string()))
    }
    fn text(&mut self, len: usize) -> Result<String> {
        let bytes = self.r.bytes(len).map_err(|e| self.corrupt(e.to_string()))?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt("text is not UTF-8"))
    }
    fn str16(&mut self) -> Result<String> {
        let len = self.u16()?;
        self.text(usize::from(len))
    }
}

/// Decodes the catalog entry of view `id`.
pub fn decode_view(id: u32, bytes: &[u8]) -> Result<ViewDef> {
    let mut r = ViewReader {
        r: Reader::new(bytes),
        id,
    };
    let format = r.u8()?;
    if format != VIEW_FORMAT {
        return Err(r.corrupt(format!("format {format}, expected {VIEW_FORMAT}")));
    }
    let name = r.str16()?;
    if name.is_empty() {
        return Err(r.corrupt("empty view name"));
    }
    let base = r.u32()?;
    let policy = match r.u8()? {
        0 => Policy::Manual,
        1 => Policy::OnCommit,
        2 => Policy::EveryCommits(r.u64()?),
        3 => Policy::EverySeconds(r.u64()?),
        t => return Err(r.corrupt(format!("refresh policy tag {t} (expected 0 to 3)"))),
    };
    if matches!(policy, Policy::EveryCommits(0) | Policy::EverySeconds(0)) {
        return Err(r.corrupt("a refresh interval of 0"));
    }
    let ncols = usize::from(r.u16()?);
    if ncols == 0 {
        return Err(r.corrupt("a view without columns"));
    }
    let mut columns = Vec::with_capacity(ncols.min(1024));
    for _ in 0..ncols {
        let n = r.str16()?;
        let tag = r.u8()?;
        let ty = ColumnType::from_tag(tag)
            .ok_or_else(|| r.corrupt(format!("column type tag {tag:02x}")))?;
        columns.push((n, ty));
    }
    let nkey = usize::from(r.u16()?);
    if nkey == 0 {
        return Err(r.corrupt("a view without group columns"));
    }
    let mut key = Vec::with_capacity(nkey.min(1024));
    for _ in 0..nkey {
        let p = r.u16()?;
        if usize::from(p) >= ncols || key.contains(&p) {
            return Err(r.corrupt(format!("group column position {p} (of {ncols} columns)")));
        }
        key.push(p);
    }
    let qlen = r.u32()? as usize;
    let query = r.text(qlen)?;
    if !r.r.is_empty() {
        return Err(r.corrupt(format!("{} trailing bytes", r.r.remaining())));
    }
    let table = result_table(id, &name, &columns, &key);
    Ok(ViewDef {
        id,
        name,
        base,
        policy,
        query,
        table,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn view() -> ViewDef {
        let cols = vec![
            ("region".to_string(), ColumnType::Text),
            ("n".to_string(), ColumnType::Int),
            ("avg_x".to_string(), ColumnType::Double),
        ];
        ViewDef {
            id: 9,
            name: "by_region".into(),
            base: 3,
            policy: Policy::EveryCommits(100),
            query: "SELECT region, COUNT(*) AS n, AVG(x) AS avg_x FROM t GROUP BY region".into(),
            table: result_table(9, "by_region", &cols, &[0]),
        }
    }

    #[test]
    fn entries_round_trip_and_every_truncation_is_refused() {
        let v = view();
        let bytes = encode_view(&v);
        assert_eq!(decode_view(9, &bytes).expect("decodes"), v);
        for cut in 0..bytes.len() {
            assert!(decode_view(9, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let err = decode_view(9, &longer).expect_err("trailing byte");
        assert!(err.to_string().contains("trailing"), "{err}");
    }

    #[test]
    fn bad_policy_tags_and_key_positions_are_named() {
        let v = view();
        let mut bytes = encode_view(&v);
        let at = 1 + 2 + v.name.len() + 4;
        bytes[at] = 7;
        let err = decode_view(9, &bytes).expect_err("policy tag");
        assert!(err.to_string().contains("refresh policy tag 7"), "{err}");
    }

    #[test]
    fn policies_parse_as_documented() {
        assert_eq!(Policy::parse("manual"), Ok(Policy::Manual));
        assert_eq!(Policy::parse("ON_COMMIT"), Ok(Policy::OnCommit));
        assert_eq!(
            Policy::parse("every 100 commits"),
            Ok(Policy::EveryCommits(100))
        );
        assert_eq!(
            Policy::parse("every 30 seconds"),
            Ok(Policy::EverySeconds(30))
        );
        assert!(Policy::parse("every 0 commits").is_err());
        assert!(Policy::parse("hourly").is_err());
        for p in ["manual", "on_commit", "every 3 commits", "every 5 seconds"] {
            assert_eq!(Policy::parse(p).expect("parses").to_string(), p);
        }
    }
}
