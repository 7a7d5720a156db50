/* SPDX-License-Identifier: MIT */
/* The web UI's pages: the queue, a hit, its captured page, the review action, rules, venues, the
 * audit log and exports. Each reads the store in short read transactions (the store's walks) and
 * renders into the request's capped buffer; every string from the store goes through ui_html.
 * The queue pages by keyset: the next page starts below the last row's (first_seen, id), a seek
 * in hits_by_status, so page 2,000 costs what page 1 costs.
 */
#include "review/ui_int.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"

#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The values are data (the store's, the URL's); N_ marks them for their labels on the page. */
static const char *const ui_statuses[] = {N_("new"), N_("confirmed"), N_("dismissed"),
					  N_("escalated"), N_("gone")};
#define NSTATUS (sizeof(ui_statuses) / sizeof(ui_statuses[0]))
static const char *const ui_severities[] = {N_("critical"), N_("high"), N_("medium"), N_("low"),
					    N_("info")};
#define NSEV (sizeof(ui_severities) / sizeof(ui_severities[0]))

/* A filter value from the query: NULL when absent or empty, so it matches anything. */
static const char *ui_filter(const struct ui_req *r, const char *name)
{
	const char *v = httpd_kv_get(r->req->query, r->req->nquery, name);
	return v && v[0] && strlen(v) <= 512 ? v : NULL;
}

static const char *const ui_filter_names[] = {"status",	  "venue", "rule", "category",
					      "severity", "since", "until"};
#define NFILTER (sizeof(ui_filter_names) / sizeof(ui_filter_names[0]))

/* The current filters as a query string ("" when none; keys as the form names them). */
static int ui_filter_qs(const struct ui_req *r, struct buf *b)
{
	int rc = 0;
	for (size_t i = 0; i < NFILTER && !rc; i++) {
		const char *v = httpd_kv_get(r->req->query, r->req->nquery, ui_filter_names[i]);
		if (!v)
			continue;
		rc = buf_addf(b, "%s%s=", b->len ? "&" : "", ui_filter_names[i]);
		rc = rc ? rc : ui_qs(b, v);
	}
	return rc;
}

/* Builds q from the query. The status defaults to new; "all" means any. */
static void ui_query_of(const struct ui_req *r, struct store_hit_query *q)
{
	store_hit_query_init(q);
	const char *st = httpd_kv_get(r->req->query, r->req->nquery, "status");
	q->status = !st ? "new" : (!st[0] || strcmp(st, "all") == 0) ? NULL : st;
	q->venue = ui_filter(r, "venue");
	q->rule = ui_filter(r, "rule");
	q->category = ui_filter(r, "category");
	q->severity = ui_filter(r, "severity");
	int64_t t = ui_date_parse(ui_filter(r, "since"), false);
	if (t >= 0)
		q->since = t;
	t = ui_date_parse(ui_filter(r, "until"), true);
	if (t >= 0)
		q->until = t;
}

/* A filter's menu; labels: the values are marked N_ and shown translated. */
static int ui_select(struct ui_req *r, const char *name, const char *cur, const char *const *vals,
		     size_t n, const char *any, bool labels)
{
	struct buf *b = &r->page;
	int rc = buf_addf(b, "<select name=\"%s\"><option value=\"%s\">", name,
			  strcmp(name, "status") == 0 ? "all" : "");
	rc = rc ? rc : ui_html(b, any);
	rc = rc ? rc : buf_addstr(b, "</option>");
	for (size_t i = 0; i < n && !rc; i++) {
		rc = buf_addstr(b, "<option");
		if (!rc && cur && strcmp(cur, vals[i]) == 0)
			rc = buf_addstr(b, " selected");
		rc = rc ? rc : buf_addstr(b, " value=\"");
		rc = rc ? rc : ui_html(b, vals[i]);
		rc = rc ? rc : buf_addstr(b, "\">");
		rc = rc ? rc : ui_html(b, labels ? ui__tr(r, vals[i]) : vals[i]);
		rc = rc ? rc : buf_addstr(b, "</option>");
	}
	return rc ? rc : buf_addstr(b, "</select>");
}

static int ui_text_input(struct buf *b, const char *name, const char *val, const char *ph,
			 const char *type)
{
	int rc = buf_addf(b, "<input name=\"%s\" type=\"%s\" placeholder=\"", name, type);
	rc = rc ? rc : ui_html(b, ph);
	rc = rc ? rc : buf_addstr(b, "\" value=\"");
	rc = rc ? rc : ui_html(b, val ? val : "");
	return rc ? rc : buf_addstr(b, "\">");
}

static int ui_filters_form(struct ui_req *r, const struct store_hit_query *q)
{
	struct buf *b = &r->page;
	const char *venues[64], *rules[256];
	size_t nv = 0, nr = 0;
	for (size_t i = 0; i < r->ui->o.nvenues && nv < 64; i++)
		venues[nv++] = r->ui->o.venues[i].id;
	for (size_t i = 0; i < r->ui->o.nrules && nr < 256; i++)
		rules[nr++] = r->ui->o.rules[i].id;
	int rc = buf_addstr(b, "<form class=\"filters\" method=\"get\" action=\"/\">");
	rc = rc ? rc
		: ui_select(r, "status", q->status, ui_statuses, NSTATUS, ui__tr(r, "any status"),
			    true);
	rc = rc ? rc : ui_select(r, "venue", q->venue, venues, nv, ui__tr(r, "any venue"), false);
	rc = rc ? rc : ui_select(r, "rule", q->rule, rules, nr, ui__tr(r, "any rule"), false);
	rc = rc ? rc : ui_text_input(b, "category", q->category, ui__tr(r, "category"), "text");
	rc = rc ? rc
		: ui_select(r, "severity", q->severity, ui_severities, NSEV,
			    ui__tr(r, "any severity"), true);
	rc = rc ? rc : ui_text_input(b, "since", ui_filter(r, "since"), ui__tr(r, "since"), "date");
	rc = rc ? rc : ui_text_input(b, "until", ui_filter(r, "until"), ui__tr(r, "until"), "date");
	rc = rc ? rc : buf_addstr(b, "<button>");
	rc = rc ? rc : ui__text(r, "filter");
	return rc ? rc : buf_addstr(b, "</button></form>");
}

static int ui_counts(struct ui_req *r, const char *cur)
{
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<p class=\"counts\">");
	for (size_t i = 0; i < NSTATUS && !rc; i++) {
		uint64_t n = 0;
		rc = store_status_count(r->ui->o.store, ui_statuses[i], &n);
		rc = rc ? rc
			: buf_addf(b, "<a class=\"st-%s%s\" href=\"/?status=%s\">", ui_statuses[i],
				   cur && strcmp(cur, ui_statuses[i]) == 0 ? " on" : "",
				   ui_statuses[i]);
		rc = rc ? rc : ui__text(r, ui_statuses[i]);
		rc = rc ? rc : buf_addf(b, " <b>%" PRIu64 "</b></a> ", n);
	}
	rc = rc ? rc : buf_addstr(b, "<a href=\"/?status=all\">");
	rc = rc ? rc : ui__text(r, "all");
	return rc ? rc : buf_addstr(b, "</a></p>");
}

