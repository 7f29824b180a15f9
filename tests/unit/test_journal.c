/* The journal: rows survive a reopen, events keep their order and evidence. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "fleet.h"
#include "journal.h"
#include "log.h"

static char dir[64];

static int
setup(void **state)
{
	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(dir, sizeof dir, "/tmp/test-journal.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return (0);
}

static void
load_cb(void *arg, const struct phone *p)
{
	struct phone	*out = arg;

	*out = *p;
	out->reason = p->reason != NULL ? strdup(p->reason) : NULL;
}

static void
test_phone_roundtrip(void **state)
{
	struct journal		*j;
	struct phone		 p, back;
	struct journal_event	 ev = { 1234, "0004f2000001", "state", "seen",
				    "held", NULL, "why", "GET x.cfg" };
	char			*cause = NULL;
	json_t			*a;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	memset(&p, 0, sizeof p);
	strcpy(p.mac, "0004f2000001");
	strcpy(p.ip, "10.0.0.5");
	strcpy(p.model, "VVX410");
	strcpy(p.version, "4.1.4.7430");
	p.version_source = VSRC_UA;
	p.state = PHONE_HELD;
	p.held_from = PHONE_IDENTIFIED;
	p.reason = (char *)"a \"quoted\" reason";
	p.first_seen = 1000;
	p.bytes_served = 52428800ULL * 100;
	assert_int_equal(journal_save(j, &p, &ev), 0);
	journal_close(j);

	j = journal_open(dir, 1, &cause);
	assert_non_null(j);
	memset(&back, 0, sizeof back);
	assert_int_equal(journal_load_phones(j, load_cb, &back, &cause), 0);
	assert_string_equal(back.mac, "0004f2000001");
	assert_string_equal(back.model, "VVX410");
	assert_int_equal(back.state, PHONE_HELD);
	assert_int_equal(back.held_from, PHONE_IDENTIFIED);
	assert_int_equal(back.version_source, VSRC_UA);
	assert_string_equal(back.reason, "a \"quoted\" reason");
	assert_int_equal(back.bytes_served, 52428800ULL * 100);
	free(back.reason);
	a = journal_events_json(j, "0004f2000001");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "evidence")), "GET x.cfg");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "to")), "held");
	json_decref(a);
	journal_close(j);
}

/*
 * A journal from before the upgrade-plan columns: read only it loads
 * without them; opened by the daemon it is given them, and they round-trip.
 */
static void
test_old_journal_loads(void **state)
{
	struct journal	*j;
	struct phone	 back;
	sqlite3		*db;
	char		*cause = NULL, path[128];

	snprintf(path, sizeof path, "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE phones ("
	    " mac TEXT PRIMARY KEY, ip TEXT, model TEXT, part TEXT, version TEXT,"
	    " version_source TEXT, version_before TEXT, target TEXT, state TEXT,"
	    " held_from TEXT, reason TEXT, first_seen INTEGER, last_seen INTEGER,"
	    " state_since INTEGER, bytes_served INTEGER, ca_sha256 TEXT,"
	    " repoint TEXT, returns INTEGER);"
	    "INSERT INTO phones VALUES ('0004f2630001', '10.0.0.7', 'SPIP670',"
	    " '2345-12670-001', '3.2.3.1734', 'user-agent', '3.2.3.1734',"
	    " '4.0.8', 'failed', 'seen', 'old reason', 1000, 2000, 2000, 0,"
	    " '', 'ztp', 0);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	j = journal_open(dir, 1, &cause);
	assert_non_null(j);
	memset(&back, 0, sizeof back);
	assert_int_equal(journal_load_phones(j, load_cb, &back, &cause), 0);
	assert_string_equal(back.mac, "0004f2630001");
	assert_int_equal(back.state, PHONE_FAILED);
	assert_string_equal(back.bootrom, "");
	assert_int_equal(back.flashes, 0);
	free(back.reason);
	journal_close(j);

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	memset(&back, 0, sizeof back);
	assert_int_equal(journal_load_phones(j, load_cb, &back, &cause), 0);
	assert_string_equal(back.reason, "old reason");
	free(back.reason);
	strcpy(back.bootrom, "2.5.2.0010");
	back.bootrom_source = VSRC_UA;
	back.has_bootrom = 1;
	back.flashes = 2;
	strcpy(back.flashed, "bootrom.ld");
	back.reason = NULL;
	assert_int_equal(journal_save(j, &back, NULL), 0);
	journal_close(j);
	/* Opened again: the columns are there once, and hold the values. */
	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	memset(&back, 0, sizeof back);
	assert_int_equal(journal_load_phones(j, load_cb, &back, &cause), 0);
	assert_string_equal(back.bootrom, "2.5.2.0010");
	assert_int_equal(back.bootrom_source, VSRC_UA);
	assert_int_equal(back.has_bootrom, 1);
	assert_int_equal(back.flashes, 2);
	assert_string_equal(back.flashed, "bootrom.ld");
	free(back.reason);
	journal_close(j);
}

static void
test_wal_and_full_sync(void **state)
{
	struct journal	*j;
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*cause = NULL, path[128];

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	snprintf(path, sizeof path, "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	journal_close(j);
}

static void
test_readonly_missing(void **state)
{
	char	*cause = NULL;

	assert_null(journal_open(dir, 1, &cause));
	assert_non_null(strstr(cause, "no journal at"));
	free(cause);
}

static void
test_transfers_and_syslog(void **state)
{
	struct journal		*j;
	struct journal_transfer	 t = { "0004f2000001", "10.0.0.5", "tftp",
				    "2345-12670-001.sip.ld", 0, 10, 20, 512,
				    1000, "abandoned", NULL };
	char			*cause = NULL;
	json_t			*a;

	j = journal_open(dir, 0, &cause);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	assert_int_equal(journal_add_syslog(j, "0004f2000001", "10.0.0.5", 30,
	    "line one"), 0);
	a = journal_transfers_json(j, "0004f2000001");
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    0), "bytes")), 512);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "outcome")), "abandoned");
	json_decref(a);
	a = journal_syslog_json(j, "0004f2000001", 10);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "line")), "line one");
	json_decref(a);
	assert_int_equal(journal_count(j, "transfers"), 1);
	assert_int_equal(journal_count(j, "bogus; drop"), -1);
	journal_close(j);
}

