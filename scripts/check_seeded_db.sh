#!/usr/bin/env bash
# Creates a fresh database with a seeded workload and runs the integrity checker over it,
# printing the project's metrics JSON (integrity.fresh.*). Exits non-zero if the check finds
# any problem. Used by the `engine-integrity` check in sitegen.toml.
#
#   scripts/check_seeded_db.sh [KEYS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${1:-20000}"
seed="${2:-42}"
cargo build -q --release -p ldb
ldb=target/release/ldb
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$ldb" init "$dir/db" >&2
"$ldb" load "$dir/db" --keys "$keys" --seed "$seed" >&2
"$ldb" check "$dir/db" --metrics integrity.fresh
