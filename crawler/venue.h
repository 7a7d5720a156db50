/* SPDX-License-Identifier: MIT */
/* The venue registry: patrol.yaml's crawler settings and its venues (DESIGN.md §5; docs/venues.md
 * is the format), and the two questions a crawl asks of a venue before it queues a URL: is the
 * URL in the venue's scope, and does it look like a crawler trap.
 *
 * Loading is strict (parsers/yaml.h): unknown and duplicate keys, wrong types, values out of
 * range, bad regexes and seeds outside their own venue's scope are errors, reported as
 * "file:line:col: message", every error of every file at once; a registry is all or nothing.
 *
 * Threads: a registry is immutable once venue_registry_load or venue_registry_new_default
 * returns, except for venue_registry_add_adhoc, which must happen before any other thread sees
 * the registry. After that any number of threads may read it and call venue_scope_check and
 * venue_trap_check at the same time (POSIX regexec on a shared regex_t is thread-safe).
 * Memory: the registry owns every struct, string and array it hands out; all of them live until
 * venue_registry_free. String fields are never NULL ("" when a file leaves them out), except the
 * settings' from and proxy, which are NULL when not set.
 * No globals, no I/O other than reading the files named (and looking up display.timezone in the
 * zoneinfo directory), no printing.
 */
#ifndef PATROL_CRAWLER_VENUE_H
#define PATROL_CRAWLER_VENUE_H

#include "common/buf.h"
#include "parsers/doc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct venue_registry; /* opaque: settings and venues, immutable after loading */
struct venue_scope;    /* opaque: a venue's hosts and compiled include and exclude regexes */

/* Caps on what a configuration may ask for; larger files and lists are errors. */
#define VENUE_MAX_FILE	 (4u << 20) /* bytes of patrol.yaml or of one venue file */
#define VENUE_MAX_VENUES 10000	    /* venues in one registry */
#define VENUE_MAX_ITEMS	 1000	    /* seeds, hosts, patterns, packs, rule paths... in one list */
#define VENUE_MAX_ID	 64	    /* bytes of a venue id */
#define VENUE_MAX_STRING 1024	    /* bytes of a name, user agent, pattern and the like */

/* The User-Agent when patrol.yaml sets none: names the project, not the operator. */
#define VENUE_DEFAULT_USER_AGENT                                                                   \
	"patrol/0.1 (monitoring crawler for registered public venues; "                            \
	"+https://github.com/patrol-crawler/patrol)"

/* patrol.yaml's alerts: list (docs/operations.md, "Alerts"): where new hits are sent. */
enum alert_kind { ALERT_WEBHOOK, ALERT_COMMAND, ALERT_MAIL };

struct alert_target {
	const char *id;		  /* unique among the targets; names it in logs and the alerts db */
	enum alert_kind kind;
	const char *url;	  /* webhook: http(s) URL the JSON is POSTed to */
	const char *const *argv;  /* command: program and arguments (no shell); JSON on stdin */
	size_t nargv;
	const char *mail_to;	  /* mail: recipient, sent through sendmail -t */
	const char *min_severity; /* info, low, medium, high (default), critical */
	const char *const *venues; /* venue ids; none = every venue */
	size_t nvenues;
	const char *const *categories; /* rule category prefixes ("fraud/"); none = every one */
	size_t ncategories;
	bool digest; /* one message per run listing the hits, instead of one per hit */
};

/* patrol.yaml's early_warning: section, every default filled in. */
struct early_warning_settings {
	double spike_factor;	 /* today's hits above factor x the daily mean: 3.0 */
	unsigned spike_min_hits; /* ...and at least this many today: 5 */
	unsigned history_days;	 /* the mean is taken over this many days before today: 14 */
	double drop_factor;	 /* pages fetched below factor x the previous run's: 0.5 */
};

/* patrol.yaml's evidence.screenshots: which hits get a screenshot of their evidence. */
enum evidence_screenshots {
	EVIDENCE_SCREENSHOTS_CONFIRMED, /* "confirmed" (default): hits reviewed as confirmed */
	EVIDENCE_SCREENSHOTS_ALL,	/* "all": every hit */
	EVIDENCE_SCREENSHOTS_OFF,	/* "off": none */
};

