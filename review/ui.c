/* SPDX-License-Identifier: MIT */
/* The web UI's front door: routing, login and sessions, CSRF checks, the page frame and the
 * escaping every page uses. A request without a valid session sees only the login page and the
 * static assets; a POST without the session's CSRF token, or from another origin, is refused
 * before anything is read or changed.
 */
#include "review/ui_int.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define UI_COOKIE "patrol_session"

int ui_new(const struct ui_opts *o, struct ui **ret)
{
	if (!o->store)
		return ERR_USAGE;
	struct ui *ui = calloc(1, sizeof(*ui));
	if (!ui)
		return -ENOMEM;
	ui->o = *o;
	if (ui->o.session_seconds <= 0)
		ui->o.session_seconds = 12 * 3600;
	const char *dir = getenv("PATROL_LOCALEDIR"); /* the tests' build tree */
	ui__langs_load(ui, dir && dir[0] ? dir : PATROL_LOCALEDIR);
	*ret = ui;
	return 0;
}

void ui_free(struct ui *ui)
{
	if (ui)
		ui__langs_free(ui);
	free(ui);
}

/* ---- Escaping ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	if (!len || len > n || (len == 2 && s[0] < 0xc2) || (len == 4 && s[0] > 0xf4))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return len;
}

int ui_html_n(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		const char *rep = NULL;
		switch (p[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case 0: rep = "\xef\xbf\xbd"; break;
		default: break;
		}
		if (rep) {
			rc = buf_addstr(b, rep);
			i++;
			continue;
		}
		size_t len = utf8_len(p + i, n - i);
		if (len && (p[i] >= 0x20 || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
			rc = buf_add(b, p + i, len);
		else
			rc = buf_addstr(b, "\xef\xbf\xbd");
		i += len ? len : 1;
	}
	return rc;
}

int ui_html(struct buf *b, const char *s)
{
	return ui_html_n(b, s ? s : "", s ? strlen(s) : 0);
}

int ui_qs(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			rc = buf_addc(b, (char)*p);
		else
			rc = buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return rc;
}

bool ui_url_linkable(const char *url)
{
	/* Browsers drop leading spaces and controls, and tabs or newlines anywhere in a scheme. */
	while (url && *url && (unsigned char)*url <= 0x20)
		url++;
	if (!url)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		url += 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		url += 7;
	else
		return false;
	for (; *url; url++)
		if ((unsigned char)*url < 0x20 || *url == '"' || *url == '<' || *url == '>')
			return false;
	return true;
}

int ui__url(struct buf *b, const char *url)
{
	if (!ui_url_linkable(url))
		return ui_html(b, url);
	int rc = buf_addstr(b, "<a rel=\"noreferrer noopener\" target=\"_blank\" href=\"");
	rc = rc ? rc : ui_html(b, url);
	rc = rc ? rc : buf_addstr(b, "\">");
	rc = rc ? rc : ui_html(b, url);
	return rc ? rc : buf_addstr(b, "</a>");
}

void ui__terms_add(struct ui_terms *t, const char *term)
{
	size_t n = term ? strlen(term) : 0, at = t->n;
	if (!n || t->n == UI_TERMS_MAX)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->s[i], term) == 0)
			return;
	while (at > 0 && strlen(t->s[at - 1]) < n) {
		t->s[at] = t->s[at - 1];
		at--;
	}
	t->s[at] = term;
	t->n++;
}

void ui__terms_of(struct ui_terms *t, const struct store_hit *h)
{
	t->n = 0;
	ui__terms_add(t, h->match);
	for (size_t i = 0; h->spans && i < h->nspans; i++)
		ui__terms_add(t, h->spans[i].text);
}

/* at[i]: where term i next occurs at or after p, NULL once it occurs no more. A term is searched
 * again only when p has passed its last find, so a long captured page is read about once per
 * term, not once per mark. Returns the first place a term starts (the longest there). */
