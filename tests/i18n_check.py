#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Messages a person reads must go through gettext (docs/i18n.md): prints, one a line, every
string literal in po/POTFILES' sources that reads as English prose (two words or more) and is
passed to a printing call without _() or N_() around it. Exit 1 when there is one.

The review UI's sources (review/*.c) write HTML, where one word is already text a person reads
("<th>status</th>", "<button>save</button>"), so for them a stricter rule applies to what they
write into a page: the literals of one call, joined, with the markup taken out (tags, the rest of
a tag an earlier call opened, entities, printf conversions, query-string keys such as `after=`)
must hold no word of two letters or more, but for the few names that are never translated
(patrol, HTTP, UTC, ...). The attribute values people read (placeholder, title, alt, aria-label)
count as text. Read are the text or format argument of each writer (HTML_TEXT_ARGS), not the
values a format puts into its %s (class names, keys) nor literals handed to a nested call. Translated text goes through ui__tr(r, ...), ui__text(r, ...), ui__ntr or N_().

A line that prints machine output on purpose says so with the comment `i18n: machine`; one that
shows code or a command as it is typed, `i18n: code`."""
import re
import sys

PRINTERS = re.compile(r'\b(cli_error|cli_warn|cli_usage_error|printf|fprintf|fputs|puts|snprintf)\s*\(')
PROSE = re.compile(r'[A-Za-z]{2,}[ ,.:;]+[A-Za-z]{2,}')
LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
STRS = r'(?:"(?:[^"\\]|\\.)*"\s*)+'
# What writes into a review UI page (review/*.c).
HTML_WRITERS = re.compile(r'\b(buf_addstr|buf_addf|ui_html|ui__message|ui__page_begin|ui_dd|'
                          r'ui_dl|ui__html_sub|ui__htmlf)\s*\(')
# The arguments of each that are text or a format: a format's other arguments are values (a
# class name, a status key), and a nested call's literals are its own (strcmp(name, "status")).
HTML_TEXT_ARGS = {"buf_addstr": [1], "buf_addf": [1], "ui_html": [1], "ui__page_begin": [1],
                  "ui__message": [2, 3], "ui_dd": [1, 2], "ui_dl": [1], "ui__html_sub": [1, 2],
                  "ui__htmlf": [1]}
# Words in a page that are names, the same in every language.
HTML_NAMES = {"patrol", "HTTP", "UTC", "robots", "txt", "jsonl", "csv", "warc", "PNG",
              "selected", "checked", "disabled"}  # the last: attributes a call adds to a tag
HTML_SHOWN_ATTRS = re.compile(r'\b(?:placeholder|title|alt|aria-label)=\\"((?:[^"\\]|\\.)*?)\\"')
NESTED = re.compile(r'\b\w+\s*\((?:[^()"]|"(?:[^"\\]|\\.)*")*\)')
CONVERSION = re.compile(r"%[-+ #0'0-9.*]*(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcsp%]")


def split_args(call):
    """A call's arguments at the top level."""
    args, depth, cur, i = [], 0, "", 0
    while i < len(call):
        c = call[i]
        if c == '"':
            end = LITERAL.match(call, i).end()
            cur += call[i:end]
            i = end
            continue
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "," and depth == 0:
            args.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return args + [cur]


def calls(text, pattern):
    """Each call of pattern: (line number, the arguments' text, the function's name)."""
    for m in pattern.finditer(text):
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
        line_end = text.find("\n", i)
        lines = text[text.rfind("\n", 0, m.start()):line_end]
        if "i18n: machine" in lines or "i18n: code" in lines:
            continue
        yield text.count("\n", 0, m.start()) + 1, text[m.end():i], m.group(1)


def strip_marked(call):
    """The call's text without what is marked for translation."""
    bare = re.sub(r'\b(?:_|N_)\(\s*' + STRS + r'\)', "", call)
    bare = re.sub(r'\bui__(?:tr|text)\(\s*[\w&>.-]+\s*,\s*' + STRS + r'\)', "", bare)
    bare = re.sub(r'\bui__ntr\(\s*[\w&>.-]+\s*,\s*' + STRS + r',\s*' + STRS + r',', "(", bare)
    # plural forms: d?ngettext([DOMAIN,] "singular", "plural", n)
    return re.sub(r'\bd?ngettext\(\s*(?:\w+\s*,\s*)?(' + STRS + r'),\s*(' + STRS + r'),', "(",
                  bare)


def unmarked(path):
    text = open(path, encoding="utf-8").read()
    for line, call, _name in calls(text, PRINTERS):
        for lit in LITERAL.findall(strip_marked(call)):
            if PROSE.search(lit):
                yield line, lit
    if re.search(r'(^|/)review/[^/]+\.c$', path):
        for line, call, name in calls(text, HTML_WRITERS):
            args = split_args(strip_marked(call))
            text_args = ",".join(args[i] for i in HTML_TEXT_ARGS[name] if i < len(args))
            shown = html_text(NESTED.sub("", text_args))
            if shown:
                yield line, shown


def html_text(call):
    """The words of a call's literals that a page would show, '' when there is none."""
    joined = "".join(lit[1:-1] for lit in LITERAL.findall(call))
    joined = re.sub(r'\\x[0-9a-fA-F]+|\\[nrt\\]', " ", joined)
    shown = [m.group(1) for m in HTML_SHOWN_ATTRS.finditer(joined)]
    if ">" in joined and ("<" not in joined or joined.index(">") < joined.index("<")):
        joined = joined[joined.index(">") + 1:]  # the end of a tag an earlier call opened
    joined = re.sub(r'<[^>]*>', " ", joined)
    joined = re.sub(r'<.*', " ", joined)  # a tag the next call closes
    joined = re.sub(r'&#?\w+;', " ", joined)
    for t in [joined] + shown:
        t = CONVERSION.sub(" ", t)
        t = re.sub(r'[\w-]+=(?:\\"(?:[^"\\]|\\.)*?\\")?', " ", t)  # key=, key=\"value\"
        words = [w for w in re.findall(r'[A-Za-z]{2,}', t) if w not in HTML_NAMES]
        if words:
            return '"' + " ".join(words) + '"'
    return ""


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
