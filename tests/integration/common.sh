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
# while this script holds the fifo open.
testsrv_start() {
	"$testsrv" "$@" <"$fifo" >"$work/port" &
	exec 3>"$fifo"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -s "$work/port" ] && break
		sleep 0.1
	done
	port=$(head -n 1 "$work/port")
}