/*
 * A phone that lost power mid-image reboots and fetches the image whole
 * before the cut transfer ends by silence: the report lists them in the
 * order the phone asked, not the order they ended.
 */
static void
test_transfers_in_asking_order(void **state)
{
	struct journal		*j;
	struct journal_transfer	 whole = { "0004f2000001", "10.0.0.5",
				    "tftp", "2345-12670-001.sip.ld", 0, 5000,
				    9000, 1000, 1000, "completed", NULL };
	struct journal_transfer	 cut = { "0004f2000001", "10.0.0.5", "tftp",
				    "2345-12670-001.sip.ld", 0, 1000, 9500,
				    2000, 1000, "abandoned", NULL };
	char			*cause = NULL;
	json_t			*a;

	j = journal_open(dir, 0, &cause);
	assert_int_equal(journal_add_transfer(j, &whole), 0);
	assert_int_equal(journal_add_transfer(j, &cut), 0);
	a = journal_transfers_json(j, "0004f2000001");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "outcome")), "abandoned");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 1), "outcome")), "completed");
	json_decref(a);
	a = journal_transfers_json(j, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    0), "started")), 1000);
	json_decref(a);
	journal_close(j);
}

/* The first column of sql's first row, read from file by another process. */
static long long
query_at(const char *file, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 path[256];
	long long	 v = -1;

	snprintf(path, sizeof path, "file:%s?mode=ro", file);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (v);
}

/* What another process would read: committed rows only. */
static long long
committed(const char *sql)
{
	char	file[128];

	snprintf(file, sizeof file, "%s/journal.db", dir);
	return (query_at(file, sql));
}

static void
make_phone(struct phone *p, const char *mac)
{
	memset(p, 0, sizeof *p);
	snprintf(p->mac, sizeof p->mac, "%s", mac);
	strcpy(p->ip, "10.0.0.5");
	p->state = PHONE_SEEN;
	p->first_seen = p->last_seen = 1000;
}

