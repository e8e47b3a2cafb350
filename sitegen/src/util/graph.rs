//! Dependency graphs: finding a cycle to name in an error.

use std::collections::HashMap;
use std::hash::Hash;

/// A cycle among `nodes` (each with the nodes it depends on), as the path that closes it: its
/// first node is repeated at the end (`[3, 5, 3]`; a node depending on itself gives `[a, a]`).
/// Nodes are visited in the order given, so the same graph always names the same cycle.
/// Dependencies on nodes not in the list are ignored. Iterative: any number of nodes.
pub fn find_cycle<K: Clone + Eq + Hash>(nodes: &[(K, Vec<K>)]) -> Option<Vec<K>> {
    let deps: HashMap<&K, &Vec<K>> = nodes.iter().map(|(k, d)| (k, d)).collect();
    // 1: on the current path, 2: finished (no cycle through it).
    let mut state: HashMap<&K, u8> = HashMap::new();
    for (start, _) in nodes {
        if state.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&K, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some(&(node, next)) = stack.last() {
            let node_deps = deps.get(node).map(|d| d.as_slice()).unwrap_or(&[]);
            match node_deps.get(next) {
                Some(dep) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let Some((dep, _)) = deps.get_key_value(dep) else {
                        continue;
                    };
                    match state.get(dep) {
                        Some(1) => {
                            let from = stack.iter().position(|(n, _)| n == dep).unwrap_or(0);
                            let mut cycle: Vec<K> =
                                stack[from..].iter().map(|(n, _)| (*n).clone()).collect();
                            cycle.push((*dep).clone());
                            return Some(cycle);
                        }
                        Some(_) => {}
                        None => {
                            state.insert(dep, 1);
                            stack.push((dep, 0));
                        }
                    }
                }
                None => {
                    state.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_cycle_not_everything_blocked_by_it() {
        let g = vec![
            (0, vec![]),
            (1, vec![0]),
            (3, vec![1, 5]),
            (5, vec![3]),
            (7, vec![5]),
            (8, vec![7]),
        ];
        assert_eq!(find_cycle(&g), Some(vec![3, 5, 3]));
        assert_eq!(find_cycle(&[("a", vec!["a"])]), Some(vec!["a", "a"]));
        assert_eq!(find_cycle(&[(1, vec![0]), (0, vec![9])]), None);
        let chain: Vec<(u32, Vec<u32>)> = (0..100_000).map(|i| (i, vec![i + 1])).collect();
        assert_eq!(find_cycle(&chain), None);
        let mut ring = chain;
        ring.push((100_000, vec![0]));
        assert_eq!(find_cycle(&ring).map(|c| c.len()), Some(100_002));
    }
}
