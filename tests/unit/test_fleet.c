/*
 * The fleet's state machine: every path of docs/engine.md ("States"),
 * driven as the serving code drives it, with the journal underneath.
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

#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "models.h"

struct ctx {
	char			 dir[64];
	struct journal		*j;
	struct model_table	*models;
	struct fleet		*f;
};

static const char MAC[] = "0004f2000001";

static struct ucs_version
ver(const char *s)
{
	struct ucs_version	 v;
	char			*cause = NULL;

	assert_int_equal(ucs_version_parse(s, &v, &cause), 0);
	return (v);
}

static int
setup_policy(void **state, enum unknown_policy policy)
{
	struct ctx		*c = calloc(1, sizeof *c);
	struct fleet_config	 cfg = { policy, 5000, 3, 3, 0 };
	char			*cause = NULL;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(c->dir, sizeof c->dir, "/tmp/test-fleet.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->j = journal_open(c->dir, 0, &cause);
	assert_non_null(c->j);
	c->models = model_table_load_default(&cause);
	assert_non_null(c->models);
	c->f = fleet_new(c->j, c->models, &cfg);
	*state = c;
	return (0);
}

static int
setup(void **state)
{
	return (setup_policy(state, UNKNOWN_UPGRADE));
}

static int
setup_hold(void **state)
{
	return (setup_policy(state, UNKNOWN_HOLD));
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

static void
test_full_recovery(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 old = ver("4.1.4.7430"), tgt = ver("4.1.7.5432");
	const char		*why;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET 0004f2000001.cfg");
	assert_int_equal(p->state, PHONE_SEEN);
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "User-Agent");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_string_equal(p->part, "3111-46162-001");
	assert_string_equal(p->target, "4.1.7");
	fleet_learn_version(c->f, p, &old, VSRC_UA, 1002, "UA Application");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_string_equal(p->version_before, "4.1.4.7430");
	assert_int_equal(fleet_image_verdict(c->f, p, 1003, &why), IMAGE_OFFER);
	fleet_image_started(c->f, p, "3111-46162-001.sip.ld", 100, 1003, "GET");
	assert_int_equal(p->state, PHONE_UPGRADING);
	fleet_image_finished(c->f, p, "3111-46162-001.sip.ld", &tgt,
	    IMAGE_COMPLETE, 100, 100, 1004, "whole");
	assert_int_equal(p->state, PHONE_REBOOTING);
	assert_int_equal(fleet_proved_target(c->f, p), 0);
	/* Back after the flash: the Updater abandons the image. */
	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 2000, "GET 0004f2000001.cfg");
	assert_int_equal(p->state, PHONE_REBOOTING);
	fleet_image_started(c->f, p, "3111-46162-001.sip.ld", 100, 2001, "GET");
	assert_int_equal(p->state, PHONE_REBOOTING);
	fleet_image_finished(c->f, p, "3111-46162-001.sip.ld", &tgt,
	    IMAGE_ABANDONED, 1, 100, 2002, "closed after the header");
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_string_equal(p->version, "4.1.7.5432");
	assert_int_equal(p->version_source, VSRC_ABANDON);
	assert_string_equal(p->version_before, "4.1.4.7430");
	assert_int_equal(fleet_proved_target(c->f, p), 1);
	fleet_set_trust(c->f, "ab", "ztp");
	fleet_phase2_served(c->f, p, 0, 2003, "GET ztp-rescue-0004f2000001.cfg");
	assert_int_equal(p->state, PHONE_TRUSTING);
	assert_string_equal(p->ca_sha256, "ab");
	fleet_phase2_served(c->f, p, 1, 2004, "delivered");
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_tick(c->f, 2004 + 4999);
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_tick(c->f, 2004 + 5000);
	assert_int_equal(p->state, PHONE_RECOVERED);
	/* 1 new + model + identified + version + upgrading + rebooting +
	 * version + current + trusting + repointed + repointed-quiet */
	assert_int_equal(journal_count(c->j, "events"), 11);
}

/*
 * The wall clock set a day ahead right after a phone fetched its re-point
 * file (a technician fixing the laptop's time, as a CA refusal tells him
 * to): the quiet period still counts the time that passed.  Before, every
 * re-pointed phone was "repointed-quiet" at the next tick.
 */
