/* SPDX-License-Identifier: MIT */
/* Unit tests of the crawler's parts that need no network: the address guard, the bounded queue
 * and the politeness of hosts. (The frontier lives in the store: tests/unit/frontier_test.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/err.h"
#include "crawler/crawl.h"
#include "crawler/crawler_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool allowed(const char *addr, bool allow_private)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return crawler__addr_allowed((struct sockaddr *)&ss, allow_private);
}

static void guard_refuses_private_addresses(void **state)
{
	(void)state;
	static const char *const private_addrs[] = {
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "100.64.0.1", "192.0.2.10", "198.18.0.1",
		"::1", "fc00::1", "fd12:3456::1", "fe80::1", "::ffff:127.0.0.1",
		"::ffff:10.1.2.3", "2001:db8::1", "64:ff9b::a00:1",
	};
	for (size_t i = 0; i < sizeof(private_addrs) / sizeof(private_addrs[0]); i++) {
		assert_false(allowed(private_addrs[i], false));
		assert_true(allowed(private_addrs[i], true));
	}
	static const char *const never[] = {"0.0.0.0", "224.0.0.1", "255.255.255.255", "::",
					    "ff02::1", "0.1.2.3"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		assert_false(allowed(never[i], false));
		assert_false(allowed(never[i], true));
	}
	static const char *const public_addrs[] = {"93.184.216.34", "8.8.8.8", "172.32.0.1",
						   "2606:4700::1111", "::ffff:1.1.1.1"};
	for (size_t i = 0; i < sizeof(public_addrs) / sizeof(public_addrs[0]); i++)
		assert_true(allowed(public_addrs[i], false));
}

static void hosts_keep_delay_and_connections(void **state)
{
	(void)state;
	struct hosts t;
	struct host *h, *again;
	int64_t wait;
	assert_int_equal(hosts_init(&t), 0);
	assert_int_equal(hosts_get(&t, "http://a", 500, 2, &h), 0);
	assert_int_equal(hosts_get(&t, "http://a", 9, 9, &again), 0);
	assert_ptr_equal(h, again); /* the first venue's politeness stays */
	assert_true(host_ready(h, 1000, &wait));
	host_started(h, 1000, 30000);
	assert_false(host_ready(h, 1200, &wait)); /* 500 ms between starts */
	assert_int_equal(wait, 300);
	assert_true(host_ready(h, 1500, &wait));
	host_started(h, 1500, 30000);
	assert_false(host_ready(h, 5000, &wait)); /* two connections busy */
	assert_int_equal(wait, -1);
	host_finished(h, 5000, 30000); /* the delay runs from the end of a response too */
	assert_false(host_ready(h, 5499, &wait));
	assert_int_equal(wait, 1);
	assert_true(host_ready(h, 5500, &wait));
	/* 429s: the wait doubles, and Retry-After may lengthen it. */
	host_back_off(h, 10000, -1);
	assert_false(host_ready(h, 10999, &wait));
	assert_true(host_ready(h, 11000, &wait));
	host_back_off(h, 20000, -1);
	assert_false(host_ready(h, 21999, &wait));
	host_back_off(h, 30000, 60);
	assert_false(host_ready(h, 89999, &wait));
	assert_true(host_ready(h, 90000, &wait));
	host_answered(h);
	assert_int_equal(h->backoffs, 0);
	/* Many hosts: the table grows and finds them all. */
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "http://h%d", i);
		assert_int_equal(hosts_get(&t, key, 0, 1, &h), 0);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "http://h%d", i);
		assert_non_null(hosts_find(&t, key));
	}
	assert_null(hosts_find(&t, "http://nope"));
	hosts_done(&t);
}

static void *queue_consumer(void *arg)
{
	struct queue *q = arg;
	void *item;
	uintptr_t sum = 0;
	while (queue_pop(q, -1, &item) == 0)
		sum += (uintptr_t)item;
	return (void *)sum;
}