/* The queue walk: rows below the cursor, one more than a page to know there is a next. */
struct queue_walk {
	struct ui_req *r;
	int64_t cur_t;
	uint64_t cur_id; /* 0: no cursor */
	size_t rows;
	bool more;
	int64_t last_t;
	uint64_t last_id;
};

/* The snippet with the match and what each pattern matched marked; t NULL: h's own. */
static int ui_snippet(struct buf *b, const struct store_hit *h, const struct ui_terms *t)
{
	struct ui_terms own;
	if (!t) {
		ui__terms_of(&own, h);
		t = &own;
	}
	return ui__marked(b, h->snippet, strlen(h->snippet), t);
}

static int queue_row(const struct store_hit *h, void *ud)
{
	struct queue_walk *w = ud;
	struct buf *b = &w->r->page;
	if (w->cur_id && h->first_seen == w->cur_t && h->id >= w->cur_id)
		return 0; /* on the previous page */
	if (w->rows == UI_PAGE_ROWS) {
		w->more = true;
		return 1;
	}
	w->rows++;
	w->last_t = h->first_seen;
	w->last_id = h->id;
	int rc = buf_addf(b,
			  "<tr data-id=\"%" PRIu64 "\"><td><input type=\"checkbox\" name=\"id\" "
			  "form=\"bulk\" value=\"%" PRIu64 "\"></td><td><a class=\"hl\" "
			  "href=\"/hit/%" PRIu64 "\">#%" PRIu64 "</a></td><td class=\"st st-",
			  h->id, h->id, h->id, h->id);
	rc = rc ? rc : ui_html(b, h->status);
	rc = rc ? rc : buf_addstr(b, "\">");
	rc = rc ? rc : ui_html(b, ui__tr(w->r, h->status)); /* the label of a known value */
	rc = rc ? rc : buf_addstr(b, "</td><td class=\"sev sev-");
	rc = rc ? rc : ui_html(b, h->severity);
	rc = rc ? rc : buf_addstr(b, "\">");
	rc = rc ? rc : ui_html(b, ui__tr(w->r, h->severity));
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, h->rule);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, h->venue);
	rc = rc ? rc : buf_addstr(b, "</td><td class=\"t\">");
	rc = rc ? rc : ui__time(b, h->first_seen);
	rc = rc ? rc : buf_addstr(b, "</td><td class=\"snip\">");
	rc = rc ? rc : ui_snippet(b, h, NULL);
	return rc ? rc : buf_addstr(b, "</td></tr>");
}

/* The review buttons and the note, inside a form; keys: the hit page's, with their keys. */
static int ui_action_buttons(struct ui_req *r, bool keys)
{
	static const char *const acts[][3] = {
		{"confirm", N_("confirm"), N_("confirm (c)")},
		{"dismiss", N_("dismiss"), N_("dismiss (d)")},
		{"escalate", N_("escalate"), N_("escalate (e)")},
	};
	struct buf *b = &r->page;
	int rc = 0;
	for (size_t i = 0; i < 3 && !rc; i++) {
		rc = buf_addf(b, "<button name=\"action\" value=\"%s\">", acts[i][0]);
		rc = rc ? rc : ui__text(r, acts[i][keys ? 2 : 1]);
		rc = rc ? rc : buf_addstr(b, "</button>");
	}
	rc = rc ? rc
		: buf_addstr(b,
			     "<input name=\"note\" id=\"note\" maxlength=\"4000\" placeholder=\"");
	rc = rc ? rc : ui__text(r, "note (n)");
	rc = rc ? rc : buf_addstr(b, "\"><button name=\"action\" value=\"note\">");
	rc = rc ? rc : ui__text(r, "add note");
	return rc ? rc : buf_addstr(b, "</button></form>");
}

/* A table's head: each column's name translated (marked N_ by the caller), then <tbody>. */
static int ui_thead(struct ui_req *r, const char *const *cols, size_t n)
{
	int rc = buf_addstr(&r->page, "<thead><tr>");
	for (size_t i = 0; i < n && !rc; i++) {
		rc = buf_addstr(&r->page, "<th>");
		rc = rc ? rc : ui_html(&r->page, cols[i][0] ? ui__tr(r, cols[i]) : "");
		rc = rc ? rc : buf_addstr(&r->page, "</th>");
	}
	return rc ? rc : buf_addstr(&r->page, "</tr></thead><tbody>");
}

static int ui_bulk_form(struct ui_req *r, const char *back)
{
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<form id=\"bulk\" class=\"actions\" method=\"post\" "
			       "action=\"/review\">");
	rc = rc ? rc : ui__csrf_input(r);
	rc = rc ? rc : buf_addstr(b, "<input type=\"hidden\" name=\"return\" value=\"");
	rc = rc ? rc : ui_html(b, back);
	rc = rc ? rc : buf_addstr(b, "\"><span class=\"dim\">");
	rc = rc ? rc : ui__text(r, "Selected hits:");
	rc = rc ? rc : buf_addstr(b, "</span>");
	return rc ? rc : ui_action_buttons(r, false);
}

static int ui_export_links(struct ui_req *r, const char *qs)
{
	if (!r->ui->o.export_fn)
		return 0;
	int rc = buf_addstr(&r->page, "<p class=\"export\">");
	rc = rc ? rc : ui__text(r, "Export this filter:");
	rc = rc ? rc : buf_addstr(&r->page, " ");
	static const char *const fmts[] = {"jsonl", "csv", "warc"};
	for (size_t i = 0; i < 3 && !rc; i++) {
		rc = buf_addf(&r->page, "<a href=\"/export?format=%s&amp;", fmts[i]);
		rc = rc ? rc : ui_html(&r->page, qs);
		rc = rc ? rc : buf_addf(&r->page, "\">%s</a> ", fmts[i]);
	}
	return rc ? rc : buf_addstr(&r->page, "</p>");
}

