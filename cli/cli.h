/* SPDX-License-Identifier: MIT */
/* What the command files of cli/ share: the global options and the helpers that turn a module's
 * error into the one line a person reads. cli/ is the only place that prints or exits.
 */
#ifndef PATROL_CLI_H
#define PATROL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct rules_set;
struct store;
struct venue_registry;

/* Exit statuses of DESIGN.md §4. */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_BUSY = 75, /* another crawl holds the store (EX_TEMPFAIL, like patrol run's lock) */
};

struct cli {
	const char *db;    /* --db, $PATROL_DB, or ./patrol-data */
	bool db_explicit;  /* --db or $PATROL_DB was given */
	/* --config, $PATROL_CONFIG, or "patrol.yaml" when ./patrol.yaml exists; NULL for none */
	const char *config;
	bool config_explicit; /* --config or $PATROL_CONFIG was given */
	bool json;
	bool quiet;
	bool verbose;
};

typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv);

/* The process-wide set-up of translated messages (cli/i18n.c): the user's language for
 * LC_MESSAGES, the catalogs bound. Once, first thing in main. */
void cli_i18n_init(void);

int cmd_crawl(struct cli *cli, int argc, char **argv);
int cmd_hits(struct cli *cli, int argc, char **argv);
int cmd_demo(struct cli *cli, int argc, char **argv);
int cmd_rules(struct cli *cli, int argc, char **argv);
int cmd_robots(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_venues(struct cli *cli, int argc, char **argv);
int cmd_url(struct cli *cli, int argc, char **argv);
int cmd_extract(struct cli *cli, int argc, char **argv);
int cmd_scan(struct cli *cli, int argc, char **argv);

struct cli_scan_file;
struct doc_profiles;
struct rules_doc;
/* Reads path ("-": standard input) as patrol scan does (docs/scan.md): HTML by name or content
 * through doc_parse_with with profiles, else decoded text as the body; base_url is the url field,
 * charset (a WHATWG label) overrides the file's own. Free *ret with cli_scan_file_free. Errors:
 * -errno, ERR_TOO_BIG (over 64 MiB), a doc_parse error, -ENOMEM. */
int cli_scan_file_read(const char *path, const char *base_url, const char *charset,
		       const struct doc_profiles *profiles, struct cli_scan_file **ret);
/* The document the rules see; borrowed, lives as long as f. */
const struct rules_doc *cli_scan_file_doc(const struct cli_scan_file *f);
void cli_scan_file_free(struct cli_scan_file *f);

/* "patrol: " + the message + newline, on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message and a pointer to the command's --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the store at dir, printing why not on failure. */
int cli_store_open(const char *dir, struct store **ret_store);
/* The same for commands that only read: a store that does not exist is an error, not created. */
int cli_store_open_existing(const char *dir, struct store **ret_store);
/* Loads rule packs from paths, or the packs built into patrol when npaths is 0. Errors are
 * printed one per line. */
int cli_rules_load(const char *const *paths, size_t npaths, struct rules_set **ret_set);
/* Where compiled rule sets are kept between runs: $XDG_CACHE_HOME/patrol, else
 * ~/.cache/patrol (the parent made when missing); "" when neither can be had. */
void cli_cache_dir(char *out, size_t n);
/* Appends the whole of path ("-": standard input) to out, whose cap bounds it (more is
 * ERR_TOO_BIG). Errors: -errno (EISDIR for a directory), ERR_TOO_BIG, -ENOMEM. */
int cli_file_read(const char *path, struct buf *out);
/* Parses a non-negative decimal count for option opt; prints and returns -1 when it is not. */
long long cli_parse_count(const char *cmd, const char *opt, const char *arg);

struct crawl_opts;
struct crawl_stats;
/* The per-venue summaries of a crawl: text, or one JSON object per venue (DESIGN.md §4). */
void cli_print_crawl_stats(const struct cli *cli, const struct venue_registry *reg,
			   const struct crawl_opts *o, const struct crawl_stats *stats);

/* ---- cmd_crawl.c: what patrol crawl and patrol run share ---- */
struct crawl_opts;
struct crawl_stats;
/* Catches SIGINT and SIGTERM and points o->stop at the flag the first one sets (the crawl stops
 * fetching and commits); a second one ends patrol at once (the default action). A signal ignored
 * when patrol started stays ignored. _restore puts the handlers back. */
void cli_crawl_signals_catch(struct crawl_opts *o);
void cli_crawl_signals_restore(void);
/* The signal that asked the crawl to stop, 0 while none did. */
int cli_crawl_signal(void);
/* Takes the store's crawl lock and sets o->lock_held: CLI_OK, or CLI_BUSY (another crawl or run
 * holds it; the message names its pid) or CLI_FAIL, the reason printed. */
int cli_crawl_lock(struct store *store, struct crawl_opts *o);
/* Loads the rules (paths, else the configuration's rules:, else the built-in packs), which must
 * pass their own examples, and sets o's reload fields; cache (cachelen bytes, living as long as
 * the crawl) receives the prefilter cache directory. Errors are printed. */
int cli_crawl_rules(const struct venue_registry *reg, const char *const *paths, size_t npaths,
		    struct crawl_opts *o, char *cache, size_t cachelen, struct rules_set **ret);
/* One venue's summary (DESIGN.md §4) as compact JSON text, malloc'd; NULL out of memory. */
char *cli_crawl_summary(const char *venue, const struct crawl_stats *s);
struct cli_crawl_run {
	const char *kind;	/* "crawl" or "run" */
	const char *shard;	/* "K/N" or NULL */
	long long started, ended; /* epoch seconds */
	int status;		/* the exit status */
	bool complete;		/* ran to its end: not stopped, not failed */
};
/* Writes the runs record (index/runs.c) of a crawl of the venues o names (every one when none);
 * stats as crawl_run filled them, or NULL when the crawl failed. */
int cli_crawl_record(struct store *store, const struct cli_crawl_run *run,
		     const struct venue_registry *reg, const struct crawl_opts *o,
		     const struct crawl_stats *stats);

/* Prints every hit of the store, human-readable or as JSON lines; limit 0 means all. */
int cli_print_hits(struct cli *cli, struct store *store, size_t limit);

/* Loads the venue registry of cli->config, or the default registry (no venues) when there is no
 * configuration file. Errors are printed, one file:line:col line each. Returns an exit status:
 * CLI_OK with *ret set (free it with venue_registry_free), CLI_USAGE for a configuration error
 * (DESIGN.md §4), CLI_FAIL for anything else. */
int cli_registry_load(struct cli *cli, struct venue_registry **ret);

/* ---- cmd_snapshot.c: screenshots of stored evidence (docs/snapshots.md) ---- */
/* evidence.screenshots in patrol.yaml: which hits get a snapshot without being asked. */
enum cli_snapshot_policy { CLI_SNAPSHOT_OFF, CLI_SNAPSHOT_CONFIRMED, CLI_SNAPSHOT_ALL };
/* "off", "confirmed" or "all"; ERR_PARSE for anything else. */
int cli_snapshot_policy_parse(const char *s, enum cli_snapshot_policy *ret);
/* Whether policy wants a snapshot of a hit with this review status (confirmed: confirmed or
 * escalated hits). */
bool cli_snapshot_wanted(enum cli_snapshot_policy policy, const char *status);
/* Renders hit id's evidence in chromium and stores the PNG (store_snapshot_put) when policy
 * wants it for the hit's status and none is stored yet; *ret_rendered (may be NULL) says whether
 * it rendered. Prints nothing: on failure the reason goes to why. timeout_s 0: the default.
 * Errors: -ENOENT (no chromium), ERR_NOT_FOUND (no such hit, or no evidence), -ETIMEDOUT,
 * -EPIPE (the browser died), -EPROTO, store errors. */
int cli_snapshot_hit(struct store *store, uint64_t id, enum cli_snapshot_policy policy,
		     int timeout_s, bool *ret_rendered, char *why, size_t whylen);

/* ---- cmd_submit.c: tip intake, shared by patrol submit and patrol serve's tip form ---- */
#define CLI_TIP_NOTE_MAX  2048 /* bytes of a tip's note */
#define CLI_TIP_ACTOR_MAX 256  /* bytes of who submits it */
struct store_tip;
/* Whether url may be submitted as a tip by actor with note: their lengths, then
 * alert_tip_check. 0 with *ret_url (canonical, malloc'd) and *ret_venue (borrowed from reg);
 * otherwise ERR_USAGE, ERR_SCOPE or ERR_URL with the reason in why, in tr's language (NULL:
 * gettext's). */
struct alert_tr;
int cli_tip_check(const struct venue_registry *reg, const char *url, const char *note,
		  const char *actor, char **ret_url, const char **ret_venue, char *why,
		  size_t whylen, const struct alert_tr *tr);
/* Stores a checked tip in s and records it in the audit chain (action "tip", by tip->actor) in
 * one transaction. *ret_queued: whether its URL was queued (false: the crawl now open fetched it
 * already). Prints nothing. Errors: the store's, ERR_URL. */
int cli_tip_store(struct store *s, const struct store_tip *tip, bool *ret_queued);

#endif