/* Row-only saves and syslog lines wait for the flush, then are all there. */
static void
test_grouped_until_flush(void **state)
{
	struct journal	*j;
	struct phone	 p;
	char		*cause = NULL;
	int		 i;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	make_phone(&p, "0004f2000001");
	for (i = 0; i < 10; i++) {
		p.last_seen = 2000 + i;
		p.bytes_served += 100;
		assert_int_equal(journal_save(j, &p, NULL), 0);
		assert_int_equal(journal_add_syslog(j, p.mac, p.ip, 2000 + i,
		    "a line"), 0);
	}
	assert_int_equal(journal_pending(j), 20);
	assert_int_equal(committed("SELECT count(*) FROM phones"), 0);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 0);
	/* The daemon's own connection sees them already. */
	assert_int_equal(journal_count(j, "syslog"), 10);
	assert_int_equal(journal_flush(j), 0);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(committed("SELECT last_seen FROM phones"), 2009);
	assert_int_equal(committed("SELECT bytes_served FROM phones"), 1000);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 10);
	assert_int_equal(journal_flush(j), 0);	/* nothing pending: no-op */
	journal_close(j);
}

/* A transition is committed on return, and takes the pending writes along. */
static void
test_fact_commits_pending(void **state)
{
	struct journal		*j;
	struct phone		 a, b;
	struct journal_event	 ev = { 3000, "0004f2000002", "state", "seen",
				    "identified", NULL, NULL, "GET x.cfg" };
	struct journal_transfer	 t = { "0004f2000001", "10.0.0.5", "http",
				    "x.cfg", 0, 10, 20, 5, 5, "completed",
				    NULL };
	char			*cause = NULL;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	make_phone(&a, "0004f2000001");
	make_phone(&b, "0004f2000002");
	a.last_seen = 2500;
	assert_int_equal(journal_save(j, &a, NULL), 0);
	assert_int_equal(journal_add_syslog(j, NULL, "10.0.0.9", 2500, "x"),
	    0);
	assert_int_equal(committed("SELECT count(*) FROM phones"), 0);
	b.state = PHONE_IDENTIFIED;
	assert_int_equal(journal_save(j, &b, &ev), 0);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(committed("SELECT count(*) FROM events"), 1);
	assert_int_equal(committed("SELECT count(*) FROM phones WHERE "
	    "state = 'identified'"), 1);
	assert_int_equal(committed("SELECT last_seen FROM phones WHERE "
	    "mac = '0004f2000001'"), 2500);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 1);
	/* Transfers and events are facts too. */
	a.bytes_served = 5;
	assert_int_equal(journal_save(j, &a, NULL), 0);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	assert_int_equal(committed("SELECT count(*) FROM transfers"), 1);
	assert_int_equal(committed("SELECT bytes_served FROM phones WHERE "
	    "mac = '0004f2000001'"), 5);
	a.bytes_served = 6;
	assert_int_equal(journal_save(j, &a, NULL), 0);
	ev.kind = "note";
	assert_int_equal(journal_add_event(j, &ev), 0);
	assert_int_equal(committed("SELECT bytes_served FROM phones WHERE "
	    "mac = '0004f2000001'"), 6);
	journal_close(j);
}

/*
 * One leaf page of events lost (a flash that lost a page): the daemon set
 * the file aside and started an empty journal, and the record of every
 * phone was gone from the report.  What SQLite can still read is copied,
 * the events after the damaged page included.
 */
static void
test_salvage_past_a_damaged_page(void **state)
{
	struct journal		*j;
	struct phone		 a;
	struct journal_event	 ev = { 3000, "0004f2000001", "note", NULL,
				    NULL, "test", "v", "an event of the test" };
	char			*cause = NULL, *summary = NULL, file[256];
	char			 aside[160], fresh[128], page[8192], sql[128];
	long long		 pageno, size, lost;
	int			 i, fd;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	make_phone(&a, "0004f2000001");
	assert_int_equal(journal_save(j, &a, NULL), 0);
	for (i = 0; i < 3000; i++) {
		ev.ts = 3000 + i;
		assert_int_equal(journal_add_event(j, &ev), 0);
	}
	journal_close(j);
	snprintf(file, sizeof file, "%s/journal.db", dir);
	pageno = query_at(file, "SELECT pageno FROM dbstat WHERE name = "
	    "'events' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET "
	    "(SELECT count(*) / 2 FROM dbstat WHERE name = 'events' AND "
	    "pagetype = 'leaf')");
	size = query_at(file, "PRAGMA page_size");
	assert_true(pageno > 1 && size > 0 && size <= (long long)sizeof page);
	snprintf(sql, sizeof sql, "SELECT ncell FROM dbstat WHERE pageno = "
	    "%lld", pageno);
	lost = query_at(file, sql);
	assert_true(lost > 0);
	memset(page, 0xff, sizeof page);
	fd = open(file, O_WRONLY);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, page, size, (pageno - 1) * size), size);
	close(fd);
	snprintf(aside, sizeof aside, "%s/journal.db.damaged", dir);
	assert_int_equal(rename(file, aside), 0);

	snprintf(fresh, sizeof fresh, "%s/fresh", dir);
	assert_int_equal(mkdir(fresh, 0700), 0);
	j = journal_open(fresh, 0, &cause);
	assert_non_null(j);
	assert_int_equal(journal_salvage(j, aside, &summary), 1);
	journal_close(j);
	assert_non_null(strstr(summary, "phones 1,"));
	assert_non_null(strstr(summary, "(then: database disk image is "
	    "malformed)"));
	snprintf(file, sizeof file, "%s/journal.db", fresh);
	/*
	 * The rows of that page lost, and no more: the scan resumed at the
	 * first row it could read (it lost up to half of each jump too).
	 */
	assert_int_equal(query_at(file, "SELECT count(*) FROM events"),
	    3000 - lost);
	assert_int_equal(query_at(file, "SELECT max(id) FROM events"), 3000);
	assert_int_equal(query_at(file, "SELECT count(*) FROM phones"), 1);
	free(summary);
}

