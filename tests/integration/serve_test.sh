#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol serve and patrol users over HTTP with curl: the XSS fixture page (tests/fixtures/xss)
# is crawled as a registered venue, an analyst is added, the UI is started on a free port of
# 127.0.0.1, and the test checks refusals without a session or CSRF token, login and its cookie,
# the security headers, that nothing from the hostile page reaches a page unescaped, the
# sandboxed evidence frame's CSP, an audited review under the analyst's name, exports, the
# venues page's charts, the tip form (accepted, refused, CSRF), and serve's own refusals (no
# analyst; a non-loopback address without TLS).
#   usage: serve_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
db="$work/db"
if ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP curl is not installed"
	exit 77
fi
testsrv_start "$src/tests/fixtures/xss" 60
cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
rules: ["$src/tests/fixtures/xss/rules.yaml"]
venues:
  - id: xss-forum
    name: Hostile <b>forum</b> "quoted"
    operator: Example <script>alert('operator')</script>
    registration: "filing no. <img src=x onerror=alert(1)>"
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 2}
    allow_private_addresses: true
YAML
p() { "$patrol" --config "$work/patrol.yaml" --db "$db" "$@"; }

p -q crawl
check $? "the XSS page is crawled"
[ "$(p --json hits | wc -l)" -ge 1 ]
check $? "it gave a hit"

p serve --listen 127.0.0.1:0 >"$work/serve.out" 2>&1
[ $? -eq 2 ] && grep -q "users add" "$work/serve.out"
check $? "serve refuses to start without an analyst (exit 2)"

