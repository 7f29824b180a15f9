/*
 * Identification parsers: the User-Agent, DHCP option 60 and file names, with
 * the real examples of the reference and malformed input of every kind.
 * Inputs are copied into buffers of exactly their length so that the
 * sanitizer catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ident.h"

/* --- User-Agent ------------------------------------------------------------ */

static struct ident_ua
ua_ok(const char *text)
{
	struct ident_ua	 ua;
	char		*cause = NULL, *copy = strdup(text);

	if (ident_parse_user_agent(copy, &ua, &cause) != 0)
		fail_msg("'%s' refused: %s", text, cause);
	free(copy);
	return (ua);
}

static void
ua_refused(const char *text, const char *want)
{
	struct ident_ua	 ua;
	char		*cause = NULL, *copy = strdup(text);

	memset(&ua, 0x55, sizeof ua);
	assert_int_equal(ident_parse_user_agent(copy, &ua, &cause), -1);
	assert_non_null(cause);
	if (want != NULL)
		assert_string_equal(cause, want);
	/* Nothing half-parsed is left behind. */
	assert_string_equal(ua.family, "");
	assert_string_equal(ua.token, "");
	assert_string_equal(ua.mac, "");
	assert_int_equal(ua.version.nfields, 0);
	assert_int_equal(ua.type, UA_TYPE_NONE);
	free(cause);
	free(copy);
}

static void
check_version(const struct ucs_version *v, const char *want)
{
	char	buf[UCS_VERSION_TEXT_MAX];

	assert_string_equal(ucs_version_format_release(v, buf, sizeof buf),
	    want);
}

