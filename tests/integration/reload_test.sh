#!/bin/sh
# SPDX-License-Identifier: MIT
# A crawl refuses rules that fail their own examples. Rules reloaded during a crawl (docs/rules.md,
# "Reload"): a pack that does not load is refused
# with its errors and the crawl goes on with the old rules; a pack that loads and passes its
# examples replaces them, and the pages fetched after that are matched with it.
#   usage: reload_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
# The demo forum, each answer 400 ms late, so the crawl lasts some twenty seconds: time for two
# reloads even under ASan on a loaded machine, where loading and testing the packs takes seconds.
testsrv_start "$src/docs/demo" 120 400
demo_config "Demo forum for the reload test"
# pack FILE ID PATTERN: a one-rule pack on page titles, written whole at once.
pack() {
	cat >"$1.tmp" <<YAML
pack: $2
rules:
  - id: $2
    title: reload test
    category: test/reload
    severity: info
    fields: [title]
    patterns: {p: '$3'}
    tests:
      match: ["x - Powered by DemoBBS"]
      no-match: ["Powered by Discuz!"]
YAML
	mv "$1.tmp" "$1"
}
mkdir -p "$work/rules" "$work/failing"
# A crawl starts only with rules that pass their own examples.
pack "$work/failing/a.yaml" test.failing 'powered by discuz'
"$patrol" --config "$work/patrol.yaml" --db "$work/db0" crawl --rules "$work/failing" \
	>"$work/out" 2>"$work/err"
status=$?
grep -q "cannot crawl: 2 rule examples fail" "$work/err"
check $(($? + (status != 1))) "rules that fail their examples: no crawl, exit 1 (got $status)"
pack "$work/rules/a.yaml" test.first 'powered by demobbs'
db="$work/db"
"$patrol" --config "$work/patrol.yaml" --db "$db" crawl --rules "$work/rules" \
	>"$work/out" 2>"$work/err" &
pid=$!
# The crawl has loaded its rules once it has stored a page.
wait_stored "$db"
printf 'pack: broken\nrules: [\n' >"$work/rules/b.yaml.tmp"
mv "$work/rules/b.yaml.tmp" "$work/rules/b.yaml"
sleep 3
pack "$work/rules/b.yaml" test.second 'demobbs'
wait "$pid"
status=$?
check "$status" "the crawl ends well (status $status)"
grep -q "rule files changed but the new rules are refused; crawling on with the old ones" \
	"$work/err"
check $? "a pack that does not load is refused"
grep -q "b.yaml:[0-9]*:[0-9]*: " "$work/err"
check $? "with its errors as file:line:col"
grep -q "rule files changed: reloaded, 2 rules" "$work/err"
check $? "a pack that loads and passes its examples is taken"
"$patrol" --db "$db" --json hits >"$work/hits" 2>>"$work/err"
first=$(grep -c '"rule":"test.first"' "$work/hits")
second=$(grep -c '"rule":"test.second"' "$work/hits")
pages=$("$patrol" --db "$db" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["pages"])')
[ "$first" -gt "$second" ] && [ "$second" -gt 0 ]
check $? "pages after the reload are matched with the new rule too ($first and $second hits, $pages pages)"
tap_end
