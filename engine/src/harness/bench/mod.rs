//! The quick measurements behind `ldb bench`: each takes a configuration and a scratch
//! directory and returns its figures; the CLI names them as metrics and prints them.
//! [`tpcc`] runs a TPC-C-style SQL workload against any engine behind its SQL client trait.

pub mod extra_work;
pub mod olap_kv;
pub mod oltp;
pub mod storage;
pub mod tables;
pub mod tpcc;
