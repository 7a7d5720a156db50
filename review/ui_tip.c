/* SPDX-License-Identifier: MIT */
/* The tip form: an analyst submits a URL and a note for a priority check. Whether it is taken
 * is `patrol submit`'s decision, made by the caller's ui_tip_fn (cli/cmd_serve.c) under the
 * analyst's name: inside a registered venue's scope it is stored, queued and audited, anything
 * else is refused with the reason, which the page shows. POST /tip reaches here only with the
 * session's CSRF token (ui.c checks every POST first). Every string shown is in the request's
 * language (ui__tr).
 */
#include "review/ui_int.h"

#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define TIP_MSG_MAX 12000 /* bytes of a result line: a URL is at most 8 KiB */

/* The form, with url and note filled in (after a refusal) or empty. */
static int tip_form(struct ui_req *r, const char *url, const char *note)
{
	struct buf *b = &r->page;
	int rc = buf_addstr(b, "<form class=\"tip\" method=\"post\" action=\"/tip\">");
	rc = rc ? rc : ui__csrf_input(r);
	rc = rc ? rc : buf_addstr(b, "<label>");
	rc = rc ? rc : ui__text(r, "URL");
	rc = rc ? rc
		: buf_addstr(b, " <input name=\"url\" type=\"url\" required maxlength=\"8192\" "
				"size=\"48\" value=\"");
	rc = rc ? rc : ui_html(b, url);
	rc = rc ? rc : buf_addstr(b, "\"></label> <label>");
	rc = rc ? rc : ui__text(r, "Note");
	rc = rc ? rc
		: buf_addstr(b, " <input name=\"note\" maxlength=\"2048\" size=\"32\" value=\"");
	rc = rc ? rc : ui_html(b, note);
	rc = rc ? rc : buf_addstr(b, "\"></label> <button>");
	rc = rc ? rc : ui__text(r, "Submit");
	rc = rc ? rc : buf_addstr(b, "</button></form><p class=\"dim\">");
	rc = rc ? rc
		: ui__text(r,
			   "A URL inside a registered venue's scope is queued and fetched first by "
			   "the next crawl; anything else is refused, saying why. Recorded in the "
			   "audit log under your name.");
	return rc ? rc : buf_addstr(b, "</p>");
}

/* The page: a result line (escaped; cls "ok" or "err"), then the form. */
static int tip_page(struct ui_req *r, int status, const char *cls, const char *msg, const char *url,
		    const char *note)
{
	buf_reset(&r->page);
	int rc = ui__page_begin(r, ui__tr(r, "Submit a tip"), "venues");
	rc = rc ? rc : buf_addstr(&r->page, "<h1>");
	rc = rc ? rc : ui__text(r, "Submit a tip");
	rc = rc ? rc : buf_addstr(&r->page, "</h1>");
	if (!rc && msg) {
		rc = buf_addf(&r->page, "<p class=\"%s\" role=\"%s\">", cls,
			      strcmp(cls, "err") == 0 ? "alert" : "status");
		rc = rc ? rc : ui_html(&r->page, msg);
		rc = rc ? rc : buf_addstr(&r->page, "</p>");
	}
	rc = rc ? rc : tip_form(r, url, note);
	return rc ? rc : ui__page_end(r, status);
}

static int tip_accepted(struct ui_req *r, const struct ui_tip_result *res)
{
	struct buf msg;
	buf_init(&msg, TIP_MSG_MAX);
	int rc = buf_addf(
		&msg,
		res->queued
			? ui__tr(r, "Queued %s (venue %s) for a priority check at the next crawl.")
			: ui__tr(r, "Recorded the tip on %s (venue %s), but the crawl now open "
				    "fetched it already: it is not fetched again before that crawl "
				    "ends."),
		res->url, res->venue ? res->venue : "");
	rc = rc ? rc : tip_page(r, 200, "ok", msg.data, "", "");
	buf_done(&msg);
	return rc;
}

/* ui_tr_fn: the refusal, made by the caller, in this analyst's language. */
static const char *tip_tr(void *trud, const char *msgid)
{
	return ui__tr(trud, msgid);
}

static int tip_submit(struct ui_req *r)
{
	const char *url = httpd_kv_get(r->req->form, r->req->nform, "url");
	const char *note = httpd_kv_get(r->req->form, r->req->nform, "note");
	note = note ? note : "";
	if (!url || !url[0])
		return tip_page(r, 400, "err", ui__tr(r, "A URL is needed."), "", note);
	struct ui_tip_result res = {0};
	int rc = r->ui->o.tip_fn(r->ui->o.ud, url, note, r->user, tip_tr, r, &res);
	if (rc == 0)
		rc = tip_accepted(r, &res);
	else if (rc == ERR_USAGE || rc == ERR_SCOPE || rc == ERR_URL) {
		struct buf msg;
		buf_init(&msg, TIP_MSG_MAX);
		res.why[sizeof(res.why) - 1] = 0;
		rc = buf_addf(&msg, ui__tr(r, "Refused: %s"), res.why);
		rc = rc ? rc : tip_page(r, 422, "err", msg.data, url, note);
		buf_done(&msg);
	}
	free(res.url);
	return rc;
}

int ui__tip_form(struct ui_req *r)
{
	if (!r->ui->o.tip_fn)
		return 0;
	int rc = buf_addstr(&r->page, "<h2 id=\"tip\">");
	rc = rc ? rc : ui__text(r, "Submit a tip");
	rc = rc ? rc : buf_addstr(&r->page, "</h2>");
	return rc ? rc : tip_form(r, "", "");
}

int ui__tip(struct ui_req *r)
{
	if (!r->ui->o.tip_fn)
		return ui__message(
			r, 404, ui__tr(r, "Not found"),
			ui__tr(r, "Tips cannot be submitted here: the server has no tip intake."));
	if (strcmp(r->req->method, "POST") == 0)
		return tip_submit(r);
	return tip_page(r, 200, NULL, NULL, "", "");
}