static void
copy_file(const char *from, const char *to, off_t cut)
{
	char	buf[65536];
	ssize_t	n;
	off_t	done = 0;
	int	in, out;

	in = open(from, O_RDONLY);
	assert_true(in != -1);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out != -1);
	while ((n = read(in, buf, sizeof buf)) > 0 &&
	    (cut == 0 || done < cut)) {
		if (cut != 0 && done + n > cut)
			n = cut - done;
		assert_int_equal(write(out, buf, n), n);
		done += n;
	}
	close(in);
	close(out);
}

static void
flip_byte(const char *file, off_t at)
{
	unsigned char	c;
	int		fd;

	fd = open(file, O_RDWR);
	assert_true(fd != -1);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0xff;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static int
same_file(const char *a, const char *b)
{
	char	cmd[600];

	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return (system(cmd) == 0);
}

/*
 * The daemon killed with its write-ahead log holding the last commits, and
 * a byte of that log lost in the middle.  SQLite takes the commits before
 * the damage as the whole log, copies them in at its next close and deletes
 * the log: the later ones were gone without a word (the restarted daemon
 * showed recovered phones upgrading).  The log is now read first: set aside
 * with the journal, byte for byte, and said.  A log torn only at its end
 * (a power cut during the last commit) is a normal crash.
 */
static void
test_wal_damaged_in_the_middle(void **state)
{
	struct journal		*j;
	struct phone		 a;
	struct journal_event	 ev = { 3000, "0004f2000001", "note", NULL,
				    NULL, "test", "v", "an event of the test" };
	char			*cause = NULL, *why = NULL, *aside = NULL;
	char			 crash[128], from[256], to[300], fresh[128];
	char			*summary = NULL;
	struct stat		 sb;
	int			 i, fd;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	journal_set_group(j, 0);
	make_phone(&a, "0004f2000001");
	assert_int_equal(journal_save(j, &a, NULL), 0);
	for (i = 0; i < 200; i++) {
		ev.ts = 3000 + i;
		assert_int_equal(journal_add_event(j, &ev), 0);
	}
	/* As a kill -9 leaves it: the journal, its log, its shared memory. */
	snprintf(crash, sizeof crash, "%s/crash", dir);
	assert_int_equal(mkdir(crash, 0700), 0);
	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof from, "%s/journal.db%s", dir,
		    i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		snprintf(to, sizeof to, "%s/journal.db%s", crash,
		    i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		copy_file(from, to, 0);
	}
	journal_close(j);
	snprintf(from, sizeof from, "%s/journal.db-wal", crash);
	assert_int_equal(stat(from, &sb), 0);
	assert_true(sb.st_size > 100 * 4096);
	assert_int_equal(journal_wal_damaged(from, &why), 0);
	assert_null(why);

	/* Torn in its last frame: a normal crash. */
	snprintf(to, sizeof to, "%s/torn-wal", dir);
	copy_file(from, to, sb.st_size - 1000);
	assert_int_equal(journal_wal_damaged(to, &why), 0);

	/*
	 * A byte of the log's header, or of one frame's salt: SQLite takes
	 * the log as ending there just the same (they were not seen).
	 */
	snprintf(to, sizeof to, "%s/salt-wal", dir);
	copy_file(from, to, 0);
	flip_byte(to, 17);
	assert_int_equal(journal_wal_damaged(to, &why), 1);
	assert_non_null(strstr(why, "has a damaged header"));
	free(why);
	why = NULL;
	copy_file(from, to, 0);
	flip_byte(to, 32 + (sb.st_size - 32) / (24 + 4096) / 2 *
	    (24 + 4096) + 9);
	assert_int_equal(journal_wal_damaged(to, &why), 1);
	assert_non_null(strstr(why, "is damaged at frame "));
	free(why);
	why = NULL;

	/* 64 bytes changed in the middle. */
	fd = open(from, O_WRONLY);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 64, sb.st_size / 2), 64);
	close(fd);
	snprintf(to, sizeof to, "%s/damaged-wal", dir);
	copy_file(from, to, 0);
	assert_int_equal(journal_wal_damaged(from, &why), 1);
	assert_non_null(strstr(why, "its write-ahead log (journal.db-wal) is "
	    "damaged at frame "));
	free(why);
	why = NULL;

	/*
	 * Read as report and status read it (a copy, no daemon): SQLite
	 * reads the commits before the damage as all there is, and an older
	 * closet was shown as whole.  The reader is told it is incomplete.
	 */
	j = journal_open(crash, 1, &cause);
	assert_non_null(j);
	assert_non_null(journal_read_error(j));
	assert_non_null(strstr(journal_read_error(j), "is damaged at frame "));
	journal_close(j);
	/* A whole log reads as whole. */
	j = journal_open(dir, 1, &cause);
	assert_non_null(j);
	assert_null(journal_read_error(j));
	journal_close(j);

	/* Set aside with it, byte for byte, not replayed and deleted. */
	assert_int_equal(journal_set_aside_damaged(crash, &aside, &why), 1);
	assert_non_null(strstr(why, "write-ahead log"));
	snprintf(from, sizeof from, "%s-wal", aside);
	assert_true(same_file(from, to));
	/* What the log held before the damage is copied. */
	snprintf(fresh, sizeof fresh, "%s/fresh", dir);
	assert_int_equal(mkdir(fresh, 0700), 0);
	j = journal_open(fresh, 0, &cause);
	assert_non_null(j);
	assert_int_equal(journal_salvage(j, aside, &summary), 1);
	journal_close(j);
	snprintf(to, sizeof to, "%s/journal.db", fresh);
	assert_true(query_at(to, "SELECT count(*) FROM events") > 0);
	assert_true(query_at(to, "SELECT count(*) FROM events") < 200);
	assert_true(same_file(from, to) == 0);
	snprintf(to, sizeof to, "%s/damaged-wal", dir);
	assert_true(same_file(from, to));
	free(summary);
	free(why);
	free(aside);
}