static void
test_clock_set_ahead(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 tgt = ver("4.1.7.5432");
	const int64_t		 day = 86400000;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET 0004f2000001.cfg");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "User-Agent");
	fleet_learn_version(c->f, p, &tgt, VSRC_UA, 1002, "UA Application");
	assert_int_equal(p->state, PHONE_CURRENT);
	fleet_set_trust(c->f, "ab", "ztp");
	fleet_phase2_served(c->f, p, 0, 1003, "GET ztp-rescue.cfg");
	fleet_phase2_served(c->f, p, 1, 1004, "delivered");
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_clock_moved(c->f, day);
	assert_int_equal(p->last_seen, 1004 + day);
	fleet_tick(c->f, 1004 + day + 1000);
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_tick(c->f, 1004 + day + 5000);
	assert_int_equal(p->state, PHONE_RECOVERED);
}

/*
 * The phones' cable out for longer than the quiet period right after a
 * phone fetched its re-point file: it was made repointed-quiet while no
 * request could have reached the daemon.  Now silence counts only while
 * the link is there, from its return.
 */
static void
test_link_down_not_quiet(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 tgt = ver("4.1.7.5432");
	json_t			*evs, *e;
	size_t			 i;
	int			 said = 0;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET 0004f2000001.cfg");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "User-Agent");
	fleet_learn_version(c->f, p, &tgt, VSRC_UA, 1002, "UA Application");
	fleet_set_trust(c->f, "ab", "ztp");
	fleet_phase2_served(c->f, p, 0, 1003, "GET ztp-rescue.cfg");
	fleet_phase2_served(c->f, p, 1, 1004, "delivered");
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_set_listening(c->f, 0, 2000);
	fleet_tick(c->f, 2000 + 40000);
	assert_int_equal(p->state, PHONE_REPOINTED);
	/* Back at 45 s: 5 s of silence from then, not before. */
	fleet_set_listening(c->f, 1, 45000);
	fleet_tick(c->f, 45000 + 4999);
	assert_int_equal(p->state, PHONE_REPOINTED);
	fleet_tick(c->f, 45000 + 5000);
	assert_int_equal(p->state, PHONE_RECOVERED);
	evs = journal_events_json(c->j, MAC);
	json_array_foreach(evs, i, e) {
		if (json_is_string(json_object_get(e, "evidence")) &&
		    strstr(json_string_value(json_object_get(e, "evidence")),
		    "since the phones' link came back") != NULL)
			said = 1;
	}
	json_decref(evs);
	assert_true(said);
}

static void
test_newer_never_downgraded(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 newer = ver("5.9.7.4477");
	const char		*why;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &newer, VSRC_UA, 1002, "UA");
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_non_null(strstr(p->reason, "newer than its target 4.1.7"));
	assert_int_equal(fleet_image_verdict(c->f, p, 1003, &why),
	    IMAGE_REFUSE_NEWER);
	assert_int_equal(fleet_proved_target(c->f, p), 1);
}

/*
 * A token the table does not know is the phone's word alone: not held, so
 * that it names its part; a part the table does not know holds it, and so
 * does an unknown token on a phone whose model the table knows.
 */
static void
test_unknown_model_held(void **state)
{
	struct ctx	*c = *state;
	struct phone	*p;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX999", NULL, 1001, "UA");
	assert_int_equal(p->state, PHONE_SEEN);
	assert_string_equal(p->model, "VVX999");
	fleet_learn_model(c->f, p, NULL, "9999-99999-001", 1002, "GET");
	assert_int_equal(p->state, PHONE_HELD);
	assert_string_equal(p->reason, "part number 9999-99999-001 is not in "
	    "the models table: nothing is served to it (the table holds the "
	    "part numbers of Polycom's "
	    "notification, 'ztp-rescue models'; check the phone's label, and "
	    "recover another model by hand)");
	p = fleet_seen(c->f, "0004f2000002", "10.0.0.6", 1, 1000, "GET");
	fleet_learn_model(c->f, p, NULL, "9999-99999-001", 1001, "RRQ");
	assert_int_equal(p->state, PHONE_HELD);
	assert_non_null(strstr(p->reason, "part number 9999-99999-001"));
	p = fleet_seen(c->f, "0004f2000003", "10.0.0.7", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX410", NULL, 1001, "UA");
	fleet_learn_model(c->f, p, "VVX999", NULL, 1002, "UA");
	assert_int_equal(p->state, PHONE_HELD);
	assert_string_equal(p->reason, "model VVX999 is not in the models "
	    "table: nothing is served to it (the table holds the models of "
	    "Polycom's notification, 'ztp-rescue models'; --models changes "
	    "only their targets: recover this phone by hand)");
}

static void
test_vanished_mid_image(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 tgt = ver("4.0.8.0931");

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "RRQ");
	fleet_learn_model(c->f, p, NULL, "2345-12670-001", 1001, "RRQ");
	assert_string_equal(p->model, "SPIP670");
	fleet_image_started(c->f, p, "2345-12670-001.sip.ld", 1000, 1002, "");
	assert_int_equal(p->state, PHONE_UPGRADING);
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &tgt,
	    IMAGE_INTERRUPTED, 600, 1000, 1003, "silent");
	assert_int_equal(p->state, PHONE_FAILED);
	assert_non_null(strstr(p->reason, "stopped at 600 of 1000 bytes"));
	/* It asks again: back into the flow. */
	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 5000, "RRQ");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
}

