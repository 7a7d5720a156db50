#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol run against the demo forum on 127.0.0.1: due and not due with an injected clock
# (PATROL_NOW), windows, the runs record, the lock (exit 75), SIGTERM, the shard partition, the
# metrics file's format, -q's silence, and every command of patrol --help in the man page.
#   usage: run_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
# Each answer 100 ms late, so that a run lasts long enough to be signalled.
testsrv_start "$src/docs/demo" 150 100
cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
  connections: 2
  metrics_file: metrics.prom
venues:
  - id: demo
    name: Demo forum for the run test
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 2}
    allow_private_addresses: true
    schedule: {every: 6h}
  - id: night
    name: Only at night
    seeds: ["http://night.invalid/"]
    schedule: {every: 1d, window: ["22:00-06:00"]}
  - id: manual
    name: Never scheduled
    seeds: ["http://manual.invalid/"]
YAML
db="$work/db"
run() { "$patrol" --config "$work/patrol.yaml" --db "$db" "$@"; }
noon=2026-12-01T12:00:00Z

PATROL_NOW=$noon run --json run --dry-run >"$work/plan" 2>"$work/err"
check $? "run --dry-run on a new store"
grep -q '"venue":"demo","decision":"due"' "$work/plan"
check $? "a venue never crawled is due"
grep -q '"venue":"night","decision":"window".*"opens_at":"2026-12-01T22:00:00Z"' "$work/plan"
check $? "one outside its window waits for it: $(grep night "$work/plan")"
grep -q '"venue":"manual","decision":"unscheduled"' "$work/plan"
check $? "one without a schedule is left to patrol crawl"
[ ! -e "$db" ]
check $? "--dry-run creates no store"

(cd "$work" && PATROL_NOW=$noon "$patrol" --config patrol.yaml --db "$db" -q run) \
	>"$work/out" 2>&1
check $? "run crawls what is due"
[ ! -s "$work/out" ]
check $? "-q prints nothing on success: $(head -c 300 "$work/out")"
"$patrol" --db "$db" --json stats >"$work/stats"
python3 - "$work/stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
r = s["last_runs"]
assert len(r) == 1 and r[0]["kind"] == "run" and r[0]["status"] == 0, r
assert [v["venue"] for v in r[0]["venues"]] == ["demo"], r
assert r[0]["venues"][0]["pages"] > 10 and r[0]["venues"][0]["complete"], r
PY
check $? "the run is recorded with demo's summary"
python3 - "$work/metrics.prom" <<'PY'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r'^(%s)(\{%s(,%s)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$' % (name, label, label))
typed, seen = {}, set()
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith('# HELP '):
        continue
    if line.startswith('# TYPE '):
        _, _, m, t = line.split(' ')
        assert t in ('gauge', 'counter') and m not in typed, line
        typed[m] = t
        continue
    g = sample.match(line)
    assert g, 'bad line: %r' % line
    assert g.group(1) in typed, 'no TYPE before %r' % line
    seen.add(g.group(1))
for m in ('patrol_run_duration_seconds', 'patrol_venue_pages', 'patrol_venue_bytes',
          'patrol_venue_robots_blocked', 'patrol_venue_hits', 'patrol_venue_politeness_wait_seconds',
          'patrol_venue_queued_urls'):
    assert m in seen, m
text = open(sys.argv[1]).read()
assert re.search(r'patrol_venue_pages\{venue="demo",outcome="ok"\} [1-9]', text)
assert re.search(r'patrol_venue_hits\{venue="demo",rule="[^"]+",severity="[a-z]+"\} [1-9]', text)
PY
check $? "the metrics file parses as a Prometheus textfile, with demo's pages and hits"

PATROL_NOW=2026-12-01T17:59:00Z run --json run --dry-run >"$work/plan"
grep -q '"venue":"demo","decision":"wait"' "$work/plan"
check $? "before every: 6h has passed, demo waits"
PATROL_NOW=2026-12-01T17:59:00Z run -q run
check $? "a run with nothing due succeeds"
n_runs=$("$patrol" --db "$db" --json stats | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["last_runs"]))')
[ "$n_runs" = 1 ]
check $? "and records nothing ($n_runs runs)"
PATROL_NOW=2026-12-01T18:00:00Z run --json run --dry-run | grep -q '"venue":"demo","decision":"due"'
check $? "6 h after the last run's start, demo is due again"

# The lock: a second run exits 75 at once while one holds the store.
env --default-signal=INT "$patrol" --config "$work/patrol.yaml" --db "$work/db2" run \
	>"$work/out" 2>"$work/err" &
first=$!
for _ in $(seq 100); do
	[ -s "$work/db2/crawl.lock" ] && break
	sleep 0.1
done
run2() { "$patrol" --config "$work/patrol.yaml" --db "$work/db2" "$@"; }
run2 run >/dev/null 2>"$work/err2"
status=$?
check $((status != 75)) "a second run exits 75 (got $status)"
grep -q "pid $first" "$work/err2"
check $? "naming the holder's pid: $(cat "$work/err2")"
sleep 1
kill -TERM "$first"
wait "$first"
status=$?
check $((status != 143)) "SIGTERM stops the run with 143 (got $status)"
run2 --json run --dry-run | grep -q '"venue":"demo","decision":"due"'
check $? "a stopped run leaves its venue due"

# Shards: every venue in exactly one of 3.
for k in 0 1 2; do
	run --json run --dry-run --shard $k/3 | python3 -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["venue"])'
done | sort >"$work/shards"
printf 'demo\nmanual\nnight\n' >"$work/all"
cmp -s "$work/shards" "$work/all"
check $? "3 shards hold every venue exactly once: $(tr '\n' ' ' <"$work/shards")"
run run --shard 3/3 2>/dev/null
check $(($? != 2)) "--shard 3/3 is a usage error"

# The man page names every command of patrol --help.
missing=""
for c in $("$patrol" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
	grep -q "^\.B patrol $c\b" "$src/docs/patrol.1" || missing="$missing $c"
done
[ -z "$missing" ]
check $? "docs/patrol.1 has every command of patrol --help (missing:$missing)"
tap_end
