#!/usr/bin/env bash
# Browser test for the generated site.
#
# Steps: install Debian's `chromium` if it is missing → build the sitegen binary → copy the
# fixture repository (sitegen/tests/fixtures/basic) to a temporary directory, commit it, and
# build two versions (`v0`, then `v1`) so the older one shows the "newer version" banner →
# load pages headless (content, ADRs, history, and the evidence pages: dashboard, a metric page,
# an ADR page with before/after values, a run page, a compare page, catalog, traceability,
# sign-off report) from file:// → fail on any console message (errors, uncaught
# exceptions) and on any local resource or link in the rendered DOM that does not exist →
# save screenshots (light, dark, narrow) to target/browser-test/.
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
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT
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

chrome() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --disable-component-update --disable-sync --user-data-dir="$profile" \
        --enable-logging=stderr --v=0 "$@"
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check_page REL_PATH NAME: dump the DOM, check console and resources, take screenshots.
check_page() {
    local rel=$1 name=$2
    local file="$site/$rel"
    local dir
    dir=$(dirname "$file")
    [ -f "$file" ] || { fail "$rel was not built"; return; }
    chrome --virtual-time-budget=2000 --dump-dom "file://$file" \
        >"$out/$name.dom.html" 2>"$out/$name.log" || fail "$rel: chromium exited with an error"
    if grep -q "CONSOLE" "$out/$name.log"; then
        fail "$rel: console output:"
        grep "CONSOLE" "$out/$name.log" | sed 's/^/    /'
    fi
    grep -q "</html>" "$out/$name.dom.html" || fail "$rel: no DOM was dumped"
    # Every local resource and link in the rendered DOM must exist.
    while IFS= read -r url; do
        url=${url#*=\"}; url=${url%\"}
        case "$url" in
            ''|'#'*|http:*|https:*|mailto:*|data:*|//*) continue ;;
        esac
        local path=${url%%#*}
        path=${path%%\?*}
        [ -n "$path" ] || continue
        local target="$dir/$path"
        if [ -d "$target" ]; then target="$target/index.html"; fi
        [ -e "$target" ] || fail "$rel: failed resource or link \`$url\`"
    done < <(grep -oE '(src|href)="[^"]*"' "$out/$name.dom.html" | sed 's/&amp;/\&/g')
    chrome --window-size=1280,900 --screenshot="$out/$name.png" "file://$file" >/dev/null 2>&1 \
        || fail "$rel: screenshot failed"
    [ -s "$out/$name.png" ] || fail "$rel: empty screenshot"
}

check_page v1/index.html home
check_page v1/adr/index.html adr-index
check_page v1/adr/adr-0003/index.html adr-page
check_page v1/intro/index.html content-page
check_page v1/history/index.html history
check_page latest/guides/backup/index.html latest-content
check_page v0/index.html old-version
check_page v0/adr/adr-0003/index.html old-version-adr
check_page versions.html versions
check_page v1/dashboard/index.html dashboard
check_page v1/metrics/commit_p99_us/index.html metric-page
check_page v1/adr/adr-0001/index.html adr-before-after
check_page v1/runs/20260101T030000Z-2222222/index.html run-page
check_page v1/compare/20260101T030000Z-2222222-vs-20251231T120000Z-1111111/index.html compare-page
check_page v1/catalog/index.html catalog
check_page v1/trace/index.html trace
check_page v1/signoff/index.html signoff

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
chrome --virtual-time-budget=3000 --dump-dom "file://$site/v1/dashboard/index.html?search=commit_p99" \
    >"$out/search.dom.html" 2>"$out/search.log" || fail "search: chromium exited with an error"
grep -q 'id="site-search-results" class="search-results"><li>' "$out/search.dom.html" \
    || fail "search: no results listed for commit_p99"
grep -q 'href="../metrics/commit_p99_us/index.html"><span class="search-kind">metric</span>commit_p99_us' \
    "$out/search.dom.html" || fail "search: the result does not link to the metric page"
grep -q "CONSOLE" "$out/search.log" && fail "search: console output"

# Dark mode and a narrow screen.
chrome --force-dark-mode --window-size=1280,900 --screenshot="$out/adr-page-dark.png" \
    "file://$site/v1/adr/adr-0003/index.html" >/dev/null 2>&1 || fail "dark screenshot failed"
chrome --window-size=390,844 --screenshot="$out/home-narrow.png" \
    "file://$site/v1/index.html" >/dev/null 2>&1 || fail "narrow screenshot failed"
chrome --force-dark-mode --window-size=1280,900 --screenshot="$out/dashboard-dark.png" \
    "file://$site/v1/dashboard/index.html" >/dev/null 2>&1 || fail "dark dashboard screenshot failed"
# Charts: dark colours and phone-sized labels.
chrome --force-dark-mode --window-size=1280,900 --screenshot="$out/metric-page-dark.png" \
    "file://$site/v1/metrics/commit_p99_us/index.html" >/dev/null 2>&1 || fail "dark metric screenshot failed"
chrome --window-size=360,900 --screenshot="$out/metric-page-narrow.png" \
    "file://$site/v1/metrics/commit_p99_us/index.html" >/dev/null 2>&1 || fail "narrow metric screenshot failed"

if [ "$failures" -ne 0 ]; then
    echo "browser test: $failures failure(s); logs and DOM dumps in $out"
    exit 1
fi
echo "browser test: ok; screenshots in $out"
