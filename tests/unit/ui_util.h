/* SPDX-License-Identifier: MIT */
/* What the review UI's unit tests share: a request run straight through ui_handle (no server),
 * the response's headers, and the session a login answers with. Tests only.
 */
#ifndef PATROL_TESTS_UI_UTIL_H
#define PATROL_TESTS_UI_UTIL_H

#include "review/httpd.h"

struct ui;

/* One request. query and form are urlencoded, or NULL; cookie and accept_language may be NULL. */
struct ui_util_req {
	const char *method, *path, *query, *form, *cookie, *accept_language;
};

/* Runs req through ui_handle, failing the test when it does not return 0. query and form are
 * copied (the parser decodes in place), at most 511 bytes and 16 fields each. */
struct httpd_response ui_util_call(struct ui *ui, const struct ui_util_req *req);
/* Frees what the response owns. */
void ui_util_resp_free(struct httpd_response *r);
/* The value of header name, NULL when the response has none. */
const char *ui_util_header(const struct httpd_response *r, const char *name);
/* From a response that set a session cookie: "patrol_session=ID" into cookie (128 bytes) and
 * the session's CSRF token into csrf. Returns 0, or -1 when r set no cookie. */
int ui_util_session(const struct httpd_response *r, char cookie[128], char csrf[65]);

#endif
