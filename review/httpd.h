/* SPDX-License-Identifier: MIT */
/* The embedded HTTP server, on libmicrohttpd: the review UI will grow on it; today it serves the
 * demo forum and the tests' sites.
 *
 * A server runs its own thread and calls the handler from it; the handler must only read data
 * that stays unchanged while the server runs (or guard it itself). It binds to the address given,
 * loopback unless the caller says otherwise, and port 0 picks a free port (httpd_port tells).
 */
#ifndef PATROL_REVIEW_HTTPD_H
#define PATROL_REVIEW_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPD_MAX_HEADERS 8

struct httpd;

struct httpd_request {
	const char *method;
	const char *path; /* the request path without the query, percent-decoded by the server */
};

struct httpd_header {
	const char *name;
	const char *value; /* copied before the handler returns */
};

struct httpd_response {
	int status;
	const char *content_type;  /* NULL: no Content-Type header */
	const void *body;
	size_t len;
	bool body_static;          /* body lives as long as the server */
	bool body_free;            /* body was malloc'd; the server frees it when sent */
	/* neither flag: the server copies body before the handler's caller returns */
	struct httpd_header headers[HTTPD_MAX_HEADERS];
	size_t nheaders;
};

/* Fills resp (zeroed on entry) for req. Return 0, or a negative code to answer 500. */
typedef int (*httpd_handler_fn)(void *ud, const struct httpd_request *req,
				struct httpd_response *resp);

/* Starts a server on addr ("127.0.0.1" or "::1"; NULL means 127.0.0.1) and port (0: any free
 * port). On failure a one-line reason goes to err. The caller stops it with httpd_stop(). */
int httpd_start(const char *addr, unsigned port, httpd_handler_fn fn, void *ud,
		struct httpd **ret_httpd, char *err, size_t errlen);
unsigned httpd_port(const struct httpd *h);
/* Stops the server and waits for its thread; NULL does nothing. */
void httpd_stop(struct httpd *h);

/* A file the static handler can serve from memory. */
struct httpd_file {
	const char *path; /* "/index.html" */
	const unsigned char *data;
	size_t len;
};

/* A static site: either files in memory, or a directory on disk. "/" and paths ending in "/"
 * serve index.html; ".." is refused; the Content-Type comes from the file name's extension. */
struct httpd_site {
	const struct httpd_file *files; /* when non-NULL, served instead of root */
	size_t nfiles;
	const char *root;               /* a directory */
};

/* A handler for httpd_start(); ud is a struct httpd_site that outlives the server. */
int httpd_static_handler(void *ud, const struct httpd_request *req, struct httpd_response *resp);

/* The Content-Type patrol's servers use for a file name ("text/html", no charset: pages say
 * their own). */
const char *httpd_content_type(const char *path);

#endif
