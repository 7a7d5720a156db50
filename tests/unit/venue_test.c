/* SPDX-License-Identifier: MIT */
/* Unit tests of crawler/venue: loading patrol.yaml (every key, every kind of error with its exact
 * file:line:col, venues_dir, caps), ad hoc venues, the venues' post profiles (and a thread page
 * parsed with them), the scope and trap checks, and the example in docs/venues.md. Fixtures live in
 * tests/fixtures/config/ (PATROL_SOURCE_ROOT locates them); other configurations are written to a
 * temporary directory per test.
 */
#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "crawler/venue.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

struct tmp {
	char dir[64];
};

static void tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/venue_test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

/* Writes text to dir/name (making one level of subdirectory); returns the path (free it). */
static char *tmp_write(const struct tmp *t, const char *name, const char *text)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", t->dir, name) > 0);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmp_done(struct tmp *t)
{
	nftw(t->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* s with every "dir/" removed, as a new string. */
static char *strip_dir(const char *s, const char *dir)
{
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	size_t n = strlen(prefix);
	char *out = malloc(strlen(s) + 1), *o = out;
	assert_non_null(out);
	while (*s) {
		if (strncmp(s, prefix, n) == 0)
			s += n;
		else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Loads yaml as patrol.yaml in a new directory; expects failure and returns the error lines with
 * the directory stripped (free them). */
static char *load_errors(const char *yaml)
{
	struct tmp t;
	struct buf errors;
	struct venue_registry *r = NULL;
	tmp_init(&t);
	char *path = tmp_write(&t, "patrol.yaml", yaml);
	buf_init(&errors, 1 << 20);
	assert_int_equal(venue_registry_load(path, &r, &errors), ERR_PARSE);
	assert_null(r);
	char *got = strip_dir(buf_str(&errors), t.dir);
	buf_done(&errors);
	free(path);
	tmp_done(&t);
	return got;
}

static void assert_errors(const char *yaml, const char *want)
{
	char *got = load_errors(yaml);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "got:\n%s", got); /* cmocka cuts long strings */
	assert_string_equal(got, want);
	free(got);
}

/* Loads a configuration that must be valid. */
static struct venue_registry *load_path_ok(const char *path)
{
	struct buf errors;
	struct venue_registry *r = NULL;
	buf_init(&errors, 1 << 20);
	int rc = venue_registry_load(path, &r, &errors);
	if (rc != 0)
		print_error("%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	assert_int_equal(errors.len, 0);
	buf_done(&errors);
	return r;
}

static struct venue_registry *load_ok(const char *yaml)
{
	struct tmp t;
	tmp_init(&t);
	char *path = tmp_write(&t, "patrol.yaml", yaml);
	struct venue_registry *r = load_path_ok(path);
	free(path);
	tmp_done(&t);
	return r;
}

static char *fixture(const char *name)
{
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/fixtures/config/%s", root ? root : "..", name) > 0);
	return path;
}

/* One venue from a venues: list, on its own. */
#define VENUE(body) "venues:\n  - id: v\n    name: V\n" body

/* ---- loading ---- */

static void test_defaults(void **state)
{
	(void)state;
	struct venue_registry *r = NULL;
	assert_int_equal(venue_registry_new_default(&r), 0);
	const struct crawler_settings *s = venue_registry_settings(r);
	assert_string_equal(s->user_agent, VENUE_DEFAULT_USER_AGENT);
	assert_null(s->from);
	assert_null(s->proxy);
	assert_int_equal(s->connections, 32);
	assert_int_equal(s->workers, 0);
	assert_int_equal(s->max_body, 10485760);
	assert_int_equal(s->connect_timeout_ms, 10000);
	assert_int_equal(s->timeout_ms, 60000);
	assert_int_equal(s->low_speed_bytes, 100);
	assert_int_equal(s->low_speed_seconds, 30);
	assert_int_equal(s->max_url_length, 2048);
	assert_int_equal(s->max_links, 5000);
	assert_int_equal(s->max_redirects, 5);
	assert_int_equal(s->crawl_delay_cap_ms, 30000);
	assert_int_equal(s->robots_ttl_s, 86400);
	assert_int_equal(s->nsession_params, 8);
	assert_string_equal(s->session_params[0], "sid");
	assert_string_equal(s->session_params[1], "phpsessid");
	assert_string_equal(s->session_params[7], "session_id");
	assert_false(s->follow_nofollow);
	assert_int_equal(s->nrule_paths, 0);
	assert_int_equal(venue_registry_count(r), 0);
	assert_null(venue_registry_get(r, 0));
	assert_null(venue_registry_find(r, "x"));
	assert_null(venue_registry_path(r));
	venue_registry_free(r);
	venue_registry_free(NULL);
	assert_int_equal(venue_registry_new_default(NULL), ERR_USAGE);
	assert_int_equal(venue_registry_load(NULL, &r, NULL), ERR_USAGE);
}

static void test_full_config(void **state)
{
	(void)state;
	char *path = fixture("full.yaml");
	struct venue_registry *r = load_path_ok(path);
	assert_string_equal(venue_registry_path(r), path);
	const struct crawler_settings *s = venue_registry_settings(r);
	assert_string_equal(s->user_agent, "patrol/1.0 (+https://example.org/contact)");
	assert_string_equal(s->from, "crawler@example.org");
	assert_string_equal(s->proxy, "socks5h://127.0.0.1:1080");
	assert_int_equal(s->connections, 64);
	assert_int_equal(s->workers, 8);
	assert_int_equal(s->max_body, 2 << 20);
	assert_int_equal(s->connect_timeout_ms, 5000);
	assert_int_equal(s->timeout_ms, 30000);
	assert_int_equal(s->low_speed_bytes, 0);
	assert_int_equal(s->low_speed_seconds, 10);
	assert_int_equal(s->max_url_length, 4096);
	assert_int_equal(s->max_links, 1000);
	assert_int_equal(s->max_redirects, 3);
	assert_int_equal(s->crawl_delay_cap_ms, 10000);
	assert_int_equal(s->robots_ttl_s, 3600);
	assert_int_equal(s->nsession_params, 2);
	assert_string_equal(s->session_params[0], "sid");
	assert_string_equal(s->session_params[1], "Token");
	assert_true(s->follow_nofollow);
	/* Relative rule paths are resolved against the file's directory. */
	assert_int_equal(s->nrule_paths, 2);
	assert_string_equal(s->rule_paths[0], "/usr/share/patrol/packs");
	char *rules = NULL;
	assert_true(asprintf(&rules, "%.*s/./rules", (int)(strrchr(path, '/') - path), path) > 0);
	assert_string_equal(s->rule_paths[1], rules);
	free(rules);

	assert_int_equal(venue_registry_count(r), 2);
	const struct venue *v = venue_registry_get(r, 0);
	assert_ptr_equal(venue_registry_find(r, "example-bbs"), v);
	assert_string_equal(v->id, "example-bbs");
	assert_string_equal(v->name, "Example Community BBS");
	assert_string_equal(v->operator_name, "Example Ltd.");
	assert_string_equal(v->registration, "filing no. 12345678");
	assert_string_equal(v->category, "forum");
	assert_int_equal(v->nseeds, 2);
	assert_string_equal(v->seeds[0], "https://bbs.example.com/");
	assert_string_equal(v->seeds[1], "https://bbs.example.com/forum-2-1.html");
	assert_false(v->sitemaps);
	assert_int_equal(v->nhosts, 2);
	assert_string_equal(v->hosts[0], "bbs.example.com");
	assert_string_equal(v->hosts[1], "static.example.com:8443");
	assert_int_equal(v->ninclude, 3);
	assert_string_equal(v->include[0], "^/forum");
	assert_int_equal(v->nexclude, 2);
	assert_string_equal(v->exclude[1], "action=(reply|edit)");
	assert_int_equal(v->delay_ms, 2500);
	assert_int_equal(v->host_connections, 2);
	assert_int_equal(v->every_s, 6 * 3600);
	assert_int_equal(v->max_pages, 50000);
	assert_int_equal(v->max_depth, 10);
	assert_int_equal(v->max_path_segments, 12);
	assert_int_equal(v->max_repeated_segments, 2);
	assert_int_equal(v->max_query_variants, 20);
	assert_int_equal(v->npacks, 2);
	assert_string_equal(v->packs[0], "fraud");
	assert_string_equal(v->packs[1], "hoax");
	assert_true(v->allow_private);
	assert_string_equal(v->file, path);
	assert_int_equal(v->line, 23);

	/* The second venue has every default, and its seed's host (with its port) as scope. */
	v = venue_registry_get(r, 1);
	assert_string_equal(v->id, "news.example");
	assert_string_equal(v->operator_name, "");
	assert_string_equal(v->registration, "");
	assert_string_equal(v->category, "");
	assert_string_equal(v->seeds[0], "http://news.example.net:8080/index");
	assert_true(v->sitemaps);
	assert_int_equal(v->nhosts, 1);
	assert_string_equal(v->hosts[0], "news.example.net:8080");
	assert_int_equal(v->ninclude + v->nexclude, 0);
	assert_int_equal(v->delay_ms, 1000);
	assert_int_equal(v->host_connections, 1);
	assert_int_equal(v->every_s, 0);
	assert_int_equal(v->max_pages, 0);
	assert_int_equal(v->max_depth, 25);
	assert_int_equal(v->max_path_segments, 32);
	assert_int_equal(v->max_repeated_segments, 3);
	assert_int_equal(v->max_query_variants, 10000);
	assert_int_equal(v->npacks, 0);
	assert_false(v->allow_private);
	assert_null(venue_registry_find(r, "nope"));
	assert_null(venue_registry_find(r, NULL));
	venue_registry_free(r);
	free(path);
}

static void test_values(void **state)
{
	(void)state;
	/* Sizes with and without units, durations in every unit, booleans. */
	static const struct {
		const char *text;
		size_t bytes;
	} sizes[] = {
		{ "1024", 1024 },	  { "512 KiB", 512 << 10 },  { "10MiB", 10 << 20 },
		{ "1GiB", 1u << 30 }, { "1048576", 1 << 20 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), "crawler:\n  limits: {max_body: %s}\n", sizes[i].text);
		struct venue_registry *r = load_ok(yaml);
		assert_int_equal(venue_registry_settings(r)->max_body, sizes[i].bytes);
		venue_registry_free(r);
	}
	static const struct {
		const char *text;
		int64_t seconds;
	} every[] = { { "90s", 90 }, { "30m", 1800 }, { "6h", 21600 }, { "1d", 86400 } };
	for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml),
			 VENUE("    seeds: [http://a.example/]\n    schedule: {every: %s}\n"),
			 every[i].text);
		struct venue_registry *r = load_ok(yaml);
		assert_int_equal(venue_registry_get(r, 0)->every_s, every[i].seconds);
		venue_registry_free(r);
	}
	/* No venues at all is a valid registry; an absolute path stays as it is. */
	struct venue_registry *r = load_ok("rules: [/packs]\n");
	assert_int_equal(venue_registry_count(r), 0);
	assert_string_equal(venue_registry_settings(r)->rule_paths[0], "/packs");
	assert_int_equal(venue_registry_settings(r)->nsession_params, 8);
	venue_registry_free(r);
	r = load_ok("crawler: {session_params: []}\n");
	assert_int_equal(venue_registry_settings(r)->nsession_params, 0);
	venue_registry_free(r);
}

