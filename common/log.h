/* SPDX-License-Identifier: MIT */
/* Structured log lines for operators (patrol run under cron or systemd): one event per line on
 * a stream, as logfmt (`time=... level=info msg="run started" venues=3`) or JSON
 * (`{"time":"...","level":"info","msg":"run started","venues":"3"}`), or plain text for a person
 * (`patrol: run started venues=3`). Library modules never log (STYLE.md): cli/ owns a struct log
 * and hands it to whoever reports; there is no process-wide logger.
 *
 * Threads: one log_event writes one line with one fwrite, so lines from several threads do not
 * interleave on a stream stdio locks; the struct itself is read-only after log_init.
 */
#ifndef PATROL_COMMON_LOG_H
#define PATROL_COMMON_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_LOGFMT, LOG_JSON };

#define LOG_VALUE_MAX 1024  /* bytes of one value written; the rest is cut, marked with "..." */
#define LOG_LINE_MAX  16384 /* bytes of one line: a dozen values of the largest size fit */

struct log {
	FILE *out; /* borrowed: stderr, normally */
	enum log_format format;
	enum log_level level; /* events above it are dropped */
};

void log_init(struct log *l, FILE *out, enum log_format format, enum log_level level);
/* "text", "logfmt" or "json" into *ret; ERR_USAGE for anything else (ret untouched). */
int log_format_parse(const char *name, enum log_format *ret);
/* "error", "warn", "info", "debug". */
const char *log_level_name(enum log_level level);
bool log_enabled(const struct log *l, enum log_level level);

/* Writes one event: msg, then key/value string pairs ending with a NULL key, e.g.
 * log_event(l, LOG_INFO, "venue done", "venue", id, "pages", "12", NULL). A NULL value is
 * written as an empty string. Keys should be [a-z0-9_]; others are written with '_' instead.
 * Values are quoted and escaped as the format needs (control characters too), so a hostile URL
 * cannot forge a line. */
void log_event(const struct log *l, enum log_level level, const char *msg, ...)
	__attribute__((sentinel));

#endif
