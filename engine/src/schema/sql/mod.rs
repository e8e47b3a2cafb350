//! The SQL front end: text to statements ([`parse`]), names to definitions ([`bind`]), row
//! access chosen by the planner ([`plan`]), expressions ([`expr`]), `GROUP BY` and aggregates
//! ([`aggregate`]), execution against the table layer ([`exec`]) or, for columnar tables, the
//! columnar layer ([`columnar`]), `EXPLAIN` ([`explain`]), `ANALYZE` and `SHOW STATS`
//! ([`stats`]), and
//! the public face — [`SqlDatabase`], sessions with `BEGIN`/`COMMIT`/`ROLLBACK`, prepared
//! statements and scripts ([`session`]).
//!
//! `docs/sql.md` describes the dialect, the types, the plans and the errors for users.

pub mod aggregate;
pub mod bind;
pub mod columnar;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod mv;
pub mod parse;
pub mod partitions;
pub mod plan;
pub mod session;
pub mod stats;

pub use exec::{ExecResult, Rows};
pub use session::{Session, SqlDatabase, Statement, StatementEffect, execute_in, execute_script};
