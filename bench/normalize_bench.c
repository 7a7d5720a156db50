/* SPDX-License-Identifier: MIT */
/*
 * normalize_bench: the speed of patrol's normalized view (parsers/normalize.h) on forum text.
 * Reads every .html file under a directory as gumbo_walk does (GBK pages converted to UTF-8 with
 * iconv), keeps the text of its title and body (script and style skipped, one line per text
 * node), then normalizes all of it REPEAT times with one normalizer and one reused output, as a
 * worker would. Only normalize_text is timed (thread CPU time): reading, parsing and building
 * the normalizer are not. Single-threaded, so the figure is per core. Built by hand, never by
 * meson or run.sh:
 *   make -C bench normalize_bench && bench/normalize_bench bench/.cache/forum-n2000-h1-*
 */
#include "common/err.h"
#include "parsers/normalize.h"

#include <dirent.h>
#include <errno.h>
#include <gumbo.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE       (16u << 20) /* larger files are skipped: the forum's pages are under 80 KB */
#define MAX_STACK      (1u << 20)  /* walk stack cap; Gumbo trees of real pages are far shallower */
#define MAX_DEPTH_DIRS 8

/* The text of one page: text nodes joined by '\n'. */
struct page_text {
	char *s;
	size_t len, cap;
};

struct ctx {
	iconv_t cd;
	char *file, *conv;
	size_t conv_cap;
	const GumboNode **stack;
	struct page_text *pages;
	size_t npages, pages_cap, bytes, skipped;
};

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int text_add(struct page_text *t, const char *s, size_t n)
{
	if (t->len + n + 2 > t->cap) {
		size_t cap = (t->len + n + 2) * 2;
		char *p = realloc(t->s, cap);
		if (!p)
			return -1;
		t->s = p;
		t->cap = cap;
	}
	if (t->len)
		t->s[t->len++] = '\n';
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
	return 0;
}

/* Collects the text nodes under root without recursion (script and style skipped). */
static int walk(const GumboNode *root, const GumboNode **stack, struct page_text *t)
{
	size_t top = 0;
	stack[top++] = root;
	while (top) {
		const GumboNode *n = stack[--top];
		if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
			if (text_add(t, n->v.text.text, strlen(n->v.text.text)))
				return -1;
			continue;
		}
		if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE &&
		    n->type != GUMBO_NODE_DOCUMENT)
			continue;
		if (n->type == GUMBO_NODE_ELEMENT &&
		    (n->v.element.tag == GUMBO_TAG_SCRIPT || n->v.element.tag == GUMBO_TAG_STYLE))
			continue;
		const GumboVector *kids = n->type == GUMBO_NODE_DOCUMENT ? &n->v.document.children
									 : &n->v.element.children;
		for (unsigned i = kids->length; i-- > 0;) {
			if (top == MAX_STACK)
				return -1;
			stack[top++] = kids->data[i];
		}
	}
	return 0;
}

/* GBK to UTF-8 into *out (grown as needed); returns the UTF-8 length, or -1. */
static long long to_utf8(iconv_t cd, char *in, size_t len, char **out, size_t *cap)
{
	if (*cap < len * 2 + 16) {
		char *p = realloc(*out, len * 2 + 16);
		if (!p)
			return -1;
		*out = p;
		*cap = len * 2 + 16;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	char *src = in, *dst = *out;
	size_t srcleft = len, dstleft = *cap;
	while (srcleft) {
		if (iconv(cd, &src, &srcleft, &dst, &dstleft) != (size_t)-1)
			break;
		if (errno != EILSEQ && errno != EINVAL)
			return -1;
		src++; /* skip an undecodable byte, as a replacement character would */
		srcleft--;
	}
	return (long long)(dst - *out);
}

static int keep_page(struct ctx *c, struct page_text *t)
{
	if (c->npages == c->pages_cap) {
		size_t cap = c->pages_cap ? c->pages_cap * 2 : 1024;
		struct page_text *p = realloc(c->pages, cap * sizeof(*p));
		if (!p)
			return -1;
		c->pages = p;
		c->pages_cap = cap;
	}
	c->pages[c->npages++] = *t;
	c->bytes += t->len;
	return 0;
}

static void page(struct ctx *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		c->skipped++;
		return;
	}
	size_t len = fread(c->file, 1, MAX_FILE, f);
	int too_big = !feof(f);
	fclose(f);
	const char *html = c->file;
	long long hlen = (long long)len;
	if (!too_big && memmem(c->file, len < 1024 ? len : 1024, "charset=\"gbk\"", 13)) {
		hlen = to_utf8(c->cd, c->file, len, &c->conv, &c->conv_cap);
		html = c->conv;
	}
	struct page_text t = {0};
	if (too_big || hlen < 0) {
		c->skipped++;
		return;
	}
	GumboOutput *out = gumbo_parse_with_options(&kGumboDefaultOptions, html, (size_t)hlen);
	int rc = walk(out->document, c->stack, &t);
	gumbo_destroy_output(&kGumboDefaultOptions, out);
	if (rc || !t.s || keep_page(c, &t)) {
		free(t.s);
		c->skipped++;
	}
}

