//! The model: what the project says it is and wants — its configuration, plan, decisions and
//! pages. Everything here is read from files people write (`sitegen.toml`, `content/`, `adr/`);
//! nothing here is measured.
//!
//! - [`config`] — `sitegen.toml`; [`site`] — its `[site]` table;
//! - [`plan`] — `content/plan.toml`, the hardening plan and its criteria expressions;
//! - [`signoff`] — `content/signoffs.toml`;
//! - [`adr`] — architecture decision records;
//! - [`content`] — content pages;
//! - [`frontmatter`] — the TOML front matter both of those start with.

pub mod adr;
pub mod config;
pub mod content;
pub mod frontmatter;
pub mod plan;
pub mod signoff;
pub mod site;
