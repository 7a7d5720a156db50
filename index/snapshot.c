/* SPDX-License-Identifier: MIT */
/* Visual evidence: `snapshots` maps the SHA-256 of a stored response (its `bodies` key) to the
 * screenshot patrol snapshot rendered of it, a PNG kept in `bodies` under its own SHA-256. It does
 * not render anything; cli/ drives the browser.
 */
#include "index/store_int.h"

int store__snapshots_open(struct store *s, MDB_txn *txn)
{
	return store__mdb_err(mdb_dbi_open(txn, "snapshots", MDB_CREATE, &s->snapshots));
}
