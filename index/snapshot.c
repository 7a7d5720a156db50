/* SPDX-License-Identifier: MIT */
/* Visual evidence: `snapshots` maps the SHA-256 of a stored response (its `bodies` key) to the
 * screenshot patrol snapshot rendered of it, a PNG kept in `bodies` under its own SHA-256 (so
 * store_evidence_get reads it back and store_verify checks it like any response). It does not
 * render anything; cli/ drives the browser. Each put is a write transaction of its own, made
 * outside the crawl's batches: rendering takes seconds, storing a few hundred kilobytes.
 */
#include "index/store_int.h"

#include "common/err.h"

#include <errno.h>
#include <string.h>

#define SNAP_REC_VERSION 1
#define SNAP_REC_MAX	 256 /* a snapshots value is 61 bytes; anything far larger is not ours */
#define SNAP_GROW_TRIES	 4

int store__snapshots_open(struct store *s, MDB_txn *txn)
{
	return store__mdb_err(mdb_dbi_open(txn, "snapshots", MDB_CREATE, &s->snapshots));
}

static MDB_val snap_val(const void *p, size_t n)
{
	return (MDB_val){.mv_size = n, .mv_data = (void *)p};
}

static int snap_put_once(struct store *s, const struct store_snapshot *snap, const void *packed,
			 size_t len, struct buf *rec)
{
	struct store_txn *t = NULL;
	int rc = store_write_begin(s, &t);
	if (rc)
		return rc;
	rc = store_evidence_put(t, snap->png, packed, len);
	if (!rc) {
		MDB_val k = snap_val(snap->evidence, 32), v = snap_val(rec->data, rec->len);
		rc = store__mdb_err(mdb_put(t->txn, s->snapshots, &k, &v, 0));
	}
	if (rc) {
		store_write_abort(t);
		return rc;
	}
	return store_write_commit(t);
}

int store_snapshot_put(struct store *s, const struct store_snapshot *snap, const void *packed,
		       size_t len)
{
	struct buf rec;
	struct store_enc e;
	if (!s || !snap || !packed)
		return ERR_USAGE;
	buf_init(&rec, SNAP_REC_MAX);
	store__enc_start(&e, &rec, SNAP_REC_VERSION);
	store__enc_raw(&e, snap->png, 32);
	store__enc_i64(&e, snap->taken_at);
	store__enc_u32(&e, snap->width);
	store__enc_u32(&e, snap->height);
	store__enc_u64(&e, snap->bytes);
	int rc = store__enc_finish(&e);
	for (int tries = 0; !rc; tries++) { /* a full map: grow it and write again */
		rc = snap_put_once(s, snap, packed, len, &rec);
		if (rc != -ENOSPC || tries == SNAP_GROW_TRIES)
			break;
		rc = store_grow(s);
	}
	buf_done(&rec);
	return rc;
}

/* Decodes a snapshots value into ret (evidence left as the caller set it). */
static int snap_decode(const MDB_val *v, struct store_snapshot *ret)
{
	struct store_scratch scratch;
	struct store_dec d;
	struct store_snapshot out = *ret;
	uint8_t version = 0;
	store__scratch_init(&scratch);
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, &scratch, &version);
	if (!rc && version != SNAP_REC_VERSION)
		rc = ERR_STORE;
	if (!rc) {
		store__dec_raw(&d, out.png, 32);
		out.taken_at = store__dec_i64(&d);
		out.width = store__dec_u32(&d);
		out.height = store__dec_u32(&d);
		out.bytes = store__dec_u64(&d);
		rc = store__dec_finish(&d);
	}
	store__scratch_done(&scratch);
	if (!rc)
		*ret = out;
	return rc;
}

int store_snapshot_get(struct store *s, const uint8_t evidence[32], struct store_snapshot *ret)
{
	MDB_txn *txn = NULL;
	struct store_snapshot out = {0};
	if (!s || !evidence || !ret)
		return ERR_USAGE;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	MDB_val k = snap_val(evidence, 32), v;
	rc = store__mdb_err(mdb_get(txn, s->snapshots, &k, &v));
	memcpy(out.evidence, evidence, 32);
	if (!rc)
		rc = snap_decode(&v, &out); /* decoded while the value is still mapped */
	store__read_end(s, txn);
	if (!rc)
		*ret = out;
	return rc;
}

int store__snapshot_drop(struct store *s, MDB_txn *txn, const uint8_t evidence[32])
{
	MDB_val k = {32, (void *)evidence}, v;
	struct store_snapshot snap = {0};
	int rc = store__mdb_err(mdb_get(txn, s->snapshots, &k, &v));
	if (rc)
		return rc == ERR_NOT_FOUND ? 0 : rc;
	rc = snap_decode(&v, &snap);
	if (!rc) {
		MDB_val pk = {32, snap.png};
		rc = store__mdb_err(mdb_del(txn, s->bodies, &pk, NULL));
		rc = rc == ERR_NOT_FOUND ? 0 : rc;
	}
	/* A record that does not decode goes too: it can only name a PNG nobody can find. */
	if (!rc || rc == ERR_STORE)
		rc = store__mdb_err(mdb_del(txn, s->snapshots, &k, NULL));
	return rc;
}
