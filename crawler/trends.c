/* SPDX-License-Identifier: MIT */
/* Early warning (trends.h): daily series of hits per venue and category, the spike rule, venues
 * gone dark from the runs database, and the alerts both raise. Series are built in one walk
 * over the hits of the window (store_hits_query, short read transactions), bounded in number;
 * a run's per-venue summary is the JSON object patrol crawl and patrol run print.
 */
#include "crawler/trends.h"

#include "common/err.h"
#include "crawler/alert.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

bool trends_spike(const uint32_t *counts, size_t n, const struct early_warning_settings *ew,
		  double *ret_mean)
{
	if (n < 2)
		return false;
	size_t h = ew->history_days < n - 1 ? ew->history_days : n - 1;
	double sum = 0;
	for (size_t i = n - 1 - h; i < n - 1; i++)
		sum += counts[i];
	double mean = h ? sum / (double)h : 0;
	if (ret_mean)
		*ret_mean = mean;
	uint32_t today = counts[n - 1];
	return h > 0 && today >= ew->spike_min_hits && (double)today > ew->spike_factor * mean;
}

struct collect {
	struct trends *t;
	const char *venue;
	int rc;
};

static int series_cmp(const struct trends_series *s, const char *venue, const char *category)
{
	int c = strcmp(s->venue, venue);
	return c ? c : strcmp(s->category, category);
}

/* The series of venue and category, made in its sorted place when new; NULL past the cap. */
static struct trends_series *series_get(struct trends *t, const char *venue, const char *cat,
					int *rc)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = series_cmp(&t->series[mid], venue, cat);
		if (c == 0)
			return &t->series[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->n == TRENDS_MAX_SERIES)
		return NULL;
	struct trends_series *s = realloc(t->series, (t->n + 1) * sizeof(*s));
	if (!s) {
		*rc = -ENOMEM;
		return NULL;
	}
	t->series = s;
	memmove(&s[lo + 1], &s[lo], (t->n - lo) * sizeof(*s));
	memset(&s[lo], 0, sizeof(*s));
	s[lo].venue = strdup(venue);
	s[lo].category = strdup(cat);
	t->n++;
	if (!s[lo].venue || !s[lo].category)
		*rc = -ENOMEM;
	return &s[lo];
}

static int collect_hit(const struct store_hit *h, void *ud)
{
	struct collect *c = ud;
	struct trends *t = c->t;
	int64_t d = day_of(h->first_seen) - t->first_day;
	if (d < 0 || (size_t)d >= t->ndays)
		return 0;
	struct trends_series *s = series_get(t, h->venue, h->category, &c->rc);
	if (c->rc)
		return c->rc;
	if (!s)
		t->dropped++;
	else if (s->counts[d] < UINT32_MAX)
		s->counts[d]++;
	return 0;
}

void trends_done(struct trends *t)
{
	for (size_t i = 0; t && i < t->n; i++) {
		free(t->series[i].venue);
		free(t->series[i].category);
	}
	if (t) {
		free(t->series);
		memset(t, 0, sizeof(*t));
	}
}

int trends_collect(struct store *s, const char *venue, unsigned days, int64_t now,
		   struct trends *ret)
{
	if (days == 0 || days > TRENDS_MAX_DAYS)
		return ERR_USAGE;
	struct trends t = {.ndays = days, .first_day = day_of(now) - (int64_t)days + 1};
	struct collect c = {.t = &t, .venue = venue};
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.venue = venue;
	q.since = t.first_day * DAY;
	int rc = store_hits_query(s, &q, collect_hit, &c);
	if (rc) {
		trends_done(&t);
		return rc;
	}
	*ret = t;
	return 0;
}

/* ---- venues gone dark ---- */

/* A venue's summaries in its last two runs, newest first (JSON objects, decoded). */
struct last_runs {
	const char *venue;
	json_t *sum[2];
	size_t n;
};

static int last_run(const struct store_run *run, void *ud)
{
	struct last_runs *l = ud;
	for (size_t i = 0; i < run->nvenues; i++) {
		if (strcmp(run->venues[i].venue, l->venue) != 0)
			continue;
		json_t *j = json_loads(run->venues[i].summary, 0, NULL);
		if (j && json_is_object(j))
			l->sum[l->n++] = j;
		else
			json_decref(j);
		return l->n == 2 ? 1 : 0;
	}
	return 0;
}

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static json_int_t outcome(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(o, "outcomes"), k));
}

