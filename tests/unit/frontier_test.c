/* SPDX-License-Identifier: MIT */
/* Tests of the frontier part of index/: queues, generations, leases, fetch state and the robots
 * cache, against a real LMDB environment in a fresh temporary directory per test. A crash is a
 * child process killed with SIGKILL after its commits; a schema-1 store is written with raw LMDB
 * calls while no store handle is open (LMDB allows one open handle per process).
 */
#include "common/digest.h"
#include "common/err.h"
#include "index/store.h"
#include "index/store_int.h"

#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

struct fixture {
	char root[256]; /* the temporary directory, removed after the test */
	char dir[300];	/* the store inside it */
	struct store *s;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* TMPDIR when set; otherwise /dev/shm when there is one, since every commit syncs and the
 * memory test commits two hundred times (durability is tested with SIGKILL, which a sync does
 * not change); otherwise /tmp. */
static const char *tmp_root(void)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp && *tmp)
		return tmp;
	return access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/patrol-frontier-XXXXXX", tmp_root());
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->s);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void open_store(struct fixture *f)
{
	char err[256];
	int rc = store_open(f->dir, &f->s, err, sizeof(err));
	if (rc)
		fail_msg("store_open: %s (%s)", err, err_str(rc));
}

static void close_store(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
}

static struct store_txn *wbegin(struct store *s)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_write_begin(s, &t), 0);
	return t;
}

static void wcommit(struct store_txn *t)
{
	assert_int_equal(store_write_commit(t), 0);
}

static uint64_t begin_crawl(struct store *s, bool want_resumed)
{
	struct store_txn *t = wbegin(s);
	uint64_t gen = 0;
	bool resumed = !want_resumed;
	assert_int_equal(store_crawl_begin(t, 1000, &gen, &resumed), 0);
	assert_int_equal(resumed, want_resumed);
	wcommit(t);
	return gen;
}

static bool push(struct store_txn *t, uint64_t gen, const char *url, const char *host, uint8_t prio,
		 int64_t due)
{
	struct store_frontier_entry e = {
		.url = url,
		.host = host,
		.venue = "forum-a",
		.depth = prio * 10u + 1,
		.priority = prio,
		.hops = (uint8_t)(prio + 3),
		.due = due,
	};
	enum store_push r = STORE_PUSH_TRAP;
	assert_int_equal(store_frontier_push(t, gen, &e, &r), 0);
	assert_true(r == STORE_PUSH_ADDED || r == STORE_PUSH_SEEN); /* no limit: never a trap */
	return r == STORE_PUSH_ADDED;
}

/* Pushes url as a link with max_query_variants max and says what the push did. */
static enum store_push push_capped(struct store_txn *t, uint64_t gen, const char *url,
				   uint32_t max)
{
	struct store_frontier_entry e = {
		.url = url, .host = "h:80", .priority = STORE_PRIO_LINK, .max_query_variants = max,
	};
	enum store_push r = 99;
	assert_int_equal(store_frontier_push(t, gen, &e, &r), 0);
	return r;
}

/* Takes the head of host and checks it is url; finishes it when asked. */
static void take_expect(struct store_txn *t, const char *host, const char *url, bool finish)
{
	struct store_frontier_item it;
	int rc = store_frontier_take(t, host, &it);
	if (rc)
		fail_msg("take %s: %s, wanted %s", host, err_str(rc), url);
	if (strcmp(it.url, url))
		fail_msg("take %s gave %s, wanted %s", host, it.url, url);
	assert_string_equal(it.venue, "forum-a");
	assert_int_equal(it.depth, it.priority * 10u + 1);
	assert_int_equal(it.hops, it.priority + 3);
	if (finish)
		assert_int_equal(store_frontier_finish(t, url), 0);
	store_frontier_item_done(&it);
	store_frontier_item_done(&it); /* a cleared item is fine */
	assert_null(it.url);
}

static void take_none(struct store_txn *t, const char *host)
{
	struct store_frontier_item it = {0};
	assert_int_equal(store_frontier_take(t, host, &it), ERR_NOT_FOUND);
	assert_null(it.url);
}

static void expect_counts(struct store *s, uint64_t queued, uint64_t leased)
{
	uint64_t q = 99, l = 99;
	assert_int_equal(store_frontier_count(s, &q, &l), 0);
	assert_int_equal(q, queued);
	assert_int_equal(l, leased);
}

/* ---- order ---- */

static void test_order_priority_then_fifo(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	assert_int_equal(gen, 1);
	struct store_txn *t = wbegin(f->s);
	/* Hosts that are prefixes of each other must not share a queue. */
	assert_true(push(t, gen, "http://a/l1", "a:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://ab/x", "ab:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, "http://a/l2", "a:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://a/r1", "a:80", STORE_PRIO_REDIRECT, 0));
	assert_true(push(t, gen, "http://a:8080/y", "a:8080", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, "http://a/l3", "a:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://a/s1", "a:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, "http://a/l4", "a:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://a/s2", "a:80", STORE_PRIO_SEED, 0));
	wcommit(t);

	t = wbegin(f->s);
	const char *want[] = {"http://a/s1", "http://a/s2", "http://a/r1", "http://a/l1",
			      "http://a/l2", "http://a/l3", "http://a/l4"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		take_expect(t, "a:80", want[i], true);
	take_none(t, "a:80");
	take_none(t, "a");
	take_none(t, "nosuch:80");
	take_expect(t, "ab:80", "http://ab/x", true);
	take_expect(t, "a:8080", "http://a:8080/y", true);
	wcommit(t);
	expect_counts(f->s, 0, 0);
}

static void test_due_orders_within_priority(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/late", "h:80", STORE_PRIO_LINK, 5000));
	assert_true(push(t, gen, "http://h/early", "h:80", STORE_PRIO_LINK, 2000));
	assert_true(push(t, gen, "http://h/now", "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://h/seed-later", "h:80", STORE_PRIO_SEED, 9000));
	struct store_frontier_item it;
	assert_int_equal(store_frontier_take(t, "h:80", &it), 0);
	assert_string_equal(it.url, "http://h/seed-later"); /* priority comes first */
	assert_int_equal(it.due, 9000);
	assert_int_equal(it.priority, STORE_PRIO_SEED);
	store_frontier_item_done(&it);
	take_expect(t, "h:80", "http://h/now", true);
	take_expect(t, "h:80", "http://h/early", true);
	assert_int_equal(store_frontier_take(t, "h:80", &it), 0);
	assert_string_equal(it.url, "http://h/late");
	assert_int_equal(it.due, 5000);
	store_frontier_item_done(&it);
	wcommit(t);
}

/* ---- seen and generations ---- */

static void test_seen_dedup_within_generation(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0)); /* queued */
	assert_false(push(t, gen, "http://h/1", "other:80", STORE_PRIO_SEED, 0));
	wcommit(t);
	expect_counts(f->s, 1, 0);

	t = wbegin(f->s);
	struct store_frontier_item it;
	assert_int_equal(store_frontier_take(t, "h:80", &it), 0);
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0)); /* leased */
	assert_int_equal(store_frontier_finish(t, it.url), 0);
	store_frontier_item_done(&it);
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0)); /* done */
	assert_int_equal(store_frontier_finish(t, "http://h/1"), ERR_NOT_FOUND);
	wcommit(t);
	expect_counts(f->s, 0, 0);

	/* Still seen after a reopen: it is on disk, not in memory. */
	close_store(f);
	open_store(f);
	t = wbegin(f->s);
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	store_write_abort(t);
}

