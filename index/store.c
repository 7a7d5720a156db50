/* SPDX-License-Identifier: MIT */
/* The LMDB side of store.h: the environment, its named databases, the schema check, write
 * transactions, pages, hits, walks and counts; and the crawl lock beside them. Layouts are in
 * docs/storage.md.
 *
 * The handle is read-only after store_open (env and database handles), so threads may share it;
 * only the crawl lock changes, guarded by an atomic flag. A store_txn carries its own scratch
 * buffers and belongs to the thread that began it. MDB_* codes are translated here and never
 * leave this file.
 */
#include "index/store.h"

#include "common/buf.h"
#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The map of a new environment. Overridable at build time only so a test can fill a store and
 * meet a full map with little data (tests/meson.build, store_map_test). */
#ifndef STORE_MAP_SIZE
#define STORE_MAP_SIZE ((size_t)1 << 30)
#endif
#define STORE_MAP_MAX  ((size_t)1 << 40)   /* store_grow stops doubling here */
#define STORE_MAX_DBS  32

#define META_SCHEMA  "schema_version"
#define META_HIT_SEQ "hit_seq"
#define LOCK_FILE    "crawl.lock"

/* LMDB returns errno values as positive numbers and its own codes in a negative range. */
static int mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return 0;
	case MDB_NOTFOUND: return ERR_NOT_FOUND;
	case MDB_MAP_FULL: return -ENOSPC; /* store_grow, then redo the transaction */
	case MDB_TXN_FULL: return ERR_TOO_BIG;
	default: return rc > 0 ? -rc : ERR_STORE;
	}
}