static void
test_ua_reference_examples(void **state)
{
	struct ident_ua	ua;

	ua = ua_ok("FileTransport PolycomSoundPointIP-SPIP_550-UA/4.0.15.1047 "
	    "(SN:0004f2aabbcc) Type/Application");
	assert_string_equal(ua.family, "SoundPointIP");
	assert_string_equal(ua.token, "SPIP550");
	check_version(&ua.version, "4.0.15.1047");
	assert_int_equal(ua.type, UA_TYPE_APPLICATION);
	assert_string_equal(ua.mac, "0004f2aabbcc");

	ua = ua_ok("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "Type/Application");
	assert_string_equal(ua.family, "VVX");
	assert_string_equal(ua.token, "VVX400");
	check_version(&ua.version, "4.1.4.7430");
	assert_int_equal(ua.type, UA_TYPE_APPLICATION);
	assert_string_equal(ua.mac, "");

	ua = ua_ok("FileTransport PolycomSoundStationIP-SSIP_6000-UA/5.0.3.1667 "
	    "Type/Updater");
	assert_string_equal(ua.family, "SoundStationIP");
	assert_string_equal(ua.token, "SSIP6000");
	check_version(&ua.version, "5.0.3.1667");
	assert_int_equal(ua.type, UA_TYPE_UPDATER);
}

static void
test_ua_old_bootrom_has_no_type(void **state)
{
	struct ident_ua	ua;

	ua = ua_ok("FileTransport PolycomSoundPointIP-SPIP_670-UA/4.2.0.0123");
	assert_string_equal(ua.token, "SPIP670");
	check_version(&ua.version, "4.2.0.0123");
	assert_int_equal(ua.type, UA_TYPE_NONE);

	ua = ua_ok("FileTransport PolycomSoundPointIP-SPIP_450-UA/3.2.3.0111 "
	    "(SN:64167f010203)");
	assert_int_equal(ua.type, UA_TYPE_NONE);
	assert_string_equal(ua.mac, "64167f010203");
}

static void
test_ua_tolerated_variants(void **state)
{
	struct ident_ua	ua;

	/* Serial numbers normalised; blanks around words; no "FileTransport". */
	ua = ua_ok("  FileTransport  PolycomVVX-VVX_1500-UA/4.0.8.0931  "
	    "(SN:00:04:F2:AA:BB:CC)\tType/Application ");
	assert_string_equal(ua.token, "VVX1500");
	assert_string_equal(ua.mac, "0004f2aabbcc");
	ua = ua_ok("PolycomVVX-VVX_410-UA/5.4.1.18370 Type/Application");
	assert_string_equal(ua.token, "VVX410");
	/* Type before SN is the same information. */
	ua = ua_ok("FileTransport PolycomVVX-VVX_410-UA/5.4.1.18370 "
	    "Type/Application (SN:48256701aabb)");
	assert_string_equal(ua.mac, "48256701aabb");
	assert_int_equal(ua.type, UA_TYPE_APPLICATION);
}

static void
test_ua_malformed(void **state)
{
	char	big[600];

	ua_refused("", "User-Agent '' is not a Polycom phone's (expected "
	    "'FileTransport Polycom<family>-<model>-UA/<version>')");
	ua_refused("curl/7.88.1", "User-Agent 'curl/7.88.1' is not a Polycom "
	    "phone's (expected 'FileTransport Polycom<family>-<model>-UA/"
	    "<version>')");
	ua_refused("FileTransport Polycom-SPIP_550-UA/4.0.15.1047",
	    "User-Agent 'FileTransport Polycom-SPIP_550-UA/4.0.15.1047' has no "
	    "family after 'Polycom' (such as SoundPointIP or VVX)");
	ua_refused("FileTransport PolycomVVX-VVX_400-XX/4.1.4.7430",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-XX/4.1.4.7430' has no "
	    "model and '-UA/' after the family");
	ua_refused("FileTransport PolycomVVX--UA/4.1.4.7430", NULL);
	ua_refused("FileTransport PolycomVVX-___-UA/4.1.4.7430",
	    "User-Agent 'FileTransport PolycomVVX-___-UA/4.1.4.7430' has an "
	    "empty model name");
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/ Type/Application",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-UA/ Type/Application'"
	    " has no version after 'UA/'");
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.x Type/Application",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-UA/4.x "
	    "Type/Application' has a bad version: version '4.x' has a "
	    "non-numeric field; expected a UC Software version such as 4.0.8H "
	    "or 4.1.7.5432");
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Boot",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "Type/Boot' has an unknown Type (expected Type/Application or "
	    "Type/Updater)");
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "Type/Application Type/Updater", NULL);
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 (SN:zz)",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "(SN:zz)' has a serial number that is not a MAC address");
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "(SN:0004f2aabbcc) (SN:0004f2aabbcc)", NULL);
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "(SN:0004f2aabbcc0004f2aabbcc0004f2aabbcc)", NULL);
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 \x1b[2J",
	    "User-Agent 'FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 "
	    "\\x1b[2J' has an unexpected word '\\x1b[2J' after the version");
	ua_refused("FileTransport PolycomVVX-VVX_4000000000000000000000000000000"
	    "0-UA/4.1.4.7430", "User-Agent 'FileTransport PolycomVVX-VVX_40000"
	    "000000000000000000000000000-UA/4.1.4.7430' has a model name too "
	    "long");
	ua_refused("FileTransport PolycomSoundPointIPSoundPointIPSoundPointIP-"
	    "SPIP_550-UA/4.0.15.1047", NULL);
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 ", 47);
	ua_refused(big, NULL);
	ua_refused("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430.1", NULL);
}

static void
test_ua_null_and_no_cause(void **state)
{
	struct ident_ua	ua;

	assert_int_equal(ident_parse_user_agent(NULL, &ua, NULL), -1);
	assert_int_equal(ident_parse_user_agent("junk", &ua, NULL), -1);
}

/* --- option 60 -------------------------------------------------------------- */

struct opt60 {
	uint8_t	buf[512];
	size_t	len;
};

static void
opt60_start(struct opt60 *o, uint32_t enterprise)
{
	o->buf[0] = enterprise >> 24;
	o->buf[1] = enterprise >> 16;
	o->buf[2] = enterprise >> 8;
	o->buf[3] = enterprise;
	o->buf[4] = 0;
	o->len = 5;
}

