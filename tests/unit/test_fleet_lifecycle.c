/*
 * The lifecycle table (appliance/fleet-lifecycle.c) and the diagram in
 * docs/engine.md are the same thing; and the fleet applies the table only:
 * every transition is journalled with the state it left, and a transition
 * the journal cannot record is not made.
 */
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
#include "models.h"
#include "xmalloc.h"

#define MAC	"0004f2000001"

struct ctx {
	char			 dir[64];
	struct journal		*j;
	struct model_table	*models;
	struct fleet		*f;
	unsigned		 notified;
};

static void
notified(void *arg, const struct phone *p)
{
	struct ctx	*c = arg;

	c->notified++;
}

static int
setup(void **state)
{
	struct ctx		*c = xcalloc(1, sizeof *c);
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	char			*cause = NULL;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(c->dir, sizeof c->dir, "/tmp/test-lifecycle.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->j = journal_open(c->dir, 0, &cause);
	assert_non_null(c->j);
	c->models = model_table_load_default(&cause);
	assert_non_null(c->models);
	c->f = fleet_new(c->j, c->models, &cfg);
	fleet_set_notify(c->f, notified, c);
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;
	char		 cmd[128];

	fleet_free(c->f);
	journal_close(c->j);
	model_table_free(c->models);
	snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	return (0);
}

/* docs/engine.md, from the top of the tree the tests run in. */
static char *
read_engine_md(void)
{
	const char	*top = getenv("TOP");
	char		 path[512], *buf;
	FILE		*fp;
	long		 len;

	snprintf(path, sizeof path, "%s/docs/engine.md", top != NULL ? top :
	    ".");
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = xmalloc(len + 1);
	assert_int_equal(fread(buf, 1, len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return (buf);
}

/* The diagram between its markers is exactly the table. */
static void
test_diagram_is_the_table(void **state)
{
	const char	*begin = "<!-- lifecycle table: begin -->\n";
	const char	*end = "<!-- lifecycle table: end -->";
	char		*doc = read_engine_md(), *want, *a, *b;

	want = fleet_lifecycle_markdown();
	if ((a = strstr(doc, begin)) == NULL ||
	    (b = strstr(a, end)) == NULL) {
		free(want);
		free(doc);
		fail_msg("docs/engine.md has no lifecycle table markers");
	}
	a += strlen(begin);
	*b = '\0';
	if (strcmp(a, want) != 0) {
		fprintf(stderr, "it should read:\n%s", want);
		free(want);
		free(doc);
		fail_msg("docs/engine.md's state diagram is not the lifecycle "
		    "table");
	}
	free(want);
	free(doc);
}

/* Every state can be left and reached; no event is without a row. */
static void
test_table_is_whole(void **state)
{
	const struct fleet_lifecycle_row	*r;
	unsigned				 left = 0, reached = 0;
	unsigned				 events = 0;
	size_t					 i;

	for (i = 0; (r = fleet_lifecycle_at(i)) != NULL; i++) {
		left |= r->from;
		if (r->to < PHONE_NSTATES)
			reached |= 1U << r->to;
		else	/* start again: seen or identified */
			reached |= (1U << PHONE_SEEN) |
			    (1U << PHONE_IDENTIFIED);
		events |= 1U << r->event;
		/* One row per (state, event): the first is the only. */
		assert_ptr_equal(fleet_lifecycle_row(__builtin_ctz(r->from),
		    r->event), r);
	}
	assert_int_equal(left, (1U << PHONE_NSTATES) - 1);
	assert_int_equal(reached, (1U << PHONE_NSTATES) - 1);
	assert_int_equal(events, (1U << FLEET_NEVENTS) - 1);
}

/* The targets that depend on the phone. */
static void
test_dependent_targets(void **state)
{
	enum phone_state	to;

	assert_int_equal(fleet_lifecycle_next(PHONE_FAILED, FEV_BOOT, 1,
	    PHONE_SEEN, &to), 0);
	assert_int_equal(to, PHONE_IDENTIFIED);
	assert_int_equal(fleet_lifecycle_next(PHONE_FAILED, FEV_BOOT, 0,
	    PHONE_SEEN, &to), 0);
	assert_int_equal(to, PHONE_SEEN);
	assert_int_equal(fleet_lifecycle_next(PHONE_HELD, FEV_RELEASE, 1,
	    PHONE_CURRENT, &to), 0);
	assert_int_equal(to, PHONE_CURRENT);
	assert_int_equal(fleet_lifecycle_next(PHONE_HELD, FEV_RELEASE, 1,
	    PHONE_FAILED, &to), 0);
	assert_int_equal(to, PHONE_IDENTIFIED);
	/* An image that proved nothing: back to where its start found it. */
	assert_int_equal(fleet_lifecycle_next(PHONE_UPGRADING,
	    FEV_IMAGE_UNPROVED, 1, PHONE_SEEN, &to), 0);
	assert_int_equal(to, PHONE_IDENTIFIED);
	/* Not in the table: no move. */
	assert_int_equal(fleet_lifecycle_next(PHONE_RECOVERED,
	    FEV_IMAGE_STARTED, 1, PHONE_SEEN, &to), -1);
	assert_int_equal(fleet_lifecycle_next(PHONE_SEEN, FEV_QUIET, 1,
	    PHONE_SEEN, &to), -1);
}

/*
 * Defect 7 of issue 14: the state events of the journal form one chain
 * (each leaves the state the one before entered).  On the old fleet an
 * abandoned image moved "upgrading" back to "identified" without a
 * journal row, so the next row left a state the journal never entered.
 */
static void
test_every_change_journalled(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 v;
	json_t			*evs, *e;
	const char		*prev = NULL, *from, *to;
	char			*cause = NULL;
	size_t			 i, n = 0;

	p = fleet_seen(c->f, MAC, "10.0.0.1", 1, 1000, "t");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "t");
	fleet_image_started(c->f, p, "3111-46162-001.sip.ld", 1000, 1002,
	    "t");
	assert_int_equal(p->state, PHONE_UPGRADING);
	assert_int_equal(ucs_version_parse("4.1.7.5432", &v, &cause), 0);
	fleet_image_finished(c->f, p, "3111-46162-001.sip.ld", &v,
	    IMAGE_ABANDONED, 512, 1000, 1003, "t: abandoned after the header");
	assert_int_equal(p->state, PHONE_CURRENT);

	evs = journal_events_json(c->j, MAC);
	json_array_foreach(evs, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "kind")),
		    "state") != 0)
			continue;
		from = json_string_value(json_object_get(e, "from"));
		to = json_string_value(json_object_get(e, "to"));
		if (prev != NULL && (from == NULL || strcmp(from, prev) != 0))
			fail_msg("a state row leaves %s, but the one before "
			    "entered %s", from != NULL ? from : "(none)", prev);
		prev = to;
		n++;
	}
	assert_string_equal(prev, "current");
	assert_true(n >= 4);	/* seen, identified, upgrading, current */
	json_decref(evs);
}

