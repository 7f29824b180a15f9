/*
 * The journal in SQLite, WAL mode.
 *
 * Two promises.  A killed daemon (kill -9, a crash) loses no fact: a fact (a
 * phone saved with its event, an event, a transfer, a deletion) is committed
 * before its function returns, and a commit is in the WAL, which the kernel
 * keeps when the process dies.  A pulled plug or a yanked USB stick loses no
 * fact that anything was served on: SQLite runs with synchronous=NORMAL (no
 * fsync per commit) and the journal fsyncs the WAL itself (journal_sync)
 * when something depends on it: once at the end of a reply scope (a request
 * resolved: its facts before its answer), at once outside any scope, and
 * for facts learnt where nothing is answered (a transfer's end, an event
 * scope) at the next flush, reply, or request of the same phone.
 *
 * Grouped writes (a phone's row alone: last seen, bytes served; a syslog
 * line; a counter) go into a write transaction left open, committed by
 * journal_flush() or journal_flush_async() (the daemon calls the latter
 * every JOURNAL_FLUSH_MS; a thread does its fsync beside the loop), by the
 * next fact, or when JOURNAL_GROUP_MAX are pending.  kill -9 can lose the
 * grouped writes of the last interval (a last-seen time, a byte count that
 * the next save writes whole again, syslog lines), never a fact.
 *
 * Why: on a USB stick an fsync costs 5-50 ms and the one loop serves nobody
 * meanwhile.  One fsync per write made a closet of phones wait on the stick
 * (docs/benchmarks/journal.md).
 *
 * Syslog rows are capped per phone (the sender's MAC; "" for lines no phone
 * claims) and in total: the oldest go first, and how many went is kept in
 * the counters table ("syslog_trimmed", "syslog_trimmed:MAC"), beside the
 * lines the receiver's rate limit refused ("syslog_limited").
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "xmalloc.h"

/* Syslog rows kept per sender MAC ("" for none), to trim without counting. */
struct journal_slot {
	char		 mac[16];
	int64_t		 kept;
	int64_t		 trimmed;	/* during one trim */
	uint64_t	 fact;		/* commit of the sender's last fact */
	int		 used;
};

struct journal {
	sqlite3		*db;
	int		 readonly;
	char		*dir;		/* the state folder */

	int		 open_txn;	/* a transaction holds grouped writes */
	unsigned	 pending;	/* grouped writes in it */
	unsigned	 group_max;	/* 0: every write commits alone */

	/* Commits are written to the WAL at once, fsynced when needed. */
	uint64_t	 commits;	/* commits so far */
	uint64_t	 last_fact;	/* the commit of the last fact */
	uint64_t	 synced;	/* commits fsynced (under mu) */
	int		 scope;		/* JOURNAL_SCOPE_* or 0 */
	int		 scope_sync;	/* the reply must wait for an fsync */
	uint64_t	 syncs;		/* fsyncs so far (under mu) */
	uint64_t	 syncs_reply;	/* in the loop, before a reply */
	uint64_t	 syncs_now;	/* in the loop, a fact outside a reply */

	/* The periodic fsync runs in a thread, beside the loop. */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 syncer;
	int		 syncer_on;
	int		 syncer_stop;
	uint64_t	 syncer_want;	/* fsync up to this commit */
	int		 wal_fd;
	/* Before the WAL is fsynced (the upload store's files); under mu. */
	void		(*presync)(void *, uint64_t);
	void		*presync_arg;
	uint64_t	 presync_need;	/* the argument: what facts name */
	uint64_t	 checkpoints;	/* SQLite's, from the WAL hook */
	int		 presync_busy;	/* a thread is inside it */

	struct journal_slot *slots;	/* open addressing, power of two */
	size_t		 nslots;
	size_t		 nused;
	int64_t		 syslog_kept;
	int64_t		 cap_phone;
	int64_t		 cap_total;

	/* Why the last write failed (disk full...), NULL while they work. */
	char		*failing;
	/* The first read that failed part-way (a damaged file), or NULL. */
	char		*read_error;
	int64_t		 probed_at;	/* ms: last try while failing */

	/* The statements of the frequent writes, prepared once. */
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
	}		 cache[8];
};

static const char journal_schema[] =
    "CREATE TABLE IF NOT EXISTS phones ("
    " mac TEXT PRIMARY KEY, ip TEXT, model TEXT, part TEXT, version TEXT,"
    " version_source TEXT, version_before TEXT, target TEXT, state TEXT,"
    " held_from TEXT, reason TEXT, first_seen INTEGER, last_seen INTEGER,"
    " state_since INTEGER, bytes_served INTEGER, ca_sha256 TEXT,"
    " repoint TEXT, returns INTEGER, bootrom TEXT, bootrom_source TEXT,"
    " has_bootrom INTEGER, flashes INTEGER, flashed TEXT);"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY, ts INTEGER, mac TEXT, kind TEXT,"
    " from_state TEXT, to_state TEXT, fact TEXT, value TEXT,"
    " evidence TEXT);"
    "CREATE INDEX IF NOT EXISTS events_mac ON events(mac, id);"
    "CREATE TABLE IF NOT EXISTS transfers ("
    " id INTEGER PRIMARY KEY, mac TEXT, ip TEXT, proto TEXT, name TEXT,"
    " write INTEGER, started INTEGER, ended INTEGER, bytes INTEGER,"
    " total INTEGER, outcome TEXT, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS transfers_mac ON transfers(mac, id);"
    "CREATE TABLE IF NOT EXISTS syslog ("
    " id INTEGER PRIMARY KEY, ts INTEGER, mac TEXT, ip TEXT, line TEXT);"
    "CREATE INDEX IF NOT EXISTS syslog_mac ON syslog(mac, id);"
    "CREATE TABLE IF NOT EXISTS counters ("
    " name TEXT PRIMARY KEY, value INTEGER);";

static int	journal_exec(struct journal *, const char *, char **);
static int	journal_migrate(struct journal *, char **);

/* Columns added since the first schema: a journal without them gets them. */
static const char *const journal_added[] = {
	"bootrom TEXT", "bootrom_source TEXT", "has_bootrom INTEGER",
	"flashes INTEGER", "flashed TEXT", "held_reason TEXT"
};
static sqlite3_stmt *journal_stmt(struct journal *, const char *);
static void	journal_stmt_done(sqlite3_stmt *);
static int	journal_begin(struct journal *);
static int	journal_commit(struct journal *);
static int	journal_grouped(struct journal *);
static int	journal_fact_begin(struct journal *);
static void	journal_failed(struct journal *);
static void	journal_read_failed(struct journal *);
static void	journal_worked(struct journal *);
static int	journal_fact_end(struct journal *, int, const char *);
static int	journal_sync(struct journal *);
static void	journal_needs_sync(struct journal *, const char *);
static int	journal_load_syslog_counts(struct journal *, char **);
static struct journal_slot *journal_slot(struct journal *, const char *);
static int	journal_trim_syslog(struct journal *, const char *,
		    int64_t);
static int	journal_counter_write(struct journal *, const char *,
		    int64_t);