static void
opt60_add(struct opt60 *o, int code, const void *value, size_t len)
{
	o->buf[o->len++] = code;
	o->buf[o->len++] = len;
	memcpy(o->buf + o->len, value, len);
	o->len += len;
	o->buf[4] = o->len - 5;
}

static void
opt60_adds(struct opt60 *o, int code, const char *value)
{
	opt60_add(o, code, value, strlen(value));
}

/* The reference's example of a SoundPoint IP 601. */
static void
opt60_reference(struct opt60 *o)
{
	opt60_start(o, 13885);
	opt60_adds(o, 1, "Polycom");
	opt60_adds(o, 2, "SoundPointIP-SPIP_601");
	opt60_adds(o, 3, "2345-11605-001,2");
	opt60_adds(o, 4, "SIP/4.0.8.0931/01-Mar-16 10:26");
	opt60_adds(o, 5, "BR/5.0.3.1667/12-Jan-16 08:00");
}

/* Parse len bytes from a heap copy of exactly that size. */
static int
opt60_parse(const uint8_t *buf, size_t len, struct ident_opt60 *out,
    char **cause)
{
	uint8_t	*copy = malloc(len == 0 ? 1 : len);
	int	 rc;

	memcpy(copy, buf, len);
	rc = ident_parse_option60(copy, len, out, cause);
	free(copy);
	return (rc);
}

static void
opt60_refused(const uint8_t *buf, size_t len, const char *want)
{
	struct ident_opt60	 o;
	char			*cause = NULL;

	memset(&o, 0x55, sizeof o);
	assert_int_equal(opt60_parse(buf, len, &o, &cause), -1);
	assert_non_null(cause);
	if (want != NULL)
		assert_string_equal(cause, want);
	assert_string_equal(o.model, "");
	assert_string_equal(o.token, "");
	assert_string_equal(o.part, "");
	assert_int_equal(o.app_version.nfields, 0);
	free(cause);
}

static void
test_opt60_binary_reference(void **state)
{
	struct opt60		 b;
	struct ident_opt60	 o;
	char			*cause = NULL;

	opt60_reference(&b);
	assert_memory_equal(b.buf, "\x00\x00\x36\x3d", 4);
	if (opt60_parse(b.buf, b.len, &o, &cause) != 0)
		fail_msg("refused: %s", cause);
	assert_int_equal(o.binary, 1);
	assert_string_equal(o.model, "SoundPointIP-SPIP_601");
	assert_string_equal(o.token, "SPIP601");
	assert_string_equal(o.part, "2345-11605-001");
	check_version(&o.app_version, "4.0.8.0931");
	check_version(&o.updater_version, "5.0.3.1667");
}

static void
test_opt60_binary_variants(void **state)
{
	struct opt60		 b;
	struct ident_opt60	 o;
	char			*cause = NULL;

	/* Part only, no revision, no date, unknown sub-options skipped. */
	opt60_start(&b, 13885);
	opt60_add(&b, 9, "\x00\xff\x01", 3);
	opt60_adds(&b, 3, "3111-46162-001");
	opt60_adds(&b, 4, "SIP/4.1.7.5432");
	opt60_add(&b, 200, "", 0);
	assert_int_equal(opt60_parse(b.buf, b.len, &o, &cause), 0);
	assert_string_equal(o.part, "3111-46162-001");
	assert_string_equal(o.token, "");
	check_version(&o.app_version, "4.1.7.5432");
	assert_int_equal(o.updater_version.nfields, 0);

	/* Model only. */
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	assert_int_equal(opt60_parse(b.buf, b.len, &o, &cause), 0);
	assert_string_equal(o.token, "VVX410");
	assert_string_equal(o.part, "");
	assert_int_equal(o.app_version.nfields, 0);
}