/* A fact that cannot be recorded is refused; the grouped writes still hold. */
static void
test_fact_refused(void **state)
{
	struct journal		*j;
	struct phone		 a;
	struct journal_event	 ev = { 3000, "0004f2000001", "state", "seen",
				    "identified", NULL, NULL, "GET x.cfg" };
	char			*cause = NULL, path[128];
	sqlite3			*db;

	/* A trigger stands in for a full disk on the events table. */
	journal_close(journal_open(dir, 0, &cause));
	snprintf(path, sizeof path, "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER no_events BEFORE "
	    "INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	make_phone(&a, "0004f2000001");
	assert_int_equal(journal_save(j, &a, NULL), 0);
	assert_int_equal(journal_add_syslog(j, a.mac, a.ip, 1, "kept"), 0);
	a.state = PHONE_IDENTIFIED;
	assert_int_equal(journal_save(j, &a, &ev), -1);
	assert_int_equal(committed("SELECT count(*) FROM events"), 0);
	assert_int_equal(committed("SELECT count(*) FROM phones WHERE "
	    "state = 'identified'"), 0);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 1);
	assert_int_equal(committed("SELECT count(*) FROM phones"), 1);
	journal_close(j);
}

/* Closing commits what is pending; with grouping off, nothing waits. */
static void
test_close_flushes(void **state)
{
	struct journal	*j;
	struct phone	 p;
	char		*cause = NULL;

	j = journal_open(dir, 0, &cause);
	make_phone(&p, "0004f2000001");
	p.bytes_served = 42;
	assert_int_equal(journal_save(j, &p, NULL), 0);
	assert_int_equal(journal_add_syslog(j, p.mac, p.ip, 1, "l"), 0);
	assert_int_equal(journal_counter_add(j, "syslog_limited", 3), 0);
	journal_close(j);
	assert_int_equal(committed("SELECT bytes_served FROM phones"), 42);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 1);
	assert_int_equal(committed("SELECT value FROM counters WHERE name = "
	    "'syslog_limited'"), 3);

	j = journal_open(dir, 0, &cause);
	journal_set_group(j, 0);
	p.bytes_served = 43;
	assert_int_equal(journal_save(j, &p, NULL), 0);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(committed("SELECT bytes_served FROM phones"), 43);
	journal_close(j);
}

