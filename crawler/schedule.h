/* SPDX-License-Identifier: MIT */
/* The scheduler's one question: is a venue due for `patrol run` now, and if not, when? A venue
 * with schedule.every is due every_s (plus its jitter) after the start of its last complete
 * crawl, and then only inside one of its schedule.window ranges (UTC); a venue never crawled is
 * due at once. The clock is a parameter, so tests and `PATROL_NOW` (docs/operations.md) inject
 * the time; the last run comes from the store's runs database (store_run_venue_last).
 *
 * Pure functions: no I/O, no globals; any thread.
 */
#ifndef PATROL_CRAWLER_SCHEDULE_H
#define PATROL_CRAWLER_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct venue;

enum schedule_verdict {
	SCHEDULE_DUE,	      /* run it now */
	SCHEDULE_WAIT,	      /* crawled too recently: due at due_at */
	SCHEDULE_WINDOW,      /* due, but outside its windows: next window opens at opens_at */
	SCHEDULE_UNSCHEDULED, /* no schedule.every: only `patrol crawl` crawls it */
};

struct schedule_decision {
	enum schedule_verdict verdict;
	int64_t last_run; /* epoch seconds the last complete crawl started; 0 = never */
	int64_t due_at; /* epoch seconds it is (or was) due: last_run + every + jitter; 0 never run
			 */
	int64_t jitter_s; /* the jitter added, 0..venue's jitter_s */
	int64_t opens_at; /* SCHEDULE_WINDOW: when the next window opens; else 0 */
};

/* Decides for venue v at now (epoch seconds), given the start of its last complete crawl
 * (last_run, 0 for never). Always succeeds; *ret is filled. */
void schedule_decide(const struct venue *v, int64_t last_run, int64_t now,
		     struct schedule_decision *ret);

/* The jitter of v after a crawl started at last_run: 0..v->jitter_s seconds, from the SHA-256 of
 * the id and last_run, so one schedule is stable from run to run and venues spread apart. */
int64_t schedule_jitter(const struct venue *v, int64_t last_run);

/* Whether now (epoch seconds) is inside one of v's windows; true when it has none. When false
 * and ret_opens is not NULL, *ret_opens is the next time one opens. */
bool schedule_in_window(const struct venue *v, int64_t now, int64_t *ret_opens);

/* "due", "wait", "window", "unscheduled". */
const char *schedule_verdict_name(enum schedule_verdict verdict);

/* The shard of venue id among n (>= 1): the first 8 bytes of SHA-256(id), big-endian, mod n.
 * Stable across machines and versions, so `patrol run --shard K/N` on N hosts covers every venue
 * exactly once without coordination. */
unsigned schedule_shard(const char *venue_id, unsigned n);

#endif
