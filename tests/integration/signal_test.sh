#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol crawl and signals: the first SIGTERM or SIGINT stops the crawl gracefully within a few
# seconds, with the summary printed and exit status 143 or 130, leaving the rest of the frontier
# for the same command, which then finishes the crawl with the same pages and hits as a crawl
# that was never stopped; a second signal ends patrol at once, without a summary.
#   usage: signal_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
# The demo forum, each answer 120 ms late, so a crawl lasts seconds: long enough for a signal to
# land mid-crawl even when a loaded machine is slow to see the first stored page.
testsrv_start "$src/docs/demo" 120 120
demo_config "Demo forum for the signal test"
ms() { date +%s%3N; }
# A shell runs background jobs with SIGINT ignored, and patrol keeps an ignored SIGINT
# ignored: env gives it the default back.
# start DB SECONDS: patrol crawl in the background, its pid in $pid, crawling for SECONDS. The
# crawl catches signals once its pid is in the store's lock file, and has begun fetching once it
# has stored a page: before, say while a sanitizer build loads and tests the rules, a signal
# would stop it before its first fetch.
start() {
	rm -f "$1/crawl.lock"
	env --default-signal=INT "$patrol" --config "$work/patrol.yaml" --db "$1" crawl \
		>"$work/out" 2>"$work/err" &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$1/crawl.lock" ] && break
		sleep 0.1
	done
	wait_stored "$1"
	sleep "$2"
}
summary() { # pages queued leased, then the hits
	"$patrol" --db "$1" --json stats | python3 -c '
import json, sys; s = json.load(sys.stdin); print(s["pages"], s["queued"], s["leased"])'
	"$patrol" --db "$1" --json hits | python3 -c '
import json, sys
for h in sorted((h["rule"], h["url"], h["field"], h["match"]) for h in map(json.loads, sys.stdin)):
    print(*h)'
}

"$patrol" --config "$work/patrol.yaml" --db "$work/ref" -q crawl
check $? "an uninterrupted crawl"
summary "$work/ref" >"$work/ref.txt"

# SIGTERM: a graceful stop.
db="$work/term"
start "$db" 1
t0=$(ms)
kill -TERM "$pid"
wait "$pid"
status=$?
took=$(($(ms) - t0))
check $((status != 143)) "SIGTERM: exit status 143 (got $status)"
check $((took > 5000)) "SIGTERM: stopped within a few seconds ($took ms)"
grep -q '^demo: [0-9]* pages, ' "$work/out"
check $? "SIGTERM: the summary is printed: $(head -n 1 "$work/out")"
grep -q '^patrol: stopped by SIGTERM: run the same command again' "$work/err"
check $? "SIGTERM: and says how to go on"
set -- $(summary "$db" | head -n 1)
[ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "$3" -eq 0 ]
check $? "SIGTERM: pages stored, the rest queued, nothing leased ($1 $2 $3)"
"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl
check $? "SIGTERM: the same command again finishes the crawl"
summary "$db" >"$work/term.txt"
diff -u "$work/ref.txt" "$work/term.txt" >"$work/err"
check $? "SIGTERM: the same pages and hits as the uninterrupted crawl"

# SIGINT: the same, 130.
start "$work/int" 0.5
kill -INT "$pid"
wait "$pid"
status=$?
check $((status != 130)) "SIGINT: exit status 130 (got $status)"
grep -q '^patrol: stopped by SIGINT' "$work/err"
check $? "SIGINT: a graceful stop"

# A second signal: at once, no summary; the store is fine (as after kill -9).
db="$work/twice"
start "$db" 0.5
kill -INT "$pid"
sleep 0.05
kill -TERM "$pid"
wait "$pid"
status=$?
check $((status != 143)) "two signals: ended by the second, SIGTERM (status $status)"
[ ! -s "$work/out" ] && ! grep -q 'stopped by' "$work/err"
check $? "two signals: no summary"
"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl
check $? "two signals: the same command again finishes the crawl"
summary "$db" >"$work/twice.txt"
diff -u "$work/ref.txt" "$work/twice.txt" >"$work/err"
check $? "two signals: the same pages and hits as the uninterrupted crawl"
tap_end
