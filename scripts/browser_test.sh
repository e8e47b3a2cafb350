#!/usr/bin/env bash
# Browser test for the generated site.
#
# Steps: install Debian's `chromium` (and `nodejs npm`) if missing → install the browser driver
# in tools/browser (`npm ci`: playwright-core and axe-core, pinned by its package-lock.json)
# when node_modules is missing or older than the lock file → build the sitegen binary → copy the
# fixture repository (sitegen/tests/fixtures/basic) to a temporary directory, commit it, and
# build two versions (`v0`, then `v1`) so the older one shows the "newer version" banner →
# tools/browser/check.mjs loads every page type (content, ADRs, history, versions, the evidence
# pages: dashboard, a metric page, an ADR page with before/after values, a run page, a compare
# page, catalog, traceability, sign-off report, and a search) from file:// in chromium at three
# viewports — desktop 1400x900, phone 390x844, dark (colorScheme dark) 1400x900 — and fails on:
#   - the page scrolling sideways (scrollWidth > clientWidth + 1), or an element or a text
#     wider than the viewport outside a scrollable container (names its selector);
#   - at 1400 px, a table wrapper (`.table-wrap`, not `.wide`) that needs sideways scrolling;
#   - any console error or warning, uncaught exception, failed request;
#   - a local `src`/`href` in the rendered DOM whose file does not exist;
#   - a page's required element missing (e.g. the dashboard's headline verdict);
#   - an axe-core violation of impact `serious` or `critical` (rule id, impact, targets).
# It saves a screenshot per page and viewport (full page, up to 8000 px) and the desktop DOM
# to target/browser-test/ (the CI artifacts). Then the DOM dumps are checked here: the old
# version's banner and its link, "no evidence" never green, log and commit text never markup,
# search results linked, the dashboard's headline verdict.
# BROWSER_TEST_JOBS (default 2) sets how many pages load at once.
#
# Usage: scripts/browser_test.sh        (from anywhere inside the repository)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/target/browser-test"
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.log "$out"/*.html

if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium not found; installing the Debian package"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq chromium
    fi
fi

cargo build -q -p sitegen --manifest-path "$repo/Cargo.toml"
sitegen="$repo/target/debug/sitegen"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/sitegen/tests/fixtures/basic/." "$work/"
(
    cd "$work"
    git init -q -b main
    git -c user.name="Browser Test" -c user.email=browser@example.invalid add -A
    git -c user.name="Browser Test" -c user.email=browser@example.invalid \
        commit -q -m "Fixture site; mentions ADR-0001 and <script>alert(1)</script>"
)
"$sitegen" build --root "$work" --version v0 >/dev/null
"$sitegen" build --root "$work" --version v1 >/dev/null
site="$work/site"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The browser driver (tools/browser: playwright-core and axe-core, pinned by its lock file).
browser="$repo/tools/browser"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node/npm not found; installing the Debian packages"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq nodejs npm
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm
    fi
fi
if [ ! -f "$browser/node_modules/playwright-core/package.json" ] \
    || [ ! -f "$browser/node_modules/axe-core/axe.min.js" ] \
    || [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
    (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Every page type: NAME, path under the site, and an element that must appear on it. Each is
# loaded at 1400x900, 390x844 (phone) and 1400x900 dark by tools/browser/check.mjs.
pages="$work/pages.tsv"
cat >"$pages" <<'PAGES'
home	v1/index.html	main h1
adr-index	v1/adr/index.html	table.adr-table
adr-page	v1/adr/adr-0003/index.html	main h1
content-page	v1/intro/index.html	main h1
history	v1/history/index.html	main h1
latest-content	latest/guides/backup/index.html	main h1
old-version	v0/index.html	#old-version:not([hidden])
old-version-adr	v0/adr/adr-0003/index.html	#old-version:not([hidden])
versions	versions.html	h1
dashboard	v1/dashboard/index.html	#headline.headline strong
metric-page	v1/metrics/commit_p99_us/index.html	.chart svg
adr-before-after	v1/adr/adr-0001/index.html	main h1
run-page	v1/runs/20260101T030000Z-2222222/index.html	main h1
compare-page	v1/compare/20260101T030000Z-2222222-vs-20251231T120000Z-1111111/index.html	main h1
catalog	v1/catalog/index.html	main h1
trace	v1/trace/index.html	main h1
signoff	v1/signoff/index.html	main h1
search	v1/dashboard/index.html?search=commit_p99	#site-search-results li a
PAGES
status=0
node "$browser/check.mjs" "$site" "$out" "$pages" >"$out/check.log" 2>&1 || status=$?
cat "$out/check.log"
failures=$((failures + $(grep -c '^FAIL: ' "$out/check.log" || true)))
if [ "$status" -ne 0 ] && ! grep -q '^FAIL: ' "$out/check.log"; then
    fail "tools/browser/check.mjs exited with status $status"
fi

# The old version must show the banner once versions.js says a newer one exists.
grep -q 'id="old-version"[^>]*hidden' "$out/old-version.dom.html" \
    && fail "v0: the newer-version banner is not shown"
grep -q 'id="old-version"[^>]*hidden' "$out/home.dom.html" \
    || fail "v1: the newer-version banner is shown on the newest version"
# The banner opens the same page in the newest version (its pages.js lists it).
grep -q 'id="newest-link" href="../../../v1/adr/adr-0003/index.html"' "$out/old-version-adr.dom.html" \
    || fail "v0: the banner does not open the same page in the newest version"
grep -q 'id="newest-link" href="../v1/index.html"' "$out/old-version.dom.html" \
    || fail "v0 home: the banner does not open the newest version's home"
grep -q 'href="v1/index.html">← Back' "$out/versions.dom.html" \
    || fail "versions.html: no way back to the newest version"
# "No evidence" is never green on the dashboard; log text never becomes markup.
grep -q 'id="crit-X.future"' "$out/dashboard.dom.html" || fail "dashboard: criterion X.future missing"
grep -A3 'id="crit-X.future"' "$out/dashboard.dom.html" | grep -q 'v-missing' \
    || fail "dashboard: X.future is not shown as no evidence"
grep -q '<script>alert(1)</script>' "$out/run-page.dom.html" \
    && fail "run page: a log excerpt was rendered as HTML"
# Escaped commit text must not have become a script element.
grep -q '<script>alert(1)</script>' "$out/history.dom.html" \
    && fail "history: a commit message was rendered as HTML"

# Search: a page opened with ?search= lists the matching metric, linked to its page.
grep -q 'id="site-search-results" class="search-results"><li>' "$out/search.dom.html" \
    || fail "search: no results listed for commit_p99"
grep -q 'href="../metrics/commit_p99_us/index.html"><span class="search-kind">metric</span>commit_p99_us' \
    "$out/search.dom.html" || fail "search: the result does not link to the metric page"
# The dashboard's headline verdict is there and says pass or fail.
grep -qE 'class="headline headline-(ok|bad)" id="headline"><strong>[^<]+</strong>' "$out/dashboard.dom.html" \
    || fail "dashboard: no headline verdict"

if [ "$failures" -ne 0 ]; then
    echo "browser test: $failures failure(s); logs and DOM dumps in $out"
    exit 1
fi
echo "browser test: ok; screenshots in $out"
