/* SPDX-License-Identifier: MIT */
/* What alerting and tip intake remember: `alerts` ((target id, hit id) -> when it was alerted, so
 * each hit is alerted once per target) and `tips` (URLs submitted for a priority check, which
 * also join the frontier at priority 0). It sends nothing; the alert senders are crawler/alert.c.
 * Layouts in docs/storage.md, "Alerts and tips". No globals; the store's threading rules.
 */
#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <string.h>

#define META_CRAWL_OPEN "crawl_open" /* frontier.c's: 1 while a crawl is open */

int store__alerts_open(struct store *s, MDB_txn *txn)
{
	int rc = store__mdb_err(mdb_dbi_open(txn, "alerts", MDB_CREATE, &s->alerts));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "tips", MDB_CREATE, &s->tips));
	return rc;
}

int store_hit_find(struct store *s, const char *rule, const char *url, const char *match,
		   uint64_t *ret_id)
{
	if (!rule || !url || !match)
		return ERR_USAGE;
	uint8_t ident[DIGEST_LEN];
	struct store_hit h = {.rule = rule, .url = url, .match = match};
	int rc = store__hit_identity(&h, ident);
	MDB_txn *txn = NULL;
	if (!rc)
		rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	MDB_val k = {sizeof(ident), ident}, v;
	rc = store__mdb_err(mdb_get(txn, s->hit_keys, &k, &v));
	if (!rc && v.mv_size != 8)
		rc = ERR_STORE;
	uint64_t id = 0;
	for (size_t i = 0; !rc && i < 8; i++)
		id = id << 8 | ((const uint8_t *)v.mv_data)[i];
	store__read_end(s, txn);
	if (!rc && ret_id)
		*ret_id = id;
	return rc;
}

/* An alerts key: the target id, NUL, the hit id big-endian. */
static int alert_key(const char *target, uint64_t hit, uint8_t *out, size_t *ret_len)
{
	size_t n = target ? strlen(target) : 0;
	if (n == 0 || n > STORE_ALERT_TARGET_MAX || memchr(target, '\0', n))
		return ERR_USAGE;
	memcpy(out, target, n);
	out[n] = 0;
	for (int i = 0; i < 8; i++)
		out[n + 1 + i] = (uint8_t)(hit >> (8 * (7 - i)));
	*ret_len = n + 9;
	return 0;
}

int store_alert_get(struct store *s, const char *target, uint64_t hit, int64_t *ret_at)
{
	uint8_t key[STORE_ALERT_TARGET_MAX + 9];
	size_t klen;
	MDB_txn *txn = NULL;
	int rc = alert_key(target, hit, key, &klen);
	if (!rc)
		rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	MDB_val k = {klen, key}, v;
	rc = store__mdb_err(mdb_get(txn, s->alerts, &k, &v));
	int64_t at = 0;
	if (!rc && v.mv_size != 8)
		rc = ERR_STORE;
	for (size_t i = 0; !rc && i < 8; i++)
		at |= (int64_t)((const uint8_t *)v.mv_data)[i] << (8 * i);
	store__read_end(s, txn);
	if (!rc && ret_at)
		*ret_at = at;
	return rc;
}

int store_alert_put(struct store_txn *txn, const char *target, uint64_t hit, int64_t at)
{
	uint8_t key[STORE_ALERT_TARGET_MAX + 9], val[8];
	size_t klen;
	int rc = alert_key(target, hit, key, &klen);
	if (rc)
		return rc;
	for (int i = 0; i < 8; i++)
		val[i] = (uint8_t)((uint64_t)at >> (8 * i));
	MDB_val k = {klen, key}, v = {sizeof(val), val};
	return store__mdb_err(mdb_put(txn->txn, txn->s->alerts, &k, &v, 0));
}

/* ---- tips ---- */

#define TIP_REC_VERSION 1

