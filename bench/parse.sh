#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The parsers' benchmark (issue 4), run by hand, never in CI: on the synthetic forum's pages
# (bench/run.sh's cache; run `N=20000 bench/run.sh` once to make it), per page on one core,
#   gumbo_walk   Gumbo's parse and walk alone, GBK converted with iconv: the floor;
#   parse_bench  patrol's doc_parse_with: charset, Gumbo, text, links, posts (built-in profiles);
#   normalize_bench  the normalized view of the same pages' text.
# Each program runs ROUNDS times, alternating, pinned to core CORE; the best round counts (the
# machine is shared and noisy). Writes bench/results/DATE-parse.md.
#   BUILD (a meson build of patrol, default build/), N (default 20000), ROUNDS (default 3),
#   CORE (default 1).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
BUILD=$(cd "${BUILD:-$ROOT/build}" && pwd)
N=${N:-20000}
ROUNDS=${ROUNDS:-3}
CORE=${CORE:-1}
SITE=$(ls -d "$BENCH"/.cache/forum-n"$N"-h1-* 2>/dev/null | head -n 1)
[ -n "$SITE" ] || { echo "bench/parse.sh: no cached $N-page forum: run N=$N bench/run.sh first" >&2; exit 1; }
WORK=$(mktemp -d /tmp/patrol-parse.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ninja -C "$BUILD" parsers/libpatrol-parsers.a common/libpatrol-common.a >/dev/null
make -s -C "$BENCH" all parse_bench normalize_bench OUT="$WORK" BUILD="$BUILD"
best() { sort -n | head -n 1; }
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
load_before=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	taskset -c "$CORE" "$WORK/gumbo_walk" "$SITE" >>"$WORK/gumbo.txt"
	PARSE_BENCH_ROUNDS=1 taskset -c "$CORE" "$WORK/parse_bench" "$SITE" >>"$WORK/parse.txt"
	taskset -c "$CORE" "$WORK/normalize_bench" "$SITE" 1 >>"$WORK/normalize.txt"
done
g=$(grep -o 'ms_per_page=[0-9.]*' "$WORK/gumbo.txt" | cut -d= -f2 | best)
p=$(grep -o 'ms_per_page=[0-9.]*' "$WORK/parse.txt" | cut -d= -f2 | best)
line=$(tail -n 1 "$WORK/parse.txt")
pages=$(kv "$line" pages)
bytes=$(kv "$line" bytes)
nmib=$(grep -o 'mib_per_s_per_core=[0-9.]*' "$WORK/normalize.txt" | cut -d= -f2 | sort -rn | head -n 1)
mib() { echo "scale=1; $bytes / 1048576 / ($pages * $1 / 1000)" | bc; }
ratio=$(echo "scale=2; $p / $g" | bc)
out="$ROOT/bench/results/$(date -u +%Y-%m-%d-%H%M)-parse.md"
{
	echo "# Parser benchmark: patrol's document model against Gumbo alone"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC, \`BUILD=$BUILD N=$N ROUNDS=$ROUNDS bench/parse.sh\`," \
		"patrol at $(git -C "$ROOT" rev-parse --short HEAD), one core (taskset -c $CORE)," \
		"load average $load_before before"
	echo
	echo "- pages: $pages of the synthetic forum ($(echo "scale=1; $bytes / 1048576" | bc) MiB of HTML, some GBK), the best of $ROUNDS rounds"
	echo
	echo "| program | ms per page | MiB/s of HTML | ÷ Gumbo |"
	echo "|---|---:|---:|---:|"
	echo "| gumbo_walk (Gumbo parse and walk, iconv for GBK) | $g | $(mib "$g") | 1.00 |"
	echo "| parse_bench (patrol: charset, Gumbo, text, links, posts) | $p | $(mib "$p") | $ratio |"
	echo
	echo "Normalization (normalize_bench, the same pages' title and body text): $nmib MiB/s of text."
	echo "Goals (issue 4): parse at most 1.15x Gumbo alone; normalization at least 150 MiB/s."
} >"$out"
cat "$out"
