/* SPDX-License-Identifier: MIT */
/* Unit tests of common/: the capped buffer, error names, SHA-256, time formatting (UTC and
 * local) and time zone names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1000);
	assert_string_equal(buf_str(&b), "");
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_addf(&b, "%d,", i % 10), 0);
	assert_int_equal(b.len, 200);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_done(&b);
}

static void buf_cap_refuses_and_keeps_content(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), ERR_TOO_BIG);
	assert_int_equal(buf_addf(&b, "%s", "x"), ERR_TOO_BIG);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), ERR_TOO_BIG);
	assert_string_equal(buf_str(&b), "12345678");
	char *s = buf_take(&b);
	assert_string_equal(s, "12345678");
	assert_null(b.data);
	free(s);
	s = buf_take(&b); /* an empty buffer still gives a string */
	assert_string_equal(s, "");
	free(s);
}

static void err_names_every_code(void **state)
{
	(void)state;
	for (int c = ERR_BASE; c < ERR_LAST; c++) {
		assert_non_null(err_str(c));
		assert_string_not_equal(err_str(c), "unknown error");
	}
	assert_string_equal(err_str(0), "success");
	assert_string_equal(err_str(-ENOENT), "No such file or directory");
	assert_string_equal(err_str(ERR_LAST), "unknown error");
	assert_string_equal(err_str(12345), "unknown error");
}

static void digest_matches_known_vectors(void **state)
{
	(void)state;
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	assert_int_equal(digest_sha256("abc", 3, d), 0);
	digest_hex(d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(digest_sha256("", 0, d), 0);
	digest_hex(d, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	struct digest_part parts[] = {{"a", 1}, {"", 0}, {"bc", 2}};
	uint8_t d2[DIGEST_LEN];
	assert_int_equal(digest_sha256_parts(parts, 3, d2), 0);
	assert_int_equal(digest_sha256("abc", 3, d), 0);
	assert_memory_equal(d, d2, DIGEST_LEN);
}

static void clock_formats_utc(void **state)
{
	(void)state;
	char s[32];
	assert_string_equal(clock_iso8601(0, s, sizeof(s)), "1970-01-01T00:00:00Z");
	assert_string_equal(clock_iso8601(1795847777, s, sizeof(s)), "2026-11-28T06:36:17Z");
	assert_string_equal(clock_iso8601(0, s, 5), ""); /* too small: empty, not truncated */
	int64_t a = clock_mono_ms(), b = clock_mono_ms();
	assert_true(b >= a);
	assert_true(clock_wall() > 1700000000);
}

/* Local time in the zone TZ names; POSIX zone strings, so no tzdata is needed. */
static void clock_formats_local(void **state)
{
	(void)state;
	char s[CLOCK_LOCAL_LEN];
	setenv("TZ", "CST-8", 1);
	tzset();
	assert_string_equal(clock_local(1795847777, s, sizeof(s)), "2026-11-28 14:36:17 +08:00");
	assert_string_equal(clock_local_date(1795847777, s, sizeof(s)), "2026-11-28");
	assert_string_equal(clock_local(1795903200, s, sizeof(s)), "2026-11-29 06:00:00 +08:00");
	assert_string_equal(clock_local_date(1795903200, s, sizeof(s)), "2026-11-29");
	assert_string_equal(clock_local(0, s, 20), ""); /* too small: empty, not truncated */
	setenv("TZ", "NST+3:30", 1);
	tzset();
	assert_string_equal(clock_local(1795847777, s, sizeof(s)), "2026-11-28 03:06:17 -03:30");
	setenv("TZ", "UTC0", 1);
	tzset();
	assert_string_equal(clock_local(0, s, sizeof(s)), "1970-01-01 00:00:00 +00:00");
	unsetenv("TZ");
	tzset();
}

/* Zone names are looked up in TZDIR, and nothing outside it can be named. */
static void clock_checks_zone_names(void **state)
{
	(void)state;
	char dir[] = "/tmp/clock_test.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Area", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Area/City", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("TZif2...", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Area/Text", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("hello", f);
	fclose(f);
	setenv("TZDIR", dir, 1);
	assert_true(clock_zone_exists("Area/City"));
	assert_false(clock_zone_exists("Area/Text")); /* not a zone file */
	assert_false(clock_zone_exists("Area"));      /* a directory */
	assert_false(clock_zone_exists("Area/Nowhere"));
	assert_false(clock_zone_exists("Area/../Area/City"));
	assert_false(clock_zone_exists("/Area/City"));
	assert_false(clock_zone_exists("Area//City"));
	assert_false(clock_zone_exists(""));
	assert_false(clock_zone_exists(NULL));
	char long_name[CLOCK_MAX_ZONE + 2];
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(clock_zone_exists(long_name));
	unsetenv("TZDIR");
	snprintf(path, sizeof(path), "%s/Area/City", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/Area/Text", dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/Area", dir);
	remove(path);
	remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(buf_cap_refuses_and_keeps_content),
		cmocka_unit_test(err_names_every_code),
		cmocka_unit_test(digest_matches_known_vectors),
		cmocka_unit_test(clock_formats_utc),
		cmocka_unit_test(clock_formats_local),
		cmocka_unit_test(clock_checks_zone_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
