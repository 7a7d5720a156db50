#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol demo, end to end: it must exit 0 and store exactly the hits listed in the expected file
# (rule, page, field per line; scripts/demo-expected.py derives it from the demo forum); a second
# demo run on the same store must add no hit.
set -eu
patrol=$1
expected=$2
db=$(mktemp -d "${TMPDIR:-/tmp}/patrol-demo-test-XXXXXX")
trap 'rm -rf "$db"' EXIT

"$patrol" --db "$db" demo >"$db/out.txt"
grep -q "Crawled the demo forum" "$db/out.txt"

actual() {
	"$patrol" --db "$db" --json hits | python3 -c '
import json, sys
from urllib.parse import urlsplit
rows = set()
for line in sys.stdin:
    h = json.loads(line)
    page = urlsplit(h["url"]).path.lstrip("/") or "index.html"
    rows.add("\t".join((h["rule"], page, h["field"])))
print("\n".join(sorted(rows)))'
}

actual >"$db/actual.tsv"
if ! diff -u "$expected" "$db/actual.tsv"; then
	echo "demo: the hits differ from $expected" >&2
	exit 1
fi
count=$("$patrol" --db "$db" --json hits | wc -l)
"$patrol" --db "$db" -q demo
again=$("$patrol" --db "$db" --json hits | wc -l)
if [ "$count" != "$again" ]; then
	echo "demo: a second run added hits ($count, then $again)" >&2
	exit 1
fi
echo "demo: $count hits as expected, none added by a second run"
