/* SPDX-License-Identifier: MIT */
/* patrol export --format jsonl|csv|warc: the hits a filter selects, streamed to a file or
 * standard output in constant memory (store_hits_query and store_hits_by_page read in chunks;
 * a WARC page group holds at most WARC_GROUP_MAX hits before its metadata record is written).
 */
#include "cli/cli.h"
#include "cli/hitfmt.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cmd_export(struct cli *cli, int argc, char **argv);

#define WARC_GROUP_MAX 1000 /* hits in one metadata record; a page with more gets several */

static const char *const export_help_head = N_(
	"usage: patrol export --format jsonl|csv|warc [filters] [--excel] [-o FILE]\n"
	"\n"
	"Write the hits the filters select (all by default, oldest first), streaming:\n"
	"  jsonl  one JSON object per hit, every field and the evidence digest\n"
	"  csv    RFC 4180, UTF-8, CRLF, a header row; --excel adds a BOM and puts a ' before\n"
	"         cells that start with = + - @ so a spreadsheet shows them instead of running "
	"them\n"
	"  warc   WARC/1.1: warcinfo, then per page with evidence a request (reconstructed: "
	"patrol\n"
	"         keeps no request bytes), the response as stored and a metadata record listing\n"
	"         the page's hits (JSON); SHA-256 block and payload digests in base32\n"
	"\n"
	"  -o FILE        write to FILE (default: standard output)\n");

struct export
{
	struct cli *cli;
	struct store *store;
	FILE *out;
	bool excel;
	uint64_t n;
	/* WARC: the page group being gathered */
	char warcinfo_id[STORE_WARC_ID_LEN + 1];
	char *url;
	uint8_t evidence[DIGEST_LEN];
	int64_t first_seen;
	json_t *hits;
};

static int out_write(const void *data, size_t len, void *ud)
{
	struct export *x = ud;
	return fwrite(data, 1, len, x->out) == len ? 0 : -EIO;
}

static int jsonl_hit(const struct store_hit *h, void *ud)
{
	struct export *x = ud;
	int rc;
	json_t *o = hitfmt_json_canonical(x->store, h, &rc);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return rc ? rc : -ENOMEM;
	rc = fprintf(x->out, "%s\n", s) < 0 ? -EIO : 0;
	free(s);
	x->n++;
	return rc;
}

/* ---- CSV ---- */

static const char *const csv_cols[] = {
	"id",	      "rule",	   "pack",  "pack_version", "pack_digest", "category", "severity",
	"venue",      "url",	   "field", "post",	    "match",	   "snippet",  "status",
	"first_seen", "last_seen", "count", "gone_at",	    "evidence",	   "canonical",
	"author",     "time",	   "start", "end"};
#define NCOLS (sizeof(csv_cols) / sizeof(csv_cols[0]))

/* RFC 4180: every field quoted, quotes doubled; line breaks inside stay (quoted). */
static int csv_cell(struct export *x, const char *s, bool last)
{
	FILE *f = x->out;
	putc('"', f);
	if (x->excel && strchr("=+-@", s[0]) && s[0])
		putc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
	return fputs(last ? "\r\n" : ",", f) < 0 ? -EIO : 0;
}

static int csv_hit(const struct store_hit *h, void *ud)
{
	struct export *x = ud;
	int rc;
	json_t *o = hitfmt_json_canonical(x->store, h, &rc);
	rc = o ? 0 : rc ? rc : -ENOMEM;
	for (size_t i = 0; !rc && i < NCOLS; i++) {
		json_t *v = json_object_get(o, csv_cols[i]);
		char num[32] = "";
		const char *s = json_string_value(v);
		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		rc = csv_cell(x, s ? s : num, i + 1 == NCOLS);
	}
	json_decref(o);
	x->n++;
	return rc;
}

static int csv_header(struct export *x)
{
	if (x->excel && fputs("\xef\xbb\xbf", x->out) < 0)
		return -EIO;
	int rc = 0;
	for (size_t i = 0; !rc && i < NCOLS; i++)
		rc = csv_cell(x, csv_cols[i], i + 1 == NCOLS);
	return rc;
}

/* ---- WARC ---- */

static int warc_info(struct export *x)
{
	char block[512];
	int n = snprintf(block, sizeof(block),
			 "software: patrol/%s\r\nformat: WARC File Format 1.1\r\n"
			 "description: hits exported by patrol; request records are reconstructed "
			 "(method, target, Host), responses are the stored evidence\r\n",
			 PATROL_VERSION); /* i18n: machine (the WARC's warcinfo record) */
	store_warc_id(block, (size_t)n, x->warcinfo_id);
	struct store_warc_rec r = {.type = "warcinfo",
				   .id = x->warcinfo_id,
				   .date = clock_wall(),
				   .content_type = "application/warc-fields",
				   .block = block,
				   .block_len = (size_t)n,
				   .payload_off = SIZE_MAX};
	return store_warc_record(out_write, x, &r);
}

