#!/usr/bin/env bash
# Phase 0 baseline of KV range-scan throughput (ldb bench olap-kv) and of the backup/restore
# drill (ldb drill backup-restore): metrics JSON and a text copy into benchmark_results/<date>/.
#
#   scripts/baseline_olap_kv.sh [KEYS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-200000}"
seed="${2:-42}"
date="$(date -u +%Y-%m-%d)"
cargo build -q --release -p lightning-db --bin ldb
ldb=target/release/ldb
results="benchmark_results/$date"
mkdir -p "$results"
"$ldb" bench olap-kv --keys "$keys" --seed "$seed" --json > "$results/olap_kv.json"
"$ldb" bench olap-kv --keys "$keys" --seed "$seed" > "$results/olap_kv.txt"
"$ldb" drill backup-restore --keys "$keys" --seed "$seed" --json > "$results/drill_backup_restore.json"
cat "$results/olap_kv.json" "$results/drill_backup_restore.json"
