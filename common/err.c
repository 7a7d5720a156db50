/* SPDX-License-Identifier: MIT */
/* Names for the error codes of err.h and for -errno values. Static strings only. */
#include "common/err.h"

#include <string.h>

static const char *const names[] = {
	[ERR_PARSE - ERR_BASE] = "malformed input",
	[ERR_TOO_BIG - ERR_BASE] = "limit exceeded",
	[ERR_CHARSET - ERR_BASE] = "cannot decode text",
	[ERR_URL - ERR_BASE] = "invalid URL",
	[ERR_NET - ERR_BASE] = "network error",
	[ERR_HTTP - ERR_BASE] = "unusable HTTP response",
	[ERR_SCOPE - ERR_BASE] = "outside the crawl scope",
	[ERR_RULES - ERR_BASE] = "invalid rule file",
	[ERR_REGEX - ERR_BASE] = "regular expression error",
	[ERR_STORE - ERR_BASE] = "store error",
	[ERR_SCHEMA - ERR_BASE] = "incompatible store schema",
	[ERR_NOT_FOUND - ERR_BASE] = "not found",
	[ERR_USAGE - ERR_BASE] = "invalid arguments",
	[ERR_INTERNAL - ERR_BASE] = "internal error",
};

const char *err_str(int code)
{
	if (code == 0)
		return "success";
	if (code >= ERR_BASE && code < ERR_LAST)
		return names[code - ERR_BASE];
	if (code < 0 && code > -4096)
		return strerrordesc_np(-code) ? strerrordesc_np(-code) : "unknown system error";
	return "unknown error";
}
