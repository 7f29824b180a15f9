/* The batch inventory CSV and the clients' formatting helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "control.h"

static char	path[64];

static void
write_file(const char *text)
{
	FILE	*fp;
	int	 fd;

	snprintf(path, sizeof path, "/tmp/ztp-inv.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(text, fp);
	fclose(fp);
}

static char *
load_error(const char *text)
{
	struct control_inventory	 inv;
	char				*cause = NULL;

	write_file(text);
	assert_int_equal(control_inventory_load(path, &inv, &cause), -1);
	unlink(path);
	assert_non_null(cause);
	return (cause);
}

static void
test_inventory_forms(void **state)
{
	struct control_inventory	 inv;
	char				*cause = NULL;

	write_file("MAC,model,label\r\n"
	    "# the closet on floor 2\n"
	    "\n"
	    "00:04:F2:AA:BB:01,VVX410,desk 12\n"
	    " 0004f2aabb02 \n"
	    "0004.f2aa.bb03,,\"reception\"\n"
	    "00-04-f2-aa-bb-04,VVX311\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_int_equal(inv.n, 4);
	assert_string_equal(inv.phones[0].mac, "0004f2aabb01");
	assert_string_equal(inv.phones[0].model, "VVX410");
	assert_string_equal(inv.phones[0].label, "desk 12");
	assert_int_equal(inv.phones[0].line, 4);
	assert_string_equal(inv.phones[1].mac, "0004f2aabb02");
	assert_null(inv.phones[1].model);
	assert_null(inv.phones[1].label);
	assert_string_equal(inv.phones[2].mac, "0004f2aabb03");
	assert_null(inv.phones[2].model);
	assert_string_equal(inv.phones[2].label, "reception");
	assert_string_equal(inv.phones[3].model, "VVX311");
	assert_non_null(control_inventory_find(&inv, "0004f2aabb04"));
	assert_null(control_inventory_find(&inv, "0004f2aabb05"));
	control_inventory_free(&inv);
}

/*
 * Excel's "CSV UTF-8" starts the file with a byte order mark: it was read
 * as part of the header's first field, "'\xef\xbb\xbfMAC' is not a MAC
 * address".  Only the file's start is skipped.
 */