static void
test_opt60_truncated_at_every_byte(void **state)
{
	struct opt60		b;
	struct ident_opt60	o;
	size_t			k;

	opt60_reference(&b);
	opt60_refused(b.buf, 0, "DHCP option 60 is empty");
	opt60_refused(b.buf, 3, "DHCP option 60 is truncated: 3 bytes, the "
	    "enterprise number needs 4");
	opt60_refused(b.buf, 4, "DHCP option 60 is truncated: 4 bytes, the "
	    "enterprise number and data length need 5");
	opt60_refused(b.buf, 20, "DHCP option 60 says 113 bytes of vendor data "
	    "but only 15 follow");
	assert_int_equal(ident_parse_option60(NULL, 0, &o, NULL), -1);
	for (k = 0; k < b.len; k++)
		opt60_refused(b.buf, k, NULL);
}

static void
test_opt60_lying_lengths(void **state)
{
	struct opt60	b;

	/* The last sub-option claims one byte more than there is. */
	opt60_reference(&b);
	b.buf[b.len - 30] = 30;
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 5 says 30 bytes "
	    "but only 29 follow");
	/* A sub-option claims 255 bytes. */
	opt60_reference(&b);
	b.buf[6] = 255;
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 1 says 255 "
	    "bytes but only 111 follow");
	/* The data length leaves bytes over, or claims too many. */
	opt60_reference(&b);
	b.buf[4] -= 1;
	opt60_refused(b.buf, b.len, "DHCP option 60 has 1 bytes after its 112 "
	    "bytes of vendor data");
	opt60_reference(&b);
	b.buf[4] += 1;
	opt60_refused(b.buf, b.len, "DHCP option 60 says 114 bytes of vendor "
	    "data but only 113 follow");
	/* A data length cutting a sub-option's header in half. */
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	b.buf[b.len++] = 4;
	b.buf[4] = b.len - 5;
	opt60_refused(b.buf, b.len, "DHCP option 60 has a sub-option cut short "
	    "at byte 18");
}

static void
test_opt60_bad_contents(void **state)
{
	struct opt60	b;

	opt60_start(&b, 9);
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_refused(b.buf, b.len, "DHCP option 60 names enterprise 9, not "
	    "Polycom's 13885");
	opt60_start(&b, 13885);
	opt60_refused(b.buf, b.len, "DHCP option 60 names neither a model "
	    "(sub-option 2) nor a part number (sub-option 3)");
	opt60_start(&b, 13885);
	opt60_adds(&b, 1, "Cisco");
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 1 is not "
	    "'Polycom'");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_adds(&b, 2, "VVX-VVX_400");
	opt60_refused(b.buf, b.len, "DHCP option 60 has sub-option 2 twice");
	opt60_start(&b, 13885);
	opt60_add(&b, 2, "VVX\0VVX_410", 11);
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 2 has a "
	    "non-printable byte");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX/../VVX_410");
	opt60_refused(b.buf, b.len, "DHCP option 60 has a model name "
	    "'VVX/../VVX_410' that is not letters, digits, '-' and '_'");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "SoundPointIP-");
	opt60_refused(b.buf, b.len, "DHCP option 60 has a model name "
	    "'SoundPointIP-' with no model token");
	opt60_start(&b, 13885);
	opt60_add(&b, 2, "", 0);
	opt60_refused(b.buf, b.len, "DHCP option 60 has a model name of 0 "
	    "bytes");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "SoundPointIP-SPIP_601-SoundPointIP-SPIP_601");
	opt60_refused(b.buf, b.len, "DHCP option 60 has a model name of 43 "
	    "bytes");
	opt60_start(&b, 13885);
	opt60_adds(&b, 3, "../../etc/passwd");
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 3 is not a part "
	    "number like 2345-11605-001,2");
	opt60_start(&b, 13885);
	opt60_adds(&b, 3, "2345-11605-0011,2");
	opt60_refused(b.buf, b.len, NULL);
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_adds(&b, 4, "BR/4.0.8.0931/x");
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 4 "
	    "'BR/4.0.8.0931/x' does not start with 'SIP/'");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_adds(&b, 4, "SIP//date");
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 4 has no "
	    "version");
	opt60_start(&b, 13885);
	opt60_adds(&b, 2, "VVX-VVX_410");
	opt60_adds(&b, 5, "BR/four/date");
	opt60_refused(b.buf, b.len, "DHCP option 60 sub-option 5 has a bad "
	    "version 'four' has a non-numeric field; expected a UC Software "
	    "version such as 4.0.8H or 4.1.7.5432");
}

