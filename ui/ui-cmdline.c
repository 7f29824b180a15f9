/*
 * The equivalent command line of every console action (Clonezilla's habit):
 * shown above the key bar and kept in STATE/console-commands.log, so a
 * technician learns the script from the menu.  Every action is a control
 * request, and `ztp-rescue ctl` sends the same one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "ui.h"

#define UI_CMDLINE_LOG "console-commands.log"

/* Quote for a POSIX shell, only when needed. */
char *
ui_quote(const char *s)
{
	const char	*p;
	char		*out, *o;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_./:=,@%+-") == strlen(s))
		return (xstrdup(s));
	out = o = xmalloc(strlen(s) * 4 + 3);
	*o++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return (out);
}

/*
 * ui_cmdline(ui, "ctl", "hold", "mac=0004f2000001", NULL) shows
 * "ztp-rescue ctl --state DIR hold mac=0004f2000001".
 */
void
ui_cmdline(struct ui *ui, const char *command, ...)
{
	va_list		 ap;
	const char	*w;
	char		*line, *q, *next, stamp[32];
	FILE		*fp;
	time_t		 now = time(NULL);

	q = ui_quote(ui->state_dir);
	xasprintf(&line, "ztp-rescue %s --state %s", command, q);
	free(q);
	va_start(ap, command);
	while ((w = va_arg(ap, const char *)) != NULL) {
		q = ui_quote(w);
		xasprintf(&next, "%s %s", line, q);
		free(q);
		free(line);
		line = next;
	}
	va_end(ap);
	free(ui->cmdline);
	ui->cmdline = line;
	ui->dirty = 1;

	xasprintf(&next, "%s/%s", ui->state_dir, UI_CMDLINE_LOG);
	if ((fp = fopen(next, "a")) != NULL) {
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S",
		    localtime(&now));
		fprintf(fp, "# %s\n%s\n", stamp, line);
		fclose(fp);
	}
	free(next);
}
