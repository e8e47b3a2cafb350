#!/usr/bin/env bash
# Creates the Phase 0 snapshot: a seeded dataset, its compressed backup and manifest under
# snapshots/<date>/ (ldb snapshot create), and records snapshot.json in
# benchmark_results/<date>/ as the text report. The backup is verified (hashes) before the
# script ends. Only backup/ and snapshot.json are committed: the working database in db/ (a
# data file and a preallocated WAL) is ignored by git; `ldb restore <out>/backup DIR` rebuilds it
# with the same content_sha256.
#
#   scripts/create_snapshot.sh [KEYS] [SEED]      (defaults: 25000 keys, about 4.4 MiB of
#                                                  backup, small enough to commit; seed 42)
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-25000}"
seed="${2:-42}"
date="$(date -u +%Y-%m-%d)"
cargo build -q --release -p ldb
ldb=target/release/ldb
out="snapshots/$date/seed-$seed-keys-$keys"
results="benchmark_results/$date"
mkdir -p "snapshots/$date" "$results"
"$ldb" snapshot create --seed "$seed" --keys "$keys" --out "$out" --json > "$results/snapshot_seed-$seed-keys-$keys.txt"
"$ldb" restore "$out/backup" "$out/verify" --verify-only >&2
cat "$results/snapshot_seed-$seed-keys-$keys.txt"
