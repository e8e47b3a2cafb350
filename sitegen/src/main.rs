//! `sitegen` — command-line entry point; all work lives in the `sitegen` library.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// The evidence site generator.
#[derive(Debug, Parser)]
#[command(name = "sitegen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the site into `site/<version>/` and update `site/versions.json`, `site/latest/`
    /// and the root redirect. An existing version is never modified unless `--force` is given.
    Build {
        /// Version name; defaults to the tag at HEAD, else the short commit hash, with `-dirty`
        /// when the working tree has changes.
        #[arg(long)]
        version: Option<String>,
        /// Repository root (holds `content/`, `adr/`, `templates/`; output in `site/`).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Replace `site/<version>/` if it already exists.
        #[arg(long)]
        force: bool,
        /// Let raw HTML in markdown through (it is escaped by default).
        #[arg(long)]
        allow_html: bool,
    },
    /// Write a synthetic repository (content pages, ADRs, git history) for benchmarking builds.
    Synthetic {
        /// Directory to create; must not exist yet.
        out: PathBuf,
        /// Number of content pages.
        #[arg(long, default_value_t = 200)]
        pages: usize,
        /// Approximate words per content page.
        #[arg(long, default_value_t = 1500)]
        words: usize,
        /// Number of ADRs.
        #[arg(long, default_value_t = 100)]
        adrs: usize,
        /// Number of commits.
        #[arg(long, default_value_t = 200)]
        commits: usize,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            version,
            root,
            force,
            allow_html,
        } => {
            let mut options = sitegen::site::BuildOptions::new(root);
            options.version = version;
            options.force = force;
            options.allow_html = allow_html;
            let report = sitegen::site::build(&options)?;
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            for t in &report.timings {
                eprintln!("  {:<7} {:>8.1} ms", t.name, t.duration.as_secs_f64() * 1e3);
            }
            println!(
                "built {} pages for version {} in {}",
                report.pages,
                report.version,
                report.output.display()
            );
            Ok(())
        }
        Command::Synthetic {
            out,
            pages,
            words,
            adrs,
            commits,
        } => {
            if out.exists() {
                anyhow::bail!("{} already exists; choose a new directory", out.display());
            }
            std::fs::create_dir_all(&out)?;
            let spec = sitegen::site::synthetic::SyntheticSpec {
                pages,
                words_per_page: words,
                adrs,
                commits,
                ..Default::default()
            };
            sitegen::site::synthetic::generate(&out, &spec)?;
            println!("wrote a synthetic repository to {}", out.display());
            Ok(())
        }
    }
}
