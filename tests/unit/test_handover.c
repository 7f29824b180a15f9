/*
 * handover(): root gives a state file to the service user, never what a
 * link planted in the state directory points to.  Run as root (as the
 * daemon is when it hands its files over); otherwise only the refusals.
 */
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

#include "handover.h"

#define USER_ID	65534

static char	dir[64];

static char *
at(const char *name)
{
	static char	path[128];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return (path);
}

static void
make_file(const char *name)
{
	int	fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd != -1);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test-handover.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
refused(const char *name, const char *why)
{
	char	*cause = NULL;
	char	 path[128];

	snprintf(path, sizeof path, "%s", at(name));
	assert_int_equal(handover(path, USER_ID, USER_ID, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, why) == NULL)
		fail_msg("'%s' does not say '%s'", cause, why);
	free(cause);
}

static void
test_symlink_not_followed(void **state)
{
	struct stat	sb;
	char		target[128];

	(void)state;
	make_file("secret");
	snprintf(target, sizeof target, "%s", at("secret"));
	assert_int_equal(symlink(target, at("ca.pem")), 0);
	refused("ca.pem", "is a symbolic link: not handed over");
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_uid, getuid());
}

static void
test_hard_link_not_handed(void **state)
{
	struct stat	sb;
	char		target[128];

	(void)state;
	make_file("secret2");
	snprintf(target, sizeof target, "%s", at("secret2"));
	assert_int_equal(link(target, at("settings.json")), 0);
	refused("settings.json", "a file with more than one link");
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_uid, getuid());
}

static void
test_fifo_not_handed(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(at("uploads"), 0600), 0);
	refused("uploads", "neither a file, a folder nor a socket");
}

static void
test_missing(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(handover(at("none"), USER_ID, USER_ID, &cause), 1);
	assert_null(cause);
}

static void
test_plain_file_handed(void **state)
{
	struct stat	sb;
	char		*cause = NULL;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_file("journal.db");
	assert_int_equal(handover(at("journal.db"), USER_ID, USER_ID,
	    &cause), 0);
	assert_int_equal(stat(at("journal.db"), &sb), 0);
	assert_int_equal(sb.st_uid, USER_ID);
	assert_int_equal(mkdir(at("library"), 0700), 0);
	assert_int_equal(handover(at("library"), USER_ID, USER_ID, &cause), 0);
	assert_int_equal(stat(at("library"), &sb), 0);
	assert_int_equal(sb.st_uid, USER_ID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_symlink_not_followed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_link_not_handed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_not_handed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_file_handed, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
