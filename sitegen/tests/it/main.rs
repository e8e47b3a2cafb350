//! sitegen's integration tests, in one test binary (one link step instead of one per file): each
//! module tests one area end to end through the library or the `sitegen` binary, on the fixture
//! repositories of `tests/fixtures/` and the helpers of [`common`]. See `tests/README.md`.

mod common;

mod artifact_links;
mod baseline;
mod bench_site;
mod drill;
mod errors;
mod evidence_site;
mod full_disk;
mod fuzz;
mod gate;
mod hostile_inputs;
mod ingest;
mod ledger;
mod output;
mod paired;
mod paired_verdicts;
mod published_evidence;
mod publishing;
mod repository;
mod site;
mod verdicts;
