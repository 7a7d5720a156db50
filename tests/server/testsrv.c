/* SPDX-License-Identifier: MIT */
/* The tests' HTTP server as a program: serves a directory on 127.0.0.1 on a free port, prints
 * the port on the first line of stdout, and stops when its stdin closes or after a time limit,
 * so a test script that dies cannot leave it running.
 *   usage: testsrv DIR [SECONDS]
 */
#include "review/httpd.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: testsrv DIR [SECONDS]\n");
		return 2;
	}
	int limit_s = argc > 2 ? atoi(argv[2]) : 120;
	struct httpd_site site = {.root = argv[1]};
	struct httpd *h;
	char err[256];
	if (httpd_start("127.0.0.1", 0, httpd_static_handler, &site, &h, err, sizeof(err)) != 0) {
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
	return 0;
}