static void test_venues_dir(void **state)
{
	(void)state;
	char *path = fixture("venues-dir/patrol.yaml");
	struct venue_registry *r = load_path_ok(path);
	assert_int_equal(venue_registry_count(r), 2); /* .hidden.yaml and README.txt not read */
	const struct venue *a = venue_registry_get(r, 0), *b = venue_registry_get(r, 1);
	assert_string_equal(a->id, "a-board"); /* bytewise name order: a-board.yml first */
	assert_string_equal(b->id, "b-forum");
	assert_string_equal(a->hosts[0], "a.example.com");
	assert_int_equal(b->every_s, 86400);
	char *want = fixture("venues-dir/venues/b-forum.yaml");
	assert_string_equal(b->file, want);
	assert_int_equal(b->line, 1);
	free(want);
	venue_registry_free(r);
	free(path);

	/* Errors in several files come file by file, the configuration first; ids are unique
	 * across files. */
	struct tmp t;
	tmp_init(&t);
	path = tmp_write(&t, "patrol.yaml", "crawler: {workers: 1000}\nvenues_dir: v\n");
	free(tmp_write(&t, "v/a.yaml", "id: same\nname: A\nseeds: [http://a.example/]\n"));
	free(tmp_write(&t, "v/b.yaml", "id: same\nname: B\nseeds: [http://b.example/]\n"));
	free(tmp_write(&t, "v/c.yaml", "- id: c\n"));
	free(tmp_write(&t, "v/d.yaml", "# nothing\n"));
	free(tmp_write(&t, "v/e.yaml", "id: e\nname: E\nseeds: [http://e.example/]\nx: 1\n"));
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(venue_registry_load(path, &r, &errors), ERR_PARSE);
	char *got = strip_dir(buf_str(&errors), t.dir);
	assert_string_equal(got,
			    "patrol.yaml:1:20: 'workers' must be between 0 and 256\n"
			    "v/b.yaml:1:5: duplicate venue id 'same' (first defined at "
			    "v/a.yaml:1:5)\n"
			    "v/c.yaml:1:1: expected a venue (a mapping with 'id', 'name' and "
			    "'seeds')\n"
			    "v/d.yaml:1:1: empty file: expected a venue (a mapping with 'id', "
			    "'name' and 'seeds')\n"
			    "v/e.yaml:4:1: unknown key 'x'\n");
	free(got);
	buf_done(&errors);
	free(path);
	tmp_done(&t);

	assert_errors("venues_dir: nowhere\n",
		      "patrol.yaml:1:13: cannot list venues_dir 'nowhere': No such file or "
		      "directory\n");
	assert_errors("venues: []\nvenues_dir: v\n",
		      "patrol.yaml:2:1: 'venues' and 'venues_dir' cannot both be given\n");
}

/* ---- errors ---- */

