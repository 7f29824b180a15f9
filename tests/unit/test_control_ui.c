/*
 * Pieces of the console that need no terminal: the shell quoting of the
 * equivalent command lines (they must paste back into a shell as the same
 * words) and the ASCII progress bar.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "../../ui/ui.h"

static void
check_quote(const char *in, const char *want)
{
	char	*got = ui_quote(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_quote(void **state)
{
	check_quote("mac=0004f2000001", "mac=0004f2000001");
	check_quote("paths[]=/media/usb", "'paths[]=/media/usb'");
	check_quote("a*b?", "'a*b?'");
	check_quote("enable:=true", "enable:=true");
	check_quote("reason=held from the console",
	    "'reason=held from the console'");
	check_quote("pem=/media/my stick/it's.pem",
	    "'pem=/media/my stick/it'\\''s.pem'");
	check_quote("$(reboot)", "'$(reboot)'");
	check_quote("", "''");
}

/* What the shell makes of a quoted word: run it through sh and compare. */
static void
test_quote_round_trip(void **state)
{
	const char	*words[] = { "a b", "it's", "$HOME", "`x`", "\\n", "*",
	    "paths[]=/x",
	    "\"q\"", NULL };
	char		*q, *cmd, out[256];
	FILE		*fp;
	size_t		 i, n;

	for (i = 0; words[i] != NULL; i++) {
		q = ui_quote(words[i]);
		if (asprintf(&cmd, "printf '%%s' %s", q) == -1)
			fail();
		assert_non_null(fp = popen(cmd, "r"));
		n = fread(out, 1, sizeof out - 1, fp);
		out[n] = '\0';
		assert_int_equal(pclose(fp), 0);
		assert_string_equal(out, words[i]);
		free(cmd);
		free(q);
	}
}

static void
test_progress_bar(void **state)
{
	char	bar[16];

	ui_progress_bar(bar, 9, 0, 100);
	assert_string_equal(bar, "[......]");
	ui_progress_bar(bar, 9, 50, 100);
	assert_string_equal(bar, "[###...]");
	ui_progress_bar(bar, 9, 100, 100);
	assert_string_equal(bar, "[######]");
	ui_progress_bar(bar, 9, 150, 100);	/* never past the end */
	assert_string_equal(bar, "[######]");
	ui_progress_bar(bar, 9, 10, 0);		/* unknown total */
	assert_string_equal(bar, "[......]");
	ui_progress_bar(bar, 2, 1, 2);		/* no room at all */
	assert_string_equal(bar, "");
}

/*
 * The PROGRESS column: a running transfer shows its bar in any state (a
 * phone at 'current' fetching its image again read "done" while it ran,
 * its rate still 0); past an hour a silent phone's time fits 12 columns
 * ("silent 1:11:" read as about a minute).
 */
static void
test_row_progress(void **state)
{
	json_t	*ph;
	char	 prog[128], last[32];
	time_t	 t;

	(void)state;
	ph = json_pack("{s:s,s:{s:s,s:i,s:i,s:f}}", "state", "current",
	    "progress", "file", "3111-46162-001.sip.ld", "bytes", 0, "total",
	    1004585, "rate", 0.0);
	assert_int_equal(ui_row_progress(ph, 12, prog, sizeof prog), 0);
	assert_string_equal(prog, "[.......] 0B");
	json_object_set_new(json_object_get(ph, "progress"), "bytes",
	    json_integer(1004585));
	ui_row_progress(ph, 12, prog, sizeof prog);
	assert_string_equal(prog, "done");
	json_decref(ph);

	t = time(NULL) - (3600 + 11 * 60 + 55);
	strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ph = json_pack("{s:s,s:s}", "state", "rebooting", "last_seen", last);
	ui_row_progress(ph, 12, prog, sizeof prog);
	assert_string_equal(prog, "silent 1h11m");
	assert_true(strlen(prog) <= 12);
	ui_row_progress(ph, 40, prog, sizeof prog);	/* room: to the second */
	assert_string_equal(prog, "silent 1:11:55");
	json_decref(ph);

	ph = json_pack("{s:s,s:s}", "state", "held", "reason",
	    "held by the operator");
	assert_int_equal(ui_row_progress(ph, 12, prog, sizeof prog), 1);
	json_decref(ph);
}