static void test_new_generation_readmits(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, "http://h/2", "h:80", STORE_PRIO_LINK, 0));
	take_expect(t, "h:80", "http://h/1", true);
	take_expect(t, "h:80", "http://h/2", true);
	wcommit(t);

	uint64_t gen2 = begin_crawl(f->s, false);
	assert_int_equal(gen2, gen + 1);
	t = wbegin(f->s);
	/* The old generation is refused: it would make the seen marks lie. */
	struct store_frontier_entry e = {.url = "http://h/3", .host = "h:80"};
	assert_int_equal(store_frontier_push(t, gen, &e, NULL), ERR_USAGE);
	assert_true(push(t, gen2, "http://h/2", "h:80", STORE_PRIO_LINK, 0));
	assert_false(push(t, gen2, "http://h/2", "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen2, "http://h/1", "h:80", STORE_PRIO_SEED, 0));
	take_expect(t, "h:80", "http://h/1", true);
	take_expect(t, "h:80", "http://h/2", true);
	wcommit(t);
	assert_int_equal(begin_crawl(f->s, false), gen2 + 1);
}

/* A crawl that ended leaves URLs queued (a host that could not be crawled): the next crawl is a
 * new generation all the same, and those URLs stay queued once, not twice. */
static void test_ended_crawl_starts_over(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, "http://down/1", "down:80", STORE_PRIO_SEED, 0));
	take_expect(t, "h:80", "http://h/1", true);
	assert_int_equal(store_crawl_end(t), 0);
	wcommit(t);

	uint64_t gen2 = begin_crawl(f->s, false);
	assert_int_equal(gen2, gen + 1);
	t = wbegin(f->s);
	assert_true(push(t, gen2, "http://down/1", "down:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen2, "http://h/1", "h:80", STORE_PRIO_SEED, 0));
	wcommit(t);
	uint64_t queued = 0, leased = 0;
	assert_int_equal(store_frontier_count(f->s, &queued, &leased), 0);
	assert_int_equal(queued, 2); /* down/1 once, h/1 again */
	t = wbegin(f->s);
	take_expect(t, "down:80", "http://down/1", true);
	struct store_frontier_item it;
	assert_int_equal(store_frontier_take(t, "down:80", &it), ERR_NOT_FOUND);
	wcommit(t);
	/* Not ended: the next crawl resumes. */
	assert_int_equal(begin_crawl(f->s, true), gen2);
}

/* The first test of a crash: a store closed with leases outstanding. */
static void test_resume_returns_leases(void **state)
{
	struct fixture *f = *state;
	char url[64];
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	for (int i = 0; i < 6; i++) {
		snprintf(url, sizeof(url), "http://h/%d", i);
		assert_true(push(t, gen, url, "h:80", STORE_PRIO_LINK, 0));
	}
	assert_true(push(t, gen, "http://g/0", "g:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/0", true); /* finished: stays done */
	take_expect(t, "h:80", "http://h/1", false);
	take_expect(t, "h:80", "http://h/2", false);
	take_expect(t, "g:80", "http://g/0", false);
	wcommit(t);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/3", false); /* never committed */
	store_write_abort(t);
	expect_counts(f->s, 3, 3);
	close_store(f);

	open_store(f);
	expect_counts(f->s, 3, 3);
	assert_int_equal(begin_crawl(f->s, true), gen);
	expect_counts(f->s, 6, 0);
	t = wbegin(f->s);
	assert_false(push(t, gen, "http://h/0", "h:80", STORE_PRIO_LINK, 0));
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	for (int i = 1; i < 6; i++) {
		snprintf(url, sizeof(url), "http://h/%d", i);
		take_expect(t, "h:80", url, true);
	}
	take_none(t, "h:80");
	take_expect(t, "g:80", "http://g/0", true);
	wcommit(t);
	expect_counts(f->s, 0, 0);
	assert_int_equal(begin_crawl(f->s, false), gen + 1);
}

/* A crawl whose URLs are all taken but not all finished is unfinished too. */
static void test_resume_with_only_leases(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://h/2", "h:80", STORE_PRIO_LINK, 0));
	take_expect(t, "h:80", "http://h/1", true);
	take_expect(t, "h:80", "http://h/2", false);
	wcommit(t);
	expect_counts(f->s, 0, 1);
	assert_int_equal(begin_crawl(f->s, true), gen);
	expect_counts(f->s, 1, 0);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/2", true);
	wcommit(t);
	assert_int_equal(begin_crawl(f->s, false), gen + 1);
}

/* The second: a process killed with SIGKILL after some commits and in the middle of a batch. */
static void crash_child(const char *dir)
{
	struct store *s;
	struct store_txn *t;
	struct store_frontier_item it;
	char url[64];
	if (store_open(dir, &s, NULL, 0) || store_write_begin(s, &t) ||
	    store_crawl_begin(t, 1, NULL, NULL))
		_exit(2);
	for (int i = 0; i < 100; i++) {
		struct store_frontier_entry e = {.url = url,
						 .host = "h:80",
						 .venue = "forum-a",
						 .depth = STORE_PRIO_LINK * 10 + 1,
						 .hops = STORE_PRIO_LINK + 3,
						 .priority = STORE_PRIO_LINK};
		snprintf(url, sizeof(url), "http://h/%03d", i);
		if (store_frontier_push(t, 1, &e, NULL))
			_exit(3);
	}
	if (store_write_commit(t) || store_write_begin(s, &t))
		_exit(4);
	for (int i = 0; i < 3; i++)
		if (store_frontier_take(t, "h:80", &it))
			_exit(5);
	if (store_write_commit(t) || store_write_begin(s, &t) ||
	    store_frontier_take(t, "h:80", &it))
		_exit(6);
	raise(SIGKILL);
	_exit(7);
}

static void test_resume_after_kill(void **state)
{
	struct fixture *f = *state;
	char url[64];
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f->dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	open_store(f);
	expect_counts(f->s, 97, 3);
	assert_int_equal(begin_crawl(f->s, true), 1);
	expect_counts(f->s, 100, 0);
	struct store_txn *t = wbegin(f->s);
	for (int i = 0; i < 100; i++) {
		snprintf(url, sizeof(url), "http://h/%03d", i);
		take_expect(t, "h:80", url, true);
	}
	take_none(t, "h:80");
	wcommit(t);
}

/* ---- requeue ---- */

static void test_requeue_with_due(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://h/2", "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, "http://h/3", "h:80", STORE_PRIO_LINK, 0));
	take_expect(t, "h:80", "http://h/1", false);
	wcommit(t);
	expect_counts(f->s, 2, 1);

	t = wbegin(f->s);
	struct store_frontier_entry e = {.url = "http://h/1",
					 .host = "h:80",
					 .venue = "forum-a",
					 .depth = STORE_PRIO_LINK * 10 + 1,
					 .hops = STORE_PRIO_LINK + 3,
					 .priority = STORE_PRIO_LINK,
					 .due = 60000};
	assert_int_equal(store_frontier_requeue(t, &e), 0);
	/* No lease any more: a second requeue or a finish finds nothing, and changes nothing. */
	assert_int_equal(store_frontier_requeue(t, &e), ERR_NOT_FOUND);
	assert_int_equal(store_frontier_finish(t, "http://h/1"), ERR_NOT_FOUND);
	struct store_frontier_entry never = {.url = "http://h/9", .host = "h:80"};
	assert_int_equal(store_frontier_requeue(t, &never), ERR_NOT_FOUND);
	assert_false(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0)); /* queued again */
	wcommit(t);
	expect_counts(f->s, 3, 0);

	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/2", true);
	take_expect(t, "h:80", "http://h/3", true);
	struct store_frontier_item it;
	assert_int_equal(store_frontier_take(t, "h:80", &it), 0);
	assert_string_equal(it.url, "http://h/1");
	assert_int_equal(it.due, 60000);
	/* Requeued onto another host's queue, as the caller says. */
	e.host = "h2:80";
	e.due = 0;
	assert_int_equal(store_frontier_requeue(t, &e), 0);
	store_frontier_item_done(&it);
	take_none(t, "h:80");
	take_expect(t, "h2:80", "http://h/1", true);
	wcommit(t);
	expect_counts(f->s, 0, 0);
}

/* ---- counts and hosts ---- */

struct hosts_seen {
	int n;
	char host[8][32];
	uint64_t queued[8];
	int stop_after; /* 0 = never */
};

static int collect_host(const char *host, uint64_t queued, void *ud)
{
	struct hosts_seen *h = ud;
	if (h->n == 8)
		return -E2BIG;
	snprintf(h->host[h->n], sizeof(h->host[0]), "%s", host);
	h->queued[h->n++] = queued;
	return h->stop_after && h->n == h->stop_after ? 42 : 0;
}

static void test_counts_and_hosts(void **state)
{
	struct fixture *f = *state;
	struct hosts_seen h = {0};
	char url[64];
	open_store(f);
	expect_counts(f->s, 0, 0);
	assert_int_equal(store_frontier_hosts(f->s, collect_host, &h), 0);
	assert_int_equal(h.n, 0);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	const char *hosts[] = {"c.example:443", "a.example:443", "b.example:80"};
	for (int i = 0; i < 3; i++)
		for (int j = 0; j <= i; j++) {
			snprintf(url, sizeof(url), "https://%s/%d", hosts[i], j);
			assert_true(push(t, gen, url, hosts[i], STORE_PRIO_LINK, 0));
		}
	/* Reads see committed state only, not the open batch. */
	expect_counts(f->s, 0, 0);
	wcommit(t);
	expect_counts(f->s, 6, 0);
	assert_int_equal(store_frontier_hosts(f->s, collect_host, &h), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.host[0], "a.example:443");
	assert_int_equal(h.queued[0], 2);
	assert_string_equal(h.host[1], "b.example:80");
	assert_int_equal(h.queued[1], 3);
	assert_string_equal(h.host[2], "c.example:443");
	assert_int_equal(h.queued[2], 1);

	t = wbegin(f->s);
	take_expect(t, "c.example:443", "https://c.example:443/0", false);
	take_expect(t, "b.example:80", "https://b.example:80/0", true);
	wcommit(t);
	expect_counts(f->s, 4, 1);
	memset(&h, 0, sizeof(h));
	assert_int_equal(store_frontier_hosts(f->s, collect_host, &h), 0);
	assert_int_equal(h.n, 2); /* c has only a lease left: not listed */
	assert_string_equal(h.host[0], "a.example:443");
	assert_string_equal(h.host[1], "b.example:80");
	assert_int_equal(h.queued[1], 2);

	memset(&h, 0, sizeof(h));
	h.stop_after = 1;
	assert_int_equal(store_frontier_hosts(f->s, collect_host, &h), 42);
	assert_int_equal(h.n, 1);
	uint64_t q = 0;
	assert_int_equal(store_frontier_count(f->s, &q, NULL), 0);
	assert_int_equal(q, 4);
}

/* ---- fetch state ---- */

static struct store_fetch_state sample_state(void)
{
	struct store_fetch_state st = {
		.fetched_at = 1795000000123,
		.status = 200,
		.has_digest = true,
		.next_visit = 1795086400000,
		.gen = 777, /* ignored */
	};
	snprintf(st.etag, sizeof(st.etag), "%s", "W/\"5e1f-abc\"");
	snprintf(st.last_modified, sizeof(st.last_modified), "%s", "Tue, 15 Nov 1994 12:45:26 GMT");
	for (int i = 0; i < 32; i++)
		st.digest[i] = (uint8_t)(255 - i);
	return st;
}

static void test_fetch_state_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_fetch_state st = sample_state(), got;
	open_store(f);
	assert_int_equal(store_fetch_state_get(f->s, "http://h/1", &got), ERR_NOT_FOUND);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	/* Pushed but not fetched: no fetch state yet. */
	assert_int_equal(store_fetch_state_get(f->s, "http://h/1", &got), ERR_NOT_FOUND);

	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/1", false);
	assert_int_equal(store_fetch_state_put(t, "http://h/1", &st), 0);
	assert_int_equal(store_frontier_finish(t, "http://h/1"), 0);
	/* Fetched without a push: seen in this crawl, so a push is a no-op. */
	struct store_fetch_state plain = {.fetched_at = 5, .status = 404};
	assert_int_equal(store_fetch_state_put(t, "http://h/direct", &plain), 0);
	assert_false(push(t, gen, "http://h/direct", "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);

	assert_int_equal(store_fetch_state_get(f->s, "http://h/1", &got), 0);
	assert_int_equal(got.fetched_at, st.fetched_at);
	assert_int_equal(got.status, 200);
	assert_string_equal(got.etag, st.etag);
	assert_string_equal(got.last_modified, st.last_modified);
	assert_true(got.has_digest);
	assert_memory_equal(got.digest, st.digest, 32);
	assert_int_equal(got.next_visit, st.next_visit);
	assert_int_equal(got.gen, gen);
	assert_int_equal(store_fetch_state_get(f->s, "http://h/direct", &got), 0);
	assert_int_equal(got.status, 404);
	assert_false(got.has_digest);
	assert_string_equal(got.etag, "");
	assert_int_equal(got.gen, gen);

	/* A new crawl re-admits the URL and keeps its state for a conditional request. */
	uint64_t gen2 = begin_crawl(f->s, false);
	t = wbegin(f->s);
	assert_true(push(t, gen2, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	assert_int_equal(store_fetch_state_get(f->s, "http://h/1", &got), 0);
	assert_string_equal(got.etag, st.etag);
	assert_int_equal(got.gen, gen2);

	/* A 304 replaces the state; has_digest false clears the digest. */
	t = wbegin(f->s);
	st.status = 304;
	st.has_digest = false;
	st.etag[0] = '\0';
	assert_int_equal(store_fetch_state_put(t, "http://h/1", &st), 0);
	memset(st.etag, 'x', sizeof(st.etag)); /* no NUL inside the array */
	assert_int_equal(store_fetch_state_put(t, "http://h/1", &st), ERR_USAGE);
	assert_int_equal(store_fetch_state_put(t, "", &plain), ERR_USAGE);
	wcommit(t);
	assert_int_equal(store_fetch_state_get(f->s, "http://h/1", &got), 0);
	assert_int_equal(got.status, 304);
	assert_false(got.has_digest);
	assert_string_equal(got.etag, "");
	uint8_t zero[32] = {0};
	assert_memory_equal(got.digest, zero, 32);
	/* Still queued in gen2: the put did not change its place in the frontier. */
	expect_counts(f->s, 1, 0);

	/* Seen in gen1 only, fetched in gen2 without a push: now seen in gen2. */
	t = wbegin(f->s);
	assert_int_equal(store_fetch_state_put(t, "http://h/direct", &plain), 0);
	assert_false(push(t, gen2, "http://h/direct", "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	assert_int_equal(store_fetch_state_get(f->s, "http://h/direct", &got), 0);
	assert_int_equal(got.gen, gen2);
}

/* The seen key as docs/storage.md lays it out (schema 5): the URL's first 64 bytes after
 * "http://" or "https://", then the SHA-256 of the whole URL. Returns its length. */
static size_t seen_key_of(const char *url, uint8_t key[64 + DIGEST_LEN])
{
	size_t skip = 0;
	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	size_t n = strlen(url + skip) < 64 ? strlen(url + skip) : 64;
	memcpy(key, url + skip, n);
	assert_int_equal(digest_sha256(url, strlen(url), key + n), 0);
	return n + DIGEST_LEN;
}

/* The seen record as docs/storage.md lays it out: version 1, gen u64 LE, then the state byte
 * (1 queued, 2 leased, 3 done). Read raw, with the store closed. */
static void raw_seen(struct fixture *f, const char *url, uint64_t *ret_gen, int *ret_state)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t key[64 + DIGEST_LEN];
	close_store(f);
	size_t klen = seen_key_of(url, key);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "seen", 0, &dbi), 0);
	MDB_val k = {klen, key}, v;
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	const uint8_t *p = v.mv_data;
	assert_true(v.mv_size > 10);
	assert_int_equal(p[0], 2); /* version 2 since patrol run: the revisit interval at the end */
	uint64_t gen = 0;
	for (int i = 0; i < 8; i++)
		gen |= (uint64_t)p[1 + i] << (8 * i);
	*ret_gen = gen;
	*ret_state = p[9];
	mdb_txn_abort(txn);
	mdb_env_close(env);
	open_store(f);
}

static void expect_seen(struct fixture *f, const char *url, uint64_t gen, int st)
{
	uint64_t g;
	int state;
	raw_seen(f, url, &g, &state);
	assert_int_equal(g, gen);
	assert_int_equal(state, st);
}

static void test_seen_states(void **state)
{
	struct fixture *f = *state;
	struct store_frontier_entry e = {.url = "http://h/1",
					 .host = "h:80",
					 .venue = "forum-a",
					 .depth = STORE_PRIO_LINK * 10 + 1,
					 .hops = STORE_PRIO_LINK + 3,
					 .priority = STORE_PRIO_LINK,
					 .due = 7};
	struct store_fetch_state st = {.status = 200};
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://h/1", "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	expect_seen(f, "http://h/1", gen, 1);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/1", false);
	wcommit(t);
	expect_seen(f, "http://h/1", gen, 2);
	t = wbegin(f->s);
	assert_int_equal(store_frontier_requeue(t, &e), 0);
	assert_int_equal(store_fetch_state_put(t, "http://h/1", &st), 0); /* keeps the state */
	wcommit(t);
	expect_seen(f, "http://h/1", gen, 1);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/1", false);
	wcommit(t);
	assert_int_equal(begin_crawl(f->s, true), gen); /* the lease returns */
	expect_seen(f, "http://h/1", gen, 1);
	t = wbegin(f->s);
	take_expect(t, "h:80", "http://h/1", true);
	assert_int_equal(store_fetch_state_put(t, "http://h/2", &st), 0);
	wcommit(t);
	expect_seen(f, "http://h/1", gen, 3);
	expect_seen(f, "http://h/2", gen, 3);
}

/* ---- robots ---- */

static void test_robots_round_trip_and_cap(void **state)
{
	struct fixture *f = *state;
	const char body[] = "User-agent: *\nDisallow: /admin\n\0after a NUL\n";
	int64_t at = 0;
	int status = 0;
	char *got = NULL;
	size_t len = 0;
	open_store(f);
	assert_int_equal(store_robots_get(f->s, "h:80", &at, &status, &got, &len), ERR_NOT_FOUND);
	struct store_txn *t = wbegin(f->s);
	assert_int_equal(store_robots_put(t, "h:80", 1234, 200, body, sizeof(body) - 1), 0);
	assert_int_equal(store_robots_put(t, "gone:80", 1235, 404, NULL, 0), 0);
	assert_int_equal(store_robots_put(t, "bad:80", 1, 200, NULL, 3), ERR_USAGE);
	wcommit(t);

	assert_int_equal(store_robots_get(f->s, "h:80", &at, &status, &got, &len), 0);
	assert_int_equal(at, 1234);
	assert_int_equal(status, 200);
	assert_int_equal(len, sizeof(body) - 1);
	assert_memory_equal(got, body, len);
	assert_int_equal(got[len], '\0');
	free(got);
	got = NULL;
	assert_int_equal(store_robots_get(f->s, "gone:80", &at, &status, &got, &len), 0);
	assert_int_equal(status, 404);
	assert_int_equal(len, 0);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(store_robots_get(f->s, "h:8080", NULL, NULL, NULL, NULL), ERR_NOT_FOUND);
	len = 0;
	assert_int_equal(store_robots_get(f->s, "h:80", NULL, &status, NULL, &len), 0);
	assert_int_equal(len, sizeof(body) - 1);
	assert_int_equal(store_robots_get(f->s, "h:80", NULL, NULL, &got, NULL), ERR_USAGE);

	/* A body over the cap keeps its first STORE_ROBOTS_MAX bytes; a put replaces. */
	size_t big = STORE_ROBOTS_MAX + 100000;
	char *huge = malloc(big);
	assert_non_null(huge);
	for (size_t i = 0; i < big; i++)
		huge[i] = (char)('a' + i % 26);
	t = wbegin(f->s);
	assert_int_equal(store_robots_put(t, "h:80", 99, 200, huge, big), 0);
	wcommit(t);
	got = NULL;
	assert_int_equal(store_robots_get(f->s, "h:80", &at, &status, &got, &len), 0);
	assert_int_equal(at, 99);
	assert_int_equal(len, STORE_ROBOTS_MAX);
	assert_memory_equal(got, huge, STORE_ROBOTS_MAX);
	free(got);
	free(huge);
}

/* ---- the query-variants trap guard ---- */

/* At most max query strings per path are queued in a generation; the rest are refused and stay
 * unseen. The count is in the store: a reopened store, and a resumed crawl, go on counting; a
 * new generation starts over. */
static void test_query_variants_capped(void **state)
{
	struct fixture *f = *state;
	char url[64];
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	for (int i = 0; i < 5; i++) {
		snprintf(url, sizeof(url), "http://h/p?x=%d", i);
		assert_int_equal(push_capped(t, gen, url, 3), i < 3 ? STORE_PUSH_ADDED
								    : STORE_PUSH_TRAP);
	}
	assert_int_equal(push_capped(t, gen, "http://h/p?x=0", 3), STORE_PUSH_SEEN);
	assert_int_equal(push_capped(t, gen, "http://h/p?x=4", 3), STORE_PUSH_TRAP);
	/* Other paths, the path without a query, and pushes without a limit are not affected. */
	assert_int_equal(push_capped(t, gen, "http://h/q?x=9", 3), STORE_PUSH_ADDED);
	assert_int_equal(push_capped(t, gen, "http://h/p", 3), STORE_PUSH_ADDED);
	assert_int_equal(push_capped(t, gen, "http://h/p/?x=1", 3), STORE_PUSH_ADDED);
	assert_int_equal(push_capped(t, gen, "http://h/p?x=7", 0), STORE_PUSH_ADDED);
	wcommit(t);
	expect_counts(f->s, 7, 0);

	/* The crawl is cut short (nothing ends it), the store closed: a resumption still counts. */
	close_store(f);
	open_store(f);
	assert_int_equal(begin_crawl(f->s, true), gen);
	t = wbegin(f->s);
	assert_int_equal(push_capped(t, gen, "http://h/p?x=5", 3), STORE_PUSH_TRAP);
	assert_int_equal(push_capped(t, gen, "http://h/p?x=5", 4), STORE_PUSH_ADDED); /* room */
	assert_int_equal(push_capped(t, gen, "http://h/p?x=6", 4), STORE_PUSH_TRAP);
	assert_int_equal(store_crawl_end(t), 0);
	wcommit(t);

	/* A new generation admits the path's queries afresh. */
	uint64_t gen2 = begin_crawl(f->s, false);
	assert_int_equal(gen2, gen + 1);
	t = wbegin(f->s);
	assert_int_equal(push_capped(t, gen2, "http://h/p?x=6", 1), STORE_PUSH_ADDED);
	assert_int_equal(push_capped(t, gen2, "http://h/p?x=8", 1), STORE_PUSH_TRAP);
	/* Still queued from the generation before: admitted where it stands, not counted. */
	assert_int_equal(push_capped(t, gen2, "http://h/q?x=9", 1), STORE_PUSH_ADDED);
	assert_int_equal(push_capped(t, gen2, "http://h/q?x=10", 1), STORE_PUSH_ADDED);
	wcommit(t);
}

/* ---- arguments ---- */

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct store_frontier_item it = {0};
	char longhost[STORE_HOST_MAX + 2];
	open_store(f);
	struct store_txn *t = wbegin(f->s);
	struct store_frontier_entry e = {.url = "http://h/1", .host = "h:80"};
	/* No crawl begun: generation 0 is nobody's. */
	assert_int_equal(store_frontier_push(t, 0, &e, NULL), ERR_USAGE);
	uint64_t gen;
	assert_int_equal(store_crawl_begin(t, 1, &gen, NULL), 0);
	assert_int_equal(store_frontier_push(t, gen + 1, &e, NULL), ERR_USAGE);
	e.url = NULL;
	assert_int_equal(store_frontier_push(t, gen, &e, NULL), ERR_USAGE);
	e.url = "http://h/1";
	e.host = "";
	assert_int_equal(store_frontier_push(t, gen, &e, NULL), ERR_USAGE);
	memset(longhost, 'x', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	e.host = longhost;
	assert_int_equal(store_frontier_push(t, gen, &e, NULL), ERR_TOO_BIG);
	assert_int_equal(store_frontier_take(t, longhost, &it), ERR_TOO_BIG);
	longhost[STORE_HOST_MAX] = '\0'; /* exactly at the cap */
	assert_true(push(t, gen, "http://h/1", longhost, STORE_PRIO_LINK, 0));
	char *longurl = malloc(STORE_URL_MAX + 2);
	assert_non_null(longurl);
	memset(longurl, 'u', STORE_URL_MAX + 1);
	longurl[STORE_URL_MAX + 1] = '\0';
	e.url = longurl;
	e.host = "h:80";
	assert_int_equal(store_frontier_push(t, gen, &e, NULL), ERR_TOO_BIG);
	free(longurl);
	assert_int_equal(store_frontier_take(t, NULL, &it), ERR_USAGE);
	assert_int_equal(store_frontier_finish(t, NULL), ERR_USAGE);
	/* None of it spoilt the transaction. */
	wcommit(t);
	t = wbegin(f->s);
	take_expect(t, longhost, "http://h/1", true);
	wcommit(t);
	store_frontier_item_done(NULL);
}

/* ---- readers beside the writer ---- */

struct reader {
	struct store *s;
	int rc;
	uint64_t queued;
	int hosts;
};

static int count_host(const char *host, uint64_t queued, void *ud)
{
	(void)host;
	(void)queued;
	((struct reader *)ud)->hosts++;
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct store_fetch_state st;
	r->rc = store_frontier_count(r->s, &r->queued, NULL);
	if (!r->rc)
		r->rc = store_frontier_hosts(r->s, count_host, r);
	if (!r->rc && store_fetch_state_get(r->s, "http://h/0", &st) != ERR_NOT_FOUND)
		r->rc = -1;
	return NULL;
}

/* The reads must not wait for the writer: the reader runs and ends while the write transaction
 * is open (a wait would hang the join). */
static void test_reads_beside_open_write(void **state)
{
	struct fixture *f = *state;
	struct reader r = {0};
	pthread_t th;
	char url[64];
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://g/0", "g:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	t = wbegin(f->s);
	for (int i = 0; i < 50; i++) {
		snprintf(url, sizeof(url), "http://h/%d", i);
		assert_true(push(t, gen, url, "h:80", STORE_PRIO_LINK, 0));
	}
	r.s = f->s;
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	wcommit(t);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.queued, 1);
	assert_int_equal(r.hosts, 1);
}

/* ---- memory does not grow with the frontier ---- */

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed blocks in a quarantine of 256 MiB, which would be measured as growth; a small
 * one still catches a use soon after a free, and lets the bound below mean what it says. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=4";
}
#endif

/* Resident memory not backed by a file, in bytes: the map of data.mdb is file-backed. */
static long anon_rss(void)
{
	long size, resident, shared;
	FILE *fp = fopen("/proc/self/statm", "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld %ld %ld", &size, &resident, &shared), 3);
	fclose(fp);
	return (resident - shared) * sysconf(_SC_PAGESIZE);
}

