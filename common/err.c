/* SPDX-License-Identifier: MIT */
/* Names for the error codes of err.h and for -errno values. Static strings only: err_str in
 * English for machine output, err_text through gettext for people.
 */
#include "common/err.h"

#include "common/i18n.h"

#include <string.h>

static const char *const names[] = {
	[ERR_PARSE - ERR_BASE] = N_("malformed input"),
	[ERR_TOO_BIG - ERR_BASE] = N_("limit exceeded"),
	[ERR_CHARSET - ERR_BASE] = N_("cannot decode text"),
	[ERR_URL - ERR_BASE] = N_("invalid URL"),
	[ERR_NET - ERR_BASE] = N_("network error"),
	[ERR_HTTP - ERR_BASE] = N_("unusable HTTP response"),
	[ERR_SCOPE - ERR_BASE] = N_("outside the crawl scope"),
	[ERR_RULES - ERR_BASE] = N_("invalid rule file"),
	[ERR_REGEX - ERR_BASE] = N_("regular expression error"),
	[ERR_STORE - ERR_BASE] = N_("store error"),
	[ERR_SCHEMA - ERR_BASE] = N_("incompatible store schema"),
	[ERR_NOT_FOUND - ERR_BASE] = N_("not found"),
	[ERR_USAGE - ERR_BASE] = N_("invalid arguments"),
	[ERR_INTERNAL - ERR_BASE] = N_("internal error"),
};

const char *err_str(int code)
{
	if (code == 0)
		return N_("success");
	if (code >= ERR_BASE && code < ERR_LAST)
		return names[code - ERR_BASE];
	if (code < 0 && code > -4096)
		return strerrordesc_np(-code) ? strerrordesc_np(-code) : N_("unknown system error");
	return N_("unknown error");
}

const char *err_text(int code)
{
	if (code < 0 && code > -4096 && strerrordesc_np(-code))
		return dgettext("libc", strerrordesc_np(-code)); /* glibc's own translations */
	const char *s = err_str(code);
	return s[0] ? _(s) : s;
}
