/* SPDX-License-Identifier: MIT */
/* The review UI's analysts (`users`: name -> hash of their login token) and their sessions
 * (`sessions`). Tokens and session ids are kept only as SHA-256 hashes. It does not speak HTTP;
 * review/ does.
 */
#include "index/store_int.h"

int store__users_open(struct store *s, MDB_txn *txn)
{
	int rc = store__mdb_err(mdb_dbi_open(txn, "users", MDB_CREATE, &s->users));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "sessions", MDB_CREATE, &s->sessions));
	return rc;
}
