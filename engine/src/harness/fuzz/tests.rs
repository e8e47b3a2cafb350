//! The real decoders survive a seeded budget of every target without a crash, and re-sealing
//! gets mutated pages and chunks past their checksums. (The loop itself — planted bugs found,
//! seeds reproduced — is tested in `lightning-mutate`.)

use super::*;

/// Every target, a fixed budget each over the real corpus: no crash. The seed is printed on
/// failure; `LDB_FUZZ_EXECUTIONS` raises the budget.
#[test]
fn every_target_survives_a_seeded_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = Corpus::build(dir.path()).expect("corpus");
    let n: u64 = std::env::var("LDB_FUZZ_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    for target in targets::ALL {
        assert!(
            !corpus.inputs(target).is_empty(),
            "the corpus has no input for {}",
            target.name()
        );
        let seed = 0xF022 + target as u64;
        let r = run(target, &corpus, Budget::Executions(n), seed).found;
        assert_eq!(r.executions, n);
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

#[test]
fn reseal_lets_mutated_pages_and_chunks_past_their_checksums() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = Corpus::build(dir.path()).expect("corpus");
    for target in [Target::Page, Target::Chunk] {
        let accepted = corpus
            .inputs(target)
            .iter()
            .filter(|i| target.exec(i, &corpus).is_ok())
            .count();
        assert!(accepted > 0, "{}: no seed input decodes", target.name());
        let mut rng = lightning_mutate::Rng::new(5);
        let mut past_checksum = 0;
        for input in corpus.inputs(target).iter().take(50) {
            let mut m = input.clone();
            if let Some(b) = m.get_mut(40) {
                *b ^= 0x10;
            }
            target.reseal(&mut m);
            match target.exec(&m, &corpus) {
                Err(e) if e.contains("checksum") => {}
                _ => past_checksum += 1,
            }
            let _ = lightning_mutate::mutate(&mut rng, input, input);
        }
        assert!(
            past_checksum > 0,
            "{}: resealing never got past the checksum",
            target.name()
        );
    }
}