/* The filter matches the short state a row shows ("rp-quiet" matched none). */
static void
test_filter_short_state(void **state)
{
	json_t	*ph;

	(void)state;
	ph = json_pack("{s:s,s:s}", "mac", "0004f2000001", "state",
	    "repointed-quiet");
	assert_true(ui_fleet_matches(ph, "rp-quiet"));
	assert_true(ui_fleet_matches(ph, "RP-Q"));
	assert_true(ui_fleet_matches(ph, "quiet"));
	assert_false(ui_fleet_matches(ph, "failed"));
	json_object_set_new(ph, "state", json_string("failed"));
	assert_false(ui_fleet_matches(ph, "rp-quiet"));
	json_decref(ph);
}

/* Sort by IP: in address order (".100" came before ".20" as text). */
static void
test_ip_order(void **state)
{
	(void)state;
	assert_true(ui_ip_compare("10.99.0.20", "10.99.0.100") < 0);
	assert_true(ui_ip_compare("127.0.3.4", "127.0.3.31") < 0);
	assert_true(ui_ip_compare("10.99.0.5", "10.99.0.5") == 0);
	assert_true(ui_ip_compare("10.99.1.1", "10.99.0.200") > 0);
	assert_true(ui_ip_compare("10.0.0.1", "fd00::1") < 0);	/* v4 first */
	assert_true(ui_ip_compare(NULL, "10.0.0.1") > 0);	/* unknown last */
	assert_true(ui_ip_compare("-", "10.0.0.1") > 0);
}

/* Forgetting a phone mid-upgrade says that the upgrade goes on. */
static void
test_forget_question(void **state)
{
	char	*q;

	(void)state;
	q = ui_forget_question("0004f2000001", "upgrading");
	assert_non_null(strstr(q, "Phone 0004f2000001 is being upgraded "
	    "(upgrading).  Forgotten, it still takes its image and flashes "
	    "it"));
	free(q);
	q = ui_forget_question("0004f2000001", "rebooting");
	assert_non_null(strstr(q, "is being upgraded (rebooting)"));
	free(q);
	q = ui_forget_question("0004f2000001", "current");
	assert_string_equal(q, "Forget phone 0004f2000001?  Its history and "
	    "evidence leave the appliance (and the next report); if it asks "
	    "again it starts over as a new phone.");
	free(q);
	q = ui_forget_question("0004f2000001", NULL);
	assert_non_null(strstr(q, "Forget phone 0004f2000001?"));
	free(q);
}

/* The versions the target dialog offers, as "version" strings joined by " ". */
static char *
target_versions(const char *phones, const char *packages, const char *model,
    char **parts)
{
	json_t		*ph = json_loads(phones, 0, NULL);
	json_t		*pk = json_loads(packages, 0, NULL);
	json_t		*v, *list;
	char		 buf[256] = "";
	size_t		 i;

	assert_non_null(ph);
	assert_non_null(pk);
	list = ui_target_versions(ph, pk, model, parts);
	json_array_foreach(list, i, v) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, json_string_value(v));
	}
	json_decref(list);
	json_decref(ph);
	json_decref(pk);
	return (strdup(buf));
}

/*
 * The target dialog offered every version in the library, those without
 * an image for the model's part included: a VVX 410 could be given 5.4.1,
 * which holds no 3111-46162-001 image, and its phones then waited.
 */