/* "GET /path HTTP/1.1" and Host, from an absolute http(s) URL; -1 for another. */
static int warc_request_block(const char *url, char *out, size_t cap, size_t *ret_len)
{
	const char *p = strstr(url, "://");
	if (!p || strpbrk(url, "\r\n "))
		return -1;
	const char *host = p + 3, *path = strchr(host, '/');
	size_t hl = path ? (size_t)(path - host) : strlen(host);
	int n = snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %.*s\r\n\r\n", path ? path : "/",
			 (int)hl, host);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	*ret_len = (size_t)n;
	return 0;
}

/* Where the HTTP header block ends in a stored response: the payload's start. */
static size_t http_payload_off(const char *data, size_t len)
{
	const char *e = memmem(data, len, "\r\n\r\n", 4);
	if (e)
		return (size_t)(e - data) + 4;
	e = memmem(data, len, "\n\n", 2);
	return e ? (size_t)(e - data) + 2 : len;
}

/* The screenshot patrol snapshot took of the response, if any: a resource record (image/png)
 * whose WARC-Refers-To names the response record, its target "screenshot:" and the page URL as
 * other archiving crawlers write them. */
static int warc_snapshot(struct export *x, const char *resp_id)
{
	struct store_snapshot snap;
	char *png = NULL, id[STORE_WARC_ID_LEN + 1], hex[DIGEST_HEX_LEN + 1],
	     refers[STORE_WARC_ID_LEN + 32], *uri = NULL;
	size_t len = 0;
	int rc = store_snapshot_get(x->store, x->evidence, &snap);
	if (rc)
		return rc == ERR_NOT_FOUND ? 0 : rc;
	if ((rc = store_evidence_get(x->store, snap.png, &png, &len)) != 0)
		return rc;
	digest_hex(snap.png, hex);
	store_warc_id(hex, strlen(hex), id);
	snprintf(refers, sizeof(refers), "WARC-Refers-To: %s", resp_id);
	if (asprintf(&uri, "screenshot:%s", x->url) < 0) {
		free(png);
		return -ENOMEM;
	}
	struct store_warc_rec r = {.type = "resource",
				   .id = id,
				   .date = snap.taken_at,
				   .target_uri = uri,
				   .warcinfo_id = x->warcinfo_id,
				   .extra = refers,
				   .content_type = "image/png",
				   .block = png,
				   .block_len = len,
				   .payload_off = 0};
	rc = store_warc_record(out_write, x, &r);
	free(uri);
	free(png);
	return rc;
}

static int warc_http(struct export *x, char *resp_id)
{
	char *data = NULL, req[STORE_URL_MAX + 256], req_id[STORE_WARC_ID_LEN + 1],
	     ev[DIGEST_HEX_LEN + 1], extra[100];
	size_t len = 0, rlen;
	int rc = store_evidence_get(x->store, x->evidence, &data, &len);
	if (rc)
		return rc;
	digest_hex(x->evidence, ev);
	snprintf(extra, sizeof(extra), "WARC-Patrol-Evidence: %s", ev);
	struct store_warc_rec r = {.type = "response",
				   .id = resp_id,
				   .date = x->first_seen,
				   .target_uri = x->url,
				   .warcinfo_id = x->warcinfo_id,
				   .extra = extra,
				   .content_type = "application/http;msgtype=response",
				   .block = data,
				   .block_len = len,
				   .payload_off = http_payload_off(data, len)};
	if (warc_request_block(x->url, req, sizeof(req), &rlen) == 0) {
		char seed[DIGEST_HEX_LEN + 8];
		snprintf(seed, sizeof(seed), "req:%s", ev);
		store_warc_id(seed, strlen(seed), req_id);
		struct store_warc_rec q = r;
		q.type = "request";
		q.id = req_id;
		q.extra = NULL;
		q.refers_to = resp_id;
		q.content_type = "application/http;msgtype=request";
		q.block = req;
		q.block_len = rlen;
		q.payload_off = rlen;
		rc = store_warc_record(out_write, x, &q);
	}
	if (!rc)
		rc = store_warc_record(out_write, x, &r);
	free(data);
	return rc ? rc : warc_snapshot(x, resp_id);
}

