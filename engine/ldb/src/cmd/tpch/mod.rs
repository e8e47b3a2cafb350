//! `ldb tpch`: TPC-H data for the analytics comparison (`docs/tpch.md`). The schema and the
//! queries are SQL files in `engine/ldb/tpch/`; [`generate`] writes the tables' CSV files.

pub mod generate;
