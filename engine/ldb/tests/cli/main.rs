//! End-to-end tests of the `ldb` command line, one module per command family, in one test
//! binary: every command, its output format, its exit codes and its errors on bad input.

mod backup;
mod check_damage;
mod check_tables;
mod column_stats;
mod commands;
mod common;
mod compare;
mod enospc_drill;
mod fuzz;
mod import_export;
mod isolation;
mod migrate;
mod mv;
mod partitions;
mod pitr;
mod recover;
mod recovery_drill;
mod sql;
mod sql_diff;
mod sql_terminal;
mod tpcc;
mod txn;