#define BIG_URLS  100000
#define BIG_HOSTS 1000
#define BATCH	  1000
/* Anonymous memory may grow by RSS_GROWTH_MAX in all, and by RSS_LATE_MAX from the middle of the
 * pushes to the end: LMDB keeps the pages a batch dirtied for reuse, so growth levels off once a
 * batch touches as many pages as it ever will, and then stays flat however many URLs follow.
 * (Measured: about 9 MiB and well under 1 MiB; with ASan about 30 and 7.) */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_MAX (48L << 20)
#define RSS_LATE_MAX   (16L << 20)
#elif defined(__SANITIZE_THREAD__)
/* ThreadSanitizer's shadow memory and allocator make RSS say nothing about ours: the pushes and
 * takes still run and are checked, the memory bound is measured in the other builds. */
#define RSS_GROWTH_MAX LONG_MAX
#define RSS_LATE_MAX   LONG_MAX
#else
#define RSS_GROWTH_MAX (20L << 20)
#define RSS_LATE_MAX   (4L << 20)
#endif

static void big_host(int h, char *out, size_t n)
{
	snprintf(out, n, "host%04d.example:443", h);
}

/* Takes every URL of every host, checking FIFO order within each, and finishes them. */
static void take_all(struct fixture *f, long base, long *peak)
{
	char host[64], want[128];
	int taken = 0;
	struct store_txn *t = wbegin(f->s);
	for (int h = 0; h < BIG_HOSTS; h++) {
		big_host(h, host, sizeof(host));
		for (int i = h;; i += BIG_HOSTS) {
			struct store_frontier_item it;
			int rc = store_frontier_take(t, host, &it);
			if (rc == ERR_NOT_FOUND && i >= BIG_URLS)
				break;
			assert_int_equal(rc, 0);
			snprintf(want, sizeof(want), "https://%s/page/%d", host, i);
			assert_string_equal(it.url, want);
			assert_int_equal(store_frontier_finish(t, it.url), 0);
			store_frontier_item_done(&it);
			if (++taken % BATCH == 0) {
				wcommit(t);
				t = wbegin(f->s);
				long now = anon_rss() - base;
				*peak = now > *peak ? now : *peak;
			}
		}
	}
	wcommit(t);
	assert_int_equal(taken, BIG_URLS);
}