int store__mdb_err(int rc)
{
	return mdb_err(rc);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

static MDB_val val_str(const char *s)
{
	return val_of(s, strlen(s));
}

/* mkdir -p: every missing component is created; the last one only for the owner, since the
 * store holds what patrol found. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0)
		return -ENOENT;
	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		if (path[i - 1] == '/')
			continue;
		char c = path[i];
		path[i] = '\0';
		int rc = mkdir(path, c ? 0777 : 0700);
		path[i] = c;
		if (rc && errno != EEXIST)
			return -errno;
	}
	struct stat st;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int store__meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *ret)
{
	MDB_val k = val_str(key), v;
	int rc = mdb_err(mdb_get(txn, dbi, &k, &v));
	if (rc)
		return rc;
	if (v.mv_size != 8)
		return ERR_STORE;
	const uint8_t *p = v.mv_data;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)p[i] << (8 * i);
	*ret = x;
	return 0;
}

int store__meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t x)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	MDB_val k = val_str(key), v = val_of(b, sizeof(b));
	return mdb_err(mdb_put(txn, dbi, &k, &v, 0));
}

/* The schema version: decimal text, digits only. ERR_NOT_FOUND when absent. */
static int schema_get(MDB_txn *txn, MDB_dbi meta, unsigned *ret)
{
	MDB_val k = val_str(META_SCHEMA), v;
	int rc = mdb_err(mdb_get(txn, meta, &k, &v));
	if (rc)
		return rc;
	const char *p = v.mv_data;
	if (v.mv_size == 0 || v.mv_size > 9)
		return ERR_STORE;
	unsigned x = 0;
	for (size_t i = 0; i < v.mv_size; i++) {
		if (p[i] < '0' || p[i] > '9')
			return ERR_STORE;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*ret = x;
	return 0;
}

static int schema_put(MDB_txn *txn, MDB_dbi meta, unsigned version)
{
	char text[16];
	snprintf(text, sizeof(text), "%u", version);
	MDB_val k = val_str(META_SCHEMA), v = val_str(text);
	return mdb_err(mdb_put(txn, meta, &k, &v, 0));
}

int store__db_entries(MDB_txn *txn, MDB_dbi dbi, uint64_t *ret)
{
	MDB_stat st;
	int rc = mdb_err(mdb_stat(txn, dbi, &st));
	if (rc)
		return rc;
	*ret = st.ms_entries;
	return 0;
}

/* A page_hits key: SHA-256 of the page's URL, then the hit id big-endian. */
#define PH_KEY_LEN (DIGEST_LEN + 8)

static void id_key(uint64_t id, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(id >> (8 * (7 - i)));
}

static uint64_t id_of_key(const uint8_t k[8])
{
	uint64_t id = 0;
	for (int i = 0; i < 8; i++)
		id = id << 8 | k[i];
	return id;
}

static int page_hit_put(MDB_txn *txn, MDB_dbi dbi, const char *url, uint64_t id)
{
	uint8_t key[PH_KEY_LEN];
	int rc = digest_sha256(url, strlen(url), key);
	if (rc)
		return rc;
	id_key(id, key + DIGEST_LEN);
	MDB_val k = val_of(key, sizeof(key)), v = val_of("", 0);
	return mdb_err(mdb_put(txn, dbi, &k, &v, 0));
}

/* Schema 4's databases: the evidence (bodies) and the page->hits index. */
static int schema4_create(struct store *s, MDB_txn *txn)
{
	int rc = mdb_err(mdb_dbi_open(txn, "bodies", MDB_CREATE, &s->bodies));
	if (!rc)
		rc = mdb_err(mdb_dbi_open(txn, "page_hits", MDB_CREATE, &s->page_hits));
	return rc;
}

/* The migration from schema 3: page_hits gets every hit stored so far. Hit records stay as they
 * are (version 1 is still read), so the transaction changes only small index pages. */
static int page_hits_build(struct store *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	struct store_scratch scratch;
	MDB_val k, v;
	store__scratch_init(&scratch);
	int rc = schema4_create(s, txn);
	if (!rc)
		rc = mdb_err(mdb_cursor_open(txn, s->hits, &cur));
	for (int op = MDB_FIRST; !rc; op = MDB_NEXT) {
		struct store_hit h;
		int mrc = mdb_cursor_get(cur, &k, &v, op);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? 0 : mdb_err(mrc);
			break;
		}
		rc = k.mv_size == 8 ? store__hit_decode(v.mv_data, v.mv_size, &scratch, &h)
				    : ERR_STORE;
		if (!rc)
			rc = page_hit_put(txn, s->page_hits, h.url, id_of_key(k.mv_data));
	}
	if (cur)
		mdb_cursor_close(cur);
	store__scratch_done(&scratch);
	return rc;
}

/* One step per schema change, taking the store from version `from` to from + 1 inside the open
 * transaction. 0 -> 1: nothing (1 was the first). 1 -> 2: the frontier's databases. 2 -> 3: the
 * query-variant counters; page records of version 1 stay as they are (they are still read).
 * 3 -> 4: bodies and page_hits, the latter filled from the hits; hit records stay version 1.
 * 4 -> 5: seen records under keys that begin with the URL (frontier.c). */
static int migrate_step(struct store *s, MDB_txn *txn, unsigned from)
{
	if (from == 1)
		return store__frontier_create(txn, s->meta);
	if (from == 2)
		return store__variants_create(txn);
	if (from == 3)
		return page_hits_build(s, txn);
	if (from == 4)
		return store__seen_rekey(s, txn);
	return 0;
}

/* A store with no schema version is new only if it holds nothing yet. */
static int schema_init(struct store *s, MDB_txn *txn, const char *dir, char *err, size_t errlen)
{
	uint64_t pages = 0, hits = 0;
	int rc = store__db_entries(txn, s->pages, &pages);
	if (!rc)
		rc = store__db_entries(txn, s->hits, &hits);
	if (rc)
		return rc;
	if (pages || hits) {
		set_err(err, errlen, "store at %s has data but no schema version", dir);
		return ERR_STORE;
	}
	rc = schema_put(txn, s->meta, STORE_SCHEMA_VERSION);
	if (!rc)
		rc = store__meta_put_u64(txn, s->meta, META_HIT_SEQ, 1);
	if (!rc)
		rc = store__frontier_create(txn, s->meta);
	if (!rc)
		rc = store__variants_create(txn);
	if (!rc)
		rc = schema4_create(s, txn);
	return rc;
}

static int schema_check(struct store *s, MDB_txn *txn, const char *dir, char *err, size_t errlen)
{
	unsigned version;
	int rc = schema_get(txn, s->meta, &version);
	if (rc == ERR_NOT_FOUND)
		return schema_init(s, txn, dir, err, errlen);
	if (rc) {
		set_err(err, errlen, "store at %s has an unreadable schema version", dir);
		return rc;
	}
	if (version > STORE_SCHEMA_VERSION) {
		set_err(err, errlen,
			"store at %s was written by a newer patrol "
			"(schema %u, this patrol knows %u)",
			dir, version, STORE_SCHEMA_VERSION);
		return ERR_SCHEMA;
	}
	for (unsigned v = version; v < STORE_SCHEMA_VERSION; v++) {
		rc = migrate_step(s, txn, v);
		if (rc) {
			set_err(err, errlen, "store at %s: migration from schema %u failed: %s",
				dir, v, err_str(rc));
			return rc;
		}
	}
	if (version < STORE_SCHEMA_VERSION)
		rc = schema_put(txn, s->meta, STORE_SCHEMA_VERSION);
	return rc;
}

/* Opens (creating) the named databases and checks the schema, all in one write transaction. */
static int store_prepare(struct store *s, const char *dir, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	int rc = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (rc)
		goto fail;
	if ((rc = mdb_err(mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta))) ||
	    (rc = mdb_err(mdb_dbi_open(txn, "pages", MDB_CREATE, &s->pages))) ||
	    (rc = mdb_err(mdb_dbi_open(txn, "hits", MDB_CREATE, &s->hits))) ||
	    (rc = mdb_err(mdb_dbi_open(txn, "hit_keys", MDB_CREATE, &s->hit_keys))))
		goto fail;
	rc = schema_check(s, txn, dir, err, errlen);
	if (rc)
		goto fail_quiet;
	/* Created by schema_init or the migrations: missing now means a damaged store. */
	rc = store__frontier_open(s, txn);
	if (!rc && ((rc = mdb_err(mdb_dbi_open(txn, "bodies", 0, &s->bodies))) ||
		    (rc = mdb_err(mdb_dbi_open(txn, "page_hits", 0, &s->page_hits)))))
		rc = rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	if (!rc)
		rc = store__review_open(s, txn);
	if (!rc)
		rc = store__runs_open(s, txn);
	if (!rc)
		rc = store__users_open(s, txn);
	if (!rc)
		rc = store__alerts_open(s, txn);
	if (!rc)
		rc = store__snapshots_open(s, txn);
	if (rc)
		goto fail;
	rc = mdb_err(mdb_txn_commit(txn));
	txn = NULL;
	if (rc)
		goto fail;
	return 0;
fail:
	set_err(err, errlen, "cannot prepare store at %s: %s", dir, err_str(rc));
fail_quiet:
	if (txn)
		mdb_txn_abort(txn);
	return rc;
}