static int	journal_insert_event(struct journal *,
		    const struct journal_event *);
static void	journal_bind_text(sqlite3_stmt *, int, const char *);
static void	journal_presync_locked(struct journal *);
static const char *journal_col(sqlite3_stmt *, int);

/*
 * After a commit, what SQLite's automatic checkpoint does (at
 * JOURNAL_CHECKPOINT_PAGES pages in the WAL), with the presync hook before
 * it: a checkpoint fsyncs the WAL, so what the facts name is made durable
 * first.
 */
static int
journal_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct journal	*j = arg;

	if (pages < JOURNAL_CHECKPOINT_PAGES)
		return (SQLITE_OK);
	pthread_mutex_lock(&j->mu);
	journal_presync_locked(j);
	j->checkpoints++;
	pthread_mutex_unlock(&j->mu);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL);
	return (SQLITE_OK);
}

uint64_t
journal_checkpoints(struct journal *j)
{
	uint64_t	n;

	pthread_mutex_lock(&j->mu);
	n = j->checkpoints;
	pthread_mutex_unlock(&j->mu);
	return (n);
}

/* "file:PATH?QUERY", PATH's %, ? and # escaped (SQLite's URI form). */
static char *
journal_uri(const char *path, const char *query)
{
	char	*out, *o;

	o = out = xmalloc(5 + strlen(path) * 3 + 1 + strlen(query) + 1);
	o += sprintf(o, "file:");
	for (; *path != '\0'; path++) {
		if (*path == '%' || *path == '?' || *path == '#')
			o += sprintf(o, "%%%02X", (unsigned char)*path);
		else
			*o++ = *path;
	}
	sprintf(o, "?%s", query);
	return (out);
}

/*
 * A reader on a read-only file system (a stick remounted read-only) whose
 * journal has a log but no -shm cannot make one, and a whole journal was
 * reported damaged, with no phone.  It is read again as immutable; the log
 * (commits not yet in journal.db) cannot be, and that is said.  0, or -1.
 */