token=$(p -q users add alice)
[ ${#token} -eq 64 ]
check $? "users add prints a 64-character token"
p users add alice >/dev/null 2>&1
[ $? -eq 1 ]
check $? "adding an existing analyst fails"
p users add 'bad name' >/dev/null 2>&1
[ $? -eq 2 ]
check $? "an invalid analyst name is a usage error"
p -q users add bob >/dev/null && p users remove bob >/dev/null && [ "$(p users list | wc -l)" -eq 1 ]
check $? "users list and users remove"
! grep -rqa "$token" "$db"
check $? "the token itself is not in the store"

p serve --listen 0.0.0.0:0 >"$work/serve.out" 2>&1
[ $? -eq 2 ] && grep -q "TLS" "$work/serve.out"
check $? "a non-loopback address without TLS is refused"

# Not through p(): $! must be patrol's own pid, and fd 3 (the test server's fifo) not held.
"$patrol" --config "$work/patrol.yaml" --db "$db" serve --listen 127.0.0.1:0 \
	>"$work/serve.out" 2>&1 3>&- &
spid=$!
trap 'kill $spid 2>/dev/null; exec 3>&-; rm -rf "$work"' EXIT
wait_serving "$work/serve.out" $spid
url=$(sed -n 's/^serving \(http:[^ ]*\) .*/\1/p' "$work/serve.out")
[ -n "$url" ]
check $? "serve prints where it listens ($url)"
c() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }

[ "$(c "${url}")" = 303 ] && [ "$(c "${url}hit/1")" = 303 ] && [ "$(c "${url}rules")" = 303 ] \
	&& [ "$(c "${url}hit/1/raw")" = 303 ] && [ "$(c "${url}export?format=jsonl")" = 303 ]
check $? "every page without a session redirects to the login"
[ "$(c -d 'id=1&action=confirm' "${url}review")" = 403 ]
check $? "a POST without a session is refused"
[ "$(c -d "name=alice&token=nope" "${url}login")" = 403 ]
check $? "a wrong token is refused"
[ "$(c -D "$work/head" -c "$work/jar" -d "name=alice&token=$token" "${url}login")" = 303 ]
check $? "the right token logs in"
grep -qi '^set-cookie: patrol_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$work/head"
check $? "the session cookie is HttpOnly and SameSite=Strict"

[ "$(c -D "$work/head" -b "$work/jar" "${url}?status=all")" = 200 ]
check $? "the queue loads"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$work/head" \
	&& grep -qi '^x-frame-options: DENY' "$work/head" && grep -qi '^x-content-type-options: nosniff' "$work/head"
check $? "pages carry a strict CSP, nosniff and frame denial"
csrf=$(sed -n 's/.*<meta name="csrf" content="\([0-9a-f]*\)".*/\1/p' "$work/body")
[ ${#csrf} -eq 64 ]
check $? "the page carries its CSRF token"
id=$(sed -n 's/.*<tr data-id="\([0-9]*\)".*/\1/p' "$work/body" | head -n 1)
[ -n "$id" ]
check $? "the queue lists the hit (#$id)"

bad=0
for page in "?status=all" "hit/$id" "hit/$id/evidence" rules venues audit; do
	c -b "$work/jar" "${url}$page" >/dev/null
	# The one <script> without src, the head's JSON block of ui.js's words (a type no browser
	# runs), is taken out first: once, where ui.c puts it.
	sed -i '0,/<script type="application\/json" id="ui-text">{/s///' "$work/body"
	# Our own markup has no <script> without src, no event handler, no javascript: link.
	# (escaped text may say onerror=, but never inside a tag: it has no raw "<")
	# Our own <svg class="trend"> charts are the only SVG allowed.
	hostile='<script>\|<script [^s]\|<svg[^ ]\|<svg [^c]\|<img\|<[a-z][^<>]* on[a-z]*=\|href="javascript\|href="data'
	if grep -qi "$hostile" "$work/body"; then
		echo "# unescaped hostile markup on /$page:"
		grep -io "$hostile" "$work/body" | head -3 | sed 's/^/#   /'
		bad=1
	fi
done
c -b "$work/jar" "${url}hit/$id" >/dev/null
grep -q "<dt>description</dt><dd>A prize that asks for gift cards &lt;img" "$work/body"
check $? "the hit page gives the rule's description, escaped"
[ $bad -eq 0 ]
check $? "nothing from the hostile page or config reaches a page unescaped"
c -b "$work/jar" "${url}hit/$id/evidence" >/dev/null
grep -q '<iframe class="cap" sandbox=""' "$work/body" && grep -q '&lt;script&gt;' "$work/body"
check $? "the captured page: a sandboxed frame, and the source as escaped text"
[ "$(c -D "$work/head" -b "$work/jar" "${url}hit/$id/raw")" = 200 ] \
	&& grep -qi "^content-security-policy: default-src 'none'; style-src 'unsafe-inline'; img-src 'none'.*sandbox" "$work/head"
check $? "the frame's HTML is served with a no-script, no-network, sandboxing CSP"

[ "$(c -b "$work/jar" -d "id=$id&action=confirm" "${url}review")" = 403 ]
check $? "a POST without the CSRF token is refused"
[ "$(c -b "$work/jar" -H "Origin: http://evil.example" -d "csrf=$csrf&id=$id&action=confirm" "${url}review")" = 403 ]
check $? "a POST from another origin is refused"
[ "$(c -b "$work/jar" -d "csrf=$csrf&id=$id&action=escalate&note=see+ticket+42" "${url}review")" = 303 ]
check $? "a review with the token is done"
p --json hits --status escalated | grep -q "\"id\":$id,"
check $? "the hit is escalated in the store"
p audit | grep "#$id" | grep -q alice
check $? "the audit chain records it under the analyst's name"
p audit --verify >/dev/null
check $? "the audit chain verifies"

[ "$(c -b "$work/jar" "${url}export?format=jsonl&status=escalated")" = 200 ] \
	&& [ "$(wc -l <"$work/body")" -eq 1 ] && grep -q "\"id\":$id," "$work/body"
check $? "export of the current filter as JSONL"
[ "$(c -b "$work/jar" "${url}export?format=warc&status=escalated")" = 200 ] && head -c 9 "$work/body" | grep -q 'WARC/1.1'
check $? "export as WARC"

# The venues page charts the hits per day; the tip form submits as patrol submit does.
[ "$(c -b "$work/jar" "${url}venues?days=7")" = 200 ] && grep -q '<svg class="trend" role="img"' "$work/body" \
	&& grep -q 'Hits per day in venue xss-forum' "$work/body" \
	&& grep -q 'days=7#trends" class="on" aria-current="page"' "$work/body"
check $? "the venues page charts the hits per day, over the days chosen"
hurl=$(p --json hit show "$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')
[ "$(c -b "$work/jar" --data-urlencode "url=$hurl" "${url}tip")" = 403 ]
check $? "a tip without the CSRF token is refused"
[ "$(c -b "$work/jar" -d "csrf=$csrf" --data-urlencode "url=http://unknown.example/a.html" "${url}tip")" = 422 ] \
	&& grep -q 'Refused: no registered venue covers the host of http://unknown.example/a.html' "$work/body"
check $? "a tip off every venue is refused, naming the reason"
[ "$(c -b "$work/jar" -d "csrf=$csrf&note=seen+in+a+chat" --data-urlencode "url=$hurl" "${url}tip")" = 200 ] \
	&& grep -q "Queued $hurl (venue xss-forum)\|Recorded the tip on $hurl (venue xss-forum)" "$work/body"
check $? "a tip inside the venue is accepted"
p --json hit show "$id" | python3 -c '
import json, sys
t = json.load(sys.stdin)["tip"]
assert t["actor"] == "alice" and t["note"] == "seen in a chat" and t["venue"] == "xss-forum", t'
check $? "the tip is stored under the analyst's name and shown with its hit"
p audit | grep tip | grep alice | grep -q "seen in a chat"
check $? "the tip is in the audit chain"

# Languages (docs/review.md, "Languages and time zones"): Accept-Language, then the analyst's
# saved choice, which beats it; English stays English.
zh='Accept-Language: zh-CN,zh;q=0.9,en;q=0.8' en='Accept-Language: en-US,en;q=0.9'
[ "$(c -b "$work/jar" -H "$zh" "${url}?status=all")" = 200 ] && grep -q '<html lang="zh-CN">' "$work/body" \
	&& grep -q '<title>研判队列 · patrol</title>' "$work/body" && grep -q '>全部状态</option>' "$work/body" \
	&& grep -q '<button>退出登录</button>' "$work/body" && ! grep -q '>any status<' "$work/body"
check $? "Accept-Language zh-CN gets the queue in Chinese"
[ "$(c -b "$work/jar" -H "$en" "${url}?status=all")" = 200 ] && grep -q '<html lang="en">' "$work/body" \
	&& grep -q '>any status</option>' "$work/body" && ! grep -q '研判队列' "$work/body" \
	&& grep -q '<time datetime="[0-9-]*T[0-9:]*Z">[0-9-]* [0-9:]* UTC</time>' "$work/body"
check $? "Accept-Language en gets it in English, times as <time> in UTC"
[ "$(c -b "$work/jar" -H "$zh" -d "csrf=$csrf" --data-urlencode "url=http://unknown.example/a.html" "${url}tip")" = 422 ] \
	&& grep -q '没有备案站点涵盖 http://unknown.example/a.html 的主机' "$work/body"
check $? "a tip's refusal is in the analyst's language, not the server's"
[ "$(c -b "$work/jar" -d "lang=zh_CN" "${url}prefs")" = 403 ] \
	&& [ "$(c -b "$work/jar" -d "csrf=$csrf&lang=zh_CN&tz=Mars/Olympus" "${url}prefs")" = 400 ]
check $? "the language switch needs the CSRF token and a real time zone"
[ "$(c -b "$work/jar" -d "csrf=$csrf&lang=zh_CN&tz=Asia/Shanghai&return=/rules" "${url}prefs")" = 303 ] \
	&& [ "$(c -b "$work/jar" -H "$en" "${url}?status=all")" = 200 ] && grep -q '<html lang="zh-CN">' "$work/body" \
	&& grep -q '研判队列' "$work/body" && grep -q '<meta name="tz" content="Asia/Shanghai">' "$work/body"
check $? "the saved language beats Accept-Language, with the saved time zone"
[ "$(c -b "$work/jar" -d "csrf=$csrf&lang=&tz=" "${url}prefs")" = 303 ] \
	&& [ "$(c -b "$work/jar" -H "$en" "${url}?status=all")" = 200 ] && grep -q '<html lang="en">' "$work/body"
check $? "cleared, the browser's language again"

[ "$(c -b "$work/jar" -c "$work/jar" -d "csrf=$csrf" "${url}logout")" = 303 ] && [ "$(c -b "$work/jar" "${url}")" = 303 ]
check $? "after logging out the session is gone"

kill $spid
wait $spid
st=$?
[ $st -eq 0 ] && grep -q "serve stopped" "$work/serve.out"
check $? "serve stops cleanly on SIGTERM (exit $st; under ASan, no leak)"
[ $st -eq 0 ] || sed 's/^/#   /' "$work/serve.out" | tail -n 20

# HTTPS with a self-signed pair (when the openssl tool is there): Secure cookies.
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
		-days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1; then
	"$patrol" --config "$work/patrol.yaml" --db "$db" serve --listen 127.0.0.1:0 \
		--tls-cert "$work/cert.pem" --tls-key "$work/key.pem" >"$work/tls.out" 2>&1 3>&- &
	spid=$!
	wait_serving "$work/tls.out" $spid
	url=$(sed -n 's/^serving \(https:[^ ]*\) .*/\1/p' "$work/tls.out")
	[ -n "$url" ] && [ "$(c -k -D "$work/head" -d "name=alice&token=$token" "${url}login")" = 303 ] &&
		grep -qi '^set-cookie: patrol_session=.*; Secure' "$work/head"
	check $? "over HTTPS the session cookie is Secure"
	kill $spid
	wait $spid 2>/dev/null
	p serve --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/cert.pem" \
		>"$work/tls.out" 2>&1
	[ $? -eq 2 ]
	check $? "a key file that is not a key is a usage error"
else
	echo "# no openssl tool: HTTPS not checked"
fi

# patrol demo --serve: the demo's store, an analyst "demo" whose token is printed, the UI.
"$patrol" --db "$work/demo" -q demo --serve --listen 127.0.0.1:0 >"$work/demo.out" 2>&1 3>&- &
spid=$!
wait_serving "$work/demo.out" $spid # the demo crawls its forum first
url=$(sed -n 's/^serving \(http:[^ ]*\) .*/\1/p' "$work/demo.out")
dtoken=$(grep -x '[0-9a-f]\{64\}' "$work/demo.out")
[ -n "$url" ] && [ "$(c -c "$work/djar" -d "name=demo&token=$dtoken" "${url}login")" = 303 ] \
	&& [ "$(c -b "$work/djar" "${url}?status=all")" = 200 ] && grep -q 'demo-forum' "$work/body"
check $? "demo --serve: the demo's hits in the UI, with the printed token"
kill $spid
wait $spid 2>/dev/null
tap_end
