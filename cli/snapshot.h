/* SPDX-License-Identifier: MIT */
/* What patrol takes snapshots for without being asked (cmd_snapshot.c; docs/snapshots.md,
 * "Policy"): patrol.yaml's evidence.screenshots, the review UI's button, the hits a review
 * confirms and the new hits of a crawl. The renderer itself and the policy type are in cli.h.
 * Everything here runs in the calling thread; a rendering is a child process.
 */
#ifndef PATROL_CLI_SNAPSHOT_H
#define PATROL_CLI_SNAPSHOT_H

#include "cli/cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crawler_settings;
/* The policy patrol.yaml's evidence.screenshots sets (crawler/venue.h; default confirmed). */
enum cli_snapshot_policy cli_snapshot_policy_of(const struct crawler_settings *s);
/* cli_snapshot_hit (cli.h) whatever the hit's status, and again when a snapshot is stored (the
 * review UI's button, like patrol snapshot --force). */
int cli_snapshot_take(struct store *store, uint64_t id, int timeout_s, char *why, size_t whylen);
/* Whether there is a browser to render with: $PATROL_CHROMIUM, else chromium in $PATH. */
bool cli_snapshot_available(void);
/* After a crawl, evidence.screenshots: all: each hit first seen at or after since (epoch
 * seconds) and still new gets a snapshot, newest first, one rendering at a time in the calling
 * thread. At most CLI_SNAPSHOT_AUTO_MAX a crawl; it stops early after CLI_SNAPSHOT_AUTO_FAILS
 * failures in a row or on SIGINT/SIGTERM (cli_crawl_signal). Any other policy: nothing. A
 * failed hit does not stop the others; *ret counts them. Errors: -ENOENT (no browser), store
 * errors. */
#define CLI_SNAPSHOT_AUTO_MAX	20
#define CLI_SNAPSHOT_AUTO_FAILS 3
struct cli_snapshot_batch {
	size_t tried, rendered, failed;
	size_t left;	       /* new hits not tried: over the cap, or stopped early */
	uint64_t first_failed; /* the first hit that failed, and why */
	char why[160];
};
int cli_snapshot_new_hits(struct store *store, enum cli_snapshot_policy policy, int64_t since,
			  struct cli_snapshot_batch *ret);
/* cli_snapshot_new_hits under reg's policy, told on stderr for patrol crawl: how many were
 * taken, failures and what was left as warnings. */
void cli_snapshot_after_crawl(const struct cli *cli, struct store *store,
			      const struct venue_registry *reg, int64_t since);

#endif