static void queue_is_bounded_and_drains_on_close(void **state)
{
	(void)state;
	struct queue q;
	void *item;
	assert_int_equal(queue_init(&q, 4), 0);
	assert_int_equal(queue_pop(&q, 10, &item), -ETIMEDOUT);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, queue_consumer, &q), 0);
	uintptr_t want = 0;
	for (uintptr_t i = 1; i <= 1000; i++) { /* far more than fits: the producer waits */
		assert_int_equal(queue_push(&q, (void *)i), 0);
		want += i;
	}
	queue_close(&q);
	void *got;
	pthread_join(t, &got);
	assert_int_equal((uintptr_t)got, want);
	assert_int_equal(queue_push(&q, (void *)1), ERR_USAGE); /* closed */
	assert_int_equal(queue_pop(&q, -1, &item), ERR_NOT_FOUND);
	queue_done(&q);
}

struct batch_arg {
	struct queue *q;
	size_t min;
	int wait_ms;
	void *items[8];
	size_t n;
	int rc;
	_Atomic bool done;
};

static void *batch_consumer(void *arg)
{
	struct batch_arg *a = arg;
	a->rc = queue_pop_batch(a->q, a->items, 8, a->min, a->wait_ms, &a->n);
	a->done = true;
	return NULL;
}

static void queue_batch_waits_for_min_items(void **state)
{
	(void)state;
	struct queue q;
	assert_int_equal(queue_init(&q, 16), 0);
	struct batch_arg a = {.q = &q, .min = 3, .wait_ms = 60000};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, batch_consumer, &a), 0);
	assert_int_equal(queue_push(&q, (void *)1), 0);
	assert_int_equal(queue_push(&q, (void *)2), 0);
	struct timespec pause = {.tv_nsec = 50 * 1000000};
	nanosleep(&pause, NULL);
	assert_false(a.done); /* two of three: still waiting */
	assert_int_equal(queue_push(&q, (void *)3), 0);
	pthread_join(t, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.n, 3);
	assert_ptr_equal(a.items[0], (void *)1);
	assert_ptr_equal(a.items[2], (void *)3);
	queue_done(&q);
}

static void queue_batch_times_out_caps_and_drains(void **state)
{
	(void)state;
	struct queue q;
	void *items[4];
	size_t n = 99;
	assert_int_equal(queue_init(&q, 16), 0);
	assert_int_equal(queue_push(&q, (void *)1), 0);
	int64_t t0 = clock_mono_ms();
	assert_int_equal(queue_pop_batch(&q, items, 4, 3, 30, &n), 0); /* one, after the wait */
	assert_true(clock_mono_ms() - t0 >= 25);
	assert_int_equal(n, 1);
	for (uintptr_t i = 1; i <= 6; i++)
		assert_int_equal(queue_push(&q, (void *)i), 0);
	assert_int_equal(queue_pop_batch(&q, items, 4, 3, 60000, &n), 0); /* enough: no wait */
	assert_int_equal(n, 4);
	assert_ptr_equal(items[3], (void *)4);
	queue_close(&q); /* what is left is still handed out, then the end */
	assert_int_equal(queue_pop_batch(&q, items, 4, 3, 60000, &n), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(items[1], (void *)6);
	assert_int_equal(queue_pop_batch(&q, items, 4, 3, 60000, &n), ERR_NOT_FOUND);
	assert_int_equal(n, 0);
	queue_done(&q);
}

static void outcome_names_are_stable(void **state)
{
	(void)state;
	/* Machine output (--json summaries) uses these names: they are a contract. */
	assert_string_equal(crawl_outcome_name(CRAWL_OK), "ok");
	assert_string_equal(crawl_outcome_name(CRAWL_NOT_HTML), "not_html");
	assert_string_equal(crawl_outcome_name(CRAWL_NET_ERROR), "net_error");
	assert_string_equal(crawl_outcome_name(CRAWL_OUTCOME_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard_refuses_private_addresses),
		cmocka_unit_test(hosts_keep_delay_and_connections),
		cmocka_unit_test(queue_is_bounded_and_drains_on_close),
		cmocka_unit_test(queue_batch_waits_for_min_items),
		cmocka_unit_test(queue_batch_times_out_caps_and_drains),
		cmocka_unit_test(outcome_names_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
