/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a hard cap, after curl's dynbuf.
 *
 * The data is always NUL-terminated (the NUL is not counted in len), so text can be handed to C
 * string functions. Appending past max fails with ERR_TOO_BIG and leaves the buffer as it was:
 * hostile input can make a buffer full, never make it grow without bound.
 */
#ifndef PATROL_COMMON_BUF_H
#define PATROL_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NULL until the first append; owned by the buffer */
	size_t len;   /* bytes used, not counting the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t max;   /* most bytes len may reach */
};

void buf_init(struct buf *b, size_t max);
/* Frees the data; the buffer may be used again after buf_init(). */
void buf_done(struct buf *b);
/* Empties the buffer, keeping its allocation. */
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the data to the caller, who frees it with free(); never NULL (an empty buffer gives "").
 * The buffer is left empty. Returns NULL only when out of memory. */
char *buf_take(struct buf *b);
/* The data as a string, "" when empty. Borrowed: valid until the next change to the buffer. */
const char *buf_str(const struct buf *b);

#endif
