/* SPDX-License-Identifier: MIT */
/* patrol scan: match local HTML or text files against rule packs without crawling (DESIGN.md §4,
 * docs/scan.md). HTML goes through the same document extraction as a crawl (parsers/doc.h with
 * the built-in forum profiles); anything else is decoded and matched as the body. --explain says
 * which patterns matched where and why each condition held or not.
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/charset.h"
#include "parsers/doc.h"
#include "rules/rules.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCAN_INPUT_MAX (64u << 20)  /* bytes read from one FILE */
#define SCAN_TEXT_MAX (64u << 20)   /* bytes of decoded text of a non-HTML file */
#define SCAN_MAX_PATHS 256          /* --rules given */
#define SCAN_SNIPPET_CONTEXT 40     /* code points either side of a match in a snippet */
#define SCAN_SNIFF_BYTES 1024       /* bytes looked at to tell HTML from text */

static const char *const scan_help = N_(
	"usage: patrol scan [--rules PATH]... [--explain] [--base-url URL] [--charset CS]\n"
	"                   [--json] FILE...|-\n"
	"\n"
	"Match local files (or standard input, '-') against rule packs, without crawling: one\n"
	"line per hit, or one JSON object per hit with --json (file, rule, pack, category,\n"
	"severity, field, post, start, end, match, snippet; start and end count characters of\n"
	"the field's original text).\n"
	"\n"
	"  --rules PATH     a pack file or a directory of *.yaml packs (repeatable); default:\n"
	"                   the packs built into patrol\n"
	"  --explain        per rule with a matching positive pattern: which patterns matched\n"
	"                   where, and the condition with the value of each part\n"
	"  --base-url URL   the URL the file came from: the url field, and links resolve to it\n"
	"  --charset CS     the file's encoding (a WHATWG label: utf-8, gbk, big5, ...), instead\n"
	"                   of the page's own declaration or detection\n"
	"  --json           one JSON object per line, as the global --json\n"
	"\n"
	"A file is HTML when its name ends in .html, .htm, .xhtml or .shtml, or, for other names\n"
	"and '-', when its first non-blank bytes open an HTML tag (<!doctype html, <html, <head,\n"
	"<body, <div, <p, <title, <script, <!--, ...: the WHATWG sniffing list); HTML is read as\n"
	"a crawl reads a page (title, body, link_text, forum posts and authors), anything else is\n"
	"the body. docs/scan.md has the details. Exit 0 (hits or not), 1 when a file cannot be\n"
	"read or matching failed, 2 for a usage error or a pack that does not load.\n");

struct scan_args {
	const char *rules[SCAN_MAX_PATHS];
	size_t nrules;
	bool explain, json;
	const char *base_url, *charset;
	char **files;
	size_t nfiles;
};

/* What one file became: the document the rules see, and what owns its strings. */
struct cli_scan_file {
	const char *name;
	struct doc *doc;        /* HTML */
	struct buf text;        /* anything else: the decoded body */
	struct rules_post *posts;
	struct rules_doc rd;
};

struct scan_ctx {
	const struct scan_args *a;
	const struct rules_set *set;
	const struct cli_scan_file *f;
	struct buf snippet;
	size_t hits;
};

static int scan_parse_args(struct cli *cli, int argc, char **argv, struct scan_args *a)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'}, {"explain", no_argument, NULL, 'e'},
		{"base-url", required_argument, NULL, 'b'}, {"charset", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},	   {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	*a = (struct scan_args){.json = cli->json};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (a->nrules == SCAN_MAX_PATHS)
				return cli_usage_error("scan", _("more than %d --rules"),
						       SCAN_MAX_PATHS);
			a->rules[a->nrules++] = optarg;
			break;
		case 'e': a->explain = true; break;
		case 'b': a->base_url = optarg; break;
		case 'c': a->charset = optarg; break;
		case 'j': a->json = true; break;
		case 'h': fputs(_(scan_help), stdout); return -1;
		default: return cli_usage_error("scan", _("unknown option"));
		}
	}
	if (optind >= argc)
		return cli_usage_error("scan", _("a FILE (or '-') is needed"));
	if (a->charset && (!a->charset[0] || strpbrk(a->charset, ";\"\\ \t\r\n")))
		return cli_usage_error("scan", _("--charset: not an encoding label: '%s'"),
				       a->charset);
	a->files = argv + optind;
	a->nfiles = (size_t)(argc - optind);
	return 0;
}