static int
journal_open_immutable(struct journal *j, const char *path)
{
	struct stat	 sb;
	char		*uri, *wal;
	int		 rc;

	rc = sqlite3_exec(j->db, "SELECT count(*) FROM sqlite_master", NULL,
	    NULL, NULL);
	if (rc == SQLITE_OK || journal_disk_problem(j->dir) == NULL ||
	    access(j->dir, W_OK) == 0)
		return (0);
	sqlite3_close(j->db);
	j->db = NULL;
	xasprintf(&wal, "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > 32)
		xasprintf(&j->read_error, "its write-ahead log cannot be read "
		    "on a read-only file system without its -shm: copy the "
		    "state folder to a writable disk and read it there");
	free(wal);
	uri = journal_uri(path, "immutable=1");
	rc = sqlite3_open_v2(uri, &j->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return (-1);
	sqlite3_busy_timeout(j->db, 5000);
	return (0);
}

struct journal *
journal_open(const char *state_dir, int readonly, char **cause)
{
	struct journal	*j;
	char		*path;
	int		 flags, rc;

	xasprintf(&path, "%s/%s", state_dir, JOURNAL_FILE);
	if (readonly && access(path, R_OK) != 0) {
		xasprintf(cause, "no journal at %s (has 'ztp-rescue serve "
		    "--state %s' ever run?)", path, state_dir);
		free(path);
		return (NULL);
	}
	j = xcalloc(1, sizeof *j);
	j->readonly = readonly;
	j->dir = xstrdup(state_dir);
	j->group_max = JOURNAL_GROUP_MAX;
	j->wal_fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->cap_phone = JOURNAL_SYSLOG_PER_PHONE;
	j->cap_total = JOURNAL_SYSLOG_TOTAL;
	/* Read-only still opens read-write at the SQLite level when it can:
	 * a WAL database needs its -shm to be readable by a second process. */
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &j->db, flags | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "cannot open the journal %s: %s", path,
		    j->db != NULL ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(j->db, 5000);
	if (readonly && journal_open_immutable(j, path) != 0) {
		xasprintf(cause, "cannot open the journal %s: %s", path,
		    sqlite3_errmsg(j->db));
		goto fail;
	}
	/*
	 * A daemon stopped while it copied a damaged journal into this one
	 * (journal_salvage_pending): the report and status showed an empty
	 * closet, whole, with no word of the old file.
	 */
	if (readonly && j->read_error == NULL) {
		char	*aside = NULL, *was = NULL;

		if (journal_salvage_unfinished(state_dir, &aside, &was))
			xasprintf(&j->read_error, "the daemon stopped while it "
			    "copied the damaged journal %s into this one, so "
			    "what that held is not all here: start the daemon "
			    "('ztp-rescue serve') to finish the copy", aside);
		free(aside);
		free(was);
	}
	/*
	 * A reader (report, status) of a log damaged before its last commit:
	 * SQLite reads the commits before the damage as all there is, and an
	 * older closet was shown as whole.  What it reads is incomplete.
	 */
	if (readonly && j->read_error == NULL) {
		char	*wal, *why = NULL;

		xasprintf(&wal, "%s/%s-wal", state_dir, JOURNAL_FILE);
		if (journal_wal_damaged(wal, &why))
			j->read_error = xstrdup(why);
		free(why);
		free(wal);
	}
	if (!readonly) {
		if (journal_exec(j, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL;", cause) != 0)
			goto fail;
		/* SQLite's own checkpoint fsyncs the WAL: the presync first. */
		sqlite3_wal_hook(j->db, journal_wal_hook, j);
		if (journal_exec(j, journal_schema, cause) != 0 ||
		    journal_migrate(j, cause) != 0)
			goto fail;
		if (journal_load_syslog_counts(j, cause) != 0)
			goto fail;
	}
	free(path);
	return (j);

fail:
	/* "disk I/O error" of a full disk read as damage: say which. */
	if (*cause != NULL && journal_disk_problem(state_dir) != NULL) {
		char	*was = *cause;

		xasprintf(cause, "%s: %s", was, journal_disk_problem(
		    state_dir));
		free(was);
	}
	free(path);
	free(j->read_error);
	free(j->dir);
	if (j->db != NULL)
		sqlite3_close(j->db);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->slots);
	free(j);
	return (NULL);
}

/* 1 when a scan of sel from rowid >= from starts without an error. */
static int
journal_salvage_probe(sqlite3_stmt *sel, int64_t from)
{
	int	rc;

	sqlite3_reset(sel);
	sqlite3_bind_int64(sel, 1, from);
	rc = sqlite3_step(sel);
	sqlite3_reset(sel);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE);
}

/*
 * The first rowid past last from which a scan starts again without an
 * error: further each time (a damaged leaf hides only its own rows from a
 * seek), then back by halves to the first readable row.  ">=", not ">":
 * a seek past the largest key of the damaged leaf still lands in it.
 * -1: none found.
 */
static int
journal_salvage_resume(sqlite3_stmt *sel, int64_t last, int64_t *from)
{
	int64_t	bad, good, step = 1, mid;

	if (last > INT64_MAX - ((int64_t)1 << 42))
		return (-1);		/* a rowid no journal reaches */
	bad = last + 1;			/* where the scan failed */
	while (!journal_salvage_probe(sel, bad + step)) {
		if (step >= (int64_t)1 << 40)
			return (-1);
		bad += step;
		step *= 2;
	}
	good = bad + step;
	while (good - bad > 1) {
		mid = bad + (good - bad) / 2;
		if (journal_salvage_probe(sel, mid))
			good = mid;
		else
			bad = mid;
	}
	*from = good;
	return (0);
}

/*
 * The rows of one table of a damaged journal that can still be read, in
 * rowid order, copied into the same table of j; past a page SQLite cannot
 * read, the scan resumes at the first row it can.  Rows already in j are
 * kept.  *stopped: the first error met, or NULL.
 */
static int64_t
journal_salvage_table(struct journal *j, sqlite3 *old, const char *table,
    char **stopped)
{
	sqlite3_stmt	*sel = NULL, *ins = NULL;
	char		*sql, *marks;
	int64_t		 rows = 0, from = INT64_MIN, last = 0;
	int		 i, n, rc, breaks = 0;

	*stopped = NULL;
	xasprintf(&sql, "SELECT rowid, * FROM %s WHERE rowid >= ? ORDER BY "
	    "rowid", table);
	rc = sqlite3_prepare_v2(old, sql, -1, &sel, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		*stopped = xstrdup(sqlite3_errmsg(old));
		return (0);
	}
	n = sqlite3_column_count(sel) - 1;
	marks = xstrdup("?");
	for (i = 1; i < n; i++) {
		xasprintf(&sql, "%s,?", marks);
		free(marks);
		marks = sql;
	}
	xasprintf(&sql, "INSERT OR IGNORE INTO %s VALUES (%s)", table, marks);
	free(marks);
	rc = sqlite3_prepare_v2(j->db, sql, -1, &ins, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		/* Another layout (an older release): not copied. */
		*stopped = xstrdup(sqlite3_errmsg(j->db));
		sqlite3_finalize(sel);
		return (0);
	}
	for (;;) {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, from);
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			last = sqlite3_column_int64(sel, 0);
			for (i = 0; i < n; i++)
				sqlite3_bind_value(ins, i + 1,
				    sqlite3_column_value(sel, i + 1));
			rc = sqlite3_step(ins);
			sqlite3_reset(ins);
			if (rc != SQLITE_DONE) {
				if (*stopped == NULL)
					*stopped = xstrdup(sqlite3_errmsg(
					    j->db));
				goto out;
			}
			rows++;
		}
		if (rc == SQLITE_DONE)
			break;
		if (*stopped == NULL)
			*stopped = xstrdup(sqlite3_errmsg(old));
		if (++breaks > 64 ||
		    journal_salvage_resume(sel, last, &from) == -1)
			break;
		last = from - 1;
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	return (rows);
}

static int	journal_salvage_from(struct journal *, const char *, char **);

int
journal_salvage(struct journal *j, const char *aside, char **summary)
{
	char	*padded = journal_salvage_source(aside);
	int	 rc;

	rc = journal_salvage_from(j, padded != NULL ? padded : aside, summary);
	journal_salvage_source_done(padded);
	return (rc);
}

/* Salvage from path: the journal set aside, or its copy made whole. */
static int
journal_salvage_from(struct journal *j, const char *path, char **summary)
{
	static const char *const tables[] = {
		"phones", "events", "transfers", "syslog", "counters"
	};
	sqlite3		*old = NULL;
	char		*uri, *line, *stopped, *cause = NULL;
	int64_t		 rows, phones = 0;
	size_t		 i;
	int		 rc;

	*summary = NULL;
	/* Read only: the damaged file is kept as it is, for sqlite3 .dump. */
	uri = journal_uri(path, "mode=ro");
	rc = sqlite3_open_v2(uri, &old, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		xasprintf(summary, "nothing could be read from it: %s",
		    old != NULL ? sqlite3_errmsg(old) : sqlite3_errstr(rc));
		sqlite3_close(old);
		return (-1);
	}
	if (journal_exec(j, "BEGIN", &cause) != 0) {
		xasprintf(summary, "nothing was copied: %s", cause);
		free(cause);
		sqlite3_close(old);
		return (-1);
	}
	*summary = xstrdup("copied from it into the new journal:");
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		rows = journal_salvage_table(j, old, tables[i], &stopped);
		if (i == 0)
			phones = rows;
		xasprintf(&line, "%s%s %s %lld%s%s", *summary, i > 0 ? "," : "",
		    tables[i], (long long)rows, stopped != NULL ?
		    " (then: " : "", stopped != NULL ? stopped : "");
		free(*summary);
		xasprintf(summary, "%s%s", line, stopped != NULL ? ")" : "");
		free(line);
		free(stopped);
	}
	sqlite3_close(old);
	if (journal_exec(j, "COMMIT", &cause) != 0) {
		free(*summary);
		xasprintf(summary, "nothing was copied: %s", cause);
		free(cause);
		journal_exec(j, "ROLLBACK", NULL);
		return (-1);
	}
	/* The per-phone syslog counts include what was copied. */
	if (journal_load_syslog_counts(j, &cause) != 0) {
		free(*summary);
		*summary = cause;
		return (-1);
	}
	return (phones > 0 ? 1 : 0);
}

void
journal_close(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	journal_flush(j);
	if (j->syncs > 0)
		log_info("journal: %llu fsyncs: %llu before a reply, %llu for a "
		    "fact outside one, %llu beside the loop or at a flush",
		    (unsigned long long)j->syncs,
		    (unsigned long long)j->syncs_reply,
		    (unsigned long long)j->syncs_now,
		    (unsigned long long)(j->syncs - j->syncs_reply -
		    j->syncs_now));
	if (j->syncer_on) {
		pthread_mutex_lock(&j->mu);
		j->syncer_stop = 1;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_join(j->syncer, NULL);
	}
	if (j->wal_fd != -1)
		close(j->wal_fd);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	for (i = 0; i < sizeof j->cache / sizeof j->cache[0]; i++)
		sqlite3_finalize(j->cache[i].st);
	sqlite3_close(j->db);
	free(j->slots);
	free(j->failing);
	free(j->read_error);
	free(j->dir);
	free(j);
}

void
journal_set_group(struct journal *j, unsigned max)
{
	journal_flush(j);
	j->group_max = max;
}

void
journal_set_syslog_caps(struct journal *j, int64_t per_phone, int64_t total)
{
	j->cap_phone = per_phone;
	j->cap_total = total;
}

unsigned
journal_pending(const struct journal *j)
{
	return (j != NULL ? j->pending : 0);
}

/* The grouped writes, committed, and every commit fsynced. */
int
journal_flush(struct journal *j)
{
	int	rc = 0;

	if (j == NULL)
		return (0);
	if (j->open_txn)
		rc = journal_commit(j);
	if (journal_sync(j) != 0)
		rc = -1;
	return (rc);
}

