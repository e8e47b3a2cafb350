//! The plan phase: what was loaded becomes a list of page jobs, one producer per page family,
//! all registered in [`plan`] (the one place that lists them, in the order pages are planned):
//!
//! home → content pages → ADR index and pages → history → catalog → with evidence: dashboard,
//! traceability, sign-off report, metric pages, run and compare pages, paired run pages.
//!
//! Every value from git or an ADR goes into the context as plain text and is escaped by the
//! templates; only rendered markdown is marked safe. To add a page family, write a module here
//! that returns `PageJob`s built with [`Shared::job`] or [`Shared::keyed_job`] and push its jobs
//! in [`plan`].

pub mod adr;
pub mod catalog;
pub mod content;
pub mod dashboard;
pub mod history;
pub mod home;
pub mod metrics;
pub mod paired;
pub mod runs;
pub mod signoff;
pub mod trace;

use anyhow::Result;

use super::context::{Chrome, Shared};
use super::incremental::cache::Cache;
use super::incremental::reuse::Previous;
use super::job::PageJob;
use super::load::Loaded;
use super::load::evidence;
use super::options::BuildOptions;

/// Builds every page job and returns them with the build warnings.
pub fn plan(
    options: &BuildOptions,
    loaded: &Loaded,
    cache: &Cache,
    chrome: &Chrome,
    previous: Option<&Previous>,
) -> Result<(Vec<PageJob>, Vec<String>)> {
    let mut warnings = Vec::new();
    let shared = Shared::new(options, loaded, chrome, previous)?;
    let ev = loaded.evidence.as_ref();
    let accepted = evidence::acceptances(&loaded.adrs, &loaded.history)?;
    let mut jobs = vec![home::home(&shared, loaded)];
    jobs.extend(content::content_pages(&shared, options, loaded, cache)?);
    jobs.push(adr::adr_index(&shared, loaded));
    jobs.extend(adr::adr_pages(
        &shared,
        options,
        loaded,
        &accepted,
        cache,
        &mut warnings,
    )?);
    jobs.push(history::history(&shared, loaded));
    jobs.push(catalog::catalog_page(&shared, ev)?);
    if let Some(ev) = ev {
        jobs.push(dashboard::dashboard(&shared, ev, &loaded.adrs));
        jobs.push(trace::traceability(&shared, ev, &loaded.adrs));
        let register = loaded
            .pages
            .iter()
            .find(|p| p.slug == RISK_REGISTER)
            .map(|p| (p.slug.as_str(), p.body.as_str()));
        jobs.push(signoff::signoff_report(&shared, ev, &loaded.adrs, register));
        jobs.extend(metrics::metric_pages(&shared, ev, &loaded.adrs, &accepted)?);
        jobs.extend(runs::run_pages(&shared, ev)?);
        jobs.extend(paired::paired_pages(&shared, ev));
    }
    Ok((jobs, warnings))
}

/// Slug of the content page holding the risk register (`content/risk-register.md`), the one
/// source of the sign-off report's open risks.
pub const RISK_REGISTER: &str = "risk-register";
