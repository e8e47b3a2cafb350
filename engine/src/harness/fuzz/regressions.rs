//! Inputs the fuzzer crashed a decoder with, kept as fixtures so the bug stays fixed.
//!
//! `freelist_page_shorter_than_its_header.bin` (target `page`, found 2026-12-06 with
//! `ldb fuzz --seconds 5 --seed 77`): a 29-byte freelist "page" with a valid checksum.
//! `Page::verify` accepted any page at least as long as its 24-byte header, and
//! `freelist::ids_per_page` computed the page's capacity as `(size − 40) / 8`, which
//! underflowed (a panic in debug builds, a huge capacity in release ones, so a `count` from
//! disk was checked against nothing). Pages read from the file are always a whole page, so
//! the engine never met one — but the decoder's safety rested on its caller. Now
//! `Page::verify` refuses a page shorter than the smallest page size, and the capacity
//! saturates at zero.

use super::*;
use crate::storage::freelist;
use crate::storage::page::Page;
use crate::types::PageId;

const FREELIST_SHORT: &[u8] = include_bytes!("fixtures/freelist_page_shorter_than_its_header.bin");

#[test]
fn a_freelist_page_shorter_than_its_header_is_refused_not_a_panic() {
    let corpus = Corpus::default();
    let refused = Target::Page
        .exec(FREELIST_SHORT, &corpus)
        .expect_err("refused");
    assert!(
        refused.contains("shorter than the smallest page size"),
        "{refused}"
    );
    // The decoder itself, handed the short page directly, refuses it too.
    let page = Page::from_bytes(FREELIST_SHORT.get(8..).unwrap_or_default().into());
    assert_eq!(freelist::ids_per_page(page.size()), 0);
    assert!(freelist::decode_page(&page).is_err());
    assert_eq!(page.id(), PageId(10));
}
