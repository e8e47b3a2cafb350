//! The fuzzer finds a planted bug, reproduces with its seed, and the real decoders survive a
//! seeded budget of every target without a crash.

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
        let r = run(target, &corpus, Budget::Executions(n), seed);
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
        let mut rng = SplitMix64::new(5);
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
            let _ = mutate(&mut rng, input, input);
        }
        assert!(
            past_checksum > 0,
            "{}: resealing never got past the checksum",
            target.name()
        );
    }
}

#[test]
fn a_planted_panic_is_caught_as_a_crash_with_its_input_and_the_run_repeats() {
    let base = b"0123456789abcdef".to_vec();
    let (mut a, mut b) = (SplitMix64::new(9), SplitMix64::new(9));
    for _ in 0..100 {
        assert_eq!(mutate(&mut a, &base, &base), mutate(&mut b, &base, &base));
    }
    // A decoder with a planted bug: it indexes past the end when the first byte is 0xFF.
    let buggy = |input: &[u8]| -> Result<(), String> {
        match input.first() {
            Some(0xFF) => {
                let len = input.len();
                #[allow(clippy::indexing_slicing)]
                let _ = input[len + 3];
                Ok(())
            }
            Some(_) => Ok(()),
            None => Err("empty".into()),
        }
    };
    let seeds = vec![base.clone()];
    let r = run_with(&seeds, Budget::Executions(20_000), 3, |_| {}, buggy);
    assert_eq!(r.executions, 20_000);
    assert!(r.crash_count > 0, "the planted bug was not found");
    let first = r.crashes.first().expect("a crash kept");
    assert_eq!(first.input.first(), Some(&0xFF));
    assert!(
        first.message.contains("index out of bounds"),
        "{}",
        first.message
    );
    let again = run_with(&seeds, Budget::Executions(20_000), 3, |_| {}, buggy);
    assert_eq!(
        again.crash_count, r.crash_count,
        "the same seed finds the same crashes"
    );
    // The panic hook is restored: a later panic still reaches the default hook's caller.
    assert!(catch_unwind(|| panic!("after")).is_err());
}

#[test]
fn refusal_messages_are_counted_by_shape() {
    assert_eq!(
        shape("length 17 exceeds 4096"),
        shape("length 18 exceeds 512")
    );
    assert_ne!(shape("length 17"), shape("kind 17"));
}
