/* SPDX-License-Identifier: MIT */
/* What the review commands (hits, hit show, review, export, purge) share: the hit filter options
 * and their parsing into a store_hit_query, times as users type them, and a hit as DESIGN.md §4's
 * JSON object. cli/ only.
 */
#ifndef PATROL_CLI_HITFMT_H
#define PATROL_CLI_HITFMT_H

#include "index/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* getopt_long codes of the filter options; HITFMT_FILTER_OPTIONS goes into a command's table. */
enum {
	HITFMT_OPT_STATUS = 1000,
	HITFMT_OPT_VENUE,
	HITFMT_OPT_RULE,
	HITFMT_OPT_CATEGORY,
	HITFMT_OPT_SEVERITY,
	HITFMT_OPT_SINCE,
	HITFMT_OPT_UNTIL,
	HITFMT_OPT_SORT,
	HITFMT_OPT_LIMIT,
};
#define HITFMT_FILTER_OPTIONS                                                                      \
	{"status", required_argument, NULL, HITFMT_OPT_STATUS},                                    \
		{"venue", required_argument, NULL, HITFMT_OPT_VENUE},                              \
		{"rule", required_argument, NULL, HITFMT_OPT_RULE},                                \
		{"category", required_argument, NULL, HITFMT_OPT_CATEGORY},                        \
		{"severity", required_argument, NULL, HITFMT_OPT_SEVERITY},                        \
		{"since", required_argument, NULL, HITFMT_OPT_SINCE},                              \
		{"until", required_argument, NULL, HITFMT_OPT_UNTIL},                              \
		{"sort", required_argument, NULL, HITFMT_OPT_SORT},                                \
	{                                                                                          \
		"limit", required_argument, NULL, HITFMT_OPT_LIMIT                                 \
	}

/* The help text of the filter options, for a command's --help. */
extern const char hitfmt_filter_help[];

/* Applies filter option c with argument arg to q (arg is kept: it must outlive q). Returns 1 when
 * c is a filter option and arg is good, 0 when c is not a filter option, -1 after printing a
 * usage error for cmd. */
int hitfmt_filter_opt(const char *cmd, int c, const char *arg, struct store_hit_query *q);

/* A time as typed: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC), @EPOCH, or N followed by s, m,
 * h or d for that long before now. A bare date is its first second, or with end its last.
 * -1 when it is none of these. */
int hitfmt_time_parse(const char *s, int64_t now, bool end, int64_t *ret);

/* The hit as DESIGN.md §4's "hits" object, then pack and the fields E's schema adds; a new
 * reference, NULL when out of memory. */
json_t *hitfmt_json(const struct store_hit *h);

/* hitfmt_json and then "canonical": the <link rel=canonical> of the hit's page as stored, null
 * when it has none or is not stored. NULL with *ret_rc set on failure (-ENOMEM, the store's). */
json_t *hitfmt_json_canonical(struct store *store, const struct store_hit *h, int *ret_rc);

/* The snippet with the first occurrence of the match between >> and << (plain snippet when the
 * match is not in it); malloc'd, NULL when out of memory. */
char *hitfmt_marked(const struct store_hit *h);

/* A hit id as typed ("42" or "#42"); -1 after printing a usage error for cmd. */
int hitfmt_parse_id(const char *cmd, const char *arg, uint64_t *ret);

#endif
