//! Binding schema changes: `CREATE/DROP TABLE`, `CREATE [UNIQUE] INDEX`, `DROP INDEX`,
//! `ALTER TABLE ADD/DROP COLUMN` to [`Ddl`] declarations. Existence and uniqueness of names are
//! checked when they run (by `schema::ddl`, against the catalog the transaction sees); here only
//! what the text alone decides: types, defaults (constant, coerced to the column's type), and
//! primary-key columns.

use sqlparser::ast::{self, ColumnOption, Statement as Ast, TableConstraint};

use super::super::super::def::{DEFAULT_ROW_GROUP, PartitionInterval, Storage};
use super::super::super::error::{Result, SchemaError};
use super::super::super::value::{ColumnType, Value};
use super::super::expr::coerce;
use super::super::parse::Parsed;
use super::expr::{Scope, column_type};
use super::object_name;

/// A column as a statement declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: ColumnType,
    /// `NOT NULL` (or part of the primary key).
    pub not_null: bool,
    /// `DEFAULT` value, coerced to the type.
    pub default: Option<Value>,
}

/// A table as `CREATE TABLE` declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableDecl {
    /// Name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<ColumnDecl>,
    /// Primary-key column names, leading first.
    pub primary_key: Vec<String>,
    /// `WITH (storage = 'row' | 'columnar', row_group = n)`.
    pub storage: Storage,
    /// `PARTITION BY RANGE (column)` with `WITH (partition_interval = …)`.
    pub partition: Option<(String, PartitionInterval)>,
}

/// An index as `CREATE INDEX` (or a `UNIQUE` constraint) declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDecl {
    /// Name.
    pub name: String,
    /// Table.
    pub table: String,
    /// Columns, leading first.
    pub columns: Vec<String>,
    /// `UNIQUE`.
    pub unique: bool,
}

