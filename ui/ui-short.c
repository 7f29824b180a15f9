/*
 * The daemon's long sentences in the console's few columns: a held phone's
 * reason in its row, why the report on the stick is not written in the
 * alarm line.  The daemon's words are kept whole in the phone's page and
 * in 'ztp-rescue status'.
 */
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "ui.h"

/*
 * A phone held for a package says in its twelve columns (at 80) what to
 * import: "need 4.1.7G", "need BR4.0.0" (a BootROM), "broken 5.4.1" (a
 * damaged package), not the first words of the reason ("the library").
 * 0 when the reason is another one.
 */
int
ui_reason_short(const char *reason, char *buf, size_t len)
{
	const char	*p, *end;
	const char	*fmt;

	if (strncmp(reason, CONTROL_LACKS_IMAGE,
	    strlen(CONTROL_LACKS_IMAGE)) == 0) {
		p = reason + strlen(CONTROL_LACKS_IMAGE);
		end = strstr(p, " image");
		fmt = "need %.*s";
	} else if (strncmp(reason, CONTROL_DAMAGED_IMAGE,
	    strlen(CONTROL_DAMAGED_IMAGE)) == 0) {
		p = reason + strlen(CONTROL_DAMAGED_IMAGE);
		end = strstr(p, " package");
		fmt = "broken %.*s";
	} else if (strncmp(reason, CONTROL_LACKS_BOOTROM "of ",
	    strlen(CONTROL_LACKS_BOOTROM "of ")) == 0) {
		p = reason + strlen(CONTROL_LACKS_BOOTROM "of ");
		end = strchr(p, ' ');
		fmt = "need BR%.*s";
	} else
		return (0);
	if (end == NULL || end == p || end - p > 32)
		return (0);
	snprintf(buf, len, fmt, (int)(end - p), p);
	return (1);
}

/*
 * Why the report on the stick is not written, in the words that fit the
 * alarm line: the cause's last parenthesis, which says what to do ("the
 * stick is full: free space on it, or use another"), else the cause.
 */
void
ui_report_hint(const char *cause, char *buf, size_t len)
{
	size_t	n = strlen(cause), i;
	int	depth = 0;

	if (n > 2 && cause[n - 1] == ')') {
		for (i = n; i > 0; i--) {
			if (cause[i - 1] == ')')
				depth++;
			else if (cause[i - 1] == '(' && --depth == 0)
				break;
		}
		/* Inside the parenthesis that opens at i - 1. */
		if (i > 1 && n - i > 1) {
			snprintf(buf, len, "%.*s", (int)(n - i - 1), cause + i);
			return;
		}
	}
	snprintf(buf, len, "%s", cause);
}
