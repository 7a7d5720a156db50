#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol merge: two stores crawled from halves of the test site (overlapping on the home page),
# each with a review, folded into a third: the hits are those of a crawl of the whole site, none
# twice; a hit found in both has both sightings and the more advanced review status; patrol audit
# --verify and patrol verify pass on the merged store; merging a source again is refused.
#   usage: merge_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
testsrv_start "$src/tests/fixtures/site" 60
config() { # config FILE EXCLUDE
	site_yaml "    sitemaps: false
    scope:
      exclude: ['$2']
    politeness: {delay_ms: 0, connections: 2}" >"$1"
}
config "$work/a.yaml" '^/c\.html'
config "$work/b.yaml" '^/a\.html'
config "$work/all.yaml" '^/nothing$'
"$patrol" --config "$work/a.yaml" --db "$work/a" -q crawl &&
	"$patrol" --config "$work/b.yaml" --db "$work/b" -q crawl &&
	"$patrol" --config "$work/all.yaml" --db "$work/all" -q crawl
check $? "three crawls: one half, the other half, the whole site"
keys() { "$patrol" --db "$1" --json hits | sed 's/.*"rule":"\([^"]*\)".*"url":"\([^"]*\)".*"match":"\([^"]*\)".*/\1 \2 \3/' | sort; }
keys "$work/a" >"$work/a.keys"
keys "$work/b" >"$work/b.keys"
keys "$work/all" >"$work/all.keys"
! cmp -s "$work/a.keys" "$work/b.keys" && [ -n "$(comm -12 "$work/a.keys" "$work/b.keys")" ]
check $? "the halves differ and share hits"

shared=$(comm -12 "$work/a.keys" "$work/b.keys" | head -n 1)
id_of() { "$patrol" --db "$1" --json hits | grep -F "\"rule\":\"${shared%% *}\"" |
	grep -F "\"match\":\"${shared#* * }\"" | sed 's/^{"id":\([0-9]*\),.*/\1/' | head -n 1; }
"$patrol" --db "$work/a" -q review "$(id_of "$work/a")" --set dismissed --as alice --note "no" &&
	"$patrol" --db "$work/b" -q review "$(id_of "$work/b")" --set escalated --as bob --note "yes"
check $? "the shared hit is dismissed in one half and escalated in the other"

"$patrol" --db "$work/m" merge --as carol "$work/a" "$work/b" >"$work/merge.out"
check $? "patrol merge A B"
keys "$work/m" >"$work/m.keys"
cmp -s "$work/m.keys" "$work/all.keys"
check $? "the merged hits are those of the whole site"
[ -z "$(uniq -d "$work/m.keys")" ]
check $? "no hit twice"
line=$("$patrol" --db "$work/m" --json hits | grep -F "\"rule\":\"${shared%% *}\"" |
	grep -F "\"match\":\"${shared#* * }\"" | head -n 1)
echo "$line" | grep -q '"status":"escalated"' && echo "$line" | grep -q '"count":2'
check $? "the shared hit: both sightings, the more advanced status"
"$patrol" --db "$work/m" audit --verify >"$work/verify.out"
check $? "patrol audit --verify passes on the merged store"
"$patrol" --db "$work/m" audit >"$work/audit.out"
grep -q "merged from .*/a, entry 1, sha256 [0-9a-f]\{64\}" "$work/audit.out" &&
	grep -q "merged from .*/b, entry 1" "$work/audit.out" && grep -q carol "$work/audit.out"
check $? "the sources' entries name their store, entry and hash; the merge is recorded"
"$patrol" --db "$work/m" verify >/dev/null
check $? "patrol verify: every hit's evidence is there and intact"
[ "$("$patrol" --db "$work/m" --json hits --status escalated | wc -l)" -eq 1 ]
check $? "the status index agrees (--status escalated lists it once)"
"$patrol" --db "$work/m" merge --as carol "$work/a" >/dev/null 2>"$work/again.err"
[ $? -eq 1 ] && grep -q "merged into .* already" "$work/again.err"
check $? "merging a source again is refused"
keys "$work/m" | cmp -s - "$work/all.keys"
check $? "and changes nothing"

tap_end