/// A bound schema change.
#[derive(Clone, Debug, PartialEq)]
pub enum Ddl {
    /// `CREATE TABLE`, with the unique indexes its `UNIQUE` constraints ask for.
    CreateTable {
        /// The table.
        table: TableDecl,
        /// `UNIQUE` column or table constraints, as unique indexes.
        unique: Vec<IndexDecl>,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP TABLE`.
    DropTable {
        /// Tables, in order.
        names: Vec<String>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `CREATE [UNIQUE] INDEX`.
    CreateIndex {
        /// The index.
        index: IndexDecl,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP INDEX`.
    DropIndex {
        /// Indexes, in order.
        names: Vec<String>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `ALTER TABLE … ADD COLUMN`.
    AddColumn {
        /// The table.
        table: String,
        /// The new column.
        column: ColumnDecl,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `ALTER TABLE … DROP PARTITION ('label', …)`: the partitions' rows are dropped with them.
    DropPartition {
        /// The table.
        table: String,
        /// The partitions' labels, as `SHOW PARTITIONS` prints them.
        labels: Vec<String>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `ALTER TABLE … DROP COLUMN`.
    DropColumn {
        /// The table.
        table: String,
        /// The columns dropped, in order.
        columns: Vec<String>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
}

impl Ddl {
    /// The statement's kind (`CREATE TABLE`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Ddl::CreateTable { .. } => "CREATE TABLE",
            Ddl::DropTable { .. } => "DROP TABLE",
            Ddl::CreateIndex { .. } => "CREATE INDEX",
            Ddl::DropIndex { .. } => "DROP INDEX",
            Ddl::AddColumn { .. } => "ALTER TABLE ADD COLUMN",
            Ddl::DropColumn { .. } => "ALTER TABLE DROP COLUMN",
            Ddl::DropPartition { .. } => "ALTER TABLE DROP PARTITION",
        }
    }
}

fn invalid(name: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidDefinition {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// A column's declaration; `pk` collects a column-level `PRIMARY KEY`, `unique` a `UNIQUE`.
fn column(
    parsed: &Parsed,
    table: &str,
    def: &ast::ColumnDef,
    pk: &mut Vec<String>,
    unique: &mut Vec<IndexDecl>,
) -> Result<ColumnDecl> {
    let name = def.name.value.clone();
    let ty = column_type(&def.data_type)
        .map_err(|m| parsed.error_at(def.name.span.start, format!("column `{name}`: {m}")))?;
    let mut decl = ColumnDecl {
        name: name.clone(),
        ty,
        not_null: false,
        default: None,
    };
    for opt in &def.options {
        match &opt.option {
            ColumnOption::Null => decl.not_null = false,
            ColumnOption::NotNull => decl.not_null = true,
            ColumnOption::Default(e) => {
                let mut scope = Scope::new(parsed, None);
                let bound = scope.bind(e)?;
                if scope.params > 0 || !bound.is_constant() {
                    return Err(invalid(
                        table,
                        format!("DEFAULT of `{name}` must be a constant"),
                    ));
                }
                let v = bound.eval(&[], &[])?;
                decl.default = Some(coerce(v, ty, table, &name)?);
            }
            ColumnOption::PrimaryKey(_) => {
                decl.not_null = true;
                pk.push(name.clone());
            }
            ColumnOption::Unique(_) => unique.push(IndexDecl {
                name: format!("{table}_{name}_key"),
                table: table.to_string(),
                columns: vec![name.clone()],
                unique: true,
            }),
            other => {
                return Err(parsed.error_at(
                    def.name.span.start,
                    format!("column `{name}`: unsupported option {other}"),
                ));
            }
        }
    }
    Ok(decl)
}

fn index_columns(parsed: &Parsed, cols: &[ast::IndexColumn]) -> Result<Vec<String>> {
    cols.iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(id) if c.column.options.sort.is_none() => Ok(id.value.clone()),
            other => Err(parsed.error(format!(
                "index columns must be plain column names (ascending), got `{other}`"
            ))),
        })
        .collect()
}

fn create_table(parsed: &Parsed, ct: &ast::CreateTable) -> Result<Ddl> {
    let name = object_name(parsed, &ct.name)?;
    if ct.query.is_some() || ct.like.is_some() || ct.clone.is_some() {
        return Err(parsed.error("CREATE TABLE … AS/LIKE/CLONE is not supported"));
    }
    let mut pk = Vec::new();
    let mut unique = Vec::new();
    let mut columns = Vec::new();
    for c in &ct.columns {
        columns.push(column(parsed, &name, c, &mut pk, &mut unique)?);
    }
    for constraint in &ct.constraints {
        match constraint {
            TableConstraint::PrimaryKey(p) => {
                if !pk.is_empty() {
                    return Err(invalid(&name, "more than one PRIMARY KEY"));
                }
                pk = index_columns(parsed, &p.columns)?;
            }
            TableConstraint::Unique(u) => {
                let cols = index_columns(parsed, &u.columns)?;
                let index = match u.name.as_ref().or(u.index_name.as_ref()) {
                    Some(n) => n.value.clone(),
                    None => format!("{name}_{}_key", cols.join("_")),
                };
                unique.push(IndexDecl {
                    name: index,
                    table: name.clone(),
                    columns: cols,
                    unique: true,
                });
            }
            other => {
                return Err(parsed.error(format!("unsupported table constraint `{other}`")));
            }
        }
    }
    if pk.is_empty() {
        return Err(invalid(&name, "a table needs a PRIMARY KEY"));
    }
    if pk.len() > 1 && ct.columns.iter().any(|c| pk.contains(&c.name.value)) {
        // A column-level PRIMARY KEY on two columns is two primary keys.
        let column_level = ct
            .columns
            .iter()
            .filter(|c| {
                c.options
                    .iter()
                    .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
            })
            .count();
        if column_level > 1 {
            return Err(invalid(
                &name,
                "more than one PRIMARY KEY (use PRIMARY KEY (a, b))",
            ));
        }
    }
    for key in &pk {
        match columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(key))
        {
            Some(c) => c.not_null = true,
            None => {
                return Err(invalid(
                    &name,
                    format!("PRIMARY KEY column `{key}` is not a column"),
                ));
            }
        }
    }
    let (storage, interval) = table_storage(parsed, &name, &ct.table_options)?;
    let partition = super::partition::clause(
        parsed,
        &name,
        ct.partition_by.as_deref(),
        interval.as_deref(),
        storage.is_columnar(),
    )?;
    if storage.is_columnar() && !unique.is_empty() {
        return Err(invalid(
            &name,
            "a columnar table has no UNIQUE constraints other than its PRIMARY KEY",
        ));
    }
    Ok(Ddl::CreateTable {
        table: TableDecl {
            name,
            columns,
            primary_key: pk,
            storage,
            partition,
        },
        unique,
        if_not_exists: ct.if_not_exists,
    })
}

/// The storage `WITH (storage = 'columnar', row_group = 65536)` asks for (row storage without
/// options), and the text of its `partition_interval` option.
fn table_storage(
    parsed: &Parsed,
    table: &str,
    options: &ast::CreateTableOptions,
) -> Result<(Storage, Option<String>)> {
    let list = match options {
        ast::CreateTableOptions::None => return Ok((Storage::Row, None)),
        ast::CreateTableOptions::With(list) => list,
        other => {
            return Err(parsed.error(format!(
                "unsupported table options `{other}` (use WITH (storage = 'columnar'))"
            )));
        }
    };
    let (mut columnar, mut row_group, mut interval) = (false, None, None);
    for option in list {
        let ast::SqlOption::KeyValue { key, value } = option else {
            return Err(parsed.error(format!("unsupported table option `{option}`")));
        };
        let key = key.to_string().to_ascii_lowercase();
        let text = match value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::Number(s, _) => s.clone(),
                other => other.to_string(),
            },
            ast::Expr::Identifier(id) => id.value.clone(),
            other => other.to_string(),
        };
        match key.as_str() {
            "storage" => {
                columnar = match text.to_ascii_lowercase().as_str() {
                    "columnar" => true,
                    "row" => false,
                    other => {
                        return Err(invalid(
                            table,
                            format!("storage = '{other}': expected 'row' or 'columnar'"),
                        ));
                    }
                };
            }
            "row_group" => {
                row_group = Some(text.parse::<u32>().map_err(|_| {
                    invalid(
                        table,
                        format!("row_group = {text}: expected a whole number of rows"),
                    )
                })?);
            }
            "partition_interval" => interval = Some(text),
            other => {
                return Err(invalid(
                    table,
                    format!(
                        "unknown table option `{other}` (the options are storage, row_group and partition_interval)"
                    ),
                ));
            }
        }
    }
    match (columnar, row_group) {
        (true, g) => Ok((
            Storage::Columnar {
                row_group: g.unwrap_or(DEFAULT_ROW_GROUP),
            },
            interval,
        )),
        (false, None) => Ok((Storage::Row, interval)),
        (false, Some(_)) => Err(invalid(
            table,
            "row_group applies only to storage = 'columnar'",
        )),
    }
}