static const char *ui_next_term(const char *p, const char *end, const struct ui_terms *t,
				const char **at, size_t *ret_len)
{
	const char *best = NULL;
	for (size_t i = 0; i < t->n; i++) {
		size_t n = strlen(t->s[i]);
		if (at[i] && at[i] < p)
			at[i] = memmem(p, (size_t)(end - p), t->s[i], n);
		if (at[i] && (!best || at[i] < best || (at[i] == best && n > *ret_len))) {
			best = at[i];
			*ret_len = n;
		}
	}
	return best;
}

int ui__marked(struct buf *b, const char *text, size_t len, const struct ui_terms *t)
{
	int rc = 0;
	const char *p = text, *end = text + len, *at[UI_TERMS_MAX];
	for (size_t i = 0; t && i < t->n; i++)
		at[i] = memmem(text, len, t->s[i], strlen(t->s[i]));
	for (int marks = 0; t && marks < 64 && !rc; marks++) {
		size_t mlen = 0;
		const char *m = ui_next_term(p, end, t, at, &mlen);
		if (!m)
			break;
		rc = ui_html_n(b, p, (size_t)(m - p));
		rc = rc ? rc : buf_addstr(b, "<mark>");
		rc = rc ? rc : ui_html_n(b, m, mlen);
		rc = rc ? rc : buf_addstr(b, "</mark>");
		p = m + mlen;
	}
	return rc ? rc : ui_html_n(b, p, (size_t)(end - p));
}

/* UTC for a reader without JavaScript; ui.js rewrites the text in the analyst's time zone
 * from the datetime attribute (docs/review.md, "Languages and time zones"). */
int ui__time(struct buf *b, int64_t t)
{
	if (t <= 0)
		return buf_addstr(b, "-");
	time_t tt = (time_t)t;
	struct tm tm;
	char out[96];
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, sizeof(out),
		      "<time datetime=\"%Y-%m-%dT%H:%M:%SZ\">%Y-%m-%d %H:%M UTC</time>", &tm))
		return buf_addstr(b, "-");
	return buf_addstr(b, out);
}

int64_t ui_date_parse(const char *s, bool end)
{
	int y, m, d, n = 0;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return -1;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (int64_t)t + (end ? 86399 : 0);
}

bool ui_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0;
}

void ui_csrf_token(const char *sid, char out[65])
{
	static const char label[] = "patrol csrf v1";
	struct digest_part parts[] = {{label, sizeof(label)}, {sid, strlen(sid)}};
	uint8_t d[DIGEST_LEN] = {0};
	digest_sha256_parts(parts, 2, d);
	digest_hex(d, out);
}

/* ---- Lookups ---- */

const struct ui_rule *ui__rule(const struct ui *ui, const char *id)
{
	for (size_t i = 0; id && i < ui->o.nrules; i++)
		if (strcmp(ui->o.rules[i].id, id) == 0)
			return &ui->o.rules[i];
	return NULL;
}

const struct ui_venue *ui__venue(const struct ui *ui, const char *id)
{
	for (size_t i = 0; id && i < ui->o.nvenues; i++)
		if (strcmp(ui->o.venues[i].id, id) == 0)
			return &ui->o.venues[i];
	return NULL;
}

const char *ui__arg(const struct ui_req *r, const char *name)
{
	const char *v = httpd_kv_get(r->req->query, r->req->nquery, name);
	return v ? v : httpd_kv_get(r->req->form, r->req->nform, name);
}

/* ---- Responses ---- */

static void ui_header(struct httpd_response *resp, const char *name, const char *value)
{
	if (resp->nheaders < HTTPD_MAX_HEADERS)
		resp->headers[resp->nheaders++] = (struct httpd_header){name, value};
}

void ui__headers(struct httpd_response *resp, bool frame)
{
	if (!frame)
		ui_header(
			resp, "Content-Security-Policy",
			"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
			"connect-src 'self'; form-action 'self'; frame-src 'self'; "
			"frame-ancestors 'none'; base-uri 'none'");
	ui_header(resp, "X-Content-Type-Options", "nosniff");
	/* same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on our own
	 * forms; no URL of ours goes to another site either way. */
	ui_header(resp, "Referrer-Policy", frame ? "no-referrer" : "same-origin");
	ui_header(resp, "X-Frame-Options", frame ? "SAMEORIGIN" : "DENY");
	ui_header(resp, "Cache-Control", "no-store");
	ui_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

/* s as a JSON string safe inside <script>: no '<', '>' or '&' as they are. */
static int ui_json_str(struct buf *b, const char *s)
{
	int rc = buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		if (*p < 0x20 || strchr("\"\\<>&'", *p))
			rc = buf_addf(b, "\\u%04x", *p);
		else
			rc = buf_addc(b, (char)*p);
	}
	return rc ? rc : buf_addc(b, '"');
}

