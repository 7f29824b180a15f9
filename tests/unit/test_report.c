/* The report: exact CSV rows and quoting, JSON shape, atomic writing. */
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
#include "report.h"

static char dir[64];
static struct journal *j;

static int
setup(void **state)
{
	struct phone		 p;
	struct journal_transfer	 t = { "0004f2000001", "10.0.0.5", "http",
				    "3111-46162-001.sip.ld", 0, 1000, 2000,
				    52428800, 52428800, "completed", NULL };
	struct journal_event	 ev = { 1764237600000LL, "0004f2000001",
				    "state", "current", "trusting", NULL, NULL,
				    "GET ztp-rescue-0004f2000001.cfg" };
	struct journal_event	 note = { 0 };
	char			*cause = NULL;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(dir, sizeof dir, "/tmp/test-report.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(j = journal_open(dir, 0, &cause));
	memset(&p, 0, sizeof p);
	strcpy(p.mac, "0004f2000001");
	strcpy(p.ip, "10.0.0.5");
	strcpy(p.model, "VVX410");
	strcpy(p.part, "3111-46162-001");
	strcpy(p.version_before, "4.1.4.7430");
	strcpy(p.version, "4.1.7.5432");
	strcpy(p.target, "4.1.7.5432");
	strcpy(p.ca_sha256, "ab12");
	strcpy(p.repoint, "ztp");
	p.state = PHONE_FAILED;
	p.reason = (char *)"said \"no\", twice";
	p.first_seen = 1764237600000LL;
	p.last_seen = 1764237660000LL;
	p.bytes_served = 52428800;
	p.version_source = VSRC_UA;
	assert_int_equal(journal_save(j, &p, &ev), 0);
	/* What the image held when it was answered, and the settings. */
	note.ts = 900;
	note.mac = "0004f2000001";
	note.kind = "note";
	note.fact = "content";
	note.value = "52428800 aa55";
	note.evidence = "3111-46162-001.sip.ld";
	assert_int_equal(journal_add_event(j, &note), 0);
	note.mac = "";
	note.fact = "settings";
	note.value = "unknown-version=upgrade; repoint=ztp; ca=ab12; "
	    "quiet-period=120s";
	note.evidence = "daemon settings";
	assert_int_equal(journal_add_event(j, &note), 0);
	assert_int_equal(journal_add_transfer(j, &t), 0);
	t.name = "0004f2000001.cfg";
	t.bytes = t.total = 3000;
	assert_int_equal(journal_add_transfer(j, &t), 0);
	/* A trust file read whole, answered before notes were kept. */
	t.name = "ztp-rescue-0004f2000001.cfg";
	t.bytes = t.total = 2100;
	assert_int_equal(journal_add_transfer(j, &t), 0);
	/* A second phone, repointed-quiet. */
	strcpy(p.mac, "0004f2000002");
	p.state = PHONE_RECOVERED;
	p.reason = NULL;
	p.version_source = VSRC_ABANDON;
	ev.mac = "0004f2000002";
	assert_int_equal(journal_save(j, &p, &ev), 0);
	/*
	 * Its trust file asked before it had proved its target: a
	 * placeholder, which is not "delivered" (it read as the CA gone out).
	 */
	t.mac = "0004f2000002";
	t.name = "ztp-rescue-0004f2000002.cfg";
	t.bytes = t.total = 178;
	t.reason = JOURNAL_PLACEHOLDER_REASON;
	assert_int_equal(journal_add_transfer(j, &t), 0);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	journal_close(j);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return (0);
}

/*
 * Every row says what to do next: a phone waiting at "current" for want of
 * a CA said nothing in the report (only the settings' "ca=none" hinted).
 */
static void
test_next_step(void **state)
{
	assert_string_equal(report_next_step("current", 0, NULL, NULL),
	    "install the CA certificate (the console's menu, CA certificate, "
	    "or 'ztp-rescue ctl set-ca pem=FILE'): it takes it at its next "
	    "boot");
	assert_non_null(strstr(report_next_step("current", 1, NULL, NULL),
	    "it takes its SHA-2 trust and re-point file then"));
	assert_non_null(strstr(report_next_step("rebooting", 1, NULL, NULL),
	    "check its power and screen, and power-cycle it"));
	assert_non_null(strstr(report_next_step("held", 1, NULL, NULL),
	    "release it"));
	assert_non_null(strstr(report_next_step("repointed-quiet", 1, NULL,
	    NULL), "ZTP portal"));
	/* Sent to the customer's server: not looked for in ZTP's portal. */
	assert_non_null(strstr(report_next_step("repointed-quiet", 1, "ztp",
	    NULL), "ZTP portal"));
	assert_string_equal(report_next_step("repointed-quiet", 1,
	    "https://prov.example.com/", NULL), "nothing here: check on its "
	    "provisioning server (this row's re-point target) that it "
	    "registered");
	assert_null(strstr(report_next_step("verified", 1,
	    "https://prov.example.com/", NULL), "ZTP portal"));
	assert_non_null(strstr(report_next_step("held", 1,
	    "https://prov.example.com/", NULL), "release it"));
	/*
	 * Held for a package: released by itself once it is imported.  It
	 * said "release it", which let it go to be held again.
	 */
	assert_non_null(strstr(report_next_step("held", 1, NULL,
	    "the library has no BootROM package of 4.0.0 or later for part "
	    "2345-12600-001 (SoundPoint IP 650): import the BootROM package"),
	    "it is released by itself once the library holds it"));
	assert_null(strstr(report_next_step("held", 1, NULL,
	    "the library has no UC Software 4.1.7G image for part "
	    "3111-46162-001 (VVX 410): import the package"), "release it"));
	assert_null(report_next_step("no-such-state", 1, NULL, NULL));
	assert_null(report_next_step(NULL, 1, NULL, NULL));
}

static void
test_csv_exact(void **state)
{
	char	*csv = report_csv(j);

	assert_string_equal(csv,
	    "mac,ip,model,part,version_before,version,version_source,target,"
	    "ca_sha256,repoint,state,reason,first_seen,last_seen,bytes_served,"
	    "quiet_period,ztp_reachability,model_source,part_source,next_step,"
	    "delivered,"
	    "transfers,plan\n"
	    "0004f2000001,10.0.0.5,VVX410,3111-46162-001,4.1.4.7430,"
	    "4.1.7.5432,user-agent,4.1.7.5432,ab12,ztp,failed,"
	    "\"said \"\"no\"\", twice\","
	    "2025-11-27T10:00:00Z,2025-11-27T10:01:00Z,52428800,120,"
	    "not verified from this closet,,"
	    "\"the models table, for model VVX410\","
	    "\"act on the reason, then retry it (the console's t, or "
	    "'ztp-rescue ctl retry mac=MAC')\","
	    "3111-46162-001.sip.ld 52428800 aa55; "
	    "ztp-rescue-0004f2000001.cfg 2100 -,"
	    "http 3111-46162-001.sip.ld completed 52428800/52428800; "
	    "http 0004f2000001.cfg completed 3000/3000; "
	    "http ztp-rescue-0004f2000001.cfg completed 2100/2100,"
	    "target 4.1.7.5432 done\n"
	    "0004f2000002,10.0.0.5,VVX410,3111-46162-001,4.1.4.7430,"
	    "4.1.7.5432,abandoned-image,4.1.7.5432,ab12,ztp,repointed-quiet,,"
	    "2025-11-27T10:00:00Z,2025-11-27T10:01:00Z,52428800,120,"
	    "not verified from this closet,,"
	    "\"the models table, for model VVX410\","
	    "nothing here: check in Polycom's ZTP portal that it registered,"
	    ",http ztp-rescue-0004f2000002.cfg completed 178/178,"
	    "target 4.1.7.5432 done\n");
	free(csv);
}

static void
test_json_shape(void **state)
{
	json_t	*r = report_json(j), *p, *d;

	p = json_array_get(json_object_get(r, "phones"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "mac")),
	    "0004f2000001");
	assert_int_equal(json_array_size(json_object_get(p, "transfers")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "events"), 0), "evidence")),
	    "GET ztp-rescue-0004f2000001.cfg");
	assert_null(json_object_get(p, "progress"));
	/* Only images and trust files read whole are "delivered". */
	d = json_object_get(p, "delivered");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d,
	    0), "sha256")), "aa55");
	assert_true(json_is_null(json_object_get(json_array_get(d, 1),
	    "sha256")));
	assert_int_equal(json_integer_value(json_object_get(p,
	    "quiet_period")), 120);
	assert_string_equal(json_string_value(json_object_get(p, "claim")),
	    "Seen running 4.1.7.5432 (user-agent). Delivered: "
	    "3111-46162-001.sip.ld (52428800 bytes, sha256 aa55), "
	    "ztp-rescue-0004f2000001.cfg (2100 bytes, sha256 not recorded). "
	    "CA sha256 ab12. Re-point target ztp. ZTP reachability not "
	    "verified from this closet.");
	p = json_array_get(json_object_get(r, "phones"), 1);
	assert_string_equal(json_string_value(json_object_get(p, "claim")),
	    "Seen running 4.1.7.5432 (abandoned-image). Delivered: nothing. "
	    "CA sha256 ab12. Re-point target ztp. ZTP reachability not "
	    "verified from this closet. Repointed-quiet means: re-pointed, then "
	    "no request for the quiet period (120 s); not that it registered "
	    "at ZTP.");
	json_decref(r);
}

