/*
 * The upload quarantine: versions instead of overwrites, the name policy,
 * the size cap, and a full file system leaving nothing behind.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"
#include "upload.h"

static char	dir[64];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/ztp-upload.XXXXXX");
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* Entries in the store directory, hidden ones included. */
static int
count_files(void)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

static void
file_is(const char *name, const char *want)
{
	char	path[128], buf[64];
	FILE	*f;
	size_t	n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
}

static char *
store(struct upload_store *st, const char *name, const char *data)
{
	struct upload	*up;
	char		*cause = NULL, *path = NULL;

	up = upload_begin(st, name, &cause);
	assert_non_null(up);
	assert_int_equal(upload_write(up, data, strlen(data), &cause), 0);
	assert_int_equal(upload_bytes(up), strlen(data));
	assert_int_equal(upload_commit(up, &path, &cause), 0);
	return (path);
}

static void
test_versions_never_overwrite(void **state)
{
	struct upload_store	*st;
	char			*cause = NULL, *p, want[128];

	st = upload_store_open(dir, UPLOAD_PHONE_FILES, 1000, &cause);
	assert_non_null(st);
	assert_string_equal(upload_store_dir(st), dir);
	assert_int_equal(upload_store_max(st), 1000);
	p = store(st, "0004f2aabbcc-boot.log", "first");
	snprintf(want, sizeof want, "%s/0004f2aabbcc-boot.log", dir);
	assert_string_equal(p, want);
	free(p);
	p = store(st, "0004f2aabbcc-boot.log", "second");
	snprintf(want, sizeof want, "%s/0004f2aabbcc-boot.log.1", dir);
	assert_string_equal(p, want);
	free(p);
	/* A directory prefix from the phone is dropped. */
	p = store(st, "logs/0004f2aabbcc-boot.log", "third");
	snprintf(want, sizeof want, "%s/0004f2aabbcc-boot.log.2", dir);
	assert_string_equal(p, want);
	free(p);
	file_is("0004f2aabbcc-boot.log", "first");
	file_is("0004f2aabbcc-boot.log.1", "second");
	file_is("0004f2aabbcc-boot.log.2", "third");
	assert_int_equal(count_files(), 3);
	upload_store_free(st);
}

static void
test_name_policy(void **state)
{
	struct upload_store	*st;
	struct upload		*up;
	char			*cause = NULL, *p;

	st = upload_store_open(dir, UPLOAD_PHONE_FILES, 1000, &cause);
	up = upload_begin(st, "firmware.bin", &cause);
	assert_null(up);
	assert_non_null(strstr(cause, "'firmware.bin' is not a file phones "
	    "upload"));
	free(cause);
	cause = NULL;
	up = upload_begin(st, "../0004f2aabbcc-boot.log", &cause);
	assert_null(up);
	assert_non_null(strstr(cause, "'..'"));
	free(cause);
	p = store(st, "0004f2aabbcc-calls.xml", "<calls/>");
	free(p);
	upload_store_free(st);

	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1000, &cause);
	p = store(st, "switch-config.txt", "hostname sw1");
	free(p);
	up = upload_begin(st, "/etc/passwd", &cause);
	assert_null(up);
	free(cause);
	file_is("switch-config.txt", "hostname sw1");
	assert_int_equal(count_files(), 2);
	upload_store_free(st);
}

static void
test_size_cap_leaves_nothing(void **state)
{
	struct upload_store	*st;
	struct upload		*up;
	char			*cause = NULL, buf[600];

	memset(buf, 'x', sizeof buf);
	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1000, &cause);
	up = upload_begin(st, "big.bin", &cause);
	assert_int_equal(upload_write(up, buf, 600, &cause), 0);
	assert_int_equal(upload_write(up, buf, 400, &cause), 0);
	assert_int_equal(upload_write(up, buf, 1, &cause), -1);
	assert_string_equal(cause, "the upload is over the limit of 1000 "
	    "bytes");
	free(cause);
	upload_abort(up);
	assert_int_equal(count_files(), 0);
	upload_store_free(st);
}

