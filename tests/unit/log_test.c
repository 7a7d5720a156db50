/* SPDX-License-Identifier: MIT */
/* Unit tests of common/log: logfmt, JSON and text lines, escaping of hostile values, levels,
 * and the caps. Lines are written to a memory stream and parsed back.
 */
#include "common/err.h"
#include "common/log.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mem {
	char *data;
	size_t len;
	FILE *f;
	struct log log;
};

static void mem_open(struct mem *m, enum log_format f, enum log_level lvl)
{
	m->data = NULL;
	m->len = 0;
	m->f = open_memstream(&m->data, &m->len);
	assert_non_null(m->f);
	log_init(&m->log, m->f, f, lvl);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->data;
}

static void test_logfmt(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, LOG_LOGFMT, LOG_INFO);
	log_event(&m.log, LOG_INFO, "run started", "venues", "3", "shard", "0/2", NULL);
	log_event(&m.log, LOG_DEBUG, "hidden", NULL); /* above the level */
	log_event(&m.log, LOG_WARN, "odd", "url", "http://x/a b?c=\"d\"\nlevel=error", "empty", "",
		  "bad key!", NULL, NULL);
	char *out = mem_close(&m);
	/* time=... first; everything after it is fixed. */
	char *l1 = strstr(out, " level=info msg=\"run started\" venues=3 shard=0/2\n");
	assert_non_null(l1);
	assert_true(strncmp(out, "time=20", 7) == 0);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out,
			       " level=warn msg=odd url=\"http://x/a b?c=\\\"d\\\"\\nlevel=error\" "
			       "empty=\"\" bad_key_=\"\"\n"));
	size_t lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2); /* the newline in the value did not make a line */
	free(out);
}

static void test_json(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, LOG_JSON, LOG_DEBUG);
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_event(&m.log, LOG_ERROR, "bad \x01 thing", "url", "\"}\n{\"level\":\"x", "big", big,
		  NULL);
	char *out = mem_close(&m);
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
	json_error_t err;
	json_t *o = json_loads(out, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "bad \x01 thing");
	assert_string_equal(json_string_value(json_object_get(o, "url")), "\"}\n{\"level\":\"x");
	const char *b = json_string_value(json_object_get(o, "big"));
	assert_int_equal(strlen(b), LOG_VALUE_MAX + 3); /* cut, with "..." */
	assert_non_null(json_object_get(o, "time"));
	json_decref(o);
	free(out);
}

static void test_text_and_names(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m, LOG_TEXT, LOG_WARN);
	log_event(&m.log, LOG_INFO, "quiet", NULL); /* -q: nothing on success */
	log_event(&m.log, LOG_ERROR, "cannot crawl", "venue", "a", NULL);
	char *out = mem_close(&m);
	assert_string_equal(out, "patrol: error: cannot crawl venue=a\n");
	free(out);
	enum log_format f = LOG_TEXT;
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_JSON);
	assert_int_equal(log_format_parse("xml", &f), ERR_USAGE);
	assert_int_equal(f, LOG_JSON);
	assert_string_equal(log_level_name(LOG_DEBUG), "debug");
	assert_false(log_enabled(NULL, LOG_ERROR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logfmt),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