int ui__queue(struct ui_req *r)
{
	struct store_hit_query q;
	ui_query_of(r, &q);
	struct queue_walk w = {.r = r};
	const char *after = httpd_kv_get(r->req->query, r->req->nquery, "after");
	if (after && sscanf(after, "%" SCNd64 ".%" SCNu64, &w.cur_t, &w.cur_id) == 2 && w.cur_id)
		q.until = w.cur_t < q.until ? w.cur_t : q.until;
	else
		w.cur_id = 0;
	struct buf qs;
	buf_init(&qs, 8192);
	int rc = ui_filter_qs(r, &qs);
	rc = rc ? rc : ui__page_begin(r, ui__tr(r, "Queue"), "queue");
	rc = rc ? rc : ui_counts(r, q.status);
	rc = rc ? rc : ui_filters_form(r, &q);
	rc = rc ? rc : ui_export_links(r, buf_str(&qs));
	char back[4200];
	snprintf(back, sizeof(back), "/?%s%s%s", buf_str(&qs), after ? "&after=" : "",
		 after && strlen(after) < 64 ? after : "");
	rc = rc ? rc : ui_bulk_form(r, back);
	static const char *const cols[] = {
		"",	    N_("id"),	 N_("status"),	   N_("severity"),
		N_("rule"), N_("venue"), N_("first seen"), N_("snippet")};
	rc = rc ? rc : buf_addstr(&r->page, "<table class=\"queue\" id=\"rows\">");
	rc = rc ? rc : ui_thead(r, cols, sizeof(cols) / sizeof(cols[0]));
	if (!rc) {
		rc = store_hits_query(r->ui->o.store, &q, queue_row, &w);
		rc = rc == 1 ? 0 : rc;
	}
	rc = rc ? rc : buf_addstr(&r->page, "</tbody></table>");
	if (!rc && !w.rows) {
		rc = buf_addstr(&r->page, "<p class=\"dim\">");
		rc = rc ? rc : ui__text(r, "No hits match.");
		rc = rc ? rc : buf_addstr(&r->page, "</p>");
	}
	rc = rc ? rc : buf_addstr(&r->page, "<p class=\"pager\">");
	if (!rc && w.cur_id) {
		rc = buf_addstr(&r->page, "<a href=\"/?");
		rc = rc ? rc : ui_html(&r->page, buf_str(&qs));
		rc = rc ? rc : buf_addstr(&r->page, "\">« ");
		rc = rc ? rc : ui__text(r, "first page");
		rc = rc ? rc : buf_addstr(&r->page, "</a> ");
	}
	if (!rc && w.more) {
		rc = buf_addstr(&r->page, "<a id=\"next\" href=\"/?");
		rc = rc ? rc : ui_html(&r->page, buf_str(&qs));
		rc = rc ? rc
			: buf_addf(&r->page, "&amp;after=%" PRId64 ".%" PRIu64 "\">", w.last_t,
				   w.last_id);
		rc = rc ? rc : ui__text(r, "next page");
		rc = rc ? rc : buf_addstr(&r->page, " »</a>");
	}
	buf_done(&qs);
	rc = rc ? rc : buf_addstr(&r->page, "</p>");
	return rc ? rc : ui__page_end(r, 200);
}

/* ---- One hit ---- */

/* A page title from a translated format (vsnprintf: gcc's truncation check cannot follow a
 * format through ui__tr). */
static void ui_titlef(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ui_titlef(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

/* A copy of the hit's strings that outlives the read transaction. */
struct hit_copy {
	struct store_hit h; /* spans are not copied (NULL): patterns names them, terms marks them */
	struct buf strs;
	bool found;
	char patterns[512]; /* the names of the rule's patterns that matched, ", " between */
	const char *texts[UI_TERMS_MAX]; /* the spans' texts, copied */
	size_t ntexts;
	struct ui_terms terms; /* the match and texts, for ui__marked */
};

/* Each pattern name once, as many as fit. */
static void hc_patterns(struct hit_copy *c, const struct store_hit *h)
{
	size_t len = 0;
	c->patterns[0] = 0;
	for (size_t i = 0; i < h->nspans && h->spans; i++) {
		const char *name = h->spans[i].pattern ? h->spans[i].pattern : "";
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = h->spans[j].pattern && strcmp(h->spans[j].pattern, name) == 0;
		size_t n = strlen(name);
		if (dup || !n || len + n + 3 > sizeof(c->patterns))
			continue;
		len += (size_t)snprintf(c->patterns + len, sizeof(c->patterns) - len, "%s%s",
					len ? ", " : "", name);
	}
}

static const char *hc_str(struct hit_copy *c, const char *s)
{
	size_t off = c->strs.len;
	if (buf_add(&c->strs, s, strlen(s) + 1) != 0)
		return NULL;			   /* shows as "" */
	return (const char *)(uintptr_t)(off + 1); /* fixed up once the buffer stops moving */
}

static int hit_copy_fn(const struct store_hit *h, void *ud)
{
	struct hit_copy *c = ud;
	c->h = *h;
	const char **fields[] = {&c->h.rule,	     &c->h.pack,	 &c->h.category,
				 &c->h.severity,     &c->h.venue,	 &c->h.url,
				 &c->h.field,	     &c->h.match,	 &c->h.snippet,
				 &c->h.status,	     &c->h.pack_version, &c->h.pack_digest,
				 &c->h.prior_status, &c->h.post_author,	 &c->h.post_time};
	hc_patterns(c, h);
	c->h.spans = NULL;
	c->h.nspans = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		*fields[i] = hc_str(c, *fields[i] ? *fields[i] : "");
	c->ntexts = 0;
	for (size_t i = 0; i < h->nspans && c->ntexts < UI_TERMS_MAX; i++)
		if (h->spans[i].text && h->spans[i].text[0])
			c->texts[c->ntexts++] = hc_str(c, h->spans[i].text);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uintptr_t off = (uintptr_t)*fields[i];
		*fields[i] = off ? c->strs.data + off - 1 : "";
	}
	c->terms.n = 0;
	ui__terms_add(&c->terms, c->h.match);
	for (size_t i = 0; i < c->ntexts; i++) {
		uintptr_t off = (uintptr_t)c->texts[i];
		c->texts[i] = off ? c->strs.data + off - 1 : "";
		ui__terms_add(&c->terms, c->texts[i]);
	}
	c->found = true;
	return 0;
}

static int hit_load(struct store *s, uint64_t id, struct hit_copy *c)
{
	buf_init(&c->strs, 1u << 20);
	c->found = false;
	int rc = store_hit_get(s, id, hit_copy_fn, c);
	return rc ? rc : c->found ? 0 : ERR_NOT_FOUND;
}

/* A fact's name (marked N_ by the caller), translated. */
static int ui_dl(struct ui_req *r, const char *name)
{
	int rc = buf_addstr(&r->page, "<dt>");
	rc = rc ? rc : ui__text(r, name);
	return rc ? rc : buf_addstr(&r->page, "</dt><dd>");
}

static int ui_dd(struct ui_req *r, const char *name, const char *val)
{
	int rc = ui_dl(r, name);
	rc = rc ? rc : ui_html(&r->page, val);
	return rc ? rc : buf_addstr(&r->page, "</dd>");
}

struct page_info {
	struct ui_req *r;
	bool found;
};

static int page_fn(const struct store_page *p, void *ud)
{
	struct page_info *pi = ud;
	pi->found = true;
	int rc = ui_dd(pi->r, N_("page title"), p->title);
	rc = rc ? rc : ui_dl(pi->r, N_("fetched"));
	rc = rc ? rc : ui__time(&pi->r->page, p->fetched_at);
	return rc ? rc : buf_addf(&pi->r->page, " (HTTP %d)</dd>", p->status); /* i18n: code */
}

static int audit_row(const struct store_audit_entry *e, void *ud)
{
	struct buf *b = ud;
	int rc = buf_addf(b, "<tr><td>%" PRIu64 "</td><td class=\"t\">", e->seq);
	rc = rc ? rc : ui__time(b, e->time);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, e->actor);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, e->action);
	if (!rc && e->hit)
		rc = buf_addf(b, " <a href=\"/hit/%" PRIu64 "\">#%" PRIu64 "</a>", e->hit, e->hit);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, e->before);
	rc = rc ? rc : buf_addstr(b, " → ");
	rc = rc ? rc : ui_html(b, e->after);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, e->note);
	return rc ? rc : buf_addstr(b, "</td></tr>");
}