/* A file system that refuses more bytes (RLIMIT_FSIZE gives EFBIG). */
static void
test_full_disk_leaves_nothing(void **state)
{
	struct upload_store	*st;
	struct upload		*up;
	struct rlimit		 rl = { 4096, 4096 };
	char			*cause = NULL, buf[3000];
	pid_t			 pid;
	int			 status;

	memset(buf, 'y', sizeof buf);
	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, &cause);
	if ((pid = fork()) == 0) {
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		up = upload_begin(st, "full.bin", &cause);
		if (up == NULL)
			_exit(10);
		if (upload_write(up, buf, 3000, &cause) != 0)
			_exit(11);
		if (upload_write(up, buf, 3000, &cause) == 0)
			_exit(12);
		if (strstr(cause, "is full") == NULL)
			_exit(13);
		free(cause);
		upload_abort(up);
		upload_store_free(st);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_files(), 0);
	upload_store_free(st);
}

/* One write of len bytes of 'z' under name; 0 or -1 (cause kept). */
static int
try_store(struct upload_store *st, const char *name, size_t len,
    char **cause)
{
	struct upload	*up;
	char		*buf = malloc(len + 1), *path = NULL;
	int		 rc = -1;

	memset(buf, 'z', len);
	*cause = NULL;
	if ((up = upload_begin(st, name, cause)) == NULL)
		goto out;
	if (upload_write(up, buf, len, cause) != 0) {
		upload_abort(up);
		goto out;
	}
	rc = upload_commit(up, &path, cause);
	free(path);
out:
	free(buf);
	return (rc);
}

static void
test_total_quota(void **state)
{
	struct upload_store	*st;
	struct upload_limits	 lim = { 21000, 0, 0 };
	char			*cause = NULL;

	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, &cause);
	upload_store_set_limits(st, &lim);
	assert_int_equal(try_store(st, "a.bin", 8000, &cause), 0);
	assert_int_equal(try_store(st, "b.bin", 8000, &cause), 0);
	assert_int_equal(upload_store_used(st), 16000);
	assert_int_equal(try_store(st, "c.bin", 8000, &cause), -1);
	assert_non_null(strstr(cause, "quota"));
	free(cause);
	/* Nothing left of the refused one, and its bytes given back. */
	assert_int_equal(count_files(), 2);
	assert_int_equal(upload_store_used(st), 16000);
	/* Empty files count a block each: they cannot exhaust inodes. */
	assert_int_equal(try_store(st, "e.bin", 0, &cause), 0);
	assert_int_equal(upload_store_used(st), 16000 + UPLOAD_MIN_CHARGE);
	assert_int_equal(try_store(st, "f.bin", 0, &cause), -1);
	free(cause);
	upload_store_free(st);
	/* Opened again, the store remembers what it holds. */
	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, &cause);
	assert_int_equal(upload_store_used(st), 16000 + UPLOAD_MIN_CHARGE);
	upload_store_free(st);
}

static void
test_phone_quota(void **state)
{
	struct upload_store	*st;
	struct upload_limits	 lim = { 0, 10000, 0 };
	char			*cause = NULL;

	st = upload_store_open(dir, UPLOAD_PHONE_FILES, 1 << 20, &cause);
	upload_store_set_limits(st, &lim);
	assert_int_equal(try_store(st, "0004f2aabbcc-app.log", 6000,
	    &cause), 0);
	assert_int_equal(try_store(st, "0004f2aabbcc-boot.log", 6000,
	    &cause), -1);
	assert_non_null(strstr(cause, "phone 0004f2aabbcc has used its "
	    "upload quota"));
	free(cause);
	/* Another phone is not held back by the first. */
	assert_int_equal(try_store(st, "0004f2112233-boot.log", 6000,
	    &cause), 0);
	assert_int_equal(upload_store_phone_used(st, "0004f2aabbcc"), 6000);
	assert_int_equal(upload_store_phone_used(st, "0004f2112233"), 6000);
	assert_int_equal(count_files(), 2);
	upload_store_free(st);
}