/* What ui.js shows, in the page's language: a JSON block the CSP does not run, read by id. */
static int ui_js_text(struct ui_req *r)
{
	static const char *const text[][2] = {
		{"confirmed", N_("confirmed")},
		{"dismissed", N_("dismissed")},
		{"escalated", N_("escalated")},
		{"changed", N_("Hit #%s is now %s.")},
		{"failed", N_("Hit #%s was not changed: %s")},
		{"keys", N_("Keys")},
		{"k_move", N_("next / previous hit")},
		{"k_select", N_("select the hit")},
		{"k_open", N_("open the hit")},
		{"k_confirm", N_("confirm")},
		{"k_dismiss", N_("dismiss")},
		{"k_escalate", N_("escalate")},
		{"k_note", N_("write a note")},
		{"k_help", N_("this help")},
		{"k_close", N_("close")},
	};
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<script type=\"application/json\" id=\"ui-text\">{");
	for (size_t i = 0; !rc && i < sizeof(text) / sizeof(text[0]); i++) {
		rc = buf_addf(b, "%s\"%s\":", i ? "," : "", text[i][0]);
		rc = rc ? rc : ui_json_str(b, ui__tr(r, text[i][1]));
	}
	return rc ? rc : buf_addstr(b, "}</script>");
}

/* The analyst's language and time zone: a small form in the header, POST /prefs. */
static int ui_prefs_form(struct ui_req *r)
{
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<form class=\"prefs\" method=\"post\" action=\"/prefs\">");
	rc = rc ? rc : ui__csrf_input(r);
	rc = rc ? rc : buf_addstr(b, "<input type=\"hidden\" name=\"return\" value=\"");
	rc = rc ? rc : ui_html(b, r->req->path);
	rc = rc ? rc : buf_addstr(b, "\"><select name=\"lang\" aria-label=\"");
	rc = rc ? rc : ui__text(r, "Language");
	rc = rc ? rc : buf_addstr(b, "\"><option value=\"\">");
	rc = rc ? rc : ui__text(r, "the browser's language");
	rc = rc ? rc : buf_addstr(b, "</option>");
	for (int i = 0; !rc && i < UI_LANGS; i++) {
		if (!r->ui->avail[i])
			continue;
		rc = buf_addf(b, "<option value=\"%s\" lang=\"%s\"%s>%s</option>", ui_langs[i].code,
			      ui_langs[i].tag, i == r->lang_pref ? " selected" : "",
			      ui_langs[i].name);
	}
	rc = rc ? rc
		: buf_addstr(b, "</select><input name=\"tz\" size=\"14\" maxlength=\"64\" "
				"value=\"");
	rc = rc ? rc : ui_html(b, r->tz);
	rc = rc ? rc : buf_addstr(b, "\" placeholder=\"");
	rc = rc ? rc : ui__text(r, "time zone (the browser's)");
	rc = rc ? rc : buf_addstr(b, "\" aria-label=\"");
	rc = rc ? rc : ui__text(r, "Time zone, such as Asia/Shanghai");
	rc = rc ? rc : buf_addstr(b, "\"><button>");
	rc = rc ? rc : ui__text(r, "Save");
	return rc ? rc : buf_addstr(b, "</button></form>");
}