static int ui_audit_table(struct ui_req *r, uint64_t hit)
{
	static const char *const cols[] = {"#",		 N_("time"),   N_("analyst"),
					   N_("action"), N_("change"), N_("note")};
	int rc = buf_addstr(&r->page, "<table class=\"audit\">");
	rc = rc ? rc : ui_thead(r, cols, sizeof(cols) / sizeof(cols[0]));
	rc = rc ? rc : store_audit_each(r->ui->o.store, hit, audit_row, &r->page);
	return rc ? rc : buf_addstr(&r->page, "</tbody></table>");
}

static int ui_hit_actions(struct ui_req *r, uint64_t id)
{
	char back[64];
	snprintf(back, sizeof(back), "/hit/%" PRIu64, id);
	int rc = buf_addf(&r->page,
			  "<form class=\"actions\" id=\"one\" method=\"post\" "
			  "action=\"/review\"><input type=\"hidden\" name=\"id\" "
			  "value=\"%" PRIu64 "\"><input type=\"hidden\" name=\"return\" "
			  "value=\"%s\">",
			  id, back);
	rc = rc ? rc : ui__csrf_input(r);
	return rc ? rc : ui_action_buttons(r, true);
}

static int ui_hit_venue(struct ui_req *r, const char *id)
{
	const struct ui_venue *v = ui__venue(r->ui, id);
	int rc = ui_dd(r, N_("venue"), id);
	if (!v)
		return rc;
	rc = rc ? rc : ui_dd(r, N_("venue name"), v->name);
	rc = rc ? rc : ui_dd(r, N_("operator"), v->operator_name);
	return rc ? rc : ui_dd(r, N_("registration"), v->registration);
}

static int ui_hit_body(struct ui_req *r, const struct hit_copy *c)
{
	const struct store_hit *h = &c->h;
	struct buf *b = &r->page;
	const struct ui_rule *rule = ui__rule(r->ui, h->rule);
	int rc = buf_addf(b, "<h1 data-hit=\"%" PRIu64 "\">#%" PRIu64 " ", h->id, h->id);
	rc = rc ? rc : ui_html(b, rule && rule->title ? rule->title : h->rule);
	rc = rc ? rc : buf_addstr(b, "</h1>");
	rc = rc ? rc : ui_hit_actions(r, h->id);
	rc = rc ? rc : buf_addstr(b, "<blockquote class=\"snip\">");
	rc = rc ? rc : ui_snippet(b, h, &c->terms);
	rc = rc ? rc : buf_addstr(b, "</blockquote><dl class=\"facts\">");
	rc = rc ? rc : ui_dd(r, N_("status"), ui__tr(r, h->status));
	rc = rc ? rc : ui_dd(r, N_("rule"), h->rule);
	rc = rc ? rc : ui_dd(r, N_("title"), rule ? rule->title : ui__tr(r, "(rule not loaded)"));
	if (!rc && rule && rule->description && rule->description[0])
		rc = ui_dd(r, N_("description"), rule->description);
	rc = rc ? rc : ui_dd(r, N_("severity"), ui__tr(r, h->severity));
	rc = rc ? rc : ui_dd(r, N_("category"), h->category);
	rc = rc ? rc : ui_dd(r, N_("pack"), h->pack);
	rc = rc ? rc : ui_dd(r, N_("matched"), h->match);
	if (!rc && c->patterns[0])
		rc = ui_dd(r, N_("patterns"), c->patterns);
	rc = rc ? rc : ui_dd(r, N_("field"), h->field);
	if (!rc && h->post >= 0) {
		rc = ui_dl(r, N_("post"));
		rc = rc ? rc : buf_addf(b, "%" PRId64 "</dd>", h->post);
	}
	/* A body hit has its post's author and time too (the post its match is in). */
	if (!rc && (h->post >= 0 || h->post_author[0] || h->post_time[0])) {
		rc = ui_dd(r, N_("post author"), h->post_author[0] ? h->post_author : "-");
		rc = rc ? rc : ui_dd(r, N_("post time"), h->post_time[0] ? h->post_time : "-");
	}
	rc = rc ? rc : ui_dl(r, N_("page"));
	rc = rc ? rc : ui__url(b, h->url);
	rc = rc ? rc : buf_addstr(b, "</dd>");
	rc = rc ? rc : ui_hit_venue(r, h->venue);
	struct page_info pi = {.r = r};
	if (!rc) {
		rc = store_page_get(r->ui->o.store, h->url, page_fn, &pi);
		rc = rc == ERR_NOT_FOUND ? 0 : rc;
	}
	rc = rc ? rc : ui_dl(r, N_("first seen"));
	rc = rc ? rc : ui__time(b, h->first_seen);
	rc = rc ? rc : buf_addstr(b, "</dd>");
	rc = rc ? rc : ui_dl(r, N_("last seen"));
	rc = rc ? rc : ui__time(b, h->last_seen);
	rc = rc ? rc : buf_addstr(b, " ");
	rc = rc ? rc
		: ui__htmlf(b, ui__ntr(r, "(in %llu crawl)", "(in %llu crawls)", h->count),
			    (unsigned long long)h->count);
	rc = rc ? rc : buf_addstr(b, "</dd></dl>");
	rc = rc ? rc : buf_addf(b, "<p><a href=\"/hit/%" PRIu64 "/evidence\">", h->id);
	rc = rc ? rc : ui__text(r, "captured page");
	rc = rc ? rc : buf_addstr(b, "</a></p>");
	rc = rc ? rc : ui__snapshot_section(r, h); /* ui_snapshot.c */
	rc = rc ? rc : buf_addstr(b, "<h2>");
	rc = rc ? rc : ui__text(r, "Review history");
	rc = rc ? rc : buf_addstr(b, "</h2>");
	return rc ? rc : ui_audit_table(r, h->id);
}

