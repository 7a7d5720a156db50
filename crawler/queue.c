/* SPDX-License-Identifier: MIT */
/* A bounded queue of pointers between the crawl's threads: one mutex, two condition variables.
 * A full queue blocks the producer, so a slow stage slows the one before it instead of letting
 * memory grow; closing it wakes everyone. A consumer that takes items in batches can ask to be
 * woken only once enough are there (queue_pop_batch).
 */
#include "crawler/crawler_int.h"

#include "common/err.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int queue_init(struct queue *q, size_t cap)
{
	q->items = calloc(cap, sizeof(*q->items));
	if (!q->items)
		return -ENOMEM;
	q->cap = cap;
	q->head = q->len = 0;
	q->want = 1;
	q->closed = false;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return 0;
}

void queue_done(struct queue *q)
{
	if (!q->items)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
	q->items = NULL;
}

int queue_push(struct queue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	int rc = ERR_USAGE;
	if (!q->closed) {
		q->items[(q->head + q->len) % q->cap] = item;
		q->len++;
		if (q->len >= q->want)
			pthread_cond_signal(&q->not_empty);
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static struct timespec deadline_in(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Waits at most timeout_ms (-1: for ever) for an item. */
int queue_pop(struct queue *q, int timeout_ms, void **ret_item)
{
	struct timespec deadline = deadline_in(timeout_ms < 0 ? 0 : timeout_ms);
	pthread_mutex_lock(&q->lock);
	int rc = 0;
	while (q->len == 0 && !q->closed && rc == 0)
		rc = timeout_ms < 0 ? pthread_cond_wait(&q->not_empty, &q->lock)
				    : pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline);
	if (q->len > 0) {
		*ret_item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		pthread_cond_signal(&q->not_full);
		rc = 0;
	} else {
		rc = q->closed ? ERR_NOT_FOUND : -ETIMEDOUT;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Every wake-up of a consumer costs a context switch and, on a busy machine, preempts a thread
 * doing real work: waking the writer for each page was a third of a crawl's context switches.
 * So after the first item the consumer waits, up to wait_ms, until min are there, and producers
 * signal only then (q->want). */
int queue_pop_batch(struct queue *q, void **items, size_t max, size_t min, int wait_ms,
		    size_t *ret_n)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->len < min && !q->closed && wait_ms > 0) {
		struct timespec deadline = deadline_in(wait_ms);
		q->want = min;
		while (q->len < min && !q->closed &&
		       pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline) == 0)
			;
		q->want = 1;
	}
	size_t n = 0;
	for (; n < max && q->len > 0; n++) {
		items[n] = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	if (n)
		pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	*ret_n = n;
	return n ? 0 : ERR_NOT_FOUND;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

size_t queue_len(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}
