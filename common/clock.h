/* SPDX-License-Identifier: MIT */
/* Time for patrol: wall-clock seconds for records, a monotonic clock for durations and timeouts,
 * and ISO 8601 text in UTC for machine output.
 */
#ifndef PATROL_COMMON_CLOCK_H
#define PATROL_COMMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch, UTC. */
int64_t clock_wall(void);
/* Milliseconds from an arbitrary start; never goes back. */
int64_t clock_mono_ms(void);
/* "2026-11-28T06:36:17Z" into out (at least 21 bytes). Returns out. */
char *clock_iso8601(int64_t epoch, char *out, size_t outlen);

#endif
