/* SPDX-License-Identifier: MIT */
/*
 * corpus_extract: builds the rule matcher benchmark's text corpus (bench/corpus.h) from the
 * synthetic forum's pages. Takes the .html pages of one forum directory in name order (strcmp),
 * parses each with patrol's doc_parse (parsers/doc.h: what `patrol extract` shows, charset
 * detection and all) and keeps its body field, the text rules see as `body`, until the text
 * reaches MIB MiB. Writes into OUTDIR (created; it must not exist): corpus.txt, every page's body
 * followed by a line holding one form feed (a form feed inside a body becomes a space), so that
 * tools that read lines (rg, yara) see the same bytes as those that read pages; pages/, a symbolic
 * link to each page used, for bench/gumbo_walk; manifest.json, written last. Deterministic for a
 * given forum and patrol. Built by bench/Makefile against a meson build of patrol.
 */
#include "common/err.h"
#include "parsers/doc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE  (16u << 20) /* larger files are skipped: the forum's pages are under 80 KB */
#define MAX_PAGES 10000000

struct out {
	FILE *text;
	const char *dir;
	size_t pages, failed, bytes, target;
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_html(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".html") == 0;
}

/* The page's body into o (and its link into pages/); a page that cannot be read or parsed is
 * counted and skipped. Returns -errno only when the output cannot be written. */
static int page(struct out *o, const char *forum, const char *name, char *file)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct doc *d = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", forum, name) >= (int)sizeof(path) ||
	    snprintf(link, sizeof(link), "%s/pages/%s", o->dir, name) >= (int)sizeof(link))
		goto skip;
	FILE *f = fopen(path, "rb");
	if (!f)
		goto skip;
	size_t len = fread(file, 1, MAX_FILE, f);
	int too_big = !feof(f);
	fclose(f);
	if (too_big || doc_parse(file, len, NULL, NULL, NULL, &d) != 0)
		goto skip;
	size_t n = strlen(d->body);
	for (char *p = d->body; (p = memchr(p, '\f', n - (size_t)(p - d->body)));)
		*p = ' ';
	if (fwrite(d->body, 1, n, o->text) != n || fputs("\n\f\n", o->text) == EOF ||
	    symlink(path, link) != 0) {
		doc_free(d);
		return -errno;
	}
	o->bytes += n;
	o->pages++;
	doc_free(d);
	return 0;
skip:
	o->failed++;
	return 0;
}

static int manifest(const struct out *o, const char *forum)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/manifest.json", o->dir) >= (int)sizeof(path))
		return ERR_TOO_BIG;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"{\"pages\": %zu, \"failed_pages\": %zu, \"text_bytes\": %zu, \"text_mib\": %.1f, "
		"\"forum\": \"%s\"}\n",
		o->pages, o->failed, o->bytes, (double)o->bytes / 1048576.0, forum);
	return fclose(f) == 0 ? 0 : -errno;
}

static int extract(const char *forum, struct out *o)
{
	struct dirent **names = NULL;
	char *file = malloc(MAX_FILE);
	int n = scandir(forum, &names, is_html, by_name), rc = 0;
	if (n < 0 || !file) {
		rc = n < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < n && i < MAX_PAGES && o->bytes < o->target && !rc; i++)
		rc = page(o, forum, names[i]->d_name, file);
	if (!rc && o->bytes < o->target) {
		fprintf(stderr,
			"corpus_extract: %d pages give only %.1f MiB of text; generate more\n", n,
			(double)o->bytes / 1048576.0);
		rc = ERR_TOO_BIG;
	}
fail:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(file);
	return rc;
}

int main(int argc, char **argv)
{
	long mib = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
	if (argc != 4 || argv[1][0] == '-' || mib < 1 || mib > 4096) {
		fprintf(stderr,
			"usage: corpus_extract FORUM_DIR OUTDIR MIB\n"
			"Writes the body text of FORUM_DIR's pages, in name order, until MIB "
			"MiB, to OUTDIR/corpus.txt.\n");
		return 2;
	}
	char forum[PATH_MAX], text[PATH_MAX];
	struct out o = {.dir = argv[2], .target = (size_t)mib << 20};
	int rc = 0;
	if (!realpath(argv[1], forum) ||
	    snprintf(text, sizeof(text), "%s/pages", o.dir) >= (int)sizeof(text) ||
	    mkdir(o.dir, 0777) != 0 || mkdir(text, 0777) != 0) {
		rc = errno ? -errno : ERR_TOO_BIG;
		goto fail;
	}
	snprintf(text, sizeof(text), "%s/corpus.txt", o.dir);
	if (!(o.text = fopen(text, "wb"))) {
		rc = -errno;
		goto fail;
	}
	rc = extract(forum, &o);
	if (fclose(o.text) != 0 && !rc)
		rc = -errno;
	if (!rc)
		rc = manifest(&o, forum);
fail:
	if (rc) {
		fprintf(stderr, "corpus_extract: %s into %s: %s\n", argv[1], o.dir, err_str(rc));
		return 1;
	}
	printf("pages=%zu failed_pages=%zu text_bytes=%zu text_mib=%.1f\n", o.pages, o.failed,
	       o.bytes, (double)o.bytes / 1048576.0);
	return 0;
}
