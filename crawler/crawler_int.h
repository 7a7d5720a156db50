/* SPDX-License-Identifier: MIT */
/* What the crawler's own files share: the fetcher over curl multi, the frontier and the address
 * guard. Not part of the module's interface (crawl.h is); unit tests may use it.
 */
#ifndef PATROL_CRAWLER_INT_H
#define PATROL_CRAWLER_INT_H

#include "common/buf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* --- guard.c: which server addresses a crawl may connect to --- */

/* True when sa is a public unicast address, or allow_private is set and sa is loopback,
 * private, link-local or otherwise not globally routable. Unspecified, multicast and broadcast
 * addresses are never allowed. */
bool crawler__addr_allowed(const struct sockaddr *sa, bool allow_private);

/* --- frontier.c: the queue of URLs to fetch, and the set of URLs already seen --- */

struct frontier;

int frontier_new(size_t max_urls, struct frontier **ret_frontier);
void frontier_free(struct frontier *f);
/* Queues url at depth unless it was seen before. *ret_added tells which (may be NULL).
 * ERR_TOO_BIG when max_urls URLs are already known. */
int frontier_push(struct frontier *f, const char *url, unsigned depth, bool *ret_added);
/* Takes the oldest queued URL: the caller frees *ret_url. ERR_NOT_FOUND when empty. */
int frontier_pop(struct frontier *f, char **ret_url, unsigned *ret_depth);
size_t frontier_queued(const struct frontier *f);
size_t frontier_seen(const struct frontier *f);

/* --- fetch.c: transfers in flight on one curl multi handle --- */

struct fetch;

struct fetch_opts {
	const char *user_agent;
	const char *from;         /* the From header (an operator's address), or NULL */
	const char *proxy;        /* NULL: libcurl reads the environment (http_proxy, ...) */
	bool allow_private;
	long connect_timeout_ms;
	long timeout_ms;
	long low_speed_bytes;     /* slower than this many bytes a second... */
	long low_speed_seconds;   /* ...for this long, and the transfer is dropped */
	size_t max_body;
	const char *connect_to;   /* see crawl_opts */
};

enum fetch_status {
	FETCH_DONE,     /* a response arrived: see http_status */
	FETCH_TOO_BIG,  /* the body passed max_body; what arrived is in body */
	FETCH_REFUSED,  /* the address guard refused every address of the host */
	FETCH_TIMEOUT,  /* the total time or the low-speed limit ran out */
	FETCH_FAILED,   /* DNS, connect, TLS, protocol error: see error */
};

/* A conditional request: validators from the last visit, or NULL/"" for none. */
struct fetch_cond {
	const char *etag;
	const char *last_modified;
};

struct fetch_result {
	const char *url;          /* as passed to fetch_add */
	void *ud;                 /* as passed to fetch_add */
	enum fetch_status status;
	long http_status;
	const char *content_type; /* "" when none */
	const char *location;     /* the Location header of a redirect, resolved; "" when none */
	const char *etag;         /* response validators and directives, "" when absent */
	const char *last_modified;
	const char *x_robots_tag;
	long retry_after_s;       /* Retry-After in seconds (either form), -1 when absent */
	const char *body;         /* decompressed, NUL-terminated; len bytes */
	size_t len;
	const char *error;        /* libcurl's reason when the transfer failed, else "" */
	void *priv;               /* the fetcher's; see fetch_result_take_body */
};

/* Called for each finished transfer; r is valid during the call only. */
typedef int (*fetch_done_fn)(struct fetch_result *r, void *ud);

int fetch_new(const struct fetch_opts *o, struct fetch **ret_fetch);
/* Frees the fetcher, abandoning transfers still in flight. NULL does nothing. */
void fetch_free(struct fetch *f);
/* Starts fetching url, conditionally when cond has validators (may be NULL). ud comes back in
 * the result. */
int fetch_add(struct fetch *f, const char *url, const struct fetch_cond *cond, void *ud);
size_t fetch_in_flight(const struct fetch *f);
/* Waits up to timeout_ms for progress, then reports every finished transfer to done. A non-zero
 * return of done stops the reporting and is returned. */
int fetch_poll(struct fetch *f, int timeout_ms, fetch_done_fn done, void *ud);
/* Wakes a fetch_poll waiting in another thread. */
void fetch_wakeup(struct fetch *f);
/* Moves the body out of r, so it can outlive the callback: a NUL-terminated malloc'd string of
 * r->len bytes the caller frees. r->body becomes "". NULL when out of memory. */
char *fetch_result_take_body(struct fetch_result *r);

/* --- queue.c: bounded queues between the crawl's threads --- */

struct queue {
	void **items;
	size_t cap, head, len;
	bool closed;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
};

int queue_init(struct queue *q, size_t cap);
void queue_done(struct queue *q);
/* Blocks while the queue is full. ERR_USAGE once the queue is closed (the item stays the
 * caller's). */
int queue_push(struct queue *q, void *item);
/* Waits up to timeout_ms (-1: no limit). -ETIMEDOUT, or ERR_NOT_FOUND when closed and empty;
 * items pushed before the close are still handed out. */
int queue_pop(struct queue *q, int timeout_ms, void **ret_item);
void queue_close(struct queue *q);
size_t queue_len(struct queue *q);

#endif