static uint64_t
journal_synced_upto(struct journal *j)
{
	uint64_t	v;

	pthread_mutex_lock(&j->mu);
	v = j->synced;
	pthread_mutex_unlock(&j->mu);
	return (v);
}

static void
journal_mark_synced(struct journal *j, uint64_t upto)
{
	pthread_mutex_lock(&j->mu);
	j->syncs++;
	if (upto > j->synced)
		j->synced = upto;
	pthread_mutex_unlock(&j->mu);
}

uint64_t
journal_presync_need(struct journal *j, uint64_t need)
{
	uint64_t	was;

	pthread_mutex_lock(&j->mu);
	was = j->presync_need;
	if (need > j->presync_need)
		j->presync_need = need;
	pthread_mutex_unlock(&j->mu);
	return (was);
}

void
journal_presync_restore(struct journal *j, uint64_t need, uint64_t was)
{
	pthread_mutex_lock(&j->mu);
	if (j->presync_need == need)
		j->presync_need = was;
	pthread_mutex_unlock(&j->mu);
}

uint64_t
journal_last_fact(const struct journal *j)
{
	return (j != NULL ? j->last_fact : 0);
}

void
journal_set_presync(struct journal *j, void (*fn)(void *, uint64_t),
    void *arg)
{
	pthread_mutex_lock(&j->mu);
	while (j->presync_busy)
		pthread_cond_wait(&j->cv, &j->mu);
	j->presync = fn;
	j->presync_arg = arg;
	pthread_mutex_unlock(&j->mu);
}

/* Run the presync hook (the caller holds mu; it is released meanwhile). */
static void
journal_presync_locked(struct journal *j)
{
	void		(*fn)(void *, uint64_t) = j->presync;
	void		*arg = j->presync_arg;
	uint64_t	 need = j->presync_need;

	if (fn == NULL || need == 0)
		return;
	j->presync_busy++;
	pthread_mutex_unlock(&j->mu);
	fn(arg, need);
	pthread_mutex_lock(&j->mu);
	j->presync_busy--;
	pthread_cond_broadcast(&j->cv);
}

/*
 * fsync the WAL: every commit so far survives a power cut.  SQLite runs
 * with synchronous=NORMAL (a commit is written to the WAL, which survives a
 * killed process, without an fsync); the journal decides when to fsync.
 */
static int
journal_sync(struct journal *j)
{
	sqlite3_file	*f = NULL;
	uint64_t	 upto = j->commits;

	if (journal_synced_upto(j) >= upto)
		return (0);
	if (sqlite3_file_control(j->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL) {
		/* No WAL open: nothing was written since the last sync. */
		journal_mark_synced(j, upto);
		return (0);
	}
	pthread_mutex_lock(&j->mu);
	journal_presync_locked(j);
	pthread_mutex_unlock(&j->mu);
	if (f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		log_error("journal: cannot fsync the journal");
		if (j->failing == NULL)
			j->failing = xstrdup("it cannot be fsynced");
		return (-1);
	}
	journal_mark_synced(j, upto);
	return (0);
}

/* The syncer thread: fdatasync the WAL up to what the loop asks for. */
static void *
journal_syncer(void *arg)
{
	struct journal	*j = arg;
	uint64_t	 upto;
	int		 ok;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->syncer_stop && j->syncer_want <= j->synced)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->syncer_stop)
			break;
		upto = j->syncer_want;
		journal_presync_locked(j);
		pthread_mutex_unlock(&j->mu);
		ok = fdatasync(j->wal_fd) == 0;
		pthread_mutex_lock(&j->mu);
		if (ok) {
			j->syncs++;
			if (upto > j->synced)
				j->synced = upto;
		} else
			j->syncer_want = j->synced;	/* the loop will again */
	}
	pthread_mutex_unlock(&j->mu);
	return (NULL);
}

/*
 * The periodic flush: commit the grouped writes and have the syncer thread
 * fsync them, so the loop does not wait for the stick.  A reply that needs
 * the fsync first still does it in the loop (journal_sync).
 */
int
journal_flush_async(struct journal *j)
{
	char	*wal;
	int	 rc = 0;

	if (j == NULL)
		return (0);
	if (j->open_txn)
		rc = journal_commit(j);
	if (journal_synced_upto(j) >= j->commits)
		return (rc);
	if (!j->syncer_on) {
		xasprintf(&wal, "%s-wal", sqlite3_db_filename(j->db, "main"));
		j->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
		free(wal);
		if (j->wal_fd == -1 || pthread_create(&j->syncer, NULL,
		    journal_syncer, j) != 0) {
			if (j->wal_fd != -1)
				close(j->wal_fd);
			j->wal_fd = -1;
			return (journal_sync(j) != 0 ? -1 : rc);
		}
		j->syncer_on = 1;
	}
	pthread_mutex_lock(&j->mu);
	if (j->commits > j->syncer_want)
		j->syncer_want = j->commits;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	return (rc);
}

/*
 * Phone mac's facts are not all fsynced: fsync before the reply (in a reply
 * scope, once at its end), or now (outside any scope).
 */
static void
journal_needs_sync(struct journal *j, const char *mac)
{
	struct journal_slot	*sl;

	if (j->last_fact == 0 || journal_synced_upto(j) >= j->last_fact)
		return;
	if (mac != NULL) {
		sl = journal_slot(j, mac);
		if (sl->fact == 0 || sl->fact <= journal_synced_upto(j))
			return;
	}
	if (j->scope == JOURNAL_SCOPE_REPLY)
		j->scope_sync = 1;
	else if (j->scope == 0 && journal_sync(j) == 0)
		j->syncs_now++;
}

uint64_t
journal_syncs(struct journal *j)
{
	uint64_t	n;

	if (j == NULL)
		return (0);
	pthread_mutex_lock(&j->mu);
	n = j->syncs;
	pthread_mutex_unlock(&j->mu);
	return (n);
}

/* Every commit is fsynced. */
int
journal_synced(struct journal *j)
{
	return (j == NULL || journal_synced_upto(j) >= j->commits);
}

void
journal_scope_begin(struct journal *j, int scope)
{
	if (j == NULL || j->group_max == 0)
		return;
	j->scope = scope;
	j->scope_sync = 0;
}

void
journal_scope_end(struct journal *j)
{
	if (j == NULL || j->group_max == 0)
		return;
	if (j->scope_sync && journal_sync(j) == 0)
		j->syncs_reply++;
	j->scope = 0;
	j->scope_sync = 0;
}

/*
 * A statement of a frequent write (sql a string constant: its address is
 * the key), prepared the first time; journal_stmt_done() after each use.
 */
static sqlite3_stmt *
journal_stmt(struct journal *j, const char *sql)
{
	size_t	i;

	for (i = 0; i < sizeof j->cache / sizeof j->cache[0]; i++) {
		if (j->cache[i].sql == sql)
			return (j->cache[i].st);
		if (j->cache[i].sql != NULL)
			continue;
		if (sqlite3_prepare_v3(j->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &j->cache[i].st, NULL) !=
		    SQLITE_OK) {
			sqlite3_finalize(j->cache[i].st);
			j->cache[i].st = NULL;
			return (NULL);
		}
		j->cache[i].sql = sql;
		return (j->cache[i].st);
	}
	fatalx("journal: more cached statements than slots");
}