static void
test_write_atomic(void **state)
{
	char	 path[128], *cause = NULL, buf[64];
	FILE	*f;

	snprintf(path, sizeof path, "%s/report.csv", dir);
	assert_int_equal(report_write(j, REPORT_CSV, path, &cause), 0);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_int_equal(strncmp(buf, "mac,ip,model", 12), 0);
	snprintf(path, sizeof path, "%s/nodir/report.csv", dir);
	assert_int_equal(report_write(j, REPORT_CSV, path, &cause), -1);
	assert_non_null(strstr(cause, "cannot write the report to"));
	assert_non_null(strstr(cause, "nodir/report.csv"));
	free(cause);
	snprintf(path, sizeof path, "ls %s | grep -q tmp", dir);
	assert_int_not_equal(system(path), 0);
}

static void
closet_event(int64_t ts, const char *mac, const char *fact,
    const char *value, const char *evidence)
{
	struct journal_event	ev = { 0 };

	ev.ts = ts;
	ev.mac = mac;
	ev.kind = "fact";
	ev.fact = fact;
	ev.value = value;
	ev.evidence = evidence;
	assert_int_equal(journal_add_event(j, &ev), 0);
}

/*
 * The phones on the wire that never asked and the devices DHCP did not
 * answer: a section each after the phones in the CSV, with the address,
 * reason, evidence and reset steps in columns of their own.
 */
