/* SPDX-License-Identifier: MIT */
/* The crawl's rule sets: the one it started with, and those a long crawl loads when the rule
 * files change under it (docs/rules.md, "Reload").
 *
 * Every set in use is a crawl_rules with a count of its users: the current set holds one, each
 * worker's matcher one, each job with hits one until the writer has stored them (a hit names its
 * rule by index in the set it was found with). A set no one uses any more is freed at once;
 * whatever is left is freed at the end of the crawl. Only the writer reloads, between batches; a
 * set that does not load or fails its own examples is refused and the old one stays.
 * Lock: rules_lock guards the list, the counts and rules_now; rules_gen is read without it.
 */
#include "crawler/crawl.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "crawler/crawler_int.h"
#include "rules/rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RELOAD_CHECK_MS_DEFAULT 2000
#define RELOAD_ERRORS_MAX (64u << 10) /* bytes of load errors and failed examples reported */

int crawl__rules_init(struct crawl *c, const struct rules_set *rules)
{
	struct crawl_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ro = rules;
	r->refs = 1; /* rules_now's */
	pthread_mutex_init(&c->rules_lock, NULL);
	c->rules_list = c->rules_now = r;
	c->rules_checked_ms = clock_mono_ms();
	return crawl__rules_fingerprint(c, &c->rules_fp);
}

void crawl__rules_done(struct crawl *c)
{
	struct crawl_rules *r = c->rules_list;
	while (r) {
		struct crawl_rules *next = r->next;
		rules_set_free(r->owned);
		free(r);
		r = next;
	}
	c->rules_list = c->rules_now = NULL;
	pthread_mutex_destroy(&c->rules_lock);
}

struct crawl_rules *crawl__rules_get(struct crawl *c)
{
	pthread_mutex_lock(&c->rules_lock);
	struct crawl_rules *r = c->rules_now;
	r->refs++;
	pthread_mutex_unlock(&c->rules_lock);
	return r;
}

struct crawl_rules *crawl__rules_ref(struct crawl *c, struct crawl_rules *r)
{
	pthread_mutex_lock(&c->rules_lock);
	r->refs++;
	pthread_mutex_unlock(&c->rules_lock);
	return r;
}

/* Frees r, which no one uses: unlinked under the lock held by the caller. */
static void rules_unlink(struct crawl *c, struct crawl_rules *r)
{
	struct crawl_rules **p = &c->rules_list;
	while (*p != r)
		p = &(*p)->next;
	*p = r->next;
	rules_set_free(r->owned);
	free(r);
}

void crawl__rules_put(struct crawl *c, struct crawl_rules *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&c->rules_lock);
	if (--r->refs == 0)
		rules_unlink(c, r);
	pthread_mutex_unlock(&c->rules_lock);
}

/* ---- Noticing a change ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211u;
	return h;
}

static uint64_t fnv_stat(uint64_t h, const char *path, const struct stat *st)
{
	h = fnv(h, path, strlen(path) + 1);
	h = fnv(h, &st->st_size, sizeof(st->st_size));
	h = fnv(h, &st->st_mtim, sizeof(st->st_mtim));
	return fnv(h, &st->st_ino, sizeof(st->st_ino));
}

static bool is_pack_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
				  (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* A directory's packs, in name order as rules_set_load reads them. */
/* A directory that cannot be read (removed between the stat and here, say) hashes as "missing",
 * not as an empty one: the check then looks again later instead of reloading to no rules. */
static void fingerprint_dir(const char *dir, uint64_t *h)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		*h = fnv(*h, "missing", 8);
		return;
	}
	char path[4096];
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (is_pack_name(names[i]->d_name) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0)
			*h = fnv_stat(*h, path, &st);
		free(names[i]);
	}
	free(names);
}

int crawl__rules_fingerprint(const struct crawl *c, uint64_t *ret)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < c->o->nrule_paths; i++) {
		const char *p = c->o->rule_paths[i];
		struct stat st;
		if (stat(p, &st) != 0)
			h = fnv(h, "missing", 8); /* a file being replaced: look again later */
		else if (S_ISDIR(st.st_mode))
			fingerprint_dir(p, &h);
		else
			h = fnv_stat(h, p, &st);
	}
	*ret = h;
	return 0;
}

/* ---- Loading the new set ---- */

static void rules_report(struct crawl *c, bool ok, const char *msg)
{
	if (c->o->on_rules)
		c->o->on_rules(ok, msg, c->o->ud);
}

/* Loads and tests the files' rules; on success the new set is current. */
static void rules_reload(struct crawl *c)
{
	struct rules_set *set = NULL;
	struct buf msg;
	buf_init(&msg, RELOAD_ERRORS_MAX);
	size_t failed = 0;
	int rc = rules_set_load_cached(c->o->rule_paths, c->o->nrule_paths, c->o->rules_cache_dir,
				       &set, &msg);
	if (rc == 0)
		rc = rules_set_selftest(set, &msg, &failed);
	struct crawl_rules *r = rc == 0 && failed == 0 ? calloc(1, sizeof(*r)) : NULL;
	if (!r) {
		rules_set_free(set);
		if (rc == 0 && failed == 0)
			buf_addstr(&msg, "out of memory\n");
		else if (rc == 0)
			buf_addf(&msg, "%zu rule examples failed\n", failed);
		else if (!msg.len)
			buf_addf(&msg, "%s\n", err_str(rc));
		rules_report(c, false, buf_str(&msg));
		buf_done(&msg);
		return;
	}
	r->owned = set;
	r->ro = set;
	r->refs = 1;
	pthread_mutex_lock(&c->rules_lock);
	struct crawl_rules *old = c->rules_now;
	r->next = c->rules_list;
	c->rules_list = c->rules_now = r;
	if (--old->refs == 0)
		rules_unlink(c, old);
	c->rules_gen++;
	pthread_mutex_unlock(&c->rules_lock);
	buf_reset(&msg);
	buf_addf(&msg, "%zu rules\n", rules_set_count(set));
	rules_report(c, true, buf_str(&msg));
	buf_done(&msg);
}

void crawl__rules_check(struct crawl *c)
{
	int64_t every = c->o->rules_check_ms > 0 ? c->o->rules_check_ms : RELOAD_CHECK_MS_DEFAULT;
	int64_t now = clock_mono_ms();
	if (!c->o->nrule_paths || now - c->rules_checked_ms < every)
		return;
	c->rules_checked_ms = now;
	uint64_t fp = 0;
	if (crawl__rules_fingerprint(c, &fp) != 0 || fp == c->rules_fp)
		return;
	c->rules_fp = fp; /* a refused change is not retried until the files change again */
	rules_reload(c);
}