int ui__page_begin(struct ui_req *r, const char *title, const char *nav)
{
	struct buf *b = &r->page;
	static const char *const links[][3] = {{"queue", "/", N_("queue")},
					       {"rules", "/rules", N_("rules")},
					       {"venues", "/venues", N_("venues")},
					       {"audit", "/audit", N_("audit")}};
	int rc = buf_addf(b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">",
			  ui_langs[r->lang].tag);
	rc = rc ? rc
		: buf_addstr(b, "<meta name=\"viewport\" content=\"width=device-width\">"
				"<meta name=\"referrer\" content=\"same-origin\">"
				"<link rel=\"stylesheet\" href=\"/static/ui.css\">"
				"<script src=\"/static/ui.js\" defer></script><title>");
	rc = rc ? rc : ui_html(b, title);
	rc = rc ? rc : buf_addstr(b, " · patrol</title>");
	if (!rc && r->csrf[0])
		rc = buf_addf(b, "<meta name=\"csrf\" content=\"%s\">", r->csrf);
	if (!rc && r->tz[0]) {
		rc = buf_addstr(b, "<meta name=\"tz\" content=\"");
		rc = rc ? rc : ui_html(b, r->tz);
		rc = rc ? rc : buf_addstr(b, "\">");
	}
	rc = rc ? rc : ui_js_text(r);
	rc = rc ? rc : buf_addstr(b, "</head><body><header><b class=\"brand\">patrol</b><nav>");
	for (size_t i = 0; !rc && r->user[0] && i < sizeof(links) / sizeof(links[0]); i++) {
		rc = buf_addf(b, "<a href=\"%s\"%s>", links[i][1],
			      nav && strcmp(nav, links[i][0]) == 0 ? " class=\"on\"" : "");
		rc = rc ? rc : ui__text(r, links[i][2]);
		rc = rc ? rc : buf_addstr(b, "</a>");
	}
	rc = rc ? rc : buf_addstr(b, "</nav>");
	if (!rc && r->user[0]) {
		rc = ui_prefs_form(r);
		rc = rc ? rc
			: buf_addstr(b, "<form class=\"who\" method=\"post\" action=\"/logout\">");
		rc = rc ? rc : ui__csrf_input(r);
		rc = rc ? rc : ui_html(b, r->user);
		rc = rc ? rc : buf_addstr(b, " <button>");
		rc = rc ? rc : ui__text(r, "log out");
		rc = rc ? rc : buf_addstr(b, "</button> <span class=\"hint\">");
		rc = rc ? rc : ui__text(r, "? keys");
		rc = rc ? rc : buf_addstr(b, "</span></form>");
	}
	return rc ? rc : buf_addstr(b, "</header><main>");
}

int ui__page_end(struct ui_req *r, int status)
{
	int rc = buf_addstr(&r->page, "</main></body></html>\n");
	if (rc)
		return rc;
	size_t len = r->page.len;
	char *body = buf_take(&r->page);
	if (!body)
		return -ENOMEM;
	r->resp->status = status;
	r->resp->content_type = "text/html; charset=utf-8";
	r->resp->body = body;
	r->resp->len = len;
	r->resp->body_free = true;
	ui__headers(r->resp, false);
	return 0;
}

int ui__message(struct ui_req *r, int status, const char *title, const char *text)
{
	buf_reset(&r->page);
	int rc = ui__page_begin(r, title, NULL);
	rc = rc ? rc : buf_addstr(&r->page, "<section class=\"msg\"><h1>");
	rc = rc ? rc : ui_html(&r->page, title);
	rc = rc ? rc : buf_addstr(&r->page, "</h1><p>");
	rc = rc ? rc : ui_html(&r->page, text);
	rc = rc ? rc : buf_addstr(&r->page, "</p></section>");
	return rc ? rc : ui__page_end(r, status);
}

/* Only a path of this server: one leading slash, no backslash or control byte. */
static bool ui_local_path(const char *p)
{
	if (!p || p[0] != '/' || p[1] == '/' || strlen(p) > 2048)
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == '\\' || (unsigned char)*p == 0x7f)
			return false;
	return true;
}

int ui__redirect(struct ui_req *r, const char *path)
{
	char *loc = strdup(ui_local_path(path) ? path : "/");
	if (!loc)
		return -ENOMEM;
	int rc = ui__own(r->resp, loc);
	if (rc)
		return rc;
	r->resp->status = 303;
	r->resp->content_type = "text/plain";
	r->resp->body = "";
	r->resp->body_static = true;
	ui_header(r->resp, "Location", loc);
	ui__headers(r->resp, false);
	return 0;
}

