//! Verification of every byte of page 0, for the integrity check.
//!
//! Opening a file checks the static header and picks the current meta slot, but it skips a
//! damaged slot silently (that is how a torn checkpoint write is survived) and never looks past
//! byte 320. The check gives each byte of page 0 its meaning and reports any that lacks it:
//! the static header (magic, version, page size, CRC, reserved bytes zero), the active slot (it
//! must hold exactly the last durable checkpoint, reserved bytes zero), the inactive slot
//! (never written — all zero — or a valid, older checkpoint; anything else is damage: slot
//! writes are one sector, so no crash tears them), and the rest of the page (zero).
#![deny(clippy::indexing_slicing)]

use std::path::Path;

use crate::storage::header::{self, HEADER_LEN, Meta, SLOT_LEN, STATIC_LEN, Slot, layout};

/// What is wrong with page 0 (`bytes`, the whole page as read from the file), given the slot
/// and meta of the last durable checkpoint as the storage knows them. Empty: every byte holds
/// what the format says it holds.
pub fn verify(
    path: &Path,
    bytes: &[u8],
    page_size: usize,
    active: Slot,
    meta: &Meta,
) -> Vec<String> {
    let mut problems = Vec::new();
    if bytes.len() != page_size {
        problems.push(format!("page 0 is {} bytes, not {page_size}", bytes.len()));
        return problems;
    }
    match header::decode(path, bytes, bytes.len() as u64) {
        Ok(h) if h.page_size != page_size => problems.push(format!(
            "the file header names page size {}, the file is open with {page_size}",
            h.page_size
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("file header: {e}")),
    }
    let reserved = layout::RESERVED;
    if let Some(at) = first_nonzero(bytes, reserved.offset, reserved.end()) {
        problems.push(format!(
            "reserved file-header byte {at} is not zero ({}..{} must be)",
            reserved.offset,
            reserved.end()
        ));
    }
    for slot in [active, active.other()] {
        let name = slot_name(slot);
        let raw = bytes
            .get(slot.offset()..slot.offset() + SLOT_LEN)
            .unwrap_or_default();
        let decoded = Meta::decode(raw);
        if slot == active {
            match decoded {
                Some(m) if m == *meta => {}
                Some(m) => problems.push(format!(
                    "active meta slot {name} holds checkpoint {} (seq {}), not the last durable \
                     one (seq {})",
                    m.checkpoint_lsn.0, m.seq, meta.seq
                )),
                None => problems.push(format!(
                    "active meta slot {name} fails its checksum (the last durable checkpoint, \
                     seq {}, is in memory only)",
                    meta.seq
                )),
            }
        } else if raw.iter().all(|&b| b == 0) {
            continue;
        } else {
            match decoded {
                Some(m) if m.seq < meta.seq => {}
                Some(m) => problems.push(format!(
                    "inactive meta slot {name} has seq {} ≥ the active slot's {}",
                    m.seq, meta.seq
                )),
                None => problems.push(format!(
                    "inactive meta slot {name} is neither empty nor a valid checkpoint (checksum \
                     mismatch): damage, since a slot is written as one sector; the next \
                     checkpoint rewrites it"
                )),
            }
        }
        let res = layout::meta::RESERVED;
        if decoded.is_some()
            && let Some(at) = first_nonzero(raw, res.offset, res.end())
        {
            problems.push(format!(
                "reserved byte {} of meta slot {name} is not zero",
                slot.offset() + at
            ));
        }
    }
    if let Some(at) = first_nonzero(bytes, HEADER_LEN, page_size) {
        problems.push(format!(
            "byte {at} of page 0 is not zero (bytes {HEADER_LEN}..{page_size}, after the meta \
             slots, must be)"
        ));
    }
    problems
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::A => "A",
        Slot::B => "B",
    }
}

/// The offset of the first non-zero byte of `bytes[from..to]`, if any.
fn first_nonzero(bytes: &[u8], from: usize, to: usize) -> Option<usize> {
    bytes
        .get(from..to)?
        .iter()
        .position(|&b| b != 0)
        .map(|i| from + i)
}

const _: () = assert!(STATIC_LEN == layout::CRC.end());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Lsn, PageId, TxnId};

    fn meta(seq: u64) -> Meta {
        Meta {
            seq,
            checkpoint_lsn: Lsn(100 * seq),
            root: PageId(3),
            freelist_head: PageId(0),
            page_count: 9,
            entry_count: 7,
            next_txn_id: TxnId(5),
        }
    }

    fn page(active: Slot, older: Option<Meta>) -> Vec<u8> {
        let mut p = header::encode_new(4096, 1, &meta(1));
        let (m, o) = (meta(2).encode(), older.map(|m| m.encode()));
        p[active.offset()..active.offset() + SLOT_LEN].copy_from_slice(&m);
        let other = active.other().offset();
        match o {
            Some(o) => p[other..other + SLOT_LEN].copy_from_slice(&o),
            None => p[other..other + SLOT_LEN].fill(0),
        }
        p
    }

    fn problems(p: &[u8], active: Slot) -> Vec<String> {
        verify(Path::new("data.ldb"), p, 4096, active, &meta(2))
    }

    #[test]
    fn a_sound_page_0_has_no_problems_with_either_slot_active_or_empty() {
        for active in [Slot::A, Slot::B] {
            assert_eq!(
                problems(&page(active, Some(meta(1))), active),
                Vec::<String>::new()
            );
            assert_eq!(problems(&page(active, None), active), Vec::<String>::new());
        }
    }

    /// Every byte of page 0 has a meaning the check verifies: flipping any one is reported.
    #[test]
    fn flipping_any_byte_of_page_0_is_reported() {
        let sound = page(Slot::A, Some(meta(1)));
        for at in 0..4096 {
            let mut p = sound.clone();
            p[at] ^= 0x20;
            assert!(
                !problems(&p, Slot::A).is_empty(),
                "a flipped byte {at} of page 0 went unreported"
            );
        }
    }

    #[test]
    fn findings_name_what_is_wrong() {
        let mut p = page(Slot::A, Some(meta(1)));
        p[100] ^= 1;
        let got = problems(&p, Slot::A).join("\n");
        assert!(
            got.contains("active meta slot A fails its checksum"),
            "{got}"
        );
        let mut p = page(Slot::A, Some(meta(1)));
        p[250] ^= 1;
        let got = problems(&p, Slot::A).join("\n");
        assert!(
            got.contains("inactive meta slot B is neither empty"),
            "{got}"
        );
        let mut p = page(Slot::A, None);
        p[4000] = 7;
        let got = problems(&p, Slot::A).join("\n");
        assert!(got.contains("byte 4000 of page 0 is not zero"), "{got}");
        let p = page(Slot::B, Some(meta(3)));
        let got = problems(&p, Slot::B).join("\n");
        assert!(got.contains("inactive meta slot A has seq 3"), "{got}");
    }
}
