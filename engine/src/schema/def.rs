//! Schema definitions: what the catalog records about a table, its columns and its indexes.
//!
//! These are plain data. The catalog (`schema::catalog`) stores them in the database itself and
//! changes them only inside transactions; the table layer reads them to encode rows and index
//! entries; the SQL front end binds names to them. Ids are assigned once and never reused within
//! a database, so a dropped column's or index's bytes can never be mistaken for a new one's.

use super::value::{ColumnType, Value};

/// A table's id: the first component of every row key and index key of the table.
pub type TableId = u32;
/// A column's id within its table: stable across `ADD COLUMN` / `DROP COLUMN`.
pub type ColumnId = u32;
/// An index's id within its table (the primary key is not an index and has no id).
pub type IndexId = u32;

/// A column as declared.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    /// Stable id, unique within the table.
    pub id: ColumnId,
    /// Name, unique within the table (compared case-insensitively, stored as declared).
    pub name: String,
    /// Declared type.
    pub ty: ColumnType,
    /// Whether `NULL` is refused.
    pub not_null: bool,
    /// The value an `INSERT` that omits the column stores (`None`: `NULL`).
    pub default: Option<Value>,
}

/// A secondary index as declared.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDef {
    /// Stable id, unique within the table.
    pub id: IndexId,
    /// Name, unique within the database (compared case-insensitively).
    pub name: String,
    /// The indexed columns, leading column first.
    pub columns: Vec<ColumnId>,
    /// Whether two rows may not share the same (non-NULL) indexed values.
    pub unique: bool,
}

/// The row-group size of a columnar table unless `CREATE TABLE … WITH (row_group = n)` says
/// otherwise: the most rows one segment holds.
pub const DEFAULT_ROW_GROUP: u32 = 65_536;
/// The smallest and largest row-group sizes a columnar table may declare.
pub const ROW_GROUP_RANGE: std::ops::RangeInclusive<u32> = 1_024..=1_048_576;

/// How a table keeps its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Storage {
    /// One B-tree entry per row, keyed by the primary key (the default).
    #[default]
    Row,
    /// Columnar (`WITH (storage = 'columnar')`): immutable segments of up to `row_group` rows,
    /// one encoded chunk per column, plus a delta of recent rows kept as row entries until it is
    /// compacted into a segment (the `columnar` layer).
    Columnar {
        /// The most rows one segment holds.
        row_group: u32,
    },
}

impl Storage {
    /// Whether the table is columnar.
    pub fn is_columnar(self) -> bool {
        matches!(self, Storage::Columnar { .. })
    }
}

/// How a partitioned table cuts its partition column's values into ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionInterval {
    /// Calendar months (UTC) of a `TIMESTAMP` column.
    Month,
    /// Days (UTC) of a `TIMESTAMP` column.
    Day,
    /// Ranges of this many values of an integer column, aligned at multiples of it.
    Width(u64),
}

/// Range partitioning of a columnar table (`PARTITION BY RANGE (column)` with
/// `partition_interval`): every row belongs to the range of the interval its partition column
/// falls in, and each range's rows are kept in segments of their own (`columnar::partition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionSpec {
    /// The partition column's id.
    pub column: ColumnId,
    /// The interval.
    pub interval: PartitionInterval,
}

/// A table as the catalog records it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableDef {
    /// Stable id, unique within the database.
    pub id: TableId,
    /// Name, unique within the database (compared case-insensitively, stored as declared).
    pub name: String,
    /// Columns in declaration order (the order `SELECT *` returns).
    pub columns: Vec<ColumnDef>,
    /// The primary-key columns, leading column first (never empty; implicitly NOT NULL).
    pub primary_key: Vec<ColumnId>,
    /// Secondary indexes.
    pub indexes: Vec<IndexDef>,
    /// Incremented by every change to this definition (column or index added or dropped).
    pub version: u64,
    /// The next column id `ADD COLUMN` assigns.
    pub next_column_id: ColumnId,
    /// The next index id `CREATE INDEX` assigns.
    pub next_index_id: IndexId,
    /// How the rows are kept.
    pub storage: Storage,
    /// Range partitioning (columnar tables only; `None`: not partitioned).
    pub partition: Option<PartitionSpec>,
}

impl TableDef {
    /// The column named `name` (case-insensitive) and its position in [`columns`](Self::columns).
    pub fn column(&self, name: &str) -> Option<(usize, &ColumnDef)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.eq_ignore_ascii_case(name))
    }

    /// The position of the column with id `id`.
    pub fn position(&self, id: ColumnId) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// The index named `name` (case-insensitive).
    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.indexes
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }

    /// The positions of the primary-key columns, leading first.
    pub fn primary_key_positions(&self) -> Vec<usize> {
        self.primary_key
            .iter()
            .filter_map(|id| self.position(*id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> TableDef {
        let col = |id, name: &str| ColumnDef {
            id,
            name: name.into(),
            ty: ColumnType::Int,
            not_null: false,
            default: None,
        };
        TableDef {
            id: 7,
            name: "Orders".into(),
            columns: vec![col(1, "id"), col(3, "Customer")],
            primary_key: vec![1],
            indexes: vec![IndexDef {
                id: 1,
                name: "orders_by_customer".into(),
                columns: vec![3],
                unique: false,
            }],
            version: 1,
            next_column_id: 4,
            next_index_id: 2,
            storage: Storage::Row,
            partition: None,
        }
    }

    #[test]
    fn lookups_are_case_insensitive_and_by_stable_id() {
        let t = table();
        assert_eq!(t.column("customer").map(|(p, _)| p), Some(1));
        assert_eq!(t.position(3), Some(1));
        assert_eq!(t.position(2), None);
        assert!(t.index("ORDERS_BY_CUSTOMER").is_some());
        assert_eq!(t.primary_key_positions(), vec![0]);
    }
}
