//! The catalog's stored encodings: the meta entry (version, next table id) and one entry per
//! table (its whole [`TableDef`]), plus the canonical id-free encoding the schema digest hashes.
//! Layouts are in `engine/FORMAT.md`, "Catalog entries"; every integer is little-endian,
//! every string a `u16` length and UTF-8 bytes. Decoding checks every length and refuses
//! trailing bytes.

use crate::schema::def::{
    ColumnDef, IndexDef, PartitionInterval, PartitionSpec, ROW_GROUP_RANGE, Storage, TableDef,
};
use crate::schema::error::{Result, SchemaError};
use crate::schema::row::{decode_cell, encode_cell};
use crate::schema::value::ColumnType;
use crate::util::codec::{Reader, push_u16, push_u32, push_u64};

/// The catalog entry format version (of the meta entry, and of a row table's entry).
pub const CATALOG_FORMAT: u8 = 1;
/// The format of a table entry that carries a storage section (a columnar table's): format 1's
/// fields, then `storage u8 (1: columnar) | row_group u32`. A row table is still written in
/// format 1, so its bytes — and the schema digest — are what they always were.
pub const CATALOG_FORMAT_STORAGE: u8 = 2;

/// The format of a partitioned columnar table's entry: format 2's fields, then the partition
/// section `column id u32 | interval u8 (1 month, 2 day, 3 width) | width u64 (interval 3
/// only)`. Unpartitioned tables keep formats 1 and 2, so their bytes are unchanged.
pub const CATALOG_FORMAT_PARTITION: u8 = 3;

const INTERVAL_MONTH: u8 = 1;
const INTERVAL_DAY: u8 = 2;
const INTERVAL_WIDTH: u8 = 3;

/// The storage section's tag for a columnar table.
const STORAGE_COLUMNAR: u8 = 1;

/// The catalog meta entry: the version every DDL bumps and the next table id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Bumped by every committed DDL statement (0: no DDL ever ran).
    pub version: u64,
    /// The id `CREATE TABLE` assigns next (ids are never reused).
    pub next_table_id: u32,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            version: 0,
            next_table_id: 1,
        }
    }
}

/// `01 | version u64 | next_table_id u32` (13 bytes).
pub fn encode_meta(m: &Meta) -> Vec<u8> {
    let mut out = vec![CATALOG_FORMAT];
    push_u64(&mut out, m.version);
    push_u32(&mut out, m.next_table_id);
    out
}

/// Decodes the meta entry.
pub fn decode_meta(bytes: &[u8]) -> Result<Meta> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: "catalog meta entry".into(),
        reason,
    };
    let mut r = Reader::new(bytes);
    let format = r.u8().map_err(|e| corrupt(e.to_string()))?;
    if format != CATALOG_FORMAT {
        return Err(corrupt(format!(
            "format {format}, expected {CATALOG_FORMAT}"
        )));
    }
    let version = r.u64().map_err(|e| corrupt(e.to_string()))?;
    let next_table_id = r.u32().map_err(|e| corrupt(e.to_string()))?;
    if !r.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.remaining())));
    }
    Ok(Meta {
        version,
        next_table_id,
    })
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).expect("names are checked to be at most 255 bytes");
    push_u16(out, len);
    out.extend_from_slice(s.as_bytes());
}

fn push_count(out: &mut Vec<u8>, n: usize) {
    push_u16(
        out,
        u16::try_from(n).expect("column and index counts are checked against u16"),
    );
}

/// Encodes a table's catalog entry.
pub fn encode_table(def: &TableDef) -> Vec<u8> {
    let format = match (def.storage, def.partition) {
        (Storage::Row, _) => CATALOG_FORMAT,
        (Storage::Columnar { .. }, None) => CATALOG_FORMAT_STORAGE,
        (Storage::Columnar { .. }, Some(_)) => CATALOG_FORMAT_PARTITION,
    };
    let mut out = vec![format];
    push_u32(&mut out, def.id);
    push_u64(&mut out, def.version);
    push_u32(&mut out, def.next_column_id);
    push_u32(&mut out, def.next_index_id);
    push_str(&mut out, &def.name);
    push_count(&mut out, def.columns.len());
    for c in &def.columns {
        push_u32(&mut out, c.id);
        push_str(&mut out, &c.name);
        out.push(c.ty.tag());
        out.push(u8::from(c.not_null));
        match &c.default {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                encode_cell(&mut out, v);
            }
        }
    }
    push_count(&mut out, def.primary_key.len());
    for id in &def.primary_key {
        push_u32(&mut out, *id);
    }
    push_count(&mut out, def.indexes.len());
    for i in &def.indexes {
        push_u32(&mut out, i.id);
        push_str(&mut out, &i.name);
        out.push(u8::from(i.unique));
        push_count(&mut out, i.columns.len());
        for id in &i.columns {
            push_u32(&mut out, *id);
        }
    }
    if let Storage::Columnar { row_group } = def.storage {
        out.push(STORAGE_COLUMNAR);
        push_u32(&mut out, row_group);
        if let Some(p) = def.partition {
            push_u32(&mut out, p.column);
            push_interval(&mut out, p.interval);
        }
    }
    out
}

