/* SPDX-License-Identifier: MIT */
/* patrol robots: what a robots.txt file allows, for debugging a venue and for tests. */
#include "cli/cli.h"
#include "common/i18n.h"

#include "crawler/robots.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROBOTS_FILE_MAX (4u << 20)

static const char *const robots_help =
	N_("usage: patrol robots --agent UA --robots FILE URL...\n"
	   "\n"
	   "Read FILE as a robots.txt (RFC 9309) and print, for each URL, 'allowed URL' or\n"
	   "'disallowed URL' for the crawler that sends User-Agent UA (its product token decides,\n"
	   "e.g. 'patrol' for 'patrol/1.0 (+https://...)'). Exit 1 when a URL is invalid.\n");

static int robots_read_file(const char *path, char **ret_data, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char *data = malloc(ROBOTS_FILE_MAX);
	size_t len = data ? fread(data, 1, ROBOTS_FILE_MAX, f) : 0;
	int rc = !data ? -ENOMEM : ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc) {
		free(data);
		return rc;
	}
	*ret_data = data;
	*ret_len = len;
	return 0;
}

int cmd_robots(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"agent", required_argument, NULL, 'a'},
		{"robots", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *agent = NULL, *file = NULL;
	int c;
	(void)cli;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': agent = optarg; break;
		case 'r': file = optarg; break;
		case 'h': fputs(_(robots_help), stdout); return CLI_OK;
		default: return cli_usage_error("robots", _("unknown option"));
		}
	}
	if (!agent || !file || optind >= argc)
		return cli_usage_error("robots",
				       _("--agent, --robots and at least one URL are needed"));
	char *data = NULL, token[64];
	size_t len = 0;
	int rc = robots_read_file(file, &data, &len);
	if (rc) {
		cli_error(_("cannot read %s: %s"), file, strerror(-rc));
		return CLI_FAIL;
	}
	struct robots *r = NULL;
	robots_agent_token(agent, token, sizeof(token));
	rc = robots_parse(data, len, token, &r);
	free(data);
	if (rc) {
		cli_error(_("cannot parse %s: %s"), file, strerror(-rc));
		return CLI_FAIL;
	}
	int status = CLI_OK;
	for (int i = optind; i < argc; i++) {
		bool allowed;
		if (robots_allowed_url(r, argv[i], &allowed) != 0) {
			printf(_("error: not an http(s) URL: %s\n"), argv[i]);
			status = CLI_FAIL;
			continue;
		}
		printf("%s %s\n", allowed ? "allowed" : "disallowed", argv[i]); /* i18n: machine */
	}
	robots_free(r);
	return status;
}
