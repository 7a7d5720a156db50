/* SPDX-License-Identifier: MIT */
/* Re-matching (patrol rematch): runs a rule set over the responses the store kept as evidence,
 * without fetching, so a rule author sees what a new or changed rule would have flagged.
 *
 * Each stored response goes through the crawl's own path (crawl__work_page: charset, the
 * venue's post profiles, rules_match_doc), and new hits are stored as a crawl stores them, with
 * the same identity (rule + URL + match): a hit the store has already is left as it is, so a
 * rematch with unchanged rules adds and changes nothing. Evidence exists only for pages that
 * produced a hit when they were crawled: pages that never did are not re-matched.
 * Single-threaded; it writes in short write transactions, so it may run beside a crawl.
 */
#ifndef PATROL_CRAWLER_REMATCH_H
#define PATROL_CRAWLER_REMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules_set;
struct store;
struct store_hit;
struct venue_registry;

#define REMATCH_MAX_RESPONSES (1u << 20) /* stored responses one rematch looks at */

/* A hit that rematch stored, or with dry_run would store: borrowed for the call. hit->id is 0
 * in a dry run. A non-zero return stops the rematch and is returned. */
typedef int (*rematch_hit_fn)(const struct store_hit *hit, void *ud);

struct rematch_opts {
	/* The venues (their post profiles; crawler settings). Pages of an "adhoc-" venue (patrol
	 * crawl --seed) get theirs added, as the crawl did; pages of other venues the registry
	 * lacks are skipped and counted. */
	struct venue_registry *registry;
	const char *venue;   /* only this venue's pages; NULL for all */
	int64_t since;	     /* only responses last seen at or after this (epoch s); 0 for all */
	bool dry_run;	     /* store nothing; on_hit still hears of each hit */
	rematch_hit_fn on_hit; /* may be NULL */
	void *ud;
};

struct rematch_report {
	uint64_t responses;   /* stored responses matched */
	uint64_t skipped;     /* responses of venues not in the registry */
	uint64_t hits;	      /* hits found, known or not */
	uint64_t hits_new;    /* hits the store did not have (stored unless dry_run) */
	uint64_t rule_errors; /* responses on which a rule could not run (its other hits stand) */
};

/* Re-matches as o says with rules. *ret (may be NULL) is filled also on error, with what was
 * done. Errors, with a one-line reason in err: ERR_TOO_BIG (more than REMATCH_MAX_RESPONSES
 * responses selected), ERR_STORE (a response no longer has its digest, a corrupt record),
 * -ENOMEM, -errno. */
int rematch_run(const struct rematch_opts *o, const struct rules_set *rules, struct store *s,
		struct rematch_report *ret, char *err, size_t errlen);

#endif