static void
test_unknown_version_hold_policy(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 cur = ver("4.0.8.0931");
	const char		*why;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "RRQ");
	fleet_learn_model(c->f, p, "SPIP670", NULL, 1001, "");
	assert_int_equal(fleet_image_check(c->f, p, &why), IMAGE_REFUSE_HELD);
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_int_equal(fleet_image_verdict(c->f, p, 1002, &why),
	    IMAGE_REFUSE_HELD);
	assert_int_equal(p->state, PHONE_HELD);
	/* Option 60 tells the version: the hold lifts by itself. */
	fleet_learn_version(c->f, p, &cur, VSRC_OPTION60, 1003, "option 60");
	assert_int_equal(p->state, PHONE_CURRENT);
}

/* The flash did not take: served again, failed after max_flashes tries. */
static void
test_updater_stale_after_flash_fails(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 old = ver("4.0.1.1000"), tgt = ver("4.0.8.0931");
	int			 i;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "SPIP550", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &old, VSRC_UA, 1002, "UA");
	for (i = 1; i <= 3; i++) {
		fleet_image_started(c->f, p, "2345-12500-001.sip.ld", 10,
		    1003, "");
		fleet_set_target(c->f, p, "4.0.8.0931");
		fleet_image_finished(c->f, p, "2345-12500-001.sip.ld", &tgt,
		    IMAGE_COMPLETE, 10, 10, 1004, "");
		assert_int_equal(p->state, PHONE_REBOOTING);
		assert_int_equal(p->flashes, i);
		/* The Updater asks again (no version in its UA): no news. */
		fleet_seen(c->f, MAC, "10.0.0.5", 1, 1005, "GET again");
		fleet_learn_model(c->f, p, "SPIP550", NULL, 1005, "Updater UA");
		assert_int_equal(p->state, PHONE_REBOOTING);
		/* The application says it still runs the old version. */
		fleet_learn_version(c->f, p, &old, VSRC_UA, 1006, "UA again");
		if (i < 3) {
			assert_int_equal(p->state, PHONE_IDENTIFIED);
			assert_null(p->reason);
		}
	}
	assert_int_equal(p->state, PHONE_FAILED);
	assert_string_equal(p->reason, "flashed 2345-12500-001.sip.ld "
	    "(4.0.8.0931) 3 times and came back at 4.0.1.1000 each time: the "
	    "image may not match this part (2345-12500-001), or the phone "
	    "does not keep it; check the part number, then retry; if it comes "
	    "back again, its boot log says why");
	/* The operator retries: the bound starts again. */
	assert_int_equal(fleet_retry(c->f, p, 1007, NULL), 0);
	assert_int_equal(p->flashes, 0);
}

/*
 * The same with a separate BootROM (SIP 3.2): updating it is the remedy.
 * A phone of UC Software 3.3 and later (above) has an Updater, and was
 * told to update a BootROM it does not have.
 */
