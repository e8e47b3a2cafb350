//! The row value encoding: a row's cells keyed by column id, so `ADD COLUMN` and `DROP COLUMN`
//! never rewrite rows — a column a row does not mention reads as its default, and the bytes of
//! a column the table no longer has are skipped.
//!
//! Layout (`engine/FORMAT.md`, "Row values"): `01` (format version), cell count (LEB128
//! varint), then per cell: column id (varint), type tag (`00` = NULL, else
//! [`ColumnType::tag`]), payload — `Int`/`Timestamp` 8 bytes little-endian two's complement,
//! `Double` 8 bytes little-endian IEEE bits, `Bool` one byte `00`/`01`, `Text`/`Bytes` a varint
//! length and the bytes. Decoding checks every length against the bytes left, refuses a
//! duplicate column id, a tag that is not the column's type, and invalid UTF-8.

use super::def::TableDef;
use super::error::{Result, SchemaError};
use super::value::{ColumnType, Value};
use crate::util::codec::{Reader, push_varint};

/// The row format version this code writes and reads.
pub const ROW_FORMAT: u8 = 1;

/// Encodes `row` (one value per column of `def`, in `def.columns` order).
pub fn encode_row(def: &TableDef, row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + row.len() * 10);
    out.push(ROW_FORMAT);
    push_varint(&mut out, row.len() as u64);
    for (col, v) in def.columns.iter().zip(row) {
        push_varint(&mut out, u64::from(col.id));
        encode_cell(&mut out, v);
    }
    out
}

/// Appends one cell's tag and payload (also the catalog's encoding of a column default).
pub fn encode_cell(out: &mut Vec<u8>, v: &Value) {
    out.push(v.column_type().map_or(0, ColumnType::tag));
    match v {
        Value::Null => {}
        Value::Int(i) | Value::Timestamp(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::Double(d) => out.extend_from_slice(&d.to_bits().to_le_bytes()),
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Text(s) => {
            push_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            push_varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
}

/// Decodes one cell written by [`encode_cell`]; `what` names it in errors.
pub fn decode_cell(r: &mut Reader<'_>, what: &dyn Fn() -> String) -> Result<Value> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: what(),
        reason,
    };
    let tag = r.u8().map_err(|e| corrupt(e.to_string()))?;
    if tag == 0 {
        return Ok(Value::Null);
    }
    let ty = ColumnType::from_tag(tag).ok_or_else(|| corrupt(format!("unknown type tag {tag}")))?;
    let eight = |r: &mut Reader<'_>| -> Result<[u8; 8]> {
        let b = r.bytes(8).map_err(|e| corrupt(e.to_string()))?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(a)
    };
    let var = |r: &mut Reader<'_>| -> Result<Vec<u8>> {
        let at = r.position();
        let len = r.varint().map_err(|e| corrupt(e.to_string()))?;
        if len > r.remaining() as u64 {
            return Err(corrupt(format!(
                "length {len} at byte {at} exceeds the {} bytes left",
                r.remaining()
            )));
        }
        Ok(r.bytes(len as usize)
            .map_err(|e| corrupt(e.to_string()))?
            .to_vec())
    };
    Ok(match ty {
        ColumnType::Int => Value::Int(i64::from_le_bytes(eight(r)?)),
        ColumnType::Timestamp => Value::Timestamp(i64::from_le_bytes(eight(r)?)),
        ColumnType::Double => Value::Double(f64::from_bits(u64::from_le_bytes(eight(r)?))),
        ColumnType::Bool => match r.u8().map_err(|e| corrupt(e.to_string()))? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(corrupt(format!("boolean byte {b}"))),
        },
        ColumnType::Text => Value::Text(
            String::from_utf8(var(r)?).map_err(|_| corrupt("text is not UTF-8".into()))?,
        ),
        ColumnType::Bytes => Value::Bytes(var(r)?),
    })
}