static void test_errors_file(void **state)
{
	(void)state;
	struct venue_registry *r = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(venue_registry_load("/nonexistent/patrol.yaml", &r, &errors), ERR_PARSE);
	assert_string_equal(buf_str(&errors),
			    "/nonexistent/patrol.yaml: cannot read: No such file or directory\n");
	buf_done(&errors);
	assert_errors("", "patrol.yaml:1:1: empty file: expected a configuration (a mapping of "
			  "'crawler', 'rules', 'venues' or 'venues_dir')\n");
	assert_errors("- a\n", "patrol.yaml:1:1: expected a configuration (a mapping of "
			       "'crawler', 'rules', 'venues' or 'venues_dir')\n");
	assert_errors("crawler: &a {}\nrules: *a\nvenue: []\n",
		      "patrol.yaml:1:10: anchors are not allowed\n"
		      "patrol.yaml:2:8: aliases are not allowed\n"
		      "patrol.yaml:3:1: unknown key 'venue'\n");
	assert_errors("crawler: {}\n---\n{}\n",
		      "patrol.yaml:2:1: only one YAML document is allowed\n");
	assert_errors("crawler: [\n", "patrol.yaml:2:1: invalid YAML: did not find expected "
				      "node content (while parsing a flow node)\n");
	assert_errors("crawler: {}\ncrawler: {}\n", "patrol.yaml:2:1: duplicate key 'crawler'\n");

	/* Caps: the file's size and the number of venues. */
	struct buf big;
	buf_init(&big, 8 << 20);
	assert_int_equal(buf_addstr(&big, "rules: ["), 0);
	while (big.len <= VENUE_MAX_FILE)
		assert_int_equal(buf_addstr(&big, "aaaaaaa, "), 0);
	assert_int_equal(buf_addstr(&big, "]\n"), 0);
	assert_errors(buf_str(&big), "patrol.yaml: larger than 4194304 bytes\n");
	buf_reset(&big);
	assert_int_equal(buf_addstr(&big, "venues:\n"), 0);
	for (int i = 0; i <= VENUE_MAX_VENUES; i++)
		assert_int_equal(buf_addf(&big, "  - {id: v%d, name: V, seeds: [http://a/]}\n", i),
				 0);
	assert_errors(buf_str(&big), "patrol.yaml:2:3: 'venues' has more than 10000 items\n");
	buf_done(&big);
}

static void test_errors_crawler(void **state)
{
	(void)state;
	assert_errors("crawler:\n"
		      "  user_agent: patrol/1.0\n"
		      "  from: not-an-address\n"
		      "  connections: 0\n"
		      "  workers: -1\n"
		      "  proxy: ftp://proxy.example\n"
		      "  follow_nofollow: yes\n"
		      "  session_params: [sid, SID, 'a=b', '']\n"
		      "  speed: 1\n"
		      "  limits:\n"
		      "    max_body: 10MB\n"
		      "    connect_timeout_ms: '5000'\n"
		      "    timeout_ms: 99999999999999999999\n"
		      "    low_speed_bytes: 1.5\n"
		      "    low_speed_seconds: 0\n"
		      "    max_url_length: 100000\n"
		      "    max_links: 0\n"
		      "    max_redirects: 21\n"
		      "    crawl_delay_cap_ms: [1]\n"
		      "    robots_ttl_s: 59\n"
		      "    max_pages: 1\n"
		      "rules: [a, '', [b]]\n",
		      "patrol.yaml:2:15: 'user_agent' must contain a contact URL, such as "
		      "\"patrol/1.0 (+https://example.org/contact)\"\n"
		      "patrol.yaml:3:9: 'from' must be an e-mail address (such as "
		      "crawler@example.org)\n"
		      "patrol.yaml:4:16: 'connections' must be between 1 and 1024\n"
		      "patrol.yaml:5:12: 'workers' must be a whole number\n"
		      "patrol.yaml:6:10: 'proxy' must be a URL: http://, https://, socks4://, "
		      "socks4a://, socks5:// or socks5h:// and a host\n"
		      "patrol.yaml:7:20: 'follow_nofollow' must be true or false\n"
		      "patrol.yaml:8:25: duplicate session parameter 'SID' (names compare "
		      "case-insensitively)\n"
		      "patrol.yaml:8:30: invalid session parameter 'a=b'\n"
		      "patrol.yaml:8:37: 'session_params' has an empty item\n"
		      "patrol.yaml:9:3: unknown key 'speed'\n"
		      "patrol.yaml:11:15: 'max_body' must be a number of bytes, optionally with "
		      "KiB, MiB or GiB (such as 10MiB)\n"
		      "patrol.yaml:12:25: 'connect_timeout_ms' must be a whole number\n"
		      "patrol.yaml:13:17: 'timeout_ms' must be between 1000 and 3600000\n"
		      "patrol.yaml:14:22: 'low_speed_bytes' must be a whole number\n"
		      "patrol.yaml:15:24: 'low_speed_seconds' must be between 1 and 3600\n"
		      "patrol.yaml:16:21: 'max_url_length' must be between 256 and 8192\n"
		      "patrol.yaml:17:16: 'max_links' must be between 1 and 100000\n"
		      "patrol.yaml:18:20: 'max_redirects' must be between 0 and 20\n"
		      "patrol.yaml:19:25: 'crawl_delay_cap_ms' must be a whole number\n"
		      "patrol.yaml:20:19: 'robots_ttl_s' must be between 60 and 2592000\n"
		      "patrol.yaml:21:5: unknown key 'max_pages'\n"
		      "patrol.yaml:22:16: 'rules' must be a list of strings\n");
	assert_errors("crawler: {user_agent: \"patrol (+https://e.example)\\n\", "
		      "limits: {max_body: 2GiB}}\nrules: [a, '']\n",
		      "patrol.yaml:1:23: 'user_agent' must not contain control characters\n"
		      "patrol.yaml:1:75: 'max_body' must be between 1024 and 1073741824 bytes\n"
		      "patrol.yaml:2:12: 'rules' has an empty item\n");
	assert_errors("crawler: []\n", "patrol.yaml:1:10: 'crawler' must be a mapping\n");
	assert_errors("crawler: {limits: 5}\nrules: x\n",
		      "patrol.yaml:1:19: 'limits' must be a mapping\n"
		      "patrol.yaml:2:8: 'rules' must be a list of strings\n");
}