int ui__hit(struct ui_req *r, uint64_t id)
{
	struct hit_copy c;
	int rc = hit_load(r->ui->o.store, id, &c);
	if (rc == ERR_NOT_FOUND) {
		buf_done(&c.strs);
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "There is no such hit."));
	}
	char title[128];
	ui_titlef(title, sizeof(title), ui__tr(r, "Hit #%llu"), (unsigned long long)id);
	rc = rc ? rc : ui__page_begin(r, title, "queue");
	rc = rc ? rc : ui_hit_body(r, &c);
	buf_done(&c.strs);
	return rc ? rc : ui__page_end(r, 200);
}

/* ---- The captured page ---- */

/* A charset name safe to put in a header: letters, digits, - _ . : only. */
static bool ui_charset_ok(const char *cs)
{
	size_t n = strlen(cs);
	return n > 0 && n < 40 &&
	       strspn(cs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-_.:") == n;
}

struct raw_ctx {
	char charset[48];
};

static int raw_page_fn(const struct store_page *p, void *ud)
{
	struct raw_ctx *c = ud;
	if (ui_charset_ok(p->charset))
		snprintf(c->charset, sizeof(c->charset), "%s", p->charset);
	return 0;
}

/* The body alone, as HTML, for the sandboxed frame: a CSP that allows no script, form or
 * request, and the sandbox directive in case the frame is opened on its own. */
static int ui_raw(struct ui_req *r, const struct store_hit *h, char *data, size_t len)
{
	const char *body = memmem(data, len, "\r\n\r\n", 4);
	size_t off = body ? (size_t)(body - data) + 4 : 0;
	struct raw_ctx c = {""};
	store_page_get(r->ui->o.store, h->url, raw_page_fn, &c);
	char *ct = malloc(96);
	if (!ct)
		return -ENOMEM;
	snprintf(ct, 96, "text/html; charset=%s", /* i18n: machine (a header) */
		 c.charset[0] ? c.charset : "utf-8");
	int rc = ui__own(r->resp, ct);
	if (rc)
		return rc;
	memmove(data, data + off, len - off);
	r->resp->status = 200;
	r->resp->content_type = ct;
	r->resp->body = data;
	r->resp->len = len - off;
	r->resp->body_free = true;
	struct httpd_response *resp = r->resp;
	resp->headers[resp->nheaders++] = (struct httpd_header){
		"Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; "
		"form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"};
	resp->headers[resp->nheaders++] = (struct httpd_header){"X-DNS-Prefetch-Control", "off"};
	ui__headers(resp, true);
	return 0;
}

/* The body in the charset the page was decoded with, as UTF-8 into out (capped by out): so a GBK
 * or Big5 page reads as text and its match (UTF-8) can be marked. A byte that does not convert
 * becomes U+FFFD. ERR_CHARSET when iconv does not know the charset. */
static int ui_to_utf8(const char *cs, const char *in, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return ERR_CHARSET;
	char chunk[16384];
	int rc = 0;
	char *ip = (char *)in;
	size_t ileft = len;
	while (!rc && ileft) {
		char *op = chunk;
		size_t oleft = sizeof(chunk);
		size_t n = iconv(cd, &ip, &ileft, &op, &oleft);
		int e = n == (size_t)-1 ? errno : 0;
		rc = buf_add(out, chunk, sizeof(chunk) - oleft);
		if (!rc && (e == EILSEQ || e == EINVAL)) {
			rc = buf_addstr(out, "\xef\xbf\xbd"); /* skip the byte; EINVAL: cut short */
			ip++;
			ileft--;
		}
	}
	iconv_close(cd);
	return rc;
}

static bool ui_is_utf8(const char *cs)
{
	return !cs[0] || strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	       strcasecmp(cs, "us-ascii") == 0;
}

/* The captured response as marked text: the head as it came, the body converted to UTF-8. */
static int ui_evidence_text(struct ui_req *r, const struct store_hit *h, const struct ui_terms *t,
			    const char *data, size_t len)
{
	struct raw_ctx c = {""};
	store_page_get(r->ui->o.store, h->url, raw_page_fn, &c);
	const char *sep = memmem(data, len, "\r\n\r\n", 4);
	size_t off = sep ? (size_t)(sep - data) + 4 : 0;
	if (ui_is_utf8(c.charset) || !off)
		return ui__marked(&r->page, data, len, t);
	struct buf body;
	buf_init(&body, 4 * len + 64);
	int rc = ui_to_utf8(c.charset, data + off, len - off, &body);
	if (rc == ERR_CHARSET)
		rc = ui__marked(&r->page, data, len, t);
	else if (!rc) {
		rc = ui__marked(&r->page, data, off, t);
		rc = rc ? rc : ui__marked(&r->page, body.data ? body.data : "", body.len, t);
	}
	buf_done(&body);
	return rc;
}

static int ui_evidence_page(struct ui_req *r, const struct store_hit *h, const struct ui_terms *t,
			    const char *data, size_t len)
{
	struct buf *b = &r->page;
	char title[128], link[64];
	ui_titlef(title, sizeof(title), ui__tr(r, "Captured page of hit #%llu"),
		  (unsigned long long)h->id);
	snprintf(link, sizeof(link), "<a href=\"/hit/%" PRIu64 "\">#%" PRIu64 "</a>", h->id, h->id);
	struct buf url;
	buf_init(&url, 64 * 1024);
	int rc = ui__page_begin(r, title, "queue");
	rc = rc ? rc : buf_addstr(b, "<h1>");
	rc = rc ? rc : ui__html_sub(b, ui__tr(r, "Captured page of hit %s"), link);
	rc = rc ? rc : buf_addstr(b, "</h1><p class=\"dim\">");
	rc = rc ? rc : ui__url(&url, h->url);
	rc = rc ? rc
		: ui__html_sub(b,
			       ui__tr(r,
				      "%s, as received. What the rule's patterns matched is "
				      "marked in the text. The rendering below runs no script and "
				      "loads nothing."),
			       buf_str(&url));
	buf_done(&url);
	rc = rc ? rc
		: buf_addstr(b, "</p><iframe class=\"cap\" sandbox=\"\" "
				"referrerpolicy=\"no-referrer\" title=\"");
	rc = rc ? rc : ui__text(r, "captured page");
	rc = rc ? rc : buf_addf(b, "\" src=\"/hit/%" PRIu64 "/raw\"></iframe><h2>", h->id);
	rc = rc ? rc : ui__text(r, "As text");
	rc = rc ? rc : buf_addstr(b, "</h2><pre class=\"cap\">");
	rc = rc ? rc : ui_evidence_text(r, h, t, data, len);
	rc = rc ? rc : buf_addstr(b, "</pre>");
	return rc ? rc : ui__page_end(r, 200);
}

int ui__evidence(struct ui_req *r, uint64_t id, bool raw)
{
	struct hit_copy c;
	char *data = NULL;
	size_t len = 0;
	int rc = hit_load(r->ui->o.store, id, &c);
	if (!rc)
		rc = store_evidence_get(r->ui->o.store, c.h.evidence, &data, &len);
	if (rc == ERR_NOT_FOUND) {
		buf_done(&c.strs);
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "No captured page is stored for this hit."));
	}
	if (!rc && raw) {
		rc = ui_raw(r, &c.h, data, len);
		data = rc ? data : NULL; /* the response owns it now */
	} else if (!rc) {
		rc = ui_evidence_page(r, &c.h, &c.terms, data, len);
	}
	free(data);
	buf_done(&c.strs);
	return rc;
}

