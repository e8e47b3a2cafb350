#!/usr/bin/env bash
# Phase 0 baseline of KV range-scan throughput (ldb bench olap-kv), of the backup/restore drill
# (ldb drill backup-restore) and of the process crash drill (ldb drill recovery): metrics JSON,
# and text copies, into benchmark_results/<date>/. Commit that folder to record the baseline;
# scripts/run_regression_benchmarks.sh compares with the newest one.
#
#   scripts/baseline_olap_kv.sh [KEYS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-200000}"
seed="${2:-42}"
date="$(date -u +%Y-%m-%d)"
cargo build -q --release -p ldb
ldb=target/release/ldb
results="benchmark_results/$date"
mkdir -p "$results"
"$ldb" bench olap-kv --keys "$keys" --seed "$seed" --json > "$results/olap_kv.json"
"$ldb" bench olap-kv --keys "$keys" --seed "$seed" > "$results/olap_kv.txt"
"$ldb" drill backup-restore --keys "$keys" --seed "$seed" --json > "$results/drill_backup_restore.json"
"$ldb" drill recovery --seed "$seed" --seeds 4 --crashes 15 --max-acks 60 --json > "$results/drill_recovery.json"
{
  echo "# ldb bench olap-kv --keys $keys --seed $seed"
  cat "$results/olap_kv.txt"
  echo
  echo "# ldb drill backup-restore --keys $keys --seed $seed (metrics JSON in drill_backup_restore.json)"
  cat "$results/drill_backup_restore.json"
  echo
  echo "# ldb drill recovery --seed $seed --seeds 4 --crashes 15 --max-acks 60 (drill_recovery.json)"
  cat "$results/drill_recovery.json"
} > "$results/baseline_summary.txt"
cat "$results/baseline_summary.txt"
