/* SPDX-License-Identifier: MIT */
/* Messages a person reads go through gettext, in the "patrol" domain (po/, docs/i18n.md):
 * _("...") where the string is used, N_("...") where it is only stored (a table) and translated
 * when printed. Machine output (--json, exports, JSON logs) is never translated. The catalogs are
 * bound once by the program (cli/i18n.c); without that, _() returns the English string.
 */
#ifndef PATROL_COMMON_I18N_H
#define PATROL_COMMON_I18N_H

#include <libintl.h>

#define PATROL_TEXTDOMAIN "patrol"
#define _(s) dgettext(PATROL_TEXTDOMAIN, s)
#define N_(s) s

#endif