/* Enough pending writes commit without waiting for the flush. */
static void
test_group_max(void **state)
{
	struct journal	*j;
	char		*cause = NULL;
	int		 i;

	j = journal_open(dir, 0, &cause);
	journal_set_group(j, 8);
	for (i = 0; i < 7; i++)
		journal_add_syslog(j, NULL, "10.0.0.9", i, "l");
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 0);
	journal_add_syslog(j, NULL, "10.0.0.9", 7, "l");
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 8);
	assert_int_equal(journal_pending(j), 0);
	journal_close(j);
}

/* Syslog rows: capped per phone and in total, oldest first, drops counted. */
static void
test_syslog_caps(void **state)
{
	struct journal	*j;
	char		*cause = NULL, line[32];
	json_t		*c, *a;
	int		 i;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	journal_set_syslog_caps(j, 10, 25);
	for (i = 0; i < 15; i++) {
		snprintf(line, sizeof line, "a%d", i);
		journal_add_syslog(j, "0004f2000001", "10.0.0.1", i, line);
	}
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof line, "n%d", i);
		journal_add_syslog(j, NULL, "10.0.0.9", 100 + i, line);
	}
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 0);
	journal_flush(j);
	assert_int_equal(committed("SELECT count(*) FROM syslog WHERE mac = "
	    "'0004f2000001'"), 10);
	assert_int_equal(committed("SELECT count(*) FROM syslog WHERE mac IS "
	    "NULL"), 10);
	/* The oldest went: a5..a14 are left. */
	a = journal_syslog_json(j, "0004f2000001", 0);
	assert_int_equal(json_array_size(a), 10);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(a, 0), "line")), "a5");
	json_decref(a);
	c = journal_syslog_counts_json(j, "0004f2000001");
	assert_int_equal(json_integer_value(json_object_get(c, "lines")), 10);
	assert_int_equal(json_integer_value(json_object_get(c, "trimmed")), 5);
	json_decref(c);
	/* 10 more make 30 > 25: the oldest of all go (a5..a9). */
	for (i = 0; i < 10; i++)
		journal_add_syslog(j, "0004f2000002", "10.0.0.2", 200 + i, "b");
	journal_flush(j);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 25);
	assert_int_equal(committed("SELECT count(*) FROM syslog WHERE mac = "
	    "'0004f2000002'"), 10);
	assert_int_equal(committed("SELECT min(ts) FROM syslog WHERE mac = "
	    "'0004f2000001'"), 10);
	c = journal_syslog_counts_json(j, NULL);
	assert_int_equal(json_integer_value(json_object_get(c, "lines")), 25);
	assert_int_equal(json_integer_value(json_object_get(c, "trimmed")),
	    12);
	json_decref(c);
	c = journal_syslog_counts_json(j, "0004f2000001");
	assert_int_equal(json_integer_value(json_object_get(c, "trimmed")),
	    10);
	json_decref(c);
	journal_close(j);

	/* Reopened: the counts are read back, the caps hold from there. */
	j = journal_open(dir, 0, &cause);
	journal_set_syslog_caps(j, 10, 25);
	journal_add_syslog(j, "0004f2000002", "10.0.0.2", 300, "b");
	journal_close(j);
	assert_int_equal(committed("SELECT count(*) FROM syslog WHERE mac = "
	    "'0004f2000002'"), 10);
	assert_int_equal(committed("SELECT value FROM counters WHERE name = "
	    "'syslog_trimmed:0004f2000002'"), 1);
}

/*
 * Facts are written at once (another reader sees them: a killed daemon
 * keeps them) and fsynced before anything that depends on them is served:
 * at once outside a scope, once at the end of a reply, and after a
 * transfer's end (an event scope) by the flush or the phone's next request.
 */
