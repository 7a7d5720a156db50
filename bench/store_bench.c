/* SPDX-License-Identifier: MIT */
/* store_bench: the crawl writer's throughput with the real schema. Writes N forum pages through
 * the store API the way crawler/work.c's writer does: per page its record and fetch state, the
 * links it found pushed into the frontier (most of them seen before, as on a forum where every
 * page links to its neighbours), and for every K-th page its evidence (the raw response, packed
 * before the clock starts, as the crawl's workers do on their own threads), two hits and the
 * page's hit sweep. Transactions close after 256 link pushes (lazy commit) and the last one of a
 * batch of 64 pages syncs when the last sync is 200 ms old, as the writer's do (work.c,
 * WORK_SYNC_MS); SYNC=batch in the environment syncs every batch instead.
 *
 * Prints pages per second written (wall clock, syncs included), the CPU the writing took (user
 * and system, so a loaded machine still gives a steady figure) and the store's size per page
 * (allocated bytes of data.mdb).
 *
 *   store_bench DIR [N [LINKS [K [PAGE.html]]]]
 *     N pages (100,000), LINKS per page (0: pages, evidence and hits alone; default 0),
 *     one page in K with hits and evidence (20), PAGE.html the body (docs/demo's thread 102)
 * DIR must not hold a store yet.
 */
#include "common/err.h"
#include "index/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BATCH_PAGES 64
#define TXN_PUSHES 256
#define SYNC_MS 200