/* ---- Review actions ---- */

static const char *ui_action_status(const char *a)
{
	if (!a)
		return NULL;
	if (strcmp(a, "confirm") == 0)
		return "confirmed";
	if (strcmp(a, "dismiss") == 0)
		return "dismissed";
	if (strcmp(a, "escalate") == 0)
		return "escalated";
	if (strcmp(a, "reopen") == 0)
		return "new";
	return strcmp(a, "note") == 0 ? "" : NULL;
}

static int status_copy_fn(const struct store_hit *h, void *ud)
{
	snprintf(ud, STORE_STATUS_MAX + 1, "%s", h->status);
	return 0;
}

/* Sets every id in one write transaction (all or none), growing a full map like patrol review.
 * A note keeps each hit's status and records the note. */
static int ui_review_apply(struct ui_req *r, const uint64_t *ids, size_t n, const char *status,
			   const char *note)
{
	struct store *s = r->ui->o.store;
	int64_t now = clock_wall();
	int rc = -ENOSPC;
	for (int tries = 0; tries < 4 && rc == -ENOSPC; tries++) {
		struct store_txn *t = NULL;
		if (tries && (rc = store_grow(s)) != 0)
			return rc;
		if ((rc = store_write_begin(s, &t)) != 0)
			return rc;
		for (size_t i = 0; i < n && !rc; i++) {
			char cur[STORE_STATUS_MAX + 1] = "";
			if (!status[0])
				rc = store_hit_get(s, ids[i], status_copy_fn, cur);
			rc = rc ? rc
				: store_review_set(t, ids[i], status[0] ? status : cur, r->user,
						   note, now, NULL);
		}
		if (rc)
			store_write_abort(t);
		else
			rc = store_write_commit(t);
	}
	return rc;
}

int ui__review(struct ui_req *r)
{
	const char *action = httpd_kv_get(r->req->form, r->req->nform, "action");
	const char *note = httpd_kv_get(r->req->form, r->req->nform, "note");
	const char *status = ui_action_status(action);
	uint64_t ids[UI_BULK_MAX];
	size_t n = 0;
	for (size_t i = 0; i < r->req->nform; i++) {
		if (strcmp(r->req->form[i].name, "id") != 0)
			continue;
		char *end = NULL;
		unsigned long long v = strtoull(r->req->form[i].value, &end, 10);
		if (!end || *end || v == 0 || n == UI_BULK_MAX)
			return ui__message(r, 400, ui__tr(r, "Bad request"),
					   ui__tr(r, "Bad or too many hit ids."));
		ids[n++] = v;
	}
	if (!status || !n)
		return ui__message(r, 400, ui__tr(r, "Bad request"),
				   ui__tr(r, "Choose hits and an action."));
	if (note && !note[0])
		note = NULL;
	if (!status[0] && !note)
		return ui__message(r, 400, ui__tr(r, "Bad request"),
				   ui__tr(r, "A note needs text."));
	int rc = ui_review_apply(r, ids, n, status, note);
	if (rc == ERR_NOT_FOUND)
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "One of the hits does not exist."));
	if (rc == ERR_TOO_BIG)
		return ui__message(r, 400, ui__tr(r, "Bad request"),
				   ui__tr(r, "The note is too long."));
	if (rc)
		return rc;
	/* evidence.screenshots: a confirmed hit is pictured (ui_snapshot.c); a failure is told on
	 * the page returned to, the decision stands. */
	const char *snap = ui__snapshot_decided(r, ids, n, status);
	if (httpd_kv_get(r->req->form, r->req->nform, "ajax")) {
		r->resp->status = 204;
		r->resp->body = "";
		r->resp->body_static = true;
		ui__headers(r->resp, false);
		return 0;
	}
	const char *back = httpd_kv_get(r->req->form, r->req->nform, "return");
	char with[2100];
	if (snap && back &&
	    (size_t)snprintf(with, sizeof(with), "%s%csnap=%s", back, strchr(back, '?') ? '&' : '?',
			     snap) < sizeof(with))
		back = with;
	return ui__redirect(r, back);
}

/* ---- Rules and venues: one walk over the hits ---- */

#define UI_TALLY_MAX 4096 /* distinct rules or venues counted; more share one "other" row */

struct tally {
	char *key;
	uint64_t n[NSTATUS];
	uint64_t total;
};

struct tallies {
	struct tally rules[UI_TALLY_MAX], venues[UI_TALLY_MAX];
	size_t nrules, nvenues;
	int rc;
};

static struct tally *tally_of(struct tally *t, size_t *n, const char *key, int *rc)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	if (*n == UI_TALLY_MAX)
		key = "(other)";
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	if (*n == UI_TALLY_MAX)
		return &t[*n - 1];
	if (!(t[*n].key = strdup(key))) {
		*rc = -ENOMEM;
		return NULL;
	}
	return &t[(*n)++];
}

static int tally_hit(const struct store_hit *h, void *ud)
{
	struct tallies *t = ud;
	struct tally *a = tally_of(t->rules, &t->nrules, h->rule, &t->rc);
	struct tally *b = a ? tally_of(t->venues, &t->nvenues, h->venue, &t->rc) : NULL;
	if (!b)
		return t->rc;
	for (size_t i = 0; i < NSTATUS; i++)
		if (strcmp(h->status, ui_statuses[i]) == 0) {
			a->n[i]++;
			b->n[i]++;
		}
	a->total++;
	b->total++;
	return 0;
}

static void tallies_free(struct tallies *t)
{
	for (size_t i = 0; i < t->nrules; i++)
		free(t->rules[i].key);
	for (size_t i = 0; i < t->nvenues; i++)
		free(t->venues[i].key);
	free(t);
}

static int tallies_load(struct store *s, struct tallies **ret)
{
	struct tallies *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	struct store_hit_query q;
	store_hit_query_init(&q);
	int rc = store_hits_query(s, &q, tally_hit, t);
	if (rc) {
		tallies_free(t);
		return rc;
	}
	*ret = t;
	return 0;
}

static int tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : strcmp(x->key, y->key);
}

