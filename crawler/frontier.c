/* SPDX-License-Identifier: MIT */
/* The frontier of a crawl: a FIFO of URLs to fetch (breadth-first) and the set of every URL ever
 * queued, so nothing is fetched twice. Held in memory and capped at max_urls; the persistent,
 * per-host frontier in LMDB replaces it behind the same calls.
 */
#include "crawler/crawler_int.h"

#include "common/err.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct frontier_item {
	const char *url; /* owned by the seen set */
	unsigned depth;
};

struct frontier {
	char **slots;      /* open addressing, linear probing; NULL = empty */
	size_t nslots;     /* a power of two */
	size_t seen;
	size_t max_urls;
	struct frontier_item *queue; /* a ring */
	size_t qcap, qhead, qlen;
};

static uint64_t frontier_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

int frontier_new(size_t max_urls, struct frontier **ret_frontier)
{
	struct frontier *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nslots = 1024;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	f->max_urls = max_urls;
	if (!f->slots) {
		free(f);
		return -ENOMEM;
	}
	*ret_frontier = f;
	return 0;
}

void frontier_free(struct frontier *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nslots; i++)
		free(f->slots[i]);
	free(f->slots);
	free(f->queue);
	free(f);
}

static size_t frontier_find(char **slots, size_t nslots, const char *url)
{
	size_t i = frontier_hash(url) & (nslots - 1);
	while (slots[i] && strcmp(slots[i], url) != 0)
		i = (i + 1) & (nslots - 1);
	return i;
}

/* Keeps the table at most half full, so probes stay short. */
static int frontier_rehash(struct frontier *f)
{
	size_t n = f->nslots * 2;
	char **slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->nslots; i++)
		if (f->slots[i])
			slots[frontier_find(slots, n, f->slots[i])] = f->slots[i];
	free(f->slots);
	f->slots = slots;
	f->nslots = n;
	return 0;
}

static int frontier_enqueue(struct frontier *f, const char *url, unsigned depth)
{
	if (f->qlen == f->qcap) {
		size_t cap = f->qcap ? f->qcap * 2 : 256;
		struct frontier_item *q = malloc(cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		for (size_t i = 0; i < f->qlen; i++)
			q[i] = f->queue[(f->qhead + i) % f->qcap];
		free(f->queue);
		f->queue = q;
		f->qcap = cap;
		f->qhead = 0;
	}
	f->queue[(f->qhead + f->qlen) % f->qcap] = (struct frontier_item){url, depth};
	f->qlen++;
	return 0;
}

int frontier_push(struct frontier *f, const char *url, unsigned depth, bool *ret_added)
{
	size_t i = frontier_find(f->slots, f->nslots, url);
	if (f->slots[i]) {
		if (ret_added)
			*ret_added = false;
		return 0;
	}
	if (f->seen >= f->max_urls)
		return ERR_TOO_BIG;
	char *copy = strdup(url);
	if (!copy)
		return -ENOMEM;
	int rc = frontier_enqueue(f, copy, depth);
	if (rc) {
		free(copy);
		return rc;
	}
	f->slots[i] = copy;
	f->seen++;
	if (f->seen * 2 > f->nslots && (rc = frontier_rehash(f)) != 0)
		return rc; /* the URL is queued and seen; only the table's growth failed */
	if (ret_added)
		*ret_added = true;
	return 0;
}

int frontier_pop(struct frontier *f, char **ret_url, unsigned *ret_depth)
{
	if (f->qlen == 0)
		return ERR_NOT_FOUND;
	struct frontier_item it = f->queue[f->qhead];
	char *url = strdup(it.url);
	if (!url)
		return -ENOMEM;
	f->qhead = (f->qhead + 1) % f->qcap;
	f->qlen--;
	*ret_url = url;
	if (ret_depth)
		*ret_depth = it.depth;
	return 0;
}

size_t frontier_queued(const struct frontier *f)
{
	return f->qlen;
}

size_t frontier_seen(const struct frontier *f)
{
	return f->seen;
}