static void
test_opt60_ascii(void **state)
{
	struct ident_opt60	 o;
	char			*cause = NULL;

	assert_int_equal(opt60_parse((const uint8_t *)"Polycom-SPIP670", 15,
	    &o, &cause), 0);
	assert_int_equal(o.binary, 0);
	assert_string_equal(o.model, "SPIP670");
	assert_string_equal(o.token, "SPIP670");
	assert_string_equal(o.part, "");
	assert_int_equal(o.app_version.nfields, 0);

	assert_int_equal(opt60_parse((const uint8_t *)"Polycom-VVX410", 14,
	    &o, &cause), 0);
	assert_string_equal(o.token, "VVX410");
	/* As some clients send it, with its NUL. */
	assert_int_equal(opt60_parse((const uint8_t *)"Polycom-VVX410", 15,
	    &o, &cause), 0);
	assert_string_equal(o.token, "VVX410");
	assert_int_equal(opt60_parse((const uint8_t *)
	    "Polycom-SoundPointIP-SPIP_670", 29, &o, &cause), 0);
	assert_string_equal(o.token, "SPIP670");
}

static void
test_opt60_ascii_refused(void **state)
{
	uint8_t	*big;

	opt60_refused((const uint8_t *)"MSFT 5.0", 8, "DHCP option 60 'MSFT "
	    "5.0' is not a Polycom phone's (expected 'Polycom-<model>' or "
	    "enterprise 13885)");
	opt60_refused((const uint8_t *)"udhcp 1.35.0", 12, NULL);
	opt60_refused((const uint8_t *)"Polycom-", 8, "DHCP option 60 has a "
	    "model name of 0 bytes");
	opt60_refused((const uint8_t *)"Polycom", 7, NULL);
	opt60_refused((const uint8_t *)"Polycom-SPIP 670", 16, NULL);
	opt60_refused((const uint8_t *)"Polycom-SPIP670\n", 16, NULL);
	opt60_refused((const uint8_t *)"Polycom-SPIP670\0\0", 17, NULL);
	opt60_refused((const uint8_t *)"Polycom-VVX\x1b", 12, NULL);

	big = malloc(100000);
	memset(big, 'P', 100000);
	opt60_refused(big, 100000, "DHCP option 60 'PPPPPPPPPPPPPPPPPPPPPPPPPPP"
	    "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP...' is not a Polycom "
	    "phone's (expected 'Polycom-<model>' or enterprise 13885)");
	memcpy(big, "Polycom-", 8);
	opt60_refused(big, 100000, "DHCP option 60 has a model name of 99992 "
	    "bytes");
	memset(big, 0, 100000);
	big[2] = 0x36;
	big[3] = 0x3d;
	big[4] = 255;
	opt60_refused(big, 100000, "DHCP option 60 has 99740 bytes after its "
	    "255 bytes of vendor data");
	free(big);
}

/* --- file names ---------------------------------------------------------------- */

static void
check_name(const char *name, enum ident_file kind, const char *mac,
    const char *part, const char *base)
{
	struct ident_name	n;
	char			*copy = strdup(name);

	memset(&n, 0x55, sizeof n);
	ident_classify_name(copy, &n);
	assert_int_equal(n.kind, kind);
	assert_string_equal(n.mac, mac);
	assert_string_equal(n.part, part);
	assert_string_equal(n.base, base);
	assert_ptr_equal(n.base, copy + strlen(copy) - strlen(base));
	free(copy);
}

