/* SPDX-License-Identifier: MIT */
/* The web UI's CSS and JavaScript, compiled into the binary from review/static/ (review/embed.py
 * at build time), so the UI works offline and its CSP can allow scripts from /static/ only.
 */
#include "review/ui_int.h"

#include <string.h>

extern const struct httpd_file ui__files[];
extern const size_t ui__nfiles;

int ui__static(struct ui_req *r)
{
	struct httpd_site site = {.files = ui__files, .nfiles = ui__nfiles};
	int rc = httpd_static_handler(&site, r->req, r->resp);
	if (!rc) {
		if (r->resp->status == 200 && r->resp->content_type &&
		    strcmp(r->resp->content_type, "text/css") == 0)
			r->resp->content_type = "text/css; charset=utf-8";
		else if (r->resp->status == 200)
			r->resp->content_type = "text/javascript; charset=utf-8";
		ui__headers(r->resp, false);
	}
	return rc;
}
