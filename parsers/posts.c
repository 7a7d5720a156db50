/* SPDX-License-Identifier: MIT */
/* Forum post segmentation (doc.h, "Forum posts"): the profiles, compiled from selectors, and the
 * per-page state that follows doc.c's body walk, opening a post where a profile's post selector
 * matches and collecting its text, author and time until the walk leaves it.
 *
 * Cost matters: this runs on every element of every page when profiles are given. Each selector
 * keeps the set of Gumbo tags its subjects can have, so most elements are turned away by one bit
 * test before the matcher runs. A doc_profiles is immutable once built; no shared state.
 */
#include "parsers/doc_int.h"

#include "common/err.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_POST, F_CONTENT, F_AUTHOR, F_TIME, F_SKIP, F_COUNT };

static const char *const field_names[F_COUNT] = {"post", "content", "author", "time", "skip"};

#define TAGSET_WORDS ((GUMBO_TAG_LAST + 64) / 64)

struct doc_profile {
	char name[DOC_PROFILE_NAME_MAX];
	struct selector *sel[F_COUNT]; /* NULL: not given */
	/* The tags the subject of sel[f] can have (bit per GumboTag); all set when any. */
	uint64_t tags[F_COUNT][TAGSET_WORDS];
};

struct doc_profiles {
	struct doc_profile v[DOC_PROFILES_MAX];
	size_t n;
};

/* ---- The built-in profiles ----
 * Each matches the markup its software emits by default, checked against the software's own
 * templates and real pages (docs/extract.md says which versions and why each selector). */
static const struct doc_profile_spec builtin[] = {
	{
		.name = "discuz",
		.post = "div#postlist > div[id^=post_]",
		.content = "td.t_f",
		.author = ".authi a.xw1, .authi a.xi2",
		.time = "em[id^=authorposton] span[title], em[id^=authorposton]",
		.skip = "font.jammer, span[style='display:none'], i.pstatus",
	},
	{
		.name = "phpbb",
		.post = "div.post[id^=p]",
		.content = "div.postbody div.content",
		.author = "dl.postprofile .username, dl.postprofile .username-coloured, "
			  "p.author strong",
		.time = "p.author time",
	},
	{
		.name = "vbulletin",
		.post = "li.postcontainer[id^=post_]",
		.content = "blockquote.postcontent",
		.author = ".username_container .username",
		.time = ".postdate .date",
	},
	{
		.name = "discourse",
		.post = "div.topic-body.crawler-post",
		.content = "div.post[itemprop=text], .cooked",
		.author = ".creator [itemprop=name], .creator",
		.time = "time",
	},
	{
		.name = "wordpress",
		.post = "li.comment, div.comment[id^=comment-]",
		.content = ".comment-content, div.comment-body > p",
		.author = ".comment-author .fn",
		.time = ".comment-metadata time, .commentmetadata a",
	},
};

const struct doc_profile_spec *doc_profile_builtin(size_t i)
{
	return i < sizeof(builtin) / sizeof(builtin[0]) ? &builtin[i] : NULL;
}

/* ---- Compiling profiles ---- */