static void
test_target_versions(void **state)
{
	const char	*pkgs = "["
	    "{\"version\": \"4.0.8.0931\", \"parts\": [\"2345-12500-001\"]},"
	    "{\"version\": \"4.1.7.5432\", \"parts\": [\"3111-46162-001\","
	    " \"3111-44500-001\"]},"
	    "{\"version\": \"5.4.1.18370\", \"parts\": [\"3111-48400-001\"]},"
	    "{\"version\": \"4.1.7.5432\", \"parts\": [\"3111-46162-001\"]},"
	    "{\"version\": \"4.1.8.1000\", \"parts\": [\"3111-46162-001\"]}]";
	const char	*phones = "["
	    "{\"model\": \"VVX410\", \"part\": \"3111-46162-001\"},"
	    "{\"model\": \"VVX410\", \"part\": \"3111-46162-001\"},"
	    "{\"model\": \"SPIP550\", \"part\": \"2345-12500-001\"},"
	    "{\"model\": \"SPIP550\", \"part\": \"2345-12560-001\"},"
	    "{\"model\": \"VVX9999\", \"part\": \"3111-99999-001\"},"
	    "{\"model\": \"VVX500\", \"part\": null}]";
	char		*got, *parts;

	(void)state;
	/* Only the versions with the part's image, each once, in order. */
	got = target_versions(phones, pkgs, "VVX410", &parts);
	assert_string_equal(got, "4.1.7.5432 4.1.8.1000");
	assert_string_equal(parts, "3111-46162-001");
	free(got);
	free(parts);
	/* Two parts reported under one model: a version with either. */
	got = target_versions(phones, pkgs, "SPIP550", &parts);
	assert_string_equal(got, "4.0.8.0931");
	assert_string_equal(parts, "2345-12500-001, 2345-12560-001");
	free(got);
	free(parts);
	/* A part no package holds: nothing offered (the dialog says why). */
	got = target_versions(phones, pkgs, "VVX9999", &parts);
	assert_string_equal(got, "");
	assert_string_equal(parts, "3111-99999-001");
	free(got);
	free(parts);
	/* No part known (none reported, or a typed model): every version. */
	got = target_versions(phones, pkgs, "VVX500", &parts);
	assert_string_equal(got, "4.0.8.0931 4.1.7.5432 5.4.1.18370 "
	    "4.1.8.1000");
	assert_null(parts);
	free(got);
	got = target_versions(phones, pkgs, "VVX1500", &parts);
	assert_string_equal(got, "4.0.8.0931 4.1.7.5432 5.4.1.18370 "
	    "4.1.8.1000");
	assert_null(parts);
	free(got);
}

/*
 * A phone held for a package showed "the library" in its row's few
 * columns: now what to import.  The reasons are the daemon's own texts.
 */
static void
test_reason_short(void **state)
{
	char	buf[64];

	(void)state;
	assert_true(ui_reason_short("the library has no UC Software 4.1.7G "
	    "image for part 3111-46162-001 (VVX 410): import the package",
	    buf, sizeof buf));
	assert_string_equal(buf, "need 4.1.7G");
	assert_true(ui_reason_short("the library's UC Software 5.4.1 package "
	    "5.4.1.18370 is damaged and is not served (sip.ver does not match "
	    "its manifest's SHA-256): import it again", buf, sizeof buf));
	assert_string_equal(buf, "broken 5.4.1");
	assert_true(ui_reason_short("the library has no BootROM package of "
	    "4.0.0 or later for part 2345-12600-001 (SoundPoint IP 650): "
	    "import the BootROM package (bootrom.ver with bootrom.ld or "
	    "2345-12600-001.bootrom.ld)", buf, sizeof buf));
	assert_string_equal(buf, "need BR4.0.0");
	/* The daemon's other reasons, in a word (its texts, fleet.c). */
	assert_true(ui_reason_short("took 3111-46162-001.sip.ld whole 3 times "
	    "and came back without it each time (it asked for it again; "
	    "4.1.4.7430): it reboots in a loop without progressing. The image "
	    "may not match this part (3111-46162-001), or its BootROM refuses "
	    "it: check the part number, update the BootROM first, then retry",
	    buf, sizeof buf));
	assert_string_equal(buf, "flash loop");
	assert_true(ui_reason_short("flashed bootrom.ld 3 times and came back "
	    "at BootROM 3.1.2 each time: the BootROM image may not match this "
	    "part (2345-12500-001) or the phone cannot write it; check the "
	    "part number and the BootROM package, then retry", buf,
	    sizeof buf));
	assert_string_equal(buf, "BR no take");
	assert_true(ui_reason_short("flashed 3111-46162-001.sip.ld (4.1.7) 3 "
	    "times and came back at 4.1.4 each time: the image may not match "
	    "this part (3111-46162-001), or its BootROM refuses it; check the "
	    "part number, update the BootROM first, then retry", buf,
	    sizeof buf));
	assert_string_equal(buf, "flash loop");
	assert_true(ui_reason_short("abandoned its 4.0.8 image after the "
	    "header but its application still reports 3.1.3 (user-agent): it "
	    "never ran 4.0.8. Likely cause: its BootROM cannot load UC "
	    "Software 4.x", buf, sizeof buf));
	assert_string_equal(buf, "old BootROM?");
	assert_true(ui_reason_short("abandoned its 5.4.1 image after the "
	    "header but its application still reports 5.4.0 (user-agent): it "
	    "never ran 5.4.1. The cause is not known", buf, sizeof buf));
	assert_string_equal(buf, "abandons img");
	assert_true(ui_reason_short("came back 3 times after the re-point: "
	    "the phone does not apply the device.* settings (check the "
	    "re-point template)", buf, sizeof buf));
	assert_string_equal(buf, "comes back");
	assert_true(ui_reason_short("part number 3111-99999-001 is not in the "
	    "models table: nothing is served to it (check the phone's label)",
	    buf, sizeof buf));
	assert_string_equal(buf, "not in table");
	assert_true(ui_reason_short("needs a power cycle: its BootROM must be "
	    "updated to 4.0.0 or later first", buf, sizeof buf));
	assert_string_equal(buf, "power-cycle");
	assert_true(ui_reason_short("held by the operator", buf, sizeof buf));
	assert_string_equal(buf, "operator");
	assert_true(ui_reason_short("not in the batch inventory "
	    "(--only-inventory)", buf, sizeof buf));
	assert_string_equal(buf, "not listed");
	/* Shown cut in half before ("version unknown and"). */
	assert_true(ui_reason_short("version unknown and the policy is "
	    "--unknown-version hold: no image is offered until its version is "
	    "known", buf, sizeof buf));
	assert_string_equal(buf, "version ?");
	assert_true(ui_reason_short("reports 4.1.4.7430 (user-agent) after it "
	    "had proved 4.1.7.5432 and was given the CA and the re-point "
	    "(ztp): no phone goes back by itself, so two phones may answer as "
	    "this MAC", buf, sizeof buf));
	assert_string_equal(buf, "went back?");
	/* Any other reason is shown as it is. */
	assert_false(ui_reason_short("the operator said so", buf, sizeof buf));
	assert_false(ui_reason_short("flashed once", buf, sizeof buf));
	assert_false(ui_reason_short("the library has no UC Software ", buf,
	    sizeof buf));
	assert_false(ui_reason_short("", buf, sizeof buf));
}

