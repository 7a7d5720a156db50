/* SPDX-License-Identifier: MIT */
/* What the files of the web UI share (ui.c: routing, sessions, the page frame; ui_pages.c: the
 * pages; ui_assets.c: the CSS and JavaScript). One struct ui_req lives for one request, on the
 * server's thread; the page being built is its buffer, capped.
 */
#ifndef PATROL_REVIEW_UI_INT_H
#define PATROL_REVIEW_UI_INT_H

#include "common/buf.h"
#include "common/i18n.h" /* N_() marks the tables ui__tr translates */
#include "index/store.h"
#include "review/ui.h"

#define UI_PAGE_MAX  (16u << 20) /* bytes of one rendered page */
#define UI_PAGE_ROWS 50		 /* hits per queue page */
#define UI_BULK_MAX  500	 /* hits one action may name */

/* ---- Languages (ui_i18n.c; docs/i18n.md, "The review UI") ---- */

#define UI_LANGS  2  /* English (the source, index 0) and the catalogs in ui_langs */
#define UI_TZ_MAX 64 /* bytes of an IANA time zone name */

struct ui_lang {
	const char *code; /* the catalog's name: "zh_CN" */
	const char *tag;  /* the HTML lang value: "zh-CN" */
	const char *name; /* the language's name in itself, for the switch */
};
extern const struct ui_lang ui_langs[UI_LANGS];

/* A GNU .mo catalog in memory, read-only once loaded (any number of threads may look up). */
struct ui_catalog;
/* Checks and indexes a copy of data[0..len): ERR_PARSE for a file out of bounds, unsorted or
 * not a catalog; translations whose printf conversions differ from the original are left out. */
int ui_catalog_parse(const void *data, size_t len, struct ui_catalog **ret);
int ui_catalog_load(const char *path, struct ui_catalog **ret);
void ui_catalog_free(struct ui_catalog *c);
size_t ui_catalog_count(const struct ui_catalog *c); /* translations kept */
/* The translation of msgid, NULL when there is none; borrowed from c. */
const char *ui_catalog_get(const struct ui_catalog *c, const char *msgid);
/* The form for n of a plural entry, NULL when there is none or the catalog's plural rule is
 * neither nplurals=1 nor English's n != 1. */
const char *ui_catalog_nget(const struct ui_catalog *c, const char *singular, const char *plural,
			    unsigned long n);
/* The language of an Accept-Language value among the available ones: the highest q-value
 * (the first of equals), any zh range meaning zh_CN; 0 (English) when none fits. */
int ui_lang_negotiate(const char *accept, const bool avail[UI_LANGS]);
/* The index of an available language's code ("zh_CN"), -1 for none. */
int ui_lang_find(const char *code, const bool avail[UI_LANGS]);
/* Whether tz names a zone of the server's zoneinfo ("Asia/Shanghai", "UTC"): clock_zone_exists. */
bool ui_tz_valid(const char *tz);

struct ui {
	struct ui_opts o;
	struct ui_catalog *cats[UI_LANGS]; /* NULL for English and for a catalog not found */
	bool avail[UI_LANGS];
};

struct ui_req {
	struct ui *ui;
	const struct httpd_request *req;
	struct httpd_response *resp;
	char user[STORE_USER_MAX + 1]; /* the analyst; "" before login */
	char csrf[65];
	int lang;		/* index in ui_langs: the analyst's choice, else Accept-Language */
	int lang_pref;		/* the analyst's saved choice, -1 for none */
	char tz[UI_TZ_MAX + 1]; /* the analyst's saved time zone, "" for the browser's */
	struct buf page;
};

/* Loads every catalog under localedir (LANG/LC_MESSAGES/patrol.mo); a missing one leaves its
 * language out. */
int ui__langs_load(struct ui *ui, const char *localedir);
void ui__langs_free(struct ui *ui);
/* msgid in the request's language (msgid itself when untranslated); borrowed. xgettext reads
 * the second argument (po/meson.build), so every string shown goes through here or N_(). */
const char *ui__tr(const struct ui_req *r, const char *msgid)
	__attribute__((format_arg(2), returns_nonnull));
const char *ui__ntr(const struct ui_req *r, const char *singular, const char *plural,
		    unsigned long n) __attribute__((format_arg(2), format_arg(3), returns_nonnull));
/* ui__tr(msgid), escaped, into the page. */
int ui__text(struct ui_req *r, const char *msgid);
/* fmt's output (under 2 KiB), escaped. */
int ui__htmlf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fmt escaped, with its one "%s" (or "%1$s") replaced by html as it is (a link, a <code>). */
int ui__html_sub(struct buf *b, const char *fmt, const char *html);

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
/* The venues page's charts of hits per day (ui_trends.c) and its tip form; the tip page, GET
 * and POST /tip (ui_tip.c). Each adds nothing when its ui_opts callback is NULL. */
int ui__trends(struct ui_req *r);
int ui__tip_form(struct ui_req *r);
int ui__tip(struct ui_req *r);

/* The snapshot of a hit's captured page (ui_snapshot.c): the hit page's section (the PNG, the
 * button, what the last rendering did), POST /hit/ID/snapshot, GET /hit/ID/snapshot.png, and
 * the snapshots a confirm or escalate takes through snapshot_fn: the code (for ?snap=) of the
 * first that failed, or NULL. */
int ui__snapshot_section(struct ui_req *r, const struct store_hit *h);
int ui__snapshot_post(struct ui_req *r, uint64_t id);
int ui__snapshot_png(struct ui_req *r, uint64_t id);
const char *ui__snapshot_decided(struct ui_req *r, const uint64_t *ids, size_t n,
				 const char *status);

/* Assets (ui_assets.c): serves /static/ui.css and /static/ui.js; 404 for anything else. */
int ui__static(struct ui_req *r);

#endif
