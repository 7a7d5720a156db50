# SPDX-License-Identifier: MIT
# What the shell tests share; sourced, never run. Sets patrol, testsrv, src and work from the
# arguments (PATROL TESTSRV SRCROOT), and starts servers that stop when the test ends.

abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
patrol=$(abs "$1")
testsrv=$(abs "$2")
src=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/patrol-test-XXXXXX")
fifo="$work/srv.in"
mkfifo "$fifo"
trap 'exec 3>&-; rm -rf "$work"' EXIT

# testsrv_start DIR SECONDS [DELAY_MS]: serves DIR on 127.0.0.1 and sets port. The server lives
# while this script holds the fifo open; SECONDS (the test's own time limit) only stops a server
# the script left behind, so it is stretched fourfold: a sanitizer build runs the same script
# under a tripled meson timeout, and a server gone mid-test fails it for the wrong reason.
testsrv_start() {
	dir=$1 secs=$(($2 * 4))
	shift 2
	"$testsrv" "$dir" "$secs" "$@" <"$fifo" >"$work/port" &
	exec 3>"$fifo"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -s "$work/port" ] && break
		sleep 0.1
	done
	port=$(head -n 1 "$work/port")
}

# ---- TAP: n counts the tests, failures the failed ones; tap_end prints the plan and fails the
# script when any failed. A test script may still define its own check (url_test.sh does).
n=0
failures=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# not_ok TEXT: a failure, followed by the start of what $work/out and $work/err hold.
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	cut -c1-300 "$work/out" "$work/err" 2>/dev/null | sed 's/^/#   /' | head -20
	failures=$((failures + 1))
}
skip() { n=$((n + 1)); echo "ok $n - # SKIP $1"; }
# check STATUS TEXT: ok when STATUS (a command's $?) is 0.
check() { if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2"; fi; }
# expect STATUS PATTERN CMD...: runs CMD (its output in $work/out and $work/err), then checks
# its exit status, that stderr matches PATTERN (a grep pattern; empty: anything) and that it did
# not crash.
expect() {
	want=$1 pattern=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -ne "$want" ] || { [ -n "$pattern" ] && ! grep -q -- "$pattern" "$work/err"; }; then
		not_ok "$*: exit $got (want $want)"
	elif grep -q -i -e "sanitizer" -e "segmentation" "$work/err"; then
		not_ok "$*: crashed"
	else
		ok "$*"
	fi
}
tap_end() {
	echo "1..$n"
	[ "$failures" -eq 0 ]
}

# demo_config NAME: $work/patrol.yaml registering the demo forum that testsrv_start serves on
# $port as venue "demo", two transfers at a time, no delay, loopback allowed.
demo_config() {
	cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
  connections: 2
venues:
  - id: demo
    name: $1
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 2}
    allow_private_addresses: true
YAML
}

# site_yaml [LINES]: a patrol.yaml registering the test site that testsrv_start serves on $port as
# venue "site" with the site's rules (tests/fixtures/site-rules.yaml), loopback allowed; LINES
# (more keys of the venue, indented four spaces, or more venues) follow it.
site_yaml() {
	cat <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
rules: ["$src/tests/fixtures/site-rules.yaml"]
venues:
  - id: site
    name: Test site
    seeds: ["http://127.0.0.1:$port/"]
    allow_private_addresses: true
${1:-}
YAML
}

# wait_serving OUT PID: until patrol serve (PID) says where it listens in OUT, or exits. It loads
# and compiles the rule packs first (demo --serve crawls the demo too): seconds under a sanitizer
# on a busy machine, so up to a minute.
wait_serving() {
	for _ in $(seq 1 600); do
		grep -q "^serving" "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_stored DB: returns once a crawl into DB has stored a page (after 30 s, anyway).
wait_stored() {
	for _ in $(seq 300); do
		stored=$("$patrol" --db "$1" --json stats 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["pages"])' 2>/dev/null)
		[ "${stored:-0}" -gt 0 ] && return 0
		sleep 0.1
	done
}