static int env_open(struct store *s, const char *dir, char *err, size_t errlen)
{
	int mrc = mdb_env_create(&s->env);
	if (mrc)
		goto fail;
	if ((mrc = mdb_env_set_mapsize(s->env, STORE_MAP_SIZE)) ||
	    (mrc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) ||
	    (mrc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_NOSYNC, 0600)))
		goto fail;
	return 0;
fail:
	set_err(err, errlen, "cannot open store at %s: %s", dir, mdb_strerror(mrc));
	return mdb_err(mrc);
}

/* Finds LMDB's map of data.mdb in /proc/self/maps: mdb_env_info gives its address only for
 * MDB_FIXEDMAP environments. The map is the shared mapping of the file's inode from offset 0 that
 * is as long as the map size; it stays where it is until mdb_env_close (we never resize it).
 * Only store_trim needs it, so a system without /proc just cannot trim. */
static void map_find(struct store *s)
{
	MDB_envinfo info;
	mdb_filehandle_t fd;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	if (mdb_env_info(s->env, &info) || mdb_env_get_fd(s->env, &fd) || fstat(fd, &st))
		return;
	FILE *fp = fopen("/proc/self/maps", "re");
	if (!fp)
		return;
	while (getline(&line, &cap, fp) > 0) {
		unsigned long lo, hi, off, ino;
		char perms[8];
		/* "lo-hi perms offset major:minor inode path"; the device is not compared, since
		 * btrfs shows another one here than stat(2) does. */
		if (sscanf(line, "%lx-%lx %7s %lx %*x:%*x %lu", &lo, &hi, perms, &off, &ino) != 5)
			continue;
		if (ino == (unsigned long)st.st_ino && off == 0 && perms[3] == 's' &&
		    hi - lo == info.me_mapsize) {
			s->map = (void *)lo;
			s->map_len = hi - lo;
			break;
		}
	}
	free(line);
	fclose(fp);
}

/* store_prepare, growing the map while it is full. A migration rewrites records of the whole
 * store in one transaction, and LMDB sizes the map of an existing store to the data it holds
 * (when that is more than STORE_MAP_SIZE): a store near that size could never be opened by a
 * patrol that migrates it. No transaction is open here, so the map may change. */
static int prepare_growing(struct store *s, const char *dir, char *err, size_t errlen)
{
	for (;;) {
		set_err(err, errlen, "%s", ""); /* a message of a try that ran out of map goes */
		int rc = store_prepare(s, dir, err, errlen);
		MDB_envinfo info;
		if (rc != -ENOSPC || mdb_env_info(s->env, &info) != 0 ||
		    info.me_mapsize >= STORE_MAP_MAX)
			return rc;
		int mrc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
		if (mrc) {
			set_err(err, errlen, "cannot grow the map of store at %s: %s", dir,
				mdb_strerror(mrc));
			return mdb_err(mrc);
		}
	}
}

