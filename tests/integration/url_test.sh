#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol url through the binary: the canonical form, --base, one line per input in input order
# (errors included), --json, and the exit statuses of DESIGN.md §4. TAP output.
#   usage: url_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
failures=0
n=0

# check STATUS EXPECTED_STDOUT CMD...: runs CMD, compares its exit status and its whole stdout.
check() {
	want_status=$1 want_out=$2
	shift 2
	n=$((n + 1))
	desc=$(printf '%s' "$*" | tr -d '\000-\037')
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -ne "$want_status" ] || [ "$(cat "$work/out")" != "$want_out" ]; then
		echo "not ok $n - $desc: exit $got (want $want_status), stdout:"
		sed 's/^/#   /' "$work/out"
		sed 's/^/#   stderr: /' "$work/err"
		failures=$((failures + 1))
		return
	fi
	echo "ok $n - $desc"
}

nl='
'
check 0 "http://xn--bcher-kva.example/b?x=~" \
	"$patrol" url 'HTTP://Bücher.Example:80/a/../b?x=%7e#frag'
# IDN hosts need no UTF-8 locale.
check 0 "https://xn--6qq79v.example/" env LC_ALL=C "$patrol" url 'https://你好.example'
check 0 "http://e.example/a/c${nl}http://other.example/x${nl}http://e.example/a/b?q" \
	"$patrol" url --base 'http://e.example/a/b' c '//other.example/x' '?q'
# One line per input in input order; a bad one says why, control bytes escaped; exit 1.
check 1 "http://e.example/${nl}error: not a valid http(s) URL: javascript:x${nl}error: not a valid http(s) URL: /rel${nl}error: not a valid http(s) URL: http://a\\x01b/${nl}https://e.example/" \
	"$patrol" url 'http://E.example' 'javascript:x' '/rel' "$(printf 'http://a\001b/')" 'https://e.example:443'
# --json, as a command option or a global one: one object per input.
want='{"input":"HTTP://Forum.Example.co.uk/t","url":"http://forum.example.co.uk/t","host":"forum.example.co.uk","registrable_domain":"example.co.uk"}'
want_err='{"input":"ftp://x/","error":"not a valid http(s) URL"}'
check 1 "$want${nl}$want_err" "$patrol" url --json 'HTTP://Forum.Example.co.uk/t' 'ftp://x/'
check 1 "$want${nl}$want_err" "$patrol" --json url 'HTTP://Forum.Example.co.uk/t' 'ftp://x/'
# Usage errors: exit 2, nothing on stdout, the reason on stderr.
check 2 "" "$patrol" url --base 'not-a-url' x
n=$((n + 1))
if grep -q "^patrol url: --base 'not-a-url' is not an absolute http(s) URL" "$work/err"; then
	echo "ok $n - a bad --base is explained on stderr"
else
	echo "not ok $n - a bad --base: stderr was: $(cat "$work/err")"
	failures=$((failures + 1))
fi
check 2 "" "$patrol" url
check 2 "" "$patrol" url --no-such-option x
n=$((n + 1))
if "$patrol" url --help | grep -q "^usage: patrol url"; then
	echo "ok $n - patrol url --help"
else
	echo "not ok $n - patrol url --help"
	failures=$((failures + 1))
fi
echo "1..$n"
[ "$failures" -eq 0 ]
