/* SPDX-License-Identifier: MIT */
/* Unit tests of the crawler's parts that need no network: the frontier and the address guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/err.h"
#include "crawler/crawl.h"
#include "crawler/crawler_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void frontier_is_fifo_and_dedups(void **state)
{
	(void)state;
	struct frontier *f;
	bool added;
	assert_int_equal(frontier_new(100, &f), 0);
	assert_int_equal(frontier_push(f, "http://a/1", 0, &added), 0);
	assert_true(added);
	assert_int_equal(frontier_push(f, "http://a/2", 1, &added), 0);
	assert_true(added);
	assert_int_equal(frontier_push(f, "http://a/1", 2, &added), 0);
	assert_false(added);
	assert_int_equal(frontier_queued(f), 2);
	char *url;
	unsigned depth;
	assert_int_equal(frontier_pop(f, &url, &depth), 0);
	assert_string_equal(url, "http://a/1");
	assert_int_equal(depth, 0);
	free(url);
	/* Fetched URLs stay seen: pushing one again does not queue it. */
	assert_int_equal(frontier_push(f, "http://a/1", 3, &added), 0);
	assert_false(added);
	assert_int_equal(frontier_pop(f, &url, &depth), 0);
	assert_string_equal(url, "http://a/2");
	assert_int_equal(depth, 1);
	free(url);
	assert_int_equal(frontier_pop(f, &url, &depth), ERR_NOT_FOUND);
	frontier_free(f);
	frontier_free(NULL);
}

static void frontier_grows_and_caps(void **state)
{
	(void)state;
	struct frontier *f;
	char url[64];
	assert_int_equal(frontier_new(5000, &f), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(url, sizeof(url), "http://a/%d", i);
		assert_int_equal(frontier_push(f, url, 0, NULL), 0);
	}
	assert_int_equal(frontier_push(f, "http://a/new", 0, NULL), ERR_TOO_BIG);
	assert_int_equal(frontier_push(f, "http://a/42", 0, NULL), 0); /* seen: not an error */
	assert_int_equal(frontier_seen(f), 5000);
	for (int i = 0; i < 5000; i++) {
		char *got;
		assert_int_equal(frontier_pop(f, &got, NULL), 0);
		snprintf(url, sizeof(url), "http://a/%d", i);
		assert_string_equal(got, url);
		free(got);
	}
	assert_int_equal(frontier_queued(f), 0);
	frontier_free(f);
}

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
		cmocka_unit_test(frontier_is_fifo_and_dedups),
		cmocka_unit_test(frontier_grows_and_caps),
		cmocka_unit_test(guard_refuses_private_addresses),
		cmocka_unit_test(outcome_names_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
