/* SPDX-License-Identifier: MIT */
/* The hit filters, user times and the hit JSON object of hitfmt.h. Times are UTC throughout:
 * what the store keeps and what analysts in different places compare.
 */
#include "cli/hitfmt.h"

#include "cli/cli.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char hitfmt_filter_help[] = N_(
	"  --status S     new, confirmed, dismissed, escalated or gone\n"
	"  --venue ID     --rule ID     --category C     --severity S\n"
	"  --since TIME   --until TIME  first seen in this span (inclusive); TIME is\n"
	"                 YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z (UTC), @EPOCH, or 30m, 12h, 7d ago\n"
	"  --sort ORDER   newest (default), oldest or severity (critical first)\n"
	"  --limit N      at most N hits\n");

static const char *const statuses[] = {"new", "confirmed", "dismissed", "escalated", "gone"};

static int parse_sort(const char *cmd, const char *arg, struct store_hit_query *q)
{
	if (strcmp(arg, "newest") == 0)
		q->order = STORE_ORDER_NEWEST;
	else if (strcmp(arg, "oldest") == 0)
		q->order = STORE_ORDER_OLDEST;
	else if (strcmp(arg, "severity") == 0)
		q->order = STORE_ORDER_SEVERITY;
	else
		return cli_usage_error(cmd, _("--sort must be newest, oldest or severity")), -1;
	return 1;
}

static int parse_status(const char *cmd, const char *arg, struct store_hit_query *q)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(arg, statuses[i]) == 0) {
			q->status = arg;
			return 1;
		}
	cli_usage_error(cmd, _("unknown status '%s' (new, confirmed, dismissed, escalated, gone)"),
			arg);
	return -1;
}

static int parse_time_opt(const char *cmd, int c, const char *arg, struct store_hit_query *q)
{
	int64_t t;
	bool until = c == HITFMT_OPT_UNTIL;
	if (hitfmt_time_parse(arg, clock_wall(), until, &t) != 0) {
		cli_usage_error(cmd,
				_("bad time '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @EPOCH, 7d)"),
				arg);
		return -1;
	}
	if (until)
		q->until = t;
	else
		q->since = t;
	return 1;
}

int hitfmt_filter_opt(const char *cmd, int c, const char *arg, struct store_hit_query *q)
{
	long long n;
	switch (c) {
	case HITFMT_OPT_STATUS: return parse_status(cmd, arg, q);
	case HITFMT_OPT_VENUE: q->venue = arg; return 1;
	case HITFMT_OPT_RULE: q->rule = arg; return 1;
	case HITFMT_OPT_CATEGORY: q->category = arg; return 1;
	case HITFMT_OPT_SEVERITY: q->severity = arg; return 1;
	case HITFMT_OPT_SINCE:
	case HITFMT_OPT_UNTIL: return parse_time_opt(cmd, c, arg, q);
	case HITFMT_OPT_SORT: return parse_sort(cmd, arg, q);
	case HITFMT_OPT_LIMIT:
		if ((n = cli_parse_count(cmd, "--limit", arg)) < 0)
			return -1;
		q->limit = (uint64_t)n;
		return 1;
	default: return 0;
	}
}

/* "N[smhd]": that long before now. */
static int parse_ago(const char *s, int64_t now, int64_t *ret)
{
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (end == s || errno || n < 0 || !end[0] || end[1])
		return -1;
	int64_t unit = *end == 's'   ? 1
		       : *end == 'm' ? 60
		       : *end == 'h' ? 3600
		       : *end == 'd' ? 86400
				     : 0;
	if (!unit || n > INT64_MAX / unit / 2)
		return -1;
	*ret = now - n * unit;
	return 0;
}

