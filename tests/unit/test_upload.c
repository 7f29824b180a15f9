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

static void
test_store_dir_errors(void **state)
{
	char	*cause = NULL;

	assert_null(upload_store_open("/nonexistent/a/b", UPLOAD_PHONE_FILES,
	    1, &cause));
	assert_non_null(strstr(cause, "/nonexistent/a/b"));
	free(cause);
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
	};

	return (cmocka_run_group_tests_name("upload", tests, NULL, NULL));
}
