/* SPDX-License-Identifier: MIT */
/* The embedded HTTP server, on libmicrohttpd: it serves the review UI (ui.h), the demo forum and
 * the tests' sites.
 *
 * A server runs its own thread and calls the handler from it; the handler must only read data
 * that stays unchanged while the server runs (or guard it itself). It binds to the address given,
 * loopback unless the caller says otherwise, and port 0 picks a free port (httpd_port tells).
 */
#ifndef PATROL_REVIEW_HTTPD_H
#define PATROL_REVIEW_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPD_MAX_HEADERS 16
#define HTTPD_MAX_ARGS	  512	      /* query or form pairs kept; more are dropped */
#define HTTPD_MAX_BODY	  (64u << 10) /* request body bytes; a larger one is answered 413 */

struct httpd;

/* One name=value pair of a query string or a form body, percent-decoded. */
struct httpd_kv {
	const char *name;
	const char *value;
};

/* Everything is borrowed for the handler's call. Headers the client did not send are NULL. */
struct httpd_request {
	const char *method;
	const char *path; /* the request path without the query, percent-decoded by the server */
	const struct httpd_kv *query; /* the query string's pairs, in order */
	size_t nquery;
	const struct httpd_kv *form; /* an application/x-www-form-urlencoded body's pairs */
	size_t nform;
	const char *cookie, *host, *origin; /* request headers */
	const char *accept_language;	    /* the UI's language (review/ui_i18n.c) */
	bool tls;			    /* came over TLS */
};

struct httpd_header {
	const char *name;
	const char *value; /* copied when the response is built, after the handler returns */
};

struct httpd_response {
	int status;
	const char *content_type; /* NULL: no Content-Type header */
	const void *body;
	size_t len;
	bool body_static; /* body lives as long as the server */
	bool body_free;	  /* body was malloc'd; the server frees it when sent */
	/* neither flag: the server copies body before the handler's caller returns */
	struct httpd_header headers[HTTPD_MAX_HEADERS];
	size_t nheaders;
	/* malloc'd memory (header values) the server frees once the response is built */
	void *owned[4];
	size_t nowned;
};

/* Fills resp (zeroed on entry) for req. Return 0, or a negative code to answer 500. */
typedef int (*httpd_handler_fn)(void *ud, const struct httpd_request *req,
				struct httpd_response *resp);

/* A certificate chain and its private key, PEM text, for HTTPS. */
struct httpd_tls {
	const char *cert_pem;
	const char *key_pem;
};

/* The first value of name in kv[0..n), or NULL. */
const char *httpd_kv_get(const struct httpd_kv *kv, size_t n, const char *name);
/* Decodes an application/x-www-form-urlencoded string (a query or a body: '+' is a space, %XX a
 * byte) of len bytes in place: buf must hold len + 1 bytes, a copy of the input; the pairs point
 * into it. Malformed escapes are kept as they are. At most max pairs; *ret_n says how many.
 * Returns 0, or ERR_TOO_BIG when pairs were dropped (the first max are there). */
int httpd_form_parse(char *buf, size_t len, struct httpd_kv *kv, size_t max, size_t *ret_n);
/* The value of cookie name in a Cookie header into out (cap bytes with the NUL); 0, or
 * ERR_NOT_FOUND (absent, or longer than out). */
int httpd_cookie_get(const char *header, const char *name, char *out, size_t cap);

/* httpd_start, over HTTPS when tls is not NULL (ERR_USAGE with the reason in err when the
 * library has no TLS or refuses the key pair). */
int httpd_start_tls(const char *addr, unsigned port, const struct httpd_tls *tls,
		    httpd_handler_fn fn, void *ud, struct httpd **ret_httpd, char *err,
		    size_t errlen);
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
	const char *root; /* a directory */
};

/* A handler for httpd_start(); ud is a struct httpd_site that outlives the server. */
int httpd_static_handler(void *ud, const struct httpd_request *req, struct httpd_response *resp);

/* The Content-Type patrol's servers use for a file name ("text/html", no charset: pages say
 * their own). */
const char *httpd_content_type(const char *path);

#endif
