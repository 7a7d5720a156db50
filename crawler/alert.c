/* SPDX-License-Identifier: MIT */
/* Alert senders and tip intake (alert.h). A dispatch walks the new hits once per target,
 * collects those the target wants and has not had (at most ALERT_MAX_HITS), sends them (one
 * message per hit, or one digest), and marks in the store only what was delivered. Every send
 * is bounded in time and retried a bounded number of times; nothing here runs inside a crawl.
 */
#include "crawler/alert.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/crawler_int.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ALERT_MSG_MAX (16u << 20) /* bytes of one message */

void alert_report_done(struct alert_report *r)
{
	if (!r)
		return;
	free(r->targets);
	r->targets = NULL;
	r->ntargets = 0;
}

static int severity_rank(const char *s)
{
	static const char *const names[] = {"info", "low", "medium", "high", "critical"};
	for (int i = 0; i < 5; i++)
		if (s && strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

char *alert_hit_json(const struct store_hit *h)
{
	char ev[65] = "";
	static const uint8_t zero[32];
	if (memcmp(h->evidence, zero, 32) != 0)
		for (int i = 0; i < 32; i++)
			snprintf(ev + 2 * i, 3, "%02x", h->evidence[i]);
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "id",
			      (json_int_t)h->id, "rule", h->rule, "pack", h->pack ? h->pack : "",
			      "category", h->category ? h->category : "", "severity",
			      h->severity ? h->severity : "", "venue", h->venue ? h->venue : "",
			      "url", h->url, "field", h->field ? h->field : "", "match", h->match,
			      "snippet", h->snippet ? h->snippet : "", "evidence", ev, "first_seen",
			      (json_int_t)h->first_seen, "last_seen", (json_int_t)h->last_seen,
			      "count", (json_int_t)h->count);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* ---- choosing the hits ---- */

struct pick {
	const struct alert_target *t;
	struct store *s;
	int min_rank;
	uint64_t *ids;
	char **json;
	char **text; /* one line per hit, for mail */
	size_t n;
	int rc;
};

static bool wants(const struct alert_target *t, int min_rank, const struct store_hit *h)
{
	if (severity_rank(h->severity) < min_rank)
		return false;
	bool ok = t->nvenues == 0;
	for (size_t i = 0; !ok && i < t->nvenues; i++)
		ok = strcmp(t->venues[i], h->venue) == 0;
	if (!ok)
		return false;
	ok = t->ncategories == 0;
	for (size_t i = 0; !ok && i < t->ncategories; i++)
		ok = strncmp(h->category, t->categories[i], strlen(t->categories[i])) == 0;
	return ok;
}

static int pick_hit(const struct store_hit *h, void *ud)
{
	struct pick *p = ud;
	if (!wants(p->t, p->min_rank, h))
		return 0;
	int rc = store_alert_get(p->s, p->t->id, h->id, NULL);
	if (rc == 0)
		return 0; /* alerted before */
	if (rc != ERR_NOT_FOUND)
		return rc;
	char *j = alert_hit_json(h), *line = NULL;
	if (!j || asprintf(&line, "[%s] %s %s\n  %s\n  %s\n", h->severity, h->rule, h->url,
			   h->snippet, h->category) < 0) {
		free(j);
		return -ENOMEM;
	}
	p->ids[p->n] = h->id;
	p->json[p->n] = j;
	p->text[p->n] = line;
	return ++p->n == ALERT_MAX_HITS ? 1 : 0;
}

static void pick_done(struct pick *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->json[i]);
		free(p->text[i]);
	}
	free(p->ids);
	free(p->json);
	free(p->text);
}

static int pick_hits(struct store *s, const struct alert_target *t, struct pick *p)
{
	*p = (struct pick){.t = t, .s = s};
	const char *min = t->min_severity && t->min_severity[0] ? t->min_severity : "high";
	p->min_rank = severity_rank(min);
	if (p->min_rank < 0)
		p->min_rank = 3;
	p->ids = calloc(ALERT_MAX_HITS, sizeof(*p->ids));
	p->json = calloc(ALERT_MAX_HITS, sizeof(*p->json));
	p->text = calloc(ALERT_MAX_HITS, sizeof(*p->text));
	if (!p->ids || !p->json || !p->text)
		return -ENOMEM;
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.status = "new";
	q.order = STORE_ORDER_OLDEST;
	int rc = store_hits_query(s, &q, pick_hit, p);
	return rc == 1 ? 0 : rc;
}

