/* SPDX-License-Identifier: MIT */
/* Reading the rule matcher benchmark's corpus: see corpus.h. */
#include "bench/corpus.h"

#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double corpus_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int corpus__read(const char *path, char **ret_data, size_t *ret_len)
{
	int rc = 0;
	char *data = NULL;
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((unsigned long long)st.st_size > CORPUS_MAX_BYTES) {
		rc = ERR_TOO_BIG;
		goto fail;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		rc = -ENOMEM;
		goto fail;
	}
	size_t len = fread(data, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = -EIO;
		goto fail;
	}
	data[len] = '\0';
	fclose(f);
	*ret_data = data;
	*ret_len = len;
	return 0;
fail:
	free(data);
	fclose(f);
	return rc;
}

static int corpus__add(struct corpus *c, size_t *cap, const char *text, size_t len)
{
	if (c->npages == *cap) {
		if (*cap >= CORPUS_MAX_PAGES)
			return ERR_TOO_BIG;
		size_t n = *cap ? *cap * 2 : 4096;
		struct corpus_page *p = realloc(c->pages, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->pages = p;
		*cap = n;
	}
	c->pages[c->npages++] = (struct corpus_page){.text = text, .len = len};
	c->len += len;
	return 0;
}

int corpus_load(const char *path, size_t max_bytes, struct corpus *ret)
{
	struct corpus c = {0};
	size_t cap = 0, len = 0;
	int rc = corpus__read(path, &c.data, &len);
	if (rc)
		return rc;
	const char *p = c.data, *end = c.data + len;
	while (p < end && (!max_bytes || (size_t)(p - c.data) < max_bytes)) {
		const char *sep = memmem(p, (size_t)(end - p), "\n\f\n", 3);
		size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		rc = corpus__add(&c, &cap, p, n);
		if (rc)
			goto fail;
		p = sep ? sep + 3 : end;
	}
	*ret = c;
	return 0;
fail:
	corpus_free(&c);
	return rc;
}

void corpus_free(struct corpus *c)
{
	if (!c)
		return;
	free(c->pages);
	free(c->data);
	*c = (struct corpus){0};
}