static void
journal_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int
journal_begin(struct journal *j)
{
	if (j->open_txn)
		return (0);
	if (journal_exec(j, "BEGIN IMMEDIATE", NULL) != 0)
		return (-1);
	j->open_txn = 1;
	return (0);
}

static int
journal_commit(struct journal *j)
{
	unsigned	n = j->pending;

	j->open_txn = 0;
	j->pending = 0;
	if (journal_exec(j, "COMMIT", NULL) == 0) {
		j->commits++;
		if (n > 0)
			journal_worked(j);
		/* Every write alone, as synchronous=FULL did. */
		if (j->group_max == 0)
			return (journal_sync(j));
		return (0);
	}
	journal_failed(j);
	/* An I/O error may leave the transaction open: nothing of it holds. */
	if (!sqlite3_get_autocommit(j->db))
		journal_exec(j, "ROLLBACK", NULL);
	if (n > 0)
		log_error("journal: %u grouped writes are lost", n);
	/* The kept counts may now be wrong: count again. */
	journal_load_syslog_counts(j, NULL);
	return (-1);
}

/* One grouped write has been made: commit when enough are pending. */
static int
journal_grouped(struct journal *j)
{
	j->pending++;
	if (j->group_max == 0 || j->pending >= j->group_max)
		return (journal_commit(j));
	return (0);
}

/*
 * A write failed: what SQLite said is kept (until one works again) for the
 * daemon, which answers no phone it cannot record (journal_writable()).
 */
static void
journal_failed(struct journal *j)
{
	const char	*why;

	if (j->failing != NULL)
		return;
	switch (sqlite3_errcode(j->db)) {
	case SQLITE_FULL:
		why = "the disk holding it is full";
		break;
	case SQLITE_READONLY:
		why = "its disk has become read-only";
		break;
	default:
		why = sqlite3_errmsg(j->db);
		break;
	}
	j->failing = xstrdup(why);
	log_error("journal: cannot write: %s: phones are answered again "
	    "once it can (%s)", j->failing, sqlite3_errcode(j->db) ==
	    SQLITE_FULL ? "free space on its disk" : "check its disk, or "
	    "restart the appliance");
}

static void
journal_worked(struct journal *j)
{
	if (j->failing == NULL)
		return;
	log_info("journal: writes work again (they failed: %s)", j->failing);
	free(j->failing);
	j->failing = NULL;
}

const char *
journal_failing(const struct journal *j)
{
	return (j != NULL ? j->failing : NULL);
}

/*
 * Whether writes work; while they fail, one small write at most each
 * second finds out whether they work again (space freed).
 */
int
journal_writable(struct journal *j, int64_t now_ms)
{
	if (j == NULL || j->failing == NULL)
		return (1);
	if (now_ms - j->probed_at < 1000)
		return (0);
	j->probed_at = now_ms;
	if (journal_fact_begin(j) == 0)
		journal_fact_end(j, journal_counter_write(j, "journal_probes",
		    1) == 0, NULL);
	return (j->failing == NULL);
}

/*
 * A fact's writes go between journal_fact_begin() and journal_fact_end(ok):
 * a savepoint inside the open transaction, so that a failed statement undoes
 * the fact alone, then a commit that takes the grouped writes along.
 */
static int
journal_fact_begin(struct journal *j)
{
	if (journal_begin(j) != 0) {
		journal_failed(j);
		return (-1);
	}
	if (journal_exec(j, "SAVEPOINT fact", NULL) != 0) {
		journal_commit(j);
		return (-1);
	}
	return (0);
}

static int
journal_fact_end(struct journal *j, int ok, const char *mac)
{
	if (!ok) {
		journal_failed(j);
		journal_exec(j, "ROLLBACK TO fact", NULL);
	}
	journal_exec(j, "RELEASE fact", NULL);
	if (journal_commit(j) != 0)
		return (-1);
	if (!ok)
		return (-1);
	journal_worked(j);
	/*
	 * A transfer row (mac NULL here) is kept for the report and is not
	 * what the engine decides on: the transition a transfer's end makes
	 * is its own fact.  It is fsynced with whatever comes next.
	 */
	if (mac == NULL)
		return (0);
	j->last_fact = j->commits;
	if (*mac != '\0')
		journal_slot(j, mac)->fact = j->commits;
	/*
	 * Durable before anything that depends on it is served: at once, or
	 * at the end of the reply it is part of.  A fact learnt from a
	 * transfer's end (an event scope) waits for the next fsync: the
	 * periodic flush, another reply, or its phone's next request.
	 */
	journal_needs_sync(j, NULL);
	return (0);
}

/* Each column added since the first schema, unless the table has it. */
static int
journal_migrate(struct journal *j, char **cause)
{
	char	*sql, *err = NULL;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof journal_added / sizeof journal_added[0]; i++) {
		xasprintf(&sql, "ALTER TABLE phones ADD COLUMN %s;",
		    journal_added[i]);
		rc = sqlite3_exec(j->db, sql, NULL, NULL, &err);
		free(sql);
		if (rc != SQLITE_OK && (err == NULL ||
		    strstr(err, "duplicate column") == NULL)) {
			xasprintf(cause, "journal: cannot add the column %s: %s",
			    journal_added[i], err != NULL ? err :
			    sqlite3_errmsg(j->db));
			sqlite3_free(err);
			return (-1);
		}
		sqlite3_free(err);
		err = NULL;
	}
	return (0);
}

static int
journal_exec(struct journal *j, const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		if (cause != NULL)
			xasprintf(cause, "journal: %s", err != NULL ? err :
			    sqlite3_errmsg(j->db));
		else
			log_error("journal: %s", err != NULL ? err :
			    sqlite3_errmsg(j->db));
		sqlite3_free(err);
		return (-1);
	}
	return (0);
}

static void
journal_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static const char *
journal_col(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return (s != NULL ? (const char *)s : "");
}

