/* SPDX-License-Identifier: MIT */
/* clock.h on POSIX clocks. gmtime_r and localtime_r keep it thread-safe; localtime_r reads the
 * zone the program set up before its threads started (tzset), never TZ again.
 */
#include "common/clock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

char *clock_local(int64_t epoch, char *out, size_t outlen)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char day[24];
	if (!outlen)
		return out;
	out[0] = '\0';
	if (!localtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
		return out;
	/* strftime's %z has no colon ("+0800"); ISO 8601 people read it as "+08:00". */
	long off = tm.tm_gmtoff, abs_off = off < 0 ? -off : off;
	int n = snprintf(out, outlen, "%s %c%02ld:%02ld", day, off < 0 ? '-' : '+',
			 abs_off / 3600 % 100, abs_off / 60 % 60);
	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0';
	return out;
}

char *clock_local_date(int64_t epoch, char *out, size_t outlen)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%d", &tm)) {
		if (outlen)
			out[0] = '\0';
	}
	return out;
}

/* Parts of letters, digits, '_', '-' and '+' ("." never: no ".." can climb out of the directory).
 */
static bool zone_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CLOCK_MAX_ZONE || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && c != '_' && c != '-' && c != '+' && c != '/')
			return false;
		if (c == '/' && p[1] == '/')
			return false;
	}
	return true;
}

bool clock_zone_exists(const char *name)
{
	if (!name || !zone_name_ok(name))
		return false;
	const char *dir = getenv("TZDIR");
	if (!dir || !dir[0])
		dir = "/usr/share/zoneinfo";
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	char magic[4];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		  memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}
