#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a rule pack of N plausible rules (default 1,000) for patrol's crawler benchmark.

The rules look like real ones (literal phrases, alternations, bounded "near" regexes, word
boundaries, a warning list under `not`, Chinese and English) but are built from words the synthetic
forum (bench/forum-gen.py) never writes, so they rarely match: they add matching cost, not hits.
Each rule carries a match example, and a no-match example when it has a `not`, so
`patrol rules test` checks the pack. Deterministic for a given --seed. Standard library only.
"""

import argparse
import random
import sys

ZH_A = ["跑分", "洗钱", "博彩", "菠菜", "代开发票", "办证", "套现", "网赌", "彩票计划", "外围",
        "黑卡", "四件套", "银行卡出租", "收卡", "矿机", "包过", "代考", "替考", "假文凭", "原始股",
        "养老项目", "拉人头", "资金盘", "杀猪盘", "口子", "强制下款", "征信修复", "校园贷",
        "公检法", "安全账户", "通缉令", "积分兑换", "低价代充", "激活码", "账号解封", "点卡回收",
        "裸聊", "上分", "下分", "代理返水", "对冲套利", "虚拟币挖矿", "数字藏品", "认筹", "分红盘",
        "助力金", "刷流水", "过桥资金", "信用卡代还", "花呗提现"]
ZH_B = ["日入", "月入", "高额", "秒到", "内部渠道", "私聊", "私信", "扫码", "保底", "无门槛",
        "零投入", "躺赚", "包赔", "秒结", "高回报", "名额有限", "速度上车", "联系专员", "渠道费",
        "预付", "认证费", "先款", "当天到账", "免审", "一对一", "包装", "洗白", "解封费"]
ZH_WARN = ["揭秘", "曝光", "防范", "别信", "已报警", "提防", "避坑", "拒绝"]
EN_A = ["seed phrase", "private key", "wallet validation", "crypto recovery", "account unlock",
        "customs fee", "parcel held", "binary options", "forex signals", "pump group",
        "airdrop claim", "cash flip", "loan approval", "credit repair", "grant money",
        "diplomatic package", "military deployment", "shipping insurance", "tax refund portal",
        "mining contract", "cloud mining", "recovery agent", "bank verification", "wire transfer"]
EN_B = ["guaranteed", "instant", "urgent", "whatsapp me", "dm me", "limited slots", "act now",
        "no questions", "risk free", "100x", "telegram me", "upfront", "processing charge",
        "validate", "sync your", "claim now", "verify now", "within 1 hour"]
EN_WARN = ["reported", "warning", "avoid", "exposed", "do not trust", "scam alert"]
CATS = ["fraud/gambling", "fraud/money-mule", "fraud/fake-certificate", "fraud/loan",
        "fraud/investment", "fraud/impersonation", "fraud/crypto", "fraud/recovery", "fraud/prize"]
SEVERITIES = ["low", "medium", "medium", "high", "high", "critical"]


def q(s):
    """A YAML single-quoted scalar."""
    return "'" + s.replace("'", "''") + "'"


def alt(words):
    return "|".join(words)


def rule_zh(r, i):
    kind = i % 5
    a = r.sample(ZH_A, r.randint(1, 4))
    b = r.sample(ZH_B, r.randint(1, 4))
    ex = r.choice(a) + "，" + r.choice(b)
    if kind == 0:  # one literal phrase
        lit = r.choice(ZH_A) + r.choice(ZH_B)
        return {"p": {"phrase": "literal:" + lit}, "cond": None, "match": "有人说" + lit + "是真的吗"}
    if kind == 1:  # two concepts anywhere
        return {"p": {"lure": alt(a), "hook": alt(b)}, "cond": "lure and hook", "match": ex}
    if kind == 2:  # near: bounded gap
        return {"p": {"near": "(?:%s).{0,12}(?:%s)" % (alt(a), alt(b))}, "cond": None,
                "match": r.choice(a) + "项目" + r.choice(b)}
    if kind == 3:  # with a warning list under not
        w = r.choice(ZH_WARN)
        return {"p": {"lure": alt(a), "hook": alt(b), "warning": "{warn_zh}"},
                "cond": "lure and hook and not warning", "match": ex, "nomatch": w + ex}
    # a number after a hook word
    return {"p": {"lure": alt(a), "amount": "(?:%s)\\s*\\d{3,6}\\s*(?:元|块)" % alt(b)},
            "cond": "lure and amount", "match": r.choice(a) + "，" + r.choice(b) + " %d元" % r.randint(100, 99999)}


def rule_en(r, i):
    kind = i % 4
    a = r.sample(EN_A, r.randint(1, 3))
    b = r.sample(EN_B, r.randint(1, 3))
    ex = "the %s is %s" % (r.choice(a), r.choice(b))
    if kind == 0:
        lit = "%s %s" % (r.choice(EN_B), r.choice(EN_A))
        return {"p": {"phrase": "literal:" + lit}, "cond": None, "match": "they said " + lit + " today"}
    if kind == 1:
        return {"p": {"lure": "\\b(?:%s)\\b" % alt(a), "hook": "\\b(?:%s)" % alt(b)},
                "cond": "lure and hook", "match": ex}
    if kind == 2:
        return {"p": {"near": "\\b(?:%s)\\W{1,3}(?:\\w+\\W+){0,6}?(?:%s)" % (alt(a), alt(b))},
                "cond": None, "match": "%s, just %s" % (r.choice(a), r.choice(b))}
    w = r.choice(EN_WARN)
    return {"p": {"lure": "\\b(?:%s)\\b" % alt(a), "hook": alt(b), "warning": "{warn_en}"},
            "cond": "lure and hook and not warning", "match": ex, "nomatch": w + ": " + ex}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--rules", type=int, default=1000, help="number of rules (default 1000)")
    ap.add_argument("--seed", default="patrol-bench-rules")
    ap.add_argument("-o", "--output", help="the pack file (default: standard output)")
    a = ap.parse_args()
    r = random.Random(a.seed)
    out = ["# Generated by bench/gen-rules.py for the crawler benchmark: plausible rules that the",
           "# synthetic forum rarely matches. Not a real rule pack.",
           "pack: bench-generated", 'version: "1"',
           "description: %d generated benchmark rules" % a.rules, "lists:",
           "  warn_zh: [%s]" % ", ".join(ZH_WARN), "  warn_en: [%s]" % ", ".join(EN_WARN), "rules:"]
    for i in range(a.rules):
        zh = i % 3 != 2  # two Chinese rules for each English one
        x = rule_zh(r, i) if zh else rule_en(r, i)
        out.append("  - id: bench.gen.%04d" % i)
        out.append("    title: Generated rule %d (%s)" % (i, "zh" if zh else "en"))
        out.append("    category: %s" % r.choice(CATS))
        out.append("    severity: %s" % r.choice(SEVERITIES))
        out.append("    fields: [title, body]")
        out.append("    patterns:")
        for k, v in x["p"].items():
            out.append("      %s: %s" % (k, q(v)))
        if x["cond"]:
            out.append("    condition: %s" % x["cond"])
        out.append("    tests:")
        out.append("      match: [%s]" % q(x["match"]))
        if "nomatch" in x:
            out.append("      no-match: [%s]" % q(x["nomatch"]))
    text = "\n".join(out) + "\n"
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