int store_open(const char *dir, struct store **ret_store, char *err, size_t errlen)
{
	set_err(err, errlen, "%s", "");
	int rc = make_dirs(dir);
	if (rc) {
		set_err(err, errlen, "cannot create store directory %s: %s", dir, err_str(rc));
		return rc;
	}
	struct store *s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		set_err(err, errlen, "cannot open store at %s: out of memory", dir);
		return -ENOMEM;
	}
	s->lock_fd = -1;
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	/* Readers first, so a thread may take it shared twice (a trim inside a write transaction)
	 * while store_grow waits: growing is rare and can wait for a gap. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_READER_NP);
	rc = -pthread_rwlock_init(&s->resize_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (rc) {
		free(s->dir);
		free(s);
		set_err(err, errlen, "cannot open store at %s: %s", dir, err_str(rc));
		return rc;
	}
	rc = env_open(s, dir, err, errlen);
	if (!rc)
		rc = prepare_growing(s, dir, err, errlen);
	if (rc)
		goto fail;
	map_find(s);
	*ret_store = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	store_crawl_unlock(s);
	if (s->env)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize_lock);
	free(s->dir);
	free(s);
}

/* LMDB reads through a shared, read-only map of data.mdb: a page it reads stays mapped, and counts
 * in the process's RSS, until the process unmaps it, so a crawl's RSS would follow the size of the
 * store. Dropping the mappings loses nothing: the environment is opened without MDB_WRITEMAP, so
 * LMDB never writes through the map (it writes with pwrite and keeps uncommitted pages in its own
 * buffers), and every mapped page is a clean view of the file's page cache. A thread that touches
 * a dropped page, in a read or write transaction, faults the same bytes back in: for a shared file
 * mapping MADV_DONTNEED only removes page-table entries (madvise(2)). */
int store_trim(struct store *s)
{
	int rc = -ENOTSUP;
	pthread_rwlock_rdlock(&s->resize_lock);
	if (s->map)
		rc = madvise(s->map, s->map_len, MADV_DONTNEED) == 0 ? 0 : -errno;
	pthread_rwlock_unlock(&s->resize_lock);
	return rc;
}

/* Sets the map to size (0: adopt the size another process gave it) with resize_lock held
 * exclusively, so no transaction of this process is open, and finds the moved map again. */
static int map_resize(struct store *s, size_t size)
{
	pthread_rwlock_wrlock(&s->resize_lock);
	int rc = mdb_err(mdb_env_set_mapsize(s->env, size));
	s->map = NULL;
	s->map_len = 0;
	map_find(s);
	pthread_rwlock_unlock(&s->resize_lock);
	return rc;
}

static size_t map_size(struct store *s)
{
	MDB_envinfo info;
	return mdb_env_info(s->env, &info) == 0 ? info.me_mapsize : 0;
}

int store_grow(struct store *s)
{
	size_t now = map_size(s);
	if (now == 0)
		return ERR_STORE;
	if (now >= STORE_MAP_MAX)
		return ERR_TOO_BIG;
	return map_resize(s, now * 2);
}

/* Grows the map before a write once three quarters of it are used, so a transaction rarely
 * meets MDB_MAP_FULL at all. Only when no other transaction of this process is open right now
 * (trywrlock): a caller inside a walk must not wait for itself; a full map still says -ENOSPC. */
static void map_grow_early(struct store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st))
		return;
	size_t used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	if (used <= info.me_mapsize / 4 * 3 || info.me_mapsize >= STORE_MAP_MAX)
		return;
	if (pthread_rwlock_trywrlock(&s->resize_lock) != 0)
		return;
	if (mdb_env_set_mapsize(s->env, info.me_mapsize * 2) == 0) {
		s->map = NULL;
		s->map_len = 0;
		map_find(s);
	}
	pthread_rwlock_unlock(&s->resize_lock);
}

/* Begins a transaction holding resize_lock shared. MDB_MAP_RESIZED: another process grew the
 * map past ours; adopt its size and begin again. */
static int txn_begin_locked(struct store *s, unsigned flags, MDB_txn **ret)
{
	for (int tries = 0;; tries++) {
		pthread_rwlock_rdlock(&s->resize_lock);
		int mrc = mdb_txn_begin(s->env, NULL, flags, ret);
		if (mrc == 0)
			return 0;
		pthread_rwlock_unlock(&s->resize_lock);
		if (mrc != MDB_MAP_RESIZED || tries == 2)
			return mdb_err(mrc);
		int rc = map_resize(s, 0);
		if (rc)
			return rc;
	}
}