fn alter_table(parsed: &Parsed, at: &ast::AlterTable) -> Result<Ddl> {
    let table = object_name(parsed, &at.name)?;
    let [op] = at.operations.as_slice() else {
        return Err(parsed.error("ALTER TABLE takes exactly one ADD COLUMN or DROP COLUMN"));
    };
    match op {
        ast::AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } => {
            let (mut pk, mut unique) = (Vec::new(), Vec::new());
            let column = column(parsed, &table, column_def, &mut pk, &mut unique)?;
            if !pk.is_empty() || !unique.is_empty() {
                return Err(invalid(
                    &table,
                    "ADD COLUMN cannot add a PRIMARY KEY or UNIQUE column (create a unique index)",
                ));
            }
            Ok(Ddl::AddColumn {
                table,
                column,
                if_not_exists: *if_not_exists,
            })
        }
        ast::AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => Ok(Ddl::DropColumn {
            table,
            columns: column_names.iter().map(|c| c.value.clone()).collect(),
            if_exists: *if_exists,
        }),
        ast::AlterTableOperation::DropPartitions {
            partitions,
            if_exists,
        } => Ok(Ddl::DropPartition {
            labels: super::partition::labels(parsed, &table, partitions)?,
            table,
            if_exists: *if_exists,
        }),
        other => Err(parsed.error(format!("unsupported ALTER TABLE operation `{other}`"))),
    }
}

/// Binds a schema-changing statement; anything else is "not supported".
pub fn bind_ddl(parsed: &Parsed, ast: &Ast) -> Result<Ddl> {
    match ast {
        Ast::CreateTable(ct) => create_table(parsed, ct),
        Ast::CreateIndex(ci) => {
            let Some(name) = &ci.name else {
                return Err(parsed.error("CREATE INDEX needs a name"));
            };
            if ci.predicate.is_some() || !ci.include.is_empty() || ci.using.is_some() {
                return Err(parsed.error("partial, covering and USING indexes are not supported"));
            }
            Ok(Ddl::CreateIndex {
                index: IndexDecl {
                    name: object_name(parsed, name)?,
                    table: object_name(parsed, &ci.table_name)?,
                    columns: index_columns(parsed, &ci.columns)?,
                    unique: ci.unique,
                },
                if_not_exists: ci.if_not_exists,
            })
        }
        Ast::AlterTable(at) => alter_table(parsed, at),
        Ast::Drop {
            object_type,
            if_exists,
            names,
            cascade: false,
            ..
        } => {
            let names = names
                .iter()
                .map(|n| object_name(parsed, n))
                .collect::<Result<Vec<_>>>()?;
            match object_type {
                ast::ObjectType::Table => Ok(Ddl::DropTable {
                    names,
                    if_exists: *if_exists,
                }),
                ast::ObjectType::Index => Ok(Ddl::DropIndex {
                    names,
                    if_exists: *if_exists,
                }),
                other => Err(parsed.error(format!("DROP {other} is not supported"))),
            }
        }
        other => {
            let text = other.to_string();
            let word: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            Err(parsed.error(format!("unsupported statement `{word} …`")))
        }
    }
}
