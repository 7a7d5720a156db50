/* SPDX-License-Identifier: MIT */
/* patrol extract: what patrol sees of one page (DESIGN.md §4), for rule authors and tests: the
 * encoding and what chose it, title, description, the fields the rules match, the forum posts
 * the normalized view of title, body and posts (parsers/normalize.h: what rules match by default)
 * and the links.
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/doc.h"
#include "parsers/normalize.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXTRACT_INPUT_MAX (64u << 20) /* bytes read from FILE; a crawl caps bodies lower */

static const char *const extract_help = N_(
	"usage: patrol extract [--json] [--base-url URL] [--content-type CT]\n"
	"                      [--post SEL [--content SEL] [--author SEL] [--time SEL]\n"
	"                      [--skip SEL]] FILE|-\n"
	"\n"
	"Show what patrol sees of an HTML page (FILE, or standard input for '-'): the encoding\n"
	"and the step that chose it, the title and description, the fields rules match (title,\n"
	"body, link_text, url), the forum posts with their author and time, the normalized text\n"
	"of title, body and posts that rules match by default, and the links.\n"
	"\n"
	"  --base-url URL      the URL the page came from: links resolve against it and it is\n"
	"                      the url field (default: none, only absolute links are kept)\n"
	"  --content-type CT   the HTTP Content-Type it came with (its charset counts first)\n"
	"  --post SEL          find posts with these selectors instead of the built-in forum\n"
	"  --content SEL       profiles (Discuz!, phpBB, vBulletin, Discourse, WordPress): what\n"
	"  --author SEL        a venue would set in patrol.yaml. SEL is the selector language of\n"
	"  --time SEL          docs/extract.md (tag, .class, #id, [attr], [attr=v], [attr^=v],\n"
	"  --skip SEL          descendant, '>', ',')\n"
	"  --json              one JSON object (DESIGN.md §4), as the global --json\n"
	"\n"
	"The normalized text (NFKC, case folding, traditional to simplified, separators squeezed\n"
	"between CJK characters: docs/rules.md, What rules see) needs OpenCC's data; without\n"
	"them it shows as 'unavailable' (null in JSON) with a warning. Exit 0, 1 when FILE cannot\n"
	"be read, 2 for a usage error or a bad selector.\n");

struct extract_args {
	bool json;
	const char *base_url, *content_type, *file;
	struct doc_profile_spec spec; /* spec.post NULL: the built-in profiles */
};

static int extract_parse_args(struct cli *cli, int argc, char **argv, struct extract_args *a)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"base-url", required_argument, NULL, 'b'},
		{"content-type", required_argument, NULL, 'c'},
		{"post", required_argument, NULL, 'p'},
		{"content", required_argument, NULL, 'C'},
		{"author", required_argument, NULL, 'a'},
		{"time", required_argument, NULL, 't'},
		{"skip", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	*a = (struct extract_args){.json = cli->json, .spec = {.name = "venue"}};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': a->json = true; break;
		case 'b': a->base_url = optarg; break;
		case 'c': a->content_type = optarg; break;
		case 'p': a->spec.post = optarg; break;
		case 'C': a->spec.content = optarg; break;
		case 'a': a->spec.author = optarg; break;
		case 't': a->spec.time = optarg; break;
		case 's': a->spec.skip = optarg; break;
		case 'h': fputs(_(extract_help), stdout); return -1;
		default: return cli_usage_error("extract", _("unknown option"));
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("extract", optind >= argc ? _("a FILE (or '-') is needed")
								 : _("one FILE at a time"));
	const struct doc_profile_spec *s = &a->spec;
	if (!s->post && (s->content || s->author || s->time || s->skip))
		return cli_usage_error("extract",
				       _("--content, --author, --time and --skip need --post"));
	a->file = argv[optind];
	return 0;
}