int store__read_begin(struct store *s, MDB_txn **ret_txn)
{
	return txn_begin_locked(s, MDB_RDONLY, ret_txn);
}

void store__read_end(struct store *s, MDB_txn *txn)
{
	if (!txn)
		return;
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&s->resize_lock);
}

/* The pid the holder wrote into the lock file, or 0 when it cannot be read (say, the holder is
 * between truncating and writing it). */
static long lock_holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	long pid = strtol(text, NULL, 10);
	return pid > 0 ? pid : 0;
}

/* flock(2), not fcntl locks: they belong to the open file, so a second crawl in this very
 * process is refused too, and closing some other descriptor of the file does not drop them. */
static int lock_take(struct store *s, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = -errno;
		set_err(err, errlen, "cannot open the crawl lock %s: %s", path, err_str(rc));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		long pid = rc == -EBUSY ? lock_holder(fd) : 0;
		if (rc == -EBUSY && pid)
			set_err(err, errlen, "another patrol crawl is using %s (pid %ld)", s->dir,
				pid);
		else if (rc == -EBUSY)
			set_err(err, errlen, "another patrol crawl is using %s", s->dir);
		else
			set_err(err, errlen, "cannot lock %s: %s", path, err_str(rc));
		close(fd);
		return rc;
	}
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	/* The pid only makes a refused crawl's message better: the lock holds without it. */
	bool noted = ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) == n;
	(void)noted;
	s->lock_fd = fd;
	return 0;
}

int store_crawl_lock(struct store *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	set_err(err, errlen, "%s", "");
	if (atomic_exchange(&s->crawl_locked, true)) {
		set_err(err, errlen, "another patrol crawl is using %s (pid %ld)", s->dir,
			(long)getpid());
		return -EBUSY;
	}
	int rc = 0;
	if (snprintf(path, sizeof(path), "%s/" LOCK_FILE, s->dir) >= (int)sizeof(path)) {
		rc = -ENAMETOOLONG;
		set_err(err, errlen, "cannot lock %s: %s", s->dir, err_str(rc));
	}
	if (!rc)
		rc = lock_take(s, path, err, errlen);
	if (rc)
		atomic_store(&s->crawl_locked, false);
	return rc;
}

void store_crawl_unlock(struct store *s)
{
	if (!s || s->lock_fd < 0)
		return;
	/* Emptied first, so a stale pid never names a process that no longer crawls; should that
	 * fail, the next holder overwrites it anyway. */
	int rc = ftruncate(s->lock_fd, 0);
	(void)rc;
	close(s->lock_fd);
	s->lock_fd = -1;
	atomic_store(&s->crawl_locked, false);
}

int store_write_begin(struct store *s, struct store_txn **ret_txn)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	map_grow_early(s);
	int rc = txn_begin_locked(s, 0, &t->txn);
	if (rc) {
		free(t);
		return rc;
	}
	t->s = s;
	buf_init(&t->enc, STORE_REC_MAX);
	store__scratch_init(&t->dec);
	*ret_txn = t;
	return 0;
}

static void txn_free(struct store_txn *t)
{
	pthread_rwlock_unlock(&t->s->resize_lock);
	buf_done(&t->enc);
	store__scratch_done(&t->dec);
	free(t);
}

/* The environment is opened with MDB_NOSYNC: a commit reaches the OS (so a killed process loses
 * nothing committed) and store_write_commit then syncs it to disk, together with every lazy
 * commit before it. A lazy commit skips that sync: a system crash (not a process crash) may undo
 * it, never corrupt the store, since a later sync writes everything in order. */
static int txn_commit(struct store_txn *txn, bool sync)
{
	struct store *s = txn->s;
	int rc = mdb_err(mdb_txn_commit(txn->txn));
	txn_free(txn);
	if (rc == 0 && sync)
		rc = mdb_err(mdb_env_sync(s->env, 1));
	return rc;
}

int store_write_commit(struct store_txn *txn)
{
	return txn_commit(txn, true);
}

int store_write_commit_lazy(struct store_txn *txn)
{
	return txn_commit(txn, false);
}

int store_sync(struct store *s)
{
	pthread_rwlock_rdlock(&s->resize_lock);
	int rc = mdb_err(mdb_env_sync(s->env, 1));
	pthread_rwlock_unlock(&s->resize_lock);
	return rc;
}

void store_write_abort(struct store_txn *txn)
{
	if (!txn)
		return;
	mdb_txn_abort(txn->txn);
	txn_free(txn);
}

