/* SPDX-License-Identifier: MIT */
/*
 * The rule matcher benchmark's text corpus (bench/make-corpus.py): pages of extracted forum text,
 * each followed by a line holding one form feed. Shared by matcher_bench and pcre2_bench, so that
 * both read the same pages the same way.
 */
#ifndef PATROL_BENCH_CORPUS_H
#define PATROL_BENCH_CORPUS_H

#include <stddef.h>

#define CORPUS_MAX_BYTES ((size_t)4 << 30) /* a larger file is refused: the corpus is ~128 MiB */
#define CORPUS_MAX_PAGES ((size_t)1 << 24)

struct corpus_page {
	const char *text; /* into the corpus' data; not NUL-terminated */
	size_t len;
};

struct corpus {
	char *data;
	size_t len; /* bytes of page text, separators not counted */
	struct corpus_page *pages;
	size_t npages;
};

/* Reads path whole and splits it into pages at "\n\f\n" (a text after the last separator is one
 * more page). max_bytes > 0 keeps only the whole pages that start within its first max_bytes.
 * Errors: -errno of open/read, ERR_TOO_BIG (over CORPUS_MAX_BYTES or CORPUS_MAX_PAGES), -ENOMEM. */
int corpus_load(const char *path, size_t max_bytes, struct corpus *ret);
void corpus_free(struct corpus *c);

/* CPU seconds of the calling thread. */
double corpus_cpu_s(void);

#endif