static int tip_check(const struct store_tip *t)
{
	if (!t->url || !t->url[0] || !t->venue || !t->venue[0] || !t->actor || !t->actor[0])
		return ERR_USAGE;
	if (strlen(t->url) > STORE_URL_MAX || strlen(t->venue) > STORE_NOTE_MAX ||
	    strlen(t->actor) > STORE_NOTE_MAX || (t->note && strlen(t->note) > STORE_NOTE_MAX))
		return ERR_TOO_BIG;
	return 0;
}

/* The generation to queue a tip in: the open crawl's, or a crawl begun for it. */
static int tip_generation(struct store_txn *txn, int64_t now, uint64_t *ret_gen)
{
	uint64_t open = 0;
	int rc = store__meta_get_u64(txn->txn, txn->s->meta, META_CRAWL_OPEN, &open);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	if (open)
		return store__meta_get_u64(txn->txn, txn->s->meta, "crawl_gen", ret_gen);
	return store_crawl_begin(txn, now * 1000, ret_gen, NULL);
}

int store_tip_put(struct store_txn *txn, const struct store_tip *tip, const char *host,
		  int64_t now, enum store_push *ret_pushed)
{
	uint8_t key[DIGEST_LEN];
	uint64_t gen = 0;
	struct store_enc e;
	int rc = tip_check(tip);
	if (!rc)
		rc = digest_sha256(tip->url, strlen(tip->url), key);
	if (rc)
		return rc;
	store__enc_start(&e, &txn->enc, TIP_REC_VERSION);
	store__enc_str(&e, tip->url);
	store__enc_str(&e, tip->venue);
	store__enc_str(&e, tip->note);
	store__enc_str(&e, tip->actor);
	store__enc_i64(&e, tip->at);
	if ((rc = store__enc_finish(&e)) != 0)
		return rc;
	MDB_val k = {sizeof(key), key}, v = {txn->enc.len, txn->enc.data};
	rc = store__mdb_err(mdb_put(txn->txn, txn->s->tips, &k, &v, 0));
	if (!rc)
		rc = tip_generation(txn, now, &gen);
	if (rc)
		return rc;
	struct store_frontier_entry fe = {
		.url = tip->url, .host = host, .venue = tip->venue, .priority = STORE_PRIO_SEED};
	return store_frontier_push(txn, gen, &fe, ret_pushed);
}

static int tip_decode(const MDB_val *v, struct store_scratch *s, struct store_tip *ret)
{
	struct store_dec d;
	uint8_t version;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, s, &version);
	if (rc)
		return rc;
	if (version != TIP_REC_VERSION)
		return ERR_STORE;
	struct store_tip t;
	t.url = store__dec_str(&d);
	t.venue = store__dec_str(&d);
	t.note = store__dec_str(&d);
	t.actor = store__dec_str(&d);
	t.at = store__dec_i64(&d);
	if ((rc = store__dec_finish(&d)) == 0)
		*ret = t;
	return rc;
}

int store_tip_get(struct store *s, const char *url, store_tip_fn fn, void *ud)
{
	uint8_t key[DIGEST_LEN];
	MDB_txn *txn = NULL;
	struct store_scratch scratch;
	struct store_tip t;
	if (!url)
		return ERR_USAGE;
	int rc = digest_sha256(url, strlen(url), key);
	if (!rc)
		rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&scratch);
	MDB_val k = {sizeof(key), key}, v;
	rc = store__mdb_err(mdb_get(txn, s->tips, &k, &v));
	if (!rc)
		rc = tip_decode(&v, &scratch, &t);
	if (!rc)
		rc = fn(&t, ud);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	return rc;
}

struct tips_walk {
	store_tip_fn fn;
	void *ud;
};

static int visit_tip(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	(void)k;
	struct tips_walk *w = ctx;
	struct store_tip t;
	int rc = tip_decode(v, s, &t);
	return rc ? rc : w->fn(&t, w->ud);
}

int store_tips_each(struct store *s, store_tip_fn fn, void *ud)
{
	struct tips_walk w = {fn, ud};
	return store__walk(s, s->tips, visit_tip, &w);
}
