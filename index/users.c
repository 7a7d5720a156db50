/* SPDX-License-Identifier: MIT */
/* The review UI's analysts (`users`: name -> hash of their login token) and their sessions
 * (`sessions`: hash of the session id -> name and expiry). Tokens and session ids are kept only
 * as SHA-256 hashes, so a copy of the store logs nobody in. It does not speak HTTP; review/ does.
 * Also the UI's one counting read (hits per status, keys only), which review.c's listing lacks.
 * Each call is its own short transaction, so the UI runs beside a crawl.
 */
#include "index/store_int.h"

#include "common/digest.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int store__users_open(struct store *s, MDB_txn *txn)
{
	int rc = store__mdb_err(mdb_dbi_open(txn, "users", MDB_CREATE, &s->users));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "sessions", MDB_CREATE, &s->sessions));
	return rc;
}

bool store_user_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > STORE_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static MDB_val users__val(const void *p, size_t n)
{
	return (MDB_val){.mv_size = n, .mv_data = (void *)p};
}

/* Runs put (a write of one user or session) in a write transaction of its own, growing a full
 * map and trying again a few times. */
static int users__write(struct store *s, int (*put)(struct store_txn *t, void *ud), void *ud)
{
	int rc = -ENOSPC;
	for (int tries = 0; tries < 4 && rc == -ENOSPC; tries++) {
		struct store_txn *t = NULL;
		if (tries && (rc = store_grow(s)) != 0)
			return rc;
		if ((rc = store_write_begin(s, &t)) != 0)
			return rc;
		rc = put(t, ud);
		if (rc)
			store_write_abort(t);
		else
			rc = store_write_commit(t);
	}
	return rc;
}

struct user_add {
	const char *name;
	const uint8_t *hash;
	int64_t now;
};

static int user_add_put(struct store_txn *t, void *ud)
{
	struct user_add *a = ud;
	struct store_enc e;
	store__enc_start(&e, &t->enc, STORE_REC_VERSION);
	store__enc_raw(&e, a->hash, DIGEST_LEN);
	store__enc_i64(&e, a->now);
	int rc = store__enc_finish(&e);
	if (rc)
		return rc;
	MDB_val k = users__val(a->name, strlen(a->name)), v = users__val(t->enc.data, t->enc.len);
	rc = mdb_put(t->txn, t->s->users, &k, &v, MDB_NOOVERWRITE);
	return rc == MDB_KEYEXIST ? -EEXIST : store__mdb_err(rc);
}

int store_user_add(struct store *s, const char *name, const uint8_t token_hash[32], int64_t now)
{
	if (!store_user_name_valid(name))
		return ERR_USAGE;
	struct user_add a = {name, token_hash, now};
	return users__write(s, user_add_put, &a);
}

/* Record v1: token hash, created. v2 adds the analyst's preferences: language, time zone. */
#define USER_REC_PREFS 2

static int user_decode(const MDB_val *v, struct store_scratch *sc, struct store_user *u,
		       struct store_user_prefs *prefs)
{
	struct store_dec d;
	uint8_t ver;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, sc, &ver);
	if (rc)
		return rc;
	store__dec_raw(&d, u->token_hash, DIGEST_LEN);
	u->created = store__dec_i64(&d);
	struct store_user_prefs p = {"", ""};
	if (ver == USER_REC_PREFS) {
		const char *lang = store__dec_str(&d), *tz = store__dec_str(&d);
		if (lang && tz && strlen(lang) < sizeof(p.lang) && strlen(tz) < sizeof(p.tz)) {
			strcpy(p.lang, lang);
			strcpy(p.tz, tz);
		} else {
			return ERR_STORE;
		}
	} else if (ver != STORE_REC_VERSION) {
		return ERR_STORE;
	}
	rc = store__dec_finish(&d);
	if (!rc && prefs)
		*prefs = p;
	return rc;
}

/* name's record, decoded into u (and prefs, when not NULL) in a read transaction of its own. */
static int user_read(struct store *s, const char *name, struct store_user *u,
		     struct store_user_prefs *prefs)
{
	if (!store_user_name_valid(name))
		return ERR_NOT_FOUND;
	MDB_txn *txn = NULL;
	struct store_scratch sc;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&sc);
	MDB_val k = users__val(name, strlen(name)), v;
	rc = store__mdb_err(mdb_get(txn, s->users, &k, &v));
	if (!rc)
		rc = user_decode(&v, &sc, u, prefs);
	store__read_end(s, txn);
	store__scratch_done(&sc);
	return rc;
}

int store_user_get(struct store *s, const char *name, struct store_user *ret)
{
	struct store_user u = {0};
	int rc = user_read(s, name, &u, NULL);
	if (rc)
		return rc;
	snprintf(u.name, sizeof(u.name), "%s", name);
	*ret = u;
	return 0;
}

