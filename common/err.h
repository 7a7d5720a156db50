/* SPDX-License-Identifier: MIT */
/* Error codes shared by every module.
 *
 * A fallible function returns 0 on success or a negative code: -errno for system errors, or one of
 * the codes below, which live in a reserved range far below any errno value. err_str() names both.
 * Third-party errors (CURLcode, MDB_*, PCRE2, libyaml) are translated into these at the boundary
 * of the module that owns the library; they never travel further as their own types.
 */
#ifndef PATROL_COMMON_ERR_H
#define PATROL_COMMON_ERR_H

enum {
	ERR_BASE = -30000,
	ERR_PARSE = ERR_BASE,   /* malformed input: a file, a document, a URL */
	ERR_TOO_BIG,            /* a cap was reached: body size, URL length, nesting */
	ERR_CHARSET,            /* text could not be decoded */
	ERR_URL,                /* a URL could not be parsed or resolved */
	ERR_NET,                /* a transfer failed: DNS, connect, TLS, timeout */
	ERR_HTTP,               /* the server answered, but not with a page we can use */
	ERR_SCOPE,              /* a URL outside the venue, or an address the guard refuses */
	ERR_RULES,              /* a rule file is invalid */
	ERR_REGEX,              /* a regex failed to compile or to run (never "no match") */
	ERR_STORE,              /* the LMDB store failed */
	ERR_SCHEMA,             /* the store was written by an incompatible version */
	ERR_NOT_FOUND,          /* a key, file or record does not exist */
	ERR_USAGE,              /* a caller passed arguments that make no sense */
	ERR_INTERNAL,           /* a broken invariant: a bug in patrol */
	ERR_LAST
};

/* A short, static, human-readable description of code: an ERR_* code, a -errno value, or 0.
 * Always English: it is what machine output, logs and the store carry. */
const char *err_str(int code);
/* The same in the user's language (gettext's patrol domain, and libc's for -errno values;
 * docs/i18n.md), for messages a person reads. Static strings; thread-safe. */
const char *err_text(int code);

#endif
