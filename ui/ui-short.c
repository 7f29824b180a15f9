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

static int	ui_reason_word(const char *, char *, size_t);

/*
 * A phone held for a package says in its twelve columns (at 80) what to
 * import: "need 4.1.7G", "need BR4.0.0" (a BootROM), "broken 5.4.1" (a
 * damaged package), not the first words of the reason ("the library");
 * the other reasons the daemon gives, in a word (below).  0 when the
 * reason is none of them: it is shown as it is.
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
		return (ui_reason_word(reason, buf, len));
	if (end == NULL || end == p || end - p > 32)
		return (0);
	snprintf(buf, len, fmt, (int)(end - p), p);
	return (1);
}

/*
 * The daemon's other reasons, by how they begin (and a phrase inside when
 * two begin alike), in a word or two: what a technician scanning the rows
 * must see to act.  The phone's page has the whole reason.
 */
static const struct {
	const char	*starts;
	const char	*has;
	const char	*word;
} ui_reason_words[] = {
	{ "needs a power cycle", NULL, "power-cycle" },
	{ "took ", " reboots in a loop", "flash loop" },
	{ "flashed ", " came back at BootROM ", "BR no take" },
	{ "flashed ", " each time", "flash loop" },
	{ "abandoned its ", "Likely cause: its BootROM", "old BootROM?" },
	{ "abandoned its ", " never ran ", "abandons img" },
	{ "came back ", " after the re-point", "comes back" },
	{ "model ", " is not in the models table", "not in table" },
	{ "part number ", " is not in the models table", "not in table" },
	{ "it names itself model ", " disagree", "model/part?" },
	{ "held by the operator", NULL, "operator" },
	{ "held from the console", NULL, "operator" },
	{ "not in the batch inventory", NULL, "not listed" },
	{ "version unknown and the policy is", NULL, "version ?" },
	{ "reports ", " no phone goes back by itself", "went back?" },
};

static int
ui_reason_word(const char *reason, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof ui_reason_words / sizeof ui_reason_words[0];
	    i++) {
		if (strncmp(reason, ui_reason_words[i].starts,
		    strlen(ui_reason_words[i].starts)) != 0)
			continue;
		if (ui_reason_words[i].has != NULL &&
		    strstr(reason, ui_reason_words[i].has) == NULL)
			continue;
		snprintf(buf, len, "%s", ui_reason_words[i].word);
		return (1);
	}
	return (0);
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
