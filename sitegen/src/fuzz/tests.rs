//! Every target runs a seeded budget over the corpus of this repository without a crash, and
//! its seed inputs are ones the parsers accept (so mutations start from real inputs).

use super::*;

fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_target_survives_a_seeded_budget_from_accepted_seeds() {
    let corpus = Corpus::build(&repo_root()).expect("corpus");
    let scratch = tempfile::tempdir().expect("tempdir");
    for target in ALL {
        let seeds = corpus.inputs(target);
        assert!(!seeds.is_empty(), "no seed input for {}", target.name());
        let accepted = seeds
            .iter()
            .filter(|s| target.exec(s, scratch.path()).is_ok())
            .count();
        assert!(accepted > 0, "{}: no seed input is accepted", target.name());
        let seed = 0x5173 + target as u64;
        let r = run(
            target,
            &corpus,
            Budget::Executions(400),
            seed,
            scratch.path(),
        );
        assert_eq!(r.executions, 400);
        assert!(
            r.crashes.is_empty(),
            "seed {seed}: {} crashed: {:?}",
            target.name(),
            r.crashes.first()
        );
        assert!(
            r.distinct_refusals > 0,
            "{}: mutations were never refused",
            target.name()
        );
    }
}
