/* SPDX-License-Identifier: MIT */
/* Files compiled into the binary (scripts/embed.py writes assets.c at build time): the demo forum
 * (docs/demo/) and the shipped rule packs (rules/packs/). Immutable.
 */
#ifndef PATROL_CLI_ASSETS_H
#define PATROL_CLI_ASSETS_H

#include <stddef.h>

struct cli_asset {
	const char *path; /* relative to the source root: "docs/demo/index.html" */
	const unsigned char *data;
	size_t len;
};

extern const struct cli_asset cli_assets[];
extern const size_t cli_assets_count;

#endif