/* patrol.yaml's crawler: section, with every default filled in, and its rules: list. */
struct crawler_settings {
	const char *user_agent;	 /* contains a contact URL ("http" somewhere); never NULL */
	const char *from;	 /* e-mail for the From header, or NULL */
	const char *proxy;	 /* proxy URL, or NULL for none */
	unsigned connections;	 /* transfers in flight, all hosts together: 1..1024, default 32 */
	unsigned workers;	 /* parse/match threads: 0..256, 0 (default) = one per core */
	size_t max_body;	 /* body bytes after decompression: default 10 MiB */
	long connect_timeout_ms; /* default 10000 */
	long timeout_ms;	 /* whole transfer: default 60000 */
	long low_speed_bytes;	/* abort below this many bytes per second... (default 100; 0 off) */
	long low_speed_seconds; /* ...for this long (default 30) */
	size_t max_url_length;	/* longer URLs are dropped: default 2048 */
	size_t max_links;	/* links taken from one page: default 5000 */
	unsigned max_redirects; /* per URL: default 5 */
	unsigned crawl_delay_cap_ms; /* robots.txt Crawl-delay is honoured up to this: 30000 */
	int64_t robots_ttl_s;	     /* robots.txt is fetched again after this: default 86400 */
	/* Query parameters that carry sessions, dropped from URLs; compared case-insensitively.
	 * Default: sid, phpsessid, jsessionid, sessionid, sessid, s, sess, session_id. */
	const char *const *session_params;
	size_t nsession_params;
	bool follow_nofollow; /* follow rel="nofollow" links: default false */
	/* rules: paths of pack files or directories, relative ones resolved against the directory
	 * of patrol.yaml; none when not given (the caller then uses the built-in packs). */
	const char *const *rule_paths;
	size_t nrule_paths;
	/* crawler.metrics_file: where patrol run writes its Prometheus textfile, resolved like
	 * rules:; NULL when not set. */
	const char *metrics_file;
	const struct alert_target *alerts; /* alerts: list; none when not given */
	size_t nalerts;
	struct early_warning_settings early_warning;
	enum evidence_screenshots screenshots; /* evidence.screenshots */
	/* display.timezone: the IANA zone people read times in, checked to exist as a file under
	 * $TZDIR or /usr/share/zoneinfo when the configuration was loaded; NULL when not set (the
	 * system's, or TZ). */
	const char *display_timezone;
};

/* A time window of schedule.window: "22:00-06:00", minutes after midnight UTC. start == end
 * is the whole day; end < start wraps past midnight. */
struct venue_window {
	uint16_t start_min, end_min; /* 0..1439 */
};
#define VENUE_MAX_WINDOWS 24 /* windows of one schedule */

/* One venue: a registered public site or part of one. */
struct venue {
	const char *id; /* [a-z0-9][a-z0-9._-]*, unique; "adhoc-..." only from add_adhoc */
	const char *name, *operator_name, *registration, *category;
	const char *const *seeds; /* canonical URLs (parsers/url.h), at least one */
	size_t nseeds;
	bool sitemaps; /* read the sitemaps robots.txt lists: default true */
	/* scope.hosts as "host" or "host:port" (IPv6 in brackets), lowercase and canonical;
	 * default: the hosts of the seeds. */
	const char *const *hosts;
	size_t nhosts;
	const char *const *include; /* scope.include and scope.exclude as written */
	size_t ninclude;
	const char *const *exclude;
	size_t nexclude;
	unsigned delay_ms;	   /* politeness.delay_ms between requests to a host: 1000 */
	unsigned host_connections; /* politeness.connections to a host at once: 1 */
	int64_t every_s;	   /* schedule.every in seconds; 0 when the venue has no schedule */
	/* schedule.window: patrol run starts the venue only inside one of these (UTC); none =
	 * any time. schedule.jitter: up to this many seconds added to every_s, the same for one
	 * venue and last run (crawler/schedule.h), so venues do not all start at once: 0. */
	const struct venue_window *windows;
	size_t nwindows;
	int64_t jitter_s;
	size_t max_pages;	   /* limits.max_pages per crawl; 0 (default) = no limit */
	unsigned max_depth;	   /* links followed from a seed: 25 */
	unsigned max_path_segments;	/* see venue_trap_check: 32 */
	unsigned max_repeated_segments; /* see venue_trap_check: 3 */
	unsigned max_query_variants;	/* query strings fetched per path: 100 */
	const char *const *packs;	/* rule pack names; none = every loaded pack */
	size_t npacks;
	bool allow_private; /* allow_private_addresses: fetch from loopback and private addresses */
	/* posts: the profiles that cut the venue's thread pages into forum posts, in the order they
	 * are tried (docs/venues.md, "Posts"): the venue's own, with the built-in ones where its
	 * list says builtin; without posts:, the built-in ones. Specs and their strings are the
	 * registry's, or doc_profile_builtin's. */
	const struct doc_profile_spec *post_profiles;
	size_t npost_profiles;
	bool own_posts; /* posts: was given */
	/* post_profiles compiled, for doc_options.profiles; venues without posts: share one set,
	 * and so do venues whose posts: are the same. Never NULL. */
	const struct doc_profiles *profiles;
	const char *file; /* where the venue was defined: file and line ("" and 0 for adhoc) */
	size_t line;
	const struct venue_scope *scope;
};