/* Free space kept for the journal: an upload that would eat it is refused. */
static void
test_reserve(void **state)
{
	struct upload_store	*st;
	struct upload_limits	 lim = { 0, 0, 1ULL << 60 };
	char			*cause = NULL;

	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, &cause);
	upload_store_set_limits(st, &lim);
	assert_int_equal(try_store(st, "a.bin", 100, &cause), -1);
	assert_non_null(strstr(cause, "is full"));
	assert_non_null(strstr(cause, "kept free"));
	free(cause);
	assert_int_equal(count_files(), 0);
	upload_store_free(st);
}

/*
 * The next version comes from what the store holds, not from a probe of
 * NAME, NAME.1, ...: with NAME and NAME.99998 there, the next is NAME.99999
 * (the old probe took NAME.1, and ran through every name to get there).
 */
static void
test_next_version_known(void **state)
{
	struct upload_store	*st;
	char			*cause = NULL, path[128];
	int			 fd;

	snprintf(path, sizeof path, "%s/x.log", dir);
	close(open(path, O_CREAT | O_WRONLY, 0640));
	snprintf(path, sizeof path, "%s/x.log.99998", dir);
	close(open(path, O_CREAT | O_WRONLY, 0640));
	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, &cause);
	assert_int_equal(try_store(st, "x.log", 10, &cause), 0);
	snprintf(path, sizeof path, "%s/x.log.99999", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* The last version there can be: refused, saying why. */
	assert_int_equal(try_store(st, "x.log", 10, &cause), -1);
	assert_non_null(strstr(cause, "versions"));
	free(cause);
	/* Another writer took the next name: the one after it is used. */
	assert_int_equal(try_store(st, "y.log", 10, &cause), 0);
	snprintf(path, sizeof path, "%s/y.log.1", dir);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0640)) >= 0);
	close(fd);
	assert_int_equal(try_store(st, "y.log", 10, &cause), 0);
	snprintf(path, sizeof path, "%s/y.log.2", dir);
	assert_int_equal(access(path, F_OK), 0);
	upload_store_free(st);
}

static void
test_store_dir_errors(void **state)
{
	char	*cause = NULL;

	assert_null(upload_store_open("/nonexistent/a/b", UPLOAD_PHONE_FILES,
	    1, &cause));
	assert_non_null(strstr(cause, "/nonexistent/a/b"));
	free(cause);
}

/*
 * A committed upload is whole and named at once (the fleet may read it);
 * the store's thread fsyncs the files and the folder, grouping the folder's
 * fsync for the files handed to it together.
 */
static void
test_durable_beside_the_loop(void **state)
{
	struct upload_store	*st;
	struct upload_sync_stats ss;
	char			*p, name[64], data[64];
	int			 i;

	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, NULL);
	assert_non_null(st);
	upload_store_sync_stats(st, &ss);
	assert_int_equal(ss.files, 0);
	assert_true(upload_store_durable(st));
	for (i = 0; i < 20; i++) {
		snprintf(data, sizeof data, "Version: 4.0.%d\n", i);
		p = store(st, "app.log", data);
		free(p);
		/* Visible and whole before it is durable. */
		snprintf(name, sizeof name, i == 0 ? "app.log" : "app.log.%d",
		    i);
		file_is(name, data);
	}
	upload_store_settle(st);
	assert_true(upload_store_durable(st));
	upload_store_sync_stats(st, &ss);
	assert_int_equal(ss.files, 20);
	assert_true(ss.folders >= 1 && ss.folders <= 20);
	assert_int_equal(ss.failed, 0);
	/* Settling again with nothing new does not wait. */
	upload_store_settle(st);
	assert_int_equal(count_files(), 20);
	upload_store_free(st);
}