static void
test_flash_fails_bootrom_remedy(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 old = ver("3.2.3.1734"), tgt = ver("4.0.8.0931");
	int			 i;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "SPIP550", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &old, VSRC_UA, 1002, "UA");
	for (i = 1; i <= 3; i++) {
		fleet_image_started(c->f, p, "2345-12500-001.sip.ld", 10,
		    1003, "");
		fleet_image_finished(c->f, p, "2345-12500-001.sip.ld", &tgt,
		    IMAGE_COMPLETE, 10, 10, 1004, "");
		fleet_learn_version(c->f, p, &old, VSRC_UA, 1006, "UA again");
	}
	assert_int_equal(p->state, PHONE_FAILED);
	assert_non_null(strstr(p->reason, "came back at 3.2.3.1734 each time: "
	    "the image may not match this part (2345-12500-001), or its "
	    "BootROM refuses it; check the part number, update the BootROM "
	    "first, then retry"));
}

/* Whole again and again with no version in between: a loop. */
static void
test_reboot_loop_bounded(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 old = ver("4.0.1.1000"), tgt = ver("4.0.8.0931");
	const char		*why;
	int			 i;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "SPIP550", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &old, VSRC_APPLOG, 1002, "app log");
	fleet_image_started(c->f, p, "2345-12500-001.sip.ld", 10, 1003, "");
	for (i = 1; i <= 3; i++) {
		assert_int_equal(fleet_image_verdict(c->f, p, 1004, &why),
		    IMAGE_OFFER);
		fleet_image_finished(c->f, p, "2345-12500-001.sip.ld", &tgt,
		    IMAGE_COMPLETE, 10, 10, 1004 + i, "whole");
		assert_int_equal(p->state, PHONE_REBOOTING);
		assert_int_equal(p->flashes, i);
	}
	/* Its next boot: not offered a fourth time, failed. */
	assert_int_equal(fleet_image_verdict(c->f, p, 1010, &why),
	    IMAGE_REFUSE_HELD);
	assert_int_equal(p->state, PHONE_FAILED);
	assert_string_equal(p->reason, "took 2345-12500-001.sip.ld whole 3 "
	    "times and came back without it each time (it asked for it again; "
	    "4.0.1.1000): it reboots in a loop without progressing. The image "
	    "may not match this part (2345-12500-001), or the phone does not "
	    "keep it; check the part number, then retry; if it comes back "
	    "again, its boot log says why");
	assert_string_equal(why, p->reason);
	/* It boots again: still failed, offered nothing. */
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 1011, "GET again");
	assert_int_equal(p->state, PHONE_FAILED);
	assert_int_equal(fleet_image_verdict(c->f, p, 1012, &why),
	    IMAGE_REFUSE_HELD);
}

/* A SIP 3.2 SoundPoint: BootROM first, then UC Software 4.0.8. */
static void
test_legacy_chain(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct plan		 pl;
	struct ucs_version	 br_old = ver("2.5.2.0010"), br = ver("4.2.2.0710");
	struct ucs_version	 app = ver("3.2.3.1734"), tgt = ver("4.0.8.0931");
	const char		*why;
	json_t			*o, *plan;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET cfg");
	fleet_learn_model(c->f, p, "SPIP670", NULL, 1001, "BootROM UA");
	fleet_learn_bootrom(c->f, p, &br_old, VSRC_UA, 1001, "BootROM UA");
	assert_string_equal(p->bootrom, "2.5.2.0010");
	fleet_plan(c->f, p, &pl);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.current, 0);
	assert_int_equal(pl.steps[0].kind, PLAN_BOOTROM);
	/* The application waits for the BootROM. */
	assert_int_equal(fleet_image_verdict(c->f, p, 1002, &why),
	    IMAGE_REFUSE_STEP);
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	/* bootrom.ld goes out whole; the BootROM comes back as 4.2.2. */
	fleet_image_started(c->f, p, "bootrom.ld", 10, 1003, "GET bootrom.ld");
	assert_int_equal(p->state, PHONE_UPGRADING);
	fleet_bootrom_finished(c->f, p, "bootrom.ld", &br, IMAGE_COMPLETE, 10,
	    10, 1004, "whole");
	assert_int_equal(p->state, PHONE_REBOOTING);
	/* Its application's word while rebooting is no flash failure. */
	fleet_learn_version(c->f, p, &app, VSRC_UA, 1005, "app UA");
	assert_int_equal(p->state, PHONE_REBOOTING);
	fleet_learn_bootrom(c->f, p, &br, VSRC_UA, 1006, "BootROM UA");
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_int_equal(p->flashes, 0);
	fleet_plan(c->f, p, &pl);
	assert_int_equal(pl.current, 1);
	assert_int_equal(pl.steps[0].status, STEP_DONE);
	assert_int_equal(fleet_image_verdict(c->f, p, 1007, &why), IMAGE_OFFER);
	/* Then the target, as any phone. */
	fleet_image_started(c->f, p, "2345-12670-001.sip.ld", 10, 1008, "");
	fleet_set_target(c->f, p, "4.0.8.0931");
	fleet_image_finished(c->f, p, "2345-12670-001.sip.ld", &tgt,
	    IMAGE_COMPLETE, 10, 10, 1009, "");
	assert_int_equal(p->state, PHONE_REBOOTING);
	fleet_learn_version(c->f, p, &tgt, VSRC_UA, 1010, "app UA");
	assert_int_equal(p->state, PHONE_CURRENT);
	o = fleet_phone_json(c->f, p);
	plan = json_object_get(o, "plan");
	assert_int_equal(json_array_size(plan), 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(plan, 0), "kind")), "bootrom");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(plan, 0), "status")), "done");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(plan, 0), "confidence")), "M");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(plan, 1), "status")), "done");
	assert_string_equal(json_string_value(json_object_get(o, "bootrom")),
	    "4.2.2.0710");
	json_decref(o);
}