static void
test_names_of_a_phone(void **state)
{
	check_name("0004f2aabbcc.cfg", IDENT_FILE_MASTER_MAC, "0004f2aabbcc",
	    "", "0004f2aabbcc.cfg");
	check_name("000000000000.cfg", IDENT_FILE_MASTER_DEFAULT, "", "",
	    "000000000000.cfg");
	check_name("2345-12670-001.sip.ld", IDENT_FILE_IMAGE, "",
	    "2345-12670-001", "2345-12670-001.sip.ld");
	check_name("3111-44500-001.3111-44500-001.sip.ld", IDENT_FILE_IMAGE,
	    "", "3111-44500-001", "3111-44500-001.3111-44500-001.sip.ld");
	check_name("sip.ld", IDENT_FILE_COMBINED_IMAGE, "", "", "sip.ld");
	/* SIP 2.x/3.x BootROMs: the combined file and a part's split one. */
	check_name("bootrom.ld", IDENT_FILE_BOOTROM, "", "", "bootrom.ld");
	check_name("2345-12670-001.bootrom.ld", IDENT_FILE_BOOTROM, "",
	    "2345-12670-001", "2345-12670-001.bootrom.ld");
	check_name("2345-1267x-001.bootrom.ld", IDENT_FILE_OTHER, "", "",
	    "2345-1267x-001.bootrom.ld");
	check_name("xbootrom.ld", IDENT_FILE_OTHER, "", "", "xbootrom.ld");
	/*
	 * The never-served name of a model names it (a TFTP phone sends no
	 * User-Agent); a 5.x phone prefixes its part.  The generic one, an
	 * empty token or one with other characters names nothing.
	 */
	check_name("ztp-rescue-no-image-VVX410.sip.ld", IDENT_FILE_NO_IMAGE,
	    "", "", "ztp-rescue-no-image-VVX410.sip.ld");
	check_name("3111-48450-001.ztp-rescue-no-image-VVX411.sip.ld",
	    IDENT_FILE_NO_IMAGE, "", "3111-48450-001",
	    "3111-48450-001.ztp-rescue-no-image-VVX411.sip.ld");
	check_name("ztp-rescue-no-image.sip.ld", IDENT_FILE_OTHER, "", "",
	    "ztp-rescue-no-image.sip.ld");
	check_name("ztp-rescue-no-image-.sip.ld", IDENT_FILE_OTHER, "", "",
	    "ztp-rescue-no-image-.sip.ld");
	check_name("ztp-rescue-no-image-VVX 410.sip.ld", IDENT_FILE_OTHER, "",
	    "", "ztp-rescue-no-image-VVX 410.sip.ld");
	check_name("3111-48450-001.ztp-rescue-no-image-VV%X.sip.ld",
	    IDENT_FILE_OTHER, "", "",
	    "3111-48450-001.ztp-rescue-no-image-VV%X.sip.ld");
	{
		struct ident_name	n;

		ident_classify_name("ztp-rescue-no-image-SPIP670.sip.ld", &n);
		assert_string_equal(n.token, "SPIP670");
	}
	check_name("64167f010203-boot.log", IDENT_FILE_BOOT_LOG,
	    "64167f010203", "", "64167f010203-boot.log");
	check_name("64167f010203-app.log", IDENT_FILE_APP_LOG, "64167f010203",
	    "", "64167f010203-app.log");
	check_name("0004f2aabbcc-phone.cfg", IDENT_FILE_PHONE_CFG,
	    "0004f2aabbcc", "", "0004f2aabbcc-phone.cfg");
	check_name("0004f2aabbcc-web.cfg", IDENT_FILE_WEB_CFG, "0004f2aabbcc",
	    "", "0004f2aabbcc-web.cfg");
	check_name("0004f2aabbcc-license.cfg", IDENT_FILE_LICENSE,
	    "0004f2aabbcc", "", "0004f2aabbcc-license.cfg");
	check_name("000000000000-license.cfg", IDENT_FILE_LICENSE, "", "",
	    "000000000000-license.cfg");
	check_name("0004f2aabbcc-directory.xml", IDENT_FILE_DIRECTORY,
	    "0004f2aabbcc", "", "0004f2aabbcc-directory.xml");
	check_name("000000000000-directory.xml", IDENT_FILE_DIRECTORY, "", "",
	    "000000000000-directory.xml");
	check_name("482567aabbcc-calls.xml", IDENT_FILE_CALLS, "482567aabbcc",
	    "", "482567aabbcc-calls.xml");
}

