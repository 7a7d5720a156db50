/* SPDX-License-Identifier: MIT */
/* log.h: each line is built in a fixed buffer (capped; a long value is cut) and written with one
 * fwrite. Escaping is by byte: UTF-8 passes through, control bytes become \n, \t or \u00XX.
 */
#include "common/log.h"

#include "common/clock.h"
#include "common/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
	bool cut;
};

static void put(struct line *ln, const char *s, size_t n)
{
	size_t room = sizeof(ln->buf) - 5 - ln->len; /* "...\n" and a NUL always fit */
	if (n > room) {
		n = room;
		ln->cut = true;
	}
	memcpy(ln->buf + ln->len, s, n);
	ln->len += n;
}

static void puts_(struct line *ln, const char *s)
{
	put(ln, s, strlen(s));
}

/* A value inside double quotes, JSON's escapes (which logfmt readers take too). */
static void put_quoted(struct line *ln, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(ln, "\"", 1);
	const char *end = s + strnlen(s, LOG_VALUE_MAX);
	for (; s < end && !ln->cut; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = {'\\', 0};
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(ln, esc, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			put(ln, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(ln, esc, 6);
		} else {
			put(ln, (const char *)s, 1);
		}
	}
	if (*s)
		put(ln, "...", 3); /* cut at LOG_VALUE_MAX: the line stays well-formed */
	put(ln, "\"", 1);
}

/* logfmt leaves a value bare when it has nothing a reader could split on. */
static bool bare(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '=' || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

static void put_key(struct line *ln, const char *k)
{
	for (; *k; k++) {
		char c = *k;
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			  (c >= 'A' && c <= 'Z');
		put(ln, ok ? &c : "_", 1);
	}
}

static void put_field(struct line *ln, enum log_format f, const char *k, const char *v, bool first)
{
	if (f == LOG_JSON) {
		put(ln, first ? "" : ",", first ? 0 : 1);
		put(ln, "\"", 1);
		put_key(ln, k);
		put(ln, "\":", 2);
		put_quoted(ln, v);
		return;
	}
	if (!first)
		put(ln, " ", 1);
	put_key(ln, k);
	put(ln, "=", 1);
	if (bare(v) && strlen(v) < LOG_VALUE_MAX)
		puts_(ln, v);
	else
		put_quoted(ln, v);
}

void log_init(struct log *l, FILE *out, enum log_format format, enum log_level level)
{
	*l = (struct log){.out = out, .format = format, .level = level};
}

int log_format_parse(const char *name, enum log_format *ret)
{
	static const char *const names[] = {"text", "logfmt", "json"};
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, names[i]) == 0) {
			*ret = (enum log_format)i;
			return 0;
		}
	return ERR_USAGE;
}

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	return level <= LOG_DEBUG ? names[level] : "debug";
}

bool log_enabled(const struct log *l, enum log_level level)
{
	return l && l->out && level <= l->level;
}

void log_event(const struct log *l, enum log_level level, const char *msg, ...)
{
	if (!log_enabled(l, level))
		return;
	struct line ln = {.len = 0};
	char when[32];
	clock_iso8601(clock_wall(), when, sizeof(when));
	va_list ap;
	va_start(ap, msg);
	if (l->format == LOG_TEXT) {
		puts_(&ln, "patrol: ");
		puts_(&ln, level <= LOG_WARN ? log_level_name(level) : "");
		puts_(&ln, level <= LOG_WARN ? ": " : "");
		puts_(&ln, msg);
		for (const char *k; (k = va_arg(ap, const char *));) {
			const char *v = va_arg(ap, const char *);
			put_field(&ln, LOG_TEXT, k, v ? v : "", false);
		}
	} else {
		put(&ln, "{", l->format == LOG_JSON);
		put_field(&ln, l->format, "time", when, true);
		put_field(&ln, l->format, "level", log_level_name(level), false);
		put_field(&ln, l->format, "msg", msg, false);
		for (const char *k; (k = va_arg(ap, const char *));) {
			const char *v = va_arg(ap, const char *);
			put_field(&ln, l->format, k, v ? v : "", false);
		}
		put(&ln, "}", l->format == LOG_JSON);
	}
	va_end(ap);
	if (ln.cut) {
		memcpy(ln.buf + ln.len, "...", 3);
		ln.len += 3;
	}
	ln.buf[ln.len++] = '\n';
	fwrite(ln.buf, 1, ln.len, l->out);
	fflush(l->out);
}
