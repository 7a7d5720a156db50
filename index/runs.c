/* SPDX-License-Identifier: MIT */
/* Crawl and scheduled-run records (DESIGN.md §7 `runs`): one record per run with its per-venue
 * stats, read by `patrol stats` and the review UI. It does not decide what runs; crawler/ and
 * cli/ do.
 */
#include "index/store_int.h"

int store__runs_open(struct store *s, MDB_txn *txn)
{
	return store__mdb_err(mdb_dbi_open(txn, "runs", MDB_CREATE, &s->runs));
}
