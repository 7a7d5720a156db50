/* SPDX-License-Identifier: MIT */
/* The tests' HTTP server as a program: serves a directory on 127.0.0.1 on a free port, prints
 * the port on the first line of stdout, and stops when its stdin closes or after a time limit,
 * so a test script that dies cannot leave it running.
 * A delay per request makes a crawl of a small site last long enough to be interrupted.
 * TESTSRV_LOG=FILE appends each request's method and path to FILE as it arrives, so a test can
 * tell the order of the fetches (a crawler's own output follows the order pages were processed).
 *   usage: testsrv DIR [SECONDS [DELAY_MS]]
 */
#include "review/httpd.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct slow_site {
	struct httpd_site site;
	long delay_ms;
	FILE *log; /* or NULL */
	pthread_mutex_t log_lock;
};

static int slow_handler(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	struct slow_site *s = ud;
	if (s->log) {
		pthread_mutex_lock(&s->log_lock);
		fprintf(s->log, "%s %s\n", req->method, req->path);
		fflush(s->log);
		pthread_mutex_unlock(&s->log_lock);
	}
	if (s->delay_ms > 0) {
		struct timespec ts = {s->delay_ms / 1000, (s->delay_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	return httpd_static_handler(&s->site, req, resp);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: testsrv DIR [SECONDS [DELAY_MS]]\n");
		return 2;
	}
	int limit_s = argc > 2 ? atoi(argv[2]) : 120;
	struct slow_site site = {.site = {.root = argv[1]}, .delay_ms = argc > 3 ? atol(argv[3]) : 0};
	const char *log = getenv("TESTSRV_LOG");
	if (log && !(site.log = fopen(log, "a"))) {
		perror(log);
		return 1;
	}
	pthread_mutex_init(&site.log_lock, NULL);
	struct httpd *h;
	char err[256];
	if (httpd_start("127.0.0.1", 0, slow_handler, &site, &h, err, sizeof(err)) != 0) {
		fprintf(stderr, "testsrv: %s\n", err);
		return 1;
	}
	printf("%u\n", httpd_port(h));
	fflush(stdout);
	/* Wait for stdin to close (the script ended) or the limit, whichever comes first. */
	struct pollfd p = {.fd = 0, .events = POLLIN};
	char buf[256];
	for (int waited = 0; waited < limit_s * 10;) {
		int n = poll(&p, 1, 100);
		if (n > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
		if (n == 0)
			waited++;
	}
	httpd_stop(h);
	if (site.log)
		fclose(site.log);
	return 0;
}
