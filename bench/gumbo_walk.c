/* SPDX-License-Identifier: MIT */
/*
 * gumbo_walk: the floor of patrol's per-page cost. Reads every .html file under a directory,
 * converts GBK pages to UTF-8 with iconv (as patrol must), parses each with Gumbo, walks the tree
 * counting the bytes of visible text (script and style skipped), and frees the tree. Only that
 * work is timed (thread CPU time); reading the files is not. Single-threaded: the figure is per
 * core. Built and run by bench/run.sh, never by meson.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <gumbo.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE (16u << 20)   /* larger files are skipped: the forum's pages are under 80 KB */
#define MAX_STACK (1u << 20)   /* walk stack cap; Gumbo trees of real pages are far shallower */
#define MAX_DEPTH_DIRS 8

struct tally {
	unsigned long long pages, bytes, text_bytes, gbk_pages, skipped;
	double cpu_s;
};

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts the text bytes under root without recursion; returns -1 when the stack cap is hit. */
static long long walk(const GumboNode *root, const GumboNode **stack)
{
	size_t top = 0;
	long long text = 0;
	stack[top++] = root;
	while (top) {
		const GumboNode *n = stack[--top];
		if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
		    n->type == GUMBO_NODE_WHITESPACE) {
			text += (long long)strlen(n->v.text.text);
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
	return text;
}

/* A <meta charset="gbk"> in the first 1024 bytes, as the generated forum declares it. */
static int is_gbk(const char *buf, size_t len)
{
	return memmem(buf, len < 1024 ? len : 1024, "charset=\"gbk\"", 13) != NULL;
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

struct ctx {
	struct tally t;
	iconv_t cd;
	char *file, *conv;
	size_t conv_cap;
	const GumboNode **stack;
};

static void page(struct ctx *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		c->t.skipped++;
		return;
	}
	size_t len = fread(c->file, 1, MAX_FILE, f);
	int too_big = !feof(f);
	fclose(f);
	if (too_big) {
		c->t.skipped++;
		return;
	}
	double t0 = thread_cpu_s();
	const char *html = c->file;
	size_t hlen = len;
	if (is_gbk(c->file, len)) {
		long long n = to_utf8(c->cd, c->file, len, &c->conv, &c->conv_cap);
		if (n < 0) {
			c->t.skipped++;
			return;
		}
		html = c->conv;
		hlen = (size_t)n;
		c->t.gbk_pages++;
	}
	GumboOutput *out = gumbo_parse_with_options(&kGumboDefaultOptions, html, hlen);
	long long text = walk(out->document, c->stack);
	gumbo_destroy_output(&kGumboDefaultOptions, out);
	c->t.cpu_s += thread_cpu_s() - t0;
	if (text < 0) {
		c->t.skipped++;
		return;
	}
	c->t.pages++;
	c->t.bytes += len;
	c->t.text_bytes += (unsigned long long)text;
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

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: gumbo_walk DIR\n"
				"Parses every .html file under DIR with Gumbo and walks the tree; "
				"prints the CPU cost per page.\n");
		return 2;
	}
	struct ctx c = {0};
	c.cd = iconv_open("UTF-8", "GBK");
	c.file = malloc(MAX_FILE);
	c.stack = malloc(MAX_STACK * sizeof(*c.stack));
	if (c.cd == (iconv_t)-1 || !c.file || !c.stack) {
		fprintf(stderr, "gumbo_walk: cannot set up (iconv GBK or memory)\n");
		return 1;
	}
	scan(&c, argv[1], 0);
	if (!c.t.pages) {
		fprintf(stderr, "gumbo_walk: no .html pages under %s\n", argv[1]);
		return 1;
	}
	double ms = c.t.cpu_s * 1000.0 / (double)c.t.pages;
	printf("pages=%llu bytes=%llu text_bytes=%llu gbk_pages=%llu skipped=%llu cpu_s=%.3f "
	       "ms_per_page=%.3f pages_per_s_per_core=%.1f\n",
	       c.t.pages, c.t.bytes, c.t.text_bytes, c.t.gbk_pages, c.t.skipped, c.t.cpu_s, ms,
	       1000.0 / ms);
	free(c.stack);
	free(c.conv);
	free(c.file);
	iconv_close(c.cd);
	return 0;
}