static void test_flat_memory(void **state)
{
	struct fixture *f = *state;
	char host[64], url[128];
	long peak = 0, half = 0;
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	/* Warm up allocators and LMDB's page cache with one batch, then measure. */
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "https://warm.example/", "warm:443", STORE_PRIO_SEED, 0));
	take_expect(t, "warm:443", "https://warm.example/", true);
	wcommit(t);
	long base = anon_rss();
	t = wbegin(f->s);
	for (int i = 0; i < BIG_URLS; i++) {
		big_host(i % BIG_HOSTS, host, sizeof(host));
		snprintf(url, sizeof(url), "https://%s/page/%d", host, i);
		assert_true(push(t, gen, url, host, STORE_PRIO_LINK, 0));
		if ((i + 1) % BATCH == 0) {
			wcommit(t);
			t = wbegin(f->s);
			long now = anon_rss() - base;
			peak = now > peak ? now : peak;
			if (i + 1 == BIG_URLS / 2)
				half = peak;
		}
	}
	wcommit(t);
	expect_counts(f->s, BIG_URLS, 0);
	take_all(f, base, &peak);
	expect_counts(f->s, 0, 0);
	long late = peak - half;
	print_message("# anonymous memory growth: %ld KiB at peak, %ld KiB after half the pushes\n",
		      peak >> 10, late >> 10);
	assert_true(peak < RSS_GROWTH_MAX);
	assert_true(late < RSS_LATE_MAX);
}

