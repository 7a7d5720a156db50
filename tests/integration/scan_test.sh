#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol scan through the binary: hits in text and HTML files and from standard input, with the
# shipped packs and with --rules; character offsets that slice the original field; posts and the
# url field; --charset; HTML told from text by name and by content; --explain as text and JSON
# (a rule that holds and one that a warning word stops); the documented exit statuses.
#   usage: scan_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
posts="$src/tests/fixtures/posts"

# lines_check DESCRIPTION PYTHON-EXPRESSION: evaluates the expression on the JSON lines of
# $work/out (as L, a list of objects; F is the text of $work/in when it exists); true passes.
lines_check() {
	if python3 -c 'import json, os, sys
L = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
F = open(sys.argv[3], encoding="utf-8").read() if os.path.exists(sys.argv[3]) else ""
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$work/out" "$2" "$work/in" 2>>"$work/err"; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# A text file with the shipped packs: one hit, whose start and end slice the text by characters.
printf 'Ｈｉ 大家好\n在家兼职刷单，佣金日结，加薇信 abc123\n' >"$work/in"
expect 0 "" "$patrol" --json scan "$work/in"
lines_check "text: click-farming in the body, offsets in characters of the original" \
	'len(L) == 1 and L[0]["rule"] == "fraud.zh.click-farming" and L[0]["pack"] == "fraud-zh" and
	 L[0]["severity"] == "high" and L[0]["category"] == "fraud/click-farming" and
	 L[0]["field"] == "body" and L[0]["post"] is None and L[0]["file"].endswith("/in") and
	 F[L[0]["start"]:L[0]["end"]] == L[0]["match"] == "在家" and "佣金日结" in L[0]["snippet"]'
expect 0 "" sh -c "\"$patrol\" --json scan - <\"$work/in\""
lines_check "standard input: the same hit, file <stdin>" \
	'len(L) == 1 and L[0]["file"] == "<stdin>" and L[0]["match"] == "在家"'
expect 0 "1 files, 1 hits" "$patrol" scan "$work/in"
if grep -q "fraud.zh.click-farming \[high\] body 7-9: " "$work/out"; then ok "text output line"
else not_ok "text output line"; fi

# A warning word stops the rule: no hit, and --explain says why.
printf '警惕！在家兼职刷单，佣金日结，加薇信 abc123\n' >"$work/in"
expect 0 "" "$patrol" --json scan "$work/in"
lines_check "a warning stops the rule" 'L == []'
expect 0 "" "$patrol" scan --explain --json "$work/in"
lines_check "--explain JSON: the rule, its patterns where they matched, the condition's values" \
	'any(o["explain"]["rule"] == "fraud.zh.click-farming" and o["explain"]["holds"] is False and
	     "warning [yes]" in o["explain"]["condition"] and
	     o["explain"]["condition"].endswith("[no]") and
	     {p["pattern"]: p["match"] for p in o["explain"]["patterns"]}["warning"] == "警惕" and
	     all(F[p["start"]:p["end"]] == p["match"] for p in o["explain"]["patterns"])
	     for o in L)'
expect 0 "" "$patrol" scan --explain "$work/in"
if grep -q "fraud.zh.click-farming (fraud-zh) on body: does not hold" "$work/out" &&
	grep -q '^  warning .* body 0-2: "警惕"' "$work/out" &&
	grep -q "^  condition: (near(job, pay, 60) \[yes\]" "$work/out"; then
	ok "--explain text: patterns and condition"
else not_ok "--explain text: patterns and condition"; fi

# HTML: posts with their index, and the url field, with a pack of our own.
cat >"$work/pack.yaml" <<'YAML'
pack: t
rules:
  - id: t.post
    title: T
    category: test/post
    severity: low
    fields: [post]
    patterns:
      a: 'great post'
  - id: t.url
    title: U
    category: test/url
    severity: info
    fields: [url]
    patterns:
      u: 'example\.org'
YAML
rm -f "$work/in"
expect 0 "" "$patrol" --json scan --rules "$work/pack.yaml" --base-url https://www.example.org/p?x=1 \
	"$posts/wordpress-comments.html"
lines_check "HTML: a hit in post 2 and one in the url field" \
	'sorted((o["rule"], o["field"], o["post"], o["match"]) for o in L) ==
	 [("t.post", "post", 2, "Great post"), ("t.url", "url", None, "example.org")] and
	 [o["start"] for o in L if o["field"] == "url"] == [12]'

# HTML told by content, and its title is a field; text that only looks like markup is body.
printf '<!DOCTYPE html><title>兼职刷单日结</title><p>hello</p>' >"$work/page.dat"
printf '<notatag> 在家兼职刷单，佣金日结\n' >"$work/note.dat"
cat >"$work/pack.yaml" <<'YAML'
pack: t
rules:
  - id: t.job
    title: T
    category: test/job
    severity: low
    patterns:
      a: '刷单'
YAML
expect 0 "" "$patrol" --json scan --rules "$work/pack.yaml" "$work/page.dat" "$work/note.dat"
lines_check "sniffing: the .dat page's title, the other file's body" \
	'[(o["file"].rsplit("/", 1)[1], o["field"], o["start"]) for o in L] ==
	 [("page.dat", "title", 2), ("note.dat", "body", 14)]'

# --charset: GBK bytes with no declaration.
printf '在家兼职刷单，佣金日结，加薇信\n' | iconv -f UTF-8 -t GBK >"$work/gbk.txt"
expect 0 "" "$patrol" --json scan --charset gbk --rules "$work/pack.yaml" "$work/gbk.txt"
lines_check "--charset gbk: decoded before matching" \
	'len(L) == 1 and L[0]["match"] == "刷单" and L[0]["start"] == 4'

# Exit statuses and errors.
expect 2 "a FILE" "$patrol" scan
expect 2 "unknown option" "$patrol" scan --bogus "$work/gbk.txt"
expect 1 "nonexistent: " "$patrol" scan "$work/nonexistent"
printf 'pack: t\nrules: [\n' >"$work/bad.yaml"
expect 2 "bad.yaml:" "$patrol" scan --rules "$work/bad.yaml" "$work/gbk.txt"
expect 0 "" "$patrol" scan --help
if grep -q "^usage: patrol scan" "$work/out"; then ok "--help on stdout"; else not_ok "--help"; fi

# Hostile input: NUL bytes, invalid UTF-8 and deep markup end in an answer, never a crash.
{ printf 'x\000刷单\377\376'; i=0; while [ $i -lt 3000 ]; do printf '<div><b>'; i=$((i + 1)); done; } \
	>"$work/bad.txt"
expect 0 "" "$patrol" --json scan --rules "$work/pack.yaml" "$work/bad.txt"
lines_check "NUL and invalid bytes: still matched" 'len(L) == 1 and L[0]["start"] == 2'

tap_end