struct users_walk {
	int (*fn)(const struct store_user *u, void *ud);
	void *ud;
};

static int users_visit(const MDB_val *k, const MDB_val *v, struct store_scratch *sc, void *ctx)
{
	struct users_walk *w = ctx;
	struct store_user u = {0};
	if (k->mv_size == 0 || k->mv_size > STORE_USER_MAX)
		return ERR_STORE;
	memcpy(u.name, k->mv_data, k->mv_size);
	int rc = user_decode(v, sc, &u, NULL);
	return rc ? rc : w->fn(&u, w->ud);
}

int store_users_each(struct store *s, int (*fn)(const struct store_user *u, void *ud), void *ud)
{
	struct users_walk w = {fn, ud};
	return store__walk(s, s->users, users_visit, &w);
}

struct session_rec {
	const uint8_t *key;
	const char *name;
	int64_t expires;
};

static int session_put(struct store_txn *t, void *ud)
{
	struct session_rec *r = ud;
	struct store_enc e;
	store__enc_start(&e, &t->enc, STORE_REC_VERSION);
	store__enc_str(&e, r->name);
	store__enc_i64(&e, r->expires);
	int rc = store__enc_finish(&e);
	if (rc)
		return rc;
	MDB_val k = users__val(r->key, DIGEST_LEN), v = users__val(t->enc.data, t->enc.len);
	return store__mdb_err(mdb_put(t->txn, t->s->sessions, &k, &v, 0));
}

int store_session_put(struct store *s, const uint8_t id_hash[32], const char *name, int64_t expires)
{
	if (!store_user_name_valid(name))
		return ERR_USAGE;
	struct session_rec r = {id_hash, name, expires};
	return users__write(s, session_put, &r);
}

static int session_decode(const MDB_val *v, struct store_scratch *sc, char name[], int64_t *expires)
{
	struct store_dec d;
	uint8_t ver;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, sc, &ver);
	if (rc)
		return rc;
	const char *n = store__dec_str(&d);
	*expires = store__dec_i64(&d);
	rc = ver == STORE_REC_VERSION ? store__dec_finish(&d) : ERR_STORE;
	if (!rc && strlen(n) > STORE_USER_MAX)
		rc = ERR_STORE;
	if (!rc)
		strcpy(name, n);
	return rc;
}

/* A session counts only while its analyst exists: users remove ends them at once. */
int store_session_get(struct store *s, const uint8_t id_hash[32], int64_t now,
		      char ret_name[STORE_USER_MAX + 1])
{
	MDB_txn *txn = NULL;
	struct store_scratch sc;
	char name[STORE_USER_MAX + 1];
	int64_t expires = 0;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&sc);
	MDB_val k = users__val(id_hash, DIGEST_LEN), v;
	rc = store__mdb_err(mdb_get(txn, s->sessions, &k, &v));
	if (!rc)
		rc = session_decode(&v, &sc, name, &expires);
	if (!rc && expires <= now)
		rc = ERR_NOT_FOUND;
	if (!rc) {
		MDB_val uk = users__val(name, strlen(name)), uv;
		rc = store__mdb_err(mdb_get(txn, s->users, &uk, &uv));
	}
	store__read_end(s, txn);
	store__scratch_done(&sc);
	if (!rc)
		strcpy(ret_name, name);
	return rc;
}

struct session_del {
	const uint8_t *key; /* one session, or NULL: by name or expiry */
	const char *name;   /* every session of name; NULL for none */
	int64_t now;	    /* and every session expired by now */
	uint64_t removed;
};

