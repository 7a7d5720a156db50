#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference checker for the bundled demo forum and the starter rule packs.

It crawls docs/demo the way `patrol demo` should (breadth-first from index.html, same folder only,
robots.txt honoured), extracts the title and the visible body text of each page, runs every rule of
rules/packs/*.yaml on them and prints the expected hits as sorted TSV lines

    rule_id<TAB>page<TAB>field

(the content of tests/fixtures/demo-expected-hits.tsv). A summary goes to stderr. It also checks the
packs (ids, severities, conditions, embedded tests) and the demo (charsets, broken links).

Every rule is evaluated twice: on the text as extracted, and on a normalized view close to the
engine's (NFKC, case folding, separators between CJK characters squeezed out). The two must agree,
so the expected hits do not depend on normalization details.

Plain python3 plus PyYAML (Debian: python3-yaml). Usage:
    python3 scripts/demo-expected.py [--demo DIR] [--packs DIR] [--check FILE] [-v]
"""
import argparse
import collections
import html.parser
import os
import re
import sys
import unicodedata
import urllib.parse

try:
    import yaml
except ImportError:
    sys.exit("demo-expected.py: needs PyYAML (Debian package python3-yaml: apt-get install python3-yaml)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "http://demo.invalid/"

# ------------------------------------------------------------------------------------------ HTML

BLOCK = set("""address article aside blockquote body br caption dd details dialog div dl dt fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary
table tbody td tfoot th thead tr ul""".split())
SKIP = {"script", "style", "noscript", "template"}
VOID = set("area base br col embed hr img input link meta source track wbr".split())
GBK_LABELS = {"gbk", "gb2312", "gb_2312", "gb_2312-80", "x-gbk", "gb18030", "csgb2312", "chinese",
              "iso-ir-58", "csiso58gb231280"}


class Extract(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = []
        self.body = []
        self.links = []
        self.in_title = False
        self.in_body = False
        self.skip = 0
        self.stack_ok = []  # for a crude well-formedness check of non-void elements

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in VOID:
            self.stack_ok.append(tag)
        if tag == "title":
            self.in_title = True
        elif tag == "body":
            self.in_body = True
        if tag in SKIP:
            self.skip += 1
        if tag in BLOCK and self.in_body:
            self.body.append("\n")
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack_ok and self.stack_ok[-1] == tag:
            self.stack_ok.pop()
        else:
            raise ValueError("unbalanced </%s> (open: %s)" % (tag, "/".join(self.stack_ok[-4:])))
        if tag == "title":
            self.in_title = False
        elif tag == "body":
            self.in_body = False
        if tag in SKIP:
            self.skip -= 1
        if tag in BLOCK and self.in_body:
            self.body.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif self.in_body and not self.skip:
            self.body.append(re.sub(r"\s+", " ", data))


def declared_charset(raw):
    m = re.search(rb"<meta[^>]*charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", raw[:1024], re.I)
    return m.group(1).decode("ascii").lower() if m else None


def parse_page(path):
    raw = open(path, "rb").read()
    label = declared_charset(raw)
    if label is None:
        raise ValueError("no <meta> charset in the first 1024 bytes")
    if label in GBK_LABELS:
        codec = "gb18030"
    elif label in ("utf-8", "utf8"):
        codec = "utf-8"
    else:
        raise ValueError("unexpected charset %r" % label)
    text = raw.decode(codec)  # strict: the bytes must really be in that charset
    p = Extract()
    p.feed(text)
    p.close()
    if p.stack_ok:
        raise ValueError("unclosed elements: %s" % "/".join(p.stack_ok))
    title = re.sub(r"\s+", " ", "".join(p.title)).strip()
    lines = [re.sub(r" +", " ", ln).strip() for ln in "".join(p.body).split("\n")]
    body = "\n".join(ln for ln in lines if ln)
    return label, title, body, p.links


def robots_rules(demo):
    rules, applies = [], False
    path = os.path.join(demo, "robots.txt")
    if not os.path.exists(path):
        return rules
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        k, v = (s.strip() for s in line.split(":", 1))
        k = k.lower()
        if k == "user-agent":
            applies = v == "*"
        elif k == "disallow" and applies and v:
            rules.append(v)
    return rules


def crawl(demo):
    """Breadth-first from index.html; returns ({page: (charset, title, body)}, problems)."""
    disallow = robots_rules(demo)
    pages, problems = {}, []
    queue, seen = collections.deque(["index.html"]), {"index.html"}
    while queue:
        name = queue.popleft()
        path = os.path.join(demo, name)
        if not os.path.isfile(path):
            problems.append("broken link to %s" % name)
            continue
        try:
            label, title, body, links = parse_page(path)
        except (ValueError, UnicodeDecodeError) as e:
            problems.append("%s: %s" % (name, e))
            continue
        pages[name] = (label, title, body)
        for href in links:
            url = urllib.parse.urljoin(BASE + name, href.strip())
            u = urllib.parse.urlsplit(url)
            if u.scheme not in ("http", "https") or u.netloc != "demo.invalid":
                continue  # mailto:, javascript:, other hosts
            if any(u.path.startswith(d) for d in disallow):
                continue
            target = u.path.lstrip("/") or "index.html"
            if "/" in target:
                problems.append("%s links into a subfolder: %s" % (name, href))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return pages, problems

# ------------------------------------------------------------------------------------ text views

def is_cjk(ch):
    o = ord(ch)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF
            or 0x3040 <= o <= 0x30FF or 0x20000 <= o <= 0x2FFFF)


def is_sep(ch):
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZ"


def normalize(text):
    """An approximation of the engine's normalized view, aggressive on purpose."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = re.sub("[\u200b-\u200f\u2060\ufeff]", "", t)
    out, i, n = [], 0, len(t)
    while i < n:
        if is_sep(t[i]) and out and is_cjk(out[-1]):
            j = i
            while j < n and is_sep(t[j]):
                j += 1
            if j < n and is_cjk(t[j]):
                i = j  # separators between two CJK characters are squeezed out
                continue
            out.append(t[i:j])
            i = j
            continue
        out.append(t[i])
        i += 1
    return "".join(out)

# ---------------------------------------------------------------------------------------- packs

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SEVERITIES = ("info", "low", "medium", "high", "critical")
FIELDS = ("title", "body", "post", "author", "url", "link_text")


class PackError(Exception):
    pass


def tokenize(cond):
    toks = []
    for m in re.finditer(r"\s*(all\s+of\s+them|any\s+of\s+them|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S)", cond):
        toks.append(re.sub(r"\s+", " ", m.group(1)))
    return toks


def parse_condition(cond, names):
    """Returns (fn(matched_set) -> bool, used_names). Grammar: or > and > not > atom."""
    toks = tokenize(cond)
    pos = [0]
    used = set()

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take(expect=None):
        t = peek()
        if t is None or (expect is not None and t != expect):
            raise PackError("condition %r: expected %s at token %d" % (cond, expect or "more", pos[0]))
        pos[0] += 1
        return t

    def atom():
        t = peek()
        if t == "(":
            take("(")
            f = expr()
            take(")")
            return f
        if t == "not":
            take()
            f = atom()
            return lambda s: not f(s)
        if t == "all of them":
            take()
            used.update(names)
            return lambda s: all(n in s for n in names)
        if t == "any of them":
            take()
            used.update(names)
            return lambda s: any(n in s for n in names)
        if t is not None and re.match(r"^[A-Za-z_]\w*$", t) and t not in ("and", "or"):
            take()
            if t not in names:
                raise PackError("condition %r: unknown pattern %r" % (cond, t))
            used.add(t)
            return lambda s: t in s
        raise PackError("condition %r: unexpected %r" % (cond, t))

    def conj():
        f = atom()
        while peek() == "and":
            take()
            g = atom()
            f = (lambda a, b: lambda s: a(s) and b(s))(f, g)
        return f

    def expr():
        f = conj()
        while peek() == "or":
            take()
            g = conj()
            f = (lambda a, b: lambda s: a(s) or b(s))(f, g)
        return f

    f = expr()
    if peek() is not None:
        raise PackError("condition %r: trailing %r" % (cond, peek()))
    return f, used


def expand(pattern, lists, where):
    if pattern.startswith("literal:"):
        return re.escape(pattern[len("literal:"):])

    def sub(m):
        name = m.group(1)
        if name not in lists:
            raise PackError("%s: unknown list {%s}" % (where, name))
        return "(?:" + "|".join(re.escape(str(w)) for w in lists[name]) + ")"
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, pattern)


class Rule:
    def __init__(self, pack, d, lists):
        self.pack = pack
        self.id = d.get("id")
        where = "%s: rule %s" % (pack, self.id)
        if not isinstance(self.id, str) or not ID_RE.match(self.id):
            raise PackError("%s: bad id" % where)
        for k in ("title", "category", "severity"):
            if not d.get(k):
                raise PackError("%s: missing %s" % (where, k))
        if d["severity"] not in SEVERITIES:
            raise PackError("%s: bad severity %r" % (where, d["severity"]))
        self.fields = d.get("fields") or ["title", "body"]
        for f in self.fields:
            if f not in FIELDS:
                raise PackError("%s: unknown field %r" % (where, f))
        pats = d.get("patterns") or {}
        if not pats:
            raise PackError("%s: no patterns" % where)
        self.patterns = {}
        for name, p in pats.items():
            if not re.match(r"^[A-Za-z_]\w*$", name) or name in ("and", "or", "not", "all", "any", "of", "them"):
                raise PackError("%s: bad pattern name %r" % (where, name))
            if re.search(r"\(\?<[=!]|\(\?[^:)]*P|\\p\{|[*+?}]\+", p):
                raise PackError("%s: pattern %s uses a construct kept out of packs" % (where, name))
            rx = expand(p, lists, "%s pattern %s" % (where, name))
            try:
                self.patterns[name] = re.compile(rx, re.IGNORECASE)
            except re.error as e:
                raise PackError("%s: pattern %s: %s" % (where, name, e))
        names = list(self.patterns)
        cond = d.get("condition") or "all of them"
        self.cond, used = parse_condition(cond, names)
        unused = set(names) - used
        if unused:
            raise PackError("%s: patterns not used in the condition: %s" % (where, ", ".join(sorted(unused))))
        if self.cond(set()):
            raise PackError("%s: condition holds with no pattern matching" % where)
        tests = d.get("tests") or {}
        self.match_tests = tests.get("match") or []
        self.nomatch_tests = tests.get("no-match") or []
        if len(self.match_tests) < 2 or len(self.nomatch_tests) < 2:
            raise PackError("%s: needs at least 2 match and 2 no-match tests" % where)

    def matched(self, text):
        return {n for n, rx in self.patterns.items() if rx.search(text)}

    def holds(self, text):
        return self.cond(self.matched(text))


def load_packs(folder):
    rules, ids, packs = [], set(), set()
    files = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
    if not files:
        raise PackError("no packs in %s" % folder)
    for fn in files:
        with open(os.path.join(folder, fn), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        pack = doc.get("pack")
        if not isinstance(pack, str) or not ID_RE.match(pack) or pack in packs:
            raise PackError("%s: bad or duplicate pack name %r" % (fn, pack))
        packs.add(pack)
        lists = doc.get("lists") or {}
        for d in doc.get("rules") or []:
            r = Rule(pack, d, lists)
            if r.id in ids:
                raise PackError("%s: duplicate rule id %s" % (fn, r.id))
            ids.add(r.id)
            rules.append(r)
    return rules


def selftest(rules):
    failures = []
    for r in rules:
        for want, texts in ((True, r.match_tests), (False, r.nomatch_tests)):
            for t in texts:
                for view, v in (("raw", t), ("normalized", normalize(t))):
                    if r.holds(v) != want:
                        failures.append("%s: %s test fails (%s view): %s"
                                        % (r.id, "match" if want else "no-match", view, t))
    return failures

# ----------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", default=os.path.join(ROOT, "docs", "demo"))
    ap.add_argument("--packs", default=os.path.join(ROOT, "rules", "packs"))
    ap.add_argument("--check", metavar="TSV", help="compare with this file instead of printing; exit 1 if it differs")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the matched patterns of every hit")
    args = ap.parse_args()
    log = lambda *a: print(*a, file=sys.stderr)

    try:
        rules = load_packs(args.packs)
    except (PackError, OSError, yaml.YAMLError) as e:
        sys.exit("pack error: %s" % e)
    failures = selftest(rules)
    for f in failures:
        log("FAIL " + f)

    pages, problems = crawl(args.demo)
    for p in problems:
        log("DEMO " + p)

    hits, diverge = set(), []
    for name, (label, title, body) in pages.items():
        fields = {"title": title, "body": body}
        for r in rules:
            for field in r.fields:
                if field not in fields:
                    continue
                a = r.holds(fields[field])
                b = r.holds(normalize(fields[field]))
                if a != b:
                    diverge.append("%s %s %s: raw=%s normalized=%s" % (r.id, name, field, a, b))
                if a:
                    hits.add((r.id, name, field))
                    if args.verbose:
                        m = r.matched(fields[field])
                        log("hit %s %s %s: %s" % (r.id, name, field, ", ".join(
                            "%s=%r" % (n, r.patterns[n].search(fields[field]).group(0)) for n in sorted(m))))
    for d in diverge:
        log("NORMALIZATION-SENSITIVE " + d)

    lines = ["\t".join(h) for h in sorted(hits)]
    out = "".join(l + "\n" for l in lines)

    per_rule = collections.Counter(h[0] for h in hits)
    gbk = sorted(n for n, (label, _, _) in pages.items() if label != "utf-8")
    log("pages reachable: %d (%d declared GBK/GB2312: %s)" % (len(pages), len(gbk), " ".join(gbk)))
    log("rules: %d, embedded tests: %d failed" % (len(rules), len(failures)))
    log("expected hits: %d (%d on GBK pages)" % (len(hits), sum(1 for h in hits if h[1] in gbk)))
    for r in rules:
        log("  %-32s %d" % (r.id, per_rule.get(r.id, 0)))

    status = 1 if (failures or problems or diverge) else 0
    if args.check:
        want = open(args.check, encoding="utf-8").read()
        if want != out:
            log("MISMATCH with %s" % args.check)
            old, new = set(want.splitlines()), set(lines)
            for l in sorted(old - new):
                log("  - " + l)
            for l in sorted(new - old):
                log("  + " + l)
            status = 1
        else:
            log("matches %s" % args.check)
    else:
        sys.stdout.write(out)
    return status


if __name__ == "__main__":
    sys.exit(main())
