//! `ldb bench`: quick measurements (the criterion benches are the careful ones) and the
//! comparison of a metrics file with a baseline; `tpcc` and `tpch` run a peer engine beside
//! Lightning (`tpcc_sqlite`: SQLite in process; `duckdb`: DuckDB in a Python process).

pub mod compare;
pub mod duckdb;
pub mod olap_kv;
pub mod oltp;
pub mod storage;
pub mod tables;
pub mod tpcc;
pub mod tpcc_sqlite;
pub mod tpch;
pub mod tpch_lightning;