static int rules_row(struct ui_req *r, const struct tally *t)
{
	struct buf *b = &r->page;
	const struct ui_rule *rule = ui__rule(r->ui, t->key);
	uint64_t yes = t->n[1] + t->n[3], no = t->n[2];
	int rc = buf_addstr(b, "<tr><td><a href=\"/?status=all&amp;rule=");
	rc = rc ? rc : ui_qs(b, t->key);
	rc = rc ? rc : buf_addstr(b, "\">");
	rc = rc ? rc : ui_html(b, t->key);
	rc = rc ? rc : buf_addstr(b, "</a></td><td>");
	rc = rc ? rc : ui_html(b, rule ? rule->title : "");
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc
		: ui_html(b, rule && rule->severity && rule->severity[0] ? ui__tr(r, rule->severity)
									 : "");
	rc = rc ? rc : buf_addf(b, "</td><td class=\"n\">%" PRIu64 "</td>", t->total);
	for (size_t i = 0; i < NSTATUS && !rc; i++)
		rc = buf_addf(b, "<td class=\"n\">%" PRIu64 "</td>", t->n[i]);
	if (!rc && yes + no)
		rc = buf_addf(b, "<td class=\"n\">%.0f %%</td></tr>",
			      100.0 * (double)yes / (double)(yes + no));
	else if (!rc)
		rc = buf_addstr(b, "<td class=\"n dim\">-</td></tr>");
	return rc;
}

int ui__rules(struct ui_req *r)
{
	struct tallies *t = NULL;
	int rc = tallies_load(r->ui->o.store, &t);
	if (rc)
		return rc;
	qsort(t->rules, t->nrules, sizeof(t->rules[0]), tally_cmp);
	static const char *const cols[] = {
		N_("rule"),	 N_("title"),	  N_("severity"),  N_("hits"), N_("new"),
		N_("confirmed"), N_("dismissed"), N_("escalated"), N_("gone"), N_("precision")};
	rc = ui__page_begin(r, ui__tr(r, "Rules"), "rules");
	rc = rc ? rc : buf_addstr(&r->page, "<h1>");
	rc = rc ? rc : ui__text(r, "Rules");
	rc = rc ? rc : buf_addstr(&r->page, "</h1><p class=\"dim\">");
	rc = rc ? rc
		: ui__text(r, "Precision: the share of reviewed hits analysts confirmed or "
			      "escalated, of those confirmed, escalated or dismissed.");
	rc = rc ? rc : buf_addstr(&r->page, "</p><table class=\"num\">");
	rc = rc ? rc : ui_thead(r, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < t->nrules && !rc; i++)
		rc = rules_row(r, &t->rules[i]);
	for (size_t i = 0; i < r->ui->o.nrules && !rc; i++) {
		struct tally zero = {.key = (char *)r->ui->o.rules[i].id};
		bool seen = false;
		for (size_t j = 0; j < t->nrules && !seen; j++)
			seen = strcmp(t->rules[j].key, zero.key) == 0;
		rc = seen ? 0 : rules_row(r, &zero);
	}
	tallies_free(t);
	rc = rc ? rc : buf_addstr(&r->page, "</tbody></table>");
	return rc ? rc : ui__page_end(r, 200);
}

static int robots_cell(struct ui_req *r, const struct ui_venue *v)
{
	int64_t at = 0;
	int status = 0;
	bool got =
		v->host && store_robots_get(r->ui->o.store, v->host, &at, &status, NULL, NULL) == 0;
	int rc = buf_addstr(&r->page, got ? "<td>" : "<td class=\"dim\">");
	if (!got)
		rc = rc ? rc : ui__text(r, "not fetched");
	else
		rc = rc ? rc : buf_addf(&r->page, "HTTP %d, ", status); /* i18n: code */
	rc = rc ? rc : got ? ui__time(&r->page, at) : 0;
	return rc ? rc : buf_addstr(&r->page, "</td>");
}

/* The newest run of each configured venue, from the last UI_RUNS runs. */
#define UI_RUNS 200

struct venue_run {
	int64_t ended;
	int status;
	char *summary; /* the venue's JSON summary as the command printed it, NULL for none */
};

struct runs_walk {
	const struct ui *ui;
	struct venue_run *runs; /* one per configured venue */
};

static int runs_visit(const struct store_run *run, void *ud)
{
	struct runs_walk *w = ud;
	for (size_t i = 0; i < run->nvenues; i++) {
		const struct ui_venue *v = ui__venue(w->ui, run->venues[i].venue);
		struct venue_run *vr = v ? &w->runs[v - w->ui->o.venues] : NULL;
		if (!vr || vr->summary)
			continue; /* newest first: the first seen is the last run */
		vr->ended = run->ended;
		vr->status = run->status;
		vr->summary = strndup(run->venues[i].summary ? run->venues[i].summary : "", 400);
		if (!vr->summary)
			return -ENOMEM;
	}
	return 0;
}

/* A venue's run summary (DESIGN.md §4's crawl object) as a line: pages, new hits, and every
 * outcome but the good ones with its count; the raw text when it is not such an object. */
static int run_summary(struct ui_req *r, const char *summary)
{
	struct buf *b = &r->page;
	json_t *o = json_loads(summary, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return ui_html(b, summary);
	}
	int rc = ui__htmlf(b, ui__tr(r, "%lld pages, %lld new hits"),
			   (long long)json_integer_value(json_object_get(o, "pages")),
			   (long long)json_integer_value(json_object_get(o, "hits_new")));
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(o, "outcomes"), key, v)
	{
		if (rc || !json_integer_value(v) || strcmp(key, "ok") == 0 ||
		    strcmp(key, "not_modified") == 0 || strcmp(key, "not_html") == 0)
			continue;
		rc = buf_addstr(b, ", <span class=\"err\">");
		rc = rc ? rc : ui_html(b, key);
		rc = rc ? rc : buf_addf(b, " %lld</span>", (long long)json_integer_value(v));
	}
	json_t *rb = json_object_get(o, "robots_blocked");
	if (!rc && json_integer_value(rb))
		rc = ui__htmlf(b, ui__tr(r, ", robots.txt blocked %lld"),
			       (long long)json_integer_value(rb));
	json_decref(o);
	return rc;
}

static int run_cells(struct ui_req *r, const struct ui_venue *v, const struct venue_run *vr)
{
	struct buf *b = &r->page;
	int64_t started = 0;
	int rc = buf_addstr(b, "<td class=\"t\">");
	if (store_run_venue_last(r->ui->o.store, v->id, &started, NULL) == 0)
		rc = ui__time(b, started);
	else
		rc = buf_addstr(b, "-");
	rc = rc ? rc : buf_addstr(b, "</td><td class=\"run\">");
	if (!rc && vr && vr->summary) {
		rc = ui__time(b, vr->ended);
		rc = rc ? rc : ui__htmlf(b, ui__tr(r, ", exit status %d"), vr->status);
		rc = rc ? rc : buf_addstr(b, "<br>");
		rc = rc ? rc : run_summary(r, vr->summary);
	} else if (!rc) {
		rc = buf_addstr(b, "-");
	}
	return rc ? rc : buf_addstr(b, "</td>");
}