/* Loads the configuration file at path (and, with venues_dir:, every *.yaml and *.yml file of
 * that directory, in bytewise name order). On success *ret is a new registry the caller frees
 * with venue_registry_free. When a file has errors, every error line of every file is appended
 * to errors ("file:line:col: message\n", sorted per file; errors may be NULL), *ret is untouched
 * and the return is ERR_PARSE. Other errors: -ENOMEM, ERR_USAGE (NULL path or ret). */
int venue_registry_load(const char *path, struct venue_registry **ret, struct buf *errors);
/* The same from a configuration held in memory (len bytes), named name in error messages;
 * relative paths in it (venues_dir, rules) resolve against name's directory. */
int venue_registry_load_mem(const char *name, const char *data, size_t len,
			    struct venue_registry **ret, struct buf *errors);

/* display.timezone of the configuration file at path, read without loading the rest, for the
 * CLI to set its time zone before any command runs: copied into out (outlen > CLOCK_MAX_ZONE),
 * "" when the file does not set one. Nothing else of the file is checked. Errors (out is then
 * ""): ERR_PARSE (the file is not YAML, or display: or its timezone is wrong: venue_registry_load
 * says where), -ENOMEM, ERR_USAGE. */
int venue_display_timezone(const char *path, char *out, size_t outlen);

/* A registry with the default settings and no venues, for running without a configuration
 * file. Errors: -ENOMEM, ERR_USAGE. */
int venue_registry_new_default(struct venue_registry **ret);

/* Adds the venue of `patrol crawl --seed URL` run without a configured venue: id
 * "adhoc-HOST" (HOST as in the seed's canonical URL, with the port when it is not the default,
 * brackets dropped and ':' made '-'), scope the seed's host and port, everything else default.
 * A second seed on the same host and port joins that venue. *ret_venue (may be NULL) is the
 * venue, borrowed from the registry. The one change a registry allows, before threads start.
 * Errors: ERR_URL (seed not an absolute http(s) URL), ERR_USAGE (a configured venue or an
 * adhoc venue with a different allow_private has that id, or NULL arguments), -ENOMEM; the
 * registry is unchanged on error. */
int venue_registry_add_adhoc(struct venue_registry *r, const char *seed, bool allow_private,
			     const struct venue **ret_venue);

/* Frees the registry and everything it handed out; NULL does nothing. */
void venue_registry_free(struct venue_registry *r);

/* The settings, borrowed from the registry. */
const struct crawler_settings *venue_registry_settings(const struct venue_registry *r);
/* The configuration file loaded, or NULL for a default registry. Borrowed. */
const char *venue_registry_path(const struct venue_registry *r);

/* The venues, in the order the files define them. i < venue_registry_count. Borrowed. */
size_t venue_registry_count(const struct venue_registry *r);
const struct venue *venue_registry_get(const struct venue_registry *r, size_t i);
/* The venue with that id, or NULL. Borrowed. */
const struct venue *venue_registry_find(const struct venue_registry *r, const char *id);

enum venue_verdict {
	VENUE_IN_SCOPE,
	VENUE_OFF_HOST,	    /* host and port not in scope.hosts */
	VENUE_NOT_INCLUDED, /* scope.include is given and no pattern matches */
	VENUE_EXCLUDED,	    /* a scope.exclude pattern matches */
	VENUE_BAD_URL,	    /* not an absolute http(s) URL */
	VENUE_CHECK_FAILED, /* a regex failed to run (out of memory): not "no match" */
};

/* Whether the venue covers url, a canonical URL (url_resolve's output). First the host and port:
 * a scope host without a port matches that host on the scheme's default port (so "example.com"
 * covers http://example.com/ and https://example.com/), one with a port only that port
 * ("example.com:8080"; "example.com:443" also covers https://example.com/). Hosts compare
 * case-insensitively. Then scope.include (any pattern matching is enough; none listed means
 * everything), then scope.exclude, both POSIX extended regexes searched in the URL's path and
 * query ("/forum/x?page=2"). Anything but VENUE_IN_SCOPE means: do not crawl. */
enum venue_verdict venue_scope_check(const struct venue *v, const char *canonical_url);

/* "in_scope", "off_host", "not_included", "excluded", "bad_url", "check_failed". */
const char *venue_verdict_name(enum venue_verdict verdict);

/* False when url's path looks like a crawler trap: more than max_path_segments segments, or more
 * than max_repeated_segments segments that repeat an earlier segment of the same path
 * (/a/b/a/b/a/b has four, /cal/2024/cal/2024/cal/2024 four, /2024/01/01/ one). Segments are the
 * parts between slashes, empty ones included, except the one after a final slash; the query is
 * not looked at. True otherwise, and for URLs with no path to judge. */
bool venue_trap_check(const struct venue *v, const char *canonical_url);

#endif
