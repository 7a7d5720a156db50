/* SPDX-License-Identifier: MIT */
/* The shared normalizer and pack loading of the rule engine's unit tests (rules_util.h). Tests
 * only: the normalizer is the one piece of state a test group shares. */
#include "rules_util.h"

#include "common/buf.h"
#include "parsers/normalize.h"
#include "rules/rules.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static struct normalizer *shared_nz;

int rules_util_group_setup(void **state)
{
	(void)state;
	char err[256];
	int rc = normalize_new(NULL, &shared_nz, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "normalize_new: %s\n", err);
	return rc;
}

int rules_util_group_teardown(void **state)
{
	(void)state;
	normalize_free(shared_nz);
	shared_nz = NULL;
	return 0;
}

int rules_util_load(const char *yaml, struct rules_set **set, struct buf *errors)
{
	struct rules_source src = {.name = "t.yaml", .data = yaml, .len = strlen(yaml)};
	buf_init(errors, 1 << 20);
	*set = NULL;
	return rules_set_load_shared(&src, 1, shared_nz, set, errors);
}

struct rules_set *rules_util_load_ok(const char *yaml)
{
	struct buf errors;
	struct rules_set *set;
	int rc = rules_util_load(yaml, &set, &errors);
	if (rc != 0)
		print_error("unexpected load errors:\n%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	assert_non_null(set);
	buf_done(&errors);
	return set;
}