/*
 * The alarm line's words for a report the daemon cannot keep on the stick:
 * what to do (the cause's last parenthesis), the daemon's texts.
 */
static void
test_report_hint(void **state)
{
	char	buf[128];

	(void)state;
	ui_report_hint("cannot write the report to /srv/ztpdata/reports/"
	    "ztp-rescue-report.csv: No space left on device (the stick is "
	    "full: free space on it, or use another)", buf, sizeof buf);
	assert_string_equal(buf, "the stick is full: free space on it, or use "
	    "another");
	ui_report_hint("/srv/ztpdata/reports is not a folder (is the stick's "
	    "exchange partition mounted?)", buf, sizeof buf);
	assert_string_equal(buf, "is the stick's exchange partition mounted?");
	/* Nested parentheses are kept inside the last one. */
	ui_report_hint("x (a (b) c)", buf, sizeof buf);
	assert_string_equal(buf, "a (b) c");
	/* No parenthesis at the end, an unmatched or empty one: the cause. */
	ui_report_hint("the report writer died", buf, sizeof buf);
	assert_string_equal(buf, "the report writer died");
	ui_report_hint("odd)", buf, sizeof buf);
	assert_string_equal(buf, "odd)");
	ui_report_hint("(whole)", buf, sizeof buf);
	assert_string_equal(buf, "(whole)");
	ui_report_hint("empty ()", buf, sizeof buf);
	assert_string_equal(buf, "empty ()");
	ui_report_hint("", buf, sizeof buf);
	assert_string_equal(buf, "");
	/* Cut to the buffer, never past it. */
	ui_report_hint("a (0123456789)", buf, 5);
	assert_string_equal(buf, "0123");
}