static int
journal_insert_event(struct journal *j, const struct journal_event *ev)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(j->db, "INSERT INTO events (ts, mac, kind, "
	    "from_state, to_state, fact, value, evidence) VALUES "
	    "(?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, ev->ts);
	journal_bind_text(st, 2, ev->mac);
	journal_bind_text(st, 3, ev->kind);
	journal_bind_text(st, 4, ev->from);
	journal_bind_text(st, 5, ev->to);
	journal_bind_text(st, 6, ev->fact);
	journal_bind_text(st, 7, ev->value);
	journal_bind_text(st, 8, ev->evidence);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
journal_save(struct journal *j, const struct phone *p,
    const struct journal_event *ev)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (j == NULL)
		return (0);
	if (ev != NULL) {
		if (journal_fact_begin(j) != 0)
			goto fail;
	} else {
		/* A request of this phone: its earlier facts first. */
		journal_needs_sync(j, p->mac);
		if (journal_begin(j) != 0)
			goto fail;
	}
	if ((st = journal_stmt(j, "INSERT OR REPLACE INTO phones (mac, ip,"
	    " model, part, version, version_source, version_before, target,"
	    " state, held_from, reason, first_seen, last_seen, state_since,"
	    " bytes_served, ca_sha256, repoint, returns, bootrom,"
	    " bootrom_source, has_bootrom, flashes, flashed, held_reason)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) ==
	    NULL)
		goto fail;
	journal_bind_text(st, 1, p->mac);
	journal_bind_text(st, 2, p->ip);
	journal_bind_text(st, 3, p->model);
	journal_bind_text(st, 4, p->part);
	journal_bind_text(st, 5, p->version);
	journal_bind_text(st, 6, version_source_name(p->version_source));
	journal_bind_text(st, 7, p->version_before);
	journal_bind_text(st, 8, p->target);
	journal_bind_text(st, 9, phone_state_name(p->state));
	journal_bind_text(st, 10, phone_state_name(p->held_from));
	journal_bind_text(st, 11, p->reason);
	sqlite3_bind_int64(st, 12, p->first_seen);
	sqlite3_bind_int64(st, 13, p->last_seen);
	sqlite3_bind_int64(st, 14, p->state_since);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)p->bytes_served);
	journal_bind_text(st, 16, p->ca_sha256);
	journal_bind_text(st, 17, p->repoint);
	sqlite3_bind_int64(st, 18, p->returns);
	journal_bind_text(st, 19, p->bootrom);
	journal_bind_text(st, 20, version_source_name(p->bootrom_source));
	sqlite3_bind_int64(st, 21, p->has_bootrom);
	sqlite3_bind_int64(st, 22, p->flashes);
	journal_bind_text(st, 23, p->flashed);
	journal_bind_text(st, 24, p->held_reason);
	rc = sqlite3_step(st);
	journal_stmt_done(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (ev != NULL) {
		if (journal_insert_event(j, ev) != 0)
			goto fail;
		if (journal_fact_end(j, 1, p->mac) != 0)
			goto failed;
		return (0);
	}
	return (journal_grouped(j));

fail:
	log_error("journal: cannot save phone %s: %s", p->mac,
	    sqlite3_errmsg(j->db));
	journal_failed(j);
	if (ev != NULL && j->open_txn)
		journal_fact_end(j, 0, NULL);
	return (-1);
failed:
	log_error("journal: cannot save phone %s", p->mac);
	return (-1);
}

int
journal_add_event(struct journal *j, const struct journal_event *ev)
{
	if (j == NULL)
		return (0);
	if (journal_fact_begin(j) != 0)
		return (-1);
	if (journal_insert_event(j, ev) != 0) {
		log_error("journal: cannot add event: %s",
		    sqlite3_errmsg(j->db));
		journal_fact_end(j, 0, NULL);
		return (-1);
	}
	return (journal_fact_end(j, 1, ev->mac != NULL ? ev->mac : ""));
}

int
journal_delete_phone(struct journal *j, const char *mac)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (j == NULL)
		return (0);
	if (journal_fact_begin(j) != 0)
		return (-1);
	if (sqlite3_prepare_v2(j->db, "DELETE FROM phones WHERE mac = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return (journal_fact_end(j, 0, NULL));
	journal_bind_text(st, 1, mac);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return (journal_fact_end(j, rc == SQLITE_DONE, mac));
}

int
journal_claim_transfers(struct journal *j, const char *mac, const char *ip,
    const char *suffix, int64_t since)
{
	sqlite3_stmt	*st;
	int		 rc, n = 0;

	if (j == NULL)
		return (0);
	if (journal_fact_begin(j) != 0)
		return (-1);
	if (sqlite3_prepare_v2(j->db, "UPDATE transfers SET mac = ? WHERE"
	    " (mac IS NULL OR mac = '') AND ip = ? AND started >= ? AND"
	    " substr(name, -length(?)) = ?", -1, &st, NULL) != SQLITE_OK) {
		journal_fact_end(j, 0, NULL);
		return (-1);
	}
	journal_bind_text(st, 1, mac);
	journal_bind_text(st, 2, ip);
	sqlite3_bind_int64(st, 3, since);
	journal_bind_text(st, 4, suffix);
	journal_bind_text(st, 5, suffix);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		n = sqlite3_changes(j->db);
	sqlite3_finalize(st);
	if (journal_fact_end(j, rc == SQLITE_DONE, mac) != 0)
		return (-1);
	return (rc == SQLITE_DONE ? n : -1);
}

int
journal_add_transfer(struct journal *j, const struct journal_transfer *t)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (j == NULL)
		return (0);
	if (journal_fact_begin(j) != 0)
		return (-1);
	if (sqlite3_prepare_v2(j->db, "INSERT INTO transfers (mac, ip, proto,"
	    " name, write, started, ended, bytes, total, outcome, reason)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
		rc = SQLITE_ERROR;
		goto out;
	}
	journal_bind_text(st, 1, t->mac);
	journal_bind_text(st, 2, t->ip);
	journal_bind_text(st, 3, t->proto);
	journal_bind_text(st, 4, t->name);
	sqlite3_bind_int(st, 5, t->write);
	sqlite3_bind_int64(st, 6, t->started);
	sqlite3_bind_int64(st, 7, t->ended);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)t->bytes);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)t->total);
	journal_bind_text(st, 10, t->outcome);
	journal_bind_text(st, 11, t->reason);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
out:
	if (rc != SQLITE_DONE) {
		log_error("journal: cannot add transfer: %s",
		    sqlite3_errmsg(j->db));
		journal_fact_end(j, 0, NULL);
		return (-1);
	}
	return (journal_fact_end(j, 1, NULL));
}

int
journal_add_syslog(struct journal *j, const char *mac, const char *ip,
    int64_t ts, const char *line)
{
	struct journal_slot	*sl;
	sqlite3_stmt		*st;
	char			 key[sizeof sl->mac];
	int			 rc;

	if (j == NULL)
		return (0);
	if (journal_begin(j) != 0)
		return (-1);
	if ((st = journal_stmt(j, "INSERT INTO syslog (ts, mac, ip, line)"
	    " VALUES (?,?,?,?)")) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, ts);
	journal_bind_text(st, 2, mac);
	journal_bind_text(st, 3, ip);
	journal_bind_text(st, 4, line);
	rc = sqlite3_step(st);
	journal_stmt_done(st);
	if (rc != SQLITE_DONE) {
		log_error("journal: cannot add a syslog line: %s",
		    sqlite3_errmsg(j->db));
		return (-1);
	}
	snprintf(key, sizeof key, "%s", mac != NULL ? mac : "");
	sl = journal_slot(j, key);
	sl->kept++;
	j->syslog_kept++;
	if (j->cap_phone > 0 && sl->kept > j->cap_phone)
		journal_trim_syslog(j, key, sl->kept - j->cap_phone);
	/* The total in chunks: each trim walks every sender's count. */
	if (j->cap_total > 0 && j->syslog_kept > j->cap_total)
		journal_trim_syslog(j, NULL, j->syslog_kept - j->cap_total +
		    j->cap_total / 64);
	return (journal_grouped(j));
}

