/* SPDX-License-Identifier: MIT */
/*
 * rules_doc_bench: what normalization plus matching costs per page, as a crawl worker pays it.
 * Parses each HTML page named on the command line (or every *.html of a directory) with the
 * built-in post profiles, as the crawl does, then times only rules_match_doc over the pages'
 * documents (title, body, link text, posts and authors) with one matcher, repeated --repeat
 * times; parsing and loading are timed apart. Thread CPU time, single-threaded: per core. Prints
 * one line of key=value pairs. With --repeat 1 it suits callgrind, whose instruction counts do not
 * depend on what else the machine runs. Built by bench/Makefile against a meson build of patrol.
 */
#include "common/buf.h"
#include "common/err.h"
#include "parsers/doc.h"
#include "rules/rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_PACKS 64
#define MAX_PAGES 100000
#define MAX_PAGE_BYTES (16u << 20)

struct page {
	struct doc *doc;
	struct rules_post *posts;
	struct rules_doc rd;
	size_t html_bytes, text_bytes;
};

struct bench {
	const char *packs[MAX_PACKS];
	size_t npacks;
	int repeat;
	struct page *pages;
	size_t npages, alloc;
	struct doc_profiles *profiles;
	size_t hits;
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *data = NULL;
	if (f && fstat(fileno(f), &st) == 0 && st.st_size >= 0 &&
	    (size_t)st.st_size <= MAX_PAGE_BYTES && (data = malloc((size_t)st.st_size + 1)) &&
	    fread(data, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
		data[st.st_size] = '\0';
		*ret_len = (size_t)st.st_size;
	} else {
		free(data);
		data = NULL;
	}
	if (f)
		fclose(f);
	return data;
}

/* The rules_doc of a parsed page, as the crawl builds it. */
static int page_fill(struct page *p, const char *url)
{
	struct doc *d = p->doc;
	p->posts = calloc(d->nposts ? d->nposts : 1, sizeof(*p->posts));
	if (!p->posts)
		return -ENOMEM;
	p->text_bytes = strlen(d->title) + strlen(d->body) + strlen(d->link_text);
	for (size_t i = 0; i < d->nposts; i++) {
		p->posts[i] = (struct rules_post){ .text = d->posts[i].text,
						   .author = d->posts[i].author,
						   .time = d->posts[i].time };
		p->text_bytes += strlen(d->posts[i].text) + strlen(d->posts[i].author);
	}
	p->rd = (struct rules_doc){ .title = d->title, .body = d->body, .url = url,
				    .link_text = d->link_text, .posts = p->posts,
				    .nposts = d->nposts };
	return 0;
}

static int add_page(struct bench *b, const char *path)
{
	size_t len = 0;
	char *html = read_file(path, &len);
	if (!html) {
		fprintf(stderr, "rules_doc_bench: cannot read %s\n", path);
		return -1;
	}
	if (b->npages == b->alloc) {
		size_t n = b->alloc ? 2 * b->alloc : 256;
		struct page *p = n <= MAX_PAGES ? realloc(b->pages, n * sizeof(*p)) : NULL;
		if (!p) {
			free(html);
			return -1;
		}
		b->pages = p;
		b->alloc = n;
	}
	struct page *p = &b->pages[b->npages];
	struct doc_options o = { .profiles = b->profiles };
	memset(p, 0, sizeof(*p));
	p->html_bytes = len;
	int rc = doc_parse_with(html, len, "text/html", NULL, &o, &p->doc);
	free(html);
	if (rc == 0 && (rc = page_fill(p, NULL)) != 0)
		doc_free(p->doc);
	if (rc != 0) {
		fprintf(stderr, "rules_doc_bench: %s: %s\n", path, err_str(rc));
		return -1;
	}
	b->npages++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int add_path(struct bench *b, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_page(b, path);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), rc = n < 0 ? -1 : 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && ends_with(names[i]->d_name, ".html")) {
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			rc = add_page(b, sub);
		}
		free(names[i]);
	}
	free(n >= 0 ? names : NULL);
	return rc;
}

