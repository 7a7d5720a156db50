/* SPDX-License-Identifier: MIT */
/* The hit page's snapshot: the stored PNG of the captured page (docs/snapshots.md), the button
 * that renders it through ui_opts.snapshot_fn, and the snapshots a confirmation takes. Rendering
 * runs on the server's thread and is time-limited by the caller; what happened comes back to the
 * hit page as a fixed code in its query (?snap=timeout), never as text from the request.
 */
#include "review/ui_int.h"

#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a rendering's outcome says on the hit page; "auto-" codes follow a review decision. */
static const char *const ui_snap_notes[][2] = {
	{"taken", N_("Snapshot taken.")},
	{"timeout", N_("The rendering took longer than its time limit and was stopped: no snapshot "
		       "was taken.")},
	{"nobrowser", N_("There is no browser on the server: no snapshot was taken.")},
	{"noevidence", N_("No captured page is stored for this hit: there is nothing to picture.")},
	{"failed", N_("The browser could not render the captured page: no snapshot was taken "
		      "(patrol snapshot -v ID shows its messages).")},
	{"auto-queued",
	 N_("The decision is recorded; its snapshot is being taken in the background: "
	    "reload the hit's page in a moment to see it.")},
	{"auto-busy", N_("The decision is recorded, but too many snapshots are waiting: not all of "
			 "these hits will get one (patrol snapshot ID... takes them).")},
	{"auto-timeout", N_("The decision is recorded, but its snapshot took longer than the time "
			    "limit and was stopped.")},
	{"auto-nobrowser", N_("The decision is recorded; no snapshot: there is no browser.")},
	{"auto-failed", N_("The decision is recorded, but its snapshot failed.")},
};

/* The code of a snapshot_fn result (auto: after a decision); NULL when a decision's snapshot
 * was taken or there was nothing to picture. */
static const char *ui_snap_code(int rc, bool auto_)
{
	if (rc == 0)
		return auto_ ? NULL : "taken";
	if (rc == 1)
		return "auto-queued";
	if (rc == -EBUSY)
		return "auto-busy";
	if (rc == -ETIMEDOUT)
		return auto_ ? "auto-timeout" : "timeout";
	if (rc == -ENOENT)
		return auto_ ? "auto-nobrowser" : "nobrowser";
	if (rc == ERR_NOT_FOUND) /* no evidence: nothing to picture, nothing failed */
		return auto_ ? NULL : "noevidence";
	return auto_ ? "auto-failed" : "failed";
}

static int ui_snap_note(struct ui_req *r)
{
	const char *code = ui__arg(r, "snap");
	for (size_t i = 0; code && i < sizeof(ui_snap_notes) / sizeof(ui_snap_notes[0]); i++)
		if (strcmp(code, ui_snap_notes[i][0]) == 0) {
			int rc = buf_addf(&r->page, "<p class=\"%s\" id=\"snapnote\">",
					  strcmp(code, "taken") == 0 ? "ok" : "err");
			rc = rc ? rc : ui__text(r, ui_snap_notes[i][1]);
			return rc ? rc : buf_addstr(&r->page, "</p>");
		}
	return 0;
}

static bool ui_digest_zero(const uint8_t d[DIGEST_LEN])
{
	static const uint8_t zero[DIGEST_LEN];
	return memcmp(d, zero, DIGEST_LEN) == 0;
}

/* The button, or why there is none. */
static int ui_snap_form(struct ui_req *r, uint64_t id, bool stored)
{
	struct buf *b = &r->page;
	const struct ui_opts *o = &r->ui->o;
	int rc = buf_addf(b,
			  "<form class=\"actions\" id=\"snapform\" method=\"post\" "
			  "action=\"/hit/%" PRIu64 "/snapshot\">",
			  id);
	rc = rc ? rc : ui__csrf_input(r);
	rc = rc ? rc : buf_addf(b, "<button id=\"snapbtn\"%s>", o->snapshot_fn ? "" : " disabled");
	if (!rc && stored)
		rc = ui__text(r, "Retake snapshot");
	else if (!rc)
		rc = ui__text(r, "Take snapshot");
	rc = rc ? rc : buf_addstr(b, "</button>");
	if (!rc && o->snapshot_fn) {
		rc = buf_addstr(b, "<span class=\"dim\">");
		rc = rc ? rc
			: ui__htmlf(b,
				    ui__tr(r, "renders the captured page, not the live one, with "
					      "no script and no request; up to %d s"),
				    o->snapshot_timeout_s);
		rc = rc ? rc : buf_addstr(b, "</span>");
	} else if (!rc) {
		rc = buf_addstr(b, "<span class=\"dim\" id=\"snapwhy\">");
		rc = rc ? rc
			: ui__text(r, "No browser on the server: install Debian's chromium package "
				      "to take snapshots (docs/snapshots.md).");
		rc = rc ? rc : buf_addstr(b, "</span>");
	}
	return rc ? rc : buf_addstr(b, "</form>");
}