/* ---- schema ---- */

static void le64(uint64_t x, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(x >> (8 * i));
}

/* A store as schema 1 left it: meta, pages, hits, hit_keys, one page, no frontier databases. */
static void make_schema1(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, pages, dbi;
	uint8_t seq[8], key[DIGEST_LEN];
	struct buf rec;
	struct store_page p = {.url = "http://old/1", .venue = "v", .status = 200};
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
	assert_int_equal(mdb_dbi_open(txn, "pages", MDB_CREATE, &pages), 0);
	assert_int_equal(mdb_dbi_open(txn, "hits", MDB_CREATE, &dbi), 0);
	assert_int_equal(mdb_dbi_open(txn, "hit_keys", MDB_CREATE, &dbi), 0);
	le64(1, seq);
	MDB_val k = {14, (char *)"schema_version"}, v = {1, (char *)"1"};
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	k = (MDB_val){7, (char *)"hit_seq"};
	v = (MDB_val){8, seq};
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	buf_init(&rec, STORE_REC_MAX);
	/* A page record as schema 1 wrote it: version 1, without the canonical of version 2 (an
	 * empty string: the last four bytes). */
	assert_int_equal(store__page_encode(&p, &rec), 0);
	rec.data[0] = 1;
	assert_int_equal(digest_sha256(p.url, strlen(p.url), key), 0);
	k = (MDB_val){DIGEST_LEN, key};
	v = (MDB_val){rec.len - 4, rec.data};
	assert_int_equal(mdb_put(txn, pages, &k, &v, 0), 0);
	buf_done(&rec);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Whether the environment has a named database, and the schema version text. */
static bool raw_has_db(const char *dir, const char *name, char *version, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi, meta;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	bool has = mdb_dbi_open(txn, name, 0, &dbi) == 0;
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	MDB_val k = {14, (char *)"schema_version"}, v;
	assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
	snprintf(version, vlen, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return has;
}

static int count_page(const struct store_page *page, void *ud)
{
	assert_string_equal(page->url, "http://old/1");
	assert_string_equal(page->canonical, ""); /* a version 1 record: none */
	(*(int *)ud)++;
	return 0;
}

/* Schema 1 to 3 in one open: the frontier's databases (2) and the variant counts (3). */
static void test_schema_migration_1_to_3(void **state)
{
	struct fixture *f = *state;
	char version[16];
	const char *dbs[] = {"frontier", "frontier_hosts", "seen", "leases", "robots", "variants"};
	make_schema1(f->dir);
	for (size_t i = 0; i < 6; i++)
		assert_false(raw_has_db(f->dir, dbs[i], version, sizeof(version)));
	assert_string_equal(version, "1");

	open_store(f);
	int pages = 0;
	assert_int_equal(store_pages_each(f->s, count_page, &pages), 0);
	assert_int_equal(pages, 1);
	uint64_t gen = begin_crawl(f->s, false);
	assert_int_equal(gen, 1);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, "http://old/2", "old:80", STORE_PRIO_SEED, 0));
	assert_int_equal(store_robots_put(t, "old:80", 1, 200, "x", 1), 0);
	wcommit(t);
	t = wbegin(f->s);
	take_expect(t, "old:80", "http://old/2", true);
	wcommit(t);
	assert_int_equal(store_robots_get(f->s, "old:80", NULL, NULL, NULL, NULL), 0);
	close_store(f);

	for (size_t i = 0; i < 6; i++)
		assert_true(raw_has_db(f->dir, dbs[i], version, sizeof(version)));
	assert_string_equal(version, "5");
	open_store(f); /* and opens again as the current schema */
}