static int on_hit(const struct rules_hit *hit, void *ud)
{
	(void)hit;
	((struct bench *)ud)->hits++;
	return 0;
}

/* Matches every page repeat times; returns CPU seconds, or a negative value on an error. */
static double run(struct bench *b, const struct rules_set *set, size_t *ret_errors)
{
	struct rules_matcher *m;
	if (rules_matcher_new(set, &m) != 0)
		return -1;
	size_t errors = 0;
	double t0 = cpu_s();
	for (int r = 0; r < b->repeat; r++) {
		for (size_t i = 0; i < b->npages; i++) {
			int rc = rules_match_doc(m, &b->pages[i].rd, on_hit, b);
			if (rc == ERR_REGEX)
				errors++;
			else if (rc != 0)
				return -1;
		}
	}
	double t = cpu_s() - t0;
	rules_matcher_free(m);
	*ret_errors = errors;
	return t;
}

static int usage(void)
{
	fprintf(stderr, "usage: rules_doc_bench [--repeat N] --rules PACK... [--] PAGE|DIR...\n");
	return 2;
}

/* Reads the options; returns the index of the first page argument, or -1. */
static int parse_args(struct bench *b, int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
			b->repeat = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc && b->npacks < MAX_PACKS)
			b->packs[b->npacks++] = argv[++i];
		else if (strcmp(argv[i], "--") == 0)
			return i + 1;
		else if (argv[i][0] == '-')
			return -1;
		else
			break;
	}
	return b->npacks && b->repeat > 0 && i < argc ? i : -1;
}

static void report(const struct bench *b, double load_s, double parse_s, double match_s,
		   size_t nrules, size_t errors)
{
	size_t html = 0, text = 0, posts = 0;
	for (size_t i = 0; i < b->npages; i++) {
		html += b->pages[i].html_bytes;
		text += b->pages[i].text_bytes;
		posts += b->pages[i].rd.nposts;
	}
	double runs = (double)b->npages * b->repeat;
	printf("rules=%zu pages=%zu posts=%zu html_kb_per_page=%.1f text_kb_per_page=%.1f "
	       "load_s=%.3f parse_ms_per_page=%.3f match_ms_per_page=%.4f text_mib_s=%.1f "
	       "hits_per_page=%.2f errors=%zu repeat=%d\n",
	       nrules, b->npages, posts, html / 1024.0 / b->npages, text / 1024.0 / b->npages,
	       load_s, 1e3 * parse_s / b->npages, 1e3 * match_s / runs,
	       text * (double)b->repeat / match_s / (1 << 20), b->hits / runs, errors, b->repeat);
}

int main(int argc, char **argv)
{
	struct bench b = { .repeat = 3 };
	int first = parse_args(&b, argc, argv);
	if (first < 0)
		return usage();
	struct buf errors;
	struct rules_set *set = NULL;
	buf_init(&errors, 1 << 20);
	double t0 = cpu_s();
	if (rules_set_load(b.packs, b.npacks, &set, &errors) != 0) {
		fprintf(stderr, "rules_doc_bench: cannot load the packs:\n%s", buf_str(&errors));
		return 1;
	}
	double load_s = cpu_s() - t0;
	int rc = doc_profiles_new(&b.profiles) ?: doc_profiles_add_builtin(b.profiles);
	t0 = cpu_s();
	for (int i = first; i < argc && rc == 0; i++)
		rc = add_path(&b, argv[i]);
	double parse_s = cpu_s() - t0;
	size_t nerr = 0;
	double match_s = rc == 0 && b.npages ? run(&b, set, &nerr) : -1;
	if (match_s < 0) {
		fprintf(stderr, "rules_doc_bench: failed\n");
		return 1;
	}
	report(&b, load_s, parse_s, match_s, rules_set_count(set), nerr);
	for (size_t i = 0; i < b.npages; i++) {
		free(b.pages[i].posts);
		doc_free(b.pages[i].doc);
	}
	free(b.pages);
	doc_profiles_free(b.profiles);
	rules_set_free(set);
	buf_done(&errors);
	return 0;
}