int ui__own(struct httpd_response *resp, void *p)
{
	if (resp->nowned == sizeof(resp->owned) / sizeof(resp->owned[0])) {
		free(p);
		return ERR_INTERNAL;
	}
	resp->owned[resp->nowned++] = p;
	return 0;
}

int ui__csrf_input(struct ui_req *r)
{
	return buf_addf(&r->page, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->csrf);
}

/* ---- Sessions ---- */

static int ui_session_hash(const char *sid, uint8_t out[DIGEST_LEN])
{
	return digest_sha256(sid, strlen(sid), out);
}

/* The analyst's saved language (beats Accept-Language) and time zone. A saved value that is no
 * longer valid (a catalog removed) is ignored. */
static void ui_prefs_load(struct ui_req *r)
{
	struct store_user_prefs p;
	if (store_user_prefs_get(r->ui->o.store, r->user, &p) != 0)
		return;
	r->lang_pref = ui_lang_find(p.lang, r->ui->avail);
	if (r->lang_pref >= 0)
		r->lang = r->lang_pref;
	if (ui_tz_valid(p.tz))
		snprintf(r->tz, sizeof(r->tz), "%s", p.tz);
}

/* POST /prefs: the language ("" follows the browser) and time zone ("" the browser's). */
static int ui_prefs_post(struct ui_req *r)
{
	const char *lang = httpd_kv_get(r->req->form, r->req->nform, "lang");
	const char *tz = httpd_kv_get(r->req->form, r->req->nform, "tz");
	struct store_user_prefs p = {"", ""};
	if (lang && lang[0] && ui_lang_find(lang, r->ui->avail) < 0)
		return ui__message(r, 400, ui__tr(r, "Bad request"),
				   ui__tr(r, "There is no such language."));
	if (tz && tz[0] && !ui_tz_valid(tz))
		return ui__message(
			r, 400, ui__tr(r, "Bad request"),
			ui__tr(r, "That is not a time zone name such as Asia/Shanghai."));
	snprintf(p.lang, sizeof(p.lang), "%s", lang ? lang : "");
	snprintf(p.tz, sizeof(p.tz), "%s", tz ? tz : "");
	int rc = store_user_prefs_set(r->ui->o.store, r->user, &p);
	return rc ? rc : ui__redirect(r, httpd_kv_get(r->req->form, r->req->nform, "return"));
}

/* The analyst of the request's session cookie, if any: fills r->user and r->csrf. */
static void ui_session_load(struct ui_req *r)
{
	char sid[65];
	uint8_t h[DIGEST_LEN];
	if (!r->req->cookie || httpd_cookie_get(r->req->cookie, UI_COOKIE, sid, sizeof(sid)) != 0)
		return;
	if (strlen(sid) != 64 || strspn(sid, "0123456789abcdef") != 64)
		return;
	if (ui_session_hash(sid, h) != 0)
		return;
	if (store_session_get(r->ui->o.store, h, clock_wall(), r->user) != 0) {
		r->user[0] = 0;
		return;
	}
	ui_csrf_token(sid, r->csrf);
	ui_prefs_load(r);
}

static int ui_set_cookie(struct ui_req *r, const char *sid, int64_t max_age)
{
	char *c = malloc(256);
	if (!c)
		return -ENOMEM;
	snprintf(c, 256, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" PRId64 "%s",
		 UI_COOKIE, sid, max_age, r->ui->o.tls ? "; Secure" : ""); /* i18n: machine */
	int rc = ui__own(r->resp, c);
	if (rc)
		return rc;
	ui_header(r->resp, "Set-Cookie", c);
	return 0;
}

