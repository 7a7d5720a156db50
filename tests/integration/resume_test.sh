#!/bin/sh
# SPDX-License-Identifier: MIT
# kill -9 at random moments, then the same command again: the crawl must end with the same
# pages and the same hits as a crawl that was never interrupted (DESIGN.md §7), none twice, and
# every stored response and every hit's evidence must pass patrol verify. Between the kills an
# analyst reviews hits, so the audit chain grows beside the crawl's writes: it must verify and
# keep every decision.
#   usage: resume_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
# The demo forum, each answer 15 ms late, so a crawl lasts long enough to be cut short.
testsrv_start "$src/docs/demo" 120 15
cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
  connections: 4
venues:
  - id: demo
    name: Demo forum for the resume test
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 4}
    allow_private_addresses: true
# The test counts the store's bodies: no screenshots of confirmed hits (docs/snapshots.md).
evidence: {screenshots: off}
YAML
crawl() {
	"$patrol" --config "$work/patrol.yaml" --db "$1" -q crawl
}
summary() {
	"$patrol" --db "$1" --json stats | python3 -c '
import json, sys; s = json.load(sys.stdin); print(s["pages"], s["queued"], s["leased"])'
	"$patrol" --db "$1" --json hits | python3 -c '
import json, sys
hits = sorted((h["rule"], h["url"], h["field"], h["match"]) for h in map(json.loads, sys.stdin))
for h in hits:
    print(*h)
if len(set(hits)) != len(hits):
    print("DUPLICATE HITS")'
	# the responses kept as evidence (one per page with hits) and the hits, with no problem
	"$patrol" --db "$1" --json verify || echo "VERIFY FAILED"
}

# confirm_one DB NOTE: the oldest hit not yet decided, if the crawl stored one, is confirmed.
confirm_one() {
	id=$("$patrol" --db "$1" --json hits --status new --sort oldest --limit 1 2>/dev/null |
		python3 -c 'import json,sys; print(next((json.loads(l)["id"] for l in sys.stdin), ""))')
	if [ -n "$id" ] && "$patrol" --config "$work/patrol.yaml" --db "$1" review "$id" --set confirmed --as tester \
		--note "$2" >/dev/null; then
		reviews=$((reviews + 1))
	fi
}

n=0
failures=0
crawl "$work/ref" || { echo "not ok 1 - the uninterrupted crawl failed"; exit 1; }
summary "$work/ref" >"$work/ref.txt"
n=$((n + 1))
echo "ok $n - uninterrupted crawl: $(head -n 1 "$work/ref.txt") (pages, queued, leased)"
n=$((n + 1))
if grep -q '"problems":0' "$work/ref.txt" && ! grep -q '"bodies":0,' "$work/ref.txt"; then
	echo "ok $n - evidence kept and verified: $(tail -n 1 "$work/ref.txt")"
else
	echo "not ok $n - no evidence, or patrol verify failed: $(tail -n 1 "$work/ref.txt")"
	failures=$((failures + 1))
fi

# Three interrupted series, each killed at several random moments, then run to the end.
for series in 1 2 3; do
	db="$work/cut$series"
	kills=0
	reviews=0
	for cut in 1 2 3 4; do
		# patrol itself in the background (not a subshell running it), so the kill hits it
		"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl &
		pid=$!
		# a random moment within the first second (the whole crawl takes a few)
		ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		sleep "0.$(printf '%03d' $((ms % 1000)))"
		if kill -9 "$pid" 2>/dev/null; then
			kills=$((kills + 1))
		fi
		wait "$pid" 2>/dev/null
		confirm_one "$db" "cut $cut"
	done
	crawl "$db" || { echo "not ok - series $series: the last crawl failed"; failures=$((failures + 1)); continue; }
	summary "$db" >"$work/cut$series.txt"
	confirm_one "$db" "after the last crawl" # so every series has a decision to keep
	n=$((n + 1))
	if diff -u "$work/ref.txt" "$work/cut$series.txt" >"$work/diff$series"; then
		echo "ok $n - series $series: $kills kills, then the same pages and hits"
	else
		echo "not ok $n - series $series ($kills kills) differs from the uninterrupted crawl:"
		sed 's/^/#   /' "$work/diff$series"
		failures=$((failures + 1))
	fi
	n=$((n + 1))
	confirmed=$("$patrol" --db "$db" --json hits --status confirmed | wc -l)
	if "$patrol" --db "$db" audit --verify >"$work/audit$series" 2>&1 &&
		[ "$reviews" -gt 0 ] && [ "$confirmed" -eq "$reviews" ]; then
		echo "ok $n - series $series: the audit chain verifies, $reviews decisions kept"
	else
		echo "not ok $n - series $series: audit --verify, or $confirmed confirmed of $reviews:"
		sed 's/^/#   /' "$work/audit$series"
		failures=$((failures + 1))
	fi
done
echo "1..$n"
[ "$failures" -eq 0 ]