/* A /proc/mounts of the test's own, in a temporary file. */
static char *
write_mounts(const char *text)
{
	static char	path[] = "/tmp/test-mounts.XXXXXX";
	FILE		*fp;
	int		 fd;

	strcpy(path, "/tmp/test-mounts.XXXXXX");
	assert_int_not_equal(fd = mkstemp(path), -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(text, fp);
	fclose(fp);
	return (path);
}

/*
 * Where the console looks for a stick, and where it proposes the exported
 * report: it proposed the first /media mount, which on the appliance is a
 * stick mounted read-only, or /media/usb, which does not exist; both
 * failed.  A label with a space is read as the kernel escapes it.
 */
static void
test_stick_folders(void **state)
{
	struct ui	 ui;
	char		*m, *got;

	(void)state;
	m = write_mounts("/dev/sda1 / ext4 rw,relatime 0 0\n"
	    "/dev/sdb1 /media/sdb1 vfat ro,nosuid,nodev 0 0\n"
	    "/dev/sdc1 /media/tech/CLOSET\\0403 exfat rw,nosuid 0 0\n");
	got = ui_stick_find(m, 0);
	assert_string_equal(got, "/media/sdb1");
	free(got);
	got = ui_stick_find(m, 1);
	assert_string_equal(got, "/media/tech/CLOSET 3");
	free(got);

	memset(&ui, 0, sizeof ui);
	ui.state_dir = "/";
	ui.status = json_pack("{s:{s:n}}", "appliance", "report_dir");
	got = ui_stick_export_folder(&ui, m);
	assert_string_equal(got, "/media/tech/CLOSET 3");
	free(got);
	/* The daemon's own report folder comes first. */
	json_decref(ui.status);
	ui.status = json_pack("{s:{s:s}}", "appliance", "report_dir",
	    "/srv/ztpdata/reports");
	got = ui_stick_export_folder(&ui, m);
	assert_string_equal(got, "/srv/ztpdata/reports");
	free(got);
	unlink(m);

	/* Only read-only sticks, or none: the state folder, in full. */
	m = write_mounts("/dev/sdb1 /media/sdb1 vfat ro 0 0\n"
	    "proc /proc proc rw 0 0\n");
	assert_null(ui_stick_find(m, 1));
	json_decref(ui.status);
	ui.status = json_pack("{s:{s:n}}", "appliance", "report_dir");
	ui.state_dir = "/tmp/../tmp";
	got = ui_stick_export_folder(&ui, m);
	assert_string_equal(got, "/tmp");
	free(got);
	unlink(m);
	assert_null(ui_stick_find("/nonexistent/mounts", 0));
	json_decref(ui.status);
}

static void
check_path(const char *in, const char *want)
{
	char	*copy = strdup(in);

	assert_string_equal(ui_path_clean(copy), want);
	free(copy);
}

/*
 * What a technician types or pastes into the console's path fields: the
 * path was taken whole, so "report.csv " wrote JSON to a file named with
 * a space, and a quoted or file:// path was "No such file or directory".
 */
static void
test_path_clean(void **state)
{
	check_path("/media/usb/fw.zip", "/media/usb/fw.zip");
	check_path("  /media/usb/report.csv ", "/media/usb/report.csv");
	check_path("\t/media/usb/x\t", "/media/usb/x");
	check_path("'/media/usb/closet 3/fw.zip'",
	    "/media/usb/closet 3/fw.zip");
	check_path("\"/media/usb/ca.cer\"", "/media/usb/ca.cer");
	check_path("file:///media/usb/closet%203/fw.zip",
	    "/media/usb/closet 3/fw.zip");
	check_path(" 'file:///media/usb/a%2fb%zz%00' ",
	    "/media/usb/a/b%zz%00");
	/* Unmatched or inner quotes, a host in the URI: left as they are. */
	check_path("'/media/usb/x", "'/media/usb/x");
	check_path("/media/it's here", "/media/it's here");
	check_path("'", "'");
	check_path("file://host/x", "file://host/x");
	check_path("", "");
}

/*
 * A state change's reason has no fact: the phone page put "-=" before it
 * ("identified -> held  -=the library has no ...").
 */
static void
test_entry_text(void **state)
{
	json_t	*e;
	char	*t;

	e = json_pack("{s:s,s:s,s:n,s:s}", "from", "identified", "to", "held",
	    "fact", "value", "the library has no UC Software 4.1.7G");
	t = ui_entry_text(e);
	assert_non_null(strstr(t, "identified -> held"));
	assert_non_null(strstr(t, "the library has no UC Software 4.1.7G"));
	assert_null(strstr(t, "-="));
	free(t);
	json_decref(e);
	e = json_pack("{s:s,s:s}", "fact", "version", "value", "4.1.7.5432");
	t = ui_entry_text(e);
	assert_non_null(strstr(t, "version=4.1.7.5432"));
	free(t);
	json_decref(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forget_question),
		cmocka_unit_test(test_target_versions),
		cmocka_unit_test(test_reason_short),
		cmocka_unit_test(test_report_hint),
		cmocka_unit_test(test_stick_folders),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_round_trip),
		cmocka_unit_test(test_progress_bar),
		cmocka_unit_test(test_row_progress),
		cmocka_unit_test(test_ip_order),
		cmocka_unit_test(test_filter_short_state),
		cmocka_unit_test(test_entry_text),
	};

	return (cmocka_run_group_tests_name("control_ui", tests, NULL, NULL));
}
