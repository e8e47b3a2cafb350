#!/usr/bin/env bash
# Re-runs the Phase 0 benchmarks (olap-kv scan, backup/restore drill, OLTP quick run) and compares
# each with the newest baseline in benchmark_results/ (ldb bench compare); exits non-zero on a
# regression beyond THRESHOLD (default 0.10 = 10%) or when there is no baseline. Results go into
# benchmark_results/<date>/regression_*. KEYS applies to olap-kv and the drill; the OLTP run uses
# the --quick defaults, as scripts/baseline_oltp.sh does unless told otherwise.
#
#   scripts/run_regression_benchmarks.sh [THRESHOLD] [KEYS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
threshold="${1:-0.10}"
keys="${2:-200000}"
seed="${3:-42}"
date="$(date -u +%Y-%m-%d)"
cargo build -q --release -p ldb
ldb=target/release/ldb
baseline_dir="$(find benchmark_results -mindepth 2 -maxdepth 2 -name olap_kv.json -printf '%h\n' | sort | tail -n 1)"
if [ -z "$baseline_dir" ]; then
  echo "no baseline: run scripts/baseline_olap_kv.sh first" >&2
  exit 2
fi
oltp_baseline_dir="$(find benchmark_results -mindepth 2 -maxdepth 2 -name oltp.json -printf '%h\n' | sort | tail -n 1)"
if [ -z "$oltp_baseline_dir" ]; then
  echo "no OLTP baseline: run scripts/baseline_oltp.sh first" >&2
  exit 2
fi
out="benchmark_results/$date"
mkdir -p "$out"
"$ldb" bench olap-kv --keys "$keys" --seed "$seed" --json > "$out/regression_olap_kv.json"
"$ldb" drill backup-restore --keys "$keys" --seed "$seed" --json > "$out/regression_drill_backup_restore.json"
"$ldb" bench oltp --quick --seed "$seed" --json > "$out/regression_oltp.json"
# Throughput figures only: RTO/RPO and commit p99s are gated absolutely (content/plan.toml), and
# single-run latencies on a shared machine are too noisy for a 10% relative verdict.
status=0
compare() { # baseline dir, name, metrics...
  local dir="$1" name="$2"; shift 2
  local args=()
  for m in "$@"; do args+=(--metric "$m"); done
  echo "== $name vs $dir/$name.json"
  if ! "$ldb" bench compare "$dir/$name.json" "$out/regression_$name.json" --threshold "$threshold" \
      "${args[@]}" > "$out/regression_$name.compare.txt"; then
    status=1
  fi
  cat "$out/regression_$name.compare.txt"
}
compare "$baseline_dir" olap_kv olap.kv_scan.rows_per_s olap.kv_scan.mib_per_s
compare "$baseline_dir" drill_backup_restore backup.mib_per_s backup.restore_verify_failures
compare "$oltp_baseline_dir" oltp oltp.tps oltp.mixed.tps
exit "$status"
