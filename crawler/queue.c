/* SPDX-License-Identifier: MIT */
/* A bounded queue of pointers between the crawl's threads: one mutex, two condition variables.
 * A full queue blocks the producer, so a slow stage slows the one before it instead of letting
 * memory grow; closing it wakes everyone.
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
		pthread_cond_signal(&q->not_empty);
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Waits at most timeout_ms (-1: for ever) for an item. */
int queue_pop(struct queue *q, int timeout_ms, void **ret_item)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
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
