//! Cycle search in the wait-for graph.
//!
//! The graph has an edge `a -> b` when transaction `a` waits for a lock that `b` holds in a
//! conflicting mode, or that `b` requested earlier in a conflicting mode and still waits for
//! (first-come first-served means `a` cannot overtake `b`). The manager does not store the edges:
//! it derives them from the lock table and the wait queue on demand, so they are never stale.
//!
//! A cycle can only close when a wait begins (granting a lock adds edges only into a transaction
//! that has just stopped waiting, which has no outgoing edges), so the manager searches exactly
//! once per new wait, from the new waiter, and the search looks only for cycles through it.

use std::collections::HashSet;

use crate::types::TxnId;

/// Searches for a cycle through `start`, following `successors` (the transactions a transaction
/// waits for). Returns the transactions on the cycle in wait order, beginning with `start`, or
/// `None` when `start` is on no cycle.
///
/// Depth-first and iterative (no recursion depth limit); every transaction is expanded at most
/// once, so the cost is linear in the part of the graph reachable from `start`.
pub(super) fn find_cycle_through(
    start: TxnId,
    mut successors: impl FnMut(TxnId) -> Vec<TxnId>,
) -> Option<Vec<TxnId>> {
    let mut expanded: HashSet<TxnId> = HashSet::from([start]);
    // The current path: each frame is a transaction and the successors still to try.
    let mut path: Vec<(TxnId, Vec<TxnId>)> = vec![(start, successors(start))];
    while let Some((_, pending)) = path.last_mut() {
        let Some(next) = pending.pop() else {
            path.pop();
            continue;
        };
        if next == start {
            return Some(path.iter().map(|(txn, _)| *txn).collect());
        }
        if expanded.insert(next) {
            let next_successors = successors(next);
            path.push((next, next_successors));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn graph(edges: &[(u64, u64)]) -> impl FnMut(TxnId) -> Vec<TxnId> {
        let mut adj: HashMap<TxnId, Vec<TxnId>> = HashMap::new();
        for &(a, b) in edges {
            adj.entry(TxnId(a)).or_default().push(TxnId(b));
        }
        move |t| adj.get(&t).cloned().unwrap_or_default()
    }

    fn ids(v: &[u64]) -> Vec<TxnId> {
        v.iter().map(|&i| TxnId(i)).collect()
    }

    #[test]
    fn finds_two_and_three_cycles_in_wait_order() {
        assert_eq!(
            find_cycle_through(TxnId(1), graph(&[(1, 2), (2, 1)])),
            Some(ids(&[1, 2]))
        );
        let three = graph(&[(1, 2), (2, 3), (3, 1)]);
        assert_eq!(find_cycle_through(TxnId(1), three), Some(ids(&[1, 2, 3])));
    }

    #[test]
    fn ignores_cycles_not_through_start_and_acyclic_chains() {
        // 1 -> 2 -> 3 -> 2 is a cycle, but not through 1.
        assert_eq!(
            find_cycle_through(TxnId(1), graph(&[(1, 2), (2, 3), (3, 2)])),
            None
        );
        assert_eq!(
            find_cycle_through(TxnId(1), graph(&[(1, 2), (2, 3), (1, 3)])),
            None
        );
        assert_eq!(find_cycle_through(TxnId(1), graph(&[])), None);
    }

    #[test]
    fn finds_a_cycle_behind_a_dead_end() {
        // 1 -> 4 (dead end), 1 -> 2 -> 3 -> 1.
        let g = graph(&[(1, 2), (2, 3), (3, 1), (1, 4)]);
        assert_eq!(find_cycle_through(TxnId(1), g), Some(ids(&[1, 2, 3])));
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let edges: Vec<(u64, u64)> = (1..100_000)
            .map(|i| (i, i + 1))
            .chain([(100_000, 1)])
            .collect();
        let cycle = find_cycle_through(TxnId(1), graph(&edges)).expect("cycle");
        assert_eq!(cycle.len(), 100_000);
    }
}