int store_page_put(struct store_txn *txn, const struct store_page *page)
{
	uint8_t key[DIGEST_LEN];
	if (!page->url)
		return ERR_USAGE;
	int rc = digest_sha256(page->url, strlen(page->url), key);
	if (!rc)
		rc = store__page_encode(page, &txn->enc);
	if (rc)
		return rc;
	MDB_val k = val_of(key, sizeof(key)), v = val_of(txn->enc.data, txn->enc.len);
	return mdb_err(mdb_put(txn->txn, txn->s->pages, &k, &v, 0));
}

/* The identity of a hit: SHA-256 of rule NUL url NUL match. */
int store__hit_identity(const struct store_hit *hit, uint8_t out[DIGEST_LEN])
{
	struct digest_part parts[] = {
		{hit->rule, strlen(hit->rule) + 1},
		{hit->url, strlen(hit->url) + 1},
		{hit->match, strlen(hit->match)},
	};
	return digest_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), out);
}

static bool digest_zero(const uint8_t d[DIGEST_LEN])
{
	static const uint8_t zero[DIGEST_LEN];
	return memcmp(d, zero, DIGEST_LEN) == 0;
}

/* Reads hit idk into *ret (strings in t->dec, valid until the next decode). A key that names no
 * hit is ERR_STORE: an index (hit_keys, page_hits) disagrees with hits. */
static int hit_read(struct store_txn *t, const uint8_t idk[8], struct store_hit *ret)
{
	MDB_val k = val_of(idk, 8), v;
	int rc = mdb_err(mdb_get(t->txn, t->s->hits, &k, &v));
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	rc = store__hit_decode(v.mv_data, v.mv_size, &t->dec, ret);
	if (!rc)
		ret->id = id_of_key(idk);
	return rc;
}

/* Writes hit h (id in idk) over old, keeping the status index in step. */
static int hit_write(struct store_txn *t, const uint8_t idk[8], const struct store_hit *old,
		     const struct store_hit *h)
{
	int rc = store__hit_encode(h, &t->enc);
	if (rc)
		return rc;
	MDB_val k = val_of(idk, 8), v = val_of(t->enc.data, t->enc.len);
	rc = mdb_err(mdb_put(t->txn, t->s->hits, &k, &v, 0));
	if (!rc)
		rc = store__status_index(t->s, t->txn, id_of_key(idk), old, h);
	return rc;
}

/* The hit is on its page (again) at seen_at. A hit that had gone comes back with the status it
 * had; a dismissed one stays dismissed. */
static void hit_seen(struct store_hit *h, int64_t seen_at)
{
	h->last_seen = seen_at;
	if (h->count < UINT64_MAX)
		h->count++;
	if (strcmp(h->status, "gone") == 0) {
		h->status = h->prior_status[0] ? h->prior_status : "new";
		h->prior_status = "";
	}
	h->gone_at = 0;
}

/* A hit seen before: last_seen and count change, and a hit gone comes back. Evidence and pack
 * of a hit stored before schema 4 are filled in from this sighting; others keep the first. */
static int hit_update(struct store_txn *t, const uint8_t idk[8], const struct store_hit *seen,
		      int64_t seen_at)
{
	struct store_hit h, old;
	int rc = hit_read(t, idk, &h);
	if (rc)
		return rc;
	old = h;
	hit_seen(&h, seen_at);
	if (digest_zero(h.evidence))
		memcpy(h.evidence, seen->evidence, DIGEST_LEN);
	if (!h.pack_digest[0] && seen->pack_digest) {
		h.pack_version = seen->pack_version;
		h.pack_digest = seen->pack_digest;
	}
	return hit_write(t, idk, &old, &h);
}

static int hit_insert(struct store_txn *t, const struct store_hit *hit, const MDB_val *ident,
		      int64_t seen_at, uint64_t *ret_id)
{
	uint64_t id;
	uint8_t idk[8];
	int rc = store__meta_get_u64(t->txn, t->s->meta, META_HIT_SEQ, &id);
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	if (id == 0 || id == UINT64_MAX)
		return ERR_STORE;
	struct store_hit h = *hit;
	h.id = id;
	h.status = "new";
	h.first_seen = h.last_seen = seen_at;
	h.count = 1;
	h.gone_at = 0;
	h.prior_status = "";
	rc = store__hit_encode(&h, &t->enc);
	if (rc)
		return rc;
	id_key(id, idk);
	MDB_val k = val_of(idk, 8), v = val_of(t->enc.data, t->enc.len);
	MDB_val ik = *ident, iv = val_of(idk, 8);
	rc = mdb_err(mdb_put(t->txn, t->s->hits, &k, &v, MDB_NOOVERWRITE));
	if (!rc)
		rc = mdb_err(mdb_put(t->txn, t->s->hit_keys, &ik, &iv, MDB_NOOVERWRITE));
	if (!rc)
		rc = store__meta_put_u64(t->txn, t->s->meta, META_HIT_SEQ, id + 1);
	if (!rc)
		rc = page_hit_put(t->txn, t->s->page_hits, h.url, id);
	if (!rc)
		rc = store__status_index(t->s, t->txn, id, NULL, &h);
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	*ret_id = id;
	return 0;
}

