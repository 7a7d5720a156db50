/* SPDX-License-Identifier: MIT */
/* What the files of the web UI share (ui.c: routing, sessions, the page frame; ui_pages.c: the
 * pages; ui_assets.c: the CSS and JavaScript). One struct ui_req lives for one request, on the
 * server's thread; the page being built is its buffer, capped.
 */
#ifndef PATROL_REVIEW_UI_INT_H
#define PATROL_REVIEW_UI_INT_H

#include "common/buf.h"
#include "index/store.h"
#include "review/ui.h"

#define UI_PAGE_MAX  (16u << 20) /* bytes of one rendered page */
#define UI_PAGE_ROWS 50		 /* hits per queue page */
#define UI_BULK_MAX  500	 /* hits one action may name */

struct ui {
	struct ui_opts o;
};

struct ui_req {
	struct ui *ui;
	const struct httpd_request *req;
	struct httpd_response *resp;
	char user[STORE_USER_MAX + 1]; /* the analyst; "" before login */
	char csrf[65];
	struct buf page;
};

/* The page frame: doctype, head (CSP-safe: external CSS and JS only), the navigation with the
 * analyst and a logout form; then the caller's content; then ui__page_end, which hands the page
 * to the response with status and the security headers. */
int ui__page_begin(struct ui_req *r, const char *title, const char *nav);
int ui__page_end(struct ui_req *r, int status);
/* A short page with one message (escaped). */
int ui__message(struct ui_req *r, int status, const char *title, const char *text);
/* A 303 redirect to a local path (anything else goes to "/"). */
int ui__redirect(struct ui_req *r, const char *path);
/* Security headers every response carries; frame: may be framed by our own pages. */
void ui__headers(struct httpd_response *resp, bool frame);
/* Hands malloc'd p (a header value) to the response, which frees it once sent; frees p and
 * returns ERR_INTERNAL when the response holds as many as it can already. */
int ui__own(struct httpd_response *resp, void *p);
/* The hidden CSRF input of a form. */
int ui__csrf_input(struct ui_req *r);
/* epoch seconds as "YYYY-MM-DD HH:MM UTC" ("-" for 0). */
int ui__time(struct buf *b, int64_t t);
/* A captured URL: a link (rel=noreferrer, escaped) when ui_url_linkable, else plain text. */
int ui__url(struct buf *b, const char *url);
/* What to mark in a hit's snippet or captured page: its match and what each of its patterns
 * matched (the spans' texts), each once, longest first; borrowed strings. */
#define UI_TERMS_MAX 16
struct ui_terms {
	const char *s[UI_TERMS_MAX];
	size_t n;
};
/* Adds term (ignored when empty, already there, or the set is full), keeping longest first. */
void ui__terms_add(struct ui_terms *t, const char *term);
/* The match of h, then its spans' texts. */
void ui__terms_of(struct ui_terms *t, const struct store_hit *h);
/* text escaped, with each occurrence of a term inside <mark> (the longest term that matches
 * where two start at one place), at most 64 marks. */
int ui__marked(struct buf *b, const char *text, size_t len, const struct ui_terms *t);
const struct ui_rule *ui__rule(const struct ui *ui, const char *id);
const struct ui_venue *ui__venue(const struct ui *ui, const char *id);
const char *ui__arg(const struct ui_req *r, const char *name); /* query, then form */

/* Pages (ui_pages.c). */
int ui__queue(struct ui_req *r);
int ui__hit(struct ui_req *r, uint64_t id);
int ui__evidence(struct ui_req *r, uint64_t id, bool raw);
int ui__review(struct ui_req *r);
int ui__rules(struct ui_req *r);
int ui__venues(struct ui_req *r);
int ui__audit(struct ui_req *r);
int ui__export(struct ui_req *r);

/* Assets (ui_assets.c): serves /static/ui.css and /static/ui.js; 404 for anything else. */
int ui__static(struct ui_req *r);

#endif