fn push_interval(out: &mut Vec<u8>, interval: PartitionInterval) {
    match interval {
        PartitionInterval::Month => out.push(INTERVAL_MONTH),
        PartitionInterval::Day => out.push(INTERVAL_DAY),
        PartitionInterval::Width(w) => {
            out.push(INTERVAL_WIDTH);
            push_u64(out, w);
        }
    }
}

struct EntryReader<'a> {
    r: Reader<'a>,
    what: String,
}

impl EntryReader<'_> {
    fn corrupt(&self, reason: impl Into<String>) -> SchemaError {
        SchemaError::Corrupt {
            what: self.what.clone(),
            reason: reason.into(),
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
    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.corrupt(format!("flag byte {b}, expected 0 or 1"))),
        }
    }
    fn string(&mut self) -> Result<String> {
        let len = self.u16()?;
        let bytes = self
            .r
            .bytes(usize::from(len))
            .map_err(|e| self.corrupt(e.to_string()))?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt("name is not UTF-8"))
    }
    fn ids(&mut self) -> Result<Vec<u32>> {
        let n = self.u16()?;
        (0..n).map(|_| self.u32()).collect()
    }
}

/// Decodes the catalog entry stored under table id `key_id`.
pub fn decode_table(key_id: u32, bytes: &[u8]) -> Result<TableDef> {
    let mut e = EntryReader {
        r: Reader::new(bytes),
        what: format!("catalog entry of table id {key_id}"),
    };
    let format = e.u8()?;
    if !(CATALOG_FORMAT..=CATALOG_FORMAT_PARTITION).contains(&format) {
        return Err(e.corrupt(format!(
            "format {format}, expected {CATALOG_FORMAT} to {CATALOG_FORMAT_PARTITION}"
        )));
    }
    let id = e.u32()?;
    if id != key_id {
        return Err(e.corrupt(format!("entry says table id {id}")));
    }
    let version = e.u64()?;
    let next_column_id = e.u32()?;
    let next_index_id = e.u32()?;
    let name = e.string()?;
    e.what = format!("catalog entry of table `{name}` (id {id})");
    let ncols = e.u16()?;
    let mut columns = Vec::with_capacity(usize::from(ncols).min(bytes.len()));
    for _ in 0..ncols {
        let cid = e.u32()?;
        let cname = e.string()?;
        let tag = e.u8()?;
        let ty = ColumnType::from_tag(tag)
            .ok_or_else(|| e.corrupt(format!("column `{cname}` has type tag {tag}")))?;
        let not_null = e.flag()?;
        let default = if e.flag()? {
            let what = e.what.clone();
            Some(decode_cell(&mut e.r, &|| what.clone())?)
        } else {
            None
        };
        columns.push(ColumnDef {
            id: cid,
            name: cname,
            ty,
            not_null,
            default,
        });
    }
    let primary_key = e.ids()?;
    let nidx = e.u16()?;
    let mut indexes = Vec::with_capacity(usize::from(nidx).min(bytes.len()));
    for _ in 0..nidx {
        let iid = e.u32()?;
        let iname = e.string()?;
        let unique = e.flag()?;
        let cols = e.ids()?;
        indexes.push(IndexDef {
            id: iid,
            name: iname,
            columns: cols,
            unique,
        });
    }
    let storage = if format >= CATALOG_FORMAT_STORAGE {
        match e.u8()? {
            STORAGE_COLUMNAR => {
                let row_group = e.u32()?;
                if !ROW_GROUP_RANGE.contains(&row_group) {
                    return Err(e.corrupt(format!(
                        "row group of {row_group} rows is outside {}..={}",
                        ROW_GROUP_RANGE.start(),
                        ROW_GROUP_RANGE.end()
                    )));
                }
                Storage::Columnar { row_group }
            }
            tag => return Err(e.corrupt(format!("storage tag {tag}, expected {STORAGE_COLUMNAR}"))),
        }
    } else {
        Storage::Row
    };
    let partition = if format == CATALOG_FORMAT_PARTITION {
        let column = e.u32()?;
        let interval = match e.u8()? {
            INTERVAL_MONTH => PartitionInterval::Month,
            INTERVAL_DAY => PartitionInterval::Day,
            INTERVAL_WIDTH => PartitionInterval::Width(e.u64()?),
            tag => return Err(e.corrupt(format!("partition interval tag {tag}, expected 1 to 3"))),
        };
        Some(PartitionSpec { column, interval })
    } else {
        None
    };
    if !e.r.is_empty() {
        return Err(e.corrupt(format!("{} trailing bytes", e.r.remaining())));
    }
    let def = TableDef {
        storage,
        partition,
        id,
        name,
        columns,
        primary_key,
        indexes,
        version,
        next_column_id,
        next_index_id,
    };
    validate(&def).map_err(|reason| e.corrupt(reason))?;
    Ok(def)
}

