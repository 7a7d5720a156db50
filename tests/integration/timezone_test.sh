#!/bin/sh
# SPDX-License-Identifier: MIT
# Times people read follow the analyst's time zone, machine output does not (docs/i18n.md, "Time
# zones"): on a store of the demo forum, patrol hits, hit show, audit, stats and users list show
# "YYYY-MM-DD HH:MM:SS +08:00" under TZ=Asia/Shanghai and under patrol.yaml's display.timezone
# (which wins over TZ), the same instants as --json's "...Z", and --json is byte for byte the
# same in every zone. A display.timezone that is not a zone is refused with file:line:col.
#   usage: timezone_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
db="$work/db"
p() { "$patrol" --db "$db" "$@"; }

if [ ! -f /usr/share/zoneinfo/Asia/Shanghai ] && [ -z "${TZDIR:-}" ]; then
	skip "no tzdata (/usr/share/zoneinfo/Asia/Shanghai): install it (scripts/debian-packages.txt)"
	tap_end
	exit 0
fi

testsrv_start "$src/docs/demo" 60
demo_config "Demo forum"
TZ=UTC p -q --config "$work/patrol.yaml" crawl >"$work/out" 2>"$work/err"
check $? "a crawl of the demo forum fills a store (hits and a run)"
TZ=UTC p -q review 1 --set dismissed --note "checked" --as alice >"$work/out" 2>"$work/err"
check $? "a review, for the audit chain and the history"
TZ=UTC p -q users add alice >"$work/out" 2>"$work/err"
check $? "an analyst, for users list"

# The first_seen of hit 1 as --json gives it, and what it is in Shanghai (UTC+8, no DST).
iso=$(TZ=UTC p --json hits --limit 1000 | sed -n 's/^{"id":1,.*"first_seen":"\([^"]*\)".*/\1/p')
epoch=$(date -u -d "$(echo "$iso" | sed 's/T/ /; s/Z$//')" +%s)
want=$(TZ=Asia/Shanghai date -d "@$epoch" '+%Y-%m-%d %H:%M:%S +08:00')
case "$iso" in
????-??-??T??:??:??Z) ok "--json: first_seen is ISO 8601 UTC ($iso)" ;;
*) not_ok "--json: first_seen is ISO 8601 UTC ('$iso')" ;;
esac

# Each human view, in Shanghai: the offset shown, and hit 1's first_seen as the local time.
for v in hits "hit show 1" audit stats "users list"; do
	# shellcheck disable=SC2086 # $v is the command and its arguments
	TZ=Asia/Shanghai p $v >"$work/out" 2>"$work/err"
	grep -q '[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] +08:00' \
		"$work/out" && ! grep -q '[0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z' "$work/out"
	check $? "TZ=Asia/Shanghai patrol $v: local times with +08:00, no UTC Z"
done
TZ=Asia/Shanghai p hit show 1 >"$work/out" 2>"$work/err"
grep -q "first_seen  $want" "$work/out"
check $? "hit show 1: first_seen $iso is $want in Shanghai"
TZ=UTC p hit show 1 >"$work/out" 2>"$work/err"
grep -q "first_seen  $(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S') +00:00" "$work/out"
check $? "TZ=UTC: the same instant with +00:00"

# display.timezone wins over TZ; --json never moves.
cat >"$work/tz.yaml" <<YAML
display: {timezone: Asia/Shanghai}
YAML
TZ=America/New_York p --config "$work/tz.yaml" hit show 1 >"$work/out" 2>"$work/err"
grep -q "first_seen  $want" "$work/out"
check $? "display.timezone: Asia/Shanghai over TZ=America/New_York"
same=0
for v in "hits" "hit show 1" "audit" "stats" "users list"; do
	# shellcheck disable=SC2086
	TZ=UTC p --json $v >"$work/utc.json" 2>/dev/null
	# shellcheck disable=SC2086
	TZ=Asia/Shanghai p --config "$work/tz.yaml" --json $v >"$work/sh.json" 2>/dev/null
	if ! cmp -s "$work/utc.json" "$work/sh.json" || ! [ -s "$work/utc.json" ] ||
		grep -q '+08:00' "$work/sh.json"; then
		echo "# --json $v differs between zones"
		same=1
	fi
done
check $same "--json is the same in every zone (hits, hit show, audit, stats, users list)"
TZ=Asia/Shanghai p --config "$work/tz.yaml" --json hits | grep -q "\"first_seen\":\"$iso\""
check $? "--json keeps first_seen $iso under display.timezone"

# A zone that is not there: the configuration is refused where it says so.
printf 'display:\n  timezone: Mars/Olympus_Mons\n' >"$work/bad.yaml"
expect 2 "bad.yaml:2:13: 'timezone' must be a time zone" p --config "$work/bad.yaml" venues check
printf 'display: {timezone: ../../etc/passwd}\n' >"$work/bad.yaml"
expect 2 "bad.yaml:1:21: 'timezone' must be a time zone" p --config "$work/bad.yaml" venues check
tap_end