/* "Subject: TEXT\n". Mail headers are ASCII: a translated subject goes as RFC 2047 encoded
 * words, each whole UTF-8 characters and at most 45 bytes of text (75 characters encoded). */
static int add_subject(struct buf *out, const char *text)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(text), i = 0;
	bool ascii = true;
	for (size_t k = 0; k < len; k++)
		ascii = ascii && (unsigned char)text[k] >= 0x20 && (unsigned char)text[k] < 0x7f;
	if (ascii)
		return buf_addf(out, "Subject: %s\n", text);
	int rc = buf_addstr(out, "Subject:");
	while (!rc && i < len) {
		size_t n = len - i < 45 ? len - i : 45;
		while (n > 1 && i + n < len && ((unsigned char)text[i + n] & 0xc0) == 0x80)
			n--; /* do not cut a character (a run of stray continuation bytes is cut) */
		char enc[64];
		size_t e = 0;
		for (size_t k = 0; k < n; k += 3) {
			unsigned char a = (unsigned char)text[i + k];
			unsigned char b = k + 1 < n ? (unsigned char)text[i + k + 1] : 0;
			unsigned char c = k + 2 < n ? (unsigned char)text[i + k + 2] : 0;
			enc[e++] = b64[a >> 2];
			enc[e++] = b64[((a & 3) << 4) | (b >> 4)];
			enc[e++] = k + 1 < n ? b64[((b & 15) << 2) | (c >> 6)] : '=';
			enc[e++] = k + 2 < n ? b64[c & 63] : '=';
		}
		rc = buf_addf(out, "%s=?UTF-8?B?%.*s?=", i ? "\n " : " ", (int)e, enc);
		i += n;
	}
	return rc ? rc : buf_addstr(out, "\n");
}

/* The message of hits [from, from + n): JSON for webhooks and commands, text for mail (its
 * subject in the user's language; the lines are data). */
static int message(const struct alert_target *t, const struct pick *p, size_t from, size_t n,
		   struct buf *out)
{
	buf_reset(out);
	int rc = 0;
	if (t->kind == ALERT_MAIL) {
		char subject[256];
		snprintf(subject, sizeof(subject),
			 dngettext(PATROL_TEXTDOMAIN, "patrol: %zu new hit (%s)",
				   "patrol: %zu new hits (%s)", n),
			 n, t->id);
		rc = buf_addf(out, "To: %s\n", t->mail_to);
		if (!rc)
			rc = add_subject(out, subject);
		if (!rc)
			rc = buf_addstr(out, "MIME-Version: 1.0\n"
					     "Content-Type: text/plain; charset=utf-8\n\n");
		for (size_t i = from; !rc && i < from + n; i++)
			rc = buf_addstr(out, p->text[i]);
		return rc;
	}
	rc = buf_addf(out, "{\"target\":\"%s\",\"count\":%zu,\"hits\":[", t->id, n);
	for (size_t i = from; !rc && i < from + n; i++)
		rc = buf_addf(out, "%s%s", i > from ? "," : "", p->json[i]);
	return rc ? rc : buf_addstr(out, "]}\n");
}

/* ---- senders ---- */

static size_t curl_discard(char *ptr, size_t size, size_t n, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * n;
}

static int send_webhook(const struct alert_target *t, const struct buf *msg, long timeout_ms,
			char *why, size_t whylen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (!c || !hdr) {
		curl_easy_cleanup(c);
		curl_slist_free_all(hdr);
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, msg->data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "patrol-alert/1");
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "POST %s: %s", t->url, curl_easy_strerror(cc));
		return ERR_NET;
	}
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "POST %s: HTTP %ld", t->url, status);
		return ERR_HTTP;
	}
	return 0;
}

