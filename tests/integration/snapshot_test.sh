#!/bin/sh
# SPDX-License-Identifier: MIT
# patrol snapshot (docs/snapshots.md): a page that references remote images, scripts, styles,
# fonts and frames (on a recorder server that logs every request, on *.localhost and on non-local
# hosts) is crawled from the test server, then rendered from the store: no request reaches the
# recorder, the PNG decodes, is full width and not one colour, and is the one the store and
# patrol hit show name; a GBK Chinese page renders with glyphs. Unknown ids, hits without
# evidence and a missing browser fail clearly. evidence.screenshots: confirming takes a
# snapshot (confirmed, the default), off does not, all pictures a crawl's new hits; the review
# UI's confirm queues a snapshot the background renderer takes, its button renders and shows the
# PNG, says when it timed out, is disabled without a browser.
# Skips (77) when chromium is not installed.
#   usage: snapshot_test.sh PATROL TESTSRV SRCROOT
set -u
. "$(dirname "$0")/common.sh"
fix="$src/tests/fixtures/snapshot"

if [ -z "${PATROL_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 &&
	! command -v chromium-browser >/dev/null 2>&1; then
	echo "1..0 # SKIP chromium is not installed (scripts/debian-packages.txt)"
	exit 77
fi

# The recorder: answers every request with 200 and appends its request line to $work/recorded.
cat >"$work/recorder.py" <<'PY'
import http.server, sys, threading
log = open(sys.argv[1], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write("%s %s %s\n" % (self.command, self.headers.get("Host"), self.path))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_POST = do_HEAD = do_OPTIONS = do_GET
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Timer(float(sys.argv[2]), s.shutdown).start()
s.serve_forever()
PY
: >"$work/recorded"
python3 "$work/recorder.py" "$work/recorded" 90 >"$work/rec.port" &
recorder=$!
spid=
trap 'kill $recorder $spid 2>/dev/null; exec 3>&-; rm -rf "$work"' EXIT
for _ in $(seq 50); do
	[ -s "$work/rec.port" ] && break
	sleep 0.1
done
rport=$(head -n 1 "$work/rec.port")

# The site: remote.html names the recorder; zh.html is served in GBK.
mkdir "$work/site"
cp "$fix/index.html" "$work/site/"
sed "s/@REC@/$rport/g" "$fix/remote.html.in" >"$work/site/remote.html"
python3 -c 'import sys; open(sys.argv[2], "wb").write(open(sys.argv[1], encoding="utf-8").read().encode("gbk"))' \
	"$fix/zh.html" "$work/site/zh.html"
testsrv_start "$work/site" 90

python3 -c 'import sys, urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/probe" % sys.argv[1], timeout=5)' "$rport" &&
	grep -q "GET 127.0.0.1:$rport /probe" "$work/recorded"
check $? "the recorder logs a request sent to it"
: >"$work/recorded"

cat >"$work/patrol.yaml" <<YAML
crawler:
  user_agent: "patrol-test/1 (+https://example.org/contact)"
rules: ["$fix/rules.yaml"]
venues:
  - id: snap
    name: Snapshot test forum
    seeds: ["http://127.0.0.1:$port/"]
    politeness: {delay_ms: 0, connections: 2}
    allow_private_addresses: true
YAML
db="$work/db"
p() { "$patrol" --config "$work/patrol.yaml" --db "$db" "$@"; }
p -q crawl >"$work/out" 2>"$work/err"
check $? "the test forum is crawled"
hit_of() { p --json hits | python3 -c '
import json, sys
for line in sys.stdin:
    h = json.loads(line)
    if h["url"].endswith(sys.argv[1]):
        print(h["id"]); break' "$1"; }
remote=$(hit_of /remote.html)
zh=$(hit_of /zh.html)
[ -n "$remote" ] && [ -n "$zh" ]
check $? "both pages have a hit (remote #$remote, zh #$zh)"
: >"$work/recorded" # what the crawl fetched does not count: only the rendering does

# png_check FILE MINWIDTH: signature, IHDR, every IDAT inflated and unfiltered; prints
# "WIDTH HEIGHT COLOURS" (distinct colours, counted up to 1000) or fails.
png_check() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
assert len(raw) == h * (stride + 1)
prev, colours = bytearray(stride), set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if len(colours) < 1000:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
    prev = line
assert w >= int(sys.argv[2]), "width %d" % w
print(w, h, len(colours))
PY
}

expect 0 "" p snapshot "$remote" -o "$work/remote.png"
[ ! -s "$work/recorded" ]
check $? "no request of the rendering reached the recorder ($(wc -l <"$work/recorded") did)"
size=$(png_check "$work/remote.png" 1280)
check $? "the remote page's snapshot decodes as a PNG, 1280 px wide or more ($size)"
[ "${size##* }" -gt 1 ] 2>/dev/null
check $? "the snapshot is not a single colour"
p --json hit show "$remote" >"$work/show.json"
want=$(sha256sum "$work/remote.png" | cut -d' ' -f1)
grep -q "\"snapshot\":\"$want\"" "$work/show.json"
check $? "hit show --json names the PNG's SHA-256 as its snapshot"
p hit show "$remote" | grep -q "^  snapshot *$want"
check $? "hit show prints the snapshot line"
p --json snapshot "$remote" >"$work/again.json"
grep -q "\"snapshot\":\"$want\".*\"rendered\":false" "$work/again.json"
check $? "a second snapshot of the same evidence is the stored one, not rendered again"

fc-list :lang=zh family 2>/dev/null | grep -q .
check $? "a CJK font is installed for Chinese pages (fonts-noto-cjk)"
expect 0 "" p snapshot "$zh" -o "$work/zh.png"
size=$(png_check "$work/zh.png" 1280)
check $? "the Chinese page's snapshot decodes ($size)"
[ "${size##* }" -gt 2 ] 2>/dev/null
check $? "the Chinese page is not blank: its glyphs are drawn"
[ ! -s "$work/recorded" ]
check $? "still no request reached the recorder"

p verify >"$work/out" 2>"$work/err"
check $? "patrol verify checks the stored PNGs like responses"

expect 1 "no hit #999999" p snapshot 999999
expect 2 "not a hit id" p snapshot nonsense
expect 2 "PATROL_CHROMIUM=/nonexistent" env PATROL_CHROMIUM=/nonexistent "$patrol" \
	--config "$work/patrol.yaml" --db "$db" snapshot "$remote"
expect 2 "no chromium" env -u PATROL_CHROMIUM PATH=/nonexistent "$patrol" \
	--config "$work/patrol.yaml" --db "$db" snapshot "$remote"
# A browser that never answers is killed at --timeout, with its process group; one that exits
# at once is reported. Both stand-ins are scripts that note their pid.
printf '#!/bin/sh\necho $$ >"%s/hang.pid"\nsleep 60 &\necho $! >"%s/child.pid"\nwait\n' "$work" "$work" >"$work/hang"
printf '#!/bin/sh\nexit 0\n' >"$work/quit"
chmod +x "$work/hang" "$work/quit"
start=$(date +%s)
expect 1 "took too long" env PATROL_CHROMIUM="$work/hang" "$patrol" --db "$db" snapshot --force \
	--timeout 1 "$remote"
alive() { st=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
[ $(($(date +%s) - start)) -lt 10 ] && ! alive "$(cat "$work/hang.pid")" &&
	! alive "$(cat "$work/child.pid")"
check $? "the hung browser and its child are gone within the timeout"
expect 1 "exited before" env PATROL_CHROMIUM="$work/quit" "$patrol" --db "$db" snapshot --force \
	"$remote"
# Not "no chromium": the browser is there, its profile directory is not.
expect 1 "profile could be made in \$TMPDIR" env TMPDIR="$work/nonexistent" \
	PATROL_CHROMIUM="$work/quit" "$patrol" --db "$db" snapshot --force "$remote"
expect 2 "one ID only" p snapshot "$remote" "$zh" -o "$work/x.png"

# evidence.screenshots (docs/snapshots.md, "Policy"): a fresh store for each policy, the same site.
# conf NAME POLICY: $work/NAME.yaml with evidence.screenshots: POLICY ("" leaves the key out).
conf() {
	sed '/^venues:/,$d' "$work/patrol.yaml" >"$work/$1.yaml"
	[ -n "$2" ] && printf 'evidence:\n  screenshots: %s\n' "$2" >>"$work/$1.yaml"
	sed -n '/^venues:/,$p' "$work/patrol.yaml" >>"$work/$1.yaml"
}
# q NAME CMD...: patrol on $work/NAME.yaml and $work/NAME.db.
q() { qn=$1; shift; "$patrol" --config "$work/$qn.yaml" --db "$work/$qn.db" "$@"; }
has_snapshot() { q "$1" --json hit show "$2" | grep -q '"snapshot":"[0-9a-f]\{64\}"'; }
# id_in NAME PATH: the id of the hit on PATH in NAME's store (ids follow the crawl's order).
id_in() { q "$1" --json hits | python3 -c '
import json, sys
for line in sys.stdin:
    h = json.loads(line)
    if h["url"].endswith(sys.argv[1]):
        print(h["id"]); break' "$2"; }
conf dflt ""
conf off off
conf all all
sed -i "s|seeds: \[\"http://127.0.0.1:$port/\"\]|seeds: [\"http://127.0.0.1:$port/zh.html\"]|" "$work/all.yaml"
q dflt -q crawl >"$work/out" 2>"$work/err" && q off -q crawl >>"$work/out" 2>>"$work/err"
check $? "the site is crawled again into the default and off stores"
remote=$(id_in dflt /remote.html) zh=$(id_in dflt /zh.html) off_remote=$(id_in off /remote.html)
[ -n "$remote" ] && [ -n "$zh" ] && ! has_snapshot dflt "$remote" && ! has_snapshot off "$off_remote"
check $? "a crawl under confirmed or off takes no snapshot"
expect 0 "" q dflt review "$remote" --set confirmed --as tester
grep -q "hit #$remote: snapshot taken" "$work/out" && has_snapshot dflt "$remote"
check $? "confirming a hit under the default (confirmed) takes its snapshot"
expect 0 "" q dflt -q review "$zh" --set dismissed --as tester
! has_snapshot dflt "$zh"
check $? "dismissing one does not"
expect 0 "" q off review "$off_remote" --set confirmed --as tester
! grep -q "snapshot" "$work/out" && ! has_snapshot off "$off_remote"
check $? "under off, confirming takes no snapshot"
expect 0 "warning: snapshot of hit #$zh failed.*review stands" env PATROL_CHROMIUM="$work/quit" \
	"$patrol" --config "$work/dflt.yaml" --db "$work/dflt.db" review "$zh" --set escalated --as tester
q dflt --json hits --status escalated | grep -q "\"id\":$zh,"
check $? "a snapshot that fails is a warning: the escalation stands"
{ cat "$work/dflt.yaml"; echo "no_such_key: 1"; } >"$work/broken.yaml"
expect 0 "warning: no snapshots taken" "$patrol" --config "$work/broken.yaml" --db "$work/dflt.db" \
	review "$zh" --set confirmed --as tester
q dflt --json hits --status confirmed | grep -q "\"id\":$zh,"
check $? "a configuration that does not load costs the snapshot, never the decision"
expect 0 "1 snapshot of a new hit taken" q all crawl # one page, one rendering
has_snapshot all "$(id_in all /zh.html)"
check $? "under all, the crawl pictures its new hits"

# The hit page's button (review UI): log in with curl, take the zh hit's snapshot, see the PNG.
token=$(q dflt -q users add alice)
# serve_ui NAME SECONDS [ENV...]: patrol serve on NAME's store with ENV, --snapshot-timeout
# SECONDS; sets url, spid and csrf (logged in).
serve_ui() {
	sn=$1 secs=$2
	shift 2
	# Emptied here, not only by the redirection below: that one happens in the background
	# child, and wait_serving, run at once, could still read the last server's "serving" line.
	: >"$work/serve.out"
	env "$@" "$patrol" --config "$work/$sn.yaml" --db "$work/$sn.db" serve --listen 127.0.0.1:0 \
		--snapshot-timeout "$secs" >"$work/serve.out" 2>&1 3>&- &
	spid=$!
	wait_serving "$work/serve.out" $spid
	url=$(sed -n 's/^serving \(http:[^ ]*\) .*/\1/p' "$work/serve.out")
	rm -f "$work/jar"
	curl -s -o /dev/null -c "$work/jar" -d "name=alice&token=$token" "${url}login"
	curl -s -b "$work/jar" -o "$work/page" "${url}hit/$zh"
	csrf=$(sed -n 's/.*<meta name="csrf" content="\([0-9a-f]*\)".*/\1/p' "$work/page")
}
stop_ui() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
post_snap() {
	curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$work/jar" -d "csrf=$1" \
		"${url}hit/$zh/snapshot"
}
if ! command -v curl >/dev/null 2>&1; then
	skip "curl is not installed: the review UI's button is not tested"
else
	serve_ui dflt 1 PATROL_CHROMIUM="$work/hang"
	[ ${#csrf} -eq 64 ] && grep -q '<button id="snapbtn">Take snapshot</button>' "$work/page"
	check $? "the hit page offers Take snapshot"
	case $(post_snap "") in 403*) true ;; *) false ;; esac
	check $? "the button's POST without the CSRF token is refused"
	case $(post_snap "$csrf") in *"/hit/$zh?snap=timeout") true ;; *) false ;; esac
	check $? "a rendering past --snapshot-timeout comes back to the hit page as timed out"
	curl -s -b "$work/jar" -o "$work/page" "${url}hit/$zh?snap=timeout"
	grep -q 'took longer than its time limit' "$work/page" && ! has_snapshot dflt "$zh"
	check $? "the hit page says the rendering timed out; nothing is stored"
	stop_ui
	serve_ui dflt 1 PATROL_CHROMIUM=/nonexistent
	grep -q '<button id="snapbtn" disabled>' "$work/page" && grep -q 'No browser on the server' "$work/page"
	check $? "without a browser the button is disabled and says why"
	stop_ui
	serve_ui dflt 120 # a browser's start takes seconds on a loaded machine
	curl -s -b "$work/jar" -o "$work/png" -w '%{http_code}' "${url}hit/$zh/snapshot.png" | grep -q 404
	check $? "no snapshot yet: its PNG is not found"
	# The button when there is none was checked above; a confirmation comes first here.
	loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$work/jar" \
		-d "csrf=$csrf&id=$zh&action=confirm&return=/hit/$zh" "${url}review")
	case $loc in "303 "*"/hit/$zh?snap=auto-queued") true ;; *) false ;; esac
	check $? "confirming in the UI queues the snapshot and returns at once ($loc)"
	curl -s -b "$work/jar" -o "$work/page" "${url}hit/$zh?snap=auto-queued"
	grep -q 'being taken in the background' "$work/page"
	check $? "the hit page says the snapshot is being taken"
	for _ in $(seq 1 240); do
		has_snapshot dflt "$zh" && break
		sleep 0.5
	done
	has_snapshot dflt "$zh"
	check $? "the background renderer stores it"
	curl -s -b "$work/jar" -o "$work/page" "${url}hit/$zh"
	grep -q "<img class=\"snap\" id=\"snapimg\" alt=\"[^\"]*\" src=\"/hit/$zh/snapshot.png\">" "$work/page" &&
		grep -q '<button id="snapbtn">Retake snapshot</button>' "$work/page"
	check $? "the hit page shows the PNG and offers Retake"
	case $(post_snap "$csrf") in *"/hit/$zh?snap=taken") true ;; *) false ;; esac
	check $? "Retake renders again and comes back to the hit page"
	curl -s -b "$work/jar" -o "$work/page" "${url}hit/$zh?snap=taken"
	grep -q 'Snapshot taken.' "$work/page" && grep -q 'id="snapimg"' "$work/page"
	check $? "the hit page says it was taken and shows it"
	curl -s -b "$work/jar" -D "$work/head" -o "$work/png" "${url}hit/$zh/snapshot.png" &&
		grep -qi '^content-type: image/png' "$work/head"
	check $? "the PNG is served as image/png"
	want=$(q dflt --json hit show "$zh" | sed -n 's/.*"snapshot":"\([0-9a-f]*\)".*/\1/p')
	[ "$(sha256sum "$work/png" | cut -d' ' -f1)" = "$want" ] && png_check "$work/png" 1280 >/dev/null
	check $? "it is the stored snapshot, and decodes"
	stop_ui
fi

# A hit whose record names no evidence (as hits stored before schema 4 do): its digest zeroed
# on disk with mdb_dump/mdb_load.
if command -v mdb_dump >/dev/null 2>&1 && command -v mdb_load >/dev/null 2>&1; then
	ev=$(p --json hits | python3 -c '
import json, sys
for line in sys.stdin:
    h = json.loads(line)
    if h["id"] == int(sys.argv[1]): print(h["evidence"])' "$zh")
	mdb_dump -s hits "$db" >"$work/hits.dump" &&
		python3 - "$work/hits.dump" "$work/hits.bad" "$ev" <<'PY' &&
import sys
text = open(sys.argv[1]).read()
assert sys.argv[3] in text
open(sys.argv[2], "w").write(text.replace(sys.argv[3], "0" * 64))
PY
		mdb_load -s hits -f "$work/hits.bad" "$db" 2>"$work/err"
	check $? "the zh hit's evidence is cleared on disk"
	expect 1 "has no evidence stored" p snapshot "$zh"
else
	skip "mdb_dump/mdb_load not installed"
fi
tap_end