int ui__snapshot_section(struct ui_req *r, const struct store_hit *h)
{
	struct buf *b = &r->page;
	struct store_snapshot snap;
	int rc = buf_addstr(b, "<h2>");
	rc = rc ? rc : ui__text(r, "Snapshot");
	rc = rc ? rc : buf_addstr(b, "</h2>");
	rc = rc ? rc : ui_snap_note(r);
	if (rc)
		return rc;
	if (ui_digest_zero(h->evidence)) {
		rc = buf_addstr(b, "<p class=\"dim\">");
		rc = rc ? rc
			: ui__text(r, "No captured page is stored for this hit: there is nothing "
				      "to picture.");
		return rc ? rc : buf_addstr(b, "</p>");
	}
	int got = store_snapshot_get(r->ui->o.store, h->evidence, &snap);
	if (got && got != ERR_NOT_FOUND)
		return got;
	rc = ui_snap_form(r, h->id, got == 0);
	if (!rc && got == ERR_NOT_FOUND) {
		rc = buf_addstr(b, "<p class=\"dim\">");
		rc = rc ? rc : ui__text(r, "No snapshot of the captured page yet.");
		return rc ? rc : buf_addstr(b, "</p>");
	}
	rc = rc ? rc : buf_addstr(b, "<p class=\"dim\">");
	rc = rc ? rc : ui__text(r, "taken");
	rc = rc ? rc : buf_addc(b, ' ');
	rc = rc ? rc : ui__time(b, snap.taken_at);
	rc = rc ? rc
		: ui__htmlf(b, ui__tr(r, ", %u×%u px, %llu bytes"), (unsigned)snap.width,
			    (unsigned)snap.height, (unsigned long long)snap.bytes);
	rc = rc ? rc
		: buf_addf(b,
			   "</p><a href=\"/hit/%" PRIu64 "/snapshot.png\"><img class=\"snap\" "
			   "id=\"snapimg\" alt=\"",
			   h->id);
	rc = rc ? rc : ui_html(b, ui__tr(r, "snapshot of the captured page"));
	return rc ? rc : buf_addf(b, "\" src=\"/hit/%" PRIu64 "/snapshot.png\"></a>", h->id);
}

/* ---- The PNG ---- */

static int ui_evidence_fn(const struct store_hit *h, void *ud)
{
	memcpy(ud, h->evidence, DIGEST_LEN);
	return 0;
}

int ui__snapshot_png(struct ui_req *r, uint64_t id)
{
	uint8_t ev[DIGEST_LEN] = {0};
	struct store_snapshot snap;
	char *png = NULL;
	size_t len = 0;
	int rc = store_hit_get(r->ui->o.store, id, ui_evidence_fn, ev);
	if (!rc && ui_digest_zero(ev))
		rc = ERR_NOT_FOUND;
	rc = rc ? rc : store_snapshot_get(r->ui->o.store, ev, &snap);
	rc = rc ? rc : store_evidence_get(r->ui->o.store, snap.png, &png, &len);
	if (rc == ERR_NOT_FOUND)
		return ui__message(r, 404, ui__tr(r, "Not found"),
				   ui__tr(r, "No snapshot is stored for this hit."));
	if (rc)
		return rc;
	r->resp->status = 200;
	r->resp->content_type = "image/png";
	r->resp->body = png;
	r->resp->len = len;
	r->resp->body_free = true;
	ui__headers(r->resp, false);
	return 0;
}

/* ---- Taking one ---- */

int ui__snapshot_post(struct ui_req *r, uint64_t id)
{
	const struct ui_opts *o = &r->ui->o;
	char why[256] = "", back[96];
	int rc = o->snapshot_fn ? o->snapshot_fn(o->ud, id, true, why, sizeof(why)) : -ENOENT;
	snprintf(back, sizeof(back), "/hit/%" PRIu64 "?snap=%s", id, ui_snap_code(rc, false));
	return ui__redirect(r, back);
}

const char *ui__snapshot_decided(struct ui_req *r, const uint64_t *ids, size_t n,
				 const char *status)
{
	const struct ui_opts *o = &r->ui->o;
	const char *code = NULL;
	if (!o->snapshot_fn ||
	    (strcmp(status, "confirmed") != 0 && strcmp(status, "escalated") != 0))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char why[256];
		const char *c =
			ui_snap_code(o->snapshot_fn(o->ud, ids[i], false, why, sizeof(why)), true);
		/* a problem is worth telling more than a snapshot queued */
		if (c && (!code || strcmp(code, "auto-queued") == 0))
			code = c;
	}
	return code;
}
