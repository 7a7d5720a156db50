#!/bin/sh
# SPDX-License-Identifier: MIT
# The docs in both languages kept in step, and the rule guides' examples working as printed
# (issue 9; tests/docs_check.py says what each check means and the example markers).
#   usage: docs_test.sh PATROL SRCROOT
set -u
patrol=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/patrol-docs-XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
failures=0
check() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		sed 's/^/#   /' "$work/out" | head -40
		failures=$((failures + 1))
	fi
}
python3 "$src/tests/docs_check.py" pairs "$src" >"$work/out" 2>&1
status=$?
[ "$status" -eq 0 ] ||
	echo "an English doc changed: carry the change into its docs/zh/ page (code blocks as they are)" \
		>>"$work/out"
check "$status" "each docs/zh/ page has its English source's headings, code blocks, images, links, lists and tables"
for doc in docs/rules.md docs/rule-writing.md; do
	python3 "$src/tests/docs_check.py" examples "$src" "$patrol" "$doc" >"$work/out" 2>&1
	check $? "$doc: every pack passes lint and test, every error and session prints as shown"
done
echo "1..$n"
[ "$failures" -eq 0 ]