static void
test_inventory_bom(void **state)
{
	struct control_inventory	 inv;
	char				*cause = NULL;

	write_file("\xef\xbb\xbfMAC,Model,Label\r\n"
	    "0004f2aabb01,VVX410,desk 1\r\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_null(cause);
	assert_int_equal(inv.n, 1);
	assert_string_equal(inv.phones[0].mac, "0004f2aabb01");
	control_inventory_free(&inv);

	write_file("\xef\xbb\xbf" "0004f2aabb01\n0004f2aabb02\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_int_equal(inv.n, 2);
	assert_string_equal(inv.phones[0].mac, "0004f2aabb01");
	control_inventory_free(&inv);

	cause = load_error("0004f2aabb01\n\xef\xbb\xbf" "0004f2aabb02\n");
	assert_non_null(strstr(cause, ":2: "));
	free(cause);
}

/*
 * Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR: the whole
 * file was one line, its first phone kept and the others dropped without a
 * word (then held as "not in the inventory" while the run said done).
 */
static void
test_inventory_mac_line_ends(void **state)
{
	struct control_inventory	 inv;
	char				*cause = NULL;

	write_file("MAC,model,label\r0004f2c50001,VVX410,desk 1\r"
	    "0004f2c50002,VVX410,desk 2\r\r0004f2c50003,VVX410,desk 3\r");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_null(cause);
	assert_int_equal(inv.n, 3);
	assert_string_equal(inv.phones[0].mac, "0004f2c50001");
	assert_string_equal(inv.phones[1].mac, "0004f2c50002");
	assert_string_equal(inv.phones[2].mac, "0004f2c50003");
	assert_string_equal(inv.phones[2].label, "desk 3");
	control_inventory_free(&inv);

	/* Mixed ends, and a last line without one. */
	write_file("0004f2c50001\r\n0004f2c50002\n0004f2c50003\r0004f2c50004");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_int_equal(inv.n, 4);
	assert_string_equal(inv.phones[3].mac, "0004f2c50004");
	control_inventory_free(&inv);

	/* A bad line is still named by its number. */
	cause = load_error("0004f2c50001\rnot-a-mac\r");
	assert_non_null(strstr(cause, ":2: 'not-a-mac'"));
	free(cause);
}

/* MACs no phone has: a phone that could never come was waited for. */
static void
test_inventory_impossible_macs(void **state)
{
	char	*cause;

	cause = load_error("0004f2c50001\n00:00:00:00:00:00,VVX410\n");
	assert_non_null(strstr(cause, ":2: 000000000000 is not a phone's MAC "
	    "address (all zeros)"));
	free(cause);
	cause = load_error("ff:ff:ff:ff:ff:ff\n");
	assert_non_null(strstr(cause, ":1: ffffffffffff is not a phone's MAC "
	    "address (a group address"));
	free(cause);
	cause = load_error("01-00-5e-00-00-01\n");
	assert_non_null(strstr(cause, "(a group address: its first byte is "
	    "odd)"));
	free(cause);
}

/*
 * What spreadsheets save: Excel quotes a field holding a comma and doubles
 * a quote; where the locale writes decimals with a comma (de, fr, nl...)
 * its "CSV" is separated by ';', its "Text" by tabs; a row is padded with
 * empty columns when another row had more.  Each was refused before.
 */
static void
test_inventory_spreadsheets(void **state)
{
	struct control_inventory	 inv;
	char				*cause = NULL;

	write_file("\"MAC Address\",\"Model\",\"Label\"\r\n"
	    "\"00:04:F2:AA:BB:01\",\"VVX410\",\"desk 12, left\"\r\n"
	    "\"0004f2aabb02\",,\"the \"\"big\"\" room\"\r\n"
	    "0004f2aabb03,VVX311,reception,,\r\n"
	    "0004f2aabb04 , \"VVX250\" ,\r\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_null(cause);
	assert_int_equal(inv.n, 4);
	assert_string_equal(inv.phones[0].mac, "0004f2aabb01");
	assert_string_equal(inv.phones[0].model, "VVX410");
	assert_string_equal(inv.phones[0].label, "desk 12, left");
	assert_null(inv.phones[1].model);
	assert_string_equal(inv.phones[1].label, "the \"big\" room");
	assert_string_equal(inv.phones[2].label, "reception");
	assert_string_equal(inv.phones[3].mac, "0004f2aabb04");
	assert_string_equal(inv.phones[3].model, "VVX250");
	assert_null(inv.phones[3].label);
	control_inventory_free(&inv);

	write_file("MAC;Modell;Bezeichnung\r\n"
	    "00-04-F2-AA-BB-01;VVX410;Platz 3, links\r\n"
	    "0004f2aabb02;;Empfang;;\r\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_int_equal(inv.n, 2);
	assert_string_equal(inv.phones[0].model, "VVX410");
	assert_string_equal(inv.phones[0].label, "Platz 3, links");
	assert_null(inv.phones[1].model);
	assert_string_equal(inv.phones[1].label, "Empfang");
	control_inventory_free(&inv);

	write_file("mac\tmodel\tlabel\n"
	    "0004f2aabb01\t\tdesk 1\n"
	    "0004f2aabb02\tVVX410\t\t\n");
	assert_int_equal(control_inventory_load(path, &inv, &cause), 0);
	unlink(path);
	assert_int_equal(inv.n, 2);
	assert_null(inv.phones[0].model);
	assert_string_equal(inv.phones[0].label, "desk 1");
	assert_string_equal(inv.phones[1].model, "VVX410");
	assert_null(inv.phones[1].label);
	control_inventory_free(&inv);
}

static void
test_inventory_refusals(void **state)
{
	char	*e, want[256];

	e = load_error("0004f2aabb01\n0004f2zzbb02,VVX410\n");
	snprintf(want, sizeof want, "%s:2: '0004f2zzbb02' is not a MAC "
	    "address (12 hex digits, optionally separated by ':', '-' or "
	    "'.')", path);
	assert_string_equal(e, want);
	free(e);

	e = load_error("0004f2aabb01\n00:04:f2:aa:bb:01\n");
	snprintf(want, sizeof want, "%s:2: 0004f2aabb01 is listed twice "
	    "(first on line 1)", path);
	assert_string_equal(e, want);
	free(e);

	e = load_error("0004f2aabb01,a,b,c\n");
	snprintf(want, sizeof want, "%s:1: field 4 ('c') is one too many: "
	    "the columns are mac, model and label; delete the ones after the "
	    "label", path);
	assert_string_equal(e, want);
	free(e);
	e = load_error("0004f2aabb01;a;b;;\"x\x1b\";\n");
	assert_non_null(strstr(e, ":1: field 5 ('x\\x1b') is one too many"));
	free(e);

	e = load_error("0004f2aabb01,VVX410,\"desk 12\n");
	snprintf(want, sizeof want, "%s:1: field 3 opens a quote that is not "
	    "closed on the line", path);
	assert_string_equal(e, want);
	free(e);
	e = load_error("0004f2aabb01,\"VVX\"410,desk\n");
	snprintf(want, sizeof want, "%s:1: field 2 has text after its "
	    "closing quote", path);
	assert_string_equal(e, want);
	free(e);

	e = load_error("mac,model\n# nothing\n");
	snprintf(want, sizeof want, "%s: no phones listed (expected lines "
	    "of mac[,model][,label])", path);
	assert_string_equal(e, want);
	free(e);

	/* A header is only accepted as the first line. */
	e = load_error("0004f2aabb01\nmac\n");
	assert_non_null(strstr(e, ":2: 'mac' is not a MAC address"));
	free(e);

	e = load_error("0004f2aabb0\n");
	assert_non_null(strstr(e, ":1: '0004f2aabb0' is not"));
	free(e);
	e = load_error("0004f2aabb011\n");
	assert_non_null(strstr(e, ":1: '0004f2aabb011' is not"));
	free(e);
}

static void
test_durations(void **state)
{
	long	 s;
	char	*cause = NULL;

	assert_int_equal(control_parse_duration("90", &s, &cause), 0);
	assert_int_equal(s, 90);
	assert_int_equal(control_parse_duration("90s", &s, &cause), 0);
	assert_int_equal(s, 90);
	assert_int_equal(control_parse_duration("30m", &s, &cause), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(control_parse_duration("2h", &s, &cause), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(control_parse_duration("2d", &s, &cause), -1);
	assert_non_null(strstr(cause, "'2d' is not a duration"));
	free(cause);
	assert_int_equal(control_parse_duration("0", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("m", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("5mm", &s, &cause), -1);
	free(cause);
	/* As people write them in a job file: each was refused. */
	assert_int_equal(control_parse_duration("1h30m", &s, &cause), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(control_parse_duration("45min", &s, &cause), 0);
	assert_int_equal(s, 2700);
	assert_int_equal(control_parse_duration("2H", &s, &cause), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(control_parse_duration("1m30s", &s, &cause), 0);
	assert_int_equal(s, 90);
	/* Units once each, largest first; a week at most. */
	assert_int_equal(control_parse_duration("30m1h", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("1m1m", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("168h1s", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("168h", &s, &cause), 0);
	assert_int_equal(control_parse_duration("1h30", &s, &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("99999999999999999999h", &s,
	    &cause), -1);
	free(cause);
	assert_int_equal(control_parse_duration("", &s, &cause), -1);
	free(cause);
}

static void
test_format(void **state)
{
	json_t	*ev;
	char	*s, buf[32];

	control_fmt_bytes(52428800, buf, sizeof buf);
	assert_string_equal(buf, "50.0M");
	control_fmt_bytes(512, buf, sizeof buf);
	assert_string_equal(buf, "512B");
	control_fmt_duration(3725, buf, sizeof buf);
	assert_string_equal(buf, "1:02:05");
	control_fmt_duration(65, buf, sizeof buf);
	assert_string_equal(buf, "1:05");

	/* A hostile model string reaches the terminal inert. */
	ev = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:n}}", "event",
	    "phone", "phone", "mac", "0004f2000001", "ip", "10.0.0.5", "model",
	    "VVX\x1b[2J", "version_before", "4.0.8.0931", "version",
	    "5.4.1.18370", "state", "upgrading", "reason");
	s = control_format_event(ev);
	assert_string_equal(s, "phone 0004f2000001 10.0.0.5 VVX\\x1b[2J "
	    "4.0.8.0931 -> 5.4.1.18370 upgrading");
	free(s);
	json_decref(ev);

	/*
	 * After the arrow: where it is taken before it gets there (it read
	 * "4.1.4.7430 -> 4.1.4.7430 upgrading"), what it runs after, what
	 * it runs when it has no target.
	 */
	ev = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:n}}", "event",
	    "phone", "phone", "mac", "0004f2000002", "ip", "10.0.0.6", "model",
	    "VVX410", "version_before", "4.1.4.7430", "version", "4.1.4.7430",
	    "target", "4.1.7.5432", "state", "upgrading", "reason");
	s = control_format_event(ev);
	assert_string_equal(s, "phone 0004f2000002 10.0.0.6 VVX410 "
	    "4.1.4.7430 -> 4.1.7.5432 upgrading");
	free(s);
	json_object_set_new(json_object_get(ev, "phone"), "state",
	    json_string("current"));
	json_object_set_new(json_object_get(ev, "phone"), "version",
	    json_string("5.9.7.4477"));
	s = control_format_event(ev);
	assert_string_equal(s, "phone 0004f2000002 10.0.0.6 VVX410 "
	    "4.1.4.7430 -> 5.9.7.4477 current");
	free(s);
	json_object_set_new(json_object_get(ev, "phone"), "state",
	    json_string("held"));
	json_object_set_new(json_object_get(ev, "phone"), "target",
	    json_null());
	s = control_format_event(ev);
	assert_string_equal(s, "phone 0004f2000002 10.0.0.6 VVX410 "
	    "4.1.4.7430 -> 5.9.7.4477 held");
	free(s);
	json_decref(ev);

	ev = json_pack("{s:s,s:I}", "event", "dropped", "count", 17);
	s = control_format_event(ev);
	assert_string_equal(s, "dropped 17 events: this client read too "
	    "slowly");
	free(s);
	json_decref(ev);

	ev = json_pack("{s:s,s:s,s:s}", "event", "log", "level", "warn",
	    "text", "rogue DHCP server 10.0.0.1 answered");
	s = control_format_event(ev);
	assert_string_equal(s, "log warn rogue DHCP server 10.0.0.1 answered");
	free(s);
	json_decref(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_forms),
		cmocka_unit_test(test_inventory_bom),
		cmocka_unit_test(test_inventory_mac_line_ends),
		cmocka_unit_test(test_inventory_impossible_macs),
		cmocka_unit_test(test_inventory_spreadsheets),
		cmocka_unit_test(test_inventory_refusals),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_format),
	};

	return (cmocka_run_group_tests_name("control_inventory", tests, NULL,
	    NULL));
}