/* A BootROM that does not take: served again, then failed, by name. */
static void
test_bootrom_loop_bounded(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 br_old = ver("2.5.2.0010"), br = ver("4.2.2.0710");
	int			 i;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET cfg");
	fleet_learn_model(c->f, p, "SPIP670", NULL, 1001, "BootROM UA");
	fleet_learn_bootrom(c->f, p, &br_old, VSRC_UA, 1001, "BootROM UA");
	for (i = 1; i <= 3; i++) {
		fleet_image_started(c->f, p, "bootrom.ld", 10, 1003, "GET");
		fleet_bootrom_finished(c->f, p, "bootrom.ld", &br,
		    IMAGE_COMPLETE, 10, 10, 1004, "whole");
		assert_int_equal(p->state, PHONE_REBOOTING);
		fleet_learn_bootrom(c->f, p, &br_old, VSRC_UA, 1005, "UA");
	}
	assert_int_equal(p->state, PHONE_FAILED);
	assert_string_equal(p->reason, "flashed bootrom.ld 3 times and came "
	    "back at BootROM 2.5.2.0010 each time: the BootROM image may not "
	    "match this part (2345-12670-001) or the phone cannot write it; "
	    "check the part number and the BootROM package, then retry");
}

static void
test_returns_after_repoint_fail(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct ucs_version	 tgt = ver("5.4.1.18370");
	int			 i;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX411", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &tgt, VSRC_UA, 1002, "UA");
	assert_int_equal(p->state, PHONE_CURRENT);
	fleet_phase2_served(c->f, p, 0, 1003, "");
	fleet_phase2_served(c->f, p, 1, 1004, "");
	assert_int_equal(p->state, PHONE_REPOINTED);
	for (i = 0; i < 3; i++) {
		fleet_seen(c->f, MAC, "10.0.0.5", 1, 1100 + i, "GET again");
		assert_int_equal(p->state, PHONE_REPOINTED);
	}
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 1200, "GET again");
	assert_int_equal(p->state, PHONE_FAILED);
	assert_non_null(strstr(p->reason, "came back 4 times"));
}

static void
test_operator_hold_release_retry_forget(void **state)
{
	struct ctx	*c = *state;
	struct phone	*p;
	char		*cause = NULL;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX310", NULL, 1001, "UA");
	fleet_hold(c->f, p, "held by the operator", 1002, "console");
	assert_int_equal(p->state, PHONE_HELD);
	assert_int_equal(fleet_release(c->f, p, 1003, &cause), 0);
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_int_equal(fleet_release(c->f, p, 1003, &cause), -1);
	assert_string_equal(cause, "phone 0004f2000001 is identified, not held");
	free(cause);
	cause = NULL;
	assert_int_equal(fleet_retry(c->f, p, 1004, &cause), -1);
	free(cause);
	fleet_fail(c->f, p, "x", 1005, "test");
	assert_int_equal(fleet_retry(c->f, p, 1006, &cause), 0);
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	fleet_forget(c->f, p, 1007);
	assert_null(fleet_find(c->f, MAC));
	assert_int_equal(journal_count(c->j, "phones"), 0);
}