static void test_errors_venue(void **state)
{
	(void)state;
	assert_errors("venues:\n"
		      "  - id: Bad_Id\n"
		      "    operator: ''\n"
		      "    category: [forum]\n"
		      "    seeds: [ftp://x.example/, 'https://a.example/', 'https://A.example']\n"
		      "    sitemaps: 'true'\n"
		      "    scope:\n"
		      "      hosts: ['http://a.example/', 'a.example:0', a.example, 'A.EXAMPLE']\n"
		      "      include: ['(', '^/ok']\n"
		      "      exclude: x\n"
		      "      paths: []\n"
		      "    politeness: {delay_ms: 86400001, connections: 65}\n"
		      "    schedule: {every: 6}\n"
		      "    limits: {max_depth: 1001, max_path_segments: 0, "
		      "max_repeated_segments: 1025, max_query_variants: 0, max_pages: -1}\n"
		      "    packs: [fraud, Fraud, fraud]\n"
		      "    allow_private_addresses: 1\n"
		      "    crawl: yes\n"
		      "  - 7\n"
		      "  - {id: adhoc-x, name: X, seeds: []}\n",
		      "patrol.yaml:2:5: missing required key 'name'\n"
		      "patrol.yaml:2:9: invalid venue id 'Bad_Id' (allowed: [a-z0-9][a-z0-9._-]*, "
		      "at most 64 bytes)\n"
		      "patrol.yaml:3:15: 'operator' must not be empty\n"
		      "patrol.yaml:4:15: 'category' must be a string\n"
		      "patrol.yaml:5:13: seed 'ftp://x.example/' is not an absolute http(s) URL\n"
		      "patrol.yaml:5:53: duplicate seed 'https://a.example/'\n"
		      "patrol.yaml:6:15: 'sitemaps' must be true or false\n"
		      "patrol.yaml:8:15: invalid host 'http://a.example/' in 'hosts' (a host name "
		      "or IP address, optionally with :port; not a URL)\n"
		      "patrol.yaml:8:36: invalid host 'a.example:0' in 'hosts' (a host name or IP "
		      "address, optionally with :port; not a URL)\n"
		      "patrol.yaml:8:62: duplicate host 'A.EXAMPLE' in 'hosts'\n"
		      "patrol.yaml:9:17: invalid pattern '(' in 'include': "
		      "Unmatched ( or \\(\n"
		      "patrol.yaml:10:16: 'exclude' must be a list of strings\n"
		      "patrol.yaml:11:7: unknown key 'paths'\n"
		      "patrol.yaml:12:28: 'delay_ms' must be between 0 and 86400000\n"
		      "patrol.yaml:12:51: 'connections' must be between 1 and 64\n"
		      "patrol.yaml:13:23: 'every' must be a duration: a whole number and s, m, h "
		      "or d (such as 30m, 6h or 1d)\n"
		      "patrol.yaml:14:25: 'max_depth' must be between 0 and 1000\n"
		      "patrol.yaml:14:50: 'max_path_segments' must be between 1 and 1024\n"
		      "patrol.yaml:14:76: 'max_repeated_segments' must be between 0 and 1024\n"
		      "patrol.yaml:14:102: 'max_query_variants' must be between 1 and 1000000\n"
		      "patrol.yaml:14:116: 'max_pages' must be a whole number\n"
		      "patrol.yaml:15:20: invalid pack name 'Fraud' (allowed: "
		      "[a-z0-9][a-z0-9._-]*, at most 128 bytes)\n"
		      "patrol.yaml:15:27: duplicate pack 'fraud'\n"
		      "patrol.yaml:16:30: 'allow_private_addresses' must be true or false\n"
		      "patrol.yaml:17:5: unknown key 'crawl'\n"
		      "patrol.yaml:18:5: a venue must be a mapping\n"
		      "patrol.yaml:19:10: venue id 'adhoc-x' is reserved: ids starting with "
		      "'adhoc-' name the venues of patrol crawl --seed\n"
		      "patrol.yaml:19:35: 'seeds' must not be empty\n");
	assert_errors(VENUE("    seeds: [http://a.example/]\n"
			    "    schedule: {every: 30s}\n"
			    "  - {id: w, name: W, seeds: [http://w.example/], schedule: {}, "
			    "scope: {hosts: []}, politeness: 1}\n"
			    "  - {id: v, name: V2, seeds: [http://v.example/]}\n"),
		      "patrol.yaml:5:23: 'every' must be between 1m and 366d\n"
		      "patrol.yaml:6:60: missing required key 'every'\n"
		      "patrol.yaml:6:79: 'hosts' must not be empty\n"
		      "patrol.yaml:6:96: 'politeness' must be a mapping\n"
		      "patrol.yaml:7:10: duplicate venue id 'v' (first defined at "
		      "patrol.yaml:2:9)\n");
	assert_errors("venues:\n  - {}\n",
		      "patrol.yaml:2:5: missing required key 'id'\n"
		      "patrol.yaml:2:5: missing required key 'name'\n"
		      "patrol.yaml:2:5: missing required key 'seeds'\n");
}

/* A seed must be one its venue would crawl. */
static void test_errors_seed_scope(void **state)
{
	(void)state;
	assert_errors(VENUE("    seeds: [http://a.example/, 'http://b.example/', "
			    "'http://a.example:8080/', 'http://a.example/x', "
			    "'http://a.example/forum/member.php']\n"
			    "    scope:\n"
			    "      hosts: [a.example]\n"
			    "      include: ['^/$', '^/forum/']\n"
			    "      exclude: ['member\\.php$']\n"),
		      "patrol.yaml:4:32: seed 'http://b.example/' is outside the venue's scope: "
		      "its host is not in scope.hosts\n"
		      "patrol.yaml:4:53: seed 'http://a.example:8080/' is outside the venue's "
		      "scope: its host is not in scope.hosts\n"
		      "patrol.yaml:4:79: seed 'http://a.example/x' is outside the venue's scope: "
		      "no scope.include pattern matches its path\n"
		      "patrol.yaml:4:101: seed 'http://a.example/forum/member.php' is outside the "
		      "venue's scope: a scope.exclude pattern matches its path\n");
}

/* ---- ad hoc venues ---- */

static void test_adhoc(void **state)
{
	(void)state;
	struct venue_registry *r = NULL;
	const struct venue *v = NULL, *w = NULL;
	assert_int_equal(venue_registry_new_default(&r), 0);
	assert_int_equal(venue_registry_add_adhoc(r, "HTTP://Forum.Example.com/a/../b", false, &v),
			 0);
	assert_string_equal(v->id, "adhoc-forum.example.com");
	assert_string_equal(v->name, "forum.example.com");
	assert_string_equal(v->category, "adhoc");
	assert_string_equal(v->operator_name, "");
	assert_string_equal(v->file, "");
	assert_int_equal(v->nseeds, 1);
	assert_string_equal(v->seeds[0], "http://forum.example.com/b");
	assert_int_equal(v->nhosts, 1);
	assert_string_equal(v->hosts[0], "forum.example.com");
	assert_int_equal(v->max_depth, 25);
	assert_false(v->allow_private);
	assert_int_equal(venue_scope_check(v, "https://forum.example.com/x"), VENUE_IN_SCOPE);
	assert_int_equal(venue_scope_check(v, "http://forum.example.com:81/"), VENUE_OFF_HOST);

	/* A second seed on the same host joins the venue; the same seed again changes nothing. */
	assert_int_equal(venue_registry_add_adhoc(r, "https://forum.example.com/c", false, &w), 0);
	assert_ptr_equal(v, w);
	assert_int_equal(v->nseeds, 2);
	assert_string_equal(v->seeds[1], "https://forum.example.com/c");
	assert_int_equal(venue_registry_add_adhoc(r, "https://forum.example.com/c", false, NULL), 0);
	assert_int_equal(v->nseeds, 2);
	assert_int_equal(venue_registry_add_adhoc(r, "https://forum.example.com/", true, NULL),
			 ERR_USAGE);

	/* A port makes another venue; so does an address. */
	assert_int_equal(venue_registry_add_adhoc(r, "http://127.0.0.1:8080/", true, &w), 0);
	assert_string_equal(w->id, "adhoc-127.0.0.1-8080");
	assert_string_equal(w->hosts[0], "127.0.0.1:8080");
	assert_true(w->allow_private);
	assert_int_equal(venue_scope_check(w, "http://127.0.0.1:8080/a"), VENUE_IN_SCOPE);
	assert_int_equal(venue_scope_check(w, "http://127.0.0.1/a"), VENUE_OFF_HOST);
	assert_int_equal(venue_registry_add_adhoc(r, "http://[::1]:9000/", true, &w), 0);
	assert_string_equal(w->id, "adhoc---1-9000");
	assert_string_equal(w->hosts[0], "[::1]:9000");
	assert_int_equal(venue_scope_check(w, "http://[::1]:9000/"), VENUE_IN_SCOPE);

	assert_int_equal(venue_registry_add_adhoc(r, "ftp://x.example/", false, NULL), ERR_URL);
	assert_int_equal(venue_registry_add_adhoc(r, "/relative", false, NULL), ERR_URL);
	assert_int_equal(venue_registry_add_adhoc(r, NULL, false, NULL), ERR_USAGE);
	assert_int_equal(venue_registry_count(r), 3);
	assert_ptr_equal(venue_registry_find(r, "adhoc-forum.example.com"), v);
	venue_registry_free(r);

	/* Beside configured venues. */
	r = load_ok(VENUE("    seeds: [http://a.example/]\n"));
	assert_int_equal(venue_registry_add_adhoc(r, "http://a.example/", false, &v), 0);
	assert_string_equal(v->id, "adhoc-a.example");
	assert_int_equal(venue_registry_count(r), 2);
	assert_string_equal(venue_registry_get(r, 0)->id, "v");
	venue_registry_free(r);
}

