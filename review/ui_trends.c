/* SPDX-License-Identifier: MIT */
/* The venues page's charts: hits per day per venue and category, the series `patrol trends`
 * prints, from the caller's ui_trends_fn. One inline SVG per venue, no script: a lane per
 * category with its bars scaled to the lane's busiest day, as the terminal chart scales a line;
 * under it the same numbers as a table, for screen readers and for copying. Venue ids and
 * category names come from configuration and rule packs and are escaped like everything else.
 * Caps: CHART_LANES lanes per venue and CHART_SERIES series per page; the rest are counted.
 * Every string shown is in the request's language (ui__tr).
 */
#include "review/ui_int.h"

#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHART_LANES  16	 /* categories charted per venue; more are summed in a note */
#define CHART_SERIES 512 /* series charted on one page; more are counted */
#define CHART_LABEL  28	 /* bytes of a category's name on its lane (the table has it whole) */
#define CHART_X0     180 /* where the bars start */
#define CHART_W	     540 /* the bars' width, whatever the days */
#define CHART_WIDTH  (CHART_X0 + CHART_W + 150)
#define CHART_LANE   22 /* a lane's height */
#define CHART_BAR    16 /* the tallest bar's */

struct chart_lane {
	char *category;
	uint32_t counts[UI_TRENDS_DAYS_MAX];
};

/* One venue's lanes, gathered from the series in turn and drawn when the venue changes. */
struct chart {
	struct ui_req *r;
	char *venue; /* NULL before the first series and after each drawing */
	struct chart_lane lanes[CHART_LANES];
	size_t n, ndays;
	int64_t first_day;
	uint64_t more_series, more_hits; /* this venue's past CHART_LANES */
	size_t charted;			 /* series on the page so far */
	uint64_t skipped;		 /* series past CHART_SERIES */
	unsigned drawn;			 /* venues drawn: their ids in the page */
};