/*
 * A phone held and released is back where it was with its reason: "runs
 * X, newer than its target: not downgraded" was lost.  The reason held is
 * kept across a restart.  A failed phone released starts afresh.
 */
static void
test_release_gives_back_the_reason(void **state)
{
	struct ctx		*c = *state;
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	struct ucs_version	 newer = ver("5.4.1.18370");
	struct fleet		*again;
	struct phone		*p;
	char			*cause = NULL, *note;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX310", NULL, 1001, "UA");
	fleet_learn_version(c->f, p, &newer, VSRC_UA, 1002, "UA");
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_non_null(p->reason);
	note = strdup(p->reason);
	fleet_hold(c->f, p, "not in the batch inventory", 1003, "batch");
	assert_string_equal(p->reason, "not in the batch inventory");
	/* The daemon restarts while it is held. */
	again = fleet_new(c->j, c->models, &cfg);
	assert_int_equal(fleet_load(again, &cause), 0);
	p = fleet_find(again, MAC);
	assert_non_null(p);
	assert_int_equal(fleet_release(again, p, 1004, &cause), 0);
	assert_int_equal(p->state, PHONE_CURRENT);
	assert_non_null(p->reason);
	assert_string_equal(p->reason, note);
	assert_null(p->held_reason);
	free(note);
	/* Failed, held, released: afresh, no reason. */
	fleet_fail(again, p, "flashed it 3 times", 1005, "test");
	fleet_hold(again, p, "held by the operator", 1006, "console");
	assert_int_equal(fleet_release(again, p, 1007, &cause), 0);
	assert_int_equal(p->state, PHONE_IDENTIFIED);
	assert_null(p->reason);
	assert_null(p->held_reason);
	fleet_free(again);
}

static void
test_ip_association(void **state)
{
	struct ctx	*c = *state;

	fleet_seen(c->f, "0004f2000001", "10.0.0.5", 1, 1000, "a");
	fleet_seen(c->f, "0004f2000002", "10.0.0.5", 1, 2000, "b");
	fleet_seen(c->f, "0004f2000003", "10.0.0.6", 1, 3000, "c");
	assert_string_equal(fleet_by_ip(c->f, "10.0.0.5")->mac,
	    "0004f2000002");
	assert_null(fleet_by_ip(c->f, "10.0.0.7"));
}

static void
test_restart_continues(void **state)
{
	struct ctx		*c = *state;
	struct phone		*p;
	struct fleet		*f2;
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	struct ucs_version	 tgt = ver("4.1.7.5432");
	char			*cause = NULL;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX500", NULL, 1001, "UA");
	fleet_image_started(c->f, p, "3111-44500-001.sip.ld", 10, 1002, "");
	fleet_image_finished(c->f, p, "3111-44500-001.sip.ld", &tgt,
	    IMAGE_COMPLETE, 10, 10, 1003, "");
	f2 = fleet_new(c->j, c->models, &cfg);
	assert_int_equal(fleet_load(f2, &cause), 0);
	p = fleet_find(f2, MAC);
	assert_non_null(p);
	assert_int_equal(p->state, PHONE_REBOOTING);
	assert_string_equal(p->model, "VVX500");
	assert_int_equal(p->first_seen, 1000);
	fleet_image_finished(f2, p, "3111-44500-001.sip.ld", &tgt,
	    IMAGE_ABANDONED, 1, 10, 2000, "");
	assert_int_equal(p->state, PHONE_CURRENT);
	fleet_free(f2);
}

static void
test_status_json(void **state)
{
	struct ctx	*c = *state;
	json_t		*counts, *phones;

	fleet_seen(c->f, MAC, "10.0.0.5", 1, 1764237600000LL, "GET");
	counts = fleet_counts_json(c->f);
	phones = fleet_phones_json(c->f);
	assert_int_equal(json_integer_value(json_object_get(counts, "seen")),
	    1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(phones, 0), "first_seen")), "2025-11-27T10:00:00Z");
	assert_true(json_is_null(json_object_get(json_array_get(phones, 0),
	    "model")));
	json_decref(counts);
	json_decref(phones);
}