/* Writes msg to fd (non-blocking) until done or the deadline. */
static int feed(int fd, const struct buf *msg, int64_t deadline)
{
	size_t off = 0;
	while (off < msg->len) {
		ssize_t n = send(fd, msg->data + off, msg->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno; /* the program closed its stdin: its exit status tells */
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {fd, POLLOUT, 0};
		poll(&pfd, 1, (int)left);
	}
	return 0;
}

/* Waits for pid until the deadline; kills it past it. */
static int reap(pid_t pid, int64_t deadline, int *ret_status)
{
	for (;;) {
		pid_t r = waitpid(pid, ret_status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (clock_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, ret_status, 0);
			return -ETIMEDOUT;
		}
		struct timespec ts = {0, 10 * 1000 * 1000}; /* no child-exit fd without pidfd */
		nanosleep(&ts, NULL);
	}
}

/* Runs argv (no shell) with msg on its stdin and no other input; success is exit status 0. */
static int run_program(const char *const *argv, const struct buf *msg, long timeout_ms,
		       char *why, size_t whylen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		dup2(sv[1], 0);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1); /* stdout is patrol's own output */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int rc = feed(sv[0], msg, deadline), status = 0;
	close(sv[0]);
	int rrc = reap(pid, deadline, &status);
	if (rrc == -ETIMEDOUT) {
		/* A send's failure goes into the alerts db and the JSON logs: English. */
		snprintf(why, whylen, "%s: killed after %ld ms", argv[0], /* i18n: machine */
			 timeout_ms);
		return rrc;
	}
	if (rrc)
		return rrc;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, whylen, "%s: exit status %d%s", argv[0], /* i18n: machine */
			 WEXITSTATUS(status), WEXITSTATUS(status) == 127 ? " (not found?)" : "");
	else
		snprintf(why, whylen, "%s: killed by signal %d", argv[0], /* i18n: machine */
			 WTERMSIG(status));
	(void)rc; /* a short write shows in the exit status */
	return ERR_HTTP;
}

static int send_once(const struct alert_target *t, const struct alert_opts *o,
		     const struct buf *msg, char *why, size_t whylen)
{
	long tmo = o->timeout_ms ? o->timeout_ms : ALERT_TIMEOUT_MS;
	if (t->kind == ALERT_WEBHOOK)
		return send_webhook(t, msg, tmo, why, whylen);
	if (t->kind == ALERT_COMMAND) {
		if (!t->nargv || !t->argv || !t->argv[0])
			return ERR_USAGE;
		const char **argv = calloc(t->nargv + 1, sizeof(*argv));
		if (!argv)
			return -ENOMEM;
		memcpy(argv, t->argv, t->nargv * sizeof(*argv));
		int rc = run_program(argv, msg, tmo, why, whylen);
		free(argv);
		return rc;
	}
	const char *argv[] = {o->sendmail ? o->sendmail : "/usr/sbin/sendmail", "-t", "-oi", NULL};
	return run_program(argv, msg, tmo, why, whylen);
}

/* One message, tried ALERT_TRIES times with a doubling wait. */
static int send_retried(const struct alert_target *t, const struct alert_opts *o,
			const struct buf *msg, char *why, size_t whylen)
{
	unsigned wait_ms = o->retry_ms ? o->retry_ms : 1000;
	int rc = 0;
	for (int i = 0; i < ALERT_TRIES; i++) {
		if (i) {
			struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
			nanosleep(&ts, NULL);
			wait_ms *= 2;
		}
		why[0] = '\0';
		if ((rc = send_once(t, o, msg, why, whylen)) == 0)
			return 0;
		if (!why[0])
			snprintf(why, whylen, "%s", err_str(rc));
		if (rc == -ENOMEM || rc == ERR_USAGE)
			break;
	}
	return rc;
}

static int mark_sent(struct store *s, const char *target, const uint64_t *ids, size_t n,
		     int64_t now)
{
	struct store_txn *txn;
	int rc = store_write_begin(s, &txn);
	for (size_t i = 0; !rc && i < n; i++)
		rc = store_alert_put(txn, target, ids[i], now);
	if (rc) {
		store_write_abort(txn);
		return rc;
	}
	return store_write_commit(txn);
}