int doc_profiles_new(struct doc_profiles **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static void profile_done(struct doc_profile *p)
{
	for (size_t f = 0; f < F_COUNT; f++)
		selector_free(p->sel[f]);
}

void doc_profiles_free(struct doc_profiles *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		profile_done(&ps->v[i]);
	free(ps);
}

static void tagset_fill(uint64_t set[TAGSET_WORDS], const struct selector *sel)
{
	for (size_t i = 0; i < selector_alternatives(sel); i++) {
		const char *tag = selector_subject_tag(sel, i);
		if (!tag) {
			memset(set, 0xFF, TAGSET_WORDS * sizeof(set[0]));
			return;
		}
		GumboTag t = gumbo_tag_enum(tag); /* GUMBO_TAG_UNKNOWN for custom elements */
		set[t / 64] |= UINT64_C(1) << (t % 64);
	}
}

static const char *spec_field(const struct doc_profile_spec *spec, size_t f)
{
	const char *v[F_COUNT] = {spec->post, spec->content, spec->author, spec->time, spec->skip};
	return v[f];
}

static int profile_error(struct doc_profile_error *err, const char *field, const char *msg)
{
	if (err) {
		*err = (struct doc_profile_error){.field = field, .sel = {.column = 1}};
		snprintf(err->sel.message, sizeof(err->sel.message), "%s", msg);
	}
	return ERR_PARSE;
}

static int profile_compile(struct doc_profile *p, const struct doc_profile_spec *spec,
			   struct doc_profile_error *err)
{
	if (!spec->name || !spec->name[0] || strlen(spec->name) >= DOC_PROFILE_NAME_MAX)
		return profile_error(err, "name", "a profile needs a name of 1 to 31 bytes");
	if (!spec->post)
		return profile_error(err, "post", "a profile needs a post selector");
	strcpy(p->name, spec->name);
	for (size_t f = 0; f < F_COUNT; f++) {
		const char *text = spec_field(spec, f);
		if (!text)
			continue;
		struct selector_error sel_err;
		int rc = selector_compile(text, &p->sel[f], &sel_err);
		if (rc == ERR_PARSE && err)
			*err = (struct doc_profile_error){field_names[f], sel_err};
		if (rc)
			return rc;
		tagset_fill(p->tags[f], p->sel[f]);
	}
	return 0;
}

int doc_profiles_add(struct doc_profiles *ps, const struct doc_profile_spec *spec,
		     struct doc_profile_error *ret_err)
{
	if (ps->n == DOC_PROFILES_MAX)
		return ERR_TOO_BIG;
	struct doc_profile *p = &ps->v[ps->n];
	*p = (struct doc_profile){0};
	int rc = profile_compile(p, spec, ret_err);
	if (rc) {
		profile_done(p);
		*p = (struct doc_profile){0};
		return rc;
	}
	ps->n++;
	return 0;
}

int doc_profiles_add_builtin(struct doc_profiles *ps)
{
	const struct doc_profile_spec *spec;
	for (size_t i = 0; (spec = doc_profile_builtin(i)) != NULL; i++) {
		int rc = doc_profiles_add(ps, spec, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- Gumbo's tree for the matcher ---- */

/* The two callbacks below run for most elements of a page: they compare a first byte before
 * calling anything. */
static bool gumbo_tag_is(const void *el, const char *name)
{
	const GumboElement *e = &((const GumboNode *)el)->v.element;
	if (e->tag != GUMBO_TAG_UNKNOWN) {
		const char *tag = gumbo_normalized_tagname(e->tag);
		return tag[0] == name[0] && strcmp(tag, name) == 0;
	}
	GumboStringPiece piece = e->original_tag;
	gumbo_tag_from_original_text(&piece);
	return piece.length == strlen(name) && strncasecmp(piece.data, name, piece.length) == 0;
}

/* Gumbo lowers attribute names but adjusts some of foreign elements (viewBox): name, which is
 * lower case, is compared ASCII case-insensitively. */
static const char *gumbo_attr(const void *el, const char *name)
{
	const GumboVector *attrs = &((const GumboNode *)el)->v.element.attributes;
	for (unsigned i = 0; i < attrs->length; i++) {
		const GumboAttribute *a = attrs->data[i];
		if ((a->name[0] | 0x20) == name[0] && strcasecmp(a->name, name) == 0)
			return a->value;
	}
	return NULL;
}

static const void *gumbo_parent(const void *el)
{
	const GumboNode *p = ((const GumboNode *)el)->parent;
	return p && (p->type == GUMBO_NODE_ELEMENT || p->type == GUMBO_NODE_TEMPLATE) ? p : NULL;
}

static const struct selector_dom gumbo_dom = {gumbo_tag_is, gumbo_attr, gumbo_parent};

/* The alternative of p's selector f that matches el, or -1 (also when p has no such selector). */
static int hits(const struct doc_profile *p, size_t f, const GumboNode *el)
{
	unsigned t = (unsigned)el->v.element.tag;
	if (!p->sel[f] || t > GUMBO_TAG_LAST || !(p->tags[f][t / 64] & (UINT64_C(1) << (t % 64))))
		return -1;
	return selector_match(p->sel[f], &gumbo_dom, el);
}

/* ---- The walk ---- */

void doc__posts_init(struct doc__posts *pw, const struct doc_profiles *ps,
		     const struct doc_limits *lim)
{
	*pw = (struct doc__posts){
		.ps = ps, .max_posts = lim->max_posts, .text_left = lim->max_text};
}

static void field_init(struct doc__post_field *f)
{
	doc__text_init(&f->t, DOC__POST_META_MAX);
	f->el = NULL;
	f->best = INT_MAX;
}

/* Opens a post of profile prof at el; false when the nesting or the post cap says no. */
static bool post_open(struct doc__posts *pw, const struct doc_profile *prof, const GumboNode *el)
{
	if (pw->depth == DOC__POSTS_NEST)
		return false;
	if (pw->n >= pw->max_posts) {
		pw->dropped++;
		return false;
	}
	if (pw->n == pw->alloc) {
		size_t alloc = pw->alloc ? 2 * pw->alloc : 16;
		struct doc_post *v = realloc(pw->v, alloc * sizeof(*v));
		if (!v) {
			pw->rc = -ENOMEM;
			return false;
		}
		pw->v = v;
		pw->alloc = alloc;
	}
	pw->v[pw->n] = (struct doc_post){0};
	struct doc__post_open *p = &pw->open[pw->depth++];
	*p = (struct doc__post_open){.el = el, .prof = prof, .index = pw->n++};
	doc__text_init(&p->text, SIZE_MAX); /* the cap is set before each addition */
	field_init(&p->author);
	field_init(&p->time);
	return true;
}

static void post_open_done(struct doc__post_open *p)
{
	buf_done(&p->text.b);
	buf_done(&p->author.t.b);
	buf_done(&p->time.t.b);
}

/* Closes the innermost open post: fills its slot, or drops it when its content never showed. */
static void post_close(struct doc__posts *pw)
{
	struct doc__post_open *p = &pw->open[--pw->depth];
	if (p->prof->sel[F_CONTENT] && !p->content_seen) {
		/* Posts opened inside it were closed already, and come after it. */
		memmove(&pw->v[p->index], &pw->v[p->index + 1],
			(pw->n - p->index - 1) * sizeof(pw->v[0]));
		pw->n--;
		post_open_done(p);
		return;
	}
	struct doc_post *slot = &pw->v[p->index];
	slot->text = buf_take(&p->text.b);
	slot->author = buf_take(&p->author.t.b);
	slot->time = buf_take(&p->time.t.b);
	if (!slot->text || !slot->author || !slot->time)
		pw->rc = -ENOMEM;
	if (!pw->profile)
		pw->profile = p->prof->name;
	post_open_done(p);
}

/* The value a time element gives without its text. */
static const char *time_attr(const GumboNode *el)
{
	const char *v = gumbo_attr(el, "datetime");
	return v && v[0] ? v : gumbo_attr(el, "title");
}

/* el may give the post's author or time (f): a better alternative than the one so far restarts
 * the value. */
static void field_enter(struct doc__posts *pw, struct doc__post_field *f,
			const struct doc_profile *prof, size_t which, const GumboNode *el)
{
	if (f->best == 0 || !prof->sel[which])
		return;
	int k = hits(prof, which, el);
	if (k < 0 || k >= f->best)
		return;
	f->best = k;
	buf_reset(&f->t.b);
	f->t.owed = 0;
	f->t.full = false;
	f->el = el;
	const char *v = which == F_TIME ? time_attr(el) : NULL;
	if (v && v[0]) {
		f->el = NULL;
		pw->rc = doc__text_add(&f->t, v, strlen(v), false);
	}
}

/* el, inside the open post p (and not a post itself), may start its content, a part to skip, its
 * author or its time. */
static void post_fields(struct doc__posts *pw, struct doc__post_open *p, const GumboNode *el)
{
	const struct doc_profile *prof = p->prof;
	if (!p->skip_el && hits(prof, F_SKIP, el) >= 0)
		p->skip_el = el;
	if (!p->content_el && hits(prof, F_CONTENT, el) >= 0) {
		p->content_el = el;
		p->content_seen = true;
	}
	field_enter(pw, &p->author, prof, F_AUTHOR, el);
	field_enter(pw, &p->time, prof, F_TIME, el);
}

void doc__posts_enter(struct doc__posts *pw, const GumboNode *el)
{
	if (pw->rc)
		return;
	if (pw->depth > 0) {
		struct doc__post_open *p = &pw->open[pw->depth - 1];
		if (hits(p->prof, F_POST, el) < 0 || !post_open(pw, p->prof, el))
			post_fields(pw, p, el);
		return;
	}
	for (size_t i = 0; i < pw->ps->n; i++) {
		const struct doc_profile *prof = &pw->ps->v[i];
		if (hits(prof, F_POST, el) >= 0) {
			post_open(pw, prof, el);
			return;
		}
	}
}

void doc__posts_leave(struct doc__posts *pw, const GumboNode *el)
{
	if (pw->depth == 0)
		return;
	struct doc__post_open *p = &pw->open[pw->depth - 1];
	if (el == p->el) {
		post_close(pw);
		return;
	}
	if (el == p->skip_el)
		p->skip_el = NULL;
	if (el == p->content_el)
		p->content_el = NULL;
	if (el == p->author.el)
		p->author.el = NULL;
	if (el == p->time.el)
		p->time.el = NULL;
}

/* Adds to p's text within what is left of the posts' shared text cap. */
static int post_text_add(struct doc__posts *pw, struct doc__post_open *p, const char *s, size_t n,
			 bool pre)
{
	size_t before = p->text.b.len;
	p->text.b.max = before + pw->text_left;
	int rc = doc__text_add(&p->text, s, n, pre);
	pw->text_left -= p->text.b.len - before;
	pw->truncated |= p->text.full;
	return rc;
}

void doc__posts_add(struct doc__posts *pw, const char *s, size_t n, bool pre)
{
	if (pw->depth == 0 || pw->rc)
		return;
	struct doc__post_open *p = &pw->open[pw->depth - 1];
	int rc = 0;
	if (!p->skip_el && (!p->prof->sel[F_CONTENT] || p->content_el))
		rc = post_text_add(pw, p, s, n, pre);
	if (!rc && p->author.el)
		rc = doc__text_add(&p->author.t, s, n, false);
	if (!rc && p->time.el)
		rc = doc__text_add(&p->time.t, s, n, false);
	pw->rc = rc;
}

void doc__posts_sep(struct doc__posts *pw, char sep)
{
	if (pw->depth == 0)
		return;
	struct doc__post_open *p = &pw->open[pw->depth - 1];
	doc__text_sep(&p->text, sep);
	if (p->author.el)
		doc__text_sep(&p->author.t, ' ');
	if (p->time.el)
		doc__text_sep(&p->time.t, ' ');
}

static void posts_free(struct doc_post *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].text);
		free(v[i].author);
		free(v[i].time);
	}
	free(v);
}

int doc__posts_finish(struct doc__posts *pw, struct doc *d)
{
	if (pw->rc)
		return pw->rc;
	if (pw->n > 0) {
		d->posts = pw->v;
		d->nposts = pw->n;
		pw->v = NULL;
		pw->n = pw->alloc = 0;
		strcpy(d->posts_profile, pw->profile);
	}
	d->posts_dropped = pw->dropped;
	d->truncated |= pw->truncated;
	return 0;
}

void doc__posts_done(struct doc__posts *pw)
{
	while (pw->depth > 0)
		post_open_done(&pw->open[--pw->depth]);
	/* Slots of posts still open (after an error) hold NULLs, which free() takes. */
	posts_free(pw->v, pw->n);
	pw->v = NULL;
	pw->n = pw->alloc = 0;
}
