/* SPDX-License-Identifier: MIT */
/* ui_util.h: the review UI's unit tests' shared request plumbing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ui_util.h"

#include "review/ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UI_UTIL_FIELDS 16

struct httpd_response ui_util_call(struct ui *ui, const struct ui_util_req *req)
{
	struct httpd_kv q[UI_UTIL_FIELDS], f[UI_UTIL_FIELDS];
	size_t nq = 0, nf = 0;
	char qb[512] = "", fb[512] = "";
	if (req->query) {
		snprintf(qb, sizeof(qb), "%s", req->query);
		httpd_form_parse(qb, strlen(qb), q, UI_UTIL_FIELDS, &nq);
	}
	if (req->form) {
		snprintf(fb, sizeof(fb), "%s", req->form);
		httpd_form_parse(fb, strlen(fb), f, UI_UTIL_FIELDS, &nf);
	}
	struct httpd_request hr = {.method = req->method,
				   .path = req->path,
				   .query = q,
				   .nquery = nq,
				   .form = f,
				   .nform = nf,
				   .cookie = req->cookie,
				   .host = "127.0.0.1:1",
				   .accept_language = req->accept_language};
	struct httpd_response r = {0};
	assert_int_equal(ui_handle(ui, &hr, &r), 0);
	return r;
}

void ui_util_resp_free(struct httpd_response *r)
{
	if (r->body_free)
		free((void *)r->body);
	for (size_t i = 0; i < r->nowned; i++)
		free(r->owned[i]);
}

const char *ui_util_header(const struct httpd_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

int ui_util_session(const struct httpd_response *r, char cookie[128], char csrf[65])
{
	const char *c = ui_util_header(r, "Set-Cookie"), *eq = c ? strchr(c, '=') : NULL;
	if (!eq)
		return -1;
	snprintf(cookie, 128, "patrol_session=%.64s", eq + 1);
	ui_csrf_token(cookie + strlen("patrol_session="), csrf);
	return 0;
}
