#!/usr/bin/env bash
# The `engine-catalog` check: builds the demo database (scripts/demo_db.sh) in a scratch
# directory and prints `ldb catalog DB --json` of it; the scratch directory is removed.
# LDB names the ldb binary (default: target/release/ldb, built if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ldb="${LDB:-$root/target/release/ldb}"
if [[ -z "${LDB:-}" ]]; then
  cargo build -q --release -p ldb --manifest-path "$root/Cargo.toml"
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
LDB="$ldb" "$root/scripts/demo_db.sh" "$scratch/demo"
"$ldb" catalog "$scratch/demo" --json
