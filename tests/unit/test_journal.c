/* The journal: rows survive a reopen, events keep their order and evidence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_phone_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_full_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_readonly_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transfers_and_syslog,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("journal", tests, NULL, NULL));
}