static int session_sweep(struct store_txn *t, struct session_del *r)
{
	MDB_cursor *cur = NULL;
	int rc = store__mdb_err(mdb_cursor_open(t->txn, t->s->sessions, &cur));
	MDB_val k, v;
	int op = MDB_FIRST;
	while (!rc && (rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op))) == 0) {
		char name[STORE_USER_MAX + 1];
		int64_t expires = 0;
		op = MDB_NEXT;
		bool bad = session_decode(&v, &t->dec, name, &expires) != 0;
		if (bad || expires <= r->now || (r->name && strcmp(name, r->name) == 0)) {
			rc = store__mdb_err(mdb_cursor_del(cur, 0));
			r->removed++;
		}
	}
	if (cur)
		mdb_cursor_close(cur);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int session_del(struct store_txn *t, void *ud)
{
	struct session_del *r = ud;
	r->removed = 0;
	if (!r->key)
		return session_sweep(t, r);
	MDB_val k = users__val(r->key, DIGEST_LEN);
	int rc = store__mdb_err(mdb_del(t->txn, t->s->sessions, &k, NULL));
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

int store_session_remove(struct store *s, const uint8_t id_hash[32])
{
	struct session_del r = {.key = id_hash};
	return users__write(s, session_del, &r);
}

int store_sessions_expire(struct store *s, int64_t now, uint64_t *ret_removed)
{
	struct session_del r = {.now = now};
	int rc = users__write(s, session_del, &r);
	if (!rc && ret_removed)
		*ret_removed = r.removed;
	return rc;
}

static int user_remove_del(struct store_txn *t, void *ud)
{
	struct session_del *r = ud;
	MDB_val k = users__val(r->name, strlen(r->name));
	int rc = store__mdb_err(mdb_del(t->txn, t->s->users, &k, NULL));
	return rc ? rc : session_sweep(t, r);
}

int store_user_remove(struct store *s, const char *name, int64_t now)
{
	if (!store_user_name_valid(name))
		return ERR_NOT_FOUND;
	struct session_del r = {.name = name, .now = now};
	return users__write(s, user_remove_del, &r);
}

/* ---- An analyst's preferences (the review UI's language and time zone) ---- */

int store_user_prefs_get(struct store *s, const char *name, struct store_user_prefs *ret)
{
	struct store_user u = {0};
	struct store_user_prefs p;
	int rc = user_read(s, name, &u, &p);
	if (!rc)
		*ret = p;
	return rc;
}

struct prefs_set {
	const char *name;
	const struct store_user_prefs *p;
};

/* Reads the record and writes it back as v2 in one write transaction: a token changed between
 * the two cannot be lost. */
static int prefs_put(struct store_txn *t, void *ud)
{
	struct prefs_set *a = ud;
	struct store_user u = {0};
	MDB_val k = users__val(a->name, strlen(a->name)), v;
	int rc = store__mdb_err(mdb_get(t->txn, t->s->users, &k, &v));
	rc = rc ? rc : user_decode(&v, &t->dec, &u, NULL);
	if (rc)
		return rc;
	struct store_enc e;
	store__enc_start(&e, &t->enc, USER_REC_PREFS);
	store__enc_raw(&e, u.token_hash, DIGEST_LEN);
	store__enc_i64(&e, u.created);
	store__enc_str(&e, a->p->lang);
	store__enc_str(&e, a->p->tz);
	rc = store__enc_finish(&e);
	if (rc)
		return rc;
	v = users__val(t->enc.data, t->enc.len);
	return store__mdb_err(mdb_put(t->txn, t->s->users, &k, &v, 0));
}

int store_user_prefs_set(struct store *s, const char *name, const struct store_user_prefs *p)
{
	if (!store_user_name_valid(name))
		return ERR_NOT_FOUND;
	if (strnlen(p->lang, sizeof(p->lang)) == sizeof(p->lang) ||
	    strnlen(p->tz, sizeof(p->tz)) == sizeof(p->tz))
		return ERR_USAGE;
	struct prefs_set a = {name, p};
	return users__write(s, prefs_put, &a);
}

/* hits_by_status keys are status, NUL, then 16 bytes (review.c): count the keys with that
 * prefix, reading keys only, in chunks of short read transactions. */
int store_status_count(struct store *s, const char *status, uint64_t *ret)
{
	size_t plen = strlen(status) + 1;
	if (plen > STORE_STATUS_MAX + 1)
		return ERR_USAGE;
	uint8_t last[STORE_STATUS_MAX + 1 + 16 + 1];
	size_t last_len = 0;
	uint64_t n = 0;
	int rc = 0;
	for (bool more = true; more && !rc;) {
		MDB_txn *txn = NULL;
		MDB_cursor *cur = NULL;
		if ((rc = store__read_begin(s, &txn)) != 0)
			break;
		rc = store__mdb_err(mdb_cursor_open(txn, s->hits_by_status, &cur));
		MDB_val k = last_len ? users__val(last, last_len) : users__val(status, plen), v;
		if (!rc)
			rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE));
		if (!rc && last_len && k.mv_size == last_len &&
		    memcmp(k.mv_data, last, last_len) == 0)
			rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, MDB_NEXT));
		for (int i = 0; !rc && i < 4096; i++) {
			if (k.mv_size < plen || memcmp(k.mv_data, status, plen) != 0) {
				more = false;
				break;
			}
			n++;
			if (k.mv_size <= sizeof(last)) {
				memcpy(last, k.mv_data, k.mv_size);
				last_len = k.mv_size;
			}
			rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, MDB_NEXT));
		}
		if (rc == ERR_NOT_FOUND) {
			rc = 0;
			more = false;
		}
		if (cur)
			mdb_cursor_close(cur);
		store__read_end(s, txn);
	}
	if (!rc)
		*ret = n;
	return rc;
}
