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

struct ui_opts {
	struct store *store;	 /* borrowed; outlives the ui */
	bool tls;		 /* cookies get Secure */
	int64_t session_seconds; /* how long a login lasts; 0: 12 hours */
	const struct ui_venue *venues;
	size_t nvenues;
	const struct ui_rule *rules;
	size_t nrules;
	ui_export_fn export_fn; /* NULL: no export */
	void *ud;		/* for export_fn */
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
