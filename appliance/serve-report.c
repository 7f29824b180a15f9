/*
 * The report kept on disk as phones change (serve --report-dir DIR): on the
 * appliance DIR is the stick's exchange partition, so the proof of each
 * recovery is already on the stick when the laptop is switched off, and a
 * Windows laptop reads it without the console.
 *
 * A change marks the report dirty; the daemon's one-second tick starts a
 * writer at most every REPORT_EVERY_MS (a closet of phones changing at once
 * costs one write).  The writer is a child process with its own read-only
 * journal connection, so the loop never waits for a USB stick's fsync while
 * phones are being served; it tells a failure through a pipe.  At shutdown
 * the last changes are written in the daemon itself.  report_write() writes
 * a temp file, fsyncs it and renames it, so a reader sees the old report or
 * the new one, never half of one.  A failure is logged once per distinct
 * cause and retried later: the stick may be full now and emptied later.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "report.h"
#include "serve.h"
#include "xmalloc.h"

#define REPORT_EVERY_MS		2000
/* A stick plugged back in, or emptied, has its report within seconds. */
#define REPORT_RETRY_MS		5000

static int	serve_report_write(struct journal *, const char *, char **);
static void	serve_report_outcome(struct serve *, char *);
static void	serve_report_reap(struct serve *, int);

void
serve_report_changed(struct serve *s)
{
	if (s->opt.report_dir != NULL)
		s->report_dirty = 1;
}

/* Both files into dir; the cause of the first failure in *cause. */
static int
serve_report_write(struct journal *j, const char *dir, char **cause)
{
	static const struct {
		enum report_format	 fmt;
		const char		*name;
	} outs[] = {
		{ REPORT_CSV, "ztp-rescue-report.csv" },
		{ REPORT_JSON, "ztp-rescue-report.json" },
	};
	struct stat	 st;
	char		*path;
	size_t		 i;
	int		 rc;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s is not a folder (is the stick's exchange "
		    "partition mounted?)", dir);
		return (-1);
	}
	for (i = 0; i < sizeof outs / sizeof outs[0]; i++) {
		xasprintf(&path, "%s/%s", dir, outs[i].name);
		rc = report_write(j, outs[i].fmt, path, cause);
		free(path);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/* What one write came to: NULL, or its cause (taken). */
static void
serve_report_outcome(struct serve *s, char *cause)
{
	if (cause != NULL) {
		if (s->report_error == NULL ||
		    strcmp(s->report_error, cause) != 0)
			log_warn("report: not kept up to date: %s; the journal "
			    "still holds every record ('ztp-rescue report')",
			    cause);
		free(s->report_error);
		s->report_error = cause;
		s->report_dirty = 1;	/* try again later */
		return;
	}
	if (s->report_error != NULL) {
		log_info("report: %s is written again", s->opt.report_dir);
		free(s->report_error);
		s->report_error = NULL;
	}
}

/* The writer has exited (or must be waited for): its outcome. */
static void
serve_report_reap(struct serve *s, int block)
{
	char	 buf[1024], *cause = NULL;
	ssize_t	 n;
	size_t	 len = 0;
	int	 status;
	pid_t	 r;

	do
		r = waitpid(s->report_pid, &status, block ? 0 : WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return;		/* still writing */
	while (len < sizeof buf - 1 && (n = read(s->report_fd, buf + len,
	    sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(s->report_fd);
	s->report_fd = -1;
	s->report_pid = -1;
	if (r == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cause = xstrdup(len > 0 ? buf : "the report writer died");
	serve_report_outcome(s, cause);
}

void
serve_report_tick(struct serve *s, int64_t now)
{
	struct journal	*j;
	char		*cause = NULL;
	int		 fds[2];
	int64_t		 wait;
	pid_t		 pid;

	if (s->report_pid > 0)
		serve_report_reap(s, 0);
	if (!s->report_dirty || s->report_pid > 0)
		return;
	wait = s->report_error != NULL ? REPORT_RETRY_MS : REPORT_EVERY_MS;
	/* serve_now() is wall-clock time: a clock set back must not stall. */
	if (now >= s->report_written && now - s->report_written < wait)
		return;
	/* The writer reads what is committed: the grouped writes too. */
	serve_journal_flush(s);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_warn("report: cannot make a pipe: %s", strerror(errno));
		return;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("report: cannot start a writer: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	case 0:
		/*
		 * The child: its own journal connection, never the loop's;
		 * and the default signal actions, so that a signal meant for
		 * it never reaches the parent's loop through libevent's pipe.
		 */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(fds[0]);
		/* The daemon's hold on its directory is not the writer's. */
		if (s->state_lock != -1)
			close(s->state_lock);
		if ((j = journal_open(s->opt.state_dir, 1, &cause)) == NULL ||
		    serve_report_write(j, s->opt.report_dir, &cause) != 0) {
			if (write(fds[1], cause, strlen(cause)) < 0)
				_exit(2);
			_exit(1);
		}
		journal_close(j);
		_exit(0);
	}
	close(fds[1]);
	s->report_fd = fds[0];
	s->report_pid = pid;
	s->report_written = now;
	s->report_dirty = 0;
}

/* At shutdown: the running writer, then what changed since. */
void
serve_report_flush(struct serve *s)
{
	char	*cause = NULL;

	if (s->report_pid > 0)
		serve_report_reap(s, 1);
	if (s->report_dirty && s->journal != NULL) {
		if (serve_report_write(s->journal, s->opt.report_dir,
		    &cause) != 0)
			serve_report_outcome(s, cause);
	}
	s->report_dirty = 0;
	free(s->report_error);
	s->report_error = NULL;
}