/*
 * `ztp-rescue status` with the daemon stopped loads the journal into a fleet
 * without the models table; a phone whose model is known still gets its
 * plan (the models table's family) rather than a null dereference.
 */
static void
test_status_without_models(void **state)
{
	struct ctx		*c = *state;
	struct fleet		*f2;
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	struct phone		*p;
	json_t			*o, *plan;
	char			*cause = NULL;

	p = fleet_seen(c->f, MAC, "10.0.0.5", 1, 1000, "GET");
	fleet_learn_model(c->f, p, "VVX500", NULL, 1001, "UA");
	f2 = fleet_new(c->j, NULL, &cfg);
	assert_int_equal(fleet_load(f2, &cause), 0);
	p = fleet_find(f2, MAC);
	assert_non_null(p);
	o = fleet_phone_json(f2, p);
	plan = json_object_get(o, "plan");
	assert_true(json_is_array(plan));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(plan, json_array_size(plan) - 1), "kind")), "target");
	json_decref(o);
	fleet_free(f2);
}

/* A newer phone taken to repointed after its trust file, as the server does. */
static struct phone *
repointed_phone(struct ctx *c, const char *mac, const char *ca, int64_t at)
{
	struct phone		*p;
	struct ucs_version	 newer = ver("5.9.7.4477");

	p = fleet_seen(c->f, mac, "10.0.0.5", 1, at, "GET");
	fleet_learn_model(c->f, p, "VVX410", NULL, at, "UA");
	fleet_learn_version(c->f, p, &newer, VSRC_UA, at, "UA");
	fleet_set_trust(c->f, ca, "ztp");
	fleet_phase2_served(c->f, p, 0, at, "GET trust");
	fleet_phase2_served(c->f, p, 1, at, "delivered");
	assert_int_equal(p->state, PHONE_REPOINTED);
	return (p);
}

static void
test_ztp_check_result(void **state)
{
	struct ctx	*c = *state;
	struct phone	*a, *other, *b;

	a = repointed_phone(c, MAC, "ab", 1000);
	other = repointed_phone(c, "0004f2000002", "cd", 1000);
	/* Not quiet yet: a check tells it nothing. */
	fleet_ztp_result(c->f, 1, "ab", "ztp", "verified from here", 2000);
	assert_int_equal(a->state, PHONE_REPOINTED);
	fleet_tick(c->f, 7000);
	/* Quiet with the checked CA and target: verified at once. */
	assert_int_equal(a->state, PHONE_VERIFIED);
	/* Another CA was given to this one: the check does not cover it. */
	assert_int_equal(other->state, PHONE_RECOVERED);
	/* A failed re-check takes it back; a hand-off target is not ZTP. */
	fleet_ztp_result(c->f, 0, "ab", "ztp", "check FAILED: x", 8000);
	assert_int_equal(a->state, PHONE_RECOVERED);
	fleet_ztp_result(c->f, 1, "ab", "https://prov/", "verified", 9000);
	assert_int_equal(a->state, PHONE_RECOVERED);
	/* A phone quiet after a failed check stays repointed-quiet. */
	fleet_ztp_result(c->f, 0, "ab", "ztp", "check FAILED: y", 9500);
	b = repointed_phone(c, "0004f2000003", "ab", 10000);
	fleet_tick(c->f, 15000);
	assert_int_equal(b->state, PHONE_RECOVERED);
	fleet_ztp_result(c->f, 1, "ab", "ztp", "verified again", 16000);
	assert_int_equal(a->state, PHONE_VERIFIED);
	assert_int_equal(b->state, PHONE_VERIFIED);
	/* Back for its master config after verified: counted, then failed. */
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 17000, "GET");
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 17001, "GET");
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 17002, "GET");
	fleet_seen(c->f, MAC, "10.0.0.5", 1, 17003, "GET");
	assert_int_equal(a->state, PHONE_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flash_fails_bootrom_remedy,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot_loop_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bootrom_loop_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_not_quiet,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_not_quiet, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_set_ahead, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_recovery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_never_downgraded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_model_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vanished_mid_image, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unknown_version_hold_policy, setup_hold, teardown),
		cmocka_unit_test_setup_teardown(
		    test_updater_stale_after_flash_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_returns_after_repoint_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_operator_hold_release_retry_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_release_gives_back_the_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_association, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_continues, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ztp_check_result, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_without_models,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("fleet", tests, NULL, NULL));
}
