/* SPDX-License-Identifier: MIT */
/* Findings leave patrol here: alerts on new hits to the targets of patrol.yaml's alerts: list
 * (crawler/venue.h, struct alert_target), and tips coming in (patrol submit). docs/alerts.md.
 *
 * alert_dispatch runs after a crawl's stores are committed, never inside one, so a slow or dead
 * receiver delays only itself: every send has a timeout, retries are bounded, and a failed send
 * leaves its hits unalerted for the next dispatch. A hit is marked alerted to a target (the
 * store's alerts database) only after its send to that target succeeded, so each hit reaches
 * each target once. Senders: webhook (HTTP POST of JSON through libcurl), command (fork/exec,
 * no shell, the JSON on stdin) and mail (sendmail -t -oi, plain text).
 * Threads: one call at a time per store; no globals (libcurl's global set-up is crawl.h's).
 */
#ifndef PATROL_CRAWLER_ALERT_H
#define PATROL_CRAWLER_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alert_target;
struct store;
struct venue_registry;

#define ALERT_MAX_HITS	   1000 /* hits one dispatch sends to one target; the rest wait */
#define ALERT_TRIES	   4	/* attempts per message: 1 s, 2 s, 4 s apart */
#define ALERT_TIMEOUT_MS   10000 /* one webhook request, one command or one sendmail */
#define ALERT_REASON_MAX   256

/* What one target got. */
struct alert_target_report {
	const char *id;	  /* the target's, borrowed from the registry */
	uint64_t sent;	  /* hits delivered and marked alerted */
	uint64_t failed;  /* hits whose send failed: tried again at the next dispatch */
	uint64_t messages; /* messages sent (one per hit, or one digest) */
	char error[ALERT_REASON_MAX]; /* the last failure, "" when none */
};

/* What alert_dispatch did: one entry per target of the settings, in their order. */
struct alert_report {
	struct alert_target_report *targets; /* malloc'd; alert_report_done frees it */
	size_t ntargets;
	uint64_t sent, failed; /* over all targets */
};
void alert_report_done(struct alert_report *r);

struct alert_opts {
	/* The targets: the registry settings' alerts (venue_registry_settings) or a test's own. */
	const struct alert_target *targets;
	size_t ntargets;
	bool dry_run;	     /* send nothing, mark nothing: the report says what would go */
	int64_t now;	     /* epoch seconds: recorded as the alert time; 0 = the clock's */
	unsigned retry_ms;   /* the first retry's wait, doubling; 0 = 1000 */
	long timeout_ms;     /* per send; 0 = ALERT_TIMEOUT_MS */
	const char *sendmail; /* the sendmail program; NULL = "/usr/sbin/sendmail" */
};

/* Sends every hit of status "new" at or above each target's min_severity, of its venues and
 * categories, not yet alerted to it, and records each sent hit in the store. Returns 0 when the
 * dispatch ran, also when sends failed (the report says which and why); an error only when the
 * store could not be read or written (ERR_STORE, -ENOMEM, -errno), with the report so far. */
int alert_dispatch(struct store *s, const struct alert_opts *o, struct alert_report *ret);

/* An early-warning finding (crawler/trends.h) to send. kind, venue, category and day are its
 * identity: it goes to each target at most once. */
struct alert_event {
	const char *kind;     /* "spike" or "venue" */
	const char *venue;
	const char *category; /* the spiking category; "" for a venue alert */
	int64_t day;	      /* UTC days since the epoch */
	const char *text;     /* one line for people (mail) */
	const char *json;     /* a JSON object with the details (webhooks, commands) */
};
/* Sends ev to every target of o whose venues (and, for a spike, categories) take it and that
 * has not had it: one message each, retried as hits are, marked in the alerts database once
 * delivered. Counts messages delivered and failed into *ret_sent and *ret_failed (added to).
 * Errors: the store's, -ENOMEM; a failed send is counted, not an error. */
int alert_send_event(struct store *s, const struct alert_opts *o, const struct alert_event *ev,
		     uint64_t *ret_sent, uint64_t *ret_failed);

/* The JSON of one hit as alerts send it (DESIGN.md §4's hits object); malloc'd, NULL when out
 * of memory. */
struct store_hit;
char *alert_hit_json(const struct store_hit *h);

/* Whose language a message is written in. The process's gettext speaks the language of whoever
 * started patrol; the review UI serves analysts in several at once and passes its own lookup
 * (review/ui_i18n.c) for the one asking. fn NULL, or no alert_tr at all: gettext. */
struct alert_tr {
	const char *(*fn)(void *ud, const char *msgid);
	void *ud;
};
/* msgid in tr's language (msgid itself when it has no translation). */
const char *alert_tr_text(const struct alert_tr *tr, const char *msgid)
	__attribute__((format_arg(2)));

/* Tip intake: whether url (as typed) may be submitted for a priority check. Accepted when it is
 * an absolute http(s) URL inside a registered venue's scope and not an address the venue may
 * not fetch from; then *ret_url (canonical, malloc'd) and *ret_venue (borrowed) are set and 0
 * is returned. Otherwise ERR_SCOPE (or ERR_URL) with the reason in why: not http(s), no venue
 * for the host, excluded or not included by a venue's patterns, a private address. */
int alert_tip_check(const struct venue_registry *r, const char *url, char **ret_url,
		    const char **ret_venue, char *why, size_t whylen, const struct alert_tr *tr);

#endif
