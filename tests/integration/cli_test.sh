#!/bin/sh
# SPDX-License-Identifier: MIT
# The patrol binary on bad input: each case must end with a clear one-line error and the
# documented exit status (DESIGN.md §4), never a crash. Also the --help of every command.
#   usage: cli_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
testsrv_start "$src/tests/fixtures/site" 60
base="http://127.0.0.1:$port"
rules="$src/tests/fixtures/site-rules.yaml"

db="$work/db"
expect 1 "cannot crawl http://127.0.0.1:1/: .*" \
	"$patrol" --db "$db" crawl --allow-private --rules "$rules" --seed "http://127.0.0.1:1/"
# (A seed that is not HTML: tests/integration/crawl_test.c; this site has a sitemap, so a crawl
# from file.txt still finds pages.)
expect 1 "private or loopback" \
	"$patrol" --db "$db" crawl --rules "$rules" --seed "$base/"
expect 2 "invalid seed URL 'nonsense'" \
	"$patrol" --db "$db" crawl --rules "$rules" --seed nonsense
printf 'pack: broken\nrules:\n  - id: x\n    bogus: 1\n' >"$work/bad.yaml"
expect 1 "bad.yaml:4:5: " \
	"$patrol" --db "$db" crawl --allow-private --rules "$work/bad.yaml" --seed "$base/"
expect 2 "bad.yaml:4:5: " "$patrol" rules lint "$work/bad.yaml"
# A pattern the prefilter cannot hold (\R) is a warning on stdout, not an error.
printf 'pack: slow\nrules:\n  - {id: r, title: T, category: c, severity: low, patterns: {x: "a\\\\Rb"}}\n' \
	>"$work/slow.yaml"
expect 0 "" sh -c '"$1" rules lint "$2" >"$3/lint.out" && grep -q "^slow: r: warning: pattern .x. cannot be prefiltered" "$3/lint.out" && grep -q "^1 rules OK, 1 warnings$" "$3/lint.out"' \
	sh "$patrol" "$work/slow.yaml" "$work"
expect 1 "cannot load rules" \
	"$patrol" --db "$db" crawl --rules "$work/missing.yaml" --seed "$base/"
: >"$work/file"
expect 1 "$work/file/db" \
	"$patrol" --db "$work/file/db" crawl --allow-private --rules "$rules" --seed "$base/"
expect 1 "no store at $work/none" "$patrol" --db "$work/none" hits
expect 2 "unknown command 'frobnicate'" "$patrol" frobnicate
expect 2 "nothing to crawl" sh -c 'cd "$1" && PATROL_CONFIG= "$2" --db "$1/db2" crawl' sh "$work" "$patrol"
expect 2 "wants a non-negative number" "$patrol" crawl --seed "$base/" --max-pages -3
expect 2 "Try 'patrol --help'" "$patrol" --no-such-option

# The venue registry: errors with file:line:col, exit 2.
printf 'crawler: {workers: 999}\nvenues:\n  - {id: x, name: X, seeds: [ftp://a/]}\n' >"$work/venues.yaml"
expect 2 "venues.yaml:3:30: seed 'ftp://a/' is not an absolute http(s) URL" "$patrol" venues check "$work/venues.yaml"
expect 2 "venues.yaml:1:20: 'workers' must be between 0 and 256" "$patrol" --config "$work/venues.yaml" venues list
expect 2 "missing.yaml: cannot read: No such file or directory" env PATROL_CONFIG="$work/missing.yaml" "$patrol" venues list
expect 1 "no venue 'nope' in" "$patrol" --config "$src/tests/fixtures/config/full.yaml" venues show nope
expect 2 "no configuration file to check" sh -c 'cd "$1" && PATROL_CONFIG= "$2" venues check' sh "$work" "$patrol"

# A good crawl, then hits; and every command's --help goes to stdout with status 0.
# A fresh store: the failures above left their own frontier behind in $db.
db="$work/good"
expect 0 "" "$patrol" --db "$db" -q crawl --allow-private --rules "$rules" --seed "$base/"
count=$("$patrol" --db "$db" --json hits | wc -l)
[ "$count" -eq 2 ]
check $? "hits lists the 2 hits of the static site (no /redirect here; got $count)"
# A hit's page's <link rel=canonical> shows in hits --json (null when the page has none).
canon=$("$patrol" --db "$db" --json hits | python3 -c '
import json, sys
print(sorted(str(h["canonical"]) for h in map(json.loads, sys.stdin)))')
[ "$canon" = "['None', '$base/a.html?from=canonical']" ]
check $? "hits --json gives each hit's canonical URL ($canon)"
for cmd in demo crawl hits rules robots venues stats; do
	"$patrol" "$cmd" --help | grep -q "^usage: patrol $cmd"
	check $? "patrol $cmd --help"
done
tap_end
