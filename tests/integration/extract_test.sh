#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol extract through the binary: the document of the forum fixtures (tests/fixtures/posts/)
# as text and JSON, from a file and from standard input, with the built-in profiles and with a
# venue's selectors, the normalized view of title, body and posts, and the documented exit
# statuses for bad input (DESIGN.md §4).
#   usage: extract_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
posts="$src/tests/fixtures/posts"

# json_check DESCRIPTION PYTHON-EXPRESSION: evaluates the expression on the JSON object in
# $work/out (as o); true passes.
json_check() {
	if python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$work/out" "$2" 2>>"$work/err"; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# A GBK Discuz! thread: encoding, fields, three posts (a banned user's is none), and the
# normalized view rules match.
expect 0 "" "$patrol" extract --json --base-url https://bbs.example.cn/thread-88-1-1.html \
	"$posts/discuz-x3.html"
json_check "discuz: encoding GBK from the meta tag" \
	'o["encoding"] == "GBK" and o["encoding_source"] == "meta"'
json_check "discuz: title, description and the url field" \
	'o["title"].startswith("兼职刷单日结") and o["description"].startswith("有人在群里说") and
	 o["fields"]["url"] == "https://bbs.example.cn/thread-88-1-1.html" and
	 "刷单返利" in o["fields"]["body"]'
json_check "discuz: 3 posts with author, time and text" \
	'o["posts_profile"] == "discuz" and [p["author"] for p in o["posts"]] ==
	 ["小鱼儿", "反诈志愿者", "路人甲"] and o["posts"][1]["time"] == "2024-3-9 08:12:03" and
	 o["posts"][0]["text"] == "有人在群里说刷单返利，日结佣金，加微信就行。\n这靠谱吗？" and
	 [p["index"] for p in o["posts"]] == [0, 1, 2]'
json_check "discuz: normalized title and body: case folded, CJK punctuation squeezed" \
	'o["normalized"]["title"].startswith("兼职刷单日结靠谱吗? - ") and
	 o["normalized"]["title"].endswith("powered by discuz!") and
	 "有人在群里说刷单返利日结佣金\n警惕这是刷单诈骗" in o["normalized"]["body"] and
	 o["normalized"]["truncated"] is False'
json_check "discuz: each post has its normalized text" \
	'o["posts"][0]["normalized"] == "有人在群里说刷单返利日结佣金加微信就行。\n这靠谱吗?" and
	 all(p["normalized"] for p in o["posts"])'
json_check "discuz: links resolved against --base-url" \
	'"https://bbs.example.cn/forum-36-1.html" in [l["url"] for l in o["links"]]'

# Text output, from standard input, with the global --json off.
expect 0 "" sh -c '"$1" extract - <"$2"' sh "$patrol" "$posts/phpbb-3.3.html"
if grep -q "^posts       2 (profile phpbb)$" "$work/out" &&
	grep -q "^--- post 2 of 2 · author ModeratorMia · time 2024-05-02T19:03:27+00:00$" "$work/out" &&
	grep -q "^normalized  yes$" "$work/out" && grep -q "^--- normalized body$" "$work/out" &&
	grep -q "^--- post 2 normalized$" "$work/out"; then
	ok "phpbb from standard input, as text"
else
	not_ok "phpbb from standard input, as text"
fi

# Evasion the normalized view undoes: full-width letters and an ideographic space, traditional
# characters spaced apart, a zero-width space, circled and full-width digits.
printf '<html><head><meta charset=utf-8><title>\357\274\246\357\274\262\357\274\245\357\274\245\343\200\200Money</title></head>' \
	>"$work/evade.html"
printf '<body><p>刷 單 返 利</p><p>加\342\200\213微信 ①２３</p></body></html>' >>"$work/evade.html"
expect 0 "" "$patrol" extract --json "$work/evade.html"
json_check "evasion: the fields as extracted, the normalized view undone" \
	'o["title"] == "ＦＲＥＥ\u3000Money" and o["fields"]["body"] == "刷 單 返 利\n加\u200b微信 ①２３" and
	 o["normalized"] == {"title": "free money", "body": "刷单返利\n加微信 123", "truncated": False}'

# The global --json, and a Content-Type whose charset overrides the page's meta.
expect 0 "" "$patrol" --json extract --content-type "text/html; charset=utf-8" \
	"$posts/vbulletin-4.html"
json_check "vbulletin: the header's charset wins" \
	'o["encoding"] == "UTF-8" and o["encoding_source"] == "header" and
	 o["posts_profile"] == "vbulletin" and len(o["posts"]) == 2'

# A venue's own selectors (what patrol.yaml will hold) on the demo forum's markup.
expect 0 "" "$patrol" extract --json --post 'div.pl[id^=post-]' --content div.t_f \
	--author '.authi a' --time '.pti em' "$src/docs/demo/thread-102-1.html"
json_check "venue selectors: 4 posts of the demo thread" \
	'o["posts_profile"] == "venue" and len(o["posts"]) == 4 and
	 all(p["author"] and p["time"].endswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
	     for p in o["posts"])'
expect 0 "" "$patrol" extract --json --post 'li.nothing' "$posts/wordpress-comments.html"
json_check "venue selectors replace the built-in profiles" \
	'o["posts"] == [] and o["posts_profile"] is None'

# Usage errors exit 2 with one clear line; unreadable input exits 1.
expect 2 "patrol extract: --post: column 5: the '+' combinator is not supported" \
	"$patrol" extract --post 'div + p' "$posts/phpbb-3.3.html"
expect 2 "patrol extract: --time: column 2: pseudo-classes" \
	"$patrol" extract --post div --time 'a:hover' "$posts/phpbb-3.3.html"
expect 2 "need --post" "$patrol" extract --author .who "$posts/phpbb-3.3.html"
expect 2 "is not an absolute http(s) URL" \
	"$patrol" extract --base-url ftp://x/ "$posts/phpbb-3.3.html"
expect 2 "a FILE (or '-') is needed" "$patrol" extract
expect 2 "one FILE at a time" "$patrol" extract "$posts/phpbb-3.3.html" "$posts/vbulletin-4.html"
expect 2 "unknown option" "$patrol" extract --frobnicate "$posts/phpbb-3.3.html"
expect 1 "cannot read $work/missing.html: " "$patrol" extract "$work/missing.html"
expect 1 "cannot read $work: " "$patrol" extract "$work"

# Hostile input ends with a document, never a crash.
i=0
while [ $i -lt 2000 ]; do printf '<li class=comment><div class=comment-content>x'; i=$((i + 1)); done \
	>"$work/bad.html"
printf '<div id=postlist><div id=post_1><td class=t_f>\377\000<b><i>' >>"$work/bad.html"
expect 0 "" "$patrol" extract --json "$work/bad.html"
json_check "hostile page: a document with posts, valid JSON" 'len(o["posts"]) >= 1'

expect 0 "" "$patrol" extract --help
if grep -q "^usage: patrol extract" "$work/out"; then ok "--help on stdout"; else not_ok "--help"; fi

tap_end
