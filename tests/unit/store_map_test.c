/* SPDX-License-Identifier: MIT */
/* A store whose map is full when it is opened: index/ built with a 1 MiB first map
 * (tests/meson.build), so a few megabytes of frontier make a store that a migration cannot
 * rewrite inside the map LMDB gives it (the size of its data). store_open must grow the map and
 * migrate, not fail for good. The schema 4 store is made from a schema 5 one with raw LMDB calls
 * while no store handle is open, then copied compacted, so it has no free pages to reuse.
 */
#include "common/err.h"
#include "index/store.h"
#include "store_util.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define NURLS 20000
#define BATCH 500
#define OLD_KEY 32 /* schema 4's seen key: the URL's SHA-256 */

static void url_of(size_t i, char *out, size_t len)
{
	snprintf(out, len, "http://forum.example/thread-%06zu.html?page=%zu&order=oldest", i,
		 i % 7);
}

/* Pushes URLs [from, to) in one transaction: 0, or -ENOSPC when the map is full (nothing
 * written, as a caller of the store would then grow it and try again). */
static int push_batch(struct store *s, uint64_t gen, size_t from, size_t to)
{
	struct store_txn *t = NULL;
	char url[128];
	assert_int_equal(store_write_begin(s, &t), 0);
	for (size_t i = from; i < to; i++) {
		enum store_push pushed;
		url_of(i, url, sizeof(url));
		struct store_frontier_entry e = {
			.url = url, .host = "forum.example:80", .venue = "v",
			.priority = STORE_PRIO_LINK};
		int rc = store_frontier_push(t, gen, &e, &pushed);
		if (rc == -ENOSPC) {
			store_write_abort(t);
			return rc;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(pushed, STORE_PUSH_ADDED);
	}
	return store_write_commit(t);
}

static uint64_t fill(struct store *s)
{
	struct store_txn *t = NULL;
	uint64_t gen = 0;
	assert_int_equal(store_write_begin(s, &t), 0);
	assert_int_equal(store_crawl_begin(t, 1000, &gen, NULL), 0);
	assert_int_equal(store_write_commit(t), 0);
	for (size_t i = 0; i < NURLS;) {
		int rc = push_batch(s, gen, i, i + BATCH);
		if (rc == -ENOSPC) {
			assert_int_equal(store_grow(s), 0);
			continue;
		}
		assert_int_equal(rc, 0);
		i += BATCH;
	}
	return gen;
}

/* Every seen record back under its schema 4 key (the digest that ends its schema 5 key), the
 * schema version 4, and the whole copied compacted into copy. */
static void make_schema4_compact(const char *dir, const char *copy)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi seen, meta;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0, cap = NURLS;
	uint8_t(*keys)[OLD_KEY + 128] = calloc(cap, sizeof(*keys));
	size_t *lens = calloc(cap, sizeof(*lens));
	assert_non_null(keys);
	assert_non_null(lens);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, (size_t)256 << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "seen", 0, &seen), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_cursor_open(txn, seen, &cur), 0);
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
		assert_true(n < cap && k.mv_size > OLD_KEY && k.mv_size <= sizeof(keys[0]));
		memcpy(keys[n], k.mv_data, k.mv_size);
		lens[n++] = k.mv_size;
	}
	mdb_cursor_close(cur);
	assert_int_equal(n, NURLS);
	for (size_t i = 0; i < n; i++) {
		uint8_t val[512];
		k = (MDB_val){lens[i], keys[i]};
		assert_int_equal(mdb_get(txn, seen, &k, &v), 0);
		assert_true(v.mv_size <= sizeof(val));
		memcpy(val, v.mv_data, v.mv_size);
		v.mv_data = val;
		assert_int_equal(mdb_del(txn, seen, &k, NULL), 0);
		MDB_val old = {OLD_KEY, keys[i] + lens[i] - OLD_KEY};
		assert_int_equal(mdb_put(txn, seen, &old, &v, 0), 0);
	}
	MDB_val sk = {14, (char *)"schema_version"}, sv = {1, (char *)"4"};
	assert_int_equal(mdb_put(txn, meta, &sk, &sv, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_int_equal(mkdir(copy, 0700), 0);
	assert_int_equal(mdb_env_copy2(env, copy, MDB_CP_COMPACT), 0);
	mdb_env_close(env);
	free(keys);
	free(lens);
}

/* Schema 4 to 5 rewrites every seen record in one transaction; the compacted store has no room
 * for that in the map LMDB gives it. store_open grows the map and the migration goes through,
 * every URL still seen in its crawl. */
static void test_migration_grows_the_map(void **state)
{
	struct store_fixture *f = *state;
	char copy[sizeof(f->dir) + 8];
	store_fixture_open(f);
	uint64_t gen = fill(f->s);
	store_close(f->s);
	f->s = NULL;
	snprintf(copy, sizeof(copy), "%s.copy", f->dir);
	make_schema4_compact(f->dir, copy);

	char err[256];
	int rc = store_open(copy, &f->s, err, sizeof(err));
	if (rc)
		fail_msg("store_open: %s (%s)", err, err_str(rc));
	assert_string_equal(err, "");
	struct store_txn *t = NULL;
	char url[128];
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (size_t i = 0; i < NURLS; i += 997) {
		enum store_push pushed;
		url_of(i, url, sizeof(url));
		struct store_frontier_entry e = {
			.url = url, .host = "forum.example:80", .venue = "v",
			.priority = STORE_PRIO_LINK};
		assert_int_equal(store_frontier_push(t, gen, &e, &pushed), 0);
		assert_int_equal(pushed, STORE_PUSH_SEEN);
	}
	store_write_abort(t);
}

static int setup(void **state)
{
	return store_fixture_setup(state, "storemap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migration_grows_the_map, setup,
						store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