/* Schema 2 without its databases is a damaged store, not a new one. */
static void test_schema2_missing_dbs(void **state)
{
	struct fixture *f = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	char err[256];
	make_schema1(f->dir);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	MDB_val k = {14, (char *)"schema_version"}, v = {1, (char *)"2"};
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(f->dir, &f->s, err, sizeof(err)), ERR_STORE);
	assert_null(f->s);
	assert_non_null(strstr(err, f->dir));
}

/* Schema 3 without its variants database is damaged too; schema 2 without it is migrated. */
static void test_schema3_missing_variants(void **state)
{
	struct fixture *f = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, dbi;
	char err[256];
	open_store(f);
	close_store(f);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "variants", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	MDB_val k = {14, (char *)"schema_version"}, v = {1, (char *)"3"};
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(f->dir, &f->s, err, sizeof(err)), ERR_STORE);
	assert_null(f->s);
	assert_non_null(strstr(err, f->dir));
	/* As schema 2, the same store is migrated: the database is created. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	v = (MDB_val){1, (char *)"2"};
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	open_store(f);
	char version[16];
	close_store(f);
	assert_true(raw_has_db(f->dir, "variants", version, sizeof(version)));
	assert_string_equal(version, "5");
}

/* Puts a schema 5 store back to schema 4 as far as seen goes: every record under the SHA-256 of
 * its URL (urls names them all), one more record no URL names, schema_version "4". */