/// The invariants every stored definition holds (checked after decoding).
fn validate(def: &TableDef) -> std::result::Result<(), String> {
    if def.primary_key.is_empty() {
        return Err("no primary key".into());
    }
    for (i, c) in def.columns.iter().enumerate() {
        if c.id >= def.next_column_id {
            return Err(format!("column `{}` id {} >= next id", c.name, c.id));
        }
        if def.columns[..i].iter().any(|o| o.id == c.id) {
            return Err(format!("column id {} appears twice", c.id));
        }
        if let Some(d) = &c.default
            && !d.fits(c.ty)
        {
            return Err(format!("column `{}` default {d} is not {}", c.name, c.ty));
        }
    }
    let known = |id: &u32| def.position(*id).is_some();
    if !def.primary_key.iter().all(known) {
        return Err("primary key names an unknown column id".into());
    }
    if def.storage.is_columnar() && !def.indexes.is_empty() {
        return Err("a columnar table has secondary indexes".into());
    }
    if let Some(p) = def.partition {
        let col = def
            .position(p.column)
            .and_then(|pos| def.columns.get(pos))
            .ok_or("the partition column id names no column")?;
        let fits = match p.interval {
            PartitionInterval::Month | PartitionInterval::Day => col.ty == ColumnType::Timestamp,
            PartitionInterval::Width(w) => col.ty == ColumnType::Int && w > 0,
        };
        if !fits {
            return Err(format!(
                "partition column `{}` ({}) does not fit its interval",
                col.name, col.ty
            ));
        }
    }
    for i in &def.indexes {
        if i.id >= def.next_index_id || i.columns.is_empty() || !i.columns.iter().all(known) {
            return Err(format!("index `{}` is malformed", i.name));
        }
    }
    Ok(())
}

/// The canonical, id-free encoding of one table the schema digest hashes: names, types,
/// nullability, defaults, the primary key and the indexes (sorted by name) — what a schema
/// *is*, not the ids and versions that record how it was reached.
pub fn canonical(def: &TableDef, out: &mut Vec<u8>) {
    let col_name = |id: &u32| {
        def.position(*id)
            .map_or("", |p| def.columns[p].name.as_str())
    };
    push_str(out, &def.name);
    push_count(out, def.columns.len());
    for c in &def.columns {
        push_str(out, &c.name);
        out.push(c.ty.tag());
        out.push(u8::from(c.not_null));
        match &c.default {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                encode_cell(out, v);
            }
        }
    }
    push_count(out, def.primary_key.len());
    for id in &def.primary_key {
        push_str(out, col_name(id));
    }
    let mut idx: Vec<&IndexDef> = def.indexes.iter().collect();
    idx.sort_by_key(|i| i.name.to_lowercase());
    push_count(out, idx.len());
    for i in idx {
        push_str(out, &i.name);
        out.push(u8::from(i.unique));
        push_count(out, i.columns.len());
        for id in &i.columns {
            push_str(out, col_name(id));
        }
    }
    // Row tables hash as they always have; a columnar table's storage is part of what it is.
    if let Storage::Columnar { row_group } = def.storage {
        out.push(STORAGE_COLUMNAR);
        push_u32(out, row_group);
        // An unpartitioned table hashes as it always has.
        if let Some(p) = def.partition {
            push_str(out, col_name(&p.column));
            push_interval(out, p.interval);
        }
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
