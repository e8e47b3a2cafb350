#!/usr/bin/env bash
# Phase 0 OLTP baseline (ldb bench oltp --quick): YCSB A throughput and p50/p95/p99 latency, and
# the hot-key mix's lock wait per operation, deadlocks and write conflicts. Metrics JSON and a
# text copy go into benchmark_results/<date>/.
#
#   scripts/baseline_oltp.sh [KEYS] [SEED] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-100000}"
seed="${2:-42}"
threads="${3:-4}"
date="$(date -u +%Y-%m-%d)"
cargo build -q --release -p ldb
ldb=target/release/ldb
results="benchmark_results/$date"
mkdir -p "$results"
"$ldb" bench oltp --quick --keys "$keys" --seed "$seed" --threads "$threads" --json > "$results/oltp.json"
"$ldb" bench oltp --quick --keys "$keys" --seed "$seed" --threads "$threads" > "$results/oltp.txt"
cat "$results/oltp.json"
