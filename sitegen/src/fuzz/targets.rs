//! The fuzz targets of sitegen's parsers. Each feeds one input to one parser and returns how
//! it refused it, if it did; none may panic. File-based targets (the render cache, the page
//! record) write the input where the build would read it, in a scratch folder.

use std::path::Path;

use crate::evidence::ingest::{json, junit};
use crate::evidence::ledger::{ChainHead, Manifest, RunInfo, parse_json};
use crate::evidence::record::EvidenceRecord;
use crate::model::config::Config;
use crate::model::plan::{Plan, expr};
use crate::model::{adr, frontmatter};
use crate::site::incremental::cache::Cache;
use crate::site::incremental::reuse::Previous;

/// A parser under fuzzing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A criterion's `metric` expression.
    Expression,
    /// `content/plan.toml`.
    Plan,
    /// `sitegen.toml`.
    Config,
    /// An ADR (front matter and body).
    Adr,
    /// A content page's front matter.
    FrontMatter,
    /// Metrics JSON and Bencher Metric Format.
    MetricsJson,
    /// JUnit XML.
    Junit,
    /// An evidence record (`records/<check>.json`).
    Record,
    /// A run's `run.json`.
    RunInfo,
    /// A run's `manifest.json`.
    Manifest,
    /// `chain-head.json`.
    ChainHead,
    /// The render cache's index (`render.json`), read with a pack beside it.
    RenderCache,
    /// The page-sharing record (`pages.json`).
    PageRecord,
}

/// Every target, in report order.
pub const ALL: [Target; 13] = [
    Target::Expression,
    Target::Plan,
    Target::Config,
    Target::Adr,
    Target::FrontMatter,
    Target::MetricsJson,
    Target::Junit,
    Target::Record,
    Target::RunInfo,
    Target::Manifest,
    Target::ChainHead,
    Target::RenderCache,
    Target::PageRecord,
];

const PACK: &str = "render-1.pack";
const PACK_BYTES: &[u8] = b"<p>cached page body</p>";

/// A render-cache index naming one entry of the pack [`Target::exec`] writes beside it.
pub fn render_cache_seed() -> Vec<u8> {
    let sha = crate::evidence::hash::bytes(PACK_BYTES);
    let key = Cache::key("page", b"inputs");
    format!(
        "{{\"format_version\":1,\"pack\":\"{PACK}\",\"entries\":{{\"page/{key}\":[0,{},\"{sha}\"]}}}}",
        PACK_BYTES.len()
    )
    .into_bytes()
}

/// A page-sharing record for version `v1` with one page.
pub fn page_record_seed() -> Vec<u8> {
    b"{\"format\":1,\"version\":\"v1\",\"pages\":{\"index.html\":{\"key\":\"ab12\",\"ids\":[\"top\",\"verdict\"]}}}".to_vec()
}

fn text(input: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(input).map_err(|e| format!("not UTF-8: {e}"))
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Target {
    /// The target's name in reports and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Target::Expression => "expression",
            Target::Plan => "plan",
            Target::Config => "config",
            Target::Adr => "adr",
            Target::FrontMatter => "front_matter",
            Target::MetricsJson => "metrics_json",
            Target::Junit => "junit",
            Target::Record => "record",
            Target::RunInfo => "run_info",
            Target::Manifest => "manifest",
            Target::ChainHead => "chain_head",
            Target::RenderCache => "render_cache",
            Target::PageRecord => "page_record",
        }
    }

    /// The target named `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        ALL.into_iter().find(|t| t.name() == name)
    }

    /// Feeds `input` to the target's parser; `scratch` is where file-based targets write it.
    pub fn exec(self, input: &[u8], scratch: &Path) -> Result<(), String> {
        let path = Path::new("fuzz-input");
        match self {
            Target::Expression => expr::parse(text(input)?).map(|_| ()).map_err(err),
            Target::Plan => Plan::parse(path, text(input)?).map(|_| ()).map_err(err),
            Target::Config => Config::parse(path, text(input)?).map(|_| ()).map_err(err),
            Target::Adr => {
                // The id must match the file name: name the file after the id the text claims.
                let text = text(input)?;
                let number: String = text
                    .split("id = \"ADR-")
                    .nth(1)
                    .map(|rest| rest.chars().take(4).collect())
                    .unwrap_or_default();
                let file = format!("adr/{number}-fuzz.md");
                adr::parse(Path::new(&file), text).map(|_| ()).map_err(err)
            }
            Target::FrontMatter => frontmatter::parse::<toml::Value>(path, text(input)?)
                .map(|_| ())
                .map_err(err),
            Target::MetricsJson => json::parse_any("fuzz", text(input)?)
                .map(|_| ())
                .map_err(err),
            Target::Junit => junit::parse("fuzz", text(input)?).map(|_| ()).map_err(err),
            Target::Record => parse_json::<EvidenceRecord>(path, input)
                .map(|_| ())
                .map_err(err),
            Target::RunInfo => parse_json::<RunInfo>(path, input).map(|_| ()).map_err(err),
            Target::Manifest => parse_json::<Manifest>(path, input).map(|_| ()).map_err(err),
            Target::ChainHead => parse_json::<ChainHead>(path, input)
                .map(|_| ())
                .map_err(err),
            Target::RenderCache => {
                let dir = scratch.join("render");
                std::fs::create_dir_all(&dir).map_err(err)?;
                std::fs::write(dir.join(PACK), PACK_BYTES).map_err(err)?;
                std::fs::write(dir.join("render.json"), input).map_err(err)?;
                let cache = Cache::new(&dir);
                let got = cache
                    .get_or("page", b"inputs", || Ok("computed".to_string()))
                    .map_err(err)?;
                cache.finish();
                if got.as_bytes() == PACK_BYTES {
                    Ok(())
                } else {
                    Err("the entry was recomputed".to_string())
                }
            }
            Target::PageRecord => {
                let (cache, site) = (scratch.join("pages-cache"), scratch.join("site"));
                std::fs::create_dir_all(&cache).map_err(err)?;
                std::fs::create_dir_all(site.join("v1")).map_err(err)?;
                std::fs::write(cache.join("pages.json"), input).map_err(err)?;
                Previous::load(&cache, &site)
                    .map(|_| ())
                    .ok_or_else(|| "no usable record".to_string())
            }
        }
    }
}
