/* SPDX-License-Identifier: MIT */
/* What alerting and tip intake remember: `alerts` (hit id -> when it was alerted, so each hit is
 * alerted once) and `tips` (URLs submitted for a priority check at the next run). It sends
 * nothing; the alert senders live outside the store.
 */
#include "index/store_int.h"

int store__alerts_open(struct store *s, MDB_txn *txn)
{
	int rc = store__mdb_err(mdb_dbi_open(txn, "alerts", MDB_CREATE, &s->alerts));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "tips", MDB_CREATE, &s->tips));
	return rc;
}
