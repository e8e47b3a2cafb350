#!/usr/bin/env bash
# Creates a fresh database with a seeded workload — raw keys plus the seeded demo tables
# (`customers`, `orders`, three secondary indexes; `ldb load --table-rows`) — and runs the
# integrity checker (storage core, then every table and index) over it and over a snapshot of
# it taken by `ldb backup` and restored by `ldb restore`. Prints one metrics JSON document:
# `integrity.fresh.*`, `integrity.restored.*`, and the table findings of both checks summed as
# `integrity.orphaned_index_entries`, `integrity.missing_index_entries` and
# `integrity.constraint_violations` (only when both checks read the tables). Exits non-zero if
# either check finds any problem. Used by the `engine-integrity` check in sitegen.toml.
#
#   scripts/check_seeded_db.sh [KEYS] [SEED] [TABLE_ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v jq >/dev/null 2>&1; then
    echo "jq not found; installing the Debian package" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq >&2 && apt-get install -y -qq jq >&2
    else
        sudo apt-get update -qq >&2 && sudo apt-get install -y -qq jq >&2
    fi
fi
keys="${1:-20000}"
seed="${2:-42}"
table_rows="${3:-5000}"
cargo build -q --release -p ldb
ldb=target/release/ldb
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$ldb" init "$dir/db" >&2
"$ldb" load "$dir/db" --keys "$keys" --seed "$seed" --table-rows "$table_rows" >&2
status=0
"$ldb" check "$dir/db" --metrics integrity.fresh >"$dir/fresh.json" || status=$?
"$ldb" backup "$dir/db" "$dir/backup" >&2
"$ldb" restore "$dir/backup" "$dir/restored" >&2
"$ldb" check "$dir/restored" --metrics integrity.restored >"$dir/restored.json" || status=$?
jq -s '
  # The sum of both checks figure $name, only when both checked the tables.
  def total($name):
    [.[].metrics[] | select(.name == ("integrity.fresh." + $name)
                            or .name == ("integrity.restored." + $name)) | .value] as $v
    | if ($v | length) == 2
      then [{ direction: "lower_is_better", name: ("integrity." + $name), unit: "count",
              value: ($v | add) }]
      else [] end;
  { format_version: .[0].format_version,
    metrics: ([.[].metrics[]] + total("orphaned_index_entries")
              + total("missing_index_entries") + total("constraint_violations")) }
' "$dir/fresh.json" "$dir/restored.json"
exit "$status"
