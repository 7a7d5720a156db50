#!/bin/sh
# SPDX-License-Identifier: MIT
# Translated messages (docs/i18n.md): every marked string is in po/patrol.pot and translated in
# every language's .po, no prose printed from po/POTFILES' sources escapes gettext, the CLI
# speaks Chinese under LANG=zh_CN.UTF-8 even on a machine without that locale installed, and
# machine output is the same in every language.
#   usage: i18n_test.sh PATROL SRCROOT BUILDROOT
set -u
patrol=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2 build=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/patrol-i18n-XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
failures=0
check() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		sed 's/^/#   /' "$work/err" 2>/dev/null | head -20
		failures=$((failures + 1))
	fi
}
if ! command -v xgettext >/dev/null || ! command -v msgcmp >/dev/null; then
	echo "1..0 # SKIP gettext's tools are not installed (scripts/install-deps installs them)"
	exit 0
fi
# The template the sources give now, made as meson's patrol-pot target makes it.
(cd "$src" && xgettext --from-code=UTF-8 --package-name=patrol --keyword=_ --keyword=N_ \
	--keyword=ui__tr:2 --keyword=ui__text:2 --keyword=ui__ntr:2,3 \
	--add-comments=TRANSLATORS: -f po/POTFILES -o "$work/now.pot") 2>"$work/err"
check $? "xgettext reads po/POTFILES"
msgcmp --use-untranslated "$src/po/patrol.pot" "$work/now.pot" 2>"$work/err"
check $? "po/patrol.pot holds every marked string (else: ninja -C build patrol-pot patrol-update-po)"
for po in "$src"/po/*.po; do
	msgcmp "$po" "$work/now.pot" 2>"$work/err"
	check $? "$(basename "$po") translates every string, none fuzzy"
	msgfmt --check -o /dev/null "$po" 2>"$work/err"
	check $? "$(basename "$po") compiles with msgfmt --check (formats agree)"
done
python3 "$src/tests/i18n_check.py" "$src" "$src/po/POTFILES" >"$work/err" 2>&1
check $? "no prose printed from po/POTFILES' sources without _()"

export PATROL_LOCALEDIR="$build/po"
LANG=zh_CN.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "$patrol" --help >"$work/zh" 2>"$work/err"
grep -q '^用法：patrol' "$work/zh" && grep -q '每个命令都支持 --help' "$work/zh"
check $? "LANG=zh_CN.UTF-8 patrol --help is in Chinese"
LANG=C.UTF-8 LC_ALL= LANGUAGE= "$patrol" --help >"$work/en" 2>"$work/err"
grep -q '^usage: patrol' "$work/en"
check $? "LANG=C.UTF-8 patrol --help is in English"
LANG=zh_CN.UTF-8 LANGUAGE= "$patrol" frobnicate >/dev/null 2>"$work/err"
status=$?
grep -q "^patrol: 未知命令 'frobnicate'$" "$work/err" && [ "$status" -eq 2 ]
check $? "errors too, with the same exit status (2)"
(cd "$work" && LANG=zh_CN.UTF-8 LANGUAGE= PATROL_CONFIG= "$patrol" --db "$work/db" crawl) \
	>/dev/null 2>"$work/err"
status=$?
grep -q '没有可抓取的内容' "$work/err" && [ "$status" -eq 2 ]
check $? "a command's own messages too (patrol crawl with nothing to crawl)"
for lang in C.UTF-8 zh_CN.UTF-8; do
	LANG=$lang "$patrol" --json url --base 'http://Example.COM/a/' '../b?x=1#f' ./c \
		>"$work/url.$lang" 2>&1
done
cmp -s "$work/url.C.UTF-8" "$work/url.zh_CN.UTF-8"
check $? "--json output is the same in every language"
# A rules error (library messages are translated where written): nothing of it may reach machine
# output in another language. patrol --json rules lint: the same stdout and exit status, the same
# file:line:col on stderr; patrol run --log-format json: the same JSON lines, English.
printf 'pack: x\nrules:\n  - id: a\n    title: A\n    category: fraud/x\n    severity: hgh\n    patterns: {p: "a("}\n    condition: p and q\n' \
	>"$work/bad.yaml"
cat >"$work/run.yaml" <<YAML
rules: [$work/bad.yaml]
venues:
  - {id: v, name: V, seeds: ["http://127.0.0.1:9/"], schedule: {every: 1h}}
YAML
for lang in C.UTF-8 zh_CN.UTF-8; do
	LANG=$lang LANGUAGE= "$patrol" --json rules lint "$work/bad.yaml" >"$work/lint.$lang" \
		2>"$work/lint-err.$lang"
	echo "exit $?" >>"$work/lint.$lang"
	grep "^$work/bad.yaml:" "$work/lint-err.$lang" | cut -d: -f1-3 >>"$work/lint.$lang"
	LANG=$lang LANGUAGE= "$patrol" --db "$work/db.$lang" --config "$work/run.yaml" run \
		--log-format json 2>&1 | grep -v '^{' >"$work/run.$lang"
done
cmp -s "$work/lint.C.UTF-8" "$work/lint.zh_CN.UTF-8" && [ "$(grep -c : "$work/lint.C.UTF-8")" -eq 3 ]
check $? "a rules error: --json output, exit status and file:line:col the same in every language"
cmp -s "$work/run.C.UTF-8" "$work/run.zh_CN.UTF-8" &&
	grep -q "^$work/bad.yaml:8:22: condition: unknown pattern 'q'" "$work/run.zh_CN.UTF-8"
check $? "a rules error in a run with JSON logs stays English under LANG=zh_CN.UTF-8"
echo "1..$n"
[ "$failures" -eq 0 ]
