/* SPDX-License-Identifier: MIT */
/*
 * parse_bench: what patrol's document model costs per page, to set beside gumbo_walk (the floor).
 * Reads every .html file under a directory into memory, then parses each page with doc_parse_with
 * and the built-in post profiles, as a crawl does (charset detection and conversion, Gumbo, text,
 * links, posts), ROUNDS times (env PARSE_BENCH_ROUNDS, default 3); prints the best round's
 * thread CPU time per page. Reading the files is not timed. Single-threaded: the figure is per
 * core. malloc is tuned as cli/main.c tunes it for patrol. Built by bench/Makefile from a meson
 * build directory; never by meson itself.
 */
#define _GNU_SOURCE
#include "parsers/doc.h"

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE (16u << 20)
#define MAX_PAGES 200000
#define ROUNDS_DEFAULT 3

struct page {
	char *data;
	size_t len;
};

struct pages {
	struct page *v;
	size_t n;
	unsigned long long bytes;
};

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(struct pages *p, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char *data = malloc(MAX_FILE);
	size_t len = data ? fread(data, 1, MAX_FILE, f) : 0;
	int ok = data && feof(f) && p->n < MAX_PAGES;
	fclose(f);
	if (!ok) {
		free(data);
		return -1;
	}
	p->v[p->n++] = (struct page){realloc(data, len ? len : 1), len};
	p->bytes += len;
	return 0;
}

static void scan(struct pages *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".html") == 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			load(p, path);
	}
	if (d)
		closedir(d);
}

/* One round over every page; returns its CPU seconds, or -1 when a page fails to parse. */
static double round_once(const struct pages *p, const struct doc_options *o,
			 unsigned long long *text_bytes)
{
	char url[64];
	double t = 0;
	*text_bytes = 0;
	for (size_t i = 0; i < p->n; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1/p%zu.html", i);
		struct doc *d = NULL;
		double t0 = thread_cpu_s();
		int rc = doc_parse_with(p->v[i].data, p->v[i].len, "text/html", url, o, &d);
		if (rc == 0) {
			*text_bytes += strlen(d->body);
			doc_free(d);
		}
		t += thread_cpu_s() - t0;
		if (rc) {
			fprintf(stderr, "parse_bench: page %zu: error %d\n", i, rc);
			return -1;
		}
	}
	return t;
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: parse_bench DIR\n"
				"Parses every .html file in DIR with patrol's doc_parse_with; prints the "
				"CPU cost per page.\n");
		return 2;
	}
	struct pages p = {calloc(MAX_PAGES, sizeof(struct page)), 0, 0};
	struct doc_profiles *prof = NULL;
	if (!p.v || doc_profiles_new(&prof) != 0 || doc_profiles_add_builtin(prof) != 0) {
		fprintf(stderr, "parse_bench: cannot set up\n");
		return 1;
	}
	scan(&p, argv[1]);
	if (!p.n) {
		fprintf(stderr, "parse_bench: no .html pages in %s\n", argv[1]);
		return 1;
	}
	mallopt(M_TRIM_THRESHOLD, 8 << 20); /* as cli/main.c does */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	const char *env = getenv("PARSE_BENCH_ROUNDS");
	int rounds = env && atoi(env) > 0 ? atoi(env) : ROUNDS_DEFAULT;
	struct doc_options o = {.profiles = prof};
	double best = -1;
	unsigned long long text = 0;
	for (int r = 0; r < rounds; r++) {
		double t = round_once(&p, &o, &text);
		if (t < 0)
			return 1;
		if (best < 0 || t < best)
			best = t;
	}
	double ms = best * 1000.0 / (double)p.n;
	printf("pages=%zu bytes=%llu text_bytes=%llu cpu_s=%.3f ms_per_page=%.3f "
	       "pages_per_s_per_core=%.1f\n",
	       p.n, p.bytes, text, best, ms, 1000.0 / ms);
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i].data);
	free(p.v);
	doc_profiles_free(prof);
	return 0;
}