/* Why the venue's last run looks dark, into why; false when it does not. */
static bool dark_reason(json_t *last, json_t *prev, const struct early_warning_settings *ew,
			char *why, size_t len)
{
	json_int_t pages = num(last, "pages"), before = prev ? num(prev, "pages") : 0;
	if (pages == 0 && num(last, "robots_blocked") > 0) {
		snprintf(why, len, "robots.txt now disallows every URL fetched (%lld blocked)",
			 (long long)num(last, "robots_blocked"));
		return true;
	}
	json_int_t net = outcome(last, "net_error") + outcome(last, "timeout");
	if (pages == 0 && net > 0) {
		snprintf(why, len, "no page fetched: %lld DNS, connect, TLS or timeout failures",
			 (long long)net);
		return true;
	}
	if (prev && before > 0 && (double)pages < ew->drop_factor * (double)before) {
		snprintf(why, len, "pages fetched dropped from %lld to %lld", (long long)before,
			 (long long)pages);
		return true;
	}
	return false;
}

static int warn_dark(struct store *s, const char *venue, const struct early_warning_settings *ew,
		     const struct alert_opts *o, int64_t now, struct trends_report *r)
{
	struct last_runs l = {.venue = venue};
	int rc = store_runs_last(s, 1000, last_run, &l);
	char why[256], *json = NULL, *text = NULL;
	rc = rc == 1 ? 0 : rc;
	if (!rc && l.n && dark_reason(l.sum[0], l.n > 1 ? l.sum[1] : NULL, ew, why, sizeof(why))) {
		r->dark++;
		json_t *j = json_pack("{s:s,s:s,s:O}", "venue", venue, "reason", why, "last_run",
				      l.sum[0]);
		json = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!json || asprintf(&text, "Venue %s went dark: %s.", venue, why) < 0)
			rc = -ENOMEM;
		struct alert_event ev = {"venue", venue, "", now / DAY, text, json};
		if (!rc)
			rc = alert_send_event(s, o, &ev, &r->sent, &r->failed);
	}
	for (size_t i = 0; i < l.n; i++)
		json_decref(l.sum[i]);
	free(json);
	free(text);
	return rc;
}

static int warn_spike(struct store *s, const struct trends_series *ts, size_t ndays,
		      const struct early_warning_settings *ew, const struct alert_opts *o,
		      int64_t now, struct trends_report *r)
{
	double mean = 0;
	if (!trends_spike(ts->counts, ndays, ew, &mean))
		return 0;
	r->spikes++;
	uint32_t today = ts->counts[ndays - 1];
	char *text = NULL, *json = NULL;
	json_t *j = json_pack("{s:s,s:s,s:i,s:f,s:i,s:f}", "venue", ts->venue, "category",
			      ts->category, "today", (int)today, "mean", mean, "history_days",
			      (int)ew->history_days, "spike_factor", ew->spike_factor);
	json = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	int rc = 0;
	if (!json || asprintf(&text, "Spike on venue %s, category %s: %u hits today against %.1f a "
				     "day over the %u days before.",
			      ts->venue, ts->category, today, mean, ew->history_days) < 0)
		rc = -ENOMEM;
	struct alert_event ev = {"spike", ts->venue, ts->category, now / DAY, text, json};
	if (!rc)
		rc = alert_send_event(s, o, &ev, &r->sent, &r->failed);
	free(json);
	free(text);
	return rc;
}

int trends_warn(struct store *s, const char *const *venues, size_t n,
		const struct early_warning_settings *ew, const struct alert_opts *o, int64_t now,
		struct trends_report *ret)
{
	struct trends_report r = {0};
	int rc = 0;
	unsigned days = ew->history_days + 1 > TRENDS_MAX_DAYS ? TRENDS_MAX_DAYS
							       : ew->history_days + 1;
	for (size_t i = 0; !rc && i < n; i++) {
		struct trends t;
		if ((rc = trends_collect(s, venues[i], days, now, &t)) != 0)
			break;
		for (size_t k = 0; !rc && k < t.n; k++)
			rc = warn_spike(s, &t.series[k], t.ndays, ew, o, now, &r);
		trends_done(&t);
		if (!rc)
			rc = warn_dark(s, venues[i], ew, o, now, &r);
	}
	*ret = r;
	return rc;
}
