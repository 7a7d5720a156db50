/* SPDX-License-Identifier: MIT */
/* The review web UI (`patrol serve`): server-rendered pages over the store for analysts, on
 * httpd.h. Everything a page shows from the store was fetched from the web and is hostile: it is
 * escaped for the context it lands in, every page carries a strict Content-Security-Policy
 * (scripts only from /static/), and captured HTML is shown only in a sandboxed frame whose CSP
 * allows no script, form or request. Analysts log in with a token (`patrol users add`); a
 * session is a random id in an HttpOnly SameSite=Strict cookie, stored hashed; every POST
 * carries a CSRF token derived from the session id and is refused without it.
 *
 * Threads: ui_handle runs on the server's thread; the ui and what ui_opts points to are read
 * only after ui_new, so one ui may serve any number of connections. docs/review.md, "Web UI".
 */
#ifndef PATROL_REVIEW_UI_H
#define PATROL_REVIEW_UI_H

#include "review/httpd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_hit_query;
struct ui;

/* A registered venue as the venues and hit pages show it. Strings may be NULL. */
struct ui_venue {
	const char *id, *name, *operator_name, *registration, *category;
	const char *seed; /* the first seed URL */
	const char *host; /* its robots.txt cache key ("host:port"), NULL for none */
};

/* A loaded rule, for titles on the hit and rules pages. */
struct ui_rule {
	const char *id, *pack, *title, *category, *severity;
	const char *description; /* "" when none */
};

/* Writes the hits q selects as format ("jsonl", "csv", "warc") through write; the caller's
 * export code path (cli/cmd_export.c). Returns 0 or a negative code. */
typedef int (*ui_export_fn)(void *ud, const struct store_hit_query *q, const char *format,
			    int (*write)(const void *data, size_t len, void *wud), void *wud);

/* Renders hit id's stored evidence in a browser and keeps the PNG (the caller's snapshot code,
 * cli/cmd_serve.c). asked: the analyst pressed the hit page's button: it renders now (even when
 * one is stored), on the server's thread, time-limited. Else the hit was just confirmed or
 * escalated and evidence.screenshots decides; the caller may queue it and return 1 at once, or
 * -EBUSY when its queue is full. On failure why gets the reason. Returns 0 (taken, or nothing to
 * take), 1, -ENOENT (no browser), -ETIMEDOUT (the time limit passed), ERR_NOT_FOUND (no such
 * hit or no evidence), or another negative code. */
typedef int (*ui_snapshot_fn)(void *ud, uint64_t id, bool asked, char *why, size_t whylen);

/* ---- The venues page's daily series and the tip form (ui_trends.c, ui_tip.c) ---- */

#define UI_TRENDS_DAYS_MAX 90	/* days a venues page chart spans: ?days=7, 30 or 90 */
#define UI_TIP_WHY_MAX	   1024 /* bytes of a tip's refusal */

/* One venue's hits in one category per day: counts[i] is day first_day + i (UTC days since the
 * epoch), counts[ndays - 1] today. Borrowed for the call it is handed to. */
struct ui_series {
	const char *venue, *category;
	const uint32_t *counts;
	size_t ndays;
	int64_t first_day;
};
/* Hands each series of every venue over the last days days to each, sorted by venue then
 * category: the series `patrol trends --days N` prints (cli/cmd_serve.c). *ret_dropped: hits in
 * series past the collector's cap. Returns 0, each's first nonzero return, or a negative code. */
typedef int (*ui_trends_fn)(void *ud, unsigned days,
			    int (*each)(const struct ui_series *s, void *eud), void *eud,
			    uint64_t *ret_dropped);

/* What became of a tip. */
struct ui_tip_result {
	char *url;	   /* accepted: canonical, malloc'd (the ui frees it) */
	const char *venue; /* accepted: the venue, borrowed from the callback's registry */
	bool queued;	   /* accepted: queued (false: the crawl now open fetched it already) */
	char why[UI_TIP_WHY_MAX]; /* refused: the reason */
};
/* The analyst's language for a message made outside review/: ui__tr of the request. */
typedef const char *(*ui_tr_fn)(void *trud, const char *msgid);
/* Submits url with note as a tip by analyst by, as `patrol submit` does (checked, stored,
 * audited). 0: accepted; ERR_USAGE, ERR_SCOPE or ERR_URL: refused, the reason in ret->why,
 * written in the language tr(trud, msgid) gives; anything else: the store's error. */
typedef int (*ui_tip_fn)(void *ud, const char *url, const char *note, const char *by, ui_tr_fn tr,
			 void *trud, struct ui_tip_result *ret);

struct ui_opts {
	struct store *store;	 /* borrowed; outlives the ui */
	bool tls;		 /* cookies get Secure */
	int64_t session_seconds; /* how long a login lasts; 0: 12 hours */
	const struct ui_venue *venues;
	size_t nvenues;
	const struct ui_rule *rules;
	size_t nrules;
	ui_export_fn export_fn; /* NULL: no export */
	ui_trends_fn trends_fn; /* NULL: no charts on the venues page; ud is theirs too */
	ui_tip_fn tip_fn;	/* NULL: no tip form; ud is theirs too */
	void *ud;		/* for export_fn and snapshot_fn */
	/* NULL: no browser on the server; the hit page shows the button disabled, with why */
	ui_snapshot_fn snapshot_fn;
	int snapshot_timeout_s; /* the time limit snapshot_fn has, for the page to say */
};

/* The ui borrows o's arrays and strings, which must outlive it. */
int ui_new(const struct ui_opts *o, struct ui **ret);
void ui_free(struct ui *ui);
/* An httpd_handler_fn; ud is the struct ui. */
int ui_handle(void *ud, const struct httpd_request *req, struct httpd_response *resp);

/* ---- The pieces, exposed for the unit tests ---- */

struct buf;
/* s escaped for HTML text and quoted attribute values: & < > " ' become references; bytes that
 * are not valid UTF-8 become U+FFFD, so nothing can end a context early. */
int ui_html(struct buf *b, const char *s);
int ui_html_n(struct buf *b, const char *s, size_t n);
/* s percent-encoded for a query string value (everything but unreserved characters). */
int ui_qs(struct buf *b, const char *s);
/* Whether a captured URL may become a link: http: or https: only (after trimming what browsers
 * ignore), so javascript:, data:, vbscript: and the rest stay text. */
bool ui_url_linkable(const char *url);
/* The CSRF token of a session id: hex SHA-256 of a label and the id (65 bytes with the NUL). */
void ui_csrf_token(const char *sid, char out[65]);
/* Constant-time comparison of two NUL-terminated strings. */
bool ui_str_equal(const char *a, const char *b);
/* YYYY-MM-DD as the epoch second it starts (end: its last second); -1 when malformed. */
int64_t ui_date_parse(const char *s, bool end);

#endif
