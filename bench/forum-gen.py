#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a deterministic synthetic forum for patrol's crawler benchmark (bench/run.sh).

A Discuz-like site: a board index, boards with paginated thread lists, threads of one or more pages
of posts, 15-80 KB a page, about 10 % of the pages in GBK with <meta charset="gbk">, Chinese and
English text, a sprinkle of posts that the shipped rule packs (rules/packs/) flag and of posts that
look close but must stay quiet, a robots.txt that allows everything. The same arguments always give
the same bytes (every page is drawn from its own seeded generator), so runs are comparable.

With --hosts K the pages are split over K independent copies of the site structure, one directory
per host (h000/, h001/, ...), each with its own index and robots.txt: bench/run.sh serves each on a
port of its own for the politeness run. Standard library only.
"""

import argparse
import json
import math
import os
import random
import sys

GEN_VERSION = 1
KB = 1024
MIN_PAGE, MAX_PAGE = 15 * KB, 80 * KB
THREADS_PER_LIST = 30  # threads per board list page, as Discuz shows by default
GBK_SHARE = 0.10
PLANT_SHARE = 1 / 600  # posts that a shipped rule flags
DECOY_SHARE = 1 / 200  # posts that share words with a rule but must not be flagged

# --- vocabulary -------------------------------------------------------------------------------
# Kept clear of the rule packs' trigger words, so that hits come from the planted posts only.

ZH_SUBJ = ["我", "我们家", "楼主", "我同事", "我老婆", "我朋友", "隔壁老王", "小区里的人", "这家店",
           "那个师傅", "客户", "孩子", "我妈", "大家", "前几天我", "上周我", "有人", "我表哥"]
ZH_TOPIC = ["这台笔记本", "新买的手机", "厨房的装修", "孩子的作业", "周末的行程", "这款相机",
            "小区的停车位", "家里的路由器", "老家的院子", "这本书", "那个课程", "电动车的电池",
            "空调的遥控器", "单位的食堂", "楼下的面馆", "高铁的时刻表", "租的房子", "旧沙发",
            "显卡驱动", "洗衣机", "阳台的花", "社区医院", "驾校的教练", "公司的年会", "这条裙子",
            "咖啡机", "阿里云服务器", "树莓派", "机械键盘", "猫粮", "儿童座椅", "羽毛球拍"]
ZH_VERB = ["研究了一下", "折腾了半天", "试了好几次", "认真对比了", "咨询了一圈", "拆开看了看",
           "用了三个月", "重新设置了", "仔细检查了", "拍了几张照片", "记录了一下", "跟踪了两周",
           "换了个思路处理", "查了不少资料", "请教了师傅", "重新安装了"]
ZH_RESULT = ["感觉还不错", "效果一般般", "比想象中好用", "有点失望", "总算搞定了", "还在观察",
             "性价比挺高", "问题依旧", "基本满意", "比上次顺利多了", "说实话有点贵", "值得推荐",
             "还需要再等等", "终于恢复正常", "跟说明书写的不一样", "细节做得很到位"]
ZH_CONN = ["不过", "而且", "另外", "所以", "但是", "其实", "说起来", "顺便说一下", "总的来说",
           "话说回来", "后来", "当时"]
ZH_TAIL = ["大家有什么建议吗", "有懂行的朋友帮忙看看", "先记录一下", "供参考", "欢迎交流",
           "回头再来更新", "希望对大家有帮助", "有同样情况的吗", "坐等高手解答", "就这样吧",
           "以上是个人体会", "谢谢各位"]
ZH_PLACE = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "苏州", "重庆",
            "天津", "长沙", "青岛", "厦门", "昆明", "合肥", "郑州"]
ZH_TIME = ["昨天", "今天上午", "上个月", "去年冬天", "前天晚上", "周末", "国庆期间", "春节前",
           "最近", "刚才", "下班后", "早上七点多"]

EN_SUBJ = ["I", "My brother", "Our team", "The landlord", "A friend of mine", "My neighbour",
           "The shop", "We", "The mechanic", "My kid", "Everyone here", "The old owner"]
EN_VERB = ["tried", "replaced", "looked into", "set up", "compared", "tested", "cleaned",
           "repaired", "upgraded", "measured", "ordered", "returned", "configured", "painted"]
EN_OBJ = ["the router", "the kitchen tiles", "a second-hand bike", "the garden fence", "the laptop",
          "the water heater", "an old camera lens", "the car battery", "the bookshelf",
          "the home server", "a pair of running shoes", "the balcony door", "the printer",
          "the sourdough starter", "the graphics card", "the fish tank", "the solar panel"]
EN_RESULT = ["and it works fine now", "but it is still noisy", "which took most of the weekend",
             "and the result was better than expected", "but the manual was useless",
             "and I would do it again", "although it cost more than planned",
             "and nothing changed", "so we will see how it holds up", "which solved the problem"]
EN_TAIL = ["Any advice is welcome.", "Thanks in advance.", "Hope this helps someone.",
           "Will post an update later.", "Has anyone seen this before?", "Just my two cents.",
           "Photos below.", "Cheers.", "Let me know what you think.", "Happy to answer questions."]
EN_WORDS = ["actually", "probably", "honestly", "basically", "finally", "again", "really",
            "quite", "almost", "still", "already", "maybe"]

BOARDS_ZH = ["数码产品", "电脑硬件", "手机交流", "装修设计", "育儿心得", "美食天地", "旅游攻略",
             "汽车之家", "房产楼市", "职场人生", "二手市场", "宠物乐园", "摄影爱好", "运动健身",
             "读书分享", "影视娱乐", "游戏天地", "本地生活", "教育考试", "健康养生", "理财杂谈",
             "情感天地", "园艺种植", "手工制作", "开发者社区", "音乐发烧", "户外登山", "钓鱼交流",
             "摩托车友", "家电维修"]
BOARDS_EN = ["Hardware", "Home Improvement", "Cycling", "Photography", "Cooking", "Gardening",
             "Programming", "Travel", "Classic Cars", "Board Games"]

USER_ZH = ["风中的猫", "老李头", "小鱼儿", "东北大米", "路过的蜗牛", "月光宝盒", "半杯咖啡", "阿福",
           "山城小胖", "晴天娃娃", "大白兔", "老街坊", "江南烟雨", "北极熊", "夜猫子", "一只鹅"]
USER_EN = ["tinkerer42", "greenthumb", "oldmechanic", "pixelpusher", "quietreader", "road_runner",
           "breadmaker", "n00bcoder", "hilltop", "seaside_sam", "gearhead", "mapnerd"]

# Posts that a shipped rule flags (each built from the pack's own match examples) and decoys that
# share words with a rule but carry its warning words, or lack a concept, so stay quiet.
PLANTED = [
    "在家兼职刷单，佣金日结，加vx abc{n}",
    "招短视频点赞员，一单{d}元，当天日结",
    "招网店刷信誉兼职，垫付本金后立即返还，另返佣金{d}%",
    "招聘网络打字员，在家手机可做，先交{n}元押金发资料",
    "手工外发串珠子，需先交{n}元材料费，多劳多得",
    "导师带你炒币，USDT合约稳赚不赔，进群领策略",
    "有内幕消息，跟单就能赚，加vx usdt_{n}",
    "无抵押、不看征信，最快当天放款，先交{n}元手续费",
    "黑户也能秒批，缴纳保证金后放款",
    "我是官方售后客服，可申请三倍赔偿，请下载会议软件开启屏幕共享",
    "快递客服：包裹丢失理赔，请在备用金页面验证账户",
    "只走平台担保交易，首次使用需缴纳{n}元保证金激活账户",
    "拍下后我发你担保链接，账户被冻结要交验证金解冻",
    "地震局内部消息：今晚凌晨{d}点有6.5级地震，赶紧转发给家人",
    "水厂被人投毒了，自来水千万别喝，赶紧告诉家人",
    "一伙人开白色面包车在学校门口抢孩子，用迷药捂嘴，看到的都转发",
    "Send any amount of BTC to our wallet and we will double your coins within 24 hours",
    "Deposit USDT today, guaranteed profit of 100% by tomorrow",
    "You have won the lottery prize. Pay the release fee in gift cards to claim it",
    "Your computer is infected. Call Windows Support toll-free 1-800-555-0{d}{d}",
    "URGENT! The city tap water is poisoned. Do not drink it. Share this with everyone!",
]
DECOYS = [
    "警惕刷单返利骗局！凡是要求垫付的都是诈骗",
    "华联超市招周末理货员，时薪22元，工资日结",
    "中介佣金一般收1%到2%，可以谈",
    "招前台文员，会打字即可，五险一金，无需任何费用",
    "世上没有稳赚不赔的投资，定投宽基指数要拿得住",
    "银行说房贷提前还款不收手续费，要提前一个月预约",
    "卖家不发货，最后平台客服帮我退款了",
    "同城自提，不走担保交易，只接受当面验货",
    "6月12日暂停供水，恢复供水后水质浑浊请放水几分钟，请相互转告",
    "小区门口有辆面包车在卖水果，挺新鲜的，告诉家人去买",
    "There are no guaranteed returns; how do I transfer money to a brokerage?",
    "My grandmother left a small inheritance; the lawyer's bill was paid from the estate",
    "How do I use remote desktop to help my mom move photos?",
    "The boil water advisory is lifted; no contamination was found. Please share with neighbours.",
]

SITE_NAME = "城市生活论坛"
FOOTER_ZH = ("本站内容均由网友发表，仅代表作者个人观点。如有侵权请联系管理员删除。"
             "请遵守社区公约，文明发帖，理性讨论。")

# --- text -------------------------------------------------------------------------------------


def zh_sentence(r):
    s = r.choice(ZH_SUBJ) + r.choice(ZH_TIME) + r.choice(ZH_VERB) + r.choice(ZH_TOPIC) + "，"
    s += r.choice(ZH_RESULT)
    if r.random() < 0.5:
        s += "，" + r.choice(ZH_CONN) + r.choice(ZH_PLACE) + "那边" + r.choice(ZH_RESULT)
    if r.random() < 0.15:
        s += "（型号 " + r.choice("ABCDEFGHKMXZ") + str(r.randint(100, 9999)) + "）"
    return s + r.choice("。。。！？")


def en_sentence(r):
    s = "%s %s %s %s %s." % (r.choice(EN_SUBJ), r.choice(EN_WORDS), r.choice(EN_VERB),
                             r.choice(EN_OBJ), r.choice(EN_RESULT))
    if r.random() < 0.2:
        s += " It took about %d minutes." % r.randint(5, 240)
    return s


class Text:
    """Pools of ready sentences: drawing from pools keeps 800 MB of text fast to generate."""

    def __init__(self, seed):
        r = random.Random("%s:pool" % seed)
        self.zh = [zh_sentence(r) for _ in range(6000)]
        self.en = [en_sentence(r) for _ in range(4000)]
        self.zh_tail = ZH_TAIL
        self.en_tail = EN_TAIL

    def paragraph(self, r, lang, n):
        if lang == "zh":
            out = r.choices(self.zh, k=n)
            if r.random() < 0.3:  # English words and numbers inside Chinese posts
                out.insert(r.randrange(len(out) + 1), r.choice(self.en))
            return "".join(out)
        return " ".join(r.choices(self.en, k=n))

    def title(self, r, lang):
        if lang == "zh":
            t = r.choice(ZH_TOPIC) + r.choice(ZH_VERB) + "，" + r.choice(ZH_RESULT)
            if r.random() < 0.3:
                t = "【" + r.choice(ZH_PLACE) + "】" + t
            return t
        return "%s %s %s" % (r.choice(EN_SUBJ), r.choice(EN_VERB), r.choice(EN_OBJ))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# --- site plan --------------------------------------------------------------------------------


class Site:
    """The structure of one host's forum: boards, threads and their page counts, exactly n pages."""

    def __init__(self, seed, host, n):
        self.seed, self.host = seed, host
        r = random.Random("%s:%d:plan" % (seed, host))
        nboards = max(1, min(30, n // 700))
        if n < 2 + nboards:
            raise ValueError("host %d: %d pages is too few for a forum" % (host, n))
        self.boards = []
        for b in range(nboards):
            en = b % 6 == 5  # one board in six is English
            name = BOARDS_EN[b % len(BOARDS_EN)] if en else BOARDS_ZH[b % len(BOARDS_ZH)]
            self.boards.append({"fid": b + 1, "name": name, "lang": "en" if en else "zh",
                                "threads": [], "weight": r.uniform(0.3, 3.0)})
        self.threads = []  # [tid, board index, pages]
        remaining = n - 1 - nboards  # the index and each board's first list page
        weights = [b["weight"] for b in self.boards]
        while remaining > 0:
            bi = r.choices(range(nboards), weights)[0]
            pages = r.choice([1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7])
            nt = len(self.boards[bi]["threads"])
            extra = 1 if nt and nt % THREADS_PER_LIST == 0 else 0  # a new list page
            if pages + extra > remaining:
                if self.threads:  # the last pages go to the last thread
                    self.threads[-1][2] += remaining
                    break
                pages = remaining - extra
            tid = len(self.threads) + 1
            self.threads.append([tid, bi, pages])
            self.boards[bi]["threads"].append(tid)
            remaining -= pages + extra
        for b in self.boards:
            b["list_pages"] = max(1, math.ceil(len(b["threads"]) / THREADS_PER_LIST))
        self.n = n

    def thread_meta(self, text, tid):
        r = random.Random("%s:%d:tmeta:%d" % (self.seed, self.host, tid))
        b = self.boards[self.threads[tid - 1][1]]
        users = USER_EN if b["lang"] == "en" else USER_ZH
        return {"title": text.title(r, b["lang"]), "author": r.choice(users) + str(r.randint(1, 99)),
                "replies": r.randint(0, 400), "views": r.randint(20, 90000),
                "date": "2024-%02d-%02d" % (r.randint(1, 12), r.randint(1, 28))}


# --- pages ------------------------------------------------------------------------------------


class Page:
    """A page assembled as encoded parts, so its size is known while it grows."""

    def __init__(self, enc):
        self.enc, self.parts, self.size = enc, [], 0

    def add(self, s):
        b = s.encode(self.enc, "xmlcharrefreplace")
        self.parts.append(b)
        self.size += len(b)

    def bytes(self):
        return b"".join(self.parts)


def head(p, title, enc_label, r):
    p.add('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="%s">\n' % enc_label)
    p.add("<title>%s - %s</title>\n" % (esc(title), SITE_NAME))
    p.add('<meta name="keywords" content="%s,论坛,社区">\n' % esc(title[:20]))
    p.add('<meta name="description" content="%s">\n' % esc(title))
    p.add('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    p.add('<link rel="stylesheet" type="text/css" href="/static/style.css">\n')
    p.add('<style type="text/css">.pl .t_f{font-size:14px;line-height:1.8}.pls{width:160px}'
          '#hd .wp{height:%dpx}.xg1{color:#999}.bm_c{padding:10px}</style>\n' % r.randint(60, 90))
    p.add("<script type=\"text/javascript\">var STYLEID = '%d', IMGDIR = 'static/image', "
          "VERHASH = '%06x', charset = 'utf-8', discuz_uid = '0', cookiepre = 'bbs_', "
          "SITEURL = '/', JSPATH = 'static/js/';</script>\n" % (r.randint(1, 9), r.getrandbits(24)))
    p.add('<script src="/static/common.js" type="text/javascript"></script>\n</head>\n')


def header_nav(p, site, crumbs):
    p.add('<body id="nv_forum" class="pg_viewthread">\n<div id="toptb" class="cl"><div class="wp">'
          '<div class="z"><a href="/">设为首页</a><a href="javascript:;" onclick="addFavorite()">'
          '收藏本站</a></div><div class="y"><a href="javascript:;" class="showmenu">切换到窄版</a>'
          "</div></div></div>\n")
    p.add('<div id="hd"><div class="wp"><div class="hdc cl"><h2><a href="/" title="%s">'
          '<img src="/static/logo.png" alt="%s" border="0"></a></h2></div>\n<div id="nv"><ul>'
          % (SITE_NAME, SITE_NAME))
    p.add('<li class="a"><a href="/" hidefocus="true">论坛</a></li>')
    for b in site.boards[:12]:
        p.add('<li><a href="/forum-%d-1.html" hidefocus="true">%s</a></li>' % (b["fid"], b["name"]))
    p.add("</ul></div></div></div>\n")
    p.add('<div id="wp" class="wp"><div id="pt" class="bm cl"><div class="z">'
          '<a href="/" class="nvhm" title="首页">%s</a>' % SITE_NAME)
    for href, label in crumbs:
        p.add(' <em>&rsaquo;</em> <a href="%s">%s</a>' % (href, esc(label)))
    p.add("</div></div>\n")


def footer(p, r):
    p.add('<div id="ft" class="wp cl"><div id="flk" class="y"><p><a href="/">首页</a><span class="pipe">'
          '|</span><a href="https://www.example.org/about" target="_blank">关于我们</a><span class="pipe">|'
          '</span><a href="https://help.example.net/contact">联系我们</a><span class="pipe">|</span>'
          '<a href="javascript:;" onclick="return false">Archiver</a></p>'
          '<p class="xs0">GMT+8, 2024-%02d-%02d %02d:%02d , Processed in 0.0%d second(s), %d queries.'
          '</p></div><div id="frt"><p>Powered by <strong>Discuz!</strong></p><p class="xs0">%s</p>'
          '</div></div>\n' % (r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59),
                              r.randint(10, 99), r.randint(4, 30), FOOTER_ZH))
    p.add('<script type="text/javascript">_attachEvent(window, "scroll", function(){showTopLink();});'
          "checkBlind();</script>\n</body>\n</html>\n")


def pager(p, prefix, cur, last, suffix):
    if last <= 1:
        return
    p.add('<div class="pg">')
    if cur > 1:
        p.add('<a href="%s%d%s" class="prev">上一页</a>' % (prefix, cur - 1, suffix))
    shown = sorted({1, 2, last, last - 1} | set(range(max(1, cur - 4), min(last, cur + 5) + 1)))
    for i in shown:
        if i == cur:
            p.add("<strong>%d</strong>" % i)
        else:
            p.add('<a href="%s%d%s">%d</a>' % (prefix, i, suffix, i))
    if cur < last:
        p.add('<a href="%s%d%s" class="nxt">下一页</a>' % (prefix, cur + 1, suffix))
    p.add("</div>\n")


def sidebar(p, site, text, r, target):
    """Hot threads, announcements and tags: fills list pages to their size."""
    p.add('<div id="sd" class="sd"><div class="bm"><div class="bm_h"><h2>热门主题</h2></div>'
          '<div class="bm_c"><ul class="xl xl1">')
    while p.size < target:
        tid = r.randint(1, len(site.threads))
        m = site.thread_meta(text, tid)
        p.add('<li><em class="xg1">%d 回复</em><a href="/thread-%d-1-1.html" title="%s">%s</a>'
              "<p class=\"xg1\">%s</p></li>\n"
              % (m["replies"], tid, esc(m["title"]), esc(m["title"]),
                 esc(text.paragraph(r, site.boards[site.threads[tid - 1][1]]["lang"], 1))))
    p.add("</ul></div></div></div>\n")


def post_html(site, text, r, pid, floor, lang, plants, stats):
    users = USER_EN if lang == "en" else USER_ZH
    user = r.choice(users) + str(r.randint(1, 99))
    uid = r.randint(1000, 999999)
    paras = []
    for _ in range(r.choice([1, 1, 2, 2, 3, 4, 6])):
        paras.append(esc(text.paragraph(r, lang, r.randint(1, 6))))
    x = r.random()
    if x < PLANT_SHARE:
        paras.insert(r.randrange(len(paras) + 1),
                     esc(r.choice(PLANTED).format(n=r.randint(100, 999), d=r.randint(1, 9))))
        stats["planted_posts"] += 1
        plants[0] = True
    elif x < PLANT_SHARE + DECOY_SHARE:
        paras.insert(r.randrange(len(paras) + 1), esc(r.choice(DECOYS)))
        stats["decoy_posts"] += 1
    quote = ""
    if floor > 1 and r.random() < 0.25:
        quote = ('<div class="quote"><blockquote><font size="2"><font color="#999999">%s 发表于 '
                 "2024-%02d-%02d</font></font><br>%s</blockquote></div><br>"
                 % (r.choice(users), r.randint(1, 12), r.randint(1, 28),
                    esc(text.paragraph(r, lang, 1))))
    body = "<br>\r\n".join(paras)
    sig = esc(text.paragraph(r, lang, 1)) if r.random() < 0.4 else ""
    return (
        '<div id="post_%d"><table id="pid%d" class="plhin" summary="pid%d" cellspacing="0" '
        'cellpadding="0"><tr><td class="pls" rowspan="2"><div class="pls favatar"><div class="pi">'
        '<div class="authi"><span class="xw1">%s</span></div></div><div class="avatar">'
        '<img src="/static/avatar/%d.png" alt="" width="48"></div><dl class="pil cl"><dt>积分</dt>'
        "<dd>%d</dd><dt>帖子</dt><dd>%d</dd><dt>注册时间</dt><dd>20%02d-%02d-%02d</dd></dl>"
        "<p><em>UID %d</em></p></div></td><td class=\"plc\"><div class=\"pi\"><strong><a "
        'href="javascript:;" id="postnum%d">%d<sup>#</sup></a></strong><div class="pti"><div '
        'class="authi"><em id="authorposton%d">发表于 2024-%02d-%02d %02d:%02d</em></div></div>'
        '</div><div class="pct"><div class="pcb"><div class="t_fsz"><table cellspacing="0" '
        'cellpadding="0"><tr><td class="t_f" id="postmessage_%d">\r\n%s%s</td></tr></table></div>'
        '</div></div></td></tr><tr><td class="plc plm">%s</td></tr><tr><td class="pls"></td>'
        '<td class="plc"><div class="po hin"><div class="pob cl"><em><a class="fastre" '
        'href="javascript:;">回复</a><a href="javascript:;">引用</a></em><p><a href="javascript:;">'
        "举报</a><a href=\"javascript:;\">支持</a></p></div></div></td></tr></table></div>\n"
        % (pid, pid, pid, esc(user), uid % 16, r.randint(0, 50000), r.randint(1, 9000),
           r.randint(10, 23), r.randint(1, 12), r.randint(1, 28), uid, pid, floor, pid,
           r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59), pid, quote,
           body, ('<div class="sign">%s</div>' % sig) if sig else ""))


def page_target(r):
    return MIN_PAGE + int((MAX_PAGE - MIN_PAGE - 10 * KB) * r.random() ** 1.6)


def page_encoding(r):
    return ("gbk", "gbk") if r.random() < GBK_SHARE else ("utf-8", "utf-8")


def thread_page(site, text, tid, pg, stats):
    r = random.Random("%s:%d:t:%d:%d" % (site.seed, site.host, tid, pg))
    _, bi, pages = site.threads[tid - 1]
    b = site.boards[bi]
    m = site.thread_meta(text, tid)
    enc, label = page_encoding(r)
    p = Page(enc)
    title = m["title"] + ((" - 第%d页" % pg) if pg > 1 else "")
    head(p, title, label, r)
    header_nav(p, site, [("/forum-%d-1.html" % b["fid"], b["name"]),
                         ("/thread-%d-1-1.html" % tid, m["title"])])
    p.add('<div id="ct" class="wp cl"><div id="pgt" class="pgs mbm cl">')
    pager(p, "/thread-%d-" % tid, pg, pages, "-1.html")
    p.add('<span class="pgb y"><a href="/forum-%d-1.html">返回列表</a></span></div>\n' % b["fid"])
    p.add('<div id="postlist" class="pl bm"><table cellspacing="0" cellpadding="0"><tr>'
          '<td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> '
          '<span class="xi1">%d</span><span class="pipe">|</span><span class="xg1">回复:</span> '
          '<span class="xi1">%d</span></div></td><td class="plc ptm pbn vwthd"><h1 class="ts">'
          '<span id="thread_subject">%s</span></h1></td></tr></table>\n'
          % (m["views"], m["replies"], esc(m["title"])))
    target = page_target(r)
    floor = (pg - 1) * 12 + 1
    plants = [False]
    while p.size < target:
        pid = tid * 1000 + floor
        p.add(post_html(site, text, r, pid, floor, b["lang"], plants, stats))
        floor += 1
    p.add("</div>\n")
    pager(p, "/thread-%d-" % tid, pg, pages, "-1.html")
    related = [t for t in r.sample(b["threads"], min(6, len(b["threads"]))) if t != tid][:5]
    p.add('<div class="bm"><div class="bm_h"><h3>相关帖子</h3></div><div class="bm_c"><ul>')
    for t in related:
        p.add('<li><a href="/thread-%d-1-1.html">%s</a></li>' % (t, esc(site.thread_meta(text, t)["title"])))
    p.add("</ul></div></div></div>\n")
    footer(p, r)
    if plants[0]:
        stats["planted_pages"] += 1
    return p, enc


def list_page(site, text, bi, pg, stats):
    r = random.Random("%s:%d:f:%d:%d" % (site.seed, site.host, bi, pg))
    b = site.boards[bi]
    enc, label = page_encoding(r)
    p = Page(enc)
    head(p, b["name"] + ((" - 第%d页" % pg) if pg > 1 else ""), label, r)
    header_nav(p, site, [("/forum-%d-1.html" % b["fid"], b["name"])])
    p.add('<div id="ct" class="wp cl"><div class="mn"><div class="bm bml pbn"><div class="bm_h cl">'
          '<h1 class="xs2"><a href="/forum-%d-1.html">%s</a> <span class="xs1 xw0 i">今日: '
          "<strong class=\"xi1\">%d</strong><span class=\"pipe\">|</span>主题: <strong class=\"xi1\">"
          "%d</strong></span></h1></div><div class=\"bm_c cl pbn\">%s</div></div>\n"
          % (b["fid"], b["name"], r.randint(0, 300), len(b["threads"]),
             esc(text.paragraph(r, b["lang"], 2))))
    pager(p, "/forum-%d-" % b["fid"], pg, b["list_pages"], ".html")
    p.add('<div id="threadlist" class="tl bm bmw"><div class="bm_c"><table summary="forum_%d" '
          'cellspacing="0" cellpadding="0" id="threadlisttableid">\n' % b["fid"])
    for tid in b["threads"][(pg - 1) * THREADS_PER_LIST:pg * THREADS_PER_LIST]:
        m = site.thread_meta(text, tid)
        npages = site.threads[tid - 1][2]
        more = "".join(' <a href="/thread-%d-%d-1.html">%d</a>' % (tid, i, i)
                       for i in range(2, min(npages, 6) + 1))
        p.add('<tbody id="normalthread_%d"><tr><td class="icn"><a href="/thread-%d-1-1.html" '
              'title="新窗口打开" target="_blank"><img src="/static/folder_common.gif"></a></td>'
              '<th class="common"><a href="/thread-%d-1-1.html" class="s xst">%s</a>%s</th>'
              '<td class="by"><cite>%s</cite><em><span>%s</span></em></td><td class="num">'
              '<a href="/thread-%d-1-1.html" class="xi2">%d</a><em>%d</em></td></tr></tbody>\n'
              % (tid, tid, tid, esc(m["title"]), ('<span class="tps">%s</span>' % more) if more else "",
                 esc(m["author"]), m["date"], tid, m["replies"], m["views"]))
    p.add("</table></div></div>\n")
    pager(p, "/forum-%d-" % b["fid"], pg, b["list_pages"], ".html")
    p.add("</div>\n")
    sidebar(p, site, text, r, page_target(r))
    p.add("</div>\n")
    footer(p, r)
    return p, enc


def index_page(site, text, stats):
    r = random.Random("%s:%d:index" % (site.seed, site.host))
    p = Page("utf-8")
    head(p, "首页", "utf-8", r)
    header_nav(p, site, [])
    p.add('<div id="ct" class="wp cl"><div class="mn"><div class="fl bm">')
    for b in site.boards:
        p.add('<div class="bm bmw flg cl"><div class="bm_h cl"><h2><a href="/forum-%d-1.html">%s</a>'
              '</h2></div><div class="bm_c"><p class="xg2">%s</p><p>主题: %d, 帖数: %d</p></div></div>\n'
              % (b["fid"], b["name"], esc(text.paragraph(r, b["lang"], 2)), len(b["threads"]),
                 len(b["threads"]) * r.randint(5, 40)))
    p.add("</div></div>\n")
    sidebar(p, site, text, r, page_target(r))
    p.add("</div>\n")
    footer(p, r)
    return p, "utf-8"


# --- output -----------------------------------------------------------------------------------

STATIC = {
    "robots.txt": b"User-agent: *\nAllow: /\n",
    "static/style.css": b"body{font:12px/1.5 Tahoma,'Microsoft Yahei',sans-serif}.wp{width:960px;"
                        b"margin:0 auto}.pg a,.pg strong{float:left;padding:0 6px}\n",
    "static/common.js": b"function addFavorite(){}function showTopLink(){}function checkBlind(){}"
                        b"function _attachEvent(o,e,f){if(o.addEventListener)o.addEventListener(e,f)}\n",
    # A 1x1 transparent GIF; also served for the logo and the avatars.
    "static/folder_common.gif": bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000"
                                              "002c00000000010001000002024401003b"),
}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def gen_host(outdir, seed, host, n, text, stats):
    site = Site(seed, host, n)
    for name, data in STATIC.items():
        write(os.path.join(outdir, name), data)
    gif = STATIC["static/folder_common.gif"]
    write(os.path.join(outdir, "static/logo.png"), gif)
    for i in range(16):
        write(os.path.join(outdir, "static/avatar/%d.png" % i), gif)

    def emit(name, page_enc):
        page, enc = page_enc
        data = page.bytes()
        write(os.path.join(outdir, name), data)
        stats["pages"] += 1
        stats["bytes"] += len(data)
        stats["gbk_pages"] += enc == "gbk"
        stats["min_bytes"] = min(stats["min_bytes"], len(data))
        stats["max_bytes"] = max(stats["max_bytes"], len(data))

    emit("index.html", index_page(site, text, stats))
    for bi, b in enumerate(site.boards):
        for pg in range(1, b["list_pages"] + 1):
            emit("forum-%d-%d.html" % (b["fid"], pg), list_page(site, text, bi, pg, stats))
    for tid, _, pages in site.threads:
        for pg in range(1, pages + 1):
            emit("thread-%d-%d-1.html" % (tid, pg), thread_page(site, text, tid, pg, stats))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", help="directory to write the site into (created; must be empty)")
    ap.add_argument("--pages", "-n", type=int, default=20000, help="HTML pages in all (default 20000)")
    ap.add_argument("--hosts", type=int, default=1,
                    help="spread the pages over K hosts, one directory each (default 1)")
    ap.add_argument("--seed", default="patrol-bench", help="generator seed (default patrol-bench)")
    a = ap.parse_args()
    if a.hosts < 1 or a.pages < 3 * a.hosts:
        ap.error("need at least 3 pages per host")
    if os.path.exists(a.outdir) and os.listdir(a.outdir):
        ap.error("%s exists and is not empty" % a.outdir)
    text = Text(a.seed)
    stats = {"pages": 0, "bytes": 0, "gbk_pages": 0, "planted_posts": 0, "planted_pages": 0,
             "decoy_posts": 0, "min_bytes": 1 << 30, "max_bytes": 0}
    for h in range(a.hosts):
        n = a.pages // a.hosts + (1 if h < a.pages % a.hosts else 0)
        d = a.outdir if a.hosts == 1 else os.path.join(a.outdir, "h%03d" % h)
        gen_host(d, a.seed, h, n, text, stats)
    manifest = dict(stats, generator_version=GEN_VERSION, seed=a.seed, hosts=a.hosts,
                    requested_pages=a.pages)
    # The manifest is written last: its presence marks a complete site (run.sh's cache test).
    with open(os.path.join(a.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    json.dump(manifest, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