/* UTC day (days since the epoch) as YYYY-MM-DD. */
static void chart_day(int64_t day, char out[16])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	if (day < 0 || day > 2932896 || !gmtime_r(&t, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		strcpy(out, "?");
}

/* A category's name cut to CHART_LABEL bytes at a character boundary, escaped. */
static int chart_label(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (n <= CHART_LABEL)
		return ui_html(b, s);
	n = CHART_LABEL;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	int rc = ui_html_n(b, s, n);
	return rc ? rc : buf_addstr(b, "…");
}

static void chart_lane_stats(const struct chart_lane *l, size_t ndays, uint32_t *ret_max,
			     uint64_t *ret_total)
{
	*ret_max = 0;
	*ret_total = 0;
	for (size_t i = 0; i < ndays; i++) {
		*ret_max = l->counts[i] > *ret_max ? l->counts[i] : *ret_max;
		*ret_total += l->counts[i];
	}
}

/* One lane: the label, a bar per day with hits (a tooltip with the day and count), the numbers. */
static int chart_lane_draw(struct chart *c, size_t lane)
{
	struct buf *b = &c->r->page;
	const struct chart_lane *l = &c->lanes[lane];
	uint32_t max;
	uint64_t total;
	chart_lane_stats(l, c->ndays, &max, &total);
	int y = (int)lane * CHART_LANE;
	double bw = (double)CHART_W / (double)(c->ndays ? c->ndays : 1);
	int rc = buf_addf(b, "<g class=\"c%zu\"><title>", lane % 6);
	rc = rc ? rc : ui_html(b, l->category);
	rc = rc ? rc : buf_addf(b, ": %" PRIu64 "</title><text x=\"0\" y=\"%d\">", total, y + 14);
	rc = rc ? rc : chart_label(b, l->category);
	rc = rc ? rc
		: buf_addf(b,
			   "</text><rect class=\"bg\" x=\"%d\" y=\"%d\" width=\"%d\" "
			   "height=\"%d\"/>",
			   CHART_X0, y + 2, CHART_W, CHART_BAR);
	for (size_t d = 0; d < c->ndays && !rc; d++) {
		if (!l->counts[d])
			continue;
		/* At least a pixel: a day of one hit beside a day of millions still shows. */
		double h = (double)l->counts[d] * CHART_BAR / (double)max;
		h = h < 1 ? 1 : h;
		char day[16];
		chart_day(c->first_day + (int64_t)d, day);
		rc = buf_addf(
			b,
			"<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>%s: "
			"%" PRIu32 "</title></rect>",
			CHART_X0 + (double)d * bw, y + 2 + CHART_BAR - h, bw > 3 ? bw - 1 : bw, h,
			day, l->counts[d]);
	}
	rc = rc ? rc
		: buf_addf(b, "<text class=\"v\" x=\"%d\" y=\"%d\">", CHART_X0 + CHART_W + 8,
			   y + 14);
	rc = rc ? rc
		: ui__htmlf(b, ui__tr(c->r, "today %u, max %u"),
			    (unsigned)(c->ndays ? l->counts[c->ndays - 1] : 0), (unsigned)max);
	return rc ? rc : buf_addstr(b, "</text></g>");
}

/* The same numbers as a table: a row per day, newest first, a column per category. */
static int chart_table(struct chart *c)
{
	struct buf *b = &c->r->page;
	int rc = buf_addstr(b, "<details><summary>");
	rc = rc ? rc : ui__text(c->r, "As a table");
	rc = rc ? rc
		: buf_addstr(b, "</summary><table class=\"num\"><thead><tr><th scope=\"col\">");
	rc = rc ? rc : ui__text(c->r, "day");
	rc = rc ? rc : buf_addstr(b, "</th>");
	for (size_t i = 0; i < c->n && !rc; i++) {
		rc = buf_addstr(b, "<th scope=\"col\">");
		rc = rc ? rc : ui_html(b, c->lanes[i].category);
		rc = rc ? rc : buf_addstr(b, "</th>");
	}
	rc = rc ? rc : buf_addstr(b, "</tr></thead><tbody>");
	for (size_t d = c->ndays; d-- > 0 && !rc;) {
		char day[16];
		chart_day(c->first_day + (int64_t)d, day);
		rc = buf_addf(b, "<tr><th scope=\"row\">%s</th>", day);
		for (size_t i = 0; i < c->n && !rc; i++)
			rc = buf_addf(b, "<td class=\"n\">%" PRIu32 "</td>", c->lanes[i].counts[d]);
		rc = rc ? rc : buf_addstr(b, "</tr>");
	}
	return rc ? rc : buf_addstr(b, "</tbody></table></details>");
}

static int chart_caption(struct chart *c)
{
	char from[16], to[16];
	chart_day(c->first_day, from);
	chart_day(c->first_day + (int64_t)(c->ndays ? c->ndays - 1 : 0), to);
	struct buf cap;
	buf_init(&cap, 4096);
	int rc = buf_addf(
		&cap, ui__tr(c->r, "Hits per day in venue %.200s, %s to %s (UTC), per category"),
		c->venue, from, to);
	rc = rc ? rc : ui_html(&c->r->page, cap.data);
	buf_done(&cap);
	return rc;
}

/* A dim line under the charts: fmt's output, escaped. */
static int chart_note(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int chart_note(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	int rc = n < 0 ? ERR_INTERNAL : buf_addstr(b, "<p class=\"dim\">");
	rc = rc ? rc : ui_html(b, tmp);
	return rc ? rc : buf_addstr(b, "</p>");
}

static void chart_reset(struct chart *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->lanes[i].category);
	free(c->venue);
	c->venue = NULL;
	c->n = 0;
	c->more_series = c->more_hits = 0;
}

/* Draws the venue gathered so far, if any, and starts afresh. */
static int chart_flush(struct chart *c)
{
	if (!c->venue)
		return 0;
	struct buf *b = &c->r->page;
	unsigned id = c->drawn++;
	int rc = buf_addstr(b, "<section class=\"trend\"><h3>");
	rc = rc ? rc : ui_html(b, c->venue);
	rc = rc ? rc
		: buf_addf(b,
			   "</h3><svg class=\"trend\" role=\"img\" viewBox=\"0 0 %d %zu\" "
			   "aria-labelledby=\"trend-%u\"><title id=\"trend-%u\">",
			   CHART_WIDTH, c->n * CHART_LANE + 4, id, id);
	rc = rc ? rc : chart_caption(c);
	rc = rc ? rc : buf_addstr(b, "</title>");
	for (size_t i = 0; i < c->n && !rc; i++)
		rc = chart_lane_draw(c, i);
	rc = rc ? rc : buf_addstr(b, "</svg>");
	rc = rc ? rc : chart_table(c);
	if (!rc && c->more_series)
		rc = chart_note(
			b, ui__tr(c->r, "%llu more categories with %llu hits are not charted."),
			(unsigned long long)c->more_series, (unsigned long long)c->more_hits);
	rc = rc ? rc : buf_addstr(b, "</section>");
	chart_reset(c);
	return rc;
}

/* A ui_trends_fn's each: gathers s into its venue's chart, drawing the previous venue first. */
static int chart_each(const struct ui_series *s, void *ud)
{
	struct chart *c = ud;
	if (!s->venue || !s->category || (!s->counts && s->ndays))
		return ERR_USAGE;
	int rc = c->venue && strcmp(c->venue, s->venue) != 0 ? chart_flush(c) : 0;
	if (rc)
		return rc;
	if (c->charted == CHART_SERIES) {
		c->skipped++;
		return 0;
	}
	/* The last UI_TRENDS_DAYS_MAX days at most, today last. */
	size_t nd = s->ndays > UI_TRENDS_DAYS_MAX ? UI_TRENDS_DAYS_MAX : s->ndays;
	const uint32_t *counts = s->counts + (s->ndays - nd);
	if (!c->venue) {
		if (!(c->venue = strdup(s->venue)))
			return -ENOMEM;
		c->ndays = nd;
		c->first_day = s->first_day + (int64_t)(s->ndays - nd);
	}
	if (c->n == CHART_LANES) {
		c->more_series++;
		for (size_t i = 0; i < nd; i++)
			c->more_hits += counts[i];
		return 0;
	}
	struct chart_lane *l = &c->lanes[c->n];
	memset(l->counts, 0, sizeof(l->counts));
	if (!(l->category = strdup(s->category)))
		return -ENOMEM;
	/* Aligned on today, should a series ever be shorter than the first. */
	for (size_t k = 0; k < nd && k < c->ndays; k++)
		l->counts[c->ndays - 1 - k] = counts[nd - 1 - k];
	c->n++;
	c->charted++;
	return 0;
}

/* ?days=7, 30 or 90; 30 for anything else. */
static unsigned chart_days(const struct ui_req *r)
{
	const char *d = ui__arg(r, "days");
	if (d && strcmp(d, "7") == 0)
		return 7;
	return d && strcmp(d, "90") == 0 ? 90 : 30;
}

static int chart_days_links(struct ui_req *r, unsigned days)
{
	static const unsigned choices[] = {7, 30, 90};
	int rc = buf_addstr(&r->page, "<p class=\"days\">");
	rc = rc ? rc : ui__text(r, "Last");
	for (size_t i = 0; i < 3 && !rc; i++) {
		rc = buf_addf(&r->page, " <a href=\"/venues?days=%u#trends\"%s>", choices[i],
			      choices[i] == days ? " class=\"on\" aria-current=\"page\"" : "");
		rc = rc ? rc : ui__htmlf(&r->page, ui__tr(r, "%u days"), choices[i]);
		rc = rc ? rc : buf_addstr(&r->page, "</a>");
	}
	return rc ? rc : buf_addstr(&r->page, "</p>");
}

int ui__trends(struct ui_req *r)
{
	if (!r->ui->o.trends_fn)
		return 0;
	unsigned days = chart_days(r);
	struct chart *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->r = r;
	uint64_t dropped = 0;
	int rc = buf_addstr(&r->page, "<h2 id=\"trends\">");
	rc = rc ? rc : ui__text(r, "Hits per day");
	rc = rc ? rc : buf_addstr(&r->page, "</h2>");
	rc = rc ? rc : chart_days_links(r, days);
	rc = rc ? rc : r->ui->o.trends_fn(r->ui->o.ud, days, chart_each, c, &dropped);
	rc = rc ? rc : chart_flush(c);
	if (!rc && !c->drawn)
		rc = chart_note(&r->page, ui__tr(r, "No hits in the last %u days."), days);
	if (!rc && c->skipped)
		rc = chart_note(&r->page,
				ui__tr(r, "%llu more series are not charted: narrow the days."),
				(unsigned long long)c->skipped);
	if (!rc && dropped)
		rc = chart_note(&r->page,
				ui__tr(r, "%llu hits in venue and category pairs past the "
					  "collector's cap are not shown."),
				(unsigned long long)dropped);
	chart_reset(c);
	free(c);
	return rc;
}