static void scan(struct ctx *c, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		size_t n = strlen(e->d_name);
		if (e->d_type == DT_DIR && depth < MAX_DEPTH_DIRS)
			scan(c, path, depth + 1);
		else if (n > 5 && strcmp(e->d_name + n - 5, ".html") == 0)
			page(c, path);
	}
	closedir(d);
}

/* Normalizes every page's text repeat times; returns the CPU seconds, or -1 on an error. */
static double run(const struct normalizer *nz, const struct ctx *c, int repeat,
		  size_t *ret_out_bytes)
{
	struct normalized out;
	normalize_out_init(&out, NORMALIZE_MAX_TEXT_DEFAULT);
	double cpu = 0;
	size_t out_bytes = 0;
	for (int r = 0; r < repeat && cpu >= 0; r++)
		for (size_t i = 0; i < c->npages; i++) {
			double t0 = thread_cpu_s();
			int rc = normalize_text(nz, c->pages[i].s, c->pages[i].len, &out);
			cpu += thread_cpu_s() - t0;
			if (rc) {
				fprintf(stderr, "normalize_bench: %s\n", err_str(rc));
				cpu = -1;
				break;
			}
			out_bytes += out.len;
		}
	normalize_out_done(&out);
	*ret_out_bytes = out_bytes;
	return cpu;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: normalize_bench DIR [REPEAT]\n"
				"Extracts the text of every .html file under DIR and normalizes it "
				"REPEAT times (default 3); prints MiB/s of text per core.\n");
		return 2;
	}
	int repeat = argc == 3 ? atoi(argv[2]) : 3;
	char err[256] = "out of memory";
	struct normalizer *nz = NULL;
	struct ctx c = {0};
	c.cd = iconv_open("UTF-8", "GBK");
	c.file = malloc(MAX_FILE);
	c.stack = malloc(MAX_STACK * sizeof(*c.stack));
	if (c.cd == (iconv_t)-1 || !c.file || !c.stack || repeat < 1 ||
	    normalize_new(NULL, &nz, err, sizeof(err)) != 0) {
		fprintf(stderr, "normalize_bench: cannot set up (iconv GBK, memory, REPEAT): %s\n",
			err);
		return 1;
	}
	scan(&c, argv[1], 0);
	if (!c.npages) {
		fprintf(stderr, "normalize_bench: no .html pages under %s\n", argv[1]);
		return 1;
	}
	size_t out_bytes;
	double cpu = run(nz, &c, repeat, &out_bytes);
	if (cpu < 0)
		return 1;
	double mib = (double)c.bytes * repeat / (1024.0 * 1024.0);
	printf("pages=%zu skipped=%zu text_bytes=%zu normalized_bytes=%zu repeat=%d cpu_s=%.3f "
	       "mib_per_s_per_core=%.1f\n",
	       c.npages, c.skipped, c.bytes, out_bytes / (size_t)repeat, repeat, cpu, mib / cpu);
	for (size_t i = 0; i < c.npages; i++)
		free(c.pages[i].s);
	free(c.pages);
	free(c.stack);
	free(c.conv);
	free(c.file);
	iconv_close(c.cd);
	normalize_free(nz);
	return 0;
}
