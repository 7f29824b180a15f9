/*
 * fileio: a replaced file is the old one or the new one, never a truncated
 * mix (a write that fails half way, as on a full disk, is simulated with
 * RLIMIT_FSIZE); a planted link is not followed; small files read whole.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"

static char	dir[64];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/test-fileio.XXXXXX");
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static char *
slurp(const char *path)
{
	static char	buf[8192];
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (NULL);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return (buf);
}

/* Nothing but the named files in dir: no temporary file left behind. */
static int
entries(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

static void
test_replace_new_and_existing(void **state)
{
	char		 path[128], *cause = NULL;
	struct stat	 st;
	mode_t		 old;

	snprintf(path, sizeof path, "%s/a", dir);
	old = umask(077);
	assert_int_equal(fileio_replace(path, "one\n", 4, 0644, 0, &cause), 0);
	umask(old);
	assert_null(cause);
	assert_string_equal(slurp(path), "one\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);	/* not the umask */

	assert_int_equal(fileio_replace(path, "two", 3, 0600, FILEIO_NOSYNC,
	    &cause), 0);
	assert_string_equal(slurp(path), "two");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fileio_replace(path, "", 0, 0600, 0, &cause), 0);
	assert_string_equal(slurp(path), "");
	assert_int_equal(entries(), 1);
	unlink(path);
}

/* A link planted at the temporary name is removed, not written through. */
static void
test_replace_planted_link(void **state)
{
	char	path[128], tmp[160], victim[128], *cause = NULL;

	snprintf(path, sizeof path, "%s/b", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	assert_int_equal(fileio_replace(victim, "precious", 8, 0600, 0,
	    &cause), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(fileio_replace(path, "new", 3, 0600, 0, &cause), 0);
	assert_string_equal(slurp(victim), "precious");
	assert_string_equal(slurp(path), "new");
	assert_int_equal(entries(), 2);
	unlink(path);
	unlink(victim);
}

/* A write that stops half way (the disk is full): the old file stays. */
static void
test_replace_short_write(void **state)
{
	char		 path[128], big[4096], *cause = NULL;
	struct rlimit	 rl, saved;
	void		(*oldsig)(int);
	int		 rc;

	snprintf(path, sizeof path, "%s/ca.pem", dir);
	assert_int_equal(fileio_replace(path, "good\n", 5, 0644, 0, &cause),
	    0);
	memset(big, 'x', sizeof big);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	rl = saved;
	rl.rlim_cur = 1000;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	rc = fileio_replace(path, big, sizeof big, 0644, 0, &cause);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EFBIG);
	assert_non_null(cause);
	if (strstr(cause, "cannot write") == NULL ||
	    strstr(cause, "while writing") == NULL ||
	    strstr(cause, "is left as it was") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	assert_string_equal(slurp(path), "good\n");
	assert_int_equal(entries(), 1);
	unlink(path);
}

static void
test_replace_no_folder(void **state)
{
	char	path[128], *cause = NULL;

	snprintf(path, sizeof path, "%s/missing/c", dir);
	assert_int_equal(fileio_replace(path, "x", 1, 0600, 0, &cause), -1);
	assert_int_equal(errno, ENOENT);
	if (strstr(cause, "cannot write") == NULL ||
	    strstr(cause, path) == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
}

/* Over a directory: rename fails, the temporary file goes. */
static void
test_replace_over_directory(void **state)
{
	char	path[128], *cause = NULL;

	snprintf(path, sizeof path, "%s/d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(fileio_replace(path, "x", 1, 0600, 0, &cause), -1);
	if (strstr(cause, "while renaming") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	assert_int_equal(entries(), 1);
	rmdir(path);
}

static void
test_read(void **state)
{
	char	path[128], *cause = NULL, *buf;
	size_t	len = 99;

	snprintf(path, sizeof path, "%s/r", dir);
	assert_int_equal(fileio_replace(path, "abc\0def", 7, 0600, 0, &cause),
	    0);
	assert_non_null(buf = fileio_read(path, NULL, 7, &len, &cause));
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "abc\0def", 8);	/* NUL-terminated */
	free(buf);

	assert_null(fileio_read(path, NULL, 6, &len, &cause));
	if (strstr(cause, "larger than 6 bytes") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	cause = NULL;

	assert_int_equal(fileio_replace(path, "", 0, 0600, 0, &cause), 0);
	assert_non_null(buf = fileio_read(path, NULL, 7, &len, &cause));
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	unlink(path);

	assert_null(fileio_read(path, NULL, 7, &len, &cause));
	if (strncmp(cause, "cannot open /tmp/", 17) != 0 ||
	    strstr(cause, "No such file") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
	cause = NULL;
	assert_null(fileio_read(dir, "the CA file", 7, &len, &cause));
	if (strncmp(cause, "the CA file /tmp/", 17) != 0 ||
	    strstr(cause, "is not a regular file") == NULL)
		fail_msg("cause: %s", cause);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_new_and_existing),
		cmocka_unit_test(test_replace_planted_link),
		cmocka_unit_test(test_replace_short_write),
		cmocka_unit_test(test_replace_no_folder),
		cmocka_unit_test(test_replace_over_directory),
		cmocka_unit_test(test_read),
	};

	return (cmocka_run_group_tests_name("fileio", tests, setup,
	    teardown));
}
