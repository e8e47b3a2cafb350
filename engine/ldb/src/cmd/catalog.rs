//! `ldb catalog`: what the engine can describe about its own on-disk formats and limits (and a
//! database's configuration), as text lines, JSON or the markdown of `docs/SCHEMA_CATALOG.md`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::{Database, Options};

use crate::flat::flat_text;

/// Arguments of `ldb catalog`.
#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// A database whose configuration to include (defaults when omitted).
    db: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// The markdown document (`docs/SCHEMA_CATALOG.md`).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
}

/// Runs `ldb catalog`.
pub fn catalog_cmd(args: CatalogArgs) -> Result<()> {
    let handle = match &args.db {
        Some(path) => Some(
            Database::open(path, Options::default())
                .with_context(|| format!("while opening database {}", path.display()))?,
        ),
        None => None,
    };
    let catalog = lightning_db::catalog::describe(handle.as_ref())?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&catalog)?)?;
    } else if args.markdown {
        out!("{}", catalog.to_markdown())?;
    } else {
        out!("{}", flat_text(&serde_json::to_value(&catalog)?))?;
    }
    Ok(())
}