int hitfmt_time_parse(const char *s, int64_t now, bool end, int64_t *ret)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	if (s[0] == '@') {
		char *e;
		errno = 0;
		long long x = strtoll(s + 1, &e, 10);
		if (e == s + 1 || *e || errno)
			return -1;
		*ret = x;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return parse_ago(s, now, ret);
	bool date_only = s[n] == '\0';
	if (!date_only) {
		int m = 0;
		int got = sscanf(s + n, "T%2d:%2d%n:%2d%n", &h, &mi, &m, &sec, &m);
		if (got < 2 || (s[n + m] && (s[n + m] != 'Z' || s[n + m + 1])))
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ret = (int64_t)t + (date_only && end ? 86399 : 0);
	return 0;
}

static json_t *time_or_null(int64_t t)
{
	char at[32];
	return t ? json_string(clock_iso8601(t, at, sizeof(at))) : json_null();
}

static json_t *str_or_null(const char *v)
{
	return v && v[0] ? json_string(v) : json_null();
}

/* Every pattern that matched, as [{"pattern", "field", "post", "start", "end", "text"}]. */
static json_t *spans_json(const struct store_hit *h)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < h->nspans; i++) {
		const struct store_hit_span *sp = &h->spans[i];
		json_t *o = json_pack("{ss ss so sI sI ss}", "pattern", sp->pattern, "field",
				      sp->field, "post",
				      sp->post >= 0 ? json_integer(sp->post) : json_null(), "start",
				      (json_int_t)sp->start, "end", (json_int_t)sp->end, "text",
				      sp->text ? sp->text : "");
		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *hitfmt_json(const struct store_hit *h)
{
	static const uint8_t zero[DIGEST_LEN];
	char first[32], last[32], ev[DIGEST_HEX_LEN + 1];
	bool has_ev = memcmp(h->evidence, zero, DIGEST_LEN) != 0;
	if (has_ev)
		digest_hex(h->evidence, ev);
	/* DESIGN.md §4's keys in its order, then ours. */
	return json_pack("{sI ss ss ss ss ss ss so ss ss ss ss ss sI so ss ss ss so sI sI so so so}",
			 "id",
			 (json_int_t)h->id, "rule", h->rule, "category", h->category, "severity",
			 h->severity, "venue", h->venue, "url", h->url, "field", h->field, "post",
			 h->post >= 0 ? json_integer(h->post) : json_null(), "match", h->match,
			 "snippet", h->snippet, "status", h->status, "first_seen",
			 clock_iso8601(h->first_seen, first, sizeof(first)), "last_seen",
			 clock_iso8601(h->last_seen, last, sizeof(last)), "count",
			 (json_int_t)h->count, "evidence", has_ev ? json_string(ev) : json_null(),
			 "pack", h->pack, "pack_version", h->pack_version, "pack_digest",
			 h->pack_digest, "gone_at", time_or_null(h->gone_at), "start",
			 (json_int_t)h->start, "end", (json_int_t)h->end, "author",
			 str_or_null(h->post_author), "time", str_or_null(h->post_time), "spans",
			 spans_json(h));
}

static int copy_canonical(const struct store_page *page, void *ud)
{
	json_t **ret = ud;
	*ret = page->canonical[0] ? json_string(page->canonical) : json_null();
	return *ret ? 0 : -ENOMEM;
}

json_t *hitfmt_json_canonical(struct store *store, const struct store_hit *h, int *ret_rc)
{
	json_t *o = hitfmt_json(h), *canonical = NULL;
	/* A read of its own beside the caller's walk: LMDB lets one thread hold both (MDB_NOTLS).
	 */
	int rc = o ? store_page_get(store, h->url, copy_canonical, &canonical) : -ENOMEM;
	if (rc == ERR_NOT_FOUND)
		rc = 0;
	if (!rc && json_object_set_new(o, "canonical", canonical ? canonical : json_null()))
		rc = -ENOMEM;
	if (rc) {
		json_decref(o);
		o = NULL;
	}
	*ret_rc = rc;
	return o;
}

char *hitfmt_marked(const struct store_hit *h)
{
	const char *at = h->match[0] ? strstr(h->snippet, h->match) : NULL;
	if (!at)
		return strdup(h->snippet);
	size_t pre = (size_t)(at - h->snippet), m = strlen(h->match);
	size_t len = strlen(h->snippet) + 5;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s>>%.*s<<%s", (int)pre, h->snippet, (int)m, at, at + m);
	return out;
}

int hitfmt_parse_id(const char *cmd, const char *arg, uint64_t *ret)
{
	char *end;
	const char *p = arg[0] == '#' ? arg + 1 : arg;
	errno = 0;
	unsigned long long x = strtoull(p, &end, 10);
	if (end == p || *end || x == 0 || p[0] == '-' || errno) {
		cli_usage_error(cmd, _("'%s' is not a hit id"), arg);
		return -1;
	}
	*ret = x;
	return 0;
}