/// Decodes a row value of `def`'s table into one value per column of `def` (in
/// `def.columns` order): absent columns read their default (or `NULL`), cells of columns the
/// table no longer has are skipped.
pub fn decode_row(def: &TableDef, bytes: &[u8]) -> Result<Vec<Value>> {
    let what = || format!("row value of table `{}`", def.name);
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: what(),
        reason,
    };
    let mut r = Reader::new(bytes);
    let version = r.u8().map_err(|e| corrupt(e.to_string()))?;
    if version != ROW_FORMAT {
        return Err(corrupt(format!(
            "row format {version}, expected {ROW_FORMAT}"
        )));
    }
    let count = r.varint().map_err(|e| corrupt(e.to_string()))?;
    // Every cell takes at least two bytes (id and tag).
    if count > (r.remaining() / 2) as u64 {
        return Err(corrupt(format!(
            "{count} cells cannot fit in {} bytes",
            r.remaining()
        )));
    }
    let mut out: Vec<Option<Value>> = vec![None; def.columns.len()];
    for _ in 0..count {
        let id = r.varint().map_err(|e| corrupt(e.to_string()))?;
        let v = decode_cell(&mut r, &what)?;
        let Some(pos) = u32::try_from(id).ok().and_then(|id| def.position(id)) else {
            continue; // a dropped column
        };
        let col = def
            .columns
            .get(pos)
            .expect("position() returns an index into columns");
        if !v.fits(col.ty) {
            return Err(corrupt(format!(
                "column `{}` holds a {} value, declared {}",
                col.name,
                v.type_name(),
                col.ty
            )));
        }
        let slot = out.get_mut(pos).expect("out has one slot per column");
        if slot.is_some() {
            return Err(corrupt(format!("column `{}` appears twice", col.name)));
        }
        *slot = Some(v);
    }
    if !r.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.remaining())));
    }
    Ok(out
        .into_iter()
        .zip(&def.columns)
        .map(|(v, c)| v.unwrap_or_else(|| c.default.clone().unwrap_or(Value::Null)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::def::ColumnDef;
    use crate::util::rng::SplitMix64;

    fn table(cols: &[(u32, ColumnType, Option<Value>)]) -> TableDef {
        TableDef {
            id: 1,
            name: "t".into(),
            columns: cols
                .iter()
                .map(|(id, ty, default)| ColumnDef {
                    id: *id,
                    name: format!("c{id}"),
                    ty: *ty,
                    not_null: false,
                    default: default.clone(),
                })
                .collect(),
            primary_key: vec![cols.first().map_or(1, |c| c.0)],
            indexes: vec![],
            version: 1,
            next_column_id: 10,
            next_index_id: 1,
            storage: crate::schema::def::Storage::Row,
            partition: None,
        }
    }

    #[test]
    fn rows_round_trip_every_type() {
        let def = table(&[
            (1, ColumnType::Int, None),
            (2, ColumnType::Double, None),
            (3, ColumnType::Text, None),
            (4, ColumnType::Bytes, None),
            (5, ColumnType::Bool, None),
            (6, ColumnType::Timestamp, None),
            (7, ColumnType::Text, None),
        ]);
        let row = vec![
            Value::Int(-5),
            Value::Double(-0.0),
            Value::Text("é\0x".into()),
            Value::Bytes(vec![0, 1, 255]),
            Value::Bool(true),
            Value::Timestamp(i64::MIN),
            Value::Null,
        ];
        let back = decode_row(&def, &encode_row(&def, &row)).expect("decodes");
        assert_eq!(back, row);
        assert!(matches!(back[1], Value::Double(d) if d.is_sign_negative()));
    }

    #[test]
    fn added_columns_read_default_and_dropped_ones_are_skipped() {
        let old = table(&[(1, ColumnType::Int, None), (2, ColumnType::Text, None)]);
        let bytes = encode_row(&old, &[Value::Int(1), Value::Text("gone".into())]);
        let new = table(&[
            (1, ColumnType::Int, None),
            (3, ColumnType::Bool, Some(Value::Bool(true))),
            (4, ColumnType::Int, None),
        ]);
        assert_eq!(
            decode_row(&new, &bytes).expect("decodes"),
            vec![Value::Int(1), Value::Bool(true), Value::Null]
        );
    }

    #[test]
    fn corrupt_rows_are_refused_never_panic() {
        let def = table(&[(1, ColumnType::Int, None), (2, ColumnType::Text, None)]);
        let good = encode_row(&def, &[Value::Int(1), Value::Text("abc".into())]);
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![2, 0],
            vec![1, 200, 1],
            good[..good.len() - 1].to_vec(),
            [good.clone(), vec![0]].concat(),
            vec![1, 1, 1, 3, 0], // Text in the Int column
            vec![1, 2, 1, 0, 1, 0],
            vec![1, 1, 2, 3, 0x7F, b'a'], // text length past the end
            vec![1, 1, 2, 3, 1, 0xC3],    // not UTF-8
            vec![1, 1, 1, 9],             // unknown tag
        ];
        let mut rng = SplitMix64::new(0x0015_0002);
        for _ in 0..2000 {
            let mut b = good.clone();
            let i = rng.below(b.len() as u64) as usize;
            b[i] = rng.next_u64() as u8;
            cases.push(b);
        }
        for (i, bytes) in cases.iter().enumerate() {
            match decode_row(&def, bytes) {
                Err(SchemaError::Corrupt { what, .. }) => assert!(what.contains("`t`")),
                Ok(_) if i >= 10 => {} // a mutation can still be a valid row
                other => panic!("case {i} {bytes:02x?}: expected Corrupt, got {other:?}"),
            }
        }
    }
}
