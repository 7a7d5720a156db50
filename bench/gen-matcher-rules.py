#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the rule matcher benchmark's rules: one set of patterns in three dialects.

N rules (default 1,000, about 3 patterns each) of Chinese and English fraud vocabulary in the
shapes real packs use: literal phrases, alternations, `\\s*` between words, `\\d{3,}` amounts,
phone numbers and chat handles, bounded gaps between two concepts, `\\b` word boundaries, warning
lists under `not`, and about one rule in twelve with a broad context word that the synthetic
forum (bench/forum-gen.py) does write, so the prefilter reports it and PCRE2 must confirm it,
as it must for words like 微信 or 客服 on a real forum. The same patterns go to:

  --pack FILE   a patrol rule pack (docs/rules.md), each rule with a self-test example, so that
                `patrol rules test FILE` checks the translation of every shape;
  --pcre2 FILE  one regex per line, lists expanded, for bench/pcre2_bench.c (PCRE2's syntax);
  --rg FILE     the same lines for `rg -i -f FILE`: ripgrep's syntax is PCRE2's for these
                shapes, but `\\b`, `\\d`, `\\s`, `\\w` are written in their ASCII forms
                (RG_CLASSES, below);
  --yara FILE   one YARA rule per patrol rule, its patterns as text strings (literals) and regexes
                (`nocase`), its condition the same formula over $names.

YARA's regexes are byte-oriented and lack (?:...): groups become plain groups, and a bounded gap
of N characters between Chinese words (`.{0,N}`, `\\D{0,N}`) becomes N x 3 bytes, since a CJK
character is 3 bytes of UTF-8 (an ASCII gap stays N). That is the one place the translation is
not exact: YARA's gap may span more ASCII characters than the others'. `\\s`, `\\d`, `\\w`, `\\b`
are ASCII in YARA; the forum's digits and spaces are ASCII, so they agree on this corpus.

Deterministic for a given --seed and --rules. Standard library only.
"""

import argparse
import importlib.util
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _gen_rules_vocab():
    """The fraud vocabulary of bench/gen-rules.py (the crawler benchmark's rules), reused."""
    spec = importlib.util.spec_from_file_location("gen_rules", os.path.join(HERE, "gen-rules.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


G = _gen_rules_vocab()

ZH_LURE = G.ZH_A + ["刷单", "返利", "兼职", "垫付", "佣金", "做任务", "点赞员", "打字员", "手工活",
                    "理财导师", "荐股群", "炒币", "合约带单", "内幕消息", "无抵押", "秒批", "放款",
                    "征信修复", "注销账户", "理赔", "退款专员", "保证金", "解冻费", "验证金",
                    "游戏账号", "装备交易", "代练", "婚恋", "交友", "网恋", "领导", "老同学",
                    "冒充", "公安局", "检察院", "法院传票", "洗钱案", "涉案资金"]
ZH_HOOK = G.ZH_B + ["稳赚不赔", "只赚不赔", "保本保息", "零风险", "日结", "返佣", "提成", "秒批",
                    "不看征信", "黑户可做", "手续费", "解冻", "屏幕共享", "备用金", "转账",
                    "安全账户", "下载软件", "会议软件", "刷流水", "充值", "提现"]
ZH_WARN = G.ZH_WARN + ["警惕", "谨防", "骗局", "诈骗", "反诈", "被骗"]
ZH_CHAT = ["微信", "薇信", "v信", "vx", "wx", "qq", "扣扣", "飞机", "电报", "telegram"]
ZH_UNIT = ["元", "块", "万", "米"]
ZH_FILL = ["项目", "最近", "保证", "真的", "一起", "马上"]
# Words the forum writes often: the context a broad rule leans on, and prefilter reports to confirm.
ZH_CTX = ["客户", "师傅", "手机", "服务器", "型号", "性价比", "推荐", "家里", "上个月", "说明书"]
EN_LURE = G.EN_A + ["gift card", "bitcoin", "usdt", "investment plan", "trading account",
                    "lottery prize", "inheritance", "beneficiary", "refund department",
                    "tech support", "microsoft support", "account suspended", "unusual activity",
                    "work from home", "data entry", "job offer", "sugar daddy", "military doctor"]
EN_HOOK = G.EN_B + ["double your", "release fee", "wallet address", "send the code",
                    "remote access", "processing fee", "pay the fee", "confirm your details",
                    "click the link", "log in here", "no experience", "daily profit"]
EN_WARN = G.EN_WARN + ["beware", "fraud alert", "is this a scam", "phishing"]
EN_CHAT = ["whatsapp", "telegram", "signal", "wechat", "kik", "hangouts"]
EN_CTX = ["update", "advice", "laptop", "battery", "router", "weekend", "printer", "manual"]

CATS = G.CATS + ["fraud/click-farming", "fraud/fake-job", "fraud/tech-support", "fraud/romance",
                 "fraud/phishing", "fraud/customer-service"]


def rx_escape(s):
    """A literal as a regex in the dialect common to PCRE2 and ripgrep (and YARA's)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}/])", r"\\\1", s)


def is_cjk(s):
    return any("\u3400" <= ch <= "\u9fff" for ch in s)


class Pat:
    """One pattern: literal text, or a regex in two renderings (PCRE2/rg, and YARA's)."""

    def __init__(self, name, lit=None, rx=None, yara=None, example="", list_name=None):
        self.name, self.lit, self.rx, self.example = name, lit, rx, example
        self.yara = yara if yara is not None else rx
        self.list_name = list_name  # the pack writes {list_name} instead of rx

    def pack_value(self):
        if self.lit is not None:
            return "literal:" + self.lit
        return "{%s}" % self.list_name if self.list_name else self.rx

    def pcre2_line(self):
        return rx_escape(self.lit) if self.lit is not None else self.rx

    def rg_line(self):
        return rg_classes(self.pcre2_line())

    def yara_string(self):
        if self.lit is not None:
            return '"%s" nocase' % self.lit.replace("\\", "\\\\").replace('"', '\\"')
        return "/%s/ nocase" % self.yara.replace("/", "\\/")


# ripgrep's \b, \d, \s, \w are Unicode-aware: compiling them for 3,000 patterns took rg 6 CPU-s,
# and its DFA gives up around a Unicode \b on non-ASCII text (rg then ran under 20 KiB/s here).
# Their ASCII forms are what rg users write for this; they agree with the others on this corpus
# (ASCII digits and spaces) but for a Chinese letter beside an English word (\b, \w), which
# YARA and patrol's prefilter also treat as ASCII.
RG_CLASSES = {"\\b": "(?-u:\\b)", "\\d": "[0-9]", "\\D": "[^0-9]", "\\s": "[\\t\\n\\v\\f\\r ]",
              "\\w": "[0-9A-Za-z_]", "\\W": "[^0-9A-Za-z_]"}


def rg_classes(rx):
    return re.sub(r"\\[bdDswW]", lambda m: RG_CLASSES[m.group(0)], rx)


def alt(words):
    return "(?:%s)" % "|".join(rx_escape(w) for w in words)


def yalt(words):
    return "(%s)" % "|".join(rx_escape(w) for w in words)


def pick(r, words, lo, hi):
    return r.sample(words, r.randint(lo, min(hi, len(words))))


def both(fmt, *groups):
    """fmt with %s for each word group, rendered for PCRE2/rg and for YARA."""
    return fmt % tuple(alt(g) for g in groups), fmt % tuple(yalt(g) for g in groups)


# --- Chinese patterns -------------------------------------------------------------------------


def words_pat(r, name, words, lo=2, hi=5):
    """An alternation of 2 to 5 of words (lo to hi)."""
    w = pick(r, words, lo, hi)
    rx, y = both("%s", w)
    return Pat(name, rx=rx, yara=y, example=r.choice(w))


def zh_amount(r, name):
    h = pick(r, ZH_HOOK, 1, 3)
    u = pick(r, ZH_UNIT, 1, 3)
    rx, y = both("%s\\s*\\d{3,6}\\s*%s", h, u)
    return Pat(name, rx=rx, yara=y, example="%s %d%s" % (r.choice(h), r.randint(100, 99999), r.choice(u)))


def zh_contact(r, name):
    verbs = pick(r, ["加", "联系", "私聊", "找", "添加"], 1, 3)
    chat = pick(r, ZH_CHAT, 2, 5)
    rx, y = both("%s\\s*%s\\s*(?::|：)?\\s*[a-z0-9_]{5,20}", verbs, chat)
    y = y.replace("(?::|：)", "(:|：)")
    handle = "".join(r.choice("abcdefghkmnpqrstuvwxyz0123456789") for _ in range(r.randint(6, 10)))
    return Pat(name, rx=rx, yara=y, example="%s%s：%s" % (r.choice(verbs), r.choice(chat), handle))


def zh_phone(r, name):
    lead = pick(r, ["客服", "热线", "专线", "电话", "联系人", "经理"], 1, 3)
    rx, y = both("%s\\D{0,4}1[3-9]\\d{9}", lead)
    y = y.replace("\\D{0,4}", "\\D{0,12}")  # 4 characters: 12 bytes of CJK text
    return Pat(name, rx=rx, yara=y, example="%s：1%d%09d" % (r.choice(lead), r.randint(3, 9), r.randint(0, 10**9 - 1)))


def zh_near(r, name):
    a, b = pick(r, ZH_LURE, 1, 4), pick(r, ZH_HOOK, 1, 4)
    gap = r.choice([6, 8, 10, 12, 16, 20])
    rx, y = both("%s.{0," + str(gap) + "}%s", a, b)
    y = y.replace(".{0,%d}" % gap, ".{0,%d}" % (3 * gap))
    return Pat(name, rx=rx, yara=y, example=r.choice(a) + r.choice(ZH_FILL) + r.choice(b))


def zh_phrase(r, name):
    lit = r.choice(ZH_LURE) + r.choice(ZH_HOOK)
    return Pat(name, lit=lit, example=lit)


def zh_warning(r, name):
    return Pat(name, rx=alt(ZH_WARN), yara=yalt(ZH_WARN), example=r.choice(ZH_WARN),
               list_name="warn_zh")


# --- English patterns -------------------------------------------------------------------------


def en_lure(r, name):
    w = pick(r, EN_LURE, 1, 4)
    rx, y = both("\\b%s\\b", w)
    return Pat(name, rx=rx, yara=y, example=r.choice(w))


def en_hook(r, name):
    w = pick(r, EN_HOOK, 2, 4)
    rx, y = both("%s", w)
    return Pat(name, rx=rx, yara=y, example=r.choice(w))


def en_near(r, name):
    a, b = pick(r, EN_LURE, 1, 3), pick(r, EN_HOOK, 1, 3)
    words = r.choice([3, 4, 6])
    rx, y = both("\\b%s\\W{1,3}(?:\\w+\\W+){0," + str(words) + "}%s", a, b)
    y = y.replace("(?:\\w+\\W+)", "(\\w+\\W+)")
    return Pat(name, rx=rx, yara=y, example="%s, just %s" % (r.choice(a), r.choice(b)))


def en_money(r, name):
    cur = pick(r, ["usd", "usdt", "dollars", "btc", "eth"], 1, 3)
    rx, y = both("(?:\\$\\s*\\d{1,3}(?:,\\d{3})+|\\b\\d{3,}\\s*%s\\b)", cur)
    y = y.replace("(?:", "(")
    return Pat(name, rx=rx, yara=y, example="%d %s" % (r.randint(500, 90000), r.choice(cur)))


def en_contact(r, name):
    chat = pick(r, EN_CHAT, 1, 3)
    rx, y = both("\\b%s\\s*(?::|@|\\+)?\\s*\\+?\\d{7,}", chat)
    y = y.replace("(?::|@|\\+)", "(:|@|\\+)")
    return Pat(name, rx=rx, yara=y, example="%s +%d" % (r.choice(chat), r.randint(10**8, 10**10)))


def en_phrase(r, name):
    lit = "%s %s" % (r.choice(EN_HOOK), r.choice(EN_LURE))
    return Pat(name, lit=lit, example=lit)


def en_warning(r, name):
    return Pat(name, rx=alt(EN_WARN), yara=yalt(EN_WARN), example=r.choice(EN_WARN),
               list_name="warn_en")


# --- rules ------------------------------------------------------------------------------------

# Each template: the patterns (name, maker) in order, the condition, the patterns a match example
# needs, and whether a warning word must silence it (the no-match example).
ZH_TEMPLATES = [
    ([("lure", lambda r, n: words_pat(r, n, ZH_LURE)), ("hook", lambda r, n: words_pat(r, n, ZH_HOOK)),
      ("amount", zh_amount)], "lure and (hook or amount)", ["lure", "hook"]),
    ([("lure", lambda r, n: words_pat(r, n, ZH_LURE)), ("hook", lambda r, n: words_pat(r, n, ZH_HOOK)),
      ("warning", zh_warning)], "lure and hook and not warning", ["lure", "hook"]),
    ([("near", zh_near), ("contact", zh_contact), ("phrase", zh_phrase)], "any of them", ["phrase"]),
    ([("lure", lambda r, n: words_pat(r, n, ZH_LURE)), ("contact", zh_contact),
      ("context", lambda r, n: words_pat(r, n, ZH_CTX, 1, 3)), ("warning", zh_warning)],
     "(lure or contact) and context and not warning", ["lure", "context"]),
    ([("phrase", zh_phrase), ("lure", lambda r, n: words_pat(r, n, ZH_LURE))], "phrase and lure",
     ["phrase", "lure"]),
    ([("phone", zh_phone), ("hook", lambda r, n: words_pat(r, n, ZH_HOOK)),
      ("lure", lambda r, n: words_pat(r, n, ZH_LURE))], "phone and (hook or lure)", ["phone", "lure"]),
]
EN_TEMPLATES = [
    ([("lure", en_lure), ("hook", en_hook), ("money", en_money)], "lure and (hook or money)",
     ["lure", "hook"]),
    ([("lure", en_lure), ("hook", en_hook), ("warning", en_warning)],
     "lure and hook and not warning", ["lure", "hook"]),
    ([("near", en_near), ("contact", en_contact), ("phrase", en_phrase)], "any of them", ["near"]),
    ([("lure", en_lure), ("contact", en_contact),
      ("context", lambda r, n: words_pat(r, n, EN_CTX, 1, 3)),
      ("warning", en_warning)], "(lure or contact) and context and not warning",
     ["contact", "context"]),
]


def build_rule(r, i):
    zh = i % 3 != 2  # two Chinese rules for each English one, as in the crawler benchmark
    templates = ZH_TEMPLATES if zh else EN_TEMPLATES
    # The context templates (index 3) are one rule in twelve: broad words, many prefilter reports.
    weights = [3, 3, 3, 1, 2, 2] if zh else [3, 3, 3, 1]
    specs, cond, needs = r.choices(templates, weights)[0]
    pats = [make(r, name) for name, make in specs]
    ex = {p.name: p.example for p in pats}
    sep = "，" if zh else " and "
    match = sep.join(ex[n] for n in needs)
    warned = "not warning" in cond
    return {"zh": zh, "pats": pats, "cond": cond, "match": match,
            "nomatch": (ex["warning"] + sep + match) if warned else None}


def q(s):
    """A YAML single-quoted scalar."""
    return "'" + s.replace("'", "''") + "'"


def pack_text(rules, seed):
    out = ["# Generated by bench/gen-matcher-rules.py (seed %s) for the rule matcher benchmark." % seed,
           "# Not a real rule pack: plausible fraud patterns in the shapes real packs use.",
           "pack: bench-matcher", 'version: "1"',
           "description: %d generated rules for bench/run.sh matcher" % len(rules), "lists:",
           "  warn_zh: [%s]" % ", ".join(ZH_WARN), "  warn_en: [%s]" % ", ".join(EN_WARN), "rules:"]
    for i, x in enumerate(rules):
        out.append("  - id: bench.matcher.%04d" % i)
        out.append("    title: Generated matcher rule %d (%s)" % (i, "zh" if x["zh"] else "en"))
        out.append("    category: %s" % x["cat"])
        out.append("    severity: %s" % x["sev"])
        out.append("    fields: [title, body]")
        out.append("    patterns:")
        for p in x["pats"]:
            out.append("      %s: %s" % (p.name, q(p.pack_value())))
        out.append("    condition: %s" % x["cond"])
        out.append("    tests:")
        out.append("      match: [%s]" % q(x["match"]))
        if x["nomatch"]:
            out.append("      no-match: [%s]" % q(x["nomatch"]))
    return "\n".join(out) + "\n"


def yara_cond(cond):
    return re.sub(r"\b(?!and\b|or\b|not\b|any\b|of\b|them\b|all\b)([a-z]+)\b", r"$\1", cond)


def yara_text(rules, seed):
    out = ["// Generated by bench/gen-matcher-rules.py (seed %s): the same patterns and" % seed,
           "// conditions as the patrol pack bench-matcher, for `yara` (docs/bench.md)."]
    for i, x in enumerate(rules):
        out.append("rule bench_matcher_%04d {" % i)
        out.append("  strings:")
        for p in x["pats"]:
            out.append("    $%s = %s" % (p.name, p.yara_string()))
        out.append("  condition:")
        out.append("    %s" % yara_cond(x["cond"]))
        out.append("}")
    return "\n".join(out) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--rules", type=int, default=1000, help="number of rules (default 1000)")
    ap.add_argument("--seed", default="patrol-bench-matcher")
    ap.add_argument("--pack", help="the patrol pack (YAML)")
    ap.add_argument("--pcre2", help="one regex per line, for pcre2_bench")
    ap.add_argument("--rg", help="one regex per line, for rg -i -f")
    ap.add_argument("--yara", help="the YARA rules")
    a = ap.parse_args()
    if a.rules < 1 or a.rules > 100000:
        ap.error("--rules must be 1 to 100000")
    r = random.Random(a.seed)
    rules = []
    for i in range(a.rules):
        x = build_rule(r, i)
        x["cat"], x["sev"] = r.choice(CATS), r.choice(G.SEVERITIES)
        rules.append(x)
    lines = [p.pcre2_line() for x in rules for p in x["pats"]]
    if a.pack:
        write(a.pack, pack_text(rules, a.seed))
    if a.pcre2:
        write(a.pcre2, "\n".join(lines) + "\n")
    if a.rg:
        write(a.rg, "\n".join(p.rg_line() for x in rules for p in x["pats"]) + "\n")
    if a.yara:
        write(a.yara, yara_text(rules, a.seed))
    stats = {"rules": len(rules), "patterns": len(lines),
             "zh_rules": sum(x["zh"] for x in rules),
             "literals": sum(p.lit is not None for x in rules for p in x["pats"]),
             "context_rules": sum("context" in x["cond"] for x in rules)}
    json.dump(stats, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