/* The profiles posts are found with: the venue-like one of the options, or the built-ins. */
static int extract_profiles(const struct doc_profile_spec *spec, struct doc_profiles **ret)
{
	struct doc_profile_error err;
	int rc = doc_profiles_new(ret);
	if (!rc)
		rc = spec->post ? doc_profiles_add(*ret, spec, &err)
				: doc_profiles_add_builtin(*ret);
	if (rc == ERR_PARSE)
		return cli_usage_error("extract", _("--%s: column %zu: %s"), err.field,
				       err.sel.column, err.sel.message);
	if (rc) {
		cli_error(_("extract: %s"), err_text(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* ---- The normalized view ---- */

/* The normalized title, body and post texts of a doc; all NULL when there is no normalizer. */
struct extract_norm {
	char *title, *body;
	char **posts;	/* d->nposts of them */
	bool truncated; /* a text normalized past NORMALIZE_MAX_TEXT_DEFAULT was cut */
};

/* A copy of text normalized (cut at the cap: *truncated then set), or NULL when out of memory. */
static char *extract_norm_text(const struct normalizer *nz, struct normalized *out,
			       const char *text, bool *truncated)
{
	int rc = normalize_text(nz, text, strlen(text), out);
	if (rc == ERR_TOO_BIG && out->text)
		*truncated = true;
	else if (rc)
		return NULL;
	return strdup(out->text);
}

static void extract_norm_done(struct extract_norm *n, size_t nposts)
{
	free(n->title);
	free(n->body);
	for (size_t i = 0; n->posts && i < nposts; i++)
		free(n->posts[i]);
	free(n->posts);
}

/* Fills n from d with nz (NULL: leaves n empty). Errors: -ENOMEM. */
static int extract_normalize(const struct normalizer *nz, const struct doc *d,
			     struct extract_norm *n)
{
	*n = (struct extract_norm){0};
	if (!nz)
		return 0;
	struct normalized out;
	normalize_out_init(&out, NORMALIZE_MAX_TEXT_DEFAULT);
	n->title = extract_norm_text(nz, &out, d->title, &n->truncated);
	n->body = n->title ? extract_norm_text(nz, &out, d->body, &n->truncated) : NULL;
	n->posts = calloc(d->nposts + 1, sizeof(*n->posts));
	int rc = n->body && n->posts ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < d->nposts; i++)
		if (!(n->posts[i] = extract_norm_text(nz, &out, d->posts[i].text, &n->truncated)))
			rc = -ENOMEM;
	normalize_out_done(&out);
	if (rc)
		extract_norm_done(n, d->nposts);
	return rc;
}

/* ---- JSON ---- */

static json_t *jstr_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *extract_posts_json(const struct doc *d, const struct extract_norm *n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->nposts; i++) {
		const struct doc_post *p = &d->posts[i];
		json_t *norm = n->posts ? json_string(n->posts[i]) : json_null();
		json_array_append_new(a, json_pack("{sI so so ss so}", "index", (json_int_t)i,
						   "author", jstr_or_null(p->author), "time",
						   jstr_or_null(p->time), "text", p->text,
						   "normalized", norm));
	}
	return a;
}

static json_t *extract_norm_json(const struct extract_norm *n)
{
	if (!n->body)
		return json_null();
	return json_pack("{ss ss sb}", "title", n->title, "body", n->body, "truncated",
			 n->truncated);
}

static json_t *extract_links_json(const struct doc *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->nlinks; i++) {
		const struct doc_link *l = &d->links[i];
		json_array_append_new(a, json_pack("{ss ss ss sb}", "url", l->url, "text", l->text,
						   "rel", l->rel, "nofollow", l->nofollow));
	}
	return a;
}

static int extract_print_json(const struct doc *d, const struct extract_norm *n, const char *url)
{
	json_t *o = json_pack(
		"{ss ss ss ss ss s{sb sb} s{ss ss ss ss} so so sI so so sI sb}", "encoding",
		d->encoding, "encoding_source", charset_source_name(d->encoding_source), "title",
		d->title, "description", d->description, "canonical", d->canonical, "robots",
		"noindex", d->noindex, "nofollow", d->nofollow, "fields", "title", d->title, "body",
		d->body, "link_text", d->link_text, "url", url, "posts_profile",
		jstr_or_null(d->posts_profile), "posts", extract_posts_json(d, n), "posts_dropped",
		(json_int_t)d->posts_dropped, "normalized", extract_norm_json(n), "links",
		extract_links_json(d), "links_dropped", (json_int_t)d->links_dropped, "truncated",
		d->truncated);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s) {
		cli_error(_("extract: cannot write JSON (out of memory)"));
		return CLI_FAIL;
	}
	puts(s);
	free(s);
	return CLI_OK;
}

/* ---- Text ---- */

static void extract_print_posts(const struct doc *d, const struct extract_norm *n)
{
	for (size_t i = 0; i < d->nposts; i++) {
		const struct doc_post *p = &d->posts[i];
		printf(_("\n--- post %zu of %zu"), i + 1, d->nposts);
		if (p->author[0])
			printf(_(" · author %s"), p->author);
		if (p->time[0])
			printf(_(" · time %s"), p->time);
		printf("\n%s\n", p->text);
		if (n->posts)
			printf(_("--- post %zu normalized\n%s\n"), i + 1, n->posts[i]);
	}
}