/* ---- reading ---- */

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* WHATWG MIME sniffing's HTML patterns: after blanks, one of these tags, then a space or '>'. */
static bool sniff_html(const char *p, size_t len)
{
	static const char *const tags[] = {
		"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font",
		"<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--",
	};
	size_t i = len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	len = len < SCAN_SNIFF_BYTES ? len : SCAN_SNIFF_BYTES;
	while (i < len && strchr(" \t\n\f\r", p[i]))
		i++;
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		size_t k = strlen(tags[t]);
		if (len - i > k && strncasecmp(p + i, tags[t], k) == 0 &&
		    (p[i + k] == ' ' || p[i + k] == '>'))
			return true;
	}
	return false;
}

static bool scan_is_html(const char *name, const char *data, size_t len)
{
	if (ends_with_ci(name, ".html") || ends_with_ci(name, ".htm") ||
	    ends_with_ci(name, ".xhtml") || ends_with_ci(name, ".shtml"))
		return true;
	if (ends_with_ci(name, ".txt") || ends_with_ci(name, ".text"))
		return false;
	return sniff_html(data, len);
}

/* The Content-Type that makes --charset count first, or NULL. */
static const char *scan_content_type(const char *charset, const char *type, char *out, size_t n)
{
	if (!charset)
		return NULL;
	snprintf(out, n, "%s; charset=%s", type, charset);
	return out;
}

static int scan_prepare_html(const char *base_url, const char *charset,
			     const struct doc_profiles *profiles, const struct buf *raw,
			     struct cli_scan_file *f)
{
	char ct[128];
	struct doc_options o = {.profiles = profiles};
	int rc = doc_parse_with(raw->data ? raw->data : "", raw->len,
				scan_content_type(charset, "text/html", ct, sizeof(ct)), base_url,
				&o, &f->doc);
	if (rc)
		return rc;
	const struct doc *d = f->doc;
	f->posts = calloc(d->nposts ? d->nposts : 1, sizeof(*f->posts));
	if (!f->posts)
		return -ENOMEM;
	for (size_t i = 0; i < d->nposts; i++)
		f->posts[i] = (struct rules_post){.text = d->posts[i].text,
						  .author = d->posts[i].author,
						  .time = d->posts[i].time};
	f->rd = (struct rules_doc){.title = d->title, .body = d->body, .url = base_url,
				   .link_text = d->link_text, .posts = f->posts,
				   .nposts = d->nposts};
	return 0;
}

/* A text file: decoded to UTF-8 (--charset, a BOM, else UTF-8 when valid, else detected); a NUL
 * byte becomes a space, so the text is one C string and nothing after it is lost. */
static int scan_prepare_text(const char *base_url, const char *charset, const struct buf *raw,
			     struct cli_scan_file *f)
{
	char ct[128], name[CHARSET_NAME_MAX];
	enum charset_source src;
	int rc = charset_decode(raw->data ? raw->data : "", raw->len,
				scan_content_type(charset, "text/plain", ct, sizeof(ct)), &f->text,
				name, &src);
	if (rc == ERR_TOO_BIG)
		rc = 0; /* the first SCAN_TEXT_MAX bytes are matched */
	for (size_t i = 0; rc == 0 && i < f->text.len; i++)
		if (f->text.data[i] == '\0')
			f->text.data[i] = ' ';
	f->rd = (struct rules_doc){.body = buf_str(&f->text), .url = base_url};
	return rc;
}

void cli_scan_file_free(struct cli_scan_file *f)
{
	if (!f)
		return;
	doc_free(f->doc);
	free(f->posts);
	buf_done(&f->text);
	free(f);
}

