/*
 * A damaged journal, set aside when the daemon starts (journal.h): read by
 * SQLite's own quick_check (its write-ahead log first, journal-wal.c),
 * renamed with its WAL and shared memory, never deleted.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "journal.h"
#include "xmalloc.h"

/* 1 with *why when SQLite's quick_check finds a fault in the journal. */
static int
journal_quick_check(const char *path, char **why)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*text;
	size_t		 i;
	int		 rc, damaged = 0;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st,
		    NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 0);
		if (text == NULL || strcmp(text, "ok") != 0) {
			damaged = 1;
			*why = xstrdup(text != NULL ? text : "quick_check "
			    "found a fault");
			/* "*** in database main ***\nPage 5: ...": one line. */
			for (i = 0; (*why)[i] != '\0'; i++)
				if ((*why)[i] == '\n' || (*why)[i] == '\r')
					(*why)[i] = ' ';
		}
	} else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) {
		damaged = 1;
		*why = xstrdup(db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (damaged);
}

/* Write STATE/journal.salvaging: the path set aside, then why; fsynced. */
static int
journal_salvage_mark(const char *state_dir, const char *aside,
    const char *why)
{
	char	*path, *text;
	int	 fd, rc = 0, saved;

	xasprintf(&path, "%s/%s", state_dir, JOURNAL_SALVAGE_MARK);
	xasprintf(&text, "%s\n%s\n", aside, why != NULL ? why : "");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || fsync(fd) != 0)
		rc = -1;
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == 0 && (fd = open(state_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(text);
	free(path);
	errno = saved;
	return (rc);
}

/* The mark's file, if it still exists: 1 with *aside and *why, else 0. */
int
journal_salvage_unfinished(const char *state_dir, char **aside, char **why)
{
	char	 buf[8192], *path, *nl;
	ssize_t	 n;
	int	 fd;

	*aside = *why = NULL;
	xasprintf(&path, "%s/%s", state_dir, JOURNAL_SALVAGE_MARK);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (nl == NULL || access(buf, F_OK) != 0)
		return (0);
	*aside = xstrdup(buf);
	nl++;
	nl[strcspn(nl, "\n")] = '\0';
	*why = xstrdup(nl);
	return (1);
}

int
journal_salvage_pending(const char *state_dir, char **aside, char **why)
{
	static const char *const sidecar[] = { "", "-wal", "-shm" };
	char	*path, *was;
	size_t	 i;

	if (!journal_salvage_unfinished(state_dir, aside, &was)) {
		/* Nothing to salvage from: a mark alone is stale. */
		journal_salvage_done(state_dir);
		return (0);
	}
	xasprintf(why, "%s%sits copy into a new journal was cut short (the "
	    "daemon stopped) and is made again", was, *was != '\0' ? "; " :
	    "");
	free(was);
	/* The new journal of the run cut short held the copy alone. */
	for (i = 0; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		xasprintf(&path, "%s/%s%s", state_dir, JOURNAL_FILE,
		    sidecar[i]);
		unlink(path);
		free(path);
	}
	return (1);
}

void
journal_salvage_done(const char *state_dir)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/%s", state_dir, JOURNAL_SALVAGE_MARK);
	unlink(path);
	free(path);
	if ((fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Before the daemon opens its journal: one SQLite cannot read whole (a
 * stick pulled while it wrote, a flash that lost a page) would stop every
 * start, and a damaged file can only get worse by writing on.  It is
 * renamed to journal.db.damaged-TIME (its -wal and -shm too), never
 * deleted, and a new journal is started.  1 with *aside and *why when it
 * was set aside, 0 when whole or absent, -1 when it could not be renamed.
 */
int
journal_set_aside_damaged(const char *state_dir, char **aside, char **why)
{
	static const char *const sidecar[] = { "", "-wal", "-shm" };
	char		*path, *from, *to, stamp[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i;
	int		 damaged;

	*aside = *why = NULL;
	xasprintf(&path, "%s/%s", state_dir, JOURNAL_FILE);
	if (access(path, F_OK) != 0) {
		free(path);
		return (0);
	}
	/*
	 * The log first: opened, SQLite would take its commits up to the
	 * damage as all there is, then copy them in and delete the log.
	 */
	xasprintf(&from, "%s-wal", path);
	damaged = journal_wal_damaged(from, why);
	free(from);
	if (!damaged)
		damaged = journal_quick_check(path, why);
	if (!damaged) {
		free(path);
		return (0);
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	/*
	 * Said first where the next start looks: killed between the rename
	 * and the new journal's commit, the daemon came back on an empty
	 * journal, and nothing pointed to the old one.
	 */
	xasprintf(&to, "%s.damaged-%s", path, stamp);
	if (journal_salvage_mark(state_dir, to, *why) != 0) {
		free(*why);
		xasprintf(why, "cannot write %s/%s: %s", state_dir,
		    JOURNAL_SALVAGE_MARK, strerror(errno));
		free(to);
		free(path);
		return (-1);
	}
	free(to);
	for (i = 0; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		xasprintf(&from, "%s%s", path, sidecar[i]);
		xasprintf(&to, "%s.damaged-%s%s", path, stamp, sidecar[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			free(*why);
			xasprintf(why, "cannot rename %s: %s", from,
			    strerror(errno));
			free(from);
			free(to);
			free(path);
			return (-1);
		}
		if (i == 0)
			*aside = xstrdup(to);
		free(from);
		free(to);
	}
	free(path);
	return (1);
}

/* Copy from to a new file to; 0, or -1 (errno set, to removed). */
static int
journal_copy_file(const char *from, const char *to)
{
	char	buf[65536];
	ssize_t	n, w, off;
	int	in, out, rc = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? 0 : -1);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		close(in);
		return (-1);
	}
	while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno != EINTR)
				rc = -1;
			continue;
		}
		for (off = 0; rc == 0 && off < n; off += w) {
			if ((w = write(out, buf + off, (size_t)(n - off))) == -1)
				rc = -1;
		}
	}
	close(in);
	if (close(out) != 0)
		rc = -1;
	if (rc != 0)
		unlink(to);
	return (rc);
}

char *
journal_salvage_source(const char *aside)
{
	static const char *const sidecar[] = { "", "-wal", "-shm" };
	unsigned char	 head[100];
	struct stat	 sb;
	uint64_t	 page, pages;
	char		*copy, *from, *to;
	size_t		 i;
	int		 fd;
	ssize_t		 n;

	if ((fd = open(aside, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	n = read(fd, head, sizeof head);
	if (n != (ssize_t)sizeof head || fstat(fd, &sb) != 0 ||
	    memcmp(head, "SQLite format 3", 16) != 0) {
		close(fd);
		return (NULL);
	}
	close(fd);
	/* Its page size (1 meaning 65536) and, from 3.7.0, its page count. */
	page = (uint64_t)head[16] << 8 | head[17];
	if (page == 1)
		page = 65536;
	pages = (uint64_t)head[28] << 24 | (uint64_t)head[29] << 16 |
	    (uint64_t)head[30] << 8 | head[31];
	if (page < 512 || pages == 0 || (uint64_t)sb.st_size >= page * pages)
		return (NULL);
	xasprintf(&copy, "%s.salvage", aside);
	for (i = 0; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		xasprintf(&from, "%s%s", aside, sidecar[i]);
		xasprintf(&to, "%s%s", copy, sidecar[i]);
		unlink(to);
		n = journal_copy_file(from, to);
		free(from);
		free(to);
		if (n != 0)
			break;
	}
	if (i < sizeof sidecar / sizeof sidecar[0] ||
	    truncate(copy, (off_t)(page * pages)) != 0) {
		journal_salvage_source_done(copy);
		return (NULL);
	}
	return (copy);
}

void
journal_salvage_source_done(char *copy)
{
	static const char *const sidecar[] = { "", "-wal", "-shm" };
	char	*path;
	size_t	 i;

	if (copy == NULL)
		return;
	for (i = 0; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		xasprintf(&path, "%s%s", copy, sidecar[i]);
		unlink(path);
		free(path);
	}
	free(copy);
}

const char *
journal_disk_problem(const char *dir)
{
	struct statvfs	sv;

	if (dir == NULL || statvfs(dir, &sv) != 0)
		return (NULL);
	if (sv.f_flag & ST_RDONLY)
		return ("the file system holding it is read-only (a stick the "
		    "kernel remounted read-only after errors? check it on "
		    "another machine, or copy the state folder to a writable "
		    "disk and read it there)");
	if ((uint64_t)sv.f_bavail * sv.f_frsize < JOURNAL_DISK_FULL_BELOW)
		return ("the disk holding it is full: free space on it, then "
		    "try again; the journal is not damaged by this");
	return (NULL);
}