/* Add to a counter inside the open transaction. */
static int
journal_counter_write(struct journal *j, const char *name, int64_t delta)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (delta == 0)
		return (0);
	if ((st = journal_stmt(j, "INSERT INTO counters (name, value) "
	    "VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + "
	    "excluded.value")) == NULL)
		return (-1);
	journal_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, delta);
	rc = sqlite3_step(st);
	journal_stmt_done(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Add to a counter (a grouped write). */
int
journal_counter_add(struct journal *j, const char *name, int64_t delta)
{
	if (j == NULL || delta == 0)
		return (0);
	if (journal_begin(j) != 0)
		return (-1);
	if (journal_counter_write(j, name, delta) != 0) {
		log_error("journal: cannot count %s: %s", name,
		    sqlite3_errmsg(j->db));
		return (-1);
	}
	return (journal_grouped(j));
}

int64_t
journal_counter(struct journal *j, const char *name)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (j == NULL || sqlite3_prepare_v2(j->db, "SELECT value FROM counters"
	    " WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return (0);
	journal_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

static uint64_t
journal_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

/* The kept count of one sender MAC ("" for none), made when new. */
static struct journal_slot *
journal_slot(struct journal *j, const char *mac)
{
	struct journal_slot	*old;
	size_t			 i, n, mask;

	if (j->nused * 2 >= j->nslots) {
		old = j->slots;
		n = j->nslots;
		j->nslots = n == 0 ? 64 : n * 2;
		j->slots = xcalloc(j->nslots, sizeof *j->slots);
		j->nused = 0;
		for (i = 0; i < n; i++) {
			if (old[i].used)
				*journal_slot(j, old[i].mac) = old[i];
		}
		free(old);
	}
	mask = j->nslots - 1;
	for (i = journal_hash(mac) & mask;; i = (i + 1) & mask) {
		if (!j->slots[i].used) {
			snprintf(j->slots[i].mac, sizeof j->slots[i].mac,
			    "%s", mac);
			j->slots[i].used = 1;
			j->slots[i].kept = 0;
			j->slots[i].trimmed = 0;
			j->nused++;
			return (&j->slots[i]);
		}
		if (strcmp(j->slots[i].mac, mac) == 0)
			return (&j->slots[i]);
	}
}

/* Count the syslog rows of every sender, once at open (or after a loss). */
static int
journal_load_syslog_counts(struct journal *j, char **cause)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	for (i = 0; i < j->nslots; i++)
		j->slots[i].kept = 0;
	j->syslog_kept = 0;
	if (sqlite3_prepare_v2(j->db, "SELECT coalesce(mac, ''), count(*) "
	    "FROM syslog GROUP BY 1", -1, &st, NULL) != SQLITE_OK) {
		if (cause != NULL)
			xasprintf(cause, "journal: %s", sqlite3_errmsg(j->db));
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		journal_slot(j, journal_col(st, 0))->kept =
		    sqlite3_column_int64(st, 1);
		j->syslog_kept += sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (cause != NULL)
			xasprintf(cause, "journal: %s", sqlite3_errmsg(j->db));
		return (-1);
	}
	return (0);
}

/*
 * Drop the n oldest syslog rows of one sender (mac, "" for none), or of all
 * (mac NULL), counting them per sender and in total.  Part of the grouped
 * write that made them too many.
 */
static int
journal_trim_syslog(struct journal *j, const char *mac, int64_t n)
{
	sqlite3_stmt		*st;
	struct journal_slot	*sl;
	char			*name;
	int64_t			 total = 0;
	size_t			 i;
	int			 rc;

	if (mac == NULL)
		st = journal_stmt(j, "DELETE FROM syslog WHERE id IN"
		    " (SELECT id FROM syslog ORDER BY id LIMIT ?1) RETURNING"
		    " coalesce(mac, '')");
	else if (*mac == '\0')
		st = journal_stmt(j, "DELETE FROM syslog WHERE id IN"
		    " (SELECT id FROM syslog WHERE mac IS NULL ORDER BY id"
		    " LIMIT ?1) RETURNING ''");
	else
		st = journal_stmt(j, "DELETE FROM syslog WHERE id IN"
		    " (SELECT id FROM syslog WHERE mac = ?2 ORDER BY id"
		    " LIMIT ?1) RETURNING mac");
	if (st == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, n);
	if (mac != NULL && *mac != '\0')
		journal_bind_text(st, 2, mac);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sl = journal_slot(j, journal_col(st, 0));
		sl->kept--;
		sl->trimmed++;
		j->syslog_kept--;
		total++;
	}
	journal_stmt_done(st);
	for (i = 0; i < j->nslots; i++) {
		sl = &j->slots[i];
		if (!sl->used || sl->trimmed == 0)
			continue;
		xasprintf(&name, "syslog_trimmed:%s", sl->mac);
		journal_counter_write(j, name, sl->trimmed);
		free(name);
		sl->trimmed = 0;
	}
	journal_counter_write(j, "syslog_trimmed", total);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
journal_load_phones(struct journal *j, void (*fn)(void *,
    const struct phone *), void *arg, char **cause)
{
	sqlite3_stmt	*st;
	struct phone	 p;
	int		 rc, chain, held;

	/*
	 * A journal read only, from before the chain columns (or the held
	 * reason): without them.
	 */
	held = chain = sqlite3_prepare_v2(j->db, "SELECT mac, ip, model, part,"
	    " version, version_source, version_before, target, state,"
	    " held_from, reason, first_seen, last_seen, state_since,"
	    " bytes_served, ca_sha256, repoint, returns, bootrom,"
	    " bootrom_source, has_bootrom, flashes, flashed, held_reason"
	    " FROM phones ORDER BY first_seen, mac", -1, &st, NULL) ==
	    SQLITE_OK;
	if (!chain)
		chain = sqlite3_prepare_v2(j->db, "SELECT mac, ip, model,"
		    " part, version, version_source, version_before, target,"
		    " state, held_from, reason, first_seen, last_seen,"
		    " state_since, bytes_served, ca_sha256, repoint, returns,"
		    " bootrom, bootrom_source, has_bootrom, flashes, flashed"
		    " FROM phones ORDER BY first_seen, mac", -1, &st, NULL) ==
		    SQLITE_OK;
	if (!chain && sqlite3_prepare_v2(j->db, "SELECT mac, ip, model, part,"
	    " version, version_source, version_before, target, state,"
	    " held_from, reason, first_seen, last_seen, state_since,"
	    " bytes_served, ca_sha256, repoint, returns FROM phones ORDER BY"
	    " first_seen, mac", -1, &st, NULL) != SQLITE_OK) {
		journal_read_failed(j);
		xasprintf(cause, "journal: %s", sqlite3_errmsg(j->db));
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof p);
		snprintf(p.mac, sizeof p.mac, "%s", journal_col(st, 0));
		snprintf(p.ip, sizeof p.ip, "%s", journal_col(st, 1));
		snprintf(p.model, sizeof p.model, "%s", journal_col(st, 2));
		snprintf(p.part, sizeof p.part, "%s", journal_col(st, 3));
		snprintf(p.version, sizeof p.version, "%s",
		    journal_col(st, 4));
		p.version_source = version_source_from_name(journal_col(st, 5));
		snprintf(p.version_before, sizeof p.version_before, "%s",
		    journal_col(st, 6));
		snprintf(p.target, sizeof p.target, "%s", journal_col(st, 7));
		p.state = phone_state_from_name(journal_col(st, 8));
		p.held_from = phone_state_from_name(journal_col(st, 9));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			p.reason = (char *)journal_col(st, 10);
		p.first_seen = sqlite3_column_int64(st, 11);
		p.last_seen = sqlite3_column_int64(st, 12);
		p.state_since = sqlite3_column_int64(st, 13);
		p.bytes_served = (uint64_t)sqlite3_column_int64(st, 14);
		snprintf(p.ca_sha256, sizeof p.ca_sha256, "%s",
		    journal_col(st, 15));
		snprintf(p.repoint, sizeof p.repoint, "%s",
		    journal_col(st, 16));
		p.returns = (unsigned)sqlite3_column_int64(st, 17);
		if (chain) {
			snprintf(p.bootrom, sizeof p.bootrom, "%s",
			    journal_col(st, 18));
			p.bootrom_source = version_source_from_name(
			    journal_col(st, 19));
			p.has_bootrom = sqlite3_column_int(st, 20) != 0;
			p.flashes = (unsigned)sqlite3_column_int64(st, 21);
			snprintf(p.flashed, sizeof p.flashed, "%s",
			    journal_col(st, 22));
		}
		if (held && sqlite3_column_type(st, 23) != SQLITE_NULL)
			p.held_reason = (char *)journal_col(st, 23);
		if ((int)p.state < 0)
			p.state = PHONE_SEEN;
		if ((int)p.held_from < 0)
			p.held_from = PHONE_SEEN;
		fn(arg, &p);
	}
	if (rc != SQLITE_DONE) {
		journal_read_failed(j);
		xasprintf(cause, "journal: %s", sqlite3_errmsg(j->db));
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (0);
}

/* A read stopped by an error: kept, so that no caller takes it as whole. */
static void
journal_read_failed(struct journal *j)
{
	if (j->read_error != NULL)
		return;
	if (journal_disk_problem(j->dir) != NULL)
		xasprintf(&j->read_error, "%s: %s", sqlite3_errmsg(j->db),
		    journal_disk_problem(j->dir));
	else
		j->read_error = xstrdup(sqlite3_errmsg(j->db));
}

const char *
journal_read_error(const struct journal *j)
{
	return (j != NULL ? j->read_error : NULL);
}

const char *
journal_dir(const struct journal *j)
{
	return (j->dir);
}

static json_t *
journal_query_json(struct journal *j, const char *sql, const char *mac)
{
	sqlite3_stmt	*st;
	json_t		*a, *o;
	int		 i, n, rc;

	a = json_array();
	if (j == NULL)
		return (a);
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		journal_read_failed(j);
		return (a);
	}
	if (mac != NULL)
		journal_bind_text(st, 1, mac);
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_object();
		for (i = 0; i < n; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(o, sqlite3_column_name(st,
				    i), json_integer(sqlite3_column_int64(st,
				    i)));
				break;
			case SQLITE_NULL:
				json_object_set_new(o, sqlite3_column_name(st,
				    i), json_null());
				break;
			default:
				json_object_set_new(o, sqlite3_column_name(st,
				    i), json_string(journal_col(st, i)));
				break;
			}
		}
		json_array_append_new(a, o);
	}
	if (rc != SQLITE_DONE)
		journal_read_failed(j);
	sqlite3_finalize(st);
	return (a);
}

