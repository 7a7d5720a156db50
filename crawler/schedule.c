/* SPDX-License-Identifier: MIT */
/* schedule.h: due times from schedule.every, jitter and windows. Windows are in UTC so a
 * registry means the same on every host of a sharded deployment; all arithmetic is in epoch
 * seconds with the day split at UTC midnight.
 */
#include "crawler/schedule.h"

#include "common/digest.h"
#include "crawler/venue.h"

#include <string.h>

#define DAY_S 86400

static uint64_t be64_of(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

int64_t schedule_jitter(const struct venue *v, int64_t last_run)
{
	if (v->jitter_s <= 0)
		return 0;
	uint8_t le[8], d[DIGEST_LEN];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)last_run >> (8 * i));
	struct digest_part parts[] = {{v->id, strlen(v->id) + 1}, {le, sizeof(le)}};
	if (digest_sha256_parts(parts, 2, d) != 0)
		return 0;
	return (int64_t)(be64_of(d) % ((uint64_t)v->jitter_s + 1));
}

static bool window_holds(const struct venue_window *w, int64_t minute)
{
	if (w->start_min == w->end_min)
		return true;
	if (w->start_min < w->end_min)
		return minute >= w->start_min && minute < w->end_min;
	return minute >= w->start_min || minute < w->end_min;
}

bool schedule_in_window(const struct venue *v, int64_t now, int64_t *ret_opens)
{
	if (!v->nwindows)
		return true;
	int64_t day = now - ((now % DAY_S) + DAY_S) % DAY_S; /* UTC midnight, also before 1970 */
	int64_t minute = (now - day) / 60, opens = INT64_MAX;
	for (size_t i = 0; i < v->nwindows; i++) {
		if (window_holds(&v->windows[i], minute))
			return true;
		int64_t at = day + (int64_t)v->windows[i].start_min * 60;
		if (at <= now)
			at += DAY_S;
		if (at < opens)
			opens = at;
	}
	if (ret_opens)
		*ret_opens = opens;
	return false;
}

void schedule_decide(const struct venue *v, int64_t last_run, int64_t now,
		     struct schedule_decision *ret)
{
	*ret = (struct schedule_decision){.last_run = last_run};
	if (v->every_s <= 0) {
		ret->verdict = SCHEDULE_UNSCHEDULED;
		return;
	}
	if (last_run > 0) {
		ret->jitter_s = schedule_jitter(v, last_run);
		ret->due_at = last_run + v->every_s + ret->jitter_s;
	}
	if (now < ret->due_at)
		ret->verdict = SCHEDULE_WAIT;
	else if (!schedule_in_window(v, now, &ret->opens_at))
		ret->verdict = SCHEDULE_WINDOW;
	else
		ret->verdict = SCHEDULE_DUE;
}

const char *schedule_verdict_name(enum schedule_verdict verdict)
{
	switch (verdict) {
	case SCHEDULE_DUE: return "due";
	case SCHEDULE_WAIT: return "wait";
	case SCHEDULE_WINDOW: return "window";
	case SCHEDULE_UNSCHEDULED: return "unscheduled";
	}
	return "?";
}

unsigned schedule_shard(const char *venue_id, unsigned n)
{
	uint8_t d[DIGEST_LEN];
	if (n <= 1 || digest_sha256(venue_id, strlen(venue_id), d) != 0)
		return 0; /* digest_sha256 fails only out of memory; shard 0 then, as for n = 1 */
	return (unsigned)(be64_of(d) % n);
}