/* ---- post profiles ---- */

static size_t builtin_count(void)
{
	size_t n = 0;
	while (doc_profile_builtin(n))
		n++;
	return n;
}

static void test_posts(void **state)
{
	(void)state;
	struct venue_registry *r = load_ok(
		"venues:\n"
		"  - id: one\n    name: One\n    seeds: [http://one.example/]\n"
		"    posts:\n"
		"      post: 'div.pl[id^=post-]'\n"
		"      content: div.t_f\n"
		"      author: .authi a\n"
		"      time: .pti em\n"
		"      skip: div.sign\n"
		"  - {id: two, name: Two, seeds: [http://two.example/],\n"
		"     posts: {post: 'div.pl[id^=post-]', content: div.t_f, author: .authi a,\n"
		"             time: .pti em, skip: div.sign}}\n"
		"  - {id: three, name: Three, seeds: [http://three.example/]}\n"
		"  - id: four\n    name: Four\n    seeds: [http://four.example/]\n"
		"    posts:\n"
		"      - {name: vb3, post: 'table[id^=post]', content: 'div[id^=post_message_]'}\n"
		"      - builtin\n"
		"      - {post: article}\n"
		"  - {id: five, name: Five, seeds: [http://five.example/], posts: []}\n"
		"  - {id: six, name: Six, seeds: [http://six.example/], posts: [builtin]}\n");
	const struct venue *one = venue_registry_find(r, "one"),
			   *two = venue_registry_find(r, "two");
	assert_true(one->own_posts);
	assert_int_equal(one->npost_profiles, 1);
	const struct doc_profile_spec *p = &one->post_profiles[0];
	assert_string_equal(p->name, "venue");
	assert_string_equal(p->post, "div.pl[id^=post-]");
	assert_string_equal(p->content, "div.t_f");
	assert_string_equal(p->author, ".authi a");
	assert_string_equal(p->time, ".pti em");
	assert_string_equal(p->skip, "div.sign");
	assert_non_null(one->profiles);
	assert_ptr_equal(two->profiles, one->profiles); /* the same selectors: one compiled set */

	/* Without posts: the built-in profiles, one set for every such venue. */
	const struct venue *three = venue_registry_find(r, "three");
	assert_false(three->own_posts);
	assert_int_equal(three->npost_profiles, builtin_count());
	assert_string_equal(three->post_profiles[0].name, "discuz");
	assert_non_null(three->profiles);
	assert_ptr_not_equal(three->profiles, one->profiles);

	/* A list: named and default-named profiles, builtin in its place. */
	const struct venue *four = venue_registry_find(r, "four");
	assert_true(four->own_posts);
	assert_int_equal(four->npost_profiles, builtin_count() + 2);
	assert_string_equal(four->post_profiles[0].name, "vb3");
	assert_null(four->post_profiles[0].author);
	assert_string_equal(four->post_profiles[1].name, "discuz");
	assert_string_equal(four->post_profiles[builtin_count()].name, "wordpress");
	assert_string_equal(four->post_profiles[builtin_count() + 1].name, "venue-3");
	assert_string_equal(four->post_profiles[builtin_count() + 1].post, "article");

	/* [] looks for no posts; [builtin] is the default set. */
	const struct venue *five = venue_registry_find(r, "five"),
			   *six = venue_registry_find(r, "six");
	assert_true(five->own_posts);
	assert_int_equal(five->npost_profiles, 0);
	assert_non_null(five->profiles);
	assert_true(six->own_posts);
	assert_ptr_equal(six->profiles, three->profiles);
	venue_registry_free(r);

	/* Ad hoc venues and a registry without a file have the built-in profiles. */
	const struct venue *v = NULL;
	assert_int_equal(venue_registry_new_default(&r), 0);
	assert_int_equal(venue_registry_add_adhoc(r, "http://a.example/", false, &v), 0);
	assert_false(v->own_posts);
	assert_int_equal(v->npost_profiles, builtin_count());
	assert_non_null(v->profiles);
	venue_registry_free(r);
}

/* A bad selector is an error at its own column in the file, wherever the value can say it. */
static void test_errors_posts(void **state)
{
	(void)state;
	assert_errors(
		VENUE("    seeds: [http://a.example/]\n"
		      "    posts:\n"
		      "      post: div.x + p\n"
		      "      content: 'p[a=''x'']:first-child'\n"
		      "      author: \"div\\x2eb ~ c\"\n"
		      "      time: \"time:x\"\n"
		      "      skip: [a]\n"
		      "      text: p\n"),
		"patrol.yaml:6:19: invalid selector in 'post': the '+' combinator is not "
		"supported (only descendant ' ' and child '>')\n"
		"patrol.yaml:7:27: invalid selector in 'content': pseudo-classes (':...') are "
		"not supported\n"
		"patrol.yaml:8:15: invalid selector in 'author': the '~' combinator is not "
		"supported (only descendant ' ' and child '>') (column 7 of the selector)\n"
		"patrol.yaml:9:18: invalid selector in 'time': pseudo-classes (':...') are not "
		"supported\n"
		"patrol.yaml:10:13: 'skip' must be a string\n"
		"patrol.yaml:11:7: unknown key 'text'\n");
	assert_errors(
		VENUE("    seeds: [http://a.example/]\n"
		      "    posts:\n"
		      "      - {content: p}\n"
		      "      - {name: Bad, post: p}\n"
		      "      - {name: x, post: p}\n"
		      "      - {name: x, post: ''}\n"
		      "      - {name: phpbb, post: p}\n"
		      "      - builtin\n"
		      "      - builtin\n"
		      "      - other\n"
		      "      - {post: 'p,'}\n"),
		"patrol.yaml:6:9: missing required key 'post'\n"
		"patrol.yaml:7:16: invalid profile name 'Bad' (allowed: [a-z0-9][a-z0-9._-]*, "
		"at most 31 bytes)\n"
		"patrol.yaml:9:16: duplicate profile name 'x'\n"
		"patrol.yaml:9:25: 'post' must not be empty\n"
		"patrol.yaml:11:9: duplicate profile name 'phpbb' (a built-in profile)\n"
		"patrol.yaml:12:9: 'builtin' is listed twice in 'posts'\n"
		"patrol.yaml:13:9: an item of 'posts' must be a profile (a mapping with "
		"'post') or builtin\n"
		"patrol.yaml:14:18: invalid selector in 'post': expected a selector after "
		"','\n");
	assert_errors(VENUE("    seeds: [http://a.example/]\n    posts: div.post\n"),
		      "patrol.yaml:5:12: 'posts' must be a profile (a mapping with 'post'), or a "
		      "list of profiles and builtin\n");
	/* At most DOC_PROFILES_MAX profiles. */
	struct buf yaml;
	buf_init(&yaml, 1 << 16);
	buf_addf(&yaml, VENUE("    seeds: [http://a.example/]\n    posts:\n      - builtin\n"));
	for (size_t i = 0; i < DOC_PROFILES_MAX; i++)
		buf_addf(&yaml, "      - {post: p%zu}\n", i);
	char want[160];
	snprintf(want, sizeof(want),
		 "patrol.yaml:%zu:9: 'posts' has more than %d profiles (builtin counts %zu)\n",
		 6 + DOC_PROFILES_MAX - builtin_count() + 1, DOC_PROFILES_MAX, builtin_count());
	assert_errors(buf_str(&yaml), want);
	buf_done(&yaml);
}

