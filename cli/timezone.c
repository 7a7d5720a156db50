/* SPDX-License-Identifier: MIT */
/* The time zone people read times in, set once for the whole process (docs/i18n.md, "Time
 * zones"): patrol.yaml's display.timezone, else TZ, else the system's. cli_timezone_init sets TZ
 * and calls tzset in main, before any command runs and so before any thread starts; after that
 * common/clock.h's clock_local reads the zone from any thread. Machine output (--json, exports,
 * JSON logs) stays ISO 8601 UTC (clock_iso8601) and never looks at it.
 */
#include "cli/timezone.h"

#include "common/clock.h"
#include "crawler/venue.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_timezone_init(const struct cli *cli)
{
	char zone[CLOCK_MAX_ZONE + 1];
	/* A file that cannot be read, or a zone that is not there, is reported by the commands
	 * that load the configuration (cli_registry_load); the others keep TZ. */
	if (cli->config && venue_display_timezone(cli->config, zone, sizeof(zone)) == 0 && zone[0])
		setenv("TZ", zone, 1);
	tzset();
}

const char *cli_time(int64_t epoch, char *out, size_t outlen)
{
	if (!epoch) {
		if (outlen)
			out[0] = '\0';
		return out;
	}
	return clock_local(epoch, out, outlen);
}

const char *cli_time_iso(const char *iso, char *out, size_t outlen)
{
	struct tm tm = {0};
	const char *end = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end || strlen(iso) != 20)
		return iso ? iso : "";
	return clock_local((int64_t)timegm(&tm), out, outlen);
}