static void make_schema4_seen(const char *dir, const char *const *urls, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi seen, meta;
	uint8_t key[64 + DIGEST_LEN], old[DIGEST_LEN], buf[512];
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "seen", 0, &seen), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	MDB_val v = {0, NULL};
	for (size_t i = 0; i < n; i++) {
		MDB_val k = {seen_key_of(urls[i], key), key};
		assert_int_equal(mdb_get(txn, seen, &k, &v), 0);
		assert_true(v.mv_size <= sizeof(buf));
		memcpy(buf, v.mv_data, v.mv_size);
		v.mv_data = buf;
		assert_int_equal(mdb_del(txn, seen, &k, NULL), 0);
		assert_int_equal(digest_sha256(urls[i], strlen(urls[i]), old), 0);
		MDB_val ok = {DIGEST_LEN, old};
		assert_int_equal(mdb_put(txn, seen, &ok, &v, 0), 0);
	}
	memset(old, 0xab, sizeof(old)); /* a URL fetched without a page: nothing names it */
	MDB_val ok = {DIGEST_LEN, old};
	assert_int_equal(mdb_put(txn, seen, &ok, &v, 0), 0);
	MDB_val sk = {14, (char *)"schema_version"}, sv = {1, (char *)"4"};
	assert_int_equal(mdb_put(txn, meta, &sk, &sv, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Schema 4 to 5: the seen records of queued and leased URLs and of stored pages move to their
 * new keys, with their state; the one no URL names is dropped. Nothing is fetched twice. */
static void test_schema4_seen_rekeyed(void **state)
{
	struct fixture *f = *state;
	const char *urls[] = {"http://h/queued", "http://h/leased", "https://h/page",
			      "http://h/a-very-long-path/that-goes-on/beyond-the-sixty-four-bytes/"
			      "of-the-prefix?x=1"};
	struct store_fetch_state st = {.status = 200, .fetched_at = 5, .has_digest = true};
	struct store_page pg = {.url = urls[2], .venue = "v", .fetched_at = 5, .status = 200};
	strcpy(st.etag, "\"e1\"");
	memset(st.digest, 7, sizeof(st.digest));
	open_store(f);
	uint64_t gen = begin_crawl(f->s, false);
	struct store_txn *t = wbegin(f->s);
	assert_true(push(t, gen, urls[1], "h:80", STORE_PRIO_SEED, 0));
	assert_true(push(t, gen, urls[0], "h:80", STORE_PRIO_LINK, 0));
	assert_true(push(t, gen, urls[3], "h:80", STORE_PRIO_LINK, 0));
	assert_int_equal(store_fetch_state_put(t, urls[2], &st), 0);
	assert_int_equal(store_page_put(t, &pg), 0);
	wcommit(t);
	t = wbegin(f->s);
	take_expect(t, "h:80", urls[1], false);
	wcommit(t);
	close_store(f);
	make_schema4_seen(f->dir, urls, 4);

	open_store(f); /* migrates */
	uint64_t g;
	int s;
	raw_seen(f, urls[0], &g, &s);
	assert_true(g == gen && s == 1);
	raw_seen(f, urls[1], &g, &s);
	assert_true(g == gen && s == 2);
	raw_seen(f, urls[3], &g, &s);
	assert_true(g == gen && s == 1);
	struct store_fetch_state got;
	assert_int_equal(store_fetch_state_get(f->s, urls[2], &got), 0);
	assert_string_equal(got.etag, "\"e1\"");
	assert_memory_equal(got.digest, st.digest, sizeof(st.digest));
	/* Seen in this crawl still: pushing them again changes nothing. */
	t = wbegin(f->s);
	for (size_t i = 0; i < 4; i++)
		assert_false(push(t, gen, urls[i], "h:80", STORE_PRIO_LINK, 0));
	wcommit(t);
	assert_int_equal(store_frontier_finish((t = wbegin(f->s)), urls[1]), 0);
	wcommit(t);
	close_store(f);

	/* Four records, none under a 32-byte key; schema 5. */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;
	char version[16];
	assert_true(raw_has_db(f->dir, "seen", version, sizeof(version)));
	assert_string_equal(version, "5");
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "seen", 0, &dbi), 0);
	assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT, n++)
		assert_true(k.mv_size > DIGEST_LEN);
	assert_int_equal(n, 4);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

/* ---- runs (runs.c): the records patrol crawl and patrol run leave ---- */

struct runs_seen {
	uint64_t ids[8];
	size_t n;
	char first_summary[64];
};

static int runs_collect(const struct store_run *r, void *ud)
{
	struct runs_seen *seen = ud;
	if (seen->n == 0 && r->nvenues)
		snprintf(seen->first_summary, sizeof(seen->first_summary), "%s:%s:%d:%s",
			 r->kind, r->venues[0].venue, r->status, r->venues[0].summary);
	seen->ids[seen->n++] = r->id;
	return seen->n == 8;
}

