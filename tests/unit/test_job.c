/* The unattended job file: every key's values, defaults, and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "job.h"

static char	dir[64], path[128];

static void
write_job(const char *text)
{
	FILE	*fp;

	snprintf(dir, sizeof dir, "/tmp/ztp-job.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/" JOB_FILE_NAME, dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
remove_job(void)
{
	unlink(path);
	rmdir(dir);
}

/* The job is refused with exactly this sentence after "PATH". */
static void
refused(const char *text, const char *after_path)
{
	struct job	 j;
	char		*cause = NULL, *want;

	write_job(text);
	assert_int_equal(job_load(path, &j, &cause), -1);
	remove_job();
	assert_non_null(cause);
	assert_true(asprintf(&want, "%s%s", path, after_path) > 0);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
}

static void
test_job_full(void **state)
{
	struct job	 j;
	char		*cause = NULL, *want;

	write_job("# closet 3\r\n"
	    "\r\n"
	    "  inventory = phones.csv  \r\n"
	    "ca = ca\\operator-ca.pem\r\n"
	    "repoint=https://prov.example.com/\r\n"
	    "unknown-version = hold\r\n"
	    "only-inventory = no\r\n"
	    "timeout = 45m\r\n"
	    "dhcp = eth0\r\n"
	    "address = 10.99.0.1/24\r\n"
	    "report = closet-3\r\n"
	    "max-flashes = 5\r\n"
	    "vlan = 20\r\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_true(asprintf(&want, "%s/phones.csv", dir) > 0);
	assert_string_equal(j.inventory, want);
	free(want);
	assert_true(asprintf(&want, "%s/ca/operator-ca.pem", dir) > 0);
	assert_string_equal(j.ca, want);
	free(want);
	assert_string_equal(j.repoint, "https://prov.example.com/");
	assert_string_equal(j.unknown_version, "hold");
	assert_int_equal(j.only_inventory, 0);
	assert_int_equal(j.timeout, 45 * 60);
	assert_string_equal(j.dhcp_iface, "eth0");
	assert_string_equal(j.dhcp_address, "10.99.0.1/24");
	assert_string_equal(j.report, "closet-3");
	assert_int_equal(j.max_flashes, 5);
	assert_int_equal(j.dhcp_vlan, 20);
	job_free(&j);
	remove_job();
}

/* Notepad's UTF-8 with a byte order mark: "unknown key '\xef\xbb\xbfinventory'". */
static void
test_job_bom(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	write_job("\xef\xbb\xbfinventory = phones.csv\r\nrepoint = ztp\r\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_null(cause);
	assert_string_equal(j.repoint, "ztp");
	job_free(&j);
	remove_job();
}

/* A job file saved with classic Mac line ends (a lone CR): one line before. */
static void
test_job_mac_line_ends(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	write_job("inventory = phones.csv\rrepoint = ztp\rtimeout = 60s\r");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_null(cause);
	assert_string_equal(j.repoint, "ztp");
	assert_int_equal(j.timeout, 60);
	job_free(&j);
	remove_job();
}

/* As a Windows user writes them: each was refused. */
static void
test_job_as_people_write(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	write_job("inventory = phones.csv\nrepoint = ZTP\nonly-inventory = Yes\n"
	    "timeout = 1h30m\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_null(cause);
	assert_string_equal(j.repoint, "ztp");
	assert_int_equal(j.only_inventory, 1);
	assert_int_equal(j.timeout, 5400);
	job_free(&j);
	remove_job();
	write_job("inventory = phones.csv\nrepoint = ztp\nonly-inventory = NO\n"
	    "timeout = 45min\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_int_equal(j.only_inventory, 0);
	assert_int_equal(j.timeout, 2700);
	job_free(&j);
	remove_job();
}

/*
 * A path with a space is quoted, as Windows writes it: the quotes were
 * kept, and the job failed later on "./\"closet 3.csv\"": no such file.
 */
static void
test_job_quoted(void **state)
{
	struct job	 j;
	char		*cause = NULL, *want;

	write_job("inventory = \"closet 3.csv\"\r\n"
	    "ca = \"ca\\operator ca.pem\"\r\n"
	    "repoint = \"https://prov.example.com/\"\r\n"
	    "report = \"\"\r\n");
	assert_int_equal(job_load(path, &j, &cause), -1);
	assert_non_null(strstr(cause, ":4: 'report' needs a value"));
	free(cause);
	cause = NULL;
	remove_job();

	write_job("inventory = \"closet 3.csv\"\r\n"
	    "ca = \"ca\\operator ca.pem\"\r\n"
	    "repoint = \"https://prov.example.com/\"\r\n"
	    "timeout = \"45m\"\r\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_null(cause);
	assert_true(asprintf(&want, "%s/closet 3.csv", dir) > 0);
	assert_string_equal(j.inventory, want);
	free(want);
	assert_true(asprintf(&want, "%s/ca/operator ca.pem", dir) > 0);
	assert_string_equal(j.ca, want);
	free(want);
	assert_string_equal(j.repoint, "https://prov.example.com/");
	assert_int_equal(j.timeout, 45 * 60);
	job_free(&j);
	remove_job();
}

static void
test_job_defaults(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	write_job("inventory = /abs/phones.csv\nrepoint = ztp\ndhcp = off\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_string_equal(j.inventory, "/abs/phones.csv");
	assert_null(j.ca);
	assert_null(j.unknown_version);
	assert_int_equal(j.only_inventory, 1);
	assert_int_equal(j.timeout, 30 * 60);
	assert_null(j.dhcp_iface);
	assert_null(j.dhcp_address);
	assert_string_equal(j.report, "unattended-report");
	assert_int_equal(j.max_flashes, 0);
	assert_int_equal(j.dhcp_vlan, 0);
	job_free(&j);
	remove_job();
}

/* "dhcp = auto IFACE": DHCP only where no other server answers. */
static void
test_job_dhcp_auto(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	write_job("inventory = p.csv\nrepoint = ztp\ndhcp = auto  eth1\n"
	    "address = 10.99.0.1/24\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_string_equal(j.dhcp_iface, "eth1");
	assert_int_equal(j.dhcp_auto, 1);
	assert_string_equal(j.dhcp_address, "10.99.0.1/24");
	job_free(&j);
	remove_job();
	write_job("inventory = p.csv\nrepoint = ztp\ndhcp = eth1\n"
	    "address = 10.99.0.1/24\n");
	assert_int_equal(job_load(path, &j, &cause), 0);
	assert_string_equal(j.dhcp_iface, "eth1");
	assert_int_equal(j.dhcp_auto, 0);
	job_free(&j);
	remove_job();
}

static void
test_job_refusals(void **state)
{
	refused("inventory = p.csv\nrepoint = ztp\nInventory = q.csv\n",
	    ":3: unknown key 'Inventory': remove it or use one of inventory, "
	    "ca, repoint, unknown-version, only-inventory, timeout, dhcp, "
	    "address, report, max-flashes, vlan");
	refused("inventory = p.csv\nrepoint = ztp\nmax-flashes = 21\n",
	    ":3: max-flashes '21': must be a number from 1 to 20: the times a "
	    "phone may take the same image whole and come back unchanged");
	refused("inventory = p.csv\nrepoint = ztp\nmax-flashes = 0\n",
	    ":3: max-flashes '0': must be a number from 1 to 20: the times a "
	    "phone may take the same image whole and come back unchanged");
	refused("inventory = p.csv\nrepoint = ztp\nmax-flashes = 2x\n",
	    ":3: max-flashes '2x': must be a number from 1 to 20: the times a "
	    "phone may take the same image whole and come back unchanged");
	refused("inventory = p.csv\nrepoint = ztp\nrepoint = ztp\n",
	    ":3: 'repoint' is given twice (first on line 2): keep one");
	refused("inventory =\nrepoint = ztp\n",
	    ":1: 'inventory' needs a value (at most 512 characters)");
	refused("inventory = p.csv\nrepoint = https://a b/\n",
	    ":2: repoint 'https://a b/': a URL has no spaces or control "
	    "characters");
	refused("inventory = p.csv\nrepoint = ztp\ntimeout = 0\n",
	    ":3: timeout '0': '0' is not a duration: give seconds, or "
	    "numbers with h, m or s (for example 90s, 30m, 1h30m, 2h; at "
	    "most a week)");
	refused("inventory = p.csv\nrepoint = ztp\ndhcp = eth0;reboot\n",
	    ":3: dhcp 'eth0;reboot': must be \"off\", the name of the "
	    "phones' interface (for example eth0), or \"auto\" and that name "
	    "(\"auto eth0\": DHCP only if no other DHCP server answers "
	    "there)");
	refused("inventory = p.csv\nrepoint = ztp\ndhcp = auto\n",
	    ":3: dhcp 'auto': \"auto\" needs the phones' interface after it "
	    "(for example \"auto eth0\")");
	refused("inventory = p.csv\nrepoint = ztp\ndhcp = auto eth0\n",
	    ":3: 'dhcp = IFACE' and 'address = A/N' go together: give both, "
	    "or \"dhcp = off\" and no address");
	refused("inventory = p.csv\nrepoint = ztp\naddress = 10.99.0.1\n",
	    ":3: address '10.99.0.1': must be the appliance's address with "
	    "its prefix length (for example 10.99.0.1/24)");
	refused("inventory = p.csv\nrepoint = ztp\naddress = 10.99.0.1/24\n",
	    ":3: 'dhcp = IFACE' and 'address = A/N' go together: give both, "
	    "or \"dhcp = off\" and no address");
	refused("inventory = p.csv\nrepoint = ztp\ndhcp = eth0\n"
	    "address = 10.99.20.1/24\nvlan = 4095\n",
	    ":5: vlan '4095': must be the voice VLAN's ID, 1 to 4094 (the "
	    "phones' interface carries it tagged)");
	refused("inventory = p.csv\nrepoint = ztp\ndhcp = eth0\n"
	    "address = 10.99.20.1/24\nvlan = 20x\n",
	    ":5: vlan '20x': must be the voice VLAN's ID, 1 to 4094 (the "
	    "phones' interface carries it tagged)");
	refused("inventory = p.csv\nrepoint = ztp\nvlan = 20\n",
	    ":3: 'vlan' needs 'dhcp = IFACE' and 'address = A/N': DHCP is "
	    "served on that VLAN of IFACE");
	refused("inventory = p.csv\nrepoint = ztp\nreport = a.json\n",
	    ":3: report 'a.json': must be a plain file name without an "
	    "extension (letters, digits, '-' and '_', at most 64): the report "
	    "is written as NAME.json, NAME.csv and NAME.txt in reports/");
	refused("inventory = p.csv\nrepoint = ztp\n\x1b[2J\n",
	    ":3: '\\x1b[2J' is not \"key = value\": write it as, for example, "
	    "\"timeout = 45m\"");
	refused("repoint = ztp\n", ": no 'inventory': name the CSV of the "
	    "phones to recover (for example \"inventory = phones.csv\", "
	    "mac[,model][,label] a line)");
}

static void
test_job_missing(void **state)
{
	struct job	 j;
	char		*cause = NULL;

	assert_int_equal(job_load("/nonexistent/ztp-rescue-job.conf", &j,
	    &cause), -1);
	assert_string_equal(cause, "/nonexistent/ztp-rescue-job.conf: No "
	    "such file or directory: put a job file there (see docs/batch.md, "
	    "\"Unattended recovery from the stick\")");
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_full),
		cmocka_unit_test(test_job_bom),
		cmocka_unit_test(test_job_mac_line_ends),
		cmocka_unit_test(test_job_as_people_write),
		cmocka_unit_test(test_job_quoted),
		cmocka_unit_test(test_job_defaults),
		cmocka_unit_test(test_job_dhcp_auto),
		cmocka_unit_test(test_job_refusals),
		cmocka_unit_test(test_job_missing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