/* Drop the events table under the journal: it cannot record anything. */
static void
break_journal(struct ctx *c)
{
	sqlite3	*db;
	char	 path[128];

	snprintf(path, sizeof path, "%s/%s", c->dir, JOURNAL_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE events", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * Defect 7: a transition the journal cannot record is not made, and the
 * clients are not told of a change that did not happen.  On the old fleet
 * the phone moved on and the failure was ignored.
 */
static void
test_unrecorded_not_made(void **state)
{
	struct ctx	*c = *state;
	struct phone	*p;
	unsigned	 before;

	p = fleet_seen(c->f, MAC, "10.0.0.1", 1, 1000, "t");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "t");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	break_journal(c);
	before = c->notified;
	fleet_image_started(c->f, p, "3111-46162-001.sip.ld", 1000, 1002,
	    "t");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_int_equal(p->state_since, 1001);
	assert_int_equal(c->notified, before);
	fleet_fail(c->f, p, "test", 1003, "t");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_null(p->reason);
}

/*
 * Stronger evidence of an older version overturns a state reached on
 * weaker evidence.  A SoundPoint IP 670 whose BootROM cannot load UC
 * Software 4.x stops reading the 4.0.8 image after its header, which the
 * transfer table reads as "runs 4.0.8"; its application then says 3.2.3
 * in its User-Agent.  It is not current, and not trusting or re-pointed
 * either: it fails with the likely cause and the remedy, journalled with
 * the evidence.  On the old fleet the version changed and the state
 * stayed current (or trusting).
 */
static void
overturn_from(struct ctx *c, int trust)
{
	struct phone		*p;
	struct ucs_version	 img, app;
	char			*cause = NULL;
	json_t			*evs, *e;
	const char		*to, *ev;
	size_t			 i;
	int			 found = 0;

	assert_int_equal(ucs_version_parse("4.0.8.0931", &img, &cause), 0);
	assert_int_equal(ucs_version_parse("3.2.3.1734", &app, &cause), 0);
	p = fleet_seen(c->f, MAC, "10.0.0.1", 1, 1000, "t");
	fleet_learn_model(c->f, p, "SPIP670", NULL, 1001, "t");
	fleet_image_started(c->f, p, "2345-12670-001.sip.ld", 1004585, 1002,
	    "t");
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &img,
	    IMAGE_ABANDONED, 512, 1004585, 1003, "t: closed after 512 bytes");
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_int_equal(p->version_source, VSRC_ABANDON);
	if (trust) {
		fleet_phase2_served(c->f, p, 0, 1004, "t");
		assert_int_equal(p->state, PHONE_TRUSTING);
	}
	fleet_learn_version(c->f, p, &app, VSRC_UA, 1005,
	    "User-Agent: Polycom SPIP_670-UA/3.2.3.1734 Type/Application");
	assert_string_equal(p->version, "3.2.3.1734");
	assert_int_equal(p->version_source, VSRC_UA);
	assert_string_equal(p->version_before, "3.2.3.1734");
	assert_int_equal(p->state, PHONE_FAILED);
	assert_non_null(p->reason);
	assert_non_null(strstr(p->reason, "BootROM"));
	assert_non_null(strstr(p->reason, "3.2.3.1734"));
	assert_false(fleet_proved_target(c->f, p));

	/* Journalled with the evidence that overturned it. */
	evs = journal_events_json(c->j, MAC);
	json_array_foreach(evs, i, e) {
		to = json_string_value(json_object_get(e, "to"));
		ev = json_string_value(json_object_get(e, "evidence"));
		if (to != NULL && strcmp(to, "failed") == 0 && ev != NULL &&
		    strstr(ev, "3.2.3.1734") != NULL)
			found = 1;
	}
	json_decref(evs);
	assert_true(found);

	/*
	 * Its next boot: the BootROM abandons the image again.  That cannot
	 * outweigh the application's word: it is not current again.
	 */
	fleet_seen(c->f, MAC, "10.0.0.1", 1, 60000, "t: master config");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	fleet_image_started(c->f, p, "2345-12670-001.sip.ld", 1004585, 60001,
	    "t");
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &img,
	    IMAGE_ABANDONED, 512, 1004585, 60002, "t: closed after 512 bytes");
	assert_int_equal(p->state, PHONE_FAILED);
	assert_string_equal(p->version, "3.2.3.1734");
	assert_false(fleet_proved_target(c->f, p));
}

