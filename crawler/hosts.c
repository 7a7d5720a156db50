/* SPDX-License-Identifier: MIT */
/* The hosts a crawl talks to, and the politeness it owes each: at most `connections` transfers
 * at once, at least `delay` between request starts (the larger of the venue's delay and the
 * host's Crawl-delay, capped), and an exponential back-off after 429 and 503 that Retry-After
 * can lengthen. Held in memory by the scheduler thread alone: one entry per host, never per URL.
 */
#include "crawler/crawler_int.h"

#include "crawler/robots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_BACKOFF_MIN_MS 1000
#define HOSTS_BACKOFF_MAX_MS (10 * 60 * 1000)

static uint64_t hosts_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

int hosts_init(struct hosts *t)
{
	t->nslots = 64;
	t->n = 0;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

static void host_free(struct host *h)
{
	robots_free(h->robots);
	free(h->key);
	free(h);
}

void hosts_done(struct hosts *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			host_free(t->slots[i]);
	free(t->slots);
	t->slots = NULL;
}

static size_t hosts_slot(struct host **slots, size_t nslots, const char *key)
{
	size_t i = hosts_hash(key) & (nslots - 1);
	while (slots[i] && strcmp(slots[i]->key, key) != 0)
		i = (i + 1) & (nslots - 1);
	return i;
}

static int hosts_grow(struct hosts *t)
{
	size_t n = t->nslots * 2;
	struct host **slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i])
			slots[hosts_slot(slots, n, t->slots[i]->key)] = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

struct host *hosts_find(struct hosts *t, const char *key)
{
	return t->slots[hosts_slot(t->slots, t->nslots, key)];
}

/* The host called key, created on first sight with the politeness of venue v. */
int hosts_get(struct hosts *t, const char *key, unsigned delay_ms, unsigned connections,
	      struct host **ret_host)
{
	size_t i = hosts_slot(t->slots, t->nslots, key);
	if (t->slots[i]) {
		*ret_host = t->slots[i];
		return 0;
	}
	struct host *h = calloc(1, sizeof(*h));
	if (!h || !(h->key = strdup(key))) {
		free(h);
		return -ENOMEM;
	}
	h->delay_ms = delay_ms;
	h->connections = connections ? connections : 1;
	t->slots[i] = h;
	t->n++;
	*ret_host = h;
	if (t->n * 2 > t->nslots)
		return hosts_grow(t); /* h is in the table either way */
	return 0;
}

/* True when a request may start on h at now_ms; otherwise *ret_wait_ms says how long until. */
bool host_ready(const struct host *h, int64_t now_ms, int64_t *ret_wait_ms)
{
	int64_t at = h->next_start_ms > h->backoff_until_ms ? h->next_start_ms
							    : h->backoff_until_ms;
	if (h->in_flight >= h->connections) {
		*ret_wait_ms = -1; /* until a transfer of this host ends */
		return false;
	}
	if (at > now_ms) {
		*ret_wait_ms = at - now_ms;
		return false;
	}
	return true;
}

/* The venue's delay, or the host's Crawl-delay when longer (up to the cap). */
static unsigned host_delay(const struct host *h, unsigned crawl_delay_cap_ms)
{
	unsigned delay = h->delay_ms;
	unsigned robots_delay = h->robots ? robots_crawl_delay_ms(h->robots) : 0;
	if (robots_delay > crawl_delay_cap_ms)
		robots_delay = crawl_delay_cap_ms;
	return robots_delay > delay ? robots_delay : delay;
}

void host_started(struct host *h, int64_t now_ms, unsigned crawl_delay_cap_ms)
{
	h->in_flight++;
	h->next_start_ms = now_ms + host_delay(h, crawl_delay_cap_ms);
}

/* The delay also runs from the end of each response, as the server saw it: a slow answer does
 * not let the next request follow it at once (the server may have been slow because it is
 * busy), and the server never sees two requests closer than the delay. */
void host_finished(struct host *h, int64_t now_ms, unsigned crawl_delay_cap_ms)
{
	int64_t next = now_ms + host_delay(h, crawl_delay_cap_ms);
	if (h->in_flight)
		h->in_flight--;
	if (next > h->next_start_ms)
		h->next_start_ms = next;
}

/* A 429 or 503: wait longer each time, at least what Retry-After asks (within the cap). */
void host_back_off(struct host *h, int64_t now_ms, long retry_after_s)
{
	int64_t wait = (int64_t)HOSTS_BACKOFF_MIN_MS << (h->backoffs < 10 ? h->backoffs : 10);
	if (retry_after_s >= 0 && retry_after_s * 1000 > wait)
		wait = retry_after_s * 1000;
	if (wait > HOSTS_BACKOFF_MAX_MS)
		wait = HOSTS_BACKOFF_MAX_MS;
	h->backoffs++;
	h->backoff_until_ms = now_ms + wait;
}

void host_answered(struct host *h)
{
	h->backoffs = 0;
}