static void
test_fact_fsync(void **state)
{
	struct journal		*j;
	struct phone		 a, b;
	struct journal_event	 ev = { 3000, "0004f2000001", "fact", NULL,
				    NULL, "model", "VVX410", "GET x.cfg" };
	struct journal_transfer	 t = { "0004f2000001", "10.0.0.5", "http",
				    "x.sip.ld", 0, 10, 20, 5, 5, "completed",
				    NULL };
	char			*cause = NULL;
	uint64_t		 n;

	j = journal_open(dir, 0, &cause);
	assert_non_null(j);
	make_phone(&a, "0004f2000001");
	make_phone(&b, "0004f2000002");
	/* Outside any scope: fsynced when it commits. */
	n = journal_syncs(j);
	assert_int_equal(journal_save(j, &a, &ev), 0);
	assert_int_equal(journal_syncs(j), n + 1);
	assert_true(journal_synced(j));

	/* A reply: three facts, written at once, one fsync at its end. */
	n = journal_syncs(j);
	journal_scope_begin(j, JOURNAL_SCOPE_REPLY);
	assert_int_equal(journal_save(j, &a, &ev), 0);
	assert_int_equal(journal_add_event(j, &ev), 0);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	assert_int_equal(committed("SELECT count(*) FROM events"), 3);
	assert_int_equal(committed("SELECT count(*) FROM transfers"), 1);
	assert_int_equal(journal_syncs(j), n);
	assert_false(journal_synced(j));
	journal_scope_end(j);
	assert_int_equal(journal_syncs(j), n + 1);
	assert_true(journal_synced(j));

	/* A transfer's end and the transition it makes: written, not
	 * fsynced... */
	journal_scope_begin(j, JOURNAL_SCOPE_EVENT);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	assert_int_equal(journal_save(j, &a, &ev), 0);
	journal_scope_end(j);
	assert_int_equal(committed("SELECT count(*) FROM transfers"), 2);
	assert_int_equal(committed("SELECT count(*) FROM events"), 4);
	assert_false(journal_synced(j));
	/* ...another phone's request does not wait for it... */
	n = journal_syncs(j);
	journal_scope_begin(j, JOURNAL_SCOPE_REPLY);
	assert_int_equal(journal_save(j, &b, NULL), 0);
	journal_scope_end(j);
	assert_int_equal(journal_syncs(j), n);
	/* ...its own phone's next request does. */
	journal_scope_begin(j, JOURNAL_SCOPE_REPLY);
	assert_int_equal(journal_save(j, &a, NULL), 0);
	journal_scope_end(j);
	assert_int_equal(journal_syncs(j), n + 1);
	assert_true(journal_synced(j));

	/* A transfer row alone makes no reply wait: nothing is decided on
	 * it (the transition a transfer makes is its own fact). */
	n = journal_syncs(j);
	journal_scope_begin(j, JOURNAL_SCOPE_REPLY);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	assert_int_equal(journal_save(j, &a, NULL), 0);
	journal_scope_end(j);
	assert_int_equal(journal_syncs(j), n);
	assert_int_equal(committed("SELECT count(*) FROM transfers"), 3);
	/* The flush fsyncs it. */
	assert_false(journal_synced(j));
	assert_int_equal(journal_flush(j), 0);
	assert_true(journal_synced(j));
	n = journal_syncs(j);
	assert_int_equal(journal_flush(j), 0);	/* nothing new: no fsync */
	assert_int_equal(journal_syncs(j), n);

	/* The periodic flush commits at once and fsyncs in a thread. */
	assert_int_equal(journal_save(j, &b, NULL), 0);
	assert_int_equal(journal_add_syslog(j, b.mac, b.ip, 1, "l"), 0);
	assert_int_equal(journal_flush_async(j), 0);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(committed("SELECT count(*) FROM syslog"), 1);
	for (n = 0; n < 10000 && !journal_synced(j); n++)
		usleep(1000);
	assert_true(journal_synced(j));
	journal_close(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_phone_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_old_journal_loads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_full_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_readonly_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transfers_in_asking_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfers_and_syslog,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouped_until_flush,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fact_commits_pending,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fact_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_max,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_syslog_caps,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_salvage_past_a_damaged_page,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_damaged_in_the_middle,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fact_fsync,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("journal", tests, NULL, NULL));
}
