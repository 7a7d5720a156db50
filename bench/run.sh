#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# patrol's crawler benchmark against peer tools (wget -r, Scrapy, Crawlee), run by hand, never in CI.
# Generates a synthetic forum (cached under bench/.cache), serves it with a private nginx on
# 127.0.0.1 (own config in a temp dir, stopped by a trap), crawls it with each tool under
# /usr/bin/time -v and a time bound, and writes a markdown table to bench/results/.
# Pages are counted from nginx's access log (HTML 200s), the same way for every tool.
#
#   bench/run.sh                 peers: wget, Scrapy, Crawlee, patrol, Gumbo parse-and-walk floor
#   N=2000 bench/run.sh          a quick run
#   bench/run.sh politeness      200 hosts (ports) at 1 s per-host delay: patrol against the bound
#   bench/run.sh frontier        patrol's memory for a 20,000- and a 1,000,000-URL frontier
#   bench/run.sh matcher         the rule matcher on 128 MiB of forum text against rg, yara, PCRE2
#
# Environment: N (pages, default 20000); TOOLS (default "gumbo wget scrapy crawlee crawlee-mem
# patrol"); TIMEOUT (seconds per tool, default 180: a tool stopped there is measured on the pages it
# got); PATROL (binary, default build/cli/patrol, built with make when missing); HOSTS (politeness
# run, default 200); DELAY_MS (default 1000); EXTRA_RULES=0 (politeness run with the shipped packs
# only); SITES (frontier run, default "141x2 100x3": links per page x levels of each crawl's site);
# BENCH_CACHE (default bench/.cache); KEEP=1 (keep the work directory); PATROL_REV (how to name
# PATROL in the report). The frontier run's TIMEOUT defaults to 300. The matcher run: PATROL_BUILD
# (a meson build of patrol to link against, default build/), CORE (the one core, default 1),
# CORPUS_MIB (default 128), PCRE2_MIB (text for the PCRE2 row, default 16; 0: all), RUNS (runs of
# each patrol, rg and yara row, the fastest kept; default 3), PROFILE=1 (perf record of patrol's
# matcher into the report). docs/bench.md explains it.
set -euo pipefail

MODE=${1:-peers}
case "$MODE" in
peers | politeness | frontier | matcher) ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: bench/run.sh [peers|politeness|frontier|matcher]" >&2
	exit 2
	;;
esac

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
N=${N:-20000}
TOOLS=${TOOLS:-gumbo wget scrapy crawlee crawlee-mem patrol}
[ "$MODE" != frontier ] || TIMEOUT=${TIMEOUT:-300}
TIMEOUT=${TIMEOUT:-180}
# Seconds between the bound's SIGINT and a SIGKILL. A frontier crawl stopped there still commits
# the links of the pages it fetched, thousands of pushes, before it exits.
KILL_AFTER=10
[ "$MODE" != frontier ] || KILL_AFTER=60
PATROL_BUILD=${PATROL_BUILD:-$ROOT/build}
PATROL=${PATROL:-$PATROL_BUILD/cli/patrol}
HOSTS=${HOSTS:-200}
DELAY_MS=${DELAY_MS:-1000}
SITES=${SITES:-141x2 100x3}
CACHE=${BENCH_CACHE:-$BENCH/.cache}
SYS_PY=/usr/bin/python3 # Debian's python, the one python3-scrapy installs into

