/* SPDX-License-Identifier: MIT */
/* What the store's unit tests share: a store in a temporary directory that the test's teardown
 * removes. Tests only.
 */
#ifndef PATROL_TESTS_STORE_UTIL_H
#define PATROL_TESTS_STORE_UTIL_H

struct store;

struct store_fixture {
	char root[256]; /* the temporary directory, removed after the test */
	char dir[300];	/* the store inside it (not created until opened) */
	struct store *s;
};

/* cmocka setup: a fixture in *state with a fresh temporary directory named after prefix; the
 * store is not opened. -1 on failure. */
int store_fixture_setup(void **state, const char *prefix);
/* cmocka setup that also opens the store. */
int store_fixture_setup_open(void **state, const char *prefix);
/* cmocka teardown: closes the store, removes the directory, frees the fixture. */
int store_fixture_teardown(void **state);
/* Opens f->dir into f->s; fails the test, saying why, when it cannot. */
void store_fixture_open(struct store_fixture *f);
/* Closes f->s (if open) and opens it again. */
void store_fixture_reopen(struct store_fixture *f);

#endif
