//! Table entries with and without a partition section: round trips, the formats older entries
//! keep, and damaged partition sections refused.

use super::*;
use crate::schema::def::{ColumnDef, PartitionInterval, PartitionSpec, Storage, TableDef};
use crate::schema::value::ColumnType;

fn table(partition: Option<PartitionSpec>) -> TableDef {
    let col = |id, name: &str, ty| ColumnDef {
        id,
        name: name.into(),
        ty,
        not_null: true,
        default: None,
    };
    TableDef {
        id: 4,
        name: "events".into(),
        columns: vec![
            col(1, "id", ColumnType::Int),
            col(2, "at", ColumnType::Timestamp),
        ],
        primary_key: vec![1],
        indexes: Vec::new(),
        version: 1,
        next_column_id: 3,
        next_index_id: 1,
        storage: Storage::Columnar { row_group: 4096 },
        partition,
    }
}

#[test]
fn partitioned_entries_round_trip_and_older_formats_stay() {
    let plain = table(None);
    let bytes = encode_table(&plain);
    assert_eq!(bytes.first(), Some(&CATALOG_FORMAT_STORAGE));
    assert_eq!(decode_table(4, &bytes).expect("format 2"), plain);
    for interval in [
        PartitionInterval::Month,
        PartitionInterval::Day,
        PartitionInterval::Width(250),
    ] {
        let mut def = table(Some(PartitionSpec {
            column: 2,
            interval,
        }));
        if let PartitionInterval::Width(_) = interval {
            def.columns[1].ty = ColumnType::Int;
        }
        let bytes = encode_table(&def);
        assert_eq!(bytes.first(), Some(&CATALOG_FORMAT_PARTITION));
        assert_eq!(decode_table(4, &bytes).expect("format 3"), def);
        // The schema digest's encoding tells a partitioned table from a plain one.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        canonical(&def, &mut a);
        canonical(&plain, &mut b);
        assert_ne!(a, b);
    }
}

#[test]
fn damaged_partition_sections_are_refused() {
    let def = table(Some(PartitionSpec {
        column: 2,
        interval: PartitionInterval::Month,
    }));
    let bytes = encode_table(&def);
    let n = bytes.len();
    // Unknown interval tag.
    let mut bad = bytes.clone();
    bad[n - 1] = 9;
    assert!(decode_table(4, &bad).is_err());
    // A partition column id that names no column.
    let mut bad = bytes.clone();
    bad[n - 5..n - 1].copy_from_slice(&7u32.to_le_bytes());
    assert!(decode_table(4, &bad).is_err());
    // A month interval on an integer column.
    let mut wrong = def.clone();
    wrong.partition = Some(PartitionSpec {
        column: 1,
        interval: PartitionInterval::Month,
    });
    assert!(decode_table(4, &encode_table(&wrong)).is_err());
    // Truncated.
    assert!(decode_table(4, &bytes[..n - 1]).is_err());
    // A width of zero.
    let mut zero = def.clone();
    zero.columns[1].ty = ColumnType::Int;
    zero.partition = Some(PartitionSpec {
        column: 2,
        interval: PartitionInterval::Width(0),
    });
    assert!(decode_table(4, &encode_table(&zero)).is_err());
}