/* A thread page of a forum no built-in profile knows, parsed with its venue's profiles. */
static void test_posts_parse(void **state)
{
	(void)state;
	static const char page[] =
		"<html><head><title>t</title></head><body><div id=posts>"
		"<div class=pl id=post-1><div class=authi><a href=/u/1>小鱼儿</a></div>"
		"<div class=pti><em>2024-03-08 21:05</em></div>"
		"<div class=t_f>第一帖<div class=sign>签名</div></div></div>"
		"<div class=pl id=post-2><div class=authi><a href=/u/2>bob</a></div>"
		"<div class=t_f>second <b>post</b></div></div>"
		"<div class=pl id=post-ad><div class=ad>no content: no post</div></div>"
		"</div></body></html>";
	struct venue_registry *r = load_ok(
		VENUE("    seeds: [http://a.example/]\n"
		      "    posts: {name: mybbs, post: 'div.pl[id^=post-]', content: div.t_f,\n"
		      "            author: .authi a, time: .pti em, skip: div.sign}\n"));
	const struct venue *v = venue_registry_get(r, 0);
	struct doc_options opts = {.profiles = v->profiles};
	struct doc *d = NULL;
	assert_int_equal(doc_parse_with(page, sizeof(page) - 1, "text/html; charset=utf-8",
					"http://a.example/t/1", &opts, &d),
			 0);
	assert_string_equal(d->posts_profile, "mybbs");
	assert_int_equal(d->nposts, 2);
	assert_string_equal(d->posts[0].author, "小鱼儿");
	assert_string_equal(d->posts[0].time, "2024-03-08 21:05");
	assert_string_equal(d->posts[0].text, "第一帖");
	assert_string_equal(d->posts[1].author, "bob");
	assert_string_equal(d->posts[1].time, "");
	assert_string_equal(d->posts[1].text, "second post");
	doc_free(d);

	/* The built-in profiles do not know this markup; posts: [] finds nothing at all. */
	venue_registry_free(r);
	r = load_ok(VENUE("    seeds: [http://a.example/]\n"
			  "  - {id: w, name: W, seeds: [http://w.example/], posts: []}\n"));
	for (size_t i = 0; i < 2; i++) {
		opts.profiles = venue_registry_get(r, i)->profiles;
		assert_int_equal(doc_parse_with(page, sizeof(page) - 1, NULL, NULL, &opts, &d), 0);
		assert_int_equal(d->nposts, 0);
		assert_string_equal(d->posts_profile, "");
		doc_free(d);
	}
	venue_registry_free(r);
}

/* ---- the checks ---- */

static void test_scope_check(void **state)
{
	(void)state;
	struct venue_registry *r =
	    load_ok("venues:\n"
		    "  - id: hosts\n    name: H\n    seeds: [http://a.example/]\n"
		    "    scope: {hosts: [a.example, 'b.example:8080', 'c.example:443', '[::1]', "
		    "192.168.0.1]}\n"
		    "  - id: patterns\n    name: P\n    seeds: [http://a.example/forum/]\n"
		    "    scope:\n"
		    "      include: ['^/forum/', '^/thread-[0-9]+\\.html$', 'page=']\n"
		    "      exclude: ['^/forum/admin', 'action=(edit|reply)']\n"
		    "  - id: excludes\n    name: E\n    seeds: [http://a.example/]\n"
		    "    scope: {exclude: ['\\.pdf$']}\n");
	const struct venue *h = venue_registry_find(r, "hosts");
	const struct venue *p = venue_registry_find(r, "patterns");
	const struct venue *e = venue_registry_find(r, "excludes");
	static const struct {
		const char *url;
		enum venue_verdict want;
	} host_cases[] = {
		/* no port in scope: the scheme's default port, http or https */
		{ "http://a.example/", VENUE_IN_SCOPE },
		{ "https://a.example/x?y", VENUE_IN_SCOPE },
		{ "http://A.EXAMPLE/", VENUE_IN_SCOPE },
		{ "http://user:pw@a.example/", VENUE_IN_SCOPE },
		{ "http://a.example:8080/", VENUE_OFF_HOST },
		{ "https://a.example:80/", VENUE_OFF_HOST },
		{ "http://www.a.example/", VENUE_OFF_HOST },
		{ "http://a.example.evil/", VENUE_OFF_HOST },
		{ "http://evil.example/?a.example", VENUE_OFF_HOST },
		{ "http://a.example@evil.example/", VENUE_OFF_HOST },
		/* a port in scope: that port only, whatever the scheme */
		{ "http://b.example:8080/", VENUE_IN_SCOPE },
		{ "https://b.example:8080/", VENUE_IN_SCOPE },
		{ "http://b.example/", VENUE_OFF_HOST },
		{ "https://c.example/", VENUE_IN_SCOPE },
		{ "http://c.example:443/", VENUE_IN_SCOPE },
		{ "http://c.example/", VENUE_OFF_HOST },
		{ "http://[::1]/", VENUE_IN_SCOPE },
		{ "http://[::1]:81/", VENUE_OFF_HOST },
		{ "http://192.168.0.1/", VENUE_IN_SCOPE },
		{ "http://192.168.0.10/", VENUE_OFF_HOST },
		{ "ftp://a.example/", VENUE_BAD_URL },
		{ "a.example/", VENUE_BAD_URL },
		{ "http:///x", VENUE_BAD_URL },
		{ "http://a.example:99999/", VENUE_BAD_URL },
		{ "", VENUE_BAD_URL },
	};
	for (size_t i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		enum venue_verdict got = venue_scope_check(h, host_cases[i].url);
		if (got != host_cases[i].want)
			fail_msg("%s: %s, want %s", host_cases[i].url, venue_verdict_name(got),
				 venue_verdict_name(host_cases[i].want));
	}
	assert_int_equal(venue_scope_check(h, NULL), VENUE_BAD_URL);
	static const struct {
		const struct venue *v;
		const char *url;
		enum venue_verdict want;
	} path_cases[] = {
		{ NULL, "http://a.example/forum/", VENUE_IN_SCOPE },
		{ NULL, "http://a.example/forum/12", VENUE_IN_SCOPE },
		{ NULL, "http://a.example/thread-12.html", VENUE_IN_SCOPE },
		{ NULL, "http://a.example/thread-12.html?x", VENUE_NOT_INCLUDED },
		{ NULL, "http://a.example/list?page=2", VENUE_IN_SCOPE },
		{ NULL, "http://a.example/", VENUE_NOT_INCLUDED },
		{ NULL, "http://a.example/x/forum/", VENUE_NOT_INCLUDED },
		{ NULL, "http://a.example/forum/admin/users", VENUE_EXCLUDED },
		{ NULL, "http://a.example/forum/post?action=reply&id=1", VENUE_EXCLUDED },
		{ NULL, "http://a.example/forum/post?action=view", VENUE_IN_SCOPE },
		{ NULL, "http://a.example/forum/x#frag", VENUE_IN_SCOPE },
		{ NULL, "http://b.example/forum/", VENUE_OFF_HOST },
	};
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		enum venue_verdict got = venue_scope_check(p, path_cases[i].url);
		if (got != path_cases[i].want)
			fail_msg("%s: %s, want %s", path_cases[i].url, venue_verdict_name(got),
				 venue_verdict_name(path_cases[i].want));
	}
	assert_int_equal(venue_scope_check(e, "http://a.example/a.pdf"), VENUE_EXCLUDED);
	assert_int_equal(venue_scope_check(e, "http://a.example/a.pdf?x"), VENUE_IN_SCOPE);
	assert_int_equal(venue_scope_check(e, "http://a.example/a.html"), VENUE_IN_SCOPE);

	assert_string_equal(venue_verdict_name(VENUE_IN_SCOPE), "in_scope");
	assert_string_equal(venue_verdict_name(VENUE_OFF_HOST), "off_host");
	assert_string_equal(venue_verdict_name(VENUE_NOT_INCLUDED), "not_included");
	assert_string_equal(venue_verdict_name(VENUE_EXCLUDED), "excluded");
	assert_string_equal(venue_verdict_name(VENUE_BAD_URL), "bad_url");
	assert_string_equal(venue_verdict_name(VENUE_CHECK_FAILED), "check_failed");
	venue_registry_free(r);
}