say() { printf '== %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# --- what is needed -------------------------------------------------------------------------

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
APT_UPDATED=

apt_install() {
	[ $# -gt 0 ] || return 0
	if [ -z "$APT_UPDATED" ]; then
		say "apt-get update"
		$SUDO apt-get update -qq
		APT_UPDATED=1
	fi
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

install_missing() {
	local pkgs=()
	if [ "$MODE" = matcher ]; then
		install_matcher_deps
		return
	fi
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light)
	command -v wget >/dev/null || pkgs+=(wget)
	[ -x /usr/bin/time ] || pkgs+=(time)
	command -v curl >/dev/null || pkgs+=(curl)
	command -v bc >/dev/null || pkgs+=(bc)
	command -v mdb_stat >/dev/null || pkgs+=(lmdb-utils) # the frontier run counts `seen`
	command -v cc >/dev/null || pkgs+=(gcc)
	command -v pkg-config >/dev/null || pkgs+=(pkg-config)
	pkg-config --exists gumbo 2>/dev/null || pkgs+=(libgumbo-dev)
	[ -x "$SYS_PY" ] && "$SYS_PY" -c 'import scrapy' 2>/dev/null || pkgs+=(python3-scrapy)
	command -v npm >/dev/null || pkgs+=(nodejs npm)
	if ! apt_install "${pkgs[@]}"; then
		# nginx-light is gone from some releases; plain nginx serves files just as well.
		[[ " ${pkgs[*]} " == *" nginx-light "* ]] && pkgs=("${pkgs[@]/nginx-light/nginx}")
		apt_install "${pkgs[@]}" || die "could not install: ${pkgs[*]}"
	fi
	if [ ! -d "$BENCH/crawlee/node_modules/crawlee" ]; then
		say "npm ci in bench/crawlee (the pinned Crawlee)"
		(cd "$BENCH/crawlee" && npm ci --no-audit --no-fund --loglevel=error) ||
			say "Crawlee could not be installed; its row will say so"
	fi
	if [ ! -x "$PATROL" ]; then
		say "building patrol (make)"
		make -C "$ROOT" >/dev/null
	fi
}

# --- the forum --------------------------------------------------------------------------------

# The cache key names the page count, hosts and the generator's own hash: change forum-gen.py and
# the site is generated anew.
forum_dir() {
	local hosts=$1 hash
	hash=$(sha256sum "$BENCH/forum-gen.py" | cut -c1-10)
	echo "$CACHE/forum-n$N-h$hosts-$hash"
}

ensure_forum() {
	local hosts=$1 dir
	dir=$(forum_dir "$hosts")
	if [ ! -f "$dir/manifest.json" ]; then
		say "generating the forum: $N pages over $hosts host(s) into $dir"
		rm -rf "$dir.tmp" "$dir"
		mkdir -p "$CACHE"
		python3 "$BENCH/forum-gen.py" --pages "$N" --hosts "$hosts" "$dir.tmp" >/dev/null
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# --- nginx ------------------------------------------------------------------------------------

WORK=
NGINX_PID=
WATCH_PID=

cleanup() {
	[ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null || true
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
	fi
	if [ -n "$WORK" ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$WORK"
	elif [ -n "$WORK" ]; then
		say "work directory kept: $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints the first port of COUNT consecutive ports free on 127.0.0.1.
free_ports() {
	"$SYS_PY" - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 60000 - count)
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no free port range")
EOF
}

# nginx_run CONF_BODY PROBE_PORT: nginx with the shared http settings around CONF_BODY (its
# server blocks), started in the foreground of a background job; waits until PROBE_PORT answers.
nginx_run() {
	local body=$1 probe=$2 conf=$WORK/nginx/nginx.conf i
	mkdir -p "$WORK/nginx/tmp"
	{
		# Workers run as the invoking user so that they can read the generated site wherever
		# the checkout lives; they serve on 127.0.0.1 only.
		echo "user $(id -un) $(id -gn);"
		echo "worker_processes 1;"
		echo "pid $WORK/nginx/nginx.pid;"
		echo "error_log $WORK/nginx/error.log warn;"
		echo "events { worker_connections 4096; }"
		echo "http {"
		echo "  types { text/html html; text/css css; application/javascript js; image/gif gif;"
		echo "          image/png png; text/plain txt; application/json json; }"
		echo "  default_type application/octet-stream;"
		echo "  log_format bench '\$server_port \$status \$body_bytes_sent \$msec \$request_uri';"
		echo "  access_log $WORK/nginx/access.log bench;"
		echo "  client_body_temp_path $WORK/nginx/tmp;"
		echo "  sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 60;"
		echo "$body"
		echo "}"
	} >"$conf"
	: >"$WORK/nginx/access.log"
	nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$conf" -g 'daemon off;' &
	NGINX_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -fsS -o /dev/null "http://127.0.0.1:$probe/robots.txt" 2>/dev/null && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/nginx/error.log" >&2 || true
	die "nginx did not start"
}

# start_nginx ROOT_DIR HOSTS BASE_PORT: host i serves ROOT_DIR (one host) or ROOT_DIR/h%03d.
start_nginx() {
	local root=$1 hosts=$2 base=$3 i dir servers=
	for ((i = 0; i < hosts; i++)); do
		dir=$root
		[ "$hosts" -eq 1 ] || dir=$(printf '%s/h%03d' "$root" "$i")
		servers+="  server { listen 127.0.0.1:$((base + i)); root $dir; index index.html; }"$'\n'
	done
	nginx_run "$servers" $((base + hosts - 1))
}

# --- measuring --------------------------------------------------------------------------------

RESULTS=() # "tool|pages|wall_s|cpu_s|rss_kb|note"

# measure NAME CMD...: runs CMD under /usr/bin/time -v and a time bound; appends a result row.
measure() {
	local name=$1 before after t0 t1 rc=0 pages wall cpu rss note= load
	shift
	sync
	load=$(cut -d' ' -f1 /proc/loadavg)
	before=$(wc -l <"$WORK/nginx/access.log")
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$WORK/$name.time" timeout -k "$KILL_AFTER" -s INT "$TIMEOUT" "$@" \
		>"$WORK/$name.log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	sleep 0.2 # let nginx write the last log lines
	after=$(wc -l <"$WORK/nginx/access.log")
	# Distinct HTML pages served with 200: the same count for every tool, whatever it says itself.
	pages=$(sed -n "$((before + 1)),${after}p" "$WORK/nginx/access.log" |
		awk '$2 == 200 && ($5 ~ /\.html$/ || $5 ~ /\/$/) && !seen[$1 $5]++ { n++ } END { print n + 0 }')
	wall=$(echo "$t1 - $t0" | bc -l)
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$WORK/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/$name.time")
	[ "$rc" -eq 124 ] && note="stopped at the ${TIMEOUT} s bound"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && note="exit status $rc (log: $name.log)"
	note="load $load before${note:+; $note}"
	RESULTS+=("$name|$pages|$wall|$cpu|${rss:-0}|$note")
	say "$name: $([ "$name" = gumbo ] || echo "$pages pages served in ")$(printf '%.1f' "$wall") s, $cpu CPU-s, $((${rss:-0} / 1024)) MB; $note"
}

skip() { RESULTS+=("$1|0|0|0|0|$2"); say "$1: skipped: $2"; }

# --- the tools --------------------------------------------------------------------------------

run_wget() {
	measure wget wget -r -np -l inf -nv -P "$WORK/wget-mirror" "$SEED"
	rm -rf "$WORK/wget-mirror"
}

run_scrapy() {
	if ! "$SYS_PY" -c 'import scrapy' 2>/dev/null; then
		skip scrapy "python3-scrapy is not installed"
		return
	fi
	# The bound's SIGINT makes Scrapy close the spider cleanly.
	measure scrapy "$SYS_PY" -m scrapy runspider "$BENCH/scrapy_spider.py" -a "seed=$SEED"
}

run_crawlee() {
	if [ ! -d "$BENCH/crawlee/node_modules/crawlee" ]; then
		skip crawlee "Crawlee is not installed (npm ci in bench/crawlee failed)"
		return
	fi
	# Crawlee as it ships: its request queue and state are persisted to CRAWLEE_STORAGE_DIR.
	CRAWLEE_STORAGE_DIR="$WORK/crawlee-storage" BENCH_TIMEOUT_S="$((TIMEOUT + 30))" \
		measure crawlee node "$BENCH/crawlee/crawl.mjs" "$SEED"
	rm -rf "$WORK/crawlee-storage"
}

# Crawlee with its storage in memory only (CRAWLEE_PERSIST_STORAGE=false): its fastest set-up,
# the one the ratio goals are judged against.
run_crawlee_mem() {
	if [ ! -d "$BENCH/crawlee/node_modules/crawlee" ]; then
		skip crawlee-mem "Crawlee is not installed (npm ci in bench/crawlee failed)"
		return
	fi
	CRAWLEE_PERSIST_STORAGE=false CRAWLEE_STORAGE_DIR="$WORK/crawlee-storage" \
		BENCH_TIMEOUT_S="$((TIMEOUT + 30))" measure crawlee-mem node "$BENCH/crawlee/crawl.mjs" "$SEED"
	rm -rf "$WORK/crawlee-storage"
}

# What this build of patrol accepts: the crawler grows options while this benchmark exists.
patrol_has() { "$WORK/patrol" --help 2>&1 | grep -q -- "$1" || "$WORK/patrol" crawl --help 2>&1 | grep -q -- "$1"; }

# write_patrol_config FILE DELAY_MS PER_HOST_CONNECTIONS RULES SEED...: a patrol.yaml
# (docs/venues.md) with one venue whose scope is the seeds' host:port pairs; RULES is the YAML
# list's inside.
write_patrol_config() {
	local file=$1 delay=$2 conns=$3 rules=$4 s
	shift 4
	{
		echo "crawler:"
		echo "  user_agent: \"patrol-bench (+http://127.0.0.1/)\""
		echo "  connections: 32"
		echo "rules: [$rules]"
		echo "venues:"
		echo "  - id: bench-forum"
		echo "    name: patrol benchmark forum"
		echo "    operator: bench/run.sh"
		echo "    registration: \"synthetic, served on 127.0.0.1 only\""
		echo "    category: forum"
		echo "    seeds:"
		for s in "$@"; do echo "      - \"$s\""; done
		echo "    scope:"
		echo "      hosts:"
		for s in "$@"; do s=${s#http://}; echo "        - \"${s%%/*}\""; done
		echo "    politeness: { delay_ms: $delay, connections: $conns }"
		echo "    allow_private_addresses: true"
	} >"$file"
}

# patrol_config_ok FILE: this build reads venues from patrol.yaml and accepts FILE.
patrol_config_ok() {
	patrol_has --config || return 1
	if ! "$WORK/patrol" --config "$1" venues check >"$WORK/venues-check.log" 2>&1; then
		say "patrol --config $1 venues check failed: $(head -3 "$WORK/venues-check.log")"
		return 1
	fi
}

run_patrol() {
	python3 "$BENCH/gen-rules.py" -o "$WORK/gen.yaml"
	local flags=(--db "$WORK/patrol-db" --json crawl --seed "$SEED" --allow-private --connections 32
		--rules "$ROOT/rules/packs" --rules "$WORK/gen.yaml")
	PATROL_HOW="ad-hoc venue from --seed (this build has no --config)"
	write_patrol_config "$WORK/patrol.yaml" 0 32 "$ROOT/rules/packs, $WORK/gen.yaml" "$SEED"
	if patrol_config_ok "$WORK/patrol.yaml"; then
		PATROL_HOW="venue bench-forum from patrol.yaml, politeness { delay_ms: 0, connections: 32 }"
		measure patrol "$WORK/patrol" --db "$WORK/patrol-db" --config "$WORK/patrol.yaml" --json \
			crawl --venue bench-forum
		if grep -q 'exit status 2 ' <<<"${RESULTS[-1]}"; then
			# This build reads patrol.yaml but does not crawl a venue from it yet: use flags.
			say "patrol crawl --venue from patrol.yaml: $(head -1 "$WORK/patrol.log"); using --seed"
			PATROL_HOW="ad-hoc venue from --seed (crawl --venue said: $(head -1 "$WORK/patrol.log"))"
			unset 'RESULTS[-1]'
			rm -rf "$WORK/patrol-db"
			measure patrol "$WORK/patrol" "${flags[@]}"
		fi
	else
		measure patrol "$WORK/patrol" "${flags[@]}"
	fi
	patrol_summary patrol
}

# patrol_summary NAME: patrol's own summary and the hits it stored, for the report.
patrol_summary() {
	local summary hits
	summary=$(grep -h '^{' "$WORK/$1.log" | tail -1 || true)
	hits=$("$WORK/patrol" --db "$WORK/patrol-db" --json hits 2>/dev/null | grep -c '^{' || true)
	PATROL_SUMMARY+="- $1: $PATROL_HOW; ${summary:-no summary (stopped at the bound)}; $hits hits in the store"
	PATROL_SUMMARY+=" (the forum has $(sed -n 's/.*"planted_posts": \([0-9]*\).*/\1/p' "$FORUM/manifest.json") planted posts)"$'\n'
	rm -rf "$WORK/patrol-db"
}

# Not in the default TOOLS: patrol with the shipped packs only, to see what the 1,000 extra rules
# cost (the difference to the patrol row).
run_patrol-packs() {
	write_patrol_config "$WORK/patrol-packs.yaml" 0 32 "$ROOT/rules/packs" "$SEED"
	if patrol_config_ok "$WORK/patrol-packs.yaml"; then
		PATROL_HOW="venue bench-forum from patrol.yaml, politeness off, shipped packs only"
		measure patrol-packs "$WORK/patrol" --db "$WORK/patrol-db" --config \
			"$WORK/patrol-packs.yaml" --json crawl --venue bench-forum
	else
		PATROL_HOW="ad-hoc venue from --seed, shipped packs only"
		measure patrol-packs "$WORK/patrol" --db "$WORK/patrol-db" --json crawl --seed "$SEED" \
			--allow-private --connections 32 --rules "$ROOT/rules/packs"
	fi
	patrol_summary patrol-packs
}

GUMBO_LINE=
run_gumbo() {
	make -s -C "$BENCH" OUT="$WORK" >/dev/null
	measure gumbo "$WORK/gumbo_walk" "$FORUM"
	GUMBO_LINE=$(tail -1 "$WORK/gumbo.log")
}

# --- the report -------------------------------------------------------------------------------

field() { echo "$1" | cut -d'|' -f"$2"; }
num() { LC_ALL=C printf "%'.${2:-0}f" "$1"; }

# table: the markdown table of RESULTS, with ratios against patrol's pages per CPU-second.
table() {
	local r name pages wall cpu rss note pcpu=0 row
	for r in "${RESULTS[@]}"; do
		[ "$(field "$r" 1)" = patrol ] && [ "$(field "$r" 2)" -gt 0 ] &&
			pcpu=$(echo "$(field "$r" 4) * 1000 / $(field "$r" 2)" | bc -l)
	done
	echo "| tool | pages | wall s | pages/s | CPU-s per 1,000 pages | peak RSS MB | patrol's pages per CPU-s ÷ tool's | note |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	for r in "${RESULTS[@]}"; do
		IFS='|' read -r name pages wall cpu rss note <<<"$r"
		[ "$name" = gumbo ] && continue
		if [ "$pages" -eq 0 ]; then
			echo "| $name | 0 | | | | | | ${note:-no pages} |"
			continue
		fi
		local per1k ratio="n/a"
		per1k=$(echo "$cpu * 1000 / $pages" | bc -l)
		[ "$(echo "$pcpu > 0" | bc)" -eq 1 ] && ratio="$(num "$(echo "$per1k / $pcpu" | bc -l)" 2)×"
		row="| $name | $(num "$pages") | $(num "$wall" 1) | $(num "$(echo "$pages / $wall" | bc -l)")"
		row+=" | $(num "$per1k" 2) | $(num "$(echo "$rss / 1024" | bc -l)") | $ratio | $note |"
		echo "$row"
	done
}

gumbo_report() {
	local r pages cpu
	for r in "${RESULTS[@]}"; do
		[ "$(field "$r" 1)" = gumbo ] || continue
		echo
		echo "Gumbo parse-and-walk floor (bench/gumbo_walk.c, one core, GBK pages converted first):"
		echo "\`$GUMBO_LINE\`"
		local ms
		ms=$(echo "$GUMBO_LINE" | sed -n 's/.*ms_per_page=\([0-9.]*\).*/\1/p')
		for r in "${RESULTS[@]}"; do
			[ "$(field "$r" 1)" = patrol ] && [ "$(field "$r" 2)" -gt 0 ] && [ -n "$ms" ] || continue
			pages=$(field "$r" 2)
			cpu=$(field "$r" 4)
			echo "patrol's whole-pipeline CPU per page: $(num "$(echo "$cpu * 1000 / $pages" | bc -l)" 2) ms" \
				"= $(num "$(echo "$cpu * 1000 / $pages / $ms" | bc -l)" 2)× the Gumbo floor (goal: at most 1.5×)."
		done
	done
}

machine() {
	echo "- machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
		"$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
	if [ "$MODE" = matcher ]; then
		echo "- $(rg --version 2>/dev/null | head -1), yara $(yara --version), PCRE2 $(pkg-config --modversion libpcre2-8)," \
			"Vectorscan $(pkg-config --modversion libhs); patrol's libraries from $PATROL_BUILD," \
			"${PATROL_REV:-checkout at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- rules parsers common 2>/dev/null || echo ' with uncommitted changes in rules/, parsers/ or common/')}"
		return
	fi
	echo "- nginx $(nginx -v 2>&1 | sed 's/.*\///'), 1 worker on the same 2 cores; $(wget --version | head -1 | cut -d' ' -f1-3)," \
		"Scrapy $("$SYS_PY" -c 'import scrapy; print(scrapy.__version__)' 2>/dev/null || echo '-'), Crawlee" \
		"$(node -p "require('$BENCH/crawlee/node_modules/crawlee/package.json').version" 2>/dev/null || echo '-')" \
		"(node $(node --version 2>/dev/null || echo '-')), $("$WORK/patrol" --version 2>/dev/null | head -1)" \
		"$(patrol_origin)"
}

# Where the patrol under test comes from: the checkout's build, or a binary named by PATROL.
patrol_origin() {
	if [ "$PATROL" = "$ROOT/build/cli/patrol" ]; then
		echo "(build/cli/patrol, checkout at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
			git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes'))"
	else
		echo "(PATROL=$PATROL${PATROL_REV:+, $PATROL_REV})"
	fi
}

write_report() {
	local out=$1 title=$2 body=$3
	mkdir -p "$BENCH/results"
	# A second run on the same day keeps the first one's file.
	[ ! -e "$out" ] || out=${out%.md}-$(date +%H%M).md
	{
		echo "# $title"
		echo
		echo "$STARTED to $(date '+%H:%M %Z'), \`$4\`"
		echo
		machine
		echo
		echo "$body"
	} >"$out"
	echo
	cat "$out"
	say "written to ${out#"$ROOT"/}"
}

# --- modes ------------------------------------------------------------------------------------

peers() {
	FORUM=$(ensure_forum 1)
	local base
	base=$(free_ports 1)
	start_nginx "$FORUM" 1 "$base"
	SEED="http://127.0.0.1:$base/"
	PATROL_SUMMARY=
	local t
	for t in $TOOLS; do
		case "$t" in
		gumbo | wget | scrapy | crawlee | patrol | patrol-packs) "run_$t" ;;
		crawlee-mem) run_crawlee_mem ;;
		*) die "unknown tool '$t' in TOOLS" ;;
		esac
	done
	local body
	body="- forum: $(tr -d '\n ' <"$FORUM/manifest.json" | sed 's/[{}"]//g; s/,/, /g')
$PATROL_SUMMARY- every tool: pages = distinct HTML pages nginx served with 200 during its run; CPU = user+sys of the tool's
  process tree (/usr/bin/time -v), nginx not included; time bound ${TIMEOUT} s per tool.

$(table)
$(gumbo_report)"
	local name
	name=$(date +%F)
	[ "$N" -eq 20000 ] || name+="-n$N"
	[ "$TIMEOUT" -eq 180 ] || name+="-t$TIMEOUT"
	[ "$TOOLS" = "gumbo wget scrapy crawlee crawlee-mem patrol" ] || name+="-custom"
	write_report "$BENCH/results/$name.md" "Crawler benchmark: $N pages" "$body" \
		"N=$N TOOLS=\"$TOOLS\" TIMEOUT=$TIMEOUT bench/run.sh"
}

politeness() {
	if ! patrol_has --config; then
		echo "bench: this patrol has no --config (venue politeness settings): the politeness run is skipped."
		echo "bench: it needs the venue registry of issue 3; rerun bench/run.sh politeness once it lands."
		return 0
	fi
	say "the politeness run: $N pages over $HOSTS hosts, delay_ms $DELAY_MS"
	FORUM=$(ensure_forum "$HOSTS")
	local base i seeds=() ideal
	# At the bound the crawl takes N x delay / hosts seconds; allow twice that.
	ideal=$((N * DELAY_MS / 1000 / HOSTS))
	[ "$TIMEOUT" -ge $((2 * ideal + 30)) ] || TIMEOUT=$((2 * ideal + 30))
	base=$(free_ports "$HOSTS")
	start_nginx "$FORUM" "$HOSTS" "$base"
	for ((i = 0; i < HOSTS; i++)); do seeds+=("http://127.0.0.1:$((base + i))/"); done
	SEED=${seeds[0]}
	python3 "$BENCH/gen-rules.py" -o "$WORK/gen.yaml"
	# EXTRA_RULES=0: the shipped packs only, so that per-page CPU does not hide the scheduling.
	local rules="$ROOT/rules/packs, $WORK/gen.yaml"
	[ "${EXTRA_RULES:-1}" = 1 ] || rules="$ROOT/rules/packs"
	write_patrol_config "$WORK/patrol.yaml" "$DELAY_MS" 1 "$rules" "${seeds[@]}"
	patrol_config_ok "$WORK/patrol.yaml" || die "patrol does not accept the generated patrol.yaml"
	measure patrol "$WORK/patrol" --db "$WORK/patrol-db" --config "$WORK/patrol.yaml" --json \
		crawl --venue bench-forum
	if grep -q 'exit status 2 ' <<<"${RESULTS[-1]}"; then
		echo "bench: patrol reads patrol.yaml but does not crawl a venue from it yet:"
		head -3 "$WORK/patrol.log"
		echo "bench: the politeness run is skipped; rerun bench/run.sh politeness once it does."
		return 0
	fi
	local r pages wall bound
	r=${RESULTS[-1]}
	pages=$(field "$r" 2)
	wall=$(field "$r" 3)
	bound=$(echo "$HOSTS * 1000 / $DELAY_MS" | bc -l)
	local rate body
	rate=$(echo "$pages / $wall" | bc -l)
	body="- forum: $(tr -d '\n ' <"$FORUM/manifest.json" | sed 's/[{}"]//g; s/,/, /g')
- rules: $rules
- $HOSTS hosts (ports $base-$((base + HOSTS - 1))), politeness delay_ms $DELAY_MS, 1 connection per host:
  the bound is hosts ÷ delay = $(num "$bound") pages/s, and robots.txt takes one request per host too.

$(table)

patrol: $(num "$rate" 1) pages/s = $(num "$(echo "100 * $rate / $bound" | bc -l)" 1) % of the politeness bound (goal: at least 95 %)."
	write_report "$BENCH/results/$(date +%F)-politeness.md" "Politeness benchmark: $N pages over $HOSTS hosts" \
		"$body" "N=$N HOSTS=$HOSTS DELAY_MS=$DELAY_MS EXTRA_RULES=${EXTRA_RULES:-1} bench/run.sh politeness"
}

# --- the frontier run -------------------------------------------------------------------------

# frontier_server PORT FANOUT LEVELS: an nginx server block for a site of two small files that
# answers every path /p/, /p/N/, /p/N/M/, ...: a page less than LEVELS segments below /p/
# (links.html) links to FANOUT pages one level down (relative links 0/ to FANOUT-1/), a deeper one
# (leaf.html) links nowhere. From the seed /p/ the site has 1 + FANOUT + ... + FANOUT^LEVELS
# distinct URLs, every one of them new when first seen, so a breadth-first crawl holds them all
# in its frontier once it has fetched the pages of the first LEVELS levels. (A page cannot hold
# its own number in the links: nginx's `return` text is capped at 4 KB, and SSI is not in every
# nginx build.) Keep LEVELS at most 4: /p/3/3/3/3/ has max_repeated_segments' 3 repeats.
frontier_server() {
	local port=$1 fanout=$2 levels=$3 k dir=$WORK/site-${2}x$3 head tail
	head='<!doctype html><html><head><meta charset="utf-8"><title>Board</title></head><body>'
	head+='<h1>Board</h1><p>Threads about the weather, allotments, second-hand bicycles and the best'
	head+=' noodles near the station. Read the rules before you post.</p><ul>'
	tail='</ul></body></html>'
	mkdir -p "$dir"
	{
		echo "$head"
		for ((k = 0; k < fanout; k++)); do echo "<li><a href=\"$k/\">thread $k</a>"; done
		echo "$tail"
	} >"$dir/links.html"
	echo "$head$tail" >"$dir/leaf.html"
	printf 'User-agent: *\nAllow: /\n' >"$dir/robots.txt"
	echo "  server {"
	echo "    listen 127.0.0.1:$port; root $dir; default_type text/html;"
	echo "    location = /robots.txt { }"
	echo "    location ~ \"^/p/([0-9]+/){0,$((levels - 1))}\$\" { try_files /links.html =404; }"
	echo "    location ~ \"^/p/([0-9]+/)+\$\" { try_files /leaf.html =404; }"
	echo "    location / { return 404; }"
	echo "  }"
}

# site_urls FANOUT LEVELS: 1 + FANOUT + ... + FANOUT^LEVELS.
site_urls() { echo "s = 0; p = 1; for (i = 0; i <= $2; i++) { s += p; p *= $1 }; s" | bc; }

# db_seen DIR: URLs the store's frontier has ever seen (entries of `seen`, mdb_stat), empty when
# it cannot tell. A read transaction only: it runs beside the crawl.
db_seen() {
	command -v mdb_stat >/dev/null && [ -f "$1/data.mdb" ] || return 0
	mdb_stat -s seen "$1" 2>/dev/null | awk '/Entries:/ { print $2 }'
}

# The crawl under test: our copy of patrol (WORK is unique) running "crawl", not a stats reader.
crawl_pid() { pgrep -n -f "^$WORK/patrol .* crawl " || true; }

# watch_start NAME: once a second, a line "seconds VmRSS RssAnon RssFile RssShmem seen VmHWM" (kB;
# seen every 5 s, "-" in between) for the crawl into WORK/NAME.rss, until watch_stop.
# /usr/bin/time gives only the peak of VmRSS; this tells the heap (RssAnon) from LMDB's map
# (RssFile), and VmHWM, the peak so far, says when the peak came.
watch_start() {
	local out=$WORK/$1.rss
	(
		pid='' t0=$(date +%s) n=0
		while :; do
			[ -n "$pid" ] && [ -e "/proc/$pid" ] || pid=$(crawl_pid)
			if [ -n "$pid" ]; then
				seen=-
				[ $((n % 5)) -ne 0 ] || seen=$(db_seen "$WORK/patrol-db")
				awk -v t=$(($(date +%s) - t0)) -v seen="${seen:--}" \
					'/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM):/ { v[$1] = $2 }
					END { if (v["VmRSS:"] != "") print t, v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"], seen, v["VmHWM:"] }' \
					"/proc/$pid/status" 2>/dev/null || true
				n=$((n + 1))
			fi
			sleep 1
		done
	) >"$out" &
	WATCH_PID=$!
}

watch_stop() {
	[ -n "$WATCH_PID" ] || return 0
	kill "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
}

# peak FILE COLUMN: the largest value of a column of a watch file, in MB.
peak() { awk -v c="$2" '$c > m { m = $c } END { printf "%.0f", m / 1024 }' "$1"; }

FRONTIER_ROWS=
FRONTIER_SERIES=

# frontier_crawl FANOUT LEVELS PORT: patrol on a fresh store over the site served on PORT, under
# measure and watch_start; adds a row to FRONTIER_ROWS.
frontier_crawl() {
	local fanout=$1 levels=$2 port=$3 name="frontier-${1}x$2" urls seen stats queued r mb
	urls=$(site_urls "$fanout" "$levels")
	say "$name: a site of $(num "$urls") URLs ($fanout links per page, $levels levels), port $port"
	write_patrol_config "$WORK/$name.yaml" 0 32 "$ROOT/rules/packs" "http://127.0.0.1:$port/p/"
	patrol_config_ok "$WORK/$name.yaml" || die "patrol does not accept the generated patrol.yaml"
	rm -rf "$WORK/patrol-db"
	watch_start "$name"
	measure "$name" "$WORK/patrol" --db "$WORK/patrol-db" --config "$WORK/$name.yaml" --json \
		crawl --venue bench-forum
	watch_stop
	seen=$(db_seen "$WORK/patrol-db")
	stats=$("$WORK/patrol" --db "$WORK/patrol-db" --json stats 2>/dev/null || true)
	queued=$(sed -n 's/.*"queued": *\([0-9]*\).*/\1/p' <<<"$stats")
	mb=$(($(stat -c %s "$WORK/patrol-db/data.mdb" 2>/dev/null || echo 0) / 1048576))
	r=${RESULTS[-1]}
	FRONTIER_ROWS+="| ${fanout} × $levels ($(num "$urls") URLs) | $(num "${seen:-0}") | $(num "${queued:-0}")"
	FRONTIER_ROWS+=" | $(num "$(field "$r" 2)") | $(num "$(field "$r" 3)" 1) | $(num "$(field "$r" 4)" 1)"
	FRONTIER_ROWS+=" | $(num "$(echo "$(field "$r" 5) / 1024" | bc -l)") | $(peak "$WORK/$name.rss" 3)"
	FRONTIER_ROWS+=" | $(peak "$WORK/$name.rss" 4) | $(peak "$WORK/$name.rss" 2) | $mb | $(field "$r" 6) |"$'\n'
	# Every 30 s of the crawl: how the parts of RSS follow the frontier.
	FRONTIER_SERIES+="$name, every 30 s: seconds, frontier (seen), VmRSS, RssAnon, RssFile (MB)"$'\n'
	FRONTIER_SERIES+=$(awk '$6 != "-" && $1 >= next_t { printf "%s%d s %s %d/%d/%d", sep, $1, $6, $2 / 1024, $3 / 1024, $4 / 1024; sep = "; "; next_t = $1 + 30 } END { print "" }' "$WORK/$name.rss")$'\n\n'
	[ -n "${KEEP:-}" ] || rm -rf "$WORK/patrol-db"
}

frontier() {
	local base i=0 site sites fanout levels servers='' first_rss='' last_rss='' body
	read -ra sites <<<"$SITES"
	[ "${#sites[@]}" -ge 1 ] || die "SITES is empty"
	base=$(free_ports "${#sites[@]}")
	for site in "${sites[@]}"; do
		[[ "$site" =~ ^([0-9]+)x([0-9]+)$ ]] || die "SITES: '$site' is not LINKSxLEVELS"
		servers+=$(frontier_server $((base + i)) "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")$'\n'
		i=$((i + 1))
	done
	nginx_run "$servers" $((base + i - 1))
	i=0
	for site in "${sites[@]}"; do
		fanout=${site%x*} levels=${site#*x}
		frontier_crawl "$fanout" "$levels" $((base + i))
		last_rss=$(field "${RESULTS[-1]}" 5)
		[ -n "$first_rss" ] || first_rss=$last_rss
		i=$((i + 1))
	done
	body="- patrol with the shipped packs only, venue bench-forum from patrol.yaml, politeness { delay_ms: 0,
  connections: 32 }, a fresh store per crawl; time bound ${TIMEOUT} s per crawl.
- site: nginx answers /p/, /p/N/, /p/N/M/, ... with one small page; a page links to the given
  number of new pages one level down, for the given number of levels (bench/run.sh, frontier_server).
- frontier: entries of the store's \`seen\` database at the end (every URL queued in the crawl);
  queued: still in the frontier at the end; pages: distinct HTML pages nginx served with 200.
- peak RSS: /usr/bin/time -v; RssAnon (heap) and RssFile (file pages mapped, mostly LMDB's map):
  the largest of /proc/PID/status sampled every second.

| site: links × levels | frontier | queued at the end | pages | wall s | CPU-s | peak RSS MB | peak RssAnon MB | peak RssFile MB | peak VmRSS sampled MB | data.mdb MB | note |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
$FRONTIER_ROWS
Peak RSS of the last crawl ÷ the first: $(num "$(echo "${last_rss:-0} / ${first_rss:-1}" | bc -l)" 2) (issue 3: under 100 MB, and the 1,000,000-URL frontier within 20 % of the small crawl).

$FRONTIER_SERIES"
	write_report "$BENCH/results/$(date +%F)-frontier.md" "Frontier benchmark: patrol's memory as the frontier grows" \
		"$body" "SITES=\"$SITES\" TIMEOUT=$TIMEOUT bench/run.sh frontier"
}

# --- the matcher run --------------------------------------------------------------------------

CORE=${CORE:-1}
CORPUS_MIB=${CORPUS_MIB:-128}
PCRE2_MIB=${PCRE2_MIB:-16}
RUNS=${RUNS:-3}

install_matcher_deps() {
	local pkgs=()
	command -v rg >/dev/null || pkgs+=(ripgrep)
	command -v yara >/dev/null || pkgs+=(yara)
	command -v taskset >/dev/null || pkgs+=(util-linux)
	[ -x /usr/bin/time ] || pkgs+=(time)
	command -v bc >/dev/null || pkgs+=(bc)
	command -v cc >/dev/null || pkgs+=(gcc)
	command -v pkg-config >/dev/null || pkgs+=(pkg-config)
	pkg-config --exists gumbo 2>/dev/null || pkgs+=(libgumbo-dev)
	[ -z "${PROFILE:-}" ] || command -v perf >/dev/null || pkgs+=(linux-perf)
	apt_install "${pkgs[@]}" || die "could not install: ${pkgs[*]}"
	if [ ! -f "$PATROL_BUILD/rules/libpatrol-rules.a" ]; then
		[ "$PATROL_BUILD" = "$ROOT/build" ] || die "$PATROL_BUILD has no rules/libpatrol-rules.a: ninja -C it"
		say "building patrol (make)"
		make -C "$ROOT" >/dev/null
	fi
}

# ensure_corpus FORUM: the corpus directory (bench/corpus_extract.c), extracted once into the
# cache; the key names the forum, the extractor's hash and the size. It does not name patrol's
# parser: after a change to what doc_parse extracts, delete bench/.cache/corpus-*.
ensure_corpus() {
	local forum=$1 dir
	dir="$CACHE/corpus-$(basename "$forum")-$(sha256sum "$BENCH/corpus_extract.c" | cut -c1-10)-m$CORPUS_MIB"
	if [ ! -f "$dir/manifest.json" ]; then
		say "extracting $CORPUS_MIB MiB of body text from $forum into $dir"
		rm -rf "$dir.tmp" "$dir"
		"$WORK/corpus_extract" "$forum" "$dir.tmp" "$CORPUS_MIB" >&2 || die "corpus_extract failed"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# kv LINE KEY: the value of KEY=value in a line of key=value pairs.
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# pinned NAME CMD...: CMD on core CORE under /usr/bin/time, output in WORK/NAME.out; sets
# RUN_CPU (user + sys seconds) and RUN_LOAD (the 1-minute load average before). Exit status 1 is
# "no match" for rg and is accepted.
pinned() {
	local name=$1 rc=0
	shift
	RUN_LOAD=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -f '%U %S' -o "$WORK/$name.time" taskset -c "$CORE" "$@" >"$WORK/$name.out" \
		2>"$WORK/$name.err" || rc=$?
	[ "$rc" -le 1 ] || die "$name: exit status $rc: $(tail -3 "$WORK/$name.err")"
	RUN_CPU=$(tail -1 "$WORK/$name.time" | awk '{ printf "%.3f", $1 + $2 }')
}

ROWS=() # "engine|rules and patterns|bytes|cpu s|hits|load|note"
row() { ROWS+=("$1|$2|$3|$4|$5|$6|$7"); say "$1: $(num "$(mibs "$3" "$4")" 1) MiB/s; $7"; }
mibs() { echo "$1 / 1048576 / $2" | bc -l; }

# matcher_patrol NAME LABEL PACK...: matcher_bench over the corpus; two rows, matching alone and
# normalization plus matching, unless rules_match normalizes itself (then one).
matcher_patrol() {
	local name=$1 label=$2 line flags=(--cache "$CACHE/prefilter") what
	shift 2
	[ "$ENGINE_NORMALIZES" = 1 ] || flags+=(--normalize)
	local run l load=""
	line=""
	for run in $(seq "$RUNS"); do # the fastest run: noise only ever adds time
		pinned "$name" "$WORK/matcher_bench" "${flags[@]}" "$CORPUS/corpus.txt" "$@"
		l=$(head -1 "$WORK/$name.out")
		load=${load:-$RUN_LOAD}
		if [ -z "$line" ] || [ "$(echo "$(kv "$l" match_cpu_s) + $(kv "$l" normalize_cpu_s) < \
			$(kv "$line" match_cpu_s) + $(kv "$line" normalize_cpu_s)" | bc -l)" = 1 ]; then
			line=$l
		fi
	done
	RUN_LOAD=$load
	what="$(num "$(kv "$line" rules)") rules, $(num "$(kv "$line" patterns)") patterns"
	local hits="$(num "$(kv "$line" hits)") on $(num "$(kv "$line" pages_hit)") pages"
	local note="load (compile, or the prefilter cache) $(kv "$line" load_s) s, not counted"
	[ "$(kv "$line" regex_errors)" = 0 ] || note+="; $(kv "$line" regex_errors) pages with a PCRE2 error"
	if [ "$ENGINE_NORMALIZES" = 1 ]; then
		row "patrol: $label, matching (rules_match less the normalized view)" "$what" \
			"$(kv "$line" text_bytes)" "$(echo "$(kv "$line" match_cpu_s) - $(kv "$line" view_cpu_s)" | bc -l)" \
			"$hits" "$RUN_LOAD" "$note; the view alone, built as rules_match builds it, $(kv "$line" view_cpu_s) s"
		row "patrol: $label, normalization + matching (rules_match)" "$what" "$(kv "$line" text_bytes)" \
			"$(kv "$line" match_cpu_s)" "$hits" "$RUN_LOAD" \
			"normalization alone: $(num "$(mibs "$(kv "$line" text_bytes)" "$(kv "$line" view_cpu_s)")") MiB/s"
	else
		row "patrol: $label, matching" "$what" "$(kv "$line" text_bytes)" \
			"$(kv "$line" match_cpu_s)" "$hits" "$RUN_LOAD" "$note"
		row "patrol: $label, normalization + matching" "$what" "$(kv "$line" text_bytes)" \
			"$(echo "$(kv "$line" match_cpu_s) + $(kv "$line" normalize_cpu_s)" | bc -l)" "$hits" \
			"$RUN_LOAD" "normalization alone: $(num "$(mibs "$(kv "$line" text_bytes)" "$(kv "$line" normalize_cpu_s)")") MiB/s"
	fi
	eval "${name//-/_}_LINE=\$line"
}

declare -A PEER_WHOLE # NAME: CPU-s of the peer's whole run over the corpus, start-up included

# matcher_peer NAME LABEL WHAT HITS_HOW CMD...: CMD over the corpus and over an empty file (its
# start-up: compiling the patterns); the row is the difference, the scan alone.
matcher_peer() {
	local name=$1 label=$2 what=$3 hits_how=$4 bytes cpu0 cpu1 hits
	shift 4
	: >"$WORK/empty.txt"
	local run load=""
	cpu0="" cpu1=""
	for run in $(seq "$RUNS"); do # the fastest of each: noise only ever adds time
		pinned "$name-startup" "$@" "$WORK/empty.txt"
		load=${load:-$RUN_LOAD}
		[ -n "$cpu0" ] && [ "$(echo "$RUN_CPU >= $cpu0" | bc -l)" = 1 ] || cpu0=$RUN_CPU
		pinned "$name" "$@" "$CORPUS/corpus.txt"
		[ -n "$cpu1" ] && [ "$(echo "$RUN_CPU >= $cpu1" | bc -l)" = 1 ] || cpu1=$RUN_CPU
	done
	RUN_LOAD=$load
	bytes=$(sed -n 's/.*"text_bytes": \([0-9]*\).*/\1/p' "$CORPUS/manifest.json")
	hits=$(awk '{ s += $NF } END { print s + 0 }' "$WORK/$name.out")
	PEER_WHOLE[$name]=$cpu1
	row "$label" "$what" "$bytes" "$(echo "$cpu1 - $cpu0" | bc -l)" "$(num "$hits") $hits_how" "$RUN_LOAD" \
		"whole run $(num "$cpu1" 2) CPU-s ($(num "$(mibs "$bytes" "$cpu1")" 1) MiB/s), start-up $(num "$cpu0" 2) s not counted"
}

matcher_table() {
	local r name what bytes cpu hits load note base
	base=$(field "${ROWS[0]}" 3)
	base=$(mibs "$base" "$(field "${ROWS[0]}" 4)")
	echo "| engine | rules, patterns | text MiB | CPU s | MiB/s per core | patrol's matching ÷ this | hits | load before | note |"
	echo "|---|---|---:|---:|---:|---:|---|---:|---|"
	for r in "${ROWS[@]}"; do
		IFS='|' read -r name what bytes cpu hits load note <<<"$r"
		echo "| $name | $what | $(num "$(echo "$bytes / 1048576" | bc -l)" 1) | $(num "$cpu" 2)" \
			"| $(num "$(mibs "$bytes" "$cpu")" 1) | $(num "$(echo "$base / $(mibs "$bytes" "$cpu")" | bc -l)" 2)×" \
			"| $hits | $load | $note |"
	done
}

# matcher_goals: issue 5's goals, against the rows of this run.
matcher_goals() {
	local p pn rg rgw yara g gms nm pms
	p=$(mibs "$(field "${ROWS[0]}" 3)" "$(field "${ROWS[0]}" 4)")
	for r in "${ROWS[@]}"; do
		case "$(field "$r" 1)" in
		ripgrep*) rg=$(mibs "$(field "$r" 3)" "$(field "$r" 4)") ;;
		yara*) yara=$(mibs "$(field "$r" 3)" "$(field "$r" 4)") ;;
		esac
	done
	verdict() { [ "$(echo "$1" | bc -l)" -eq 1 ] && echo met || echo "not met"; }
	pn=$(mibs "$(field "${ROWS[1]}" 3)" "$(field "${ROWS[1]}" 4)") # with normalization
	rgw=$(mibs "$(field "${ROWS[0]}" 3)" "${PEER_WHOLE[rg]}")
	echo "- patrol's matcher, 1,000 rules, one core: $(num "$p" 1) MiB/s (goal: at least 300): $(verdict "$p >= 300")."
	echo "- ÷ ripgrep's scan: $(num "$(echo "$p / $rg" | bc -l)" 2)× (goal: about 4.5×): $(verdict "$p / $rg >= 4.5")."
	echo "- ÷ yara's scan: $(num "$(echo "$p / $yara" | bc -l)" 2)× (goal: 10×): $(verdict "$p / $yara >= 10")."
	echo "- with normalization (rules_match as a crawl worker calls it): $(num "$pn" 1) MiB/s;" \
		"$(num "$(echo "$pn / $rg" | bc -l)" 2)× ripgrep's scan, $(num "$(echo "$pn / $rgw" | bc -l)" 2)×" \
		"ripgrep's whole run ($(num "$rgw" 1) MiB/s, start-up included), $(num "$(echo "$pn / $yara" | bc -l)" 2)× yara's scan."
	g=$(cat "$WORK/gumbo.out")
	gms=$(echo "$(kv "$g" cpu_s) * 1000 / $(kv "$g" pages)" | bc -l)
	nm=$(echo "$(kv "$patrol_gen_LINE" match_cpu_s) + $(kv "$patrol_gen_LINE" normalize_cpu_s)" | bc -l)
	pms=$(echo "$nm * 1000 / $(kv "$patrol_gen_LINE" pages)" | bc -l)
	echo "- normalization + matching, 1,000 rules: $(num "$pms" 3) ms a page against Gumbo's parse and walk of"
	echo "  the same $(num "$(kv "$g" pages)") pages, $(num "$gms" 3) ms a page (\`$g\`): $(num "$(echo "$pms / $gms" | bc -l)" 2)× (goal: at most 0.5×): $(verdict "$pms / $gms <= 0.5")."
	nm=$(echo "$(kv "$patrol_packs_LINE" match_cpu_s) + $(kv "$patrol_packs_LINE" normalize_cpu_s)" | bc -l)
	echo "  With the shipped packs alone: $(num "$(echo "$nm * 1000 / $(kv "$patrol_packs_LINE" pages) / $gms" | bc -l)" 2)× Gumbo."
}

# matcher_profile: with PROFILE=1, where matcher_bench's matching time goes with the 1,000
# generated rules: perf record -g of three passes over the corpus, enabled by matcher_bench itself
# around the matching (--perf-ctl), so that loading the set and reading the corpus stay out;
# reported by library and by function. Debian's libhs has no symbols, so Vectorscan's scan shows
# as addresses in libhs.so, PCRE2's JIT code as [JIT].
matcher_profile() {
	[ -n "${PROFILE:-}" ] || return 0
	local flags=(--repeat 3 --cache "$CACHE/prefilter" --perf-ctl "$WORK/perf.ctl")
	[ "$ENGINE_NORMALIZES" = 1 ] || flags+=(--normalize)
	say "perf record of matcher_bench (PROFILE=1)"
	rm -f "$WORK/perf.ctl"
	mkfifo "$WORK/perf.ctl"
	taskset -c "$CORE" perf record -q -g -D -1 --control "fifo:$WORK/perf.ctl" -o "$WORK/perf.data" \
		"$WORK/matcher_bench" "${flags[@]}" "$CORPUS/corpus.txt" "$WORK/matcher.yaml" \
		>"$WORK/perf.out" 2>"$WORK/perf.err" || return 0
	echo
	echo "Profile of the matching in \`matcher_bench --repeat 3\` with the 1,000 generated rules"
	echo "(\`perf record -g\`, enabled around the matching only; \`perf report --no-children\`, by library,"
	echo "then by function above 0.5 %):"
	echo
	echo '```'
	head -1 "$WORK/perf.out"
	perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -12
	echo
	perf report -i "$WORK/perf.data" --no-children --sort dso,sym --percent-limit 0.5 --stdio -g none \
		2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
	echo '```'
}

matcher() {
	local forum body stats
	N=${N:-20000}
	forum=$(ensure_forum 1)
	say "building the benchmark's programs against $PATROL_BUILD"
	make -s -C "$BENCH" OUT="$WORK" BUILD="$PATROL_BUILD" all matcher_bench pcre2_bench corpus_extract >/dev/null
	CORPUS=$(ensure_corpus "$forum")
	stats=$(python3 "$BENCH/gen-matcher-rules.py" --pack "$WORK/matcher.yaml" --rg "$WORK/matcher.rg" \
		--pcre2 "$WORK/matcher.pcre2" --yara "$WORK/matcher.yar")
	# The rules library builds the normalized view itself when it calls normalize_text.
	ENGINE_NORMALIZES=0
	[[ "$(nm "$PATROL_BUILD/rules/libpatrol-rules.a" 2>/dev/null)" != *" U normalize_text"* ]] ||
		ENGINE_NORMALIZES=1
	matcher_patrol patrol-gen "1,000 generated rules" "$WORK/matcher.yaml"
	matcher_patrol patrol-packs "shipped packs" "$ROOT/rules/packs"
	local npat
	npat=$(grep -c . "$WORK/matcher.rg")
	matcher_peer rg "ripgrep $(rg --version 2>/dev/null | head -1 | cut -d' ' -f2), \`rg -c -i -j1 -f\`" \
		"$(num "$npat") patterns" "matching lines" rg -c -i -j1 --no-filename --regex-size-limit 1G \
		--dfa-size-limit 1G -f "$WORK/matcher.rg"
	matcher_peer yara "yara $(yara --version), \`yara -c -p 1\`" "1,000 rules, $(num "$npat") strings" \
		"rules matched in the file" yara -w -c -p 1 "$WORK/matcher.yar"
	pinned pcre2 "$WORK/pcre2_bench" "$WORK/matcher.pcre2" "$CORPUS/corpus.txt" "$PCRE2_MIB"
	local l
	l=$(cat "$WORK/pcre2.out")
	row "PCRE2 JIT, every pattern one after another" "$(num "$(kv "$l" patterns)") patterns" \
		"$(kv "$l" text_bytes)" "$(kv "$l" cpu_s)" "$(num "$(kv "$l" pattern_page_matches)") pattern-page matches" \
		"$RUN_LOAD" "$([ "$PCRE2_MIB" = 0 ] || echo "the pages in the corpus' first $PCRE2_MIB MiB (PCRE2_MIB)")"
	pinned gumbo "$WORK/gumbo_walk" "$CORPUS/pages"
	body="- corpus: $(tr -d '\n{}"' <"$CORPUS/manifest.json" | sed 's/,/, /g; s/  */ /g'): the \`body\` text
  of the forum's pages in name order, as \`patrol extract\` gives it (bench/corpus_extract.c), pages
  separated by a form-feed line
- rules: bench/gen-matcher-rules.py: $(sed 's/[{}"]//g' <<<"$stats"); the same patterns as a
  patrol pack, as PCRE2 lines, as \`rg -f\` lines (\`\\b\`, \`\\d\`, \`\\s\`, \`\\w\` in ASCII forms), and as YARA
  rules (gaps between Chinese words in bytes). Shipped packs: rules/packs.
- every row runs on one core (\`taskset -c $CORE\`). patrol and PCRE2: thread CPU of the matching
  alone (bench/matcher_bench.c, bench/pcre2_bench.c); rg and yara: user + sys of the whole run
  less that of the same command over an empty file (their start-up, which compiles the patterns).
  patrol, rg and yara: the fastest of $RUNS runs (RUNS), each of the start-up and the scan apart;
  the load column is the one before the first.
- normalization: $([ "$ENGINE_NORMALIZES" = 1 ] && echo "rules_match builds the normalized view itself (the rules library calls normalize_text); matcher_bench also times building it alone, in a second pass over the same pages, and the matching row is rules_match less that (issue 5 asks the matcher's speed, and separately that of \"the whole of normalization plus matching\", which is the next row)" || echo "rules_match does not normalize (the rules library never calls normalize_text): matcher_bench builds the normalized view (parsers/normalize.h) of each page and matches that, each timed apart")
- hits: patrol counts rules that hold (on how many pages); rg, lines with a match of any pattern
  (no conditions); yara, rules that hold in the corpus as one file; PCRE2, (pattern, page) pairs.

$(matcher_table)

$(matcher_goals)
$(matcher_profile)"
	write_report "$BENCH/results/$(date +%F)-matcher.md" "Rule matcher benchmark: $CORPUS_MIB MiB of forum text, one core" \
		"$body" "CORE=$CORE CORPUS_MIB=$CORPUS_MIB PCRE2_MIB=$PCRE2_MIB PATROL_BUILD=$PATROL_BUILD${PROFILE:+ PROFILE=1} bench/run.sh matcher"
}

# Sourced (for trying a piece by hand), it only defines its functions.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0
STARTED=$(date '+%Y-%m-%d %H:%M')
install_missing
WORK=$(mktemp -d "${TMPDIR:-/tmp}/patrol-bench.XXXXXX")
# A copy, so that a rebuild of build/ during the run does not change the binary under test.
cp "$PATROL" "$WORK/patrol"
"$MODE"
