/* SPDX-License-Identifier: MIT */
/* The static-site handler of httpd.h: files from memory or from one directory, never outside it.
 * Not a general web server: no ranges, no conditional requests, GET and HEAD only.
 */
#include "review/httpd.h"

#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_FILE (64u << 20)

static const struct {
	const char *ext;
	const char *type;
} static_types[] = {
	{".html", "text/html"}, {".htm", "text/html"},  {".txt", "text/plain"},
	{".css", "text/css"},   {".js", "text/javascript"}, {".json", "application/json"},
	{".xml", "application/xml"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
	{".gif", "image/gif"},  {".svg", "image/svg+xml"}, {".pdf", "application/pdf"},
};

const char *httpd_content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++)
			if (strcasecmp(dot, static_types[i].ext) == 0)
				return static_types[i].type;
	return "application/octet-stream";
}

static void static_text(struct httpd_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain";
	resp->body = text;
	resp->len = strlen(text);
	resp->body_static = true;
}

/* A path is served only when every segment is a plain name: no "..", no hidden files. */
static int static_path_ok(const char *path)
{
	if (path[0] != '/')
		return 0;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] == '.')
			return 0;
	return strlen(path) < 1024;
}

static int static_from_memory(const struct httpd_site *site, const char *path,
			      struct httpd_response *resp)
{
	for (size_t i = 0; i < site->nfiles; i++) {
		if (strcmp(site->files[i].path, path) == 0) {
			resp->status = 200;
			resp->content_type = httpd_content_type(path);
			resp->body = site->files[i].data;
			resp->len = site->files[i].len;
			resp->body_static = true;
			return 0;
		}
	}
	static_text(resp, 404, "not found\n");
	return 0;
}

static int static_read_fd(int fd, size_t size, struct httpd_response *resp)
{
	char *data = malloc(size ? size : 1);
	if (!data)
		return -ENOMEM;
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	resp->body = data;
	resp->len = got;
	resp->body_free = true;
	return 0;
}

static int static_from_dir(const char *root, const char *path, struct httpd_response *resp)
{
	char full[4096];
	int n = snprintf(full, sizeof(full), "%s%s%s", root, path,
			 path[strlen(path) - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof(full)) {
		static_text(resp, 414, "path too long\n");
		return 0;
	}
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE) {
		if (fd >= 0)
			close(fd);
		static_text(resp, 404, "not found\n");
		return 0;
	}
	int rc = static_read_fd(fd, (size_t)st.st_size, resp);
	close(fd);
	if (rc == 0) {
		resp->status = 200;
		resp->content_type = httpd_content_type(full);
	}
	return rc;
}

int httpd_static_handler(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	const struct httpd_site *site = ud;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		static_text(resp, 405, "method not allowed\n");
		return 0;
	}
	if (!static_path_ok(req->path)) {
		static_text(resp, 404, "not found\n");
		return 0;
	}
	if (site->files) {
		char path[1100];
		size_t len = strlen(req->path);
		snprintf(path, sizeof(path), "%s%s", req->path,
			 req->path[len - 1] == '/' ? "index.html" : "");
		return static_from_memory(site, path, resp);
	}
	return static_from_dir(site->root, req->path, resp);
}