static int dispatch_target(struct store *s, const struct alert_opts *o,
			   const struct alert_target *t, struct alert_target_report *r)
{
	struct pick p;
	struct buf msg;
	int64_t now = o->now ? o->now : clock_wall();
	buf_init(&msg, ALERT_MSG_MAX);
	int rc = pick_hits(s, t, &p);
	size_t step = t->digest ? (p.n ? p.n : 1) : 1;
	for (size_t i = 0; !rc && i < p.n; i += step) {
		size_t n = p.n - i < step ? p.n - i : step;
		if (o->dry_run) {
			r->sent += n;
			r->messages++;
			continue;
		}
		if ((rc = message(t, &p, i, n, &msg)) != 0)
			break;
		if (send_retried(t, o, &msg, r->error, sizeof(r->error)) != 0) {
			r->failed += p.n - i; /* the rest waits for the next dispatch */
			break;
		}
		r->messages++;
		if ((rc = mark_sent(s, t->id, p.ids + i, n, now)) == 0)
			r->sent += n;
	}
	pick_done(&p);
	buf_done(&msg);
	return rc;
}

int alert_dispatch(struct store *s, const struct alert_opts *o, struct alert_report *ret)
{
	struct alert_report r = {0};
	int rc = 0;
	if (o->ntargets && !(r.targets = calloc(o->ntargets, sizeof(*r.targets))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < o->ntargets; i++) {
		r.ntargets++;
		r.targets[i].id = o->targets[i].id;
		rc = dispatch_target(s, o, &o->targets[i], &r.targets[i]);
		r.sent += r.targets[i].sent;
		r.failed += r.targets[i].failed;
	}
	*ret = r;
	return rc;
}

/* ---- early-warning events ---- */

/* The alerts key of an event: the top bit set, so it never meets a hit id. */
static int event_key(const struct alert_event *ev, uint64_t *ret)
{
	char day[32];
	uint8_t d[32];
	snprintf(day, sizeof(day), "%lld", (long long)ev->day);
	struct digest_part parts[] = {
		{ev->kind, strlen(ev->kind) + 1},
		{ev->venue, strlen(ev->venue) + 1},
		{ev->category, strlen(ev->category) + 1},
		{day, strlen(day)},
	};
	int rc = digest_sha256_parts(parts, 4, d);
	uint64_t k = 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | d[i];
	*ret = k | (UINT64_C(1) << 63);
	return rc;
}

static bool event_wanted(const struct alert_target *t, const struct alert_event *ev)
{
	bool ok = t->nvenues == 0;
	for (size_t i = 0; !ok && i < t->nvenues; i++)
		ok = strcmp(t->venues[i], ev->venue) == 0;
	if (!ok || strcmp(ev->kind, "spike") != 0)
		return ok;
	ok = t->ncategories == 0;
	for (size_t i = 0; !ok && i < t->ncategories; i++)
		ok = strncmp(ev->category, t->categories[i], strlen(t->categories[i])) == 0;
	return ok;
}

static int event_message(const struct alert_target *t, const struct alert_event *ev,
			 struct buf *out)
{
	buf_reset(out);
	if (t->kind == ALERT_MAIL) {
		char subject[512];
		snprintf(subject, sizeof(subject), _("patrol: %s alert for venue %s (%s)"),
			 ev->kind, ev->venue, t->id);
		int rc = buf_addf(out, "To: %s\n", t->mail_to);
		if (!rc)
			rc = add_subject(out, subject);
		return rc ? rc
			  : buf_addf(out,
				     "MIME-Version: 1.0\nContent-Type: text/plain; "
				     "charset=utf-8\n\n%s\n",
				     ev->text);
	}
	return buf_addf(out, "{\"target\":\"%s\",\"kind\":\"%s\",\"event\":%s}\n", t->id,
			ev->kind, ev->json);
}

int alert_send_event(struct store *s, const struct alert_opts *o, const struct alert_event *ev,
		     uint64_t *ret_sent, uint64_t *ret_failed)
{
	uint64_t key;
	struct buf msg;
	char why[ALERT_REASON_MAX];
	int64_t now = o->now ? o->now : clock_wall();
	int rc = event_key(ev, &key);
	buf_init(&msg, ALERT_MSG_MAX);
	for (size_t i = 0; !rc && i < o->ntargets; i++) {
		const struct alert_target *t = &o->targets[i];
		if (!event_wanted(t, ev))
			continue;
		rc = store_alert_get(s, t->id, key, NULL);
		if (rc != ERR_NOT_FOUND)
			continue; /* had it (0), or the store failed: the loop ends */
		rc = event_message(t, ev, &msg);
		if (rc || o->dry_run)
			continue;
		if (send_retried(t, o, &msg, why, sizeof(why)) != 0) {
			(*ret_failed)++;
			continue;
		}
		(*ret_sent)++;
		rc = mark_sent(s, t->id, &key, 1, now);
	}
	buf_done(&msg);
	return rc;
}

/* ---- tips ---- */

/* False when host is an IP literal the venue may not fetch from. */
static bool tip_address_ok(const char *url, const struct venue *v)
{
	char *host = NULL;
	if (url_host(url, &host) != 0)
		return false;
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	bool ok = true;
	if (inet_pton(AF_INET, host, &a4.sin_addr) == 1)
		ok = crawler__addr_allowed((struct sockaddr *)&a4, v->allow_private);
	else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1)
		ok = crawler__addr_allowed((struct sockaddr *)&a6, v->allow_private);
	else if (strcasecmp(host, "localhost") == 0)
		ok = v->allow_private;
	free(host);
	return ok;
}

