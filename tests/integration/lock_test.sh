#!/bin/sh
# SPDX-License-Identifier: MIT
# Two crawls on one store: the second fails at once with a one-line error naming the store and
# the first crawl's pid, and exit status 75; patrol stats and patrol hits read the store
# meanwhile; the first crawl goes on undisturbed, and once it is over a crawl runs again.
#   usage: lock_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
# The demo forum, each answer 80 ms late (one at a time), so a crawl lasts some seconds.
testsrv_start "$src/docs/demo" 120 80
demo_config "Demo forum for the lock test"
db="$work/db"
ms() { date +%s%3N; }

"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl &
first=$!
# The crawl holds the lock once its pid is in the lock file.
for _ in $(seq 50); do
	[ -s "$db/crawl.lock" ] && break
	sleep 0.1
done

t0=$(ms)
"$patrol" --config "$work/patrol.yaml" --db "$db" crawl >"$work/out" 2>"$work/err"
status=$?
took=$(($(ms) - t0))
check $((status != 75)) "a second crawl of the store exits 75 (got $status)"
want="patrol: another patrol crawl is using $db (pid $first)"
[ "$(cat "$work/err")" = "$want" ]
check $? "with the one line '$want'"
[ ! -s "$work/out" ]
check $? "and prints no summary"
check $((took > 5000)) "at once, without waiting for the first ($took ms)"
kill -0 "$first" 2>/dev/null
check $? "while the first crawl still runs"

"$patrol" --db "$db" --json stats >"$work/stats" 2>&1
check $? "patrol stats reads the store during the crawl: $(cat "$work/stats")"
"$patrol" --db "$db" --json hits >"$work/hits" 2>&1
check $? "patrol hits reads the store during the crawl"

wait "$first"
check $? "the first crawl ends well"
"$patrol" --config "$work/patrol.yaml" --db "$db" -q crawl
check $? "once it is over, the next crawl runs"
tap_end