static void test_trap_check(void **state)
{
	(void)state;
	struct venue_registry *r =
	    load_ok(VENUE("    seeds: [http://a.example/]\n"
			  "  - {id: tight, name: T, seeds: [http://a.example/], "
			  "limits: {max_path_segments: 3, max_repeated_segments: 0}}\n"));
	const struct venue *v = venue_registry_find(r, "v"), *t = venue_registry_find(r, "tight");
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
		{ "http://a.example/", true },
		{ "http://a.example/forum/thread-1.html?page=2", true },
		{ "http://a.example/2024/01/01/", true },	/* one repeat */
		{ "http://a.example/a/b/a/b/", true },		/* two */
		{ "http://a.example/cal/2024/cal/2024/cal/", true }, /* three */
		{ "http://a.example/a/b/a/b/a/b", false },	/* four */
		{ "http://a.example/cal/2024/cal/2024/cal/2024/", false },
		{ "http://a.example/a/a/a/a/a", false },
		{ "http://a.example/x//////", false }, /* empty segments repeat too */
		{ "http://a.example/x/y?a/a/a/a/a/a", true }, /* the query does not count */
		{ "http://a.example/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/"
		  "24/25/26/27/28/29/30/31/32/",
		  true },
		{ "http://a.example/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/"
		  "24/25/26/27/28/29/30/31/32/33",
		  false },
		{ "not a url", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (venue_trap_check(v, cases[i].url) != cases[i].ok)
			fail_msg("%s: want %s", cases[i].url, cases[i].ok ? "ok" : "trap");
	assert_true(venue_trap_check(t, "http://a.example/a/b/c/"));
	assert_false(venue_trap_check(t, "http://a.example/a/b/c/d"));
	assert_false(venue_trap_check(t, "http://a.example/a/a"));
	assert_true(venue_trap_check(t, "http://a.example/a/b?a=a"));
	venue_registry_free(r);
}

/* ---- the documentation's example ---- */

/* The ```yaml block after "<!-- example: patrol.yaml -->" in docs/venues.md; free it. */
static char *docs_example(void)
{
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char *path = NULL;
	assert_true(asprintf(&path, "%s/docs/venues.md", root ? root : "..") > 0);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return NULL;
	struct buf md;
	char chunk[4096];
	size_t n;
	buf_init(&md, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&md, chunk, n), 0);
	fclose(f);
	const char *mark = strstr(buf_str(&md), "<!-- example: patrol.yaml -->");
	assert_non_null(mark);
	const char *start = strstr(mark, "```yaml\n");
	assert_non_null(start);
	start += strlen("```yaml\n");
	const char *end = strstr(start, "\n```");
	assert_non_null(end);
	char *yaml = strndup(start, (size_t)(end - start) + 1);
	buf_done(&md);
	return yaml;
}

/* ---- alerts: and early_warning: ---- */

static void test_alerts(void **state)
{
	(void)state;
	struct venue_registry *r = load_ok(
		"alerts:\n"
		"  - id: desk\n"
		"    webhook: https://hooks.example.org/patrol\n"
		"    min_severity: medium\n"
		"    venues: [a, b]\n"
		"    categories: [fraud/]\n"
		"    digest: true\n"
		"  - id: local\n"
		"    command: [/usr/local/bin/notify, --json]\n"
		"  - id: analysts\n"
		"    mail: analysts@example.org\n"
		"early_warning: {spike_factor: 2.5, spike_min_hits: 3, history_days: 28, "
		"drop_factor: 0.25}\n");
	const struct crawler_settings *s = venue_registry_settings(r);
	assert_int_equal(s->nalerts, 3);
	const struct alert_target *t = s->alerts;
	assert_string_equal(t[0].id, "desk");
	assert_int_equal(t[0].kind, ALERT_WEBHOOK);
	assert_string_equal(t[0].url, "https://hooks.example.org/patrol");
	assert_string_equal(t[0].min_severity, "medium");
	assert_int_equal(t[0].nvenues, 2);
	assert_string_equal(t[0].venues[1], "b");
	assert_int_equal(t[0].ncategories, 1);
	assert_string_equal(t[0].categories[0], "fraud/");
	assert_true(t[0].digest);
	assert_int_equal(t[1].kind, ALERT_COMMAND);
	assert_int_equal(t[1].nargv, 2);
	assert_string_equal(t[1].argv[0], "/usr/local/bin/notify");
	assert_null(t[1].argv[2]);
	assert_string_equal(t[1].min_severity, "high"); /* the default */
	assert_false(t[1].digest);
	assert_int_equal(t[2].kind, ALERT_MAIL);
	assert_string_equal(t[2].mail_to, "analysts@example.org");
	assert_true(s->early_warning.spike_factor == 2.5);
	assert_int_equal(s->early_warning.spike_min_hits, 3);
	assert_int_equal(s->early_warning.history_days, 28);
	assert_true(s->early_warning.drop_factor == 0.25);
	venue_registry_free(r);

	r = load_ok("crawler: {user_agent: 'x (+https://example.org/)'}\n");
	s = venue_registry_settings(r);
	assert_int_equal(s->nalerts, 0);
	assert_true(s->early_warning.spike_factor == 3.0); /* defaults */
	assert_int_equal(s->early_warning.history_days, 14);
	venue_registry_free(r);
}

