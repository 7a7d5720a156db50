/* SPDX-License-Identifier: MIT */
/* Early warning (docs/alerts.md, "Early warning"): hits per day, per venue and category, from the
 * store's hits (first_seen), against the venue's own history; a spike raises a `spike` alert (a
 * new scam wave), a venue that went dark a `venue` alert (robots.txt now disallows everything,
 * DNS/TLS failures, or pages fetched dropping below drop_factor x the previous run's, from the
 * runs database). Alerts go through alert.h's senders, each at most once per target and day.
 * Days are UTC. No globals; one call at a time per store.
 */
#ifndef PATROL_CRAWLER_TRENDS_H
#define PATROL_CRAWLER_TRENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alert_opts;
struct alert_report;
struct early_warning_settings;
struct store;

#define TRENDS_MAX_DAYS	  366  /* days one series holds */
#define TRENDS_MAX_SERIES 4096 /* venue and category pairs; more are counted in no series */

/* One venue's hits in one category, per day: counts[i] is day first_day + i (UTC days since
 * the epoch), counts[ndays - 1] today. */
struct trends_series {
	char *venue, *category;
	uint32_t counts[TRENDS_MAX_DAYS];
};

struct trends {
	struct trends_series *series; /* sorted by venue, then category */
	size_t n;
	size_t ndays;
	int64_t first_day;
	uint64_t dropped; /* hits of pairs past TRENDS_MAX_SERIES */
};

/* The last days days (1..TRENDS_MAX_DAYS) up to and including the day of now, of venue (NULL:
 * every venue), from every hit whatever its status. Free with trends_done. Errors: ERR_USAGE,
 * ERR_STORE, -ENOMEM. */
int trends_collect(struct store *s, const char *venue, unsigned days, int64_t now,
		   struct trends *ret);
void trends_done(struct trends *t);

/* The spike rule on one series of n days, the last one today: today's count is above
 * ew->spike_factor x the mean of the ew->history_days days before it (fewer when the series is
 * shorter; days before the first are not there, not zeros) and at least ew->spike_min_hits.
 * *ret_mean (may be NULL): that mean. False for n < 2. */
bool trends_spike(const uint32_t *counts, size_t n, const struct early_warning_settings *ew,
		  double *ret_mean);

/* What trends_warn found and sent. */
struct trends_report {
	uint64_t spikes;  /* venue and category pairs spiking today */
	uint64_t dark;	  /* venues gone dark in their last run */
	uint64_t sent;	  /* alert messages delivered, over all targets */
	uint64_t failed;  /* ...and failed (tried again at the next call) */
};

/* Checks every venue (ids, n of them) for spikes today and for going dark in its last run, and
 * sends each finding to the targets of o as a `spike` or `venue` alert (JSON for webhooks and
 * commands, text for mail; each at most once per target, venue, category and day, recorded in
 * the alerts database). Targets' venue filters apply; a spike also honours category filters.
 * Send failures are counted, not errors. Errors: the store's, -ENOMEM. */
int trends_warn(struct store *s, const char *const *venues, size_t n,
		const struct early_warning_settings *ew, const struct alert_opts *o, int64_t now,
		struct trends_report *ret);

#endif
