//! `ldb bench`: quick measurements (the criterion benches are the careful ones) and the
//! comparison of a metrics file with a baseline.

pub mod compare;
pub mod olap_kv;
pub mod oltp;
pub mod storage;
pub mod tables;
pub mod tpcc;
pub mod tpcc_sqlite;
