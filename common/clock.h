/* SPDX-License-Identifier: MIT */
/* Time for patrol: wall-clock seconds for records, a monotonic clock for durations and timeouts,
 * ISO 8601 text in UTC for machine output, and local time with its offset for people.
 * Local time follows the process's time zone, which the program sets once before any thread
 * starts (cli/: display.timezone, else TZ, else the system's; docs/i18n.md); after that every
 * function here is thread-safe.
 */
#ifndef PATROL_COMMON_CLOCK_H
#define PATROL_COMMON_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch, UTC. */
int64_t clock_wall(void);
/* Milliseconds from an arbitrary start; never goes back. */
int64_t clock_mono_ms(void);
/* "2026-11-28T06:36:17Z" into out (at least 21 bytes). Returns out. */
char *clock_iso8601(int64_t epoch, char *out, size_t outlen);

/* Bytes clock_local needs, with the NUL, for any year up to 9999. */
#define CLOCK_LOCAL_LEN 32
/* The time a person reads: "2026-11-28 14:36:17 +08:00", in the process's time zone. Returns
 * out; "" when outlen is too small or the time cannot be shown. */
char *clock_local(int64_t epoch, char *out, size_t outlen);
/* Only the local date, "2026-11-28" (at least 11 bytes). Returns out, "" as above. */
char *clock_local_date(int64_t epoch, char *out, size_t outlen);

/* Bytes of the longest zone name clock_zone_exists accepts. */
#define CLOCK_MAX_ZONE 64
/* Whether name is a time zone this system has: an IANA name such as "Asia/Shanghai" or "UTC"
 * (letters, digits, '_', '-', '+' and '/' between parts, no "." or ".." part, at most
 * CLOCK_MAX_ZONE bytes) naming a compiled zone file (TZif) under $TZDIR, or under
 * /usr/share/zoneinfo when TZDIR is not set. */
bool clock_zone_exists(const char *name);

#endif