/* Writes the gathered page: request and response when it has evidence, then the metadata. */
static int warc_flush(struct export *x)
{
	static const uint8_t zero[DIGEST_LEN];
	char resp_id[STORE_WARC_ID_LEN + 1] = "", meta_id[STORE_WARC_ID_LEN + 1];
	int rc = 0;
	if (!x->url)
		return 0;
	bool has_ev = memcmp(x->evidence, zero, DIGEST_LEN) != 0;
	if (has_ev) {
		char ev[DIGEST_HEX_LEN + 1];
		digest_hex(x->evidence, ev);
		store_warc_id(ev, strlen(ev), resp_id);
		rc = warc_http(x, resp_id);
	}
	json_t *o = json_pack("{ss sO}", "url", x->url, "hits", x->hits);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!rc && !s)
		rc = -ENOMEM;
	if (!rc) {
		store_warc_id(s, strlen(s), meta_id);
		struct store_warc_rec r = {.type = "metadata",
					   .id = meta_id,
					   .date = x->first_seen,
					   .target_uri = x->url,
					   .warcinfo_id = x->warcinfo_id,
					   .refers_to = has_ev ? resp_id : NULL,
					   .content_type = "application/json",
					   .block = s,
					   .block_len = strlen(s),
					   .payload_off = SIZE_MAX};
		rc = store_warc_record(out_write, x, &r);
	}
	free(s);
	free(x->url);
	x->url = NULL;
	json_array_clear(x->hits);
	return rc;
}

static int warc_hit(const struct store_hit *h, void *ud)
{
	struct export *x = ud;
	int rc = 0;
	if (x->url &&
	    (strcmp(x->url, h->url) != 0 || memcmp(x->evidence, h->evidence, DIGEST_LEN) != 0 ||
	     json_array_size(x->hits) >= WARC_GROUP_MAX))
		rc = warc_flush(x);
	if (rc)
		return rc;
	if (!x->url) {
		if (!(x->url = strdup(h->url)))
			return -ENOMEM;
		memcpy(x->evidence, h->evidence, DIGEST_LEN);
		x->first_seen = h->first_seen;
	}
	if (h->first_seen < x->first_seen)
		x->first_seen = h->first_seen;
	x->n++;
	json_t *o = hitfmt_json(h);
	return o && json_array_append_new(x->hits, o) == 0 ? 0 : -ENOMEM;
}

static int export_run(struct export *x, const char *format, const struct store_hit_query *q)
{
	int rc;
	if (strcmp(format, "jsonl") == 0)
		return store_hits_query(x->store, q, jsonl_hit, x);
	if (strcmp(format, "csv") == 0) {
		rc = csv_header(x);
		return rc ? rc : store_hits_query(x->store, q, csv_hit, x);
	}
	if (!(x->hits = json_array()))
		return -ENOMEM;
	rc = warc_info(x);
	if (!rc)
		rc = store_hits_by_page(x->store, q, warc_hit, x);
	if (!rc)
		rc = warc_flush(x);
	free(x->url);
	json_decref(x->hits);
	return rc;
}

static int export_parse(int argc, char **argv, const char **format, const char **path, bool *excel,
			struct store_hit_query *q)
{
	static const struct option opts[] = {
		HITFMT_FILTER_OPTIONS,
		{"format", required_argument, NULL, 'f'},
		{"excel", no_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c, r;
	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("%s%s", _(export_help_head), _(hitfmt_filter_help));
			return 1;
		} else if (c == 'f') {
			*format = optarg;
		} else if (c == 'o') {
			*path = optarg;
		} else if (c == 'x') {
			*excel = true;
		} else if ((r = hitfmt_filter_opt("export", c, optarg, q)) <= 0) {
			return r < 0 ? CLI_USAGE : cli_usage_error("export", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("export", _("unexpected argument '%s'"), argv[optind]);
	if (!*format ||
	    (strcmp(*format, "jsonl") && strcmp(*format, "csv") && strcmp(*format, "warc")))
		return cli_usage_error("export", _("--format must be jsonl, csv or warc"));
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const char *format = NULL, *path = NULL;
	struct export x = {.cli = cli};
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.order = STORE_ORDER_OLDEST;
	int rc = export_parse(argc, argv, &format, &path, &x.excel, &q);
	if (rc)
		return rc == 1 ? CLI_OK : rc;
	if (cli_store_open_existing(cli->db, &x.store) != 0)
		return CLI_FAIL;
	x.out = path && strcmp(path, "-") ? fopen(path, "wbe") : stdout;
	if (!x.out) {
		cli_error(_("cannot write %s: %s"), path, strerror(errno));
		store_close(x.store);
		return CLI_FAIL;
	}
	rc = export_run(&x, format, &q);
	if (fflush(x.out) != 0 && !rc)
		rc = -errno;
	if (x.out != stdout && fclose(x.out) != 0 && !rc)
		rc = -errno;
	store_close(x.store);
	if (rc) {
		cli_error(_("export to %s failed: %s"), path ? path : _("standard output"),
			  err_text(rc));
		return CLI_FAIL;
	}
	if (cli->verbose)
		fprintf(stderr, _("patrol: exported %llu hits\n"), (unsigned long long)x.n);
	return CLI_OK;
}
