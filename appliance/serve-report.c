/*
 * The report kept on disk as phones change (serve --report-dir DIR): on the
 * appliance DIR is the stick's exchange partition, so the proof of each
 * recovery is already on the stick when the laptop is switched off, and a
 * Windows laptop reads it without the console.
 *
 * A change marks the report dirty; the daemon's one-second tick writes it at
 * most every REPORT_EVERY_MS (a closet of phones changing at once costs one
 * write), and teardown writes what is left.  report_write() writes a temp
 * file, fsyncs it and renames it, so a reader sees the old report or the new
 * one, never half of one.  A failed write is logged once per distinct cause
 * and retried later: the stick may be full now and emptied later.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "serve.h"
#include "xmalloc.h"

#define REPORT_EVERY_MS		2000
#define REPORT_RETRY_MS		30000

static int	serve_report_write(struct serve *);

void
serve_report_changed(struct serve *s)
{
	if (s->opt.report_dir != NULL)
		s->report_dirty = 1;
}

static int
serve_report_write(struct serve *s)
{
	static const struct {
		enum report_format	 fmt;
		const char		*name;
	} outs[] = {
		{ REPORT_CSV, "ztp-rescue-report.csv" },
		{ REPORT_JSON, "ztp-rescue-report.json" },
	};
	struct stat	 st;
	char		*path, *cause = NULL;
	size_t		 i;

	if (stat(s->opt.report_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		xasprintf(&cause, "%s is not a folder (is the stick's "
		    "exchange partition mounted?)", s->opt.report_dir);
	for (i = 0; cause == NULL && i < sizeof outs / sizeof outs[0]; i++) {
		xasprintf(&path, "%s/%s", s->opt.report_dir, outs[i].name);
		report_write(s->journal, outs[i].fmt, path, &cause);
		free(path);
	}
	if (cause != NULL) {
		if (s->report_error == NULL ||
		    strcmp(s->report_error, cause) != 0)
			log_warn("report: not kept up to date: %s; the journal "
			    "still holds every record ('ztp-rescue report')",
			    cause);
		free(s->report_error);
		s->report_error = cause;
		return (-1);
	}
	if (s->report_error != NULL) {
		log_info("report: %s is written again", s->opt.report_dir);
		free(s->report_error);
		s->report_error = NULL;
	}
	return (0);
}

void
serve_report_tick(struct serve *s, int64_t now)
{
	int64_t	wait;

	if (!s->report_dirty)
		return;
	wait = s->report_error != NULL ? REPORT_RETRY_MS : REPORT_EVERY_MS;
	/* serve_now() is wall-clock time: a clock set back must not stall. */
	if (now >= s->report_written && now - s->report_written < wait)
		return;
	s->report_written = now;
	if (serve_report_write(s) == 0)
		s->report_dirty = 0;
}

/* At shutdown: what changed since the last write, whatever the pacing. */
void
serve_report_flush(struct serve *s)
{
	if (s->report_dirty && s->journal != NULL)
		serve_report_write(s);
	s->report_dirty = 0;
	free(s->report_error);
	s->report_error = NULL;
}