static void test_runs(void **state)
{
	struct fixture *f = *state;
	open_store(f);
	int64_t at = 0;
	assert_int_equal(store_run_venue_last(f->s, "a", &at, NULL), ERR_NOT_FOUND);
	struct runs_seen seen = {0};
	assert_int_equal(store_runs_last(f->s, 10, runs_collect, &seen), 0); /* none yet */
	assert_int_equal(seen.n, 0);
	struct store_run_venue v[2] = {{"a", true, "{\"pages\":3}"}, {"b", false, "{}"}};
	struct store_run run = {.kind = "run", .started = 1000, .ended = 1060, .status = 0,
				.shard = "0/2", .venues = v, .nvenues = 2};
	uint64_t id = 0;
	assert_int_equal(store_run_put(f->s, &run, &id), 0);
	assert_int_equal(id, 1);
	run.kind = "crawl";
	run.started = 2000;
	run.status = 130; /* stopped: a complete venue still moves, an incomplete one never */
	v[0].complete = false;
	v[1].complete = true;
	assert_int_equal(store_run_put(f->s, &run, &id), 0);
	assert_int_equal(id, 2);
	uint64_t rid = 0;
	assert_int_equal(store_run_venue_last(f->s, "a", &at, &rid), 0);
	assert_int_equal(at, 1000);
	assert_int_equal(rid, 1);
	assert_int_equal(store_run_venue_last(f->s, "b", &at, &rid), 0);
	assert_int_equal(at, 2000);
	assert_int_equal(rid, 2);
	close_store(f); /* records survive a reopen */
	open_store(f);
	assert_int_equal(store_runs_last(f->s, 10, runs_collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ids[0], 2); /* newest first */
	assert_int_equal(seen.ids[1], 1);
	assert_string_equal(seen.first_summary, "crawl:a:130:{\"pages\":3}");
	for (int i = 0; i < 10; i++)
		assert_int_equal(store_run_put(f->s, &run, NULL), 0);
	seen.n = 0;
	assert_int_equal(store_runs_last(f->s, 3, runs_collect, &seen), 0);
	assert_int_equal(seen.n, 3); /* the limit */
	assert_int_equal(seen.ids[0], 12);
	seen.n = 0;
	assert_int_equal(store_runs_last(f->s, 0, runs_collect, &seen), 1); /* fn stops at 8 */
	assert_int_equal(seen.n, 8);
	struct store_run bad = {.kind = ""};
	assert_int_equal(store_run_put(f->s, &bad, NULL), ERR_USAGE);
	struct store_run_venue empty = {"", true, "{}"};
	bad = (struct store_run){.kind = "run", .venues = &empty, .nvenues = 1};
	assert_int_equal(store_run_put(f->s, &bad, NULL), ERR_USAGE);
}

/* ---- revisits: intervals adapt to change; the gate leaves out pages not due ---- */

static void fetched(struct store_txn *t, const char *url, int64_t at, uint8_t body)
{
	struct store_fetch_state st = {.fetched_at = at, .status = 200, .has_digest = true};
	memset(st.digest, body, sizeof(st.digest));
	assert_int_equal(store_fetch_state_put(t, url, &st), 0);
}

static int64_t next_visit(struct store *s, const char *url)
{
	struct store_fetch_state st;
	assert_int_equal(store_fetch_state_get(s, url, &st), 0);
	return st.next_visit;
}

/* One generation: begins a crawl at `at` with the gate at `gate`, pushes url (priority prio)
 * and, when it was queued, takes it and fetches it with body (0: a 304, no new state). */
static bool visit(struct fixture *f, const char *url, uint8_t prio, int64_t at, int64_t gate,
		  uint8_t body)
{
	struct store_txn *t = wbegin(f->s);
	uint64_t gen = 0;
	assert_int_equal(store_crawl_begin(t, at, &gen, NULL), 0);
	assert_int_equal(store_frontier_revisit(t, gate), 0);
	bool added = push(t, gen, url, "h:80", prio, 0);
	if (added) {
		struct store_frontier_item it;
		assert_int_equal(store_frontier_take(t, "h:80", &it), 0);
		store_frontier_item_done(&it);
		if (body)
			fetched(t, url, at, body);
		assert_int_equal(store_frontier_finish(t, url), 0);
	}
	assert_int_equal(store_crawl_end(t), 0);
	wcommit(t);
	return added;
}

static void test_revisit_adapts(void **state)
{
	struct fixture *f = *state;
	const int64_t H = 3600, T0 = 1800000000;
	const char *old = "http://h/thread-1", *board = "http://h/forum-1";
	open_store(f);
	assert_true(visit(f, old, STORE_PRIO_LINK, T0, 0, 1)); /* first fetch: the minimum */
	assert_int_equal(next_visit(f->s, old), T0 + H);
	assert_true(visit(f, old, STORE_PRIO_LINK, T0 + 2 * H, 0, 1)); /* unchanged: doubled */
	assert_int_equal(next_visit(f->s, old), T0 + 2 * H + 2 * H);
	assert_true(visit(f, old, STORE_PRIO_LINK, T0 + 5 * H, 0, 0)); /* a 304: doubled again */
	assert_int_equal(next_visit(f->s, old), T0 + 5 * H + 4 * H);
	/* With the gate at the crawl's start, it is not due before T0 + 9h: left out. */
	assert_false(visit(f, old, STORE_PRIO_LINK, T0 + 6 * H, T0 + 6 * H, 1));
	assert_int_equal(next_visit(f->s, old), T0 + 9 * H); /* untouched */
	assert_true(visit(f, old, STORE_PRIO_LINK, T0 + 9 * H, T0 + 9 * H, 2)); /* changed: halved */
	assert_int_equal(next_visit(f->s, old), T0 + 9 * H + 2 * H);
	/* A page that changes every visit stays at the minimum; one that never does climbs to
	 * the maximum and stays there. */
	for (int i = 0; i < 5; i++)
		assert_true(visit(f, board, STORE_PRIO_LINK, T0 + i * H, T0 + i * H, (uint8_t)(i + 1)));
	assert_int_equal(next_visit(f->s, board), T0 + 4 * H + STORE_REVISIT_MIN_S);
	int64_t at = T0;
	for (int i = 0; i < 14; i++) {
		at = next_visit(f->s, old);
		assert_true(visit(f, old, STORE_PRIO_LINK, at, at, 2));
	}
	assert_int_equal(next_visit(f->s, old), at + STORE_REVISIT_MAX_S);
	/* Seeds are always due, the gate or not. */
	assert_true(visit(f, "http://h/", STORE_PRIO_SEED, T0, 0, 1));
	assert_true(visit(f, "http://h/", STORE_PRIO_SEED, T0 + 1, T0 + 1, 1));
	/* Without the gate (patrol crawl) everything is fetched again. */
	assert_true(visit(f, old, STORE_PRIO_LINK, at + 1, 0, 2));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_order_priority_then_fifo),
		T(test_due_orders_within_priority),
		T(test_seen_dedup_within_generation),
		T(test_new_generation_readmits),
		T(test_ended_crawl_starts_over),
		T(test_resume_returns_leases),
		T(test_resume_with_only_leases),
		T(test_resume_after_kill),
		T(test_requeue_with_due),
		T(test_counts_and_hosts),
		T(test_fetch_state_round_trip),
		T(test_seen_states),
		T(test_robots_round_trip_and_cap),
		T(test_bad_arguments),
		T(test_reads_beside_open_write),
		T(test_flat_memory),
		T(test_query_variants_capped),
		T(test_schema_migration_1_to_3),
		T(test_schema2_missing_dbs),
		T(test_schema3_missing_variants),
		T(test_schema4_seen_rekeyed),
		T(test_runs),
		T(test_revisit_adapts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