/* Freeing the store fsyncs what was handed to the thread first. */
static void
test_free_drains(void **state)
{
	struct upload_store	*st;
	char			*p;
	int			 i;

	st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, NULL);
	assert_non_null(st);
	for (i = 0; i < 5; i++) {
		p = store(st, "x.log", "bytes");
		free(p);
	}
	upload_store_free(st);
	assert_int_equal(count_files(), 5);
}

/*
 * The journal settles the store before every fsync of its WAL, from the
 * loop (journal_flush) and from its thread (journal_flush_async): a fact
 * naming a stored upload is never fsynced before the upload is.
 */
static struct upload_store *settle_st;
static int	settle_calls;
static int	settle_not_durable;

static void
settle_hook(void *arg, uint64_t upto)
{
	upload_store_settle_upto(arg, upto);
	if (!upload_store_durable(arg))
		__atomic_add_fetch(&settle_not_durable, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&settle_calls, 1, __ATOMIC_RELAXED);
}

/* A journal in DIR/state whose presync settles the upload store settle_st. */
static struct journal *
settle_journal_open(void)
{
	struct journal	*j;
	char		 jdir[128], *cause = NULL;

	snprintf(jdir, sizeof jdir, "%s/state", dir);
	assert_int_equal(mkdir(jdir, 0700), 0);
	settle_st = upload_store_open(dir, UPLOAD_ANY_SAFE_NAME, 1 << 20, NULL);
	assert_non_null(settle_st);
	j = journal_open(jdir, 0, &cause);
	assert_non_null(j);
	journal_set_presync(j, settle_hook, settle_st);
	return (j);
}

