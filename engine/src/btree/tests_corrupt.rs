//! Corrupt pages: the checker reports them and readers return errors, never panic.

use super::*;
use crate::storage::PageType;

fn build(store: &MemStore, n: u32) -> PageId {
    let mut w = TreeWriter::new(store, PageId(0), Lsn(1));
    for i in 0..n {
        let value = if i % 50 == 0 {
            vec![3u8; 3000]
        } else {
            vec![i as u8; 40]
        };
        w.put(format!("key{i:05}").as_bytes(), &value).expect("put");
    }
    w.finish().expect("finish")
}

fn pages_of(store: &MemStore, ty: PageType) -> Vec<PageId> {
    store
        .live_ids()
        .into_iter()
        .filter(|&id| store.read_page(id).expect("read").page_type() == Some(ty))
        .collect()
}

/// Runs every reader over the tree; returns whether any of them reported an error.
fn exercise(store: &MemStore, root: PageId, n: u32) -> bool {
    let mut errors = false;
    for i in 0..n {
        errors |= get(store, root, format!("key{i:05}").as_bytes()).is_err();
    }
    for rev in [false, true] {
        match Range::new(store, root, Bound::Unbounded, Bound::Unbounded, rev) {
            Ok(range) => errors |= range.into_iter().any(|e| e.is_err()),
            Err(_) => errors = true,
        }
    }
    let mut w = TreeWriter::new(store, root, Lsn(9));
    errors |= w.put(b"key00010", b"x").is_err();
    errors |= w.delete(b"key00020").is_err();
    errors
}

#[test]
fn bad_cell_offset_is_reported_and_get_fails_cleanly() {
    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let leaf = pages_of(&store, PageType::Leaf)[3];
    let first_key = {
        let page = store.read_page(leaf).expect("read");
        let view = node::NodeView::open(&page, leaf).expect("intact leaf");
        view.key(0).expect("intact key").to_vec()
    };
    store
        .tamper(leaf, |p| {
            p.body_mut()[4..6].copy_from_slice(&0xfff0u16.to_le_bytes())
        })
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.page == leaf.0 && f.detail.contains("offset")),
        "{:?}",
        report.findings
    );
    let err = get(&store, root, &first_key).expect_err("lookup through the corrupt leaf");
    assert!(
        matches!(err, Error::Corruption { page, .. } if page == leaf),
        "{err}"
    );
    assert!(stats(&store, root).is_err());
    assert!(exercise(&store, root, 400));
}

#[test]
fn impossible_cell_count_and_wrong_page_type_are_reported() {
    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let branch = pages_of(&store, PageType::Branch)[0];
    store
        .tamper(branch, |p| {
            p.body_mut()[0..2].copy_from_slice(&5000u16.to_le_bytes())
        })
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report.findings.iter().any(|f| f.page == branch.0),
        "{:?}",
        report.findings
    );
    assert!(exercise(&store, root, 400));

    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let leaf = pages_of(&store, PageType::Leaf)[0];
    store
        .tamper(leaf, |p| p.set_page_type(PageType::FreeList))
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report.findings.iter().any(|f| f.page == leaf.0),
        "{:?}",
        report.findings
    );
    assert!(exercise(&store, root, 400));
}

#[test]
fn broken_overflow_chain_is_reported_and_read_fails() {
    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let ovf = pages_of(&store, PageType::Overflow)[0];
    store
        .tamper(ovf, |p| {
            p.body_mut()[8..12].copy_from_slice(&9u32.to_le_bytes())
        })
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.detail.contains("overflow")),
        "{:?}",
        report.findings
    );
    assert!(exercise(&store, root, 400));
}

#[test]
fn shared_page_and_unsorted_keys_are_reported() {
    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let branch = pages_of(&store, PageType::Branch)
        .into_iter()
        .find(|&b| b != root)
        .unwrap_or(root);
    // Point the branch's second child at its first: a page reached twice.
    store
        .tamper(branch, |p| {
            let first = p.body()[4..12].to_vec();
            let off = u16::from_le_bytes([p.body()[12], p.body()[13]]) as usize;
            p.body_mut()[off + 2..off + 10].copy_from_slice(&first);
        })
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.detail.contains("more than once")),
        "{:?}",
        report.findings
    );
    let store = MemStore::new(1024);
    let root = build(&store, 400);
    let leaf = pages_of(&store, PageType::Leaf)[2];
    store
        .tamper(leaf, |p| {
            let b = p.body_mut();
            let (s0, s1) = (b[4..10].to_vec(), b[10..16].to_vec());
            b[4..10].copy_from_slice(&s1);
            b[10..16].copy_from_slice(&s0);
        })
        .expect("tamper");
    let report = check(&store, root);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.page == leaf.0 && f.detail.contains("order")),
        "{:?}",
        report.findings
    );
}

#[test]
fn random_garbage_never_panics() {
    for seed in 0..40u64 {
        let store = MemStore::new(1024);
        let root = build(&store, 300);
        let ids = store.live_ids();
        let mut rng = Rng(seed);
        for _ in 0..1 + rng.below(4) {
            let id = ids[rng.below(ids.len() as u64) as usize];
            let at = rng.below(1000) as usize;
            let len = 1 + rng.below(8) as usize;
            let junk = rng.bytes(len);
            store
                .tamper(id, |p| {
                    let body = p.body_mut();
                    let end = (at + len).min(body.len());
                    body[at..end].copy_from_slice(&junk[..end - at]);
                })
                .expect("tamper");
        }
        // Any outcome but a panic is acceptable: errors, or (if the junk hit slack space) data.
        // The seed is printed first so a panic's output names it.
        println!("garbage seed {seed}");
        let _ = check(&store, root);
        let _ = exercise(&store, root, 300);
    }
}