static void
test_closet_rows(void **state)
{
	json_t	*r, *o;
	char	*csv, *tail;

	closet_event(1764237700000LL, "0004f2000051", "silent",
	    "static address 10.20.4.17, no DHCP",
	    "{\"address\":\"10.20.4.17\",\"model\":\"\",\"evidence\":"
	    "\"ARP/IP from 10.20.4.17, outside the appliance's subnet\","
	    "\"reset\":\"model unknown; type \\\"0004F2000051\\\"\"}");
	/* A phone that was silent and then asked is not listed. */
	closet_event(1764237700000LL, "0004f2000052", "silent",
	    "took our lease, asked for nothing in 60 s", "{}");
	closet_event(1764237710000LL, "0004f2000052", "silent", "asks",
	    "it asks the appliance now");
	/* A journal from before the columns: the sentence, whole. */
	closet_event(1764237720000LL, "64167f000053", "silent",
	    "tags VLAN 20 (LLDP-MED)", "LLDP-MED policy VLAN 20; reset: VVX");
	closet_event(1764237730000LL, "020000000054", "ignored",
	    "not a Polycom phone: no DHCP answer",
	    "{\"vendor\":\"MSFT 5.0\",\"hostname\":\"laptop\"}");
	closet_event(1764237740000LL, "020000000054", "ignored",
	    "not a Polycom phone: no DHCP answer",
	    "{\"vendor\":\"MSFT 5.0\",\"hostname\":\"laptop\"}");

	/* Any host's DHCP name reaches the CSV: a formula stays text. */
	closet_event(1764237750000LL, "020000000055", "ignored",
	    "not a Polycom phone: no DHCP answer",
	    "{\"vendor\":\"+cmd\","
	    "\"hostname\":\"=HYPERLINK(\\\"http://x\\\")\"}");
	closet_event(1764237760000LL, "020000000056", "ignored",
	    "not a Polycom phone: no DHCP answer",
	    "{\"vendor\":\"@SUM(1)\",\"hostname\":\"-2+3\"}");

	csv = report_csv(j);
	assert_non_null(tail = strstr(csv, "\n\nsilent_mac,"));
	assert_string_equal(tail + 2,
	    "silent_mac,address,model,reason,evidence,reset,seen\n"
	    "0004f2000051,10.20.4.17,,\"static address 10.20.4.17, no DHCP\","
	    "\"ARP/IP from 10.20.4.17, outside the appliance's subnet; reset: "
	    "model unknown; type \"\"0004F2000051\"\"\","
	    "\"model unknown; type \"\"0004F2000051\"\"\","
	    "2025-11-27T10:01:40Z\n"
	    "64167f000053,,,tags VLAN 20 (LLDP-MED),"
	    "LLDP-MED policy VLAN 20; reset: VVX,,2025-11-27T10:02:00Z\n"
	    "\n"
	    "ignored_mac,vendor,hostname,seen\n"
	    "020000000054,MSFT 5.0,laptop,2025-11-27T10:02:10Z\n"
	    "020000000055,\"'+cmd\",\"'=HYPERLINK(\"\"http://x\"\")\","
	    "2025-11-27T10:02:30Z\n"
	    "020000000056,\"'@SUM(1)\",\"'-2+3\",2025-11-27T10:02:40Z\n");
	free(csv);

	r = report_json(j);
	assert_int_equal(json_array_size(json_object_get(r, "silent")), 2);
	o = json_array_get(json_object_get(r, "silent"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "address")),
	    "10.20.4.17");
	assert_string_equal(json_string_value(json_object_get(o, "reset")),
	    "model unknown; type \"0004F2000051\"");
	assert_int_equal(json_array_size(json_object_get(r, "ignored")), 3);
	o = json_array_get(json_object_get(r, "ignored"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "hostname")),
	    "laptop");
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_step),
		cmocka_unit_test(test_csv_exact),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_closet_rows),
	};

	return (cmocka_run_group_tests_name("report", tests, setup, teardown));
}
