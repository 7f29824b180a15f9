/*
 * A damaged journal, set aside when the daemon starts (journal.h): read by
 * SQLite's own quick_check (its write-ahead log first, journal-wal.c),
 * renamed with its WAL and shared memory, never deleted.
 */
#include <errno.h>
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
