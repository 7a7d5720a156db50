/* SPDX-License-Identifier: MIT */
/* What the rule engine's unit tests share: one normalizer for every set they load, and loading a
 * pack from a string. Tests only.
 */
#ifndef PATROL_TESTS_RULES_UTIL_H
#define PATROL_TESTS_RULES_UTIL_H

struct buf;
struct rules_set;

/* cmocka group setup and teardown of the shared normalizer: building one per load would cost
 * 0.2 s each, seconds under sanitizers. */
int rules_util_group_setup(void **state);
int rules_util_group_teardown(void **state);

/* Loads yaml as "t.yaml" with the shared normalizer; returns the code and leaves the error
 * lines in *errors (initialized here; the caller frees it). */
int rules_util_load(const char *yaml, struct rules_set **set, struct buf *errors);
/* rules_util_load that must succeed: fails the test with the errors otherwise. */
struct rules_set *rules_util_load_ok(const char *yaml);

#endif