static void test_errors_alerts(void **state)
{
	(void)state;
	assert_errors("alerts:\n"
		      "  - id: a\n"
		      "    webhook: ftp://x/\n"
		      "  - id: a\n"
		      "    mail: nobody\n"
		      "    min_severity: urgent\n"
		      "  - id: c\n"
		      "    command: [notify]\n"
		      "  - id: d\n"
		      "    webhook: https://x/\n"
		      "    mail: a@b.example\n"
		      "  - id: E!\n"
		      "    command: []\n"
		      "    color: red\n"
		      "early_warning: {spike_factor: lots, history_days: 0, drop_factor: 2}\n",
		      "patrol.yaml:3:14: 'webhook' must be an http or https URL\n"
		      "patrol.yaml:4:9: duplicate alert id 'a'\n"
		      "patrol.yaml:5:11: 'mail' must be an e-mail address\n"
		      "patrol.yaml:6:19: 'min_severity' must be info, low, medium, high or critical\n"
		      "patrol.yaml:8:14: 'command' must start with an absolute path (no shell, no "
		      "PATH search)\n"
		      "patrol.yaml:9:5: an alert target needs exactly one of 'webhook', 'command' or "
		      "'mail'\n"
		      "patrol.yaml:12:9: 'id' must be lowercase letters, digits, '.', '_' or '-'\n"
		      "patrol.yaml:13:14: 'command' must name a program\n"
		      "patrol.yaml:14:5: unknown key 'color'\n"
		      "patrol.yaml:15:31: 'spike_factor' must be a number from 1 to 1000\n"
		      "patrol.yaml:15:51: 'history_days' must be between 1 and 366\n"
		      "patrol.yaml:15:67: 'drop_factor' must be a number from 0 to 1\n");
}

/* ---- evidence: and display: ---- */

static void test_evidence_display(void **state)
{
	(void)state;
	struct venue_registry *r = load_ok("crawler: {workers: 2}\n");
	const struct crawler_settings *s = venue_registry_settings(r);
	assert_int_equal(s->screenshots, EVIDENCE_SCREENSHOTS_CONFIRMED); /* defaults */
	assert_null(s->display_timezone);
	venue_registry_free(r);

	static const struct {
		const char *word;
		enum evidence_screenshots want;
	} cases[] = {{"confirmed", EVIDENCE_SCREENSHOTS_CONFIRMED},
		     {"all", EVIDENCE_SCREENSHOTS_ALL},
		     {"off", EVIDENCE_SCREENSHOTS_OFF}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), "evidence: {screenshots: %s}\n", cases[i].word);
		r = load_ok(yaml);
		assert_int_equal(venue_registry_settings(r)->screenshots, cases[i].want);
		venue_registry_free(r);
	}

	/* A zone directory of our own, so the test does not depend on tzdata. */
	struct tmp t;
	tmp_init(&t);
	free(tmp_write(&t, "zi/README", "tmp_write makes one directory at a time\n"));
	free(tmp_write(&t, "zi/Area/City", "TZif2 and the rest of a zone file"));
	free(tmp_write(&t, "zi/Area/Fake", "not a zone file"));
	char *zi = NULL;
	assert_true(asprintf(&zi, "%s/zi", t.dir) > 0);
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZDIR", zi, 1);
	r = load_ok("display: {timezone: Area/City}\n");
	assert_string_equal(venue_registry_settings(r)->display_timezone, "Area/City");
	venue_registry_free(r);
	assert_errors("display:\n"
		      "  timezone: Area/Fake\n"
		      "evidence: {screenshots: some}\n",
		      "patrol.yaml:2:13: 'timezone' must be a time zone of this system's zoneinfo, "
		      "such as Asia/Shanghai or UTC\n"
		      "patrol.yaml:3:25: 'screenshots' must be confirmed, all or off\n");
	assert_errors("display: {timezone: Area/Nowhere, color: red}\n",
		      "patrol.yaml:1:21: 'timezone' must be a time zone of this system's zoneinfo, "
		      "such as Asia/Shanghai or UTC\n"
		      "patrol.yaml:1:35: unknown key 'color'\n");
	assert_errors("display: {timezone: ../zi/Area/City}\n",
		      "patrol.yaml:1:21: 'timezone' must be a time zone of this system's zoneinfo, "
		      "such as Asia/Shanghai or UTC\n");
	assert_errors("display: {timezone: /etc/passwd}\n",
		      "patrol.yaml:1:21: 'timezone' must be a time zone of this system's zoneinfo, "
		      "such as Asia/Shanghai or UTC\n");
	assert_errors("display: Asia/Shanghai\nevidence: [all]\n",
		      "patrol.yaml:1:10: 'display' must be a mapping\n"
		      "patrol.yaml:2:11: 'evidence' must be a mapping\n");
	assert_errors("evidence: {screenshots: ''}\n",
		      "patrol.yaml:1:25: 'screenshots' must not be empty\n");

	/* The zone alone, as the CLI reads it before a command: the rest is not looked at. */
	char zone[CLOCK_MAX_ZONE + 1] = "x";
	char *path = tmp_write(&t, "a.yaml", "display: {timezone: Area/City}\nvenues: 3\n");
	assert_int_equal(venue_display_timezone(path, zone, sizeof(zone)), 0);
	assert_string_equal(zone, "Area/City");
	free(path);
	path = tmp_write(&t, "b.yaml", "crawler: {workers: 2}\n");
	assert_int_equal(venue_display_timezone(path, zone, sizeof(zone)), 0);
	assert_string_equal(zone, "");
	free(path);
	path = tmp_write(&t, "c.yaml", "display: {timezone: Area/Fake}\n");
	assert_int_equal(venue_display_timezone(path, zone, sizeof(zone)), ERR_PARSE);
	assert_string_equal(zone, "");
	free(path);
	path = tmp_write(&t, "d.yaml", "display: [\n");
	assert_int_equal(venue_display_timezone(path, zone, sizeof(zone)), ERR_PARSE);
	assert_int_equal(venue_display_timezone(path, zone, CLOCK_MAX_ZONE), ERR_USAGE);
	free(path);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
	free(zi);
	tmp_done(&t);
}

static void test_docs_example(void **state)
{
	(void)state;
	char *yaml = docs_example();
	if (!yaml) {
		print_message("# docs/venues.md not found (set PATROL_SOURCE_ROOT)\n");
		fail();
	}
	struct venue_registry *r = load_ok(yaml);
	assert_true(venue_registry_count(r) >= 2);
	const struct venue *v = venue_registry_find(r, "example-bbs");
	assert_non_null(v);
	assert_string_equal(v->registration, "filing no. 12345678");
	assert_true(v->own_posts);
	assert_int_equal(v->npost_profiles, 1 + builtin_count());
	assert_string_equal(v->post_profiles[0].name, "example-theme");
	assert_string_equal(v->post_profiles[0].skip, "div.sign");
	for (size_t i = 0; i < venue_registry_count(r); i++) {
		const struct venue *w = venue_registry_get(r, i);
		for (size_t k = 0; k < w->nseeds; k++)
			assert_int_equal(venue_scope_check(w, w->seeds[k]), VENUE_IN_SCOPE);
	}
	venue_registry_free(r);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_values),	     cmocka_unit_test(test_venues_dir),
		cmocka_unit_test(test_errors_file),  cmocka_unit_test(test_errors_crawler),
		cmocka_unit_test(test_errors_venue), cmocka_unit_test(test_errors_seed_scope),
		cmocka_unit_test(test_adhoc),	     cmocka_unit_test(test_posts),
		cmocka_unit_test(test_errors_posts), cmocka_unit_test(test_posts_parse),
		cmocka_unit_test(test_scope_check),  cmocka_unit_test(test_trap_check),
		cmocka_unit_test(test_docs_example), cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_errors_alerts), cmocka_unit_test(test_evidence_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
