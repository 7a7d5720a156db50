/* SPDX-License-Identifier: MIT */
/* Fuzz target for parsers/yaml: the bytes are a YAML file. The tree is walked with every helper
 * on every node (keys checked against a small schema, each value read as a string, a boolean, a
 * number, a list and a mapping), and the error report is written, so the builder, the caps and
 * the helpers all see what the fuzzer invents. Small caps make the cap paths reachable.
 */
#include "common/buf.h"
#include "parsers/yaml.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct yaml_key keys[] = {
	{ "id", true }, { "name", false }, { "seeds", false }, { "scope", false }, { "n", false },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void walk(struct yaml_doc *d, const struct yaml_node *n, size_t depth)
{
	bool b;
	uint64_t u;
	if (depth > YAML_MAX_DEPTH_LIMIT + 1)
		__builtin_trap(); /* the builder's depth cap failed */
	yaml_get_string(d, n, "v", depth & 1);
	yaml_get_bool(d, n, "v", &b);
	yaml_get_uint(d, n, "v", 1, 1000, &u);
	yaml_check_list(d, n, "v", 4);
	yaml_check_string_list(d, n, "v", 4);
	if (yaml_check_map(d, n, "v")) {
		const struct yaml_node *vals[NKEYS], *knodes[NKEYS];
		yaml_map_fields(d, n, keys, NKEYS, vals, knodes);
	}
	for (const struct yaml_node *c = n->first; c; c = c->next)
		walk(d, c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_limits lim;
	struct yaml_doc *d = NULL;
	yaml_limits_default(&lim);
	lim.max_bytes = 1 << 16;
	lim.max_nodes = 2000;
	lim.max_errors = 20;
	lim.max_depth = size & 1 ? 8 : 1000; /* 1000 is clamped to YAML_MAX_DEPTH_LIMIT */
	if (yaml_doc_parse("fuzz.yaml", (const char *)data, size, &lim, &d) != 0)
		return 0;
	const struct yaml_node *root = yaml_doc_root(d);
	if (root)
		walk(d, root, 1);
	struct buf report;
	buf_init(&report, 1 << 16);
	yaml_doc_report(d, &report);
	buf_done(&report);
	yaml_doc_free(d);
	return 0;
}
