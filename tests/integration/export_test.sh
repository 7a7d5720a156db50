#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol export on the demo forum's store: JSONL (every hit, its evidence digest), CSV (RFC 4180
# as Python's csv module reads it; --excel's BOM and formula guard), filters, -o; WARC read back
# with the npm package warcio (tests/warc; installed for the tests only, skipped with a message
# without node or npm) checking every record and digest, and a flipped byte caught.
#   usage: export_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
db="$work/db"
p() { "$patrol" --db "$db" "$@"; }

p -q demo >"$work/demo.out" 2>&1
check $? "patrol demo fills a store"
total=$(p --json hits | wc -l)
p -q review 1 --set confirmed --as alice --note 'says "wire the fee", then =cmd'

p export --format jsonl >"$work/hits.jsonl"
[ $? -eq 0 ] && [ "$(wc -l <"$work/hits.jsonl")" -eq "$total" ]
check $? "jsonl: one line per hit ($total)"
[ "$(grep -c '"evidence":"[0-9a-f]\{64\}"' "$work/hits.jsonl")" -eq "$total" ] &&
	grep -q '"pack_version"' "$work/hits.jsonl" && grep -q '"first_seen"' "$work/hits.jsonl"
check $? "jsonl: every hit has its evidence digest and every field"
head -n 1 "$work/hits.jsonl" | grep -q '^{"id":1,'
check $? "jsonl: oldest first"
p export --format jsonl --status confirmed -o "$work/confirmed.jsonl"
[ "$(wc -l <"$work/confirmed.jsonl")" -eq 1 ]
check $? "filters and -o: --status confirmed gives 1"

p export --format csv -o "$work/hits.csv"
python3 - "$work/hits.csv" "$total" <<'PY'
import csv, sys
raw = open(sys.argv[1], 'rb').read()
assert not raw.startswith(b'\xef\xbb\xbf'), 'BOM without --excel'
assert raw.endswith(b'\r\n'), 'CRLF'
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
assert rows[0][:3] == ['id', 'rule', 'pack'], rows[0]
assert len(rows) == int(sys.argv[2]) + 1, len(rows)
assert all(len(r) == len(rows[0]) for r in rows)
ev = rows[0].index('evidence')
assert all(len(r[ev]) == 64 for r in rows[1:])
PY
check $? "csv: RFC 4180 rows Python reads back, a header, every evidence digest"
p export --format csv --excel -o "$work/excel.csv"
head -c 3 "$work/excel.csv" | od -An -tx1 | grep -q 'ef bb bf'
check $? "csv --excel starts with a BOM"

# warcio: tests/warc/node_modules when someone ran `npm ci` there, else installed once (npm ci,
# the versions of tests/warc/package-lock.json) into the tests' cache directory.
checker=""
if [ -d "$src/tests/warc/node_modules/warcio" ]; then
	checker="$src/tests/warc/check.mjs"
elif command -v npm >/dev/null && command -v node >/dev/null && [ -n "${XDG_CACHE_HOME:-}" ]; then
	d="$XDG_CACHE_HOME/warc-check"
	mkdir -p "$d" && cp "$src/tests/warc/package.json" "$src/tests/warc/package-lock.json" \
		"$src/tests/warc/check.mjs" "$d/"
	[ -d "$d/node_modules/warcio" ] ||
		(cd "$d" && timeout 120 npm ci --no-audit --no-fund >"$d/npm.log" 2>&1)
	[ -d "$d/node_modules/warcio" ] && checker="$d/check.mjs"
fi
if ! command -v node >/dev/null; then
	skip "node is not installed: the WARC is not read back"
elif [ -z "$checker" ]; then
	skip "warcio is not installed and npm could not install it: run 'npm ci' in tests/warc"
else
	p export --format warc -o "$work/hits.warc"
	check $? "warc: written"
	node "$checker" "$work/hits.warc" >"$work/warc.json"
	check $? "warc: warcio reads every record, every block and payload digest matches"
	grep -q "\"hits\":$total," "$work/warc.json" && grep -q '"warcinfo":1' "$work/warc.json" &&
		grep -q '"response":' "$work/warc.json" && grep -q '"request":' "$work/warc.json"
	check $? "warc: warcinfo, request, response and metadata records hold every hit"
	# A screenshot of a hit's evidence (patrol snapshot, when chromium is here) goes along as a
	# resource record.
	if p snapshot 1 >"$work/snap.out" 2>&1; then
		p export --format warc -o "$work/snap.warc" &&
			node "$checker" "$work/snap.warc" >"$work/snap.json" &&
			grep -q '"resource":1' "$work/snap.json"
		check $? "warc: the hit's screenshot is a resource record referring to its response"
	else
		skip "no screenshot to export: $(head -c 200 "$work/snap.out")"
	fi
	# One byte of a response body changed: its digests no longer match.
	python3 - "$work/hits.warc" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'<title>')
b[i + 1] ^= 0x20
open(sys.argv[1], 'wb').write(b)
PY
	node "$checker" "$work/hits.warc" >"$work/warc.json"
	[ $? -eq 1 ] && grep -q 'digest' "$work/warc.json"
	check $? "warc: a changed byte is caught"
fi
p export --format pdf >/dev/null 2>&1
[ $? -eq 2 ]
check $? "an unknown format is a usage error (2)"
tap_end