int store_hit_put(struct store_txn *txn, const struct store_hit *hit, int64_t seen_at,
		  uint64_t *ret_id, bool *ret_new)
{
	uint8_t ident[DIGEST_LEN];
	uint64_t id = 0;
	bool fresh = false;
	if (!hit->rule || !hit->url || !hit->match)
		return ERR_USAGE;
	int rc = store__hit_identity(hit, ident);
	if (rc)
		return rc;
	MDB_val ik = val_of(ident, sizeof(ident)), iv;
	rc = mdb_err(mdb_get(txn->txn, txn->s->hit_keys, &ik, &iv));
	if (rc == ERR_NOT_FOUND) {
		fresh = true;
		rc = hit_insert(txn, hit, &ik, seen_at, &id);
	} else if (!rc && iv.mv_size != 8) {
		rc = ERR_STORE;
	} else if (!rc) {
		uint8_t idk[8];
		memcpy(idk, iv.mv_data, 8);
		id = id_of_key(idk);
		rc = hit_update(txn, idk, hit, seen_at);
	}
	if (rc)
		return rc;
	if (ret_id)
		*ret_id = id;
	if (ret_new)
		*ret_new = fresh;
	return 0;
}

/* Calls visit with the id key of every hit of url, in id order, through page_hits. visit may
 * change hits (another database) but not page_hits. */
static int page_hits_each(struct store_txn *t, const char *url,
			  int (*visit)(struct store_txn *t, const uint8_t idk[8], void *ctx),
			  void *ctx)
{
	uint8_t prefix[PH_KEY_LEN] = {0};
	MDB_cursor *cur = NULL;
	if (!url)
		return ERR_USAGE;
	int rc = digest_sha256(url, strlen(url), prefix);
	if (!rc)
		rc = mdb_err(mdb_cursor_open(t->txn, t->s->page_hits, &cur));
	MDB_val k = val_of(prefix, sizeof(prefix)), v;
	for (int op = MDB_SET_RANGE; !rc; op = MDB_NEXT) {
		int mrc = mdb_cursor_get(cur, &k, &v, op);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? 0 : mdb_err(mrc);
			break;
		}
		if (k.mv_size != PH_KEY_LEN || memcmp(k.mv_data, prefix, DIGEST_LEN) != 0)
			break; /* past this page's run of keys */
		uint8_t idk[8];
		memcpy(idk, (const uint8_t *)k.mv_data + DIGEST_LEN, 8);
		rc = visit(t, idk, ctx);
	}
	if (cur)
		mdb_cursor_close(cur);
	return rc;
}

struct refresh {
	int64_t at;
	uint64_t n;
};

static int refresh_one(struct store_txn *t, const uint8_t idk[8], void *ctx)
{
	struct refresh *r = ctx;
	struct store_hit h, old;
	int rc = hit_read(t, idk, &h);
	if (rc || h.gone_at != 0 || strcmp(h.status, "gone") == 0)
		return rc; /* a hit that went is not on this unchanged body either */
	old = h;
	hit_seen(&h, r->at);
	r->n++;
	return hit_write(t, idk, &old, &h);
}

int store_page_hits_refresh(struct store_txn *txn, const char *url, int64_t seen_at,
			    uint64_t *ret_n)
{
	struct refresh r = {seen_at, 0};
	int rc = page_hits_each(txn, url, refresh_one, &r);
	if (!rc && ret_n)
		*ret_n = r.n;
	return rc;
}

