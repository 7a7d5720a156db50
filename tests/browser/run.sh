#!/bin/sh
# SPDX-License-Identifier: MIT
# The browser suite: a store with the demo forum's hits and the XSS fixture's, an analyst, and
# patrol serve on a free port of 127.0.0.1; then ui.test.mjs drives Debian's chromium through
# it. Skips, saying why, without chromium, node or playwright-core (npm ci here, or
# scripts/install-deps): TAP's "1..0 # SKIP reason", which meson reports as SKIP (it takes exit
# status 77 as an error under the TAP protocol); SKIP_STATUS=77 for a plain runner.
# Screenshots go to OUTDIR.
#   usage: run.sh PATROL TESTSRV SRCROOT OUTDIR
set -u
. "$(dirname "$0")/../integration/common.sh"
out=$4
chromium=${CHROMIUM:-/usr/bin/chromium}
skip() {
	echo "1..0 # SKIP $1"
	exit "${SKIP_STATUS:-0}"
}
[ -x "$chromium" ] || skip "no $chromium (apt-get install chromium, see scripts/debian-packages.txt)"
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -d "$src/tests/browser/node_modules/playwright-core" ] ||
	skip "playwright-core is not installed: run 'npm ci' in tests/browser (scripts/install-deps does)"

db="$work/db"
testsrv_start "$src/tests/fixtures/xss" 120
cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
rules: ["$src/tests/fixtures/xss/rules.yaml"]
venues:
  - id: xss-forum
    name: Hostile <b>forum</b>
    operator: Example <script>alert('operator')</script>
    registration: "filing no. <img src=x onerror=alert(1)>"
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 2}
    allow_private_addresses: true
YAML
"$patrol" --db "$db" -q demo >"$work/demo.out" 2>&1 || { cat "$work/demo.out"; exit 1; }
"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl || exit 1
token=$("$patrol" --db "$db" -q users add alice) || exit 1
exec 3>&- # the fixture is in the store now
"$patrol" --config "$work/patrol.yaml" --db "$db" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$work"' EXIT
wait_serving "$work/serve.out" $spid
base=$(sed -n 's/^serving \(http:[^ ]*\) .*/\1/p' "$work/serve.out")
[ -n "$base" ] || { cat "$work/serve.out"; exit 1; }
BASE=$base TOKEN=$token OUT=$out CHROMIUM=$chromium timeout 90 node "$src/tests/browser/ui.test.mjs"
rc=$?
kill $spid 2>/dev/null
wait $spid 2>/dev/null
exit $rc
