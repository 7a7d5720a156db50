/* SPDX-License-Identifier: MIT */
/* What doc.c and posts.c share: collapsed text, and the post segmentation that rides along
 * doc.c's body walk (posts.c), fed the same elements, text and separators as the body text.
 * Internal to parsers/: it names Gumbo's types. No shared state.
 */
#ifndef PATROL_PARSERS_DOC_INT_H
#define PATROL_PARSERS_DOC_INT_H

#include "common/buf.h"
#include "parsers/doc.h"

#include <gumbo.h>
#include <stdbool.h>
#include <stddef.h>

/* Text with runs of white space collapsed: a separator is owed, and written only before the next
 * visible text, so the result is trimmed. '\n' wins over ' '. */
struct doc__text {
	struct buf b;
	char owed;
	bool full; /* the cap was reached */
};

void doc__text_init(struct doc__text *t, size_t max);
void doc__text_sep(struct doc__text *t, char sep);
/* Adds n bytes of text (whole UTF-8 characters); pre keeps line breaks as '\n' separators. At the
 * cap it keeps what fits on a character boundary and sets full. Errors: -ENOMEM. */
int doc__text_add(struct doc__text *t, const char *s, size_t n, bool pre);

/* ---- Posts (posts.c) ---- */

#define DOC__POSTS_NEST	   16  /* posts open inside each other; deeper ones join their parent */
#define DOC__POST_META_MAX 256 /* bytes of an author or a time */

struct doc_profile;

/* What one value of a post (author, time) has found so far. */
struct doc__post_field {
	struct doc__text t;
	const GumboNode *el; /* whose text is being collected; NULL: none */
	int best;	     /* the alternative that gave the value; INT_MAX: none yet */
};

/* A post whose element is being walked. */
struct doc__post_open {
	const GumboNode *el;
	const struct doc_profile *prof;
	size_t index;			       /* its slot in doc__posts.v */
	const GumboNode *content_el, *skip_el; /* being walked; NULL: none */
	bool content_seen;
	struct doc__text text;
	struct doc__post_field author, time;
};

/* The posts of one page, while the body walk runs. */
struct doc__posts {
	const struct doc_profiles *ps;
	size_t max_posts;
	size_t text_left; /* of max_text, for the posts' texts together */
	struct doc_post *v;
	size_t n, alloc;
	size_t dropped;
	struct doc__post_open open[DOC__POSTS_NEST];
	size_t depth;
	const char *profile; /* of the first post kept */
	bool truncated;
	int rc; /* the first error; the walk goes on, finding nothing more */
};

void doc__posts_init(struct doc__posts *pw, const struct doc_profiles *ps,
		     const struct doc_limits *lim);
/* Called by the body walk for each element it enters (hidden ones excluded) and leaves. */
void doc__posts_enter(struct doc__posts *pw, const GumboNode *el);
void doc__posts_leave(struct doc__posts *pw, const GumboNode *el);
/* The walk's text and separators, as the body gets them. */
void doc__posts_add(struct doc__posts *pw, const char *s, size_t n, bool pre);
void doc__posts_sep(struct doc__posts *pw, char sep);
/* Moves the posts into d (posts, nposts, posts_dropped, posts_profile, truncated); returns the
 * walk's first error, or 0. */
int doc__posts_finish(struct doc__posts *pw, struct doc *d);
/* Frees what finish did not take; always called. */
void doc__posts_done(struct doc__posts *pw);

#endif