const char *alert_tr_text(const struct alert_tr *tr, const char *msgid)
{
	return tr && tr->fn ? tr->fn(tr->ud, msgid) : _(msgid);
}

int alert_tip_check(const struct venue_registry *r, const char *url, char **ret_url,
		    const char **ret_venue, char *why, size_t whylen, const struct alert_tr *tr)
{
	char *canon = NULL;
	const struct crawler_settings *set = venue_registry_settings(r);
	struct url_opts uo = {set->session_params, set->nsession_params};
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		snprintf(why, whylen, alert_tr_text(tr, N_("not an http(s) URL: %s")), url);
		return ERR_URL;
	}
	if (url_resolve_opts(NULL, url, &uo, &canon) != 0) {
		snprintf(why, whylen, alert_tr_text(tr, N_("not a valid URL: %s")), url);
		return ERR_URL;
	}
	const struct venue *near = NULL;
	enum venue_verdict near_why = VENUE_OFF_HOST;
	for (size_t i = 0; i < venue_registry_count(r); i++) {
		const struct venue *v = venue_registry_get(r, i);
		enum venue_verdict vv = venue_scope_check(v, canon);
		if (vv == VENUE_IN_SCOPE && !tip_address_ok(canon, v)) {
			snprintf(why, whylen,
				 alert_tr_text(
					 tr,
					 N_("%s is a private or local address, which venue %s may "
					    "not fetch from")),
				 canon, v->id);
			free(canon);
			return ERR_SCOPE;
		}
		if (vv == VENUE_IN_SCOPE) {
			*ret_url = canon;
			*ret_venue = v->id;
			return 0;
		}
		if (vv != VENUE_OFF_HOST && !near) {
			near = v;
			near_why = vv;
		}
	}
	if (near && near_why == VENUE_EXCLUDED)
		snprintf(why, whylen,
			 alert_tr_text(tr,
				       N_("%s is excluded by a scope.exclude pattern of venue %s")),
			 canon, near->id);
	else if (near && near_why == VENUE_NOT_INCLUDED)
		snprintf(why, whylen,
			 alert_tr_text(tr, N_("%s matches no scope.include pattern of venue %s")),
			 canon, near->id);
	else if (near)
		snprintf(why, whylen,
			 alert_tr_text(tr, N_("the scope check of venue %s failed on %s (%s)")),
			 near->id, canon, venue_verdict_name(near_why));
	else
		snprintf(why, whylen,
			 alert_tr_text(tr, N_("no registered venue covers the host of %s")), canon);
	free(canon);
	return ERR_SCOPE;
}
