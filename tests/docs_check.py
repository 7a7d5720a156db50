# SPDX-License-Identifier: MIT
# The docs kept honest (issue 9): each Chinese doc in docs/zh/ has its English source's shape
# (headings, code blocks, images, relative links, and the list items and table rows of each
# section), and the rule guides' examples work as printed.
#   usage: docs_check.py pairs SRCROOT          every docs/zh/*.md against its English source
#          docs_check.py examples SRCROOT PATROL DOC...   run DOC's examples with PATROL
# Prints one line per problem naming the file and section; exits 1 when there is one.
# Example markers (an HTML comment on the line before a fenced block; docs/rules.md says so at its top):
#   <!-- example: pack NAME -->    a pack, saved as NAME: must pass rules lint and rules test
#   <!-- example: fragment -->     part of a pack: must be YAML, is not run
#   <!-- example: error NAME -->   a pack saved as NAME that lint or test must refuse
#   <!-- example: file NAME -->    any block, saved as NAME for the sessions that follow
# A yaml block that starts with 'pack:' is a pack even unmarked; any other yaml block must be
# marked. A block whose lines start with '$ patrol ' is a session: each command runs in the
# doc's scratch directory and must print the lines that follow it, exactly (its standard
# output, then its standard error).
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml  # python3-yaml: only to read fragments; without it they are not parsed
except ImportError:
    yaml = None

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MARKER = re.compile(r"^<!--\s*example:\s*(pack|fragment|error|file)\s*(\S*)\s*-->\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S")
LINK = re.compile(r"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MAX_FILE = 4 << 20  # docs larger than this are refused, not read
MAX_OUTPUT = 1 << 20  # a session's output past this is cut (and so differs)
SESSION_TIMEOUT = 60


class Doc:
    """A markdown file read into headings, fenced blocks and links, each with its section."""

    def __init__(self, root, rel):
        self.rel = rel
        path = os.path.join(root, rel)
        if os.path.getsize(path) > MAX_FILE:
            raise ValueError(f"{rel}: larger than {MAX_FILE} bytes")
        with open(path, encoding="utf-8") as f:
            self.lines = f.read().split("\n")
        self.headings = []  # (level, text, line)
        self.blocks = []  # dict: info, text, marker, section, line
        self.links = []  # (is_image, target, section, line)
        self.items = [[0, 0]]  # per section (index 0: before the first heading): list items, table rows
        self._parse()

    def section(self):
        return self.headings[-1][1] if self.headings else "(top)"

    def _links(self, para):
        """The links of a paragraph (a link's text may run over lines), code spans apart."""
        if not para:
            return
        text = re.sub(r"`[^`\n]*`", "", "\n".join(line for _, line in para))
        for lm in LINK.finditer(text):
            n = para[0][0] + text.count("\n", 0, lm.start())
            self.links.append((lm.group(1) == "!", lm.group(2), self.section(), n))
        para.clear()

    def _parse(self):
        fence = None
        marker = None
        body = []
        para = []
        for n, line in enumerate(self.lines, 1):
            if not fence and (not line.strip() or FENCE.match(line) or HEADING.match(line)):
                self._links(para)
            if fence:
                m = FENCE.match(line)
                if m and m.group(1)[0] == fence[0][0] and len(m.group(1)) >= len(fence[0]) \
                        and not m.group(2):
                    self.blocks.append({"info": fence[1], "text": "\n".join(body),
                                        "marker": fence[2], "section": self.section(),
                                        "line": fence[3]})
                    fence = None
                else:
                    body.append(line)
                continue
            m = FENCE.match(line)
            if m:
                fence = (m.group(1), m.group(2), marker, n)
                body = []
                marker = None
                continue
            mk = MARKER.match(line.strip())
            if mk:
                marker = (mk.group(1), mk.group(2))
                continue
            if line.strip():
                marker = None
            h = HEADING.match(line)
            if h:
                self.headings.append((len(h.group(1)), h.group(2), n))
                self.items.append([0, 0])
                continue
            if LIST_ITEM.match(line):
                self.items[-1][0] += 1
            elif line.lstrip().startswith("|"):
                self.items[-1][1] += 1
            para.append((n, line))
        self._links(para)
        if fence:
            self.blocks.append({"info": fence[1], "text": "\n".join(body), "marker": fence[2],
                                "section": self.section(), "line": fence[3], "open": True})

    def slugs(self):
        seen = {}
        out = set()
        for _, text, _ in self.headings:
            s = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            k = seen.get(s, 0)
            seen[s] = k + 1
            out.add(s if k == 0 else f"{s}-{k}")
        return out


def english_of(rel):
    """docs/zh/README.md is README.md's translation; docs/zh/X.md is docs/X.md's."""
    base = os.path.basename(rel)
    return "README.md" if base == "README.md" else os.path.join("docs", base)


def resolve(rel, target):
    """A relative link's target as a path from the source root, fragment apart."""
    path, _, frag = target.partition("#")
    if not path:
        return rel, frag
    return os.path.normpath(os.path.join(os.path.dirname(rel), path)), frag


def as_english(path):
    """A link into docs/zh/ names the same page as the English one it translates."""
    if path.startswith("docs/zh/"):
        return english_of(path)
    return path


def relative_links(doc, root, problems):
    out = []
    for is_image, target, section, line in doc.links:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # http:, https:, mailto: are not relative
        path, frag = resolve(doc.rel, target)
        if not os.path.exists(os.path.join(root, path)):
            problems.append(f"{doc.rel}:{line}: in section \"{section}\": "
                            f"link to {target}: no such file")
        elif frag and path.endswith(".md"):
            if frag not in Doc(root, path).slugs():
                problems.append(f"{doc.rel}:{line}: in section \"{section}\": "
                                f"link to {target}: no heading has the anchor #{frag}")
        out.append((is_image, as_english(path), section, line))
    return out


def first_diff(a, b):
    al, bl = a.split("\n"), b.split("\n")
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else "(end of block)"
        y = bl[i] if i < len(bl) else "(end of block)"
        if x != y:
            return i + 1, x, y
    return 0, "", ""


def compare_pair(root, zh_rel, problems):
    en_rel = english_of(zh_rel)
    if not os.path.exists(os.path.join(root, en_rel)):
        problems.append(f"{zh_rel}: no English source {en_rel}")
        return
    en, zh = Doc(root, en_rel), Doc(root, zh_rel)
    here = f"{zh_rel} drifted from {en_rel}"
    # Each links to the other near its top.
    zh_target = os.path.relpath(zh_rel, os.path.dirname(en_rel) or ".")
    en_target = os.path.relpath(en_rel, os.path.dirname(zh_rel) or ".")
    if not any(t == zh_target and ln <= 5 for _, t, _, ln in en.links):
        problems.append(f"{en_rel}: no link to its Chinese version ({zh_target}) in its first lines")
    if not any(t == en_target and ln <= 5 for _, t, _, ln in zh.links):
        problems.append(f"{zh_rel}: no link to its English source ({en_target}) in its first lines")
    # Headings: the same number and levels.
    for i in range(max(len(en.headings), len(zh.headings))):
        e = en.headings[i] if i < len(en.headings) else None
        z = zh.headings[i] if i < len(zh.headings) else None
        if e is None or z is None or e[0] != z[0]:
            where_e = f"{'#' * e[0]} {e[1]} (line {e[2]})" if e else "(no more headings)"
            where_z = f"{'#' * z[0]} {z[1]} (line {z[2]})" if z else "(no more headings)"
            problems.append(f"{here}: heading {i + 1}: English \"{where_e}\", "
                            f"Chinese \"{where_z}\"")
            break
    # Each section has as many list items and table rows as its source: a bullet or a row added
    # to the English and not translated shows here.
    for i in range(min(len(en.items), len(zh.items))):
        if en.items[i] != zh.items[i]:
            e, z = en.items[i], zh.items[i]
            name = en.headings[i - 1][1] if i else "(top)"
            zname = zh.headings[i - 1][1] if i else "(top)"
            problems.append(f"{here}: section \"{name}\" (Chinese \"{zname}\") has {e[0]} list "
                            f"items and {e[1]} table rows in English, {z[0]} and {z[1]} in Chinese")
            break
    # Fenced blocks: identical, with their example markers, in the same order.
    for i in range(max(len(en.blocks), len(zh.blocks))):
        e = en.blocks[i] if i < len(en.blocks) else None
        z = zh.blocks[i] if i < len(zh.blocks) else None
        if e and z and (e["info"], e["text"], e["marker"]) == (z["info"], z["text"], z["marker"]):
            continue
        if e is None or z is None:
            b = e or z
            side = "English" if e else "Chinese"
            problems.append(f"{here}: code block {i + 1} (line {b['line']}, section "
                            f"\"{b['section']}\") is only in the {side} doc")
        elif e["marker"] != z["marker"] or e["info"] != z["info"]:
            problems.append(f"{here}: code block {i + 1} in section \"{e['section']}\" "
                            f"(Chinese \"{z['section']}\", line {z['line']}): its info string or "
                            f"example marker differs")
        else:
            n, x, y = first_diff(e["text"], z["text"])
            problems.append(f"{here}: code block {i + 1} in section \"{e['section']}\" "
                            f"(Chinese \"{z['section']}\", line {z['line']}) differs at its "
                            f"line {n}: English {x!r}, Chinese {y!r}")
        break
    # Images and relative links: the same targets in the same order.
    el = relative_links(en, root, problems)
    zl = relative_links(zh, root, problems)
    for i in range(max(len(el), len(zl))):
        e = el[i] if i < len(el) else None
        z = zl[i] if i < len(zl) else None
        if e and z and e[:2] == z[:2]:
            continue
        what = lambda x: ("image " if x[0] else "link ") + x[1] if x else "nothing"
        sec = (e or z)[2]
        problems.append(f"{here}: in section \"{sec}\": relative link {i + 1} is "
                        f"{what(e)} in English, {what(z)} in Chinese"
                        + (f" (Chinese line {z[3]})" if z else ""))
        break


def pairs(root):
    problems = []
    zh_dir = os.path.join(root, "docs", "zh")
    names = sorted(n for n in os.listdir(zh_dir) if n.endswith(".md")) \
        if os.path.isdir(zh_dir) else []
    if not names:
        problems.append("docs/zh/: no Chinese docs")
    for name in names:
        compare_pair(root, os.path.join("docs", "zh", name), problems)
    # An English doc that points at a Chinese version points at one that exists.
    for rel in ["README.md"] + [os.path.join("docs", n) for n in sorted(os.listdir(
            os.path.join(root, "docs"))) if n.endswith(".md")]:
        for _, target, _, ln in Doc(root, rel).links:
            path, _ = resolve(rel, target)
            if path.startswith("docs/zh/") and not os.path.exists(os.path.join(root, path)):
                problems.append(f"{rel}:{ln}: link to {target}: no such file")
    return problems


def safe_name(doc, block, name):
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise ValueError(f"{doc.rel}:{block['line']}: example name {name!r} is not a plain "
                         f"relative path")
    return name


def save(work, name, text):
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def run(patrol, work, args):
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="", LANGUAGE="", PATROL_CONFIG="",
               PATROL_DB=os.path.join(work, ".db"),
               PATH=os.path.dirname(patrol) + os.pathsep + os.environ.get("PATH", ""))
    try:
        p = subprocess.run(args, cwd=work, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=SESSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return -1, f"(timed out after {SESSION_TIMEOUT} s)"
    # Standard output, then standard error, as a terminal shows a command that reports at
    # its end (summaries and errors go to standard error).
    out = p.stdout[:MAX_OUTPUT] + p.stderr[:MAX_OUTPUT]
    return p.returncode, out.decode("utf-8", "replace")


def tidy(text):
    return "\n".join(line.rstrip() for line in text.rstrip("\n").split("\n"))


def session(doc, block, patrol, work, problems):
    where = f"{doc.rel}:{block['line']}: in section \"{block['section']}\""
    steps = []
    for line in block["text"].split("\n"):
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    for cmd, expected in steps:
        if not cmd.startswith("patrol "):
            problems.append(f"{where}: '$ {cmd}': only patrol commands are run")
            continue
        _, out = run(patrol, work, ["sh", "-c", cmd])
        want = tidy("\n".join(expected))
        got = tidy(out)
        if want != got:
            n, x, y = first_diff(want, got)
            problems.append(f"{where}: '$ {cmd}' printed otherwise, at line {n}: "
                            f"the doc says {x!r}, patrol printed {y!r}")


def examples(root, patrol, rels):
    problems = []
    for rel in rels:
        doc = Doc(root, rel)
        with tempfile.TemporaryDirectory(prefix="patrol-docs-") as work:
            for i, b in enumerate(doc.blocks):
                where = f"{rel}:{b['line']}: in section \"{b['section']}\""
                kind, name = b["marker"] or ("", "")
                try:
                    if kind in ("pack", "error", "file"):
                        name = safe_name(doc, b, name)
                except ValueError as e:
                    problems.append(str(e))
                    continue
                if b.get("open"):
                    problems.append(f"{where}: code block never closed")
                elif kind == "file":
                    save(work, name, b["text"])
                elif b["text"].startswith("$ "):
                    session(doc, b, patrol, work, problems)
                elif kind == "fragment" and yaml is None:
                    print(f"# {where}: python3-yaml is missing: fragment not parsed",
                          file=sys.stderr)
                elif kind == "fragment":
                    try:
                        yaml.safe_load(b["text"])
                    except yaml.YAMLError as e:
                        problems.append(f"{where}: fragment is not YAML: {e}".split("\n")[0])
                elif b["info"] == "yaml" or kind:
                    pack = re.sub(r"(?m)^#.*\n", "", b["text"]).startswith("pack:")
                    if not kind and not pack:
                        problems.append(f"{where}: a yaml block that is no pack: mark it "
                                        f"<!-- example: fragment --> (or error)")
                        continue
                    name = name or f"example-{i + 1}.yaml"
                    save(work, name, b["text"])
                    lint, lout = run(patrol, work, [patrol, "rules", "lint", name])
                    test, tout = run(patrol, work, [patrol, "rules", "test", name]) \
                        if lint == 0 else (lint, "")
                    if kind == "error" and lint == 0 and test == 0:
                        problems.append(f"{where}: error example {name} passes lint and test")
                    elif kind != "error" and lint != 0:
                        problems.append(f"{where}: pack fails 'patrol rules lint': "
                                        + tidy(lout).replace("\n", " | "))
                    elif kind != "error" and test != 0:
                        problems.append(f"{where}: pack fails 'patrol rules test': "
                                        + tidy(tout).replace("\n", " | "))
    return problems


def main(argv):
    if len(argv) >= 3 and argv[1] == "pairs":
        problems = pairs(argv[2])
    elif len(argv) >= 5 and argv[1] == "examples":
        problems = examples(argv[2], os.path.abspath(argv[3]), argv[4:])
    else:
        print(__doc__ or "usage: docs_check.py pairs SRCROOT | examples SRCROOT PATROL DOC...",
              file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