static void
test_older_overturns_abandon(void **state)
{
	overturn_from(*state, 0);
}

static void
test_older_overturns_trusting(void **state)
{
	overturn_from(*state, 1);
}

/* Not overturned: a phone that really took its image whole, then says so. */
static void
test_abandon_after_flash_stands(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 img, app;
	char			*cause = NULL;

	assert_int_equal(ucs_version_parse("4.0.8.0931", &img, &cause), 0);
	assert_int_equal(ucs_version_parse("3.2.3.1734", &app, &cause), 0);
	p = fleet_seen(c->f, MAC, "10.0.0.1", 1, 1000, "t");
	fleet_learn_model(c->f, p, "SPIP670", NULL, 1001, "t");
	fleet_learn_version(c->f, p, &app, VSRC_UA, 1002, "t");
	fleet_image_started(c->f, p, "2345-12670-001.sip.ld", 1004585, 1003,
	    "t");
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &img,
	    IMAGE_COMPLETE, 1004585, 1004585, 1004, "t");
	assert_int_equal(p->state, PHONE_REBOOTING);
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &img,
	    IMAGE_ABANDONED, 512, 1004585, 1005, "t");
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_string_equal(p->version, "4.0.8.0931");
	assert_string_equal(p->version_before, "3.2.3.1734");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diagram_is_the_table),
		cmocka_unit_test(test_table_is_whole),
		cmocka_unit_test(test_dependent_targets),
		cmocka_unit_test_setup_teardown(test_every_change_journalled,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unrecorded_not_made,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_overturns_abandon,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_overturns_trusting,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_abandon_after_flash_stands, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
