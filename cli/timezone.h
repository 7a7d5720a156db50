/* SPDX-License-Identifier: MIT */
/* Times as people read them (docs/i18n.md, "Time zones"): the process-wide time zone, set once
 * in main before any thread starts, and the CLI's forms of common/clock.h's clock_local. Machine
 * output (--json, exports, JSON logs) keeps clock_iso8601 and never uses these.
 */
#ifndef PATROL_CLI_TIMEZONE_H
#define PATROL_CLI_TIMEZONE_H

#include "cli/cli.h"

#include <stddef.h>
#include <stdint.h>

/* The process-wide time zone: display.timezone of cli->config, else TZ, else the system's (TZ
 * set, tzset called). Once, in main, before any command runs: no thread may exist yet. */
void cli_timezone_init(const struct cli *cli);
/* epoch as a person reads it, "2026-11-28 14:36:17 +08:00" (clock_local; outlen at least
 * CLOCK_LOCAL_LEN); "" for 0, the store's "never". Returns out. */
const char *cli_time(int64_t epoch, char *out, size_t outlen);
/* The same for a time machine output already holds as "2026-11-28T06:36:17Z"; anything else
 * ("", NULL, a page's own text) is returned as it is ("" for NULL). */
const char *cli_time_iso(const char *iso, char *out, size_t outlen);

#endif