int cli_scan_file_read(const char *path, const char *base_url, const char *charset,
		       const struct doc_profiles *profiles, struct cli_scan_file **ret)
{
	struct cli_scan_file *f = calloc(1, sizeof(*f));
	struct buf raw;
	if (!f)
		return -ENOMEM;
	f->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	buf_init(&raw, SCAN_INPUT_MAX);
	buf_init(&f->text, SCAN_TEXT_MAX);
	int rc = cli_file_read(path, &raw);
	if (rc == 0)
		rc = scan_is_html(path, raw.data ? raw.data : "", raw.len)
			 ? scan_prepare_html(base_url, charset, profiles, &raw, f)
			 : scan_prepare_text(base_url, charset, &raw, f);
	buf_done(&raw);
	if (rc) {
		cli_scan_file_free(f);
		return rc;
	}
	*ret = f;
	return 0;
}

const struct rules_doc *cli_scan_file_doc(const struct cli_scan_file *f)
{
	return &f->rd;
}

/* ---- output ---- */

/* The original text of a hit's field instance. */
static const char *scan_field_text(const struct rules_doc *d, const char *field, size_t post)
{
	if (strcmp(field, "title") == 0)
		return d->title;
	if (strcmp(field, "body") == 0)
		return d->body;
	if (strcmp(field, "url") == 0)
		return d->url;
	if (strcmp(field, "link_text") == 0)
		return d->link_text;
	if (post >= d->nposts)
		return NULL;
	return strcmp(field, "post") == 0 ? d->posts[post].text : d->posts[post].author;
}

/* Characters (code points) in text[0, off): what DESIGN.md §4's start and end count. */
static size_t scan_chars(const char *text, size_t off)
{
	size_t n = 0;
	for (size_t i = 0; i < off; i++)
		n += ((unsigned char)text[i] & 0xc0) != 0x80;
	return n;
}