struct sweep {
	const uint64_t *kept; /* sorted */
	size_t n;
	int64_t now;
	uint64_t gone;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int sweep_one(struct store_txn *t, const uint8_t idk[8], void *ctx)
{
	struct sweep *w = ctx;
	uint64_t id = id_of_key(idk);
	if (w->n && bsearch(&id, w->kept, w->n, sizeof(id), cmp_u64))
		return 0;
	struct store_hit h, old;
	int rc = hit_read(t, idk, &h);
	if (rc || h.gone_at != 0 || strcmp(h.status, "gone") == 0)
		return rc;
	old = h;
	if (strcmp(h.status, "dismissed") != 0) {
		h.prior_status = h.status;
		h.status = "gone";
	}
	h.gone_at = w->now;
	w->gone++;
	return hit_write(t, idk, &old, &h);
}

int store_page_hits_sweep(struct store_txn *txn, const char *url, const uint64_t *kept, size_t n,
			  int64_t now, uint64_t *ret_gone)
{
	uint64_t *sorted = NULL;
	if (n > SIZE_MAX / sizeof(*sorted) || (n && !kept))
		return ERR_USAGE;
	if (n && !(sorted = malloc(n * sizeof(*sorted))))
		return -ENOMEM;
	if (n) {
		memcpy(sorted, kept, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
	}
	struct sweep w = {sorted, n, now, 0};
	int rc = page_hits_each(txn, url, sweep_one, &w);
	free(sorted);
	if (!rc && ret_gone)
		*ret_gone = w.gone;
	return rc;
}

int store_hit_get(struct store *s, uint64_t id, store_hit_fn fn, void *ud)
{
	uint8_t idk[8];
	struct store_scratch scratch;
	struct store_hit h;
	MDB_txn *txn = NULL;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&scratch);
	id_key(id, idk);
	MDB_val k = val_of(idk, 8), v;
	rc = mdb_err(mdb_get(txn, s->hits, &k, &v));
	if (!rc)
		rc = store__hit_decode(v.mv_data, v.mv_size, &scratch, &h);
	if (!rc) {
		h.id = id;
		rc = fn(&h, ud);
	}
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	return rc;
}

int store__walk(struct store *s, MDB_dbi dbi, store__walk_fn visit, void *ctx)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	struct store_scratch scratch;
	MDB_val k, v;
	store__scratch_init(&scratch);
	int rc = store__read_begin(s, &txn);
	if (rc)
		goto fail;
	rc = mdb_err(mdb_cursor_open(txn, dbi, &cur));
	if (rc)
		goto fail;
	for (int op = MDB_FIRST;; op = MDB_NEXT) {
		int mrc = mdb_cursor_get(cur, &k, &v, op);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? 0 : mdb_err(mrc);
			break;
		}
		rc = visit(&k, &v, &scratch, ctx);
		if (rc)
			break;
	}
fail:
	if (cur)
		mdb_cursor_close(cur);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	return rc;
}

struct hit_walk {
	store_hit_fn fn;
	void *ud;
};

static int visit_hit(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct hit_walk *w = ctx;
	struct store_hit h;
	if (k->mv_size != 8)
		return ERR_STORE;
	int rc = store__hit_decode(v->mv_data, v->mv_size, s, &h);
	if (rc)
		return rc;
	h.id = id_of_key(k->mv_data);
	return w->fn(&h, w->ud);
}

int store_hits_each(struct store *s, store_hit_fn fn, void *ud)
{
	struct hit_walk w = {fn, ud};
	return store__walk(s, s->hits, visit_hit, &w);
}

struct page_walk {
	store_page_fn fn;
	void *ud;
};

static int visit_page(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct page_walk *w = ctx;
	struct store_page p;
	if (k->mv_size != DIGEST_LEN)
		return ERR_STORE;
	int rc = store__page_decode(v->mv_data, v->mv_size, s, &p);
	if (rc)
		return rc;
	return w->fn(&p, w->ud);
}

int store_pages_each(struct store *s, store_page_fn fn, void *ud)
{
	struct page_walk w = {fn, ud};
	return store__walk(s, s->pages, visit_page, &w);
}

int store_page_get(struct store *s, const char *url, store_page_fn fn, void *ud)
{
	uint8_t key[DIGEST_LEN];
	struct store_scratch scratch;
	struct store_page p;
	MDB_txn *txn = NULL;
	if (!url)
		return ERR_USAGE;
	int rc = digest_sha256(url, strlen(url), key);
	if (!rc)
		rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&scratch);
	MDB_val k = val_of(key, sizeof(key)), v;
	rc = mdb_err(mdb_get(txn, s->pages, &k, &v));
	if (!rc)
		rc = store__page_decode(v.mv_data, v.mv_size, &scratch, &p);
	if (!rc)
		rc = fn(&p, ud);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	return rc;
}

int store_stats_get(struct store *s, struct store_stats *ret_stats)
{
	MDB_txn *txn = NULL;
	struct store_stats st;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	rc = store__db_entries(txn, s->pages, &st.pages);
	if (!rc)
		rc = store__db_entries(txn, s->hits, &st.hits);
	store__read_end(s, txn);
	if (rc)
		return rc;
	*ret_stats = st;
	return 0;
}