static void
settle_journal_close(struct journal *j)
{
	char	cmd[160];

	journal_set_presync(j, NULL, NULL);
	journal_close(j);
	upload_store_free(settle_st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s/state'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_journal_settles_uploads_first(void **state)
{
	struct journal		*j;
	struct journal_event	 ev;
	char			 cmd[160], *p;
	int			 calls;

	j = settle_journal_open();

	memset(&ev, 0, sizeof ev);
	ev.mac = "0004f2aabbcc";
	ev.kind = "note";
	ev.ts = 1;
	/* Inside an event scope: the fact waits for a flush. */
	journal_scope_begin(j, JOURNAL_SCOPE_EVENT);
	p = store(settle_st, "0004f2aabbcc-app.log", "Version: 4.0.8\n");
	ev.evidence = p;
	journal_presync_need(j, upload_store_linked(settle_st));
	assert_int_equal(journal_add_event(j, &ev), 0);
	journal_scope_end(j);
	free(p);
	assert_int_equal(journal_flush(j), 0);
	assert_true(journal_synced(j));
	calls = __atomic_load_n(&settle_calls, __ATOMIC_RELAXED);
	assert_true(calls >= 1);

	/* The same through the journal's thread. */
	journal_scope_begin(j, JOURNAL_SCOPE_EVENT);
	p = store(settle_st, "0004f2aabbcc-app.log", "Version: 4.0.9\n");
	ev.evidence = p;
	journal_presync_need(j, upload_store_linked(settle_st));
	assert_int_equal(journal_add_event(j, &ev), 0);
	journal_scope_end(j);
	free(p);
	assert_int_equal(journal_flush_async(j), 0);
	journal_close(j);
	assert_true(__atomic_load_n(&settle_calls, __ATOMIC_RELAXED) > calls);
	assert_int_equal(__atomic_load_n(&settle_not_durable,
	    __ATOMIC_RELAXED), 0);
	assert_true(upload_store_durable(settle_st));
	upload_store_free(settle_st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s/state'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * No fact names an upload (nothing asked): the journal's fsync does not
 * wait for the store; a need taken back is not waited for either.
 */
static void
test_journal_waits_only_when_named(void **state)
{
	struct journal		*j;
	struct journal_event	 ev;
	char			*p;
	uint64_t		 was;
	int			 before;

	j = settle_journal_open();
	before = __atomic_load_n(&settle_calls, __ATOMIC_RELAXED);
	p = store(settle_st, "0004f2aabbcc-app.log", "no fact");
	free(p);
	was = journal_presync_need(j, upload_store_linked(settle_st));
	assert_int_equal(was, 0);
	journal_presync_restore(j, upload_store_linked(settle_st), was);
	assert_int_equal(journal_last_fact(j), 0);
	memset(&ev, 0, sizeof ev);
	ev.mac = "0004f2aabbcc";
	ev.kind = "note";
	ev.ts = 1;
	ev.evidence = "names no upload";
	assert_int_equal(journal_add_event(j, &ev), 0);
	assert_true(journal_last_fact(j) > 0);
	assert_int_equal(journal_flush(j), 0);
	assert_int_equal(__atomic_load_n(&settle_calls, __ATOMIC_RELAXED),
	    before);
	settle_journal_close(j);
}

/*
 * SQLite's own checkpoint fsyncs the WAL too: the journal runs it from its
 * WAL hook, after the presync.
 */
static void
test_journal_checkpoint_settles_first(void **state)
{
	struct journal		*j;
	struct journal_event	 ev;
	char			*p;
	char			 big[3500];
	int			 before, i;

	j = settle_journal_open();
	p = store(settle_st, "0004f2aabbcc-app.log", "Version: 4.0.8\n");
	journal_presync_need(j, upload_store_linked(settle_st));
	free(p);
	before = __atomic_load_n(&settle_calls, __ATOMIC_RELAXED);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memset(&ev, 0, sizeof ev);
	ev.mac = "0004f2aabbcc";
	ev.kind = "note";
	ev.ts = 1;
	ev.evidence = big;
	/* Inside an event scope: no fsync of the journal's own. */
	journal_scope_begin(j, JOURNAL_SCOPE_EVENT);
	for (i = 0; i < 5000 && journal_checkpoints(j) == 0; i++)
		assert_int_equal(journal_add_event(j, &ev), 0);
	journal_scope_end(j);
	assert_true(journal_checkpoints(j) > 0);
	assert_true(__atomic_load_n(&settle_calls, __ATOMIC_RELAXED) > before);
	assert_int_equal(__atomic_load_n(&settle_not_durable,
	    __ATOMIC_RELAXED), 0);
	settle_journal_close(j);
}

/* Without a hook set, or after it is taken away, nothing is called. */
static void
test_journal_presync_removed(void **state)
{
	struct journal		*j;
	struct journal_event	 ev;
	char			 cmd[160];
	int			 before;

	j = settle_journal_open();
	journal_presync_need(j, 1);
	journal_set_presync(j, NULL, NULL);
	upload_store_free(settle_st);
	before = __atomic_load_n(&settle_calls, __ATOMIC_RELAXED);
	memset(&ev, 0, sizeof ev);
	ev.mac = "0004f2aabbcc";
	ev.kind = "note";
	ev.ts = 1;
	ev.evidence = "nothing stored";
	assert_int_equal(journal_add_event(j, &ev), 0);
	assert_int_equal(journal_flush(j), 0);
	journal_close(j);
	assert_int_equal(__atomic_load_n(&settle_calls, __ATOMIC_RELAXED),
	    before);
	snprintf(cmd, sizeof cmd, "rm -rf '%s/state'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions_never_overwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_policy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_size_cap_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test(test_store_dir_errors),
		cmocka_unit_test_setup_teardown(test_total_quota, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_phone_quota, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_version_known, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_durable_beside_the_loop,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_drains, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_settles_uploads_first, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_waits_only_when_named, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_checkpoint_settles_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_presync_removed,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("upload", tests, NULL, NULL));
}