static int ui_login_page(struct ui_req *r, int status, const char *why)
{
	struct buf *b = &r->page;
	buf_reset(b);
	int rc = ui__page_begin(r, ui__tr(r, "Log in"), NULL);
	rc = rc ? rc : buf_addstr(b, "<section class=\"login\"><h1>");
	rc = rc ? rc : ui__text(r, "Log in");
	rc = rc ? rc : buf_addstr(b, "</h1>");
	if (!rc && why) {
		rc = buf_addstr(b, "<p class=\"err\">");
		rc = rc ? rc : ui_html(b, why);
		rc = rc ? rc : buf_addstr(b, "</p>");
	}
	rc = rc ? rc : buf_addstr(b, "<form method=\"post\" action=\"/login\"><label>");
	rc = rc ? rc : ui__text(r, "Analyst");
	rc = rc ? rc
		: buf_addstr(b, " <input name=\"name\" autocomplete=\"username\" required "
				"autofocus></label><label>");
	rc = rc ? rc : ui__text(r, "Token");
	rc = rc ? rc
		: buf_addstr(b, " <input name=\"token\" type=\"password\" "
				"autocomplete=\"current-password\" required></label><button>");
	rc = rc ? rc : ui__text(r, "Log in");
	rc = rc ? rc : buf_addstr(b, "</button></form><p class=\"dim\">");
	rc = rc ? rc
		: ui__html_sub(b, ui__tr(r, "A token comes from %s."),
			       "<code>patrol users add NAME</code>"); /* i18n: code */
	rc = rc ? rc : buf_addstr(b, "</p></section>");
	return rc ? rc : ui__page_end(r, status);
}

static int ui_login(struct ui_req *r)
{
	const char *name = httpd_kv_get(r->req->form, r->req->nform, "name");
	const char *token = httpd_kv_get(r->req->form, r->req->nform, "token");
	struct store_user u;
	uint8_t h[DIGEST_LEN];
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	if (!name || !token || strlen(token) > 256 ||
	    store_user_get(r->ui->o.store, name, &u) != 0 ||
	    digest_sha256(token, strlen(token), h) != 0)
		return ui_login_page(r, 403, ui__tr(r, "Wrong analyst name or token."));
	digest_hex(u.token_hash, want);
	digest_hex(h, got);
	if (!ui_str_equal(want, got))
		return ui_login_page(r, 403, ui__tr(r, "Wrong analyst name or token."));
	uint8_t raw[DIGEST_LEN];
	char sid[DIGEST_HEX_LEN + 1];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	digest_hex(raw, sid);
	int64_t now = clock_wall();
	int rc = ui_session_hash(sid, h);
	store_sessions_expire(r->ui->o.store, now, NULL); /* housekeeping; a failure is harmless */
	rc = rc ? rc : store_session_put(r->ui->o.store, h, u.name, now + r->ui->o.session_seconds);
	rc = rc ? rc : ui__redirect(r, "/");
	return rc ? rc : ui_set_cookie(r, sid, r->ui->o.session_seconds);
}

static int ui_logout(struct ui_req *r)
{
	char sid[65];
	uint8_t h[DIGEST_LEN];
	if (httpd_cookie_get(r->req->cookie, UI_COOKIE, sid, sizeof(sid)) == 0 &&
	    ui_session_hash(sid, h) == 0)
		store_session_remove(r->ui->o.store, h);
	int rc = ui__redirect(r, "/login");
	return rc ? rc : ui_set_cookie(r, "", 0);
}

/* A POST must come from our own pages: no foreign Origin, and the session's CSRF token. */
static bool ui_origin_ok(const struct ui_req *r)
{
	const char *o = r->req->origin, *host = r->req->host;
	if (!o)
		return true; /* older clients and curl send none; the CSRF token still guards */
	const char *scheme = r->req->tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	return host && strncmp(o, scheme, sl) == 0 && strcmp(o + sl, host) == 0;
}

/* ---- Routing ---- */

static int ui_hit_route(struct ui_req *r, const char *rest)
{
	char *end = NULL;
	errno = 0;
	unsigned long long id = strtoull(rest, &end, 10);
	if (errno || end == rest || id == 0 || rest[0] < '0' || rest[0] > '9')
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "There is no such hit."));
	if (*end == 0)
		return ui__hit(r, id);
	if (strcmp(end, "/evidence") == 0)
		return ui__evidence(r, id, false);
	if (strcmp(end, "/raw") == 0)
		return ui__evidence(r, id, true);
	if (strcmp(end, "/snapshot.png") == 0)
		return ui__snapshot_png(r, id);
	return ui__message(r, 404, ui__tr(r, "Not found"), ui__tr(r, "There is no such page."));
}

