#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Messages a person reads must go through gettext (docs/i18n.md): prints, one a line, every
string literal in po/POTFILES' sources that reads as English prose (two words or more) and is
passed to a printing call without _() or N_() around it. Exit 1 when there is one.

A line that prints machine output on purpose says so with the comment `i18n: machine`."""
import re
import sys

PRINTERS = re.compile(r'\b(cli_error|cli_warn|cli_usage_error|printf|fprintf|fputs|puts|snprintf)\s*\(')
PROSE = re.compile(r'[A-Za-z]{2,}[ ,.:;]+[A-Za-z]{2,}')
LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


def unmarked(path):
    text = open(path, encoding="utf-8").read()
    for m in PRINTERS.finditer(text):
        # the call's arguments: up to the matching parenthesis
        depth, i = 0, m.end() - 1
        while i < len(text):
            c = text[i]
            if c == '"':
                i = LITERAL.match(text, i).end()
                continue
            depth += c == "("
            depth -= c == ")"
            if depth == 0:
                break
            i += 1
        call = text[m.end():i]
        line_end = text.find("\n", i)
        if "i18n: machine" in text[text.rfind("\n", 0, m.start()):line_end]:
            continue
        bare = re.sub(r'\b_\(\s*(?:"(?:[^"\\]|\\.)*"\s*)+\)', "", call)
        bare = re.sub(r'\bN_\(\s*(?:"(?:[^"\\]|\\.)*"\s*)+\)', "", bare)
        # plural forms: d?ngettext([DOMAIN,] "singular", "plural", n)
        bare = re.sub(r'\bd?ngettext\(\s*(?:\w+\s*,\s*)?((?:"(?:[^"\\]|\\.)*"\s*)+),'
                      r'\s*((?:"(?:[^"\\]|\\.)*"\s*)+),', "(", bare)
        for lit in LITERAL.findall(bare):
            if PROSE.search(lit):
                yield text.count("\n", 0, m.start()) + 1, lit


def main():
    root, potfiles = sys.argv[1], sys.argv[2]
    bad = 0
    for name in open(potfiles, encoding="utf-8"):
        name = name.strip()
        if not name or name.startswith("#"):
            continue
        for line, lit in unmarked(f"{root}/{name}"):
            print(f"{name}:{line}: not translated: {lit[:70]}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
