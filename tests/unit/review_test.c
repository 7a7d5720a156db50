/* SPDX-License-Identifier: MIT */
/* Unit tests of review/: the static-site handler (types, index pages, refusals) and the server
 * itself answering a real request on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "review/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const unsigned char index_html[] = "<p>home</p>";
static const unsigned char sub_html[] = "<p>sub</p>";
static const unsigned char robots[] = "User-agent: *\n";
static const struct httpd_file files[] = {
	{"/index.html", index_html, sizeof(index_html) - 1},
	{"/sub/index.html", sub_html, sizeof(sub_html) - 1},
	{"/robots.txt", robots, sizeof(robots) - 1},
};
static const struct httpd_site site = {.files = files, .nfiles = 3};

static struct httpd_response get(const struct httpd_site *s, const char *method, const char *path)
{
	struct httpd_request req = {.method = method, .path = path};
	struct httpd_response resp = {0};
	assert_int_equal(httpd_static_handler((void *)s, &req, &resp), 0);
	return resp;
}

static void static_serves_files_from_memory(void **state)
{
	(void)state;
	struct httpd_response r = get(&site, "GET", "/");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html");
	assert_int_equal(r.len, sizeof(index_html) - 1);
	assert_memory_equal(r.body, index_html, r.len);
	assert_true(r.body_static);
	r = get(&site, "GET", "/sub/");
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, sub_html, r.len);
	r = get(&site, "HEAD", "/robots.txt");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(get(&site, "GET", "/nope.html").status, 404);
	assert_int_equal(get(&site, "POST", "/").status, 405);
}

static void static_refuses_escapes(void **state)
{
	(void)state;
	const char *src = getenv("PATROL_SOURCE_ROOT");
	assert_non_null(src);
	char root[4096];
	snprintf(root, sizeof(root), "%s/tests/fixtures/site", src);
	struct httpd_site disk = {.root = root};
	struct httpd_response r = get(&disk, "GET", "/a.html");
	assert_int_equal(r.status, 200);
	assert_true(r.body_free);
	free((void *)r.body);
	r = get(&disk, "GET", "/dir/");
	assert_int_equal(r.status, 200);
	assert_non_null(memmem(r.body, r.len, "Sub-board", 9));
	free((void *)r.body);
	static const char *const bad[] = {"/../meson.build", "/dir/../../README.md", "/.hidden",
					  "relative.html", "/dir/..", "/nonexistent"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(get(&disk, "GET", bad[i]).status, 404);
}

static void content_types_follow_extensions(void **state)
{
	(void)state;
	assert_string_equal(httpd_content_type("/a/b.HTML"), "text/html");
	assert_string_equal(httpd_content_type("x.txt"), "text/plain");
	assert_string_equal(httpd_content_type("x.pdf"), "application/pdf");
	assert_string_equal(httpd_content_type("/dir.d/file"), "application/octet-stream");
	assert_string_equal(httpd_content_type("noext"), "application/octet-stream");
}

/* One request over a socket: the server binds loopback on a free port and answers. */
static void server_answers_on_loopback(void **state)
{
	(void)state;
	struct httpd *h;
	char err[256];
	assert_int_equal(httpd_start(NULL, 0, httpd_static_handler, (void *)&site, &h, err,
				     sizeof(err)), 0);
	assert_true(httpd_port(h) > 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)httpd_port(h))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	const char req[] = "GET /sub/ HTTP/1.0\r\nHost: x\r\n\r\n";
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	char buf[1024];
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	httpd_stop(h);
	assert_non_null(strstr(buf, "HTTP/1.0 200") ? buf : strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "Content-Type: text/html"));
	assert_non_null(strstr(buf, "<p>sub</p>"));
}

static void server_refuses_bad_addresses(void **state)
{
	(void)state;
	struct httpd *h = NULL;
	char err[256];
	assert_true(httpd_start("localhost", 0, httpd_static_handler, (void *)&site, &h, err,
				sizeof(err)) < 0);
	assert_non_null(strstr(err, "not an IP address"));
	assert_null(h);
	httpd_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(static_serves_files_from_memory),
		cmocka_unit_test(static_refuses_escapes),
		cmocka_unit_test(content_types_follow_extensions),
		cmocka_unit_test(server_answers_on_loopback),
		cmocka_unit_test(server_refuses_bad_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