struct bench {
	struct store *s;
	long n, links, every;
	char *body;
	size_t body_len;
	void **packed; /* per hit page: its evidence value and digest */
	size_t *packed_len;
	uint8_t (*digest)[32];
	long pushes, hits;
	uint64_t gen; /* the crawl generation store_crawl_begin gave */
	bool sync_every_batch;
	double last_sync;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = malloc((1 << 20) + 64); /* room for pack_evidence's tail */
	size_t n = data ? fread(data, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (data)
		data[n] = '\0';
	*ret_len = n;
	return data;
}

/* Each hit page's response, unique to the page (its number appended to the body). */
static int pack_evidence(struct bench *b)
{
	long npack = b->n / b->every + 1;
	b->packed = calloc((size_t)npack, sizeof(*b->packed));
	b->packed_len = calloc((size_t)npack, sizeof(*b->packed_len));
	b->digest = calloc((size_t)npack, sizeof(*b->digest));
	if (!b->packed || !b->packed_len || !b->digest)
		return -1;
	for (long i = 0; i < npack; i++) {
		char head[256], tail[64];
		int hn = snprintf(head, sizeof(head),
				  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
				  "Content-Length: %zu\r\n\r\n",
				  b->body_len);
		int tn = snprintf(tail, sizeof(tail), "<!-- page %ld -->", i);
		memcpy(b->body + b->body_len, tail, (size_t)tn);
		if (store_evidence_pack(head, (size_t)hn, b->body, b->body_len + (size_t)tn,
					&b->packed[i], &b->packed_len[i], b->digest[i]))
			return -1;
	}
	return 0;
}

static int put_links(struct bench *b, struct store_txn *t, long i)
{
	for (long k = 1; k <= b->links; k++) {
		char url[96];
		snprintf(url, sizeof(url), "https://bbs.example.com/thread-%ld-1.html", i + k);
		struct store_frontier_entry e = {.url = url, .host = "bbs.example.com:443",
						 .venue = "bench", .depth = 1, .priority = 4};
		enum store_push pushed;
		int rc = store_frontier_push(t, b->gen, &e, &pushed);
		if (rc)
			return rc;
		b->pushes++;
	}
	return 0;
}

static int put_hits(struct bench *b, struct store_txn *t, long i, const char *url, int64_t at)
{
	long p = i / b->every;
	int rc = store_evidence_put(t, b->digest[p], b->packed[p], b->packed_len[p]);
	uint64_t ids[2];
	for (int h = 0; !rc && h < 2; h++) {
		char match[48];
		snprintf(match, sizeof(match), "加微信 wx%08ld-%d", i, h);
		struct store_hit_span span = {"contact", "body", -1, 120, 140};
		struct store_hit hit = {
			.rule = h ? "fraud.zh.click-farming" : "fraud.zh.fake-investment",
			.pack = "fraud-zh", .category = "fraud/click-farming", .severity = "high",
			.venue = "bench", .url = url, .field = "body", .post = -1, .match = match,
			.snippet = "…在家兼职刷单，佣金日结，加薇信 abc123 详聊…", .status = "new",
			.pack_version = "2.0", .pack_digest = "0123456789abcdef", .start = 120,
			.end = 140, .post_author = "seller88", .post_time = "2026-11-02 10:31",
			.spans = &span, .nspans = 1,
		};
		memcpy(hit.evidence, b->digest[p], 32);
		rc = store_hit_put(t, &hit, at, &ids[h], NULL);
		b->hits++;
	}
	return rc ? rc : store_page_hits_sweep(t, url, ids, 2, at, NULL);
}

static int put_page(struct bench *b, struct store_txn *t, long i)
{
	char url[96];
	snprintf(url, sizeof(url), "https://bbs.example.com/thread-%ld-1.html", i);
	int64_t at = 1795000000 + i;
	struct store_page p = {.url = url, .venue = "bench", .fetched_at = at, .status = 200,
			       .content_type = "text/html; charset=utf-8",
			       .title = "兼职刷单日结，靠谱吗？ - 求职招聘 - 示例社区",
			       .charset = "utf-8", .bytes = b->body_len, .canonical = ""};
	p.body_digest[0] = (uint8_t)i, p.body_digest[1] = (uint8_t)(i >> 8);
	struct store_fetch_state fs = {.fetched_at = at, .status = 200, .has_digest = true,
				       .gen = b->gen};
	snprintf(fs.etag, sizeof(fs.etag), "\"%lx\"", i);
	int rc = put_links(b, t, i);
	if (!rc)
		rc = store_page_put(t, &p);
	if (!rc)
		rc = store_fetch_state_put(t, url, &fs);
	if (!rc && i % b->every == 0)
		rc = put_hits(b, t, i, url, at);
	if (!rc) {
		rc = store_frontier_finish(t, url);
		rc = rc == ERR_NOT_FOUND ? 0 : rc;
	}
	return rc;
}

/* Pages [i, end) in transactions of TXN_PUSHES link pushes; the last one synced. */
static int write_batch(struct bench *b, long i, long end)
{
	while (i < end) {
		struct store_txn *t;
		int rc = store_write_begin(b->s, &t);
		long pushes = 0;
		for (; !rc && i < end && (pushes < TXN_PUSHES || !b->links); i++, pushes += b->links)
			rc = put_page(b, t, i);
		if (rc) {
			store_write_abort(t);
			return rc;
		}
		bool sync = i >= end && (b->sync_every_batch || now_s() - b->last_sync >= SYNC_MS / 1e3);
		rc = sync ? store_write_commit(t) : store_write_commit_lazy(t);
		if (rc)
			return rc;
		if (sync)
			b->last_sync = now_s();
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: store_bench DIR [N [LINKS [K [PAGE.html]]]]\n");
		return 2;
	}
	struct bench b = {.n = argc > 2 ? atol(argv[2]) : 100000,
			  .links = argc > 3 ? atol(argv[3]) : 0,
			  .every = argc > 4 ? atol(argv[4]) : 20};
	const char *page = argc > 5 ? argv[5] : "docs/demo/thread-102-1.html";
	char err[512];
	if (b.n <= 0 || b.links < 0 || b.every <= 0 || !(b.body = read_file(page, &b.body_len)) ||
	    pack_evidence(&b)) {
		fprintf(stderr, "store_bench: bad arguments, or cannot read %s\n", page);
		return 2;
	}
	if (store_open(argv[1], &b.s, err, sizeof(err))) {
		fprintf(stderr, "store_bench: %s\n", err);
		return 1;
	}
	struct store_txn *t;
	if (store_write_begin(b.s, &t) || store_crawl_begin(t, 1795000000, &b.gen, NULL) ||
	    store_write_commit(t)) {
		fprintf(stderr, "store_bench: cannot begin a crawl\n");
		return 1;
	}
	const char *sync = getenv("SYNC");
	b.sync_every_batch = sync && strcmp(sync, "batch") == 0;
	double t0 = b.last_sync = now_s(), c0 = cpu_s();
	int rc = 0;
	for (long i = 0; !rc && i < b.n; i += BATCH_PAGES)
		rc = write_batch(&b, i, i + BATCH_PAGES < b.n ? i + BATCH_PAGES : b.n);
	if (!rc)
		rc = store_sync(b.s);
	double secs = now_s() - t0, cpu = cpu_s() - c0;
	store_close(b.s);
	if (rc) {
		fprintf(stderr, "store_bench: %s\n", err_str(rc));
		return 1;
	}
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/data.mdb", argv[1]);
	long long bytes = stat(path, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
	printf("pages %ld, links pushed %ld, hits %ld, evidence %ld (%zu bytes of HTML each)\n",
	       b.n, b.pushes, b.hits, b.n / b.every + (b.n % b.every != 0), b.body_len);
	printf("writer: %.2f s, %.0f pages/s, %.0f link pushes/s\n", secs, b.n / secs,
	       b.pushes / secs);
	printf("writer CPU: %.2f s (user + system), %.0f pages per CPU-second\n", cpu, b.n / cpu);
	printf("store: %.1f MiB, %.0f bytes per page\n", bytes / 1048576.0, (double)bytes / b.n);
	return 0;
}
