/* SPDX-License-Identifier: MIT */
/* The temporary store of the store's unit tests (store_util.h). Tests only. */
#include "store_util.h"

#include "common/err.h"
#include "index/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int store_fixture_setup(void **state, const char *prefix)
{
	struct store_fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/patrol-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 prefix);
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->root);
	*state = f;
	return 0;
}

int store_fixture_setup_open(void **state, const char *prefix)
{
	char err[256];
	if (store_fixture_setup(state, prefix))
		return -1;
	struct store_fixture *f = *state;
	if (store_open(f->dir, &f->s, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "store_open: %s\n", err);
	store_fixture_teardown(state);
	return -1;
}

int store_fixture_teardown(void **state)
{
	struct store_fixture *f = *state;
	store_close(f->s);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

void store_fixture_open(struct store_fixture *f)
{
	char err[256];
	int rc = store_open(f->dir, &f->s, err, sizeof(err));
	if (rc)
		fail_msg("store_open: %s (%s)", err, err_str(rc));
}

void store_fixture_reopen(struct store_fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	store_fixture_open(f);
}
