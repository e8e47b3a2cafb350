#!/usr/bin/env bash
# Builds the seeded demo database from examples/demo: `ldb init`, every migration in
# examples/demo/migrations applied with `ldb migrate up`, then examples/demo/seed.sql through
# `ldb sql`. Usage: scripts/demo_db.sh DIR (the database is created at DIR, which must not
# exist). LDB names the ldb binary (default: target/release/ldb, built if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
db="${1:?usage: scripts/demo_db.sh DIR}"
ldb="${LDB:-$root/target/release/ldb}"
if [[ -z "${LDB:-}" ]]; then
  cargo build -q --release -p ldb --manifest-path "$root/Cargo.toml"
fi
"$ldb" init "$db" >/dev/null
"$ldb" migrate up "$db" --dir "$root/examples/demo/migrations" >/dev/null
"$ldb" sql "$db" < "$root/examples/demo/seed.sql" >/dev/null
