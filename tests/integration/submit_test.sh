#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol submit: refusals name their reason (not http(s), no venue for the host, excluded by a
# pattern, not included, a private address); an accepted tip is stored, audited, and fetched
# first by the next crawl although no page links to it (sitemaps off).
#   usage: submit_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
db="$work/db"
# The server writes down each request as it comes, and one transfer at a time makes that the
# order of the fetches (the -v lines follow the order pages were processed in, which differs).
export TESTSRV_LOG="$work/requests"
testsrv_start "$src/tests/fixtures/site" 60
unset TESTSRV_LOG
site_yaml "    sitemaps: false
    scope:
      exclude: ['^/dir/']
    politeness: {delay_ms: 0, connections: 1}
  - id: intranet
    name: A venue on a private address it may not fetch from
    seeds: ['http://10.1.2.3/forum/']
    scope:
      include: ['^/forum']" >"$work/patrol.yaml"
p() { "$patrol" --config "$work/patrol.yaml" --db "$db" "$@"; }
refused() { # refused URL PATTERN TEXT
	p submit --as alice "$1" >"$work/out" 2>"$work/err"
	[ $? -eq 1 ] && grep -q "$2" "$work/err"
	check $? "refused: $3"
}

refused "ftp://127.0.0.1:$port/a.html" "not an http(s) URL" "not http(s)"
refused "http://unknown.example/a.html" "no registered venue covers the host" "no venue"
refused "http://127.0.0.1:$port/dir/index.html" "excluded by a scope.exclude pattern of venue site" \
	"excluded by a pattern"
refused "http://10.1.2.3/about" "matches no scope.include pattern of venue intranet" \
	"not included"
refused "http://10.1.2.3/forum/1" "private or local address" "a private address"
[ ! -e "$db" ]
check $? "a refused tip creates no store"
env -u USER "$patrol" --config "$work/patrol.yaml" --db "$db" submit \
	"http://127.0.0.1:$port/a.html" >/dev/null 2>&1
[ $? -eq 2 ]
check $? "no --as and no \$USER is a usage error"

p submit --as alice --note "reported by a reader" "http://127.0.0.1:$port/orphan.html" >"$work/ok"
check $? "a URL in scope is accepted"
grep -q "queued http://127.0.0.1:$port/orphan.html (venue site)" "$work/ok"
check $? "it says what was queued for which venue"
p audit >"$work/audit"
grep -q "tip" "$work/audit" && grep -q "reported by a reader" "$work/audit" && grep -q alice "$work/audit"
check $? "the submission is in the audit chain"
p audit --verify >/dev/null
check $? "the audit chain verifies"

p -v crawl >"$work/crawl.out" 2>&1
check $? "the next crawl runs"
grep -q "orphan.html" "$work/crawl.out"
check $? "the crawl fetched the tipped URL, which no page links to"
[ "$(grep -v " /robots.txt$" "$work/requests" | head -n 1)" = "GET /orphan.html" ]
check $? "the tip came first"

# A hit on a tipped URL shows its tip.
p submit --as bob --note "seen in a chat group" "http://127.0.0.1:$port/a.html" >/dev/null
id=$(p --json hits | python3 -c '
import json, sys
print(next(h["id"] for h in map(json.loads, sys.stdin) if h["url"].endswith("/a.html")))')
p --json hit show "$id" | python3 -c '
import json, sys
t = json.load(sys.stdin)["tip"]
assert t["actor"] == "bob" and t["note"] == "seen in a chat group" and t["venue"] == "site", t'
check $? "hit show --json gives the tip of the hit's URL"
p hit show "$id" | grep -q "^  tip         submitted by bob at .*: seen in a chat group$"
check $? "and hit show prints it"
p --json hits | python3 -c '
import json, sys
h = next(h for h in map(json.loads, sys.stdin) if not h["url"].endswith("/a.html"))
print(h["id"])' >"$work/other"
[ "$(p --json hit show "$(cat "$work/other")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tip"])')" = None ]
check $? "a hit on a URL nobody submitted has tip null"
tap_end
