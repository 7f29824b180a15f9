/*
 * Where the console looks for a USB stick, and where it proposes to write
 * the report.  A stick is the first file system mounted under /media or
 * /run/media (the appliance mounts other sticks at /media/KNAME, a desktop
 * at /media/USER/LABEL).  The report is written by the daemon, so its
 * default must be a folder the daemon may write, named in full: the folder
 * it keeps the report in already (serve --report-dir, on the appliance the
 * stick's ZTPDATA\reports), else a stick mounted writable, else the
 * daemon's state folder.  A stick the appliance mounted read-only, or a
 * /media/usb that does not exist, failed every export.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "ui.h"

/* /proc/mounts writes a space as \040, a tab \011, a backslash \134. */
static void
ui_stick_unescape(char *s)
{
	char	*in = s, *out = s;

	while (*in != '\0') {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
		    in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 +
			    (in[3] - '0'));
			in += 4;
		} else
			*out++ = *in++;
	}
	*out = '\0';
}

/* Whether a mount's options begin "rw" (the kernel puts rw or ro first). */
static int
ui_stick_writable(const char *options)
{
	return (strncmp(options, "rw", 2) == 0 &&
	    (options[2] == ',' || options[2] == '\0'));
}

/*
 * The first stick in mounts (a /proc/mounts file), writable only if asked;
 * NULL when there is none.
 */
char *
ui_stick_find(const char *mounts, int writable)
{
	FILE	*fp;
	char	 line[4096], dev[1024], dir[1024], type[256], opts[1024];

	if ((fp = fopen(mounts, "r")) == NULL)
		return (NULL);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "%1023s %1023s %255s %1023s", dev, dir, type,
		    opts) != 4)
			continue;
		if (strncmp(dir, "/media/", 7) != 0 &&
		    strncmp(dir, "/run/media/", 11) != 0)
			continue;
		if (writable && !ui_stick_writable(opts))
			continue;
		fclose(fp);
		ui_stick_unescape(dir);
		return (xstrdup(dir));
	}
	fclose(fp);
	return (NULL);
}

/* Where a USB stick is, for reading from it: /media/usb when none is. */
char *
ui_stick_mount(void)
{
	char	*dir;

	if ((dir = ui_stick_find("/proc/mounts", 0)) != NULL)
		return (dir);
	return (xstrdup("/media/usb"));
}

/* The folder the console proposes for an exported report (see above). */
char *
ui_stick_export_folder(struct ui *ui, const char *mounts)
{
	const char	*kept;
	char		*dir, real[PATH_MAX];

	kept = ui_app(ui, "report_dir");
	if (*kept == '/')
		return (xstrdup(kept));
	if ((dir = ui_stick_find(mounts, 1)) != NULL)
		return (dir);
	if (realpath(ui->state_dir, real) != NULL)
		return (xstrdup(real));
	return (xstrdup(ui->state_dir));
}
