//! Shortened ids: a commit id or a sha256 cut to its first characters for display. Each place
//! keeps the length it has always shown (run ids, page links and version names are compared
//! across versions and builds), named here once.

/// Characters of the commit id in a run id (`20260101T030000Z-2222222`, the run-id format).
pub const RUN_ID_COMMIT_LEN: usize = 7;

/// Characters of a commit id shown on pages and in messages, and in a default version name.
pub const COMMIT_LEN: usize = 8;

/// Hex digits of a sha256 shown beside a link to the full hash (evidence references, the gate
/// table, metric measurements).
pub const SHA256_LEN: usize = 12;

/// The first `len` characters of `id` (all of it when shorter).
pub fn short(id: &str, len: usize) -> &str {
    match id.char_indices().nth(len) {
        Some((end, _)) => id.get(..end).unwrap_or(id),
        None => id,
    }
}

/// A commit id as pages and messages show it: its first [`COMMIT_LEN`] characters.
pub fn short_commit(id: &str) -> &str {
    short(id, COMMIT_LEN)
}

/// A sha256 as shown beside a link to it: its first [`SHA256_LEN`] hex digits.
pub fn short_sha256(hash: &str) -> &str {
    short(hash, SHA256_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_characters_and_keeps_short_ids_whole() {
        let id = "4cec030abcdef0123456789";
        assert_eq!(short(id, RUN_ID_COMMIT_LEN), "4cec030");
        assert_eq!(short_commit(id), "4cec030a");
        assert_eq!(short_sha256(id), "4cec030abcde");
        assert_eq!(short_commit("abc"), "abc");
        assert_eq!(short("ééé", 2), "éé");
    }
}