static int ui_get(struct ui_req *r)
{
	const char *p = r->req->path;
	if (strcmp(p, "/") == 0)
		return ui__queue(r);
	if (strncmp(p, "/hit/", 5) == 0)
		return ui_hit_route(r, p + 5);
	if (strcmp(p, "/rules") == 0)
		return ui__rules(r);
	if (strcmp(p, "/venues") == 0)
		return ui__venues(r);
	if (strcmp(p, "/audit") == 0)
		return ui__audit(r);
	if (strcmp(p, "/export") == 0)
		return ui__export(r);
	if (strcmp(p, "/tip") == 0)
		return ui__tip(r);
	if (strcmp(p, "/login") == 0)
		return ui__redirect(r, "/");
	return ui__message(r, 404, ui__tr(r, "Not found"), ui__tr(r, "There is no such page."));
}

static int ui_hit_snapshot_route(struct ui_req *r, const char *rest)
{
	char *end = NULL;
	errno = 0;
	unsigned long long id = strtoull(rest, &end, 10);
	if (errno || end == rest || id == 0 || rest[0] < '0' || rest[0] > '9' ||
	    strcmp(end, "/snapshot") != 0)
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "There is no such action."));
	return ui__snapshot_post(r, id);
}

static int ui_post(struct ui_req *r)
{
	const char *token = httpd_kv_get(r->req->form, r->req->nform, "csrf");
	if (!token || !ui_str_equal(token, r->csrf))
		return ui__message(r, 403, ui__tr(r, "Refused"),
				   ui__tr(r, "The form's CSRF token is missing or wrong."));
	if (strcmp(r->req->path, "/review") == 0)
		return ui__review(r);
	if (strcmp(r->req->path, "/tip") == 0)
		return ui__tip(r);
	if (strcmp(r->req->path, "/logout") == 0)
		return ui_logout(r);
	if (strcmp(r->req->path, "/prefs") == 0)
		return ui_prefs_post(r);
	if (strncmp(r->req->path, "/hit/", 5) == 0) /* POST /hit/ID/snapshot */
		return ui_hit_snapshot_route(r, r->req->path + 5);
	return ui__message(r, 404, ui__tr(r, "Not found"), ui__tr(r, "There is no such action."));
}

static int ui_route(struct ui_req *r)
{
	const char *m = r->req->method, *p = r->req->path;
	r->lang = ui_lang_negotiate(r->req->accept_language, r->ui->avail);
	r->lang_pref = -1;
	bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
	if (!get && !post)
		return ui__message(r, 405, ui__tr(r, "Method not allowed"),
				   ui__tr(r, "GET and POST only."));
	if (get && strncmp(p, "/static/", 8) == 0)
		return ui__static(r);
	if (post && !ui_origin_ok(r))
		return ui__message(r, 403, ui__tr(r, "Refused"),
				   ui__tr(r, "The request came from another origin."));
	ui_session_load(r);
	if (strcmp(p, "/login") == 0 && !r->user[0])
		return post ? ui_login(r) : ui_login_page(r, 200, NULL);
	if (!r->user[0]) {
		if (post)
			return ui__message(r, 403, ui__tr(r, "Refused"),
					   ui__tr(r, "Log in first."));
		return ui__redirect(r, "/login");
	}
	return get ? ui_get(r) : ui_post(r);
}

int ui_handle(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	struct ui_req r = {.ui = ud, .req = req, .resp = resp};
	buf_init(&r.page, UI_PAGE_MAX);
	int rc = ui_route(&r);
	if (rc) {
		/* A page that failed half-built is dropped; the store's error is shown. */
		for (size_t i = 0; i < resp->nowned; i++)
			free(resp->owned[i]);
		if (resp->body_free)
			free((void *)resp->body);
		*resp = (struct httpd_response){0};
		buf_reset(&r.page);
		rc = ui__message(&r, rc == ERR_TOO_BIG ? 507 : 500, ui__tr(&r, "Error"),
				 err_str(rc));
	}
	buf_done(&r.page);
	return rc;
}
