#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol rematch on a store crawled from the test site: unchanged rules add and change nothing;
# a new rule finds what it would have flagged in the stored evidence (--dry-run stores nothing,
# then a real run stores hits with the crawl's identity and evidence); --venue and --since
# narrow it; no fetch happens (the server is gone by then).
#   usage: rematch_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
db="$work/db"
testsrv_start "$src/tests/fixtures/site" 60
site_yaml "    politeness: {delay_ms: 0, connections: 2}" >"$work/patrol.yaml"
cat >"$work/new.yaml" <<'YAML'
pack: rematch-new
rules:
  - id: new.claim
    title: Claim your prize
    category: fraud/prize
    severity: low
    patterns:
      claim: 'to\s+claim\s+it'
    tests:
      match: ["to claim it, pay"]
      no-match: ["claimed"]
YAML
p() { "$patrol" --config "$work/patrol.yaml" --db "$db" "$@"; }

p -q crawl
check $? "the test site is crawled"
exec 3>&- # the server stops: rematch must not fetch
p --json hits | sed 's/"last_seen":[0-9]*,//' | sort >"$work/before"
total=$(wc -l <"$work/before")
[ "$total" -ge 2 ]
check $? "the crawl found hits ($total)"

p --json rematch >"$work/same.out"
check $? "rematch with the configured rules runs"
grep -q '"hits_new":0' "$work/same.out" && ! grep -q '"responses":0' "$work/same.out"
check $? "unchanged rules: responses re-matched, nothing new"
p --json hits | sed 's/"last_seen":[0-9]*,//' | sort >"$work/after"
cmp -s "$work/before" "$work/after"
check $? "unchanged rules: the hits are exactly as they were (counts too)"

p --json rematch --rules "$work/new.yaml" --dry-run >"$work/dry.out"
grep -q '"rule":"new.claim"' "$work/dry.out" && grep -q '"hits_new":1' "$work/dry.out"
check $? "--dry-run prints what the new rule would flag"
[ "$(p --json hits | wc -l)" -eq "$total" ]
check $? "--dry-run stores nothing"

p --json rematch --rules "$work/new.yaml" --venue nosuch >/dev/null 2>&1
[ $? -eq 2 ]
check $? "an unknown --venue is a usage error"
p --json rematch --rules "$work/new.yaml" --since 2099-01-01 >"$work/since.out"
grep -q '"responses":0' "$work/since.out"
check $? "--since in the future selects nothing"

p rematch --rules "$work/new.yaml" --venue site >"$work/real.out"
check $? "rematch with a new rule stores"
grep -q '^new new.claim' "$work/real.out"
check $? "the new hit is printed"
p --json hits --rule new.claim >"$work/new.json"
[ "$(wc -l <"$work/new.json")" -eq 1 ] && grep -q '/a.html"' "$work/new.json" &&
	grep -q '"evidence":"[0-9a-f]\{64\}"' "$work/new.json"
check $? "the new hit is stored on its page with the evidence it was found in"
ev_new=$(sed 's/.*"evidence":"\([0-9a-f]*\)".*/\1/' "$work/new.json")
p --json hits --rule test.prize | grep '/a.html"' | grep -q "\"evidence\":\"$ev_new\""
check $? "same evidence digest as the crawl's hit on that page"
p --json rematch --rules "$work/new.yaml" >"$work/again.out"
grep -q '"hits_new":0' "$work/again.out" && [ "$(p --json hits | wc -l)" -eq $((total + 1)) ]
check $? "a second rematch adds nothing"
p verify >/dev/null
check $? "patrol verify passes"

tap_end
