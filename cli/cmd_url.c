/* SPDX-License-Identifier: MIT */
/* patrol url: the canonical form of URLs (parsers/url.h), as a crawl would store and fetch them;
 * plumbing for checking a venue's seeds and links, and for tests. One output line per input, in
 * input order, so a script can pair them up; a bad input is reported on its own line, never
 * skipped.
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/charset.h"
#include "parsers/url.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const url_help = N_(
	"usage: patrol url [--base URL] [--json] INPUT...\n"
	"\n"
	"Resolve each INPUT (against URL when given, as a link on a page at URL would be) and\n"
	"print one line per input: its canonical form, the URL patrol stores and fetches, or\n"
	"'error: REASON: INPUT'. The canonical form lowercases scheme and host, writes IDN hosts\n"
	"in punycode, drops the default port, dot segments, the fragment and an empty query, and\n"
	"normalizes percent-escapes. Only http and https URLs are accepted.\n"
	"\n"
	"  --base URL  an absolute http(s) URL that relative inputs are resolved against\n"
	"  --json      one JSON object per input: {\"input\", \"url\", \"host\",\n"
	"              \"registrable_domain\"}, or {\"input\", \"error\"}\n"
	"\n"
	"Exit status: 0 when every input resolves, 1 when one does not, 2 for a usage error\n"
	"(no input, or a --base that is not an absolute http(s) URL).\n");

/* Why a URL does not resolve, in English (--json's "error"); _() it for a person. */
static const char *url_reason(int rc)
{
	if (rc == ERR_URL)
		return N_("not a valid http(s) URL");
	if (rc == ERR_TOO_BIG)
		return N_("longer than patrol's URL limit (8192 bytes)");
	return err_str(rc);
}

/* Prints s on one line: control bytes as \xHH, so one input stays one line. */
static void print_escaped(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7F)
			printf("\\x%02X", c);
		else
			putchar(c);
	}
}

/* A JSON string of s, whose invalid UTF-8 becomes U+FFFD (jansson takes valid UTF-8 only). */
static json_t *json_text(const char *s)
{
	struct buf b;
	buf_init(&b, 4 * strlen(s) + 16);
	json_t *j = NULL;
	if (charset_convert(s, strlen(s), "utf-8", &b) == 0)
		j = json_stringn(b.data ? b.data : "", b.len);
	buf_done(&b);
	return j;
}

/* {"input", "url", "host", "registrable_domain"} or {"input", "error"}; NULL without memory. */
static json_t *url_json(const char *input, const char *url, int rc)
{
	json_t *o = json_object();
	char *host = NULL, *domain = NULL;
	if (!o || json_object_set_new(o, "input", json_text(input)) != 0)
		goto fail;
	if (rc == 0) {
		rc = url_host(url, &host);
		if (!rc)
			rc = url_registrable_domain(url, &domain);
	}
	if (rc) {
		if (json_object_set_new(o, "error", json_string(url_reason(rc))) != 0)
			goto fail;
	} else if (json_object_set_new(o, "url", json_string(url)) != 0 ||
		   json_object_set_new(o, "host", json_string(host)) != 0 ||
		   json_object_set_new(o, "registrable_domain", json_string(domain)) != 0) {
		goto fail;
	}
	free(host);
	free(domain);
	return o;
fail:
	free(host);
	free(domain);
	json_decref(o);
	return NULL;
}

/* Prints the line of one input; returns whether it resolved. */
static bool url_print(const char *base, const char *input, bool json)
{
	char *url = NULL;
	int rc = url_resolve(base, input, &url);
	bool ok = rc == 0;
	if (json) {
		json_t *o = url_json(input, url, rc);
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (text) {
			puts(text);
		} else {
			cli_error(_("out of memory"));
			ok = false;
		}
		free(text);
		json_decref(o);
	} else if (rc == 0) {
		puts(url);
	} else {
		printf(_("error: %s: "), _(url_reason(rc)));
		print_escaped(input);
		putchar('\n');
	}
	free(url);
	return ok;
}

int cmd_url(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *base = NULL;
	bool json = cli->json;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(_(url_help), stdout); return CLI_OK;
		default: return cli_usage_error("url", _("unknown option"));
		}
	}
	if (optind >= argc)
		return cli_usage_error("url", _("at least one URL is needed"));
	char *base_url = NULL;
	if (base && url_resolve(NULL, base, &base_url) != 0)
		return cli_usage_error("url", _("--base '%s' is not an absolute http(s) URL"),
				       base);
	free(base_url);
	int status = CLI_OK;
	for (int i = optind; i < argc; i++)
		if (!url_print(base, argv[i], json))
			status = CLI_FAIL;
	return status;
}
