/* Names from the network: every refused form, and confinement beneath a root. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pathsafe.h"

static char	root[64], outside[64];
static int	rootfd = -1;

static void
refused(const char *name, size_t len, const char *why)
{
	char	*cause = NULL;

	assert_int_equal(pathsafe_check(name, len, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, why) == NULL)
		fail_msg("'%s' does not say '%s'", cause, why);
	free(cause);
}

static void
accepted(const char *name)
{
	char	*cause = NULL;

	assert_int_equal(pathsafe_check(name, strlen(name), &cause), 0);
	assert_null(cause);
}

static void
test_accepted_names(void **state)
{
	accepted("0004f2aabbcc.cfg");
	accepted("3111-46162-001.sip.ld");
	accepted("sub/dir/file.bin");
	accepted("...");
	accepted("a..b");
	accepted("..a");
	accepted("caf\xc3\xa9.txt");
}

static void
test_refused_names(void **state)
{
	char	longname[PATHSAFE_NAME_MAX + 2];

	refused("", 0, "empty");
	refused("..", 2, "'..' component");
	refused("../etc/passwd", 13, "'..' component");
	refused("a/../../etc", 11, "'..' component");
	refused("a/..", 4, "'..' component");
	refused("./a", 3, "'.' or '..'");
	refused("a//b", 4, "empty");
	refused("a/", 2, "ends with a slash");
	refused("/etc/passwd", 11, "absolute");
	refused("a\0../x", 6, "NUL");
	refused("a\nb", 3, "control character");
	refused("a\x1b[2Jb", 6, "control character");
	refused("a\x7f", 2, "control character");
	refused("a\\..\\b", 6, "backslash");
	memset(longname, 'a', sizeof longname);
	refused(longname, PATHSAFE_NAME_MAX + 1, "over the limit");
	/* Exactly the limit is fine. */
	assert_int_equal(pathsafe_check(longname, PATHSAFE_NAME_MAX, NULL), 0);
}

static void
test_escaped_in_cause(void **state)
{
	char	*cause = NULL;

	assert_int_equal(pathsafe_check("\x1b]0;x\a/..", 9, &cause), -1);
	assert_null(strchr(cause, '\x1b'));
	assert_non_null(strstr(cause, "\\x1b"));
	free(cause);
}

static int
setup(void **state)
{
	char	path[128];
	int	fd;

	strcpy(root, "/tmp/ztp-pathsafe.XXXXXX");
	strcpy(outside, "/tmp/ztp-pathsafe-out.XXXXXX");
	if (mkdtemp(root) == NULL || mkdtemp(outside) == NULL)
		return (-1);
	snprintf(path, sizeof path, "%s/secret", outside);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	write(fd, "secret", 6);
	close(fd);
	snprintf(path, sizeof path, "%s/file", root);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	write(fd, "hello", 5);
	close(fd);
	snprintf(path, sizeof path, "%s/sub", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sub/inner-link", root);
	symlink("../file", path);
	snprintf(path, sizeof path, "%s/escape", root);
	{
		char	target[128];

		snprintf(target, sizeof target, "%s/secret", outside);
		symlink(target, path);
	}
	snprintf(path, sizeof path, "%s/relescape", root);
	symlink("../../../../../../etc/passwd", path);
	snprintf(path, sizeof path, "%s/fifo", root);
	mkfifo(path, 0644);
	snprintf(path, sizeof path, "%s/loop1", root);
	symlink("loop2", path);
	snprintf(path, sizeof path, "%s/loop2", root);
	symlink("loop1", path);
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	return (rootfd == -1 ? -1 : 0);
}

static int
teardown(void **state)
{
	char	cmd[256];

	close(rootfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, outside);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
open_refused(const char *name, int code, const char *why)
{
	char	*cause = NULL;
	int	 err = -1;

	assert_int_equal(pathsafe_open(rootfd, name, &err, &cause), -1);
	assert_int_equal(err, code);
	if (strstr(cause, why) == NULL)
		fail_msg("'%s' does not say '%s'", cause, why);
	free(cause);
}

static void
test_open_beneath(void **state)
{
	char	buf[16], *cause = NULL;
	int	fd, err = -1;

	fd = pathsafe_open(rootfd, "file", &err, &cause);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 5);
	close(fd);
	/* A symlink that stays inside is fine. */
	fd = pathsafe_open(rootfd, "sub/inner-link", &err, &cause);
	assert_true(fd >= 0);
	close(fd);

	open_refused("missing", 1, "not found");
	open_refused("sub/missing", 1, "not found");
	open_refused("escape", 2, "outside the served directory");
	open_refused("relescape", 2, "outside the served directory");
	/* A loop is not said to lead outside (it sent people to the wrong fix). */
	open_refused("loop1", 2, "a symbolic link that loops");
	open_refused("../etc/passwd", 2, "'..'");
	open_refused("/etc/passwd", 2, "absolute");
	open_refused("sub", 2, "not a regular file");
	open_refused("fifo", 2, "not a regular file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_names),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_escaped_in_cause),
		cmocka_unit_test(test_open_beneath),
	};

	return (cmocka_run_group_tests_name("pathsafe", tests, setup,
	    teardown));
}
