/* SPDX-License-Identifier: MIT */
/* clock.h on POSIX clocks. gmtime_r keeps it thread-safe. */
#include "common/clock.h"

#include <time.h>

int64_t clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *clock_iso8601(int64_t epoch, char *out, size_t outlen)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		if (outlen)
			out[0] = '\0';
	}
	return out;
}