static void scan_print_json(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

static json_t *scan_post_json(size_t post)
{
	return post == RULES_NO_POST ? json_null() : json_integer((json_int_t)post);
}

/* The matched text, as JSON needs it (the field text is valid UTF-8; the check is cheap). */
static json_t *scan_match_json(const char *text, size_t start, size_t end)
{
	json_t *s = json_stringn(text + start, end - start);
	return s ? s : json_string("\xef\xbf\xbd");
}

static int on_hit(const struct rules_hit *hit, void *ud)
{
	struct scan_ctx *c = ud;
	struct rules_info r;
	const char *text = scan_field_text(&c->f->rd, hit->field, hit->post);
	rules_set_rule(c->set, hit->rule, &r);
	c->hits++;
	if (!text)
		return 0;
	size_t len = strlen(text);
	buf_reset(&c->snippet);
	rules_snippet(text, len, hit->start, hit->end, SCAN_SNIPPET_CONTEXT, &c->snippet);
	size_t start = scan_chars(text, hit->start), end = start + scan_chars(text + hit->start,
									     hit->end - hit->start);
	if (c->a->json) {
		scan_print_json(json_pack("{ss ss ss ss ss ss so sI sI so ss}", "file", c->f->name,
					  "rule", r.id, "pack", r.pack, "category", r.category,
					  "severity", r.severity, "field", hit->field, "post",
					  scan_post_json(hit->post), "start", (json_int_t)start,
					  "end", (json_int_t)end,
					  "match", scan_match_json(text, hit->start, hit->end),
					  "snippet", buf_str(&c->snippet)));
		return 0;
	}
	printf("%s: %s [%s] %s", c->f->name, r.id, r.severity, hit->field);
	if (hit->post != RULES_NO_POST)
		printf(" %zu", hit->post);
	printf(" %zu-%zu: %s\n", start, end, buf_str(&c->snippet));
	return 0;
}

/* One span of an explanation, as text or as a JSON object. */
static json_t *scan_span(struct scan_ctx *c, const struct rules_span *s, bool print)
{
	const char *text = scan_field_text(&c->f->rd, s->field, s->post);
	size_t len = text ? strlen(text) : 0;
	size_t start = text ? scan_chars(text, s->start) : 0;
	size_t end = text ? start + scan_chars(text + s->start, s->end - s->start) : 0;
	if (print) {
		printf("  %-16s %s", s->pattern, s->field);
		if (s->post != RULES_NO_POST)
			printf(" %zu", s->post);
		printf(" %zu-%zu: \"", start, end);
		for (size_t i = s->start; text && i < s->end && i < len; i++) /* one line */
			putchar((unsigned char)text[i] < 0x20 ? ' ' : text[i]);
		printf("\"\n");
		return NULL;
	}
	return json_pack("{ss ss so sI sI so}", "pattern", s->pattern, "field", s->field, "post",
			 scan_post_json(s->post), "start", (json_int_t)start, "end",
			 (json_int_t)end, "match",
			 text ? scan_match_json(text, s->start, s->end) : json_null());
}

static int on_explain(const struct rules_explain *e, void *ud)
{
	struct scan_ctx *c = ud;
	struct rules_info r;
	rules_set_rule(c->set, e->rule, &r);
	c->hits += e->holds;
	if (c->a->json) {
		json_t *spans = json_array();
		for (size_t i = 0; spans && i < e->nspans; i++)
			json_array_append_new(spans, scan_span(c, &e->spans[i], false));
		json_t *x = json_pack("{ss ss ss so sb so ss}", "rule", r.id, "pack", r.pack,
				      "field", e->field, "post", scan_post_json(e->post), "holds",
				      e->holds, "patterns", spans ? spans : json_null(),
				      "condition", e->condition);
		scan_print_json(json_pack("{ss so}", "file", c->f->name, "explain", x));
		return 0;
	}
	printf(_("%s: %s (%s) on %s"), c->f->name, r.id, r.pack, e->field);
	if (e->post != RULES_NO_POST)
		printf(" %zu", e->post);
	fputs(e->holds ? _(": holds\n") : _(": does not hold\n"), stdout);
	for (size_t i = 0; i < e->nspans; i++)
		scan_span(c, &e->spans[i], true);
	printf("  condition: %s\n", e->condition);
	return 0;
}

/* ---- the command ---- */

static int scan_one(struct scan_ctx *c, struct rules_matcher *m,
		    const struct doc_profiles *profiles, const char *path)
{
	struct cli_scan_file *f = NULL;
	int rc = cli_scan_file_read(path, c->a->base_url, c->a->charset, profiles, &f);
	if (rc) {
		cli_error(_("scan: %s: %s"), path,
			  rc == ERR_TOO_BIG ? _("larger than 64 MiB") : err_text(rc));
		return CLI_FAIL;
	}
	c->f = f;
	rc = c->a->explain ? rules_explain_doc(m, &f->rd, on_explain, c)
			   : rules_match_doc(m, &f->rd, on_hit, c);
	if (rc)
		cli_error(rc == ERR_REGEX
				  ? _("scan: %s: %s (a rule's regex failed; the others were "
				      "matched)")
				  : _("scan: %s: %s"),
			  path, err_text(rc));
	cli_scan_file_free(f);
	return rc ? CLI_FAIL : CLI_OK;
}

int cmd_scan(struct cli *cli, int argc, char **argv)
{
	struct scan_args a;
	int status = scan_parse_args(cli, argc, argv, &a);
	if (status)
		return status < 0 ? CLI_OK : status;
	struct rules_set *set = NULL;
	struct rules_matcher *m = NULL;
	struct doc_profiles *profiles = NULL;
	if (cli_rules_load(a.rules, a.nrules, &set) != 0)
		return CLI_USAGE; /* an invalid pack is a configuration error */
	int rc = rules_matcher_new(set, &m);
	if (rc == 0)
		rc = doc_profiles_new(&profiles) ?: doc_profiles_add_builtin(profiles);
	if (rc) {
		cli_error(_("scan: %s"), err_text(rc));
		status = CLI_FAIL;
		goto done;
	}
	struct scan_ctx c = {.a = &a, .set = set};
	buf_init(&c.snippet, 1u << 16);
	for (size_t i = 0; i < a.nfiles; i++)
		if (scan_one(&c, m, profiles, a.files[i]) != CLI_OK)
			status = CLI_FAIL;
	if (!a.json && !cli->quiet)
		fprintf(stderr,
			a.explain ? _("%zu files, %zu rules held\n") : _("%zu files, %zu hits\n"),
			a.nfiles, c.hits);
	buf_done(&c.snippet);
done:
	doc_profiles_free(profiles);
	rules_matcher_free(m);
	rules_set_free(set);
	return status;
}