static int venues_row(struct ui_req *r, const struct ui_venue *v, const struct tally *t,
		      const struct venue_run *vr)
{
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<tr><td><a href=\"/?status=all&amp;venue=");
	rc = rc ? rc : ui_qs(b, v->id);
	rc = rc ? rc : buf_addstr(b, "\">");
	rc = rc ? rc : ui_html(b, v->id);
	rc = rc ? rc : buf_addstr(b, "</a></td><td>");
	rc = rc ? rc : ui_html(b, v->name);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, v->operator_name);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui_html(b, v->registration);
	rc = rc ? rc : buf_addstr(b, "</td><td>");
	rc = rc ? rc : ui__url(b, v->seed);
	rc = rc ? rc : buf_addstr(b, "</td>");
	rc = rc ? rc : robots_cell(r, v);
	rc = rc ? rc : run_cells(r, v, vr);
	rc = rc ? rc : buf_addf(b, "<td class=\"n\">%" PRIu64 "</td>", t ? t->total : 0);
	for (size_t i = 0; i < 4 && !rc; i++)
		rc = buf_addf(b, "<td class=\"n\">%" PRIu64 "</td>", t ? t->n[i] : 0);
	return rc ? rc : buf_addstr(b, "</tr>");
}

int ui__venues(struct ui_req *r)
{
	struct tallies *t = NULL;
	struct runs_walk w = {r->ui, calloc(r->ui->o.nvenues + 1, sizeof(struct venue_run))};
	int rc = w.runs ? store_runs_last(r->ui->o.store, UI_RUNS, runs_visit, &w) : -ENOMEM;
	rc = rc ? rc : tallies_load(r->ui->o.store, &t);
	if (rc) {
		for (size_t i = 0; w.runs && i < r->ui->o.nvenues; i++)
			free(w.runs[i].summary);
		free(w.runs);
		return rc;
	}
	static const char *const cols[] = {N_("id"),
					   N_("name"),
					   N_("operator"),
					   N_("registration"),
					   N_("seed"),
					   "robots.txt",
					   N_("last complete crawl"),
					   N_("last run"),
					   N_("hits"),
					   N_("new"),
					   N_("confirmed"),
					   N_("dismissed"),
					   N_("escalated")};
	rc = ui__page_begin(r, ui__tr(r, "Venues"), "venues");
	rc = rc ? rc : buf_addstr(&r->page, "<h1>");
	rc = rc ? rc : ui__text(r, "Venues");
	rc = rc ? rc : buf_addstr(&r->page, "</h1><table class=\"num\">");
	rc = rc ? rc : ui_thead(r, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < r->ui->o.nvenues && !rc; i++) {
		const struct tally *vt = NULL;
		for (size_t j = 0; j < t->nvenues && !vt; j++)
			if (strcmp(t->venues[j].key, r->ui->o.venues[i].id) == 0)
				vt = &t->venues[j];
		rc = venues_row(r, &r->ui->o.venues[i], vt, &w.runs[i]);
	}
	for (size_t i = 0; i < r->ui->o.nvenues; i++)
		free(w.runs[i].summary);
	free(w.runs);
	for (size_t j = 0; j < t->nvenues && !rc; j++) {
		if (ui__venue(r->ui, t->venues[j].key))
			continue;
		struct ui_venue v = {.id = t->venues[j].key,
				     .name = ui__tr(r, "(not in the configuration)")};
		rc = venues_row(r, &v, &t->venues[j], NULL);
	}
	tallies_free(t);
	struct store_stats st = {0};
	rc = rc ? rc : store_stats_get(r->ui->o.store, &st);
	rc = rc ? rc : buf_addstr(&r->page, "</tbody></table><p class=\"dim\">");
	rc = rc ? rc
		: ui__htmlf(&r->page, ui__tr(r, "%llu pages, %llu hits stored."),
			    (unsigned long long)st.pages, (unsigned long long)st.hits);
	rc = rc ? rc : buf_addstr(&r->page, "</p>");
	rc = rc ? rc : ui__trends(r);
	rc = rc ? rc : ui__tip_form(r);
	return rc ? rc : ui__page_end(r, 200);
}

int ui__audit(struct ui_req *r)
{
	int rc = ui__page_begin(r, ui__tr(r, "Audit log"), "audit");
	rc = rc ? rc : buf_addstr(&r->page, "<h1>");
	rc = rc ? rc : ui__text(r, "Audit log");
	rc = rc ? rc : buf_addstr(&r->page, "</h1>");
	rc = rc ? rc : ui_audit_table(r, 0);
	return rc ? rc : ui__page_end(r, 200);
}

/* ---- Export ---- */

static int export_write(const void *data, size_t len, void *ud)
{
	return buf_add(ud, data, len);
}

int ui__export(struct ui_req *r)
{
	const char *fmt = httpd_kv_get(r->req->query, r->req->nquery, "format");
	static const char *const types[][3] = {
		{"jsonl", "application/x-ndjson", "attachment; filename=\"patrol-hits.jsonl\""},
		{"csv", "text/csv; charset=utf-8", "attachment; filename=\"patrol-hits.csv\""},
		{"warc", "application/warc", "attachment; filename=\"patrol-hits.warc\""}};
	size_t i = 0;
	while (i < 3 && (!fmt || strcmp(fmt, types[i][0]) != 0))
		i++;
	if (i == 3 || !r->ui->o.export_fn)
		return ui__message(r, 400, ui__tr(r, "Bad request"),
				   ui__tr(r, "Export as jsonl, csv or warc."));
	struct store_hit_query q;
	ui_query_of(r, &q);
	q.order = STORE_ORDER_OLDEST;
	struct buf out;
	buf_init(&out, UI_PAGE_MAX * 16);
	int rc = r->ui->o.export_fn(r->ui->o.ud, &q, types[i][0], export_write, &out);
	if (rc == ERR_TOO_BIG) {
		buf_done(&out);
		return ui__message(r, 507, ui__tr(r, "Too big"),
				   ui__tr(r,
					  "The export is over 256 MiB: narrow the filter, or use "
					  "patrol export."));
	}
	size_t len = out.len;
	char *body = rc ? NULL : buf_take(&out);
	buf_done(&out);
	if (!body)
		return rc ? rc : -ENOMEM;
	r->resp->status = 200;
	r->resp->content_type = types[i][1];
	r->resp->body = body;
	r->resp->len = len;
	r->resp->body_free = true;
	r->resp->headers[r->resp->nheaders++] =
		(struct httpd_header){"Content-Disposition", types[i][2]};
	ui__headers(r->resp, false);
	return 0;
}
