/* SPDX-License-Identifier: MIT */
/* The process-wide set-up of translated messages (common/i18n.h). It decides which language
 * patrol speaks; it does not translate anything itself.
 *
 * gettext takes the language from LANGUAGE, else from the LC_MESSAGES locale. A Debian machine
 * often has no locale but C.UTF-8 installed, and then setlocale fails for LANG=zh_CN.UTF-8 and
 * every message would stay English although the catalog is there. So when the user's locale
 * cannot be set, LC_MESSAGES becomes C.UTF-8 and the language the user asked for (LC_ALL,
 * LC_MESSAGES or LANG, cut before its '.') goes into LANGUAGE, which gettext honours under any
 * locale but "C". Only LC_MESSAGES and LC_CTYPE follow the user: numbers in output keep the C
 * locale's form, so machine output never changes with the language.
 */
#include "cli/cli.h"

#include "common/i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifndef PATROL_LOCALEDIR
#define PATROL_LOCALEDIR "/usr/local/share/locale"
#endif

/* The language the environment asks for, as gettext names it ("zh_CN"), or NULL. */
static const char *wanted_language(char *buf, size_t len)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (!v || !v[0])
			continue;
		size_t n = strcspn(v, ".@");
		if (n == 0 || n >= len || strcmp(v, "C") == 0 || strncmp(v, "C.", 2) == 0 ||
		    strcmp(v, "POSIX") == 0)
			return NULL;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

void cli_i18n_init(void)
{
	char lang[64];
	if (!setlocale(LC_MESSAGES, "")) {
		const char *want = wanted_language(lang, sizeof(lang));
		const char *language = getenv("LANGUAGE");
		setlocale(LC_MESSAGES, "C.UTF-8");
		if (want && !(language && language[0]))
			setenv("LANGUAGE", want, 1);
	}
	const char *dir = getenv("PATROL_LOCALEDIR");
	bindtextdomain(PATROL_TEXTDOMAIN, dir && dir[0] ? dir : PATROL_LOCALEDIR);
	bind_textdomain_codeset(PATROL_TEXTDOMAIN, "UTF-8");
}