json_t *
journal_events_json(struct journal *j, const char *mac)
{
	if (mac == NULL)
		return (journal_query_json(j, "SELECT id, ts, mac, kind, "
		    "from_state AS 'from', to_state AS 'to', fact, value, "
		    "evidence FROM events ORDER BY id", NULL));
	return (journal_query_json(j, "SELECT id, ts, mac, kind, from_state "
	    "AS 'from', to_state AS 'to', fact, value, evidence FROM events "
	    "WHERE mac = ? ORDER BY id", mac));
}

json_t *
journal_transfers_json(struct journal *j, const char *mac)
{
	if (mac == NULL)
		return (journal_query_json(j, "SELECT * FROM transfers ORDER "
		    "BY started, id", NULL));
	/*
	 * In the order the phone asked: a transfer is recorded when it ends,
	 * and a cut one ends by silence only after the phone, rebooted, may
	 * have fetched the same image whole.
	 */
	return (journal_query_json(j, "SELECT * FROM transfers WHERE mac = ? "
	    "ORDER BY started, id", mac));
}

json_t *
journal_syslog_json(struct journal *j, const char *mac, int limit)
{
	char	*sql;
	json_t	*a;

	xasprintf(&sql, "SELECT * FROM (SELECT id, ts, ip, line FROM syslog "
	    "WHERE mac = ? ORDER BY id DESC LIMIT %d) ORDER BY id",
	    limit > 0 ? limit : 1000000);
	a = journal_query_json(j, sql, mac);
	free(sql);
	return (a);
}

int64_t
journal_count(struct journal *j, const char *table)
{
	sqlite3_stmt	*st;
	char		*sql;
	int64_t		 n = -1;

	if (strcmp(table, "events") != 0 && strcmp(table, "transfers") != 0 &&
	    strcmp(table, "phones") != 0 && strcmp(table, "syslog") != 0)
		return (-1);
	xasprintf(&sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	free(sql);
	return (n);
}

/*
 * The syslog counts of one phone (mac), or of all (NULL): lines kept, the
 * oldest dropped by the caps ("trimmed") and, for all, the lines the
 * receiver's rate limit refused ("limited").
 */
json_t *
journal_syslog_counts_json(struct journal *j, const char *mac)
{
	sqlite3_stmt	*st;
	char		*name;
	int64_t		 kept = 0;
	json_t		*o;

	if (j != NULL && !j->readonly && mac == NULL)
		kept = j->syslog_kept;
	else if (j != NULL && sqlite3_prepare_v2(j->db, mac != NULL ?
	    "SELECT count(*) FROM syslog WHERE mac = ?" :
	    "SELECT count(*) FROM syslog", -1, &st, NULL) == SQLITE_OK) {
		if (mac != NULL)
			journal_bind_text(st, 1, mac);
		if (sqlite3_step(st) == SQLITE_ROW)
			kept = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (mac != NULL) {
		xasprintf(&name, "syslog_trimmed:%s", mac);
		o = json_pack("{s:I, s:I}", "lines", (json_int_t)kept,
		    "trimmed", (json_int_t)journal_counter(j, name));
		free(name);
		return (o);
	}
	return (json_pack("{s:I, s:I, s:I}", "lines", (json_int_t)kept,
	    "trimmed", (json_int_t)journal_counter(j, "syslog_trimmed"),
	    "limited", (json_int_t)journal_counter(j, "syslog_limited")));
}