static void
test_names_with_directories(void **state)
{
	check_name("/0004f2aabbcc.cfg", IDENT_FILE_MASTER_MAC, "0004f2aabbcc",
	    "", "0004f2aabbcc.cfg");
	check_name("logs/0004f2aabbcc-app.log", IDENT_FILE_APP_LOG,
	    "0004f2aabbcc", "", "0004f2aabbcc-app.log");
	check_name("/a/b/2345-12670-001.sip.ld", IDENT_FILE_IMAGE, "",
	    "2345-12670-001", "2345-12670-001.sip.ld");
	check_name("ucs/sip.ld", IDENT_FILE_COMBINED_IMAGE, "", "", "sip.ld");
	check_name("contacts/000000000000-directory.xml", IDENT_FILE_DIRECTORY,
	    "", "", "000000000000-directory.xml");
	check_name("logs/", IDENT_FILE_OTHER, "", "", "");
}

static void
test_names_other(void **state)
{
	/* Upper case: no phone asks so (see ident-names.c). */
	check_name("0004F2AABBCC.cfg", IDENT_FILE_OTHER, "", "",
	    "0004F2AABBCC.cfg");
	/*
	 * A group address is no phone's: an upload "ffffffffffff-app.log"
	 * made a phone ffffffffffff and set its version from the log.
	 */
	check_name("ffffffffffff-app.log", IDENT_FILE_OTHER, "", "",
	    "ffffffffffff-app.log");
	check_name("010203040506.cfg", IDENT_FILE_OTHER, "", "",
	    "010203040506.cfg");
	check_name("0304f2aabbcc-boot.log", IDENT_FILE_OTHER, "", "",
	    "0304f2aabbcc-boot.log");
	check_name("0204f2aabbcc-boot.log", IDENT_FILE_BOOT_LOG,
	    "0204f2aabbcc", "", "0204f2aabbcc-boot.log");
	check_name("0004F2aabbcc-app.log", IDENT_FILE_OTHER, "", "",
	    "0004F2aabbcc-app.log");
	check_name("0004f2aabbcc-APP.log", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbcc-APP.log");
	check_name("0004f2aabbcc.CFG", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbcc.CFG");
	/* Zeros are a real name only for the shared files. */
	check_name("000000000000-app.log", IDENT_FILE_OTHER, "", "",
	    "000000000000-app.log");
	check_name("000000000000-phone.cfg", IDENT_FILE_OTHER, "", "",
	    "000000000000-phone.cfg");
	check_name("0004f2aabbc.cfg", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbc.cfg");
	check_name("0004f2aabbccd.cfg", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbccd.cfg");
	check_name("0004f2aabbcg.cfg", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbcg.cfg");
	check_name("0004f2aabbcc.cfg.bak", IDENT_FILE_OTHER, "", "",
	    "0004f2aabbcc.cfg.bak");
	check_name("0004f2aabbcc", IDENT_FILE_OTHER, "", "", "0004f2aabbcc");
	check_name("0004f2aabbcc-", IDENT_FILE_OTHER, "", "", "0004f2aabbcc-");
	check_name("site.cfg", IDENT_FILE_OTHER, "", "", "site.cfg");
	check_name("", IDENT_FILE_OTHER, "", "", "");
	/* Images. */
	check_name(".sip.ld", IDENT_FILE_OTHER, "", "", ".sip.ld");
	check_name("SIP.LD", IDENT_FILE_OTHER, "", "", "SIP.LD");
	check_name("2345-12670-001.sip.ld.tmp", IDENT_FILE_OTHER, "", "",
	    "2345-12670-001.sip.ld.tmp");
	check_name("2345-1267-001.sip.ld", IDENT_FILE_OTHER, "", "",
	    "2345-1267-001.sip.ld");
	check_name("2345-12670-001,2.sip.ld", IDENT_FILE_OTHER, "", "",
	    "2345-12670-001,2.sip.ld");
	check_name("3111-44500-001.2345-12670-001.sip.ld", IDENT_FILE_OTHER,
	    "", "", "3111-44500-001.2345-12670-001.sip.ld");
	check_name("3111-44500-001-3111-44500-001.sip.ld", IDENT_FILE_OTHER,
	    "", "", "3111-44500-001-3111-44500-001.sip.ld");
	check_name("2345-12670-001.2345-12670-001.2345-12670-001.sip.ld",
	    IDENT_FILE_OTHER, "", "",
	    "2345-12670-001.2345-12670-001.2345-12670-001.sip.ld");
}

static void
test_names_null(void **state)
{
	struct ident_name	n;

	ident_classify_name(NULL, &n);
	assert_int_equal(n.kind, IDENT_FILE_OTHER);
	assert_string_equal(n.base, "");
}

static void
test_upload_kinds(void **state)
{
	assert_true(ident_is_upload_kind(IDENT_FILE_BOOT_LOG));
	assert_true(ident_is_upload_kind(IDENT_FILE_APP_LOG));
	assert_true(ident_is_upload_kind(IDENT_FILE_PHONE_CFG));
	assert_true(ident_is_upload_kind(IDENT_FILE_WEB_CFG));
	assert_true(ident_is_upload_kind(IDENT_FILE_DIRECTORY));
	assert_true(ident_is_upload_kind(IDENT_FILE_CALLS));
	assert_false(ident_is_upload_kind(IDENT_FILE_OTHER));
	assert_false(ident_is_upload_kind(IDENT_FILE_MASTER_MAC));
	assert_false(ident_is_upload_kind(IDENT_FILE_MASTER_DEFAULT));
	assert_false(ident_is_upload_kind(IDENT_FILE_IMAGE));
	assert_false(ident_is_upload_kind(IDENT_FILE_COMBINED_IMAGE));
	assert_false(ident_is_upload_kind(IDENT_FILE_LICENSE));
}

static void
test_part_numbers(void **state)
{
	assert_true(ident_is_part_number("2345-12670-001", 14));
	assert_true(ident_is_part_number("3111-46135-002", 14));
	assert_false(ident_is_part_number("2345-12670-001", 13));
	assert_false(ident_is_part_number("2345-12670-0011", 15));
	assert_false(ident_is_part_number("2345_12670-001", 14));
	assert_false(ident_is_part_number("2345-1267a-001", 14));
	assert_false(ident_is_part_number("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ua_reference_examples),
		cmocka_unit_test(test_ua_old_bootrom_has_no_type),
		cmocka_unit_test(test_ua_tolerated_variants),
		cmocka_unit_test(test_ua_malformed),
		cmocka_unit_test(test_ua_null_and_no_cause),
		cmocka_unit_test(test_opt60_binary_reference),
		cmocka_unit_test(test_opt60_binary_variants),
		cmocka_unit_test(test_opt60_truncated_at_every_byte),
		cmocka_unit_test(test_opt60_lying_lengths),
		cmocka_unit_test(test_opt60_bad_contents),
		cmocka_unit_test(test_opt60_ascii),
		cmocka_unit_test(test_opt60_ascii_refused),
		cmocka_unit_test(test_names_of_a_phone),
		cmocka_unit_test(test_names_with_directories),
		cmocka_unit_test(test_names_other),
		cmocka_unit_test(test_names_null),
		cmocka_unit_test(test_upload_kinds),
		cmocka_unit_test(test_part_numbers),
	};

	return (cmocka_run_group_tests_name("ident", tests, NULL, NULL));
}