static void extract_print_text(const struct doc *d, const struct extract_norm *n, const char *url)
{
	printf("encoding    %s (%s)\n", d->encoding, charset_source_name(d->encoding_source));
	printf("title       %s\n", d->title);
	printf("description %s\n", d->description);
	printf("canonical   %s\n", d->canonical);
	printf("robots      %s, %s\n", d->noindex ? "noindex" : "index",
	       d->nofollow ? "nofollow" : "follow");
	printf("posts       %zu", d->nposts);
	if (d->nposts)
		printf(_(" (profile %s)"), d->posts_profile);
	if (d->posts_dropped)
		printf(_(", %zu dropped"), d->posts_dropped);
	printf("\nlinks       %zu", d->nlinks);
	if (d->links_dropped)
		printf(_(", %zu dropped"), d->links_dropped);
	printf("\nnormalized  %s\n", !n->body	    ? _("unavailable (no normalizer)")
				     : n->truncated ? _("yes, cut at 16 MiB")
						    : _("yes"));
	if (d->truncated)
		printf(_("truncated   yes: a cap cut the page, its text or its depth\n"));
	/* i18n: machine: the fields' names, as rules and --json name them */
	printf("\n--- field title\n%s\n\n--- field body\n%s\n\n--- field link_text\n%s\n"
	       "\n--- field url\n%s\n", /* i18n: machine */
	       d->title, d->body, d->link_text, url);
	if (n->body)
		printf(_("\n--- normalized title\n%s\n\n--- normalized body\n%s\n"), n->title,
		       n->body);
	extract_print_posts(d, n);
	if (d->nlinks)
		printf("\n--- links\n");
	for (size_t i = 0; i < d->nlinks; i++) {
		const struct doc_link *l = &d->links[i];
		printf("%s", l->url);
		if (l->rel[0])
			printf(" [rel %s]", l->rel);
		printf("%s%s\n", l->text[0] ? " " : "", l->text);
	}
}

/* The normalizer, built once for the process; NULL (with a warning) when OpenCC's data are
 * missing: the rest of the document is still worth seeing. */
static struct normalizer *extract_normalizer(void)
{
	struct normalizer *nz = NULL;
	char err[256];
	if (normalize_new(NULL, &nz, err, sizeof(err)) != 0) {
		cli_error(_("extract: warning: no normalized text: %s"), err);
		return NULL;
	}
	return nz;
}

int cmd_extract(struct cli *cli, int argc, char **argv)
{
	struct extract_args a;
	int status = extract_parse_args(cli, argc, argv, &a);
	if (status)
		return status < 0 ? CLI_OK : status;
	struct doc_profiles *profiles = NULL;
	struct normalizer *nz = NULL;
	struct extract_norm norm = {0};
	struct doc *d = NULL;
	struct buf in;
	buf_init(&in, EXTRACT_INPUT_MAX);
	status = extract_profiles(&a.spec, &profiles);
	if (status)
		goto done;
	int rc = cli_file_read(a.file, &in);
	if (rc) {
		cli_error(_("cannot read %s: %s"), a.file,
			  rc == ERR_TOO_BIG ? _("larger than 64 MiB") : err_text(rc));
		status = CLI_FAIL;
		goto done;
	}
	struct doc_options opts = {.profiles = profiles};
	rc = doc_parse_with(in.data, in.len, a.content_type, a.base_url, &opts, &d);
	if (rc == ERR_URL) {
		status = cli_usage_error(
			"extract", _("--base-url '%s' is not an absolute http(s) URL"), a.base_url);
	} else if (rc || (rc = extract_normalize(nz = extract_normalizer(), d, &norm))) {
		cli_error(_("cannot extract %s: %s"), a.file, err_text(rc));
		status = CLI_FAIL;
	} else if (a.json) {
		status = extract_print_json(d, &norm, a.base_url ? a.base_url : "");
	} else {
		extract_print_text(d, &norm, a.base_url ? a.base_url : "");
	}
done:
	if (d)
		extract_norm_done(&norm, d->nposts);
	normalize_free(nz);
	doc_free(d);
	buf_done(&in);
	doc_profiles_free(profiles);
	return status;
}
