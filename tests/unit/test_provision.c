/*
 * Master configs and per-phone files, byte for byte: every model gets its
 * own override, only models with an image in the library are offered one,
 * a phone that must not be offered its image gets the placeholder, and the
 * CA's PEM is escaped by libxml2 with newlines as &#10;.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libxml/parser.h>

#include "embedded.h"
#include "library.h"
#include "models.h"
#include "params.h"
#include "provision.h"

static const char table[] =
    "SPIP670\tSoundPoint IP 670\tSoundPointIP\t2345-12670-001\t"
    "UC Software 4.0.8H\t\n"
    "VVX410\tVVX 410\tVVX\t3111-46162-001\tUC Software 4.1.7G\t\n"
    "SSDuo\tSoundStation Duo\tSoundStationIP\tunknown\t"
    "UC Software 4.0.8H\t\n"
    "VVX411\tVVX 411\tVVX\t3111-48450-001\tUC Software 5.4.1\t\n";

struct ctx {
	struct model_table	*models;
	struct library_package	 pkgs[2];
	char			*parts[2];
	struct library		 lib;
	struct provision	 pv;
};

static int
setup(void **state)
{
	struct ctx	*c = calloc(1, sizeof *c);
	char		*cause = NULL;

	c->models = model_table_parse(table, strlen(table), "test", &cause);
	assert_non_null(c->models);
	c->parts[0] = (char *)"2345-12670-001";
	c->parts[1] = (char *)"3111-46162-001";
	c->pkgs[0].id = (char *)"4.0.8.0931";
	assert_int_equal(ucs_version_parse("4.0.8.0931", &c->pkgs[0].version,
	    &cause), 0);
	c->pkgs[0].parts = &c->parts[0];
	c->pkgs[0].nparts = 1;
	c->pkgs[1].id = (char *)"4.1.7.5432";
	assert_int_equal(ucs_version_parse("4.1.7.5432", &c->pkgs[1].version,
	    &cause), 0);
	c->pkgs[1].parts = &c->parts[1];
	c->pkgs[1].nparts = 1;
	c->lib.dir = (char *)"/nonexistent";
	c->lib.packages = c->pkgs;
	c->lib.npackages = 2;
	c->pv.models = c->models;
	c->pv.library = &c->lib;
	c->pv.template = embedded_get("repoint-ztp.xml", &c->pv.template_len);
	c->pv.template_name = "repoint-ztp.xml";
	assert_non_null(c->pv.template);
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;

	model_table_free(c->models);
	free(c);
	return (0);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define APP(files) "<APPLICATION APP_FILE_PATH=\"ztp-rescue-no-image.sip.ld\"" \
	" CONFIG_FILES=\"" files "\" MISC_FILES=\"\" LOG_FILE_DIRECTORY=\"\"" \
	" OVERRIDES_DIRECTORY=\"\" CONTACTS_DIRECTORY=\"\"" \
	" LICENSE_DIRECTORY=\"\" USER_PROFILES_DIRECTORY=\"\"" \
	" CALL_LISTS_DIRECTORY=\"\">\n"

static void
test_master_for_phone(void **state)
{
	struct ctx	*c = *state;
	size_t		 len;
	char		*out;
	const char	*want = HEAD
	    "<!-- ZTP Rescue master config for 0004f2aabbcc: each model is "
	    "offered only its own target image -->\n"
	    APP("ztp-rescue-0004f2aabbcc.cfg")
	    " <APPLICATION_SPIP670 APP_FILE_PATH_SPIP670=\"2345-12670-001.sip.ld\""
	    " CONFIG_FILES_SPIP670=\"ztp-rescue-0004f2aabbcc.cfg\"/>\n"
	    " <APPLICATION_VVX410 APP_FILE_PATH_VVX410=\"3111-46162-001.sip.ld\""
	    " CONFIG_FILES_VVX410=\"ztp-rescue-0004f2aabbcc.cfg\"/>\n"
	    /* No part number known: the phone names its own (sip.ld). */
	    " <APPLICATION_SSDuo APP_FILE_PATH_SSDuo=\"sip.ld\""
	    " CONFIG_FILES_SSDuo=\"ztp-rescue-0004f2aabbcc.cfg\"/>\n"
	    " <APPLICATION_VVX411 APP_FILE_PATH_VVX411=\"ztp-rescue-no-image-VVX411.sip.ld\""
	    " CONFIG_FILES_VVX411=\"ztp-rescue-0004f2aabbcc.cfg\"/>\n"
	    "</APPLICATION>\n";

	out = provision_master(&c->pv, "0004f2aabbcc", NULL, 1, &len);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void
test_master_default_uses_placeholder(void **state)
{
	struct ctx	*c = *state;
	size_t		 len;
	char		*out;

	out = provision_master(&c->pv, NULL, NULL, 1, &len);
	assert_non_null(strstr(out, APP("ztp-rescue-[PHONE_MAC_ADDRESS].cfg")));
	assert_non_null(strstr(out, "<!-- ZTP Rescue master config for any "
	    "phone:"));
	assert_non_null(strstr(out, "CONFIG_FILES_VVX410=\"ztp-rescue-"
	    "[PHONE_MAC_ADDRESS].cfg\""));
	free(out);
}

static void
test_master_withholds_image_of_phone_model(void **state)
{
	struct ctx	*c = *state;
	size_t		 len;
	char		*out;

	/* A Duo known to be newer: not even the generic name. */
	out = provision_master(&c->pv, "0004f2aabbcc", "SSDuo", 0, &len);
	assert_non_null(strstr(out, "APP_FILE_PATH_SSDuo=\""
	    "ztp-rescue-no-image-SSDuo.sip.ld\""));
	free(out);
	/* A VVX410 known to be newer: its own model gets no image ... */
	out = provision_master(&c->pv, "0004f2aabbcc", "VVX410", 0, &len);
	assert_non_null(strstr(out, "APP_FILE_PATH_VVX410=\""
	    "ztp-rescue-no-image-VVX410.sip.ld\""));
	/* ... the others keep theirs. */
	assert_non_null(strstr(out, "APP_FILE_PATH_SPIP670=\""
	    "2345-12670-001.sip.ld\""));
	free(out);
	/* Model unknown and no offer: nothing for anybody. */
	out = provision_master(&c->pv, "0004f2aabbcc", NULL, 0, &len);
	assert_null(strstr(out, "2345-12670-001.sip.ld"));
	assert_null(strstr(out, "3111-46162-001.sip.ld"));
	free(out);
}

/* The phone's own token, when the table lacks it: the generic name. */
static void
test_master_unknown_token_generic(void **state)
{
	struct ctx	*c = *state;
	size_t		 len;
	char		*out;

	out = provision_master(&c->pv, "0004f2aabbcc", "SSVOIP", 1, &len);
	assert_non_null(strstr(out, "APP_FILE_PATH_SSVOIP=\"sip.ld\""));
	assert_non_null(strstr(out, "CONFIG_FILES_SSVOIP=\"ztp-rescue-"
	    "0004f2aabbcc.cfg\""));
	free(out);
	/* Not offered an image: not even the generic name. */
	out = provision_master(&c->pv, "0004f2aabbcc", "SSVOIP", 0, &len);
	assert_non_null(strstr(out, "APP_FILE_PATH_SSVOIP=\""
	    "ztp-rescue-no-image.sip.ld\""));
	free(out);
	/* Only letters and digits make an attribute name. */
	out = provision_master(&c->pv, "0004f2aabbcc", "SS-VOIP", 1, &len);
	assert_null(strstr(out, "SS-VOIP"));
	free(out);
}

static void
test_phone_file_empty(void **state)
{
	struct ctx	*c = *state;
	char		*out, *cause = NULL;
	size_t		 len;

	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", NULL,
	    "not yet at its target version", &out, &len, &cause), 0);
	assert_string_equal(out, HEAD "<!-- ZTP Rescue: nothing for "
	    "0004f2aabbcc yet: not yet at its target version -->\n"
	    "<polycomConfig/>\n");
	free(out);
}

/* Parsed as strictly as xmllint does: well-formed, or NULL. */
static int
well_formed(const char *out, size_t len)
{
	xmlDocPtr	doc;

	doc = xmlReadMemory(out, (int)len, "t.cfg", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return (0);
	xmlFreeDoc(doc);
	return (1);
}

/*
 * "--" inside a comment is not XML (2.5): the placeholder's note said
 * "(--ca, or set-ca ...)" and xmllint refused the file; a re-point URL
 * may hold "--" too.
 */
static void
test_phone_file_comments_well_formed(void **state)
{
	struct ctx	*c = *state;
	char		*out, *cause = NULL;
	size_t		 len;

	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", NULL,
	    "give it with --ca -", &out, &len, &cause), 0);
	assert_true(well_formed(out, len));
	assert_non_null(strstr(out, "give it with - -ca - -->"));
	free(out);
	c->pv.template = embedded_get("repoint-server.xml",
	    &c->pv.template_len);
	c->pv.server_url = "https://prov--a.example.com/x-";
	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", "PEM",
	    NULL, &out, &len, &cause), 0);
	assert_true(well_formed(out, len));
	/* The value itself is untouched. */
	assert_non_null(strstr(out, " device.prov.serverName=\""
	    "https://prov--a.example.com/x-\""));
	free(out);
}

static void
test_phone_file_trust_ztp(void **state)
{
	struct ctx	*c = *state;
	char		*out, *cause = NULL;
	size_t		 len;

	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc",
	    "-----BEGIN CERTIFICATE-----\nMIIB&<\"x>\n"
	    "-----END CERTIFICATE-----\n", NULL, &out, &len, &cause), 0);
	assert_string_equal(out, HEAD
	    "<!-- ZTP Rescue: SHA-2 trust and re-point (ztp) for 0004f2aabbcc "
	    "-->\n"
	    "<polycomConfig device.set=\"1\""
	    " device.sec.TLS.customCaCert1.set=\"1\""
	    " device.sec.TLS.customCaCert1=\"-----BEGIN CERTIFICATE-----&#10;"
	    "MIIB&amp;&lt;&quot;x&gt;&#10;-----END CERTIFICATE-----&#10;\""
	    " device.sec.TLS.profile.caCertList1.set=\"1\""
	    " device.sec.TLS.profile.caCertList1=\"Platform1\""
	    " device.sec.TLS.profileSelection.provisioning.set=\"1\""
	    " device.sec.TLS.profileSelection.provisioning=\"PlatformProfile1\""
	    " device.prov.serverName.set=\"1\""
	    " device.prov.serverName=\"\""
	    " device.prov.ztpEnabled.set=\"1\""
	    " device.prov.ztpEnabled=\"1\""
	    " device.dhcp.bootSrvUseOpt.set=\"1\""
	    " device.dhcp.bootSrvUseOpt=\"Default\"/>\n");
	free(out);
}

static void
test_phone_file_handoff(void **state)
{
	struct ctx	*c = *state;
	char		*out, *cause = NULL;
	size_t		 len;

	c->pv.template = embedded_get("repoint-server.xml",
	    &c->pv.template_len);
	c->pv.server_url = "https://prov.example.com/polycom?a=1&b=2";
	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", "PEM",
	    NULL, &out, &len, &cause), 0);
	assert_non_null(strstr(out, " device.prov.serverType=\"HTTPS\""));
	assert_non_null(strstr(out, " device.prov.serverName=\""
	    "https://prov.example.com/polycom?a=1&amp;b=2\""));
	assert_non_null(strstr(out, " device.dhcp.bootSrvUseOpt=\"Static\""));
	free(out);
	c->pv.server_url = "gopher://x";
	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", "PEM",
	    NULL, &out, &len, &cause), -1);
	assert_string_equal(cause, "re-point URL gopher://x has no scheme the "
	    "phones know (use http://, https://, ftp://, ftps:// or tftp://)");
	free(cause);
}

/*
 * An operator's template saved with a byte order mark (Windows Notepad):
 * the phone gets a document written afresh, which starts with the XML
 * declaration, never the template's BOM.
 */
static void
test_phone_file_template_bom(void **state)
{
	struct ctx	*c = *state;
	static const char tmpl[] = "\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n"
	    "<polycomConfig device.set=\"1\" device.prov.ztpEnabled=\"1\"/>"
	    "\r\n";
	char		*out, *cause = NULL;
	size_t		 len;

	c->pv.template = tmpl;
	c->pv.template_len = sizeof tmpl - 1;
	assert_int_equal(provision_phone_file(&c->pv, "0004f2aabbcc", "PEM",
	    NULL, &out, &len, &cause), 0);
	assert_string_equal(out, HEAD
	    "<!-- ZTP Rescue: SHA-2 trust and re-point (ztp) for 0004f2aabbcc "
	    "-->\n"
	    "<polycomConfig device.set=\"1\" device.prov.ztpEnabled=\"1\"/>\n");
	free(out);
}

static void
test_template_check(void **state)
{
	char	*cause = NULL;

	assert_int_equal(provision_check_template("<a b=\"1\"/>", 10, "t",
	    NULL, NULL, NULL, &cause), 0);
	assert_int_equal(provision_check_template("<a b=\"1\">", 9, "t.xml",
	    NULL, NULL, NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml is not "
	    "well-formed XML: check it with xmllint");
	free(cause);
	assert_int_equal(provision_check_template("<a/>", 4, "t.xml",
	    NULL, NULL, NULL, &cause), -1);
	free(cause);
}

/* check TEMPLATE against the built-in parameters and the test models. */
static int
check(struct ctx *c, const char *tmpl, const char *url, char **cause)
{
	struct param_table	*params;
	int			 rc;

	params = param_table_load_default(cause);
	assert_non_null(params);
	rc = provision_check_template(tmpl, strlen(tmpl), "t.xml", params,
	    c->models, url, cause);
	param_table_free(params);
	return (rc);
}

static void
test_template_builtins_pass(void **state)
{
	struct ctx	*c = *state;
	const char	*t;
	char		*cause = NULL;
	size_t		 len;

	t = embedded_get("repoint-ztp.xml", &len);
	assert_int_equal(check(c, t, NULL, &cause), 0);
	t = embedded_get("repoint-server.xml", &len);
	assert_int_equal(check(c, t, "https://prov.example.com/p", &cause), 0);
	assert_int_equal(check(c, t, "tftp://10.0.0.1/", &cause), 0);
	/* The hand-off template with no URL sends serverType="". */
	assert_int_equal(check(c, t, NULL, &cause), -1);
	assert_non_null(strstr(cause, "device.prov.serverType=\"\" is not a "
	    "documented value (documented: FTP, TFTP, HTTP, HTTPS, FTPS;"));
	free(cause);
}

static void
test_template_old_values_refused(void **state)
{
	struct ctx	*c = *state;
	char		*cause = NULL;

	assert_int_equal(check(c, "<polycomConfig device.set=\"1\""
	    " device.sec.TLS.profile.caCertList1.set=\"1\""
	    " device.sec.TLS.profile.caCertList1=\"Builtin,Custom1\""
	    " device.sec.TLS.profileSelection.provisioning.set=\"1\""
	    " device.sec.TLS.profileSelection.provisioning=\"PROFILE1\"/>",
	    NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml: "
	    "device.sec.TLS.profile.caCertList1=\"Builtin,Custom1\" is not a "
	    "documented value (documented: Builtin, BuiltinAndPlatform1, "
	    "BuiltinAndPlatform2, All, Platform1, Platform2, "
	    "Platform1AndPlatform2; confidence L, see docs/repoint.md): a phone "
	    "would ignore it; device.sec.TLS.profileSelection.provisioning="
	    "\"PROFILE1\" is not a documented value (documented: "
	    "PlatformProfile1, PlatformProfile2; confidence M, see "
	    "docs/repoint.md): a phone would ignore it");
	free(cause);
}

static void
test_template_unknown_and_switches(void **state)
{
	struct ctx	*c = *state;
	char		*cause = NULL;

	assert_int_equal(check(c, "<polycomConfig device.set=\"1\""
	    " device.prov.ztpMode.set=\"1\" device.prov.ztpMode=\"on\"/>",
	    NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml: "
	    "device.prov.ztpMode.set switches a parameter that is not in the "
	    "documented list (params.tsv); device.prov.ztpMode is not a "
	    "documented parameter (not in params.tsv): a phone would ignore "
	    "it");
	free(cause);
	/* A value without its switch, and no master switch. */
	assert_int_equal(check(c, "<polycomConfig"
	    " device.prov.ztpEnabled=\"0\"/>", NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml: "
	    "device.prov.ztpEnabled is sent without device.prov.ztpEnabled.set"
	    "=\"1\": the phone would not apply it; device.* parameters are "
	    "sent without device.set=\"1\": the phone would apply none of "
	    "them");
	free(cause);
	/* A switch that is not 0 or 1, the CA with other text, a range. */
	assert_int_equal(check(c, "<polycomConfig device.set=\"1\""
	    " device.sec.TLS.customCaCert1.set=\"yes\""
	    " device.sec.TLS.customCaCert1=\"x{CA_PEM}\""
	    " device.dhcp.bootSrvOpt.set=\"1\""
	    " device.dhcp.bootSrvOpt=\"66\"/>", NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml: "
	    "device.sec.TLS.customCaCert1.set=\"yes\": a .set switch takes 0 "
	    "or 1; device.sec.TLS.customCaCert1 mixes {CA_PEM} with other "
	    "text: the CA goes alone into a certificate parameter; "
	    "device.sec.TLS.customCaCert1 is sent without "
	    "device.sec.TLS.customCaCert1.set=\"1\": the phone would not "
	    "apply it; device.dhcp.bootSrvOpt=\"66\" is outside 128..254");
	free(cause);
}

static void
test_template_too_new_for_a_target(void **state)
{
	struct ctx		*c = *state;
	struct model_table	*old;
	const char		*t;
	char			*cause = NULL;
	size_t			 len;
	static const char	 rows[] =
	    "SPIP670\tSoundPoint IP 670\tSoundPointIP\t2345-12670-001\t"
	    "UC Software 3.3.0\t\n"
	    "SPIP650\tSoundPoint IP 650\tSoundPointIP\t2345-12600-001\t"
	    "UC Software 3.3.0\t\n"
	    "VVX410\tVVX 410\tVVX\t3111-46162-001\tUC Software 4.1.7G\t\n";

	old = c->models;
	c->models = model_table_parse(rows, strlen(rows), "old", &cause);
	assert_non_null(c->models);
	t = embedded_get("repoint-ztp.xml", &len);
	assert_int_equal(check(c, t, NULL, &cause), -1);
	assert_string_equal(cause, "re-point template t.xml: "
	    "device.sec.TLS.profile.caCertList1 is not known before UC "
	    "Software 4.0.0 (confidence L, see docs/repoint.md): a phone on "
	    "3.3.0 would ignore it (the target of SPIP670, SPIP650); "
	    "device.sec.TLS.profileSelection.provisioning is not known before "
	    "UC Software 4.0.0 (confidence M, see docs/repoint.md): a phone on "
	    "3.3.0 would ignore it (the target of SPIP670, SPIP650); "
	    "device.prov.ztpEnabled is not known before UC Software 4.0.0 "
	    "(confidence M, see docs/repoint.md): a phone on 3.3.0 would "
	    "ignore it (the target of SPIP670, SPIP650)");
	free(cause);
	model_table_free(c->models);
	c->models = old;
}

static void
test_params_table(void **state)
{
	struct param_table	*t;
	char			*cause = NULL;

	t = param_table_parse("device.a\tenum:X|Y\t4.0.0\tM\tsrc\n", 30,
	    "p", &cause);
	assert_non_null(t);
	assert_int_equal(param_check(t, "device.a", "Y", NULL, &cause), 0);
	assert_int_equal(param_check(t, "device.a.set", "1", NULL, &cause), 0);
	param_table_free(t);
	assert_null(param_table_parse("device.a\tenum:X\t4.0.0\tM\t\n",
	    25, "p", &cause));
	assert_string_equal(cause, "p:1: device.a has no source: never list a "
	    "parameter without one");
	free(cause);
	assert_null(param_table_parse("device.a\tenum:X||Y\t4.0.0\tM\ts\n",
	    29, "p", &cause));
	assert_string_equal(cause, "p:1: values 'enum:X||Y' are not "
	    "enum:A|B, pem, text or int:MIN..MAX");
	free(cause);
	assert_null(param_table_parse("prov.x\ttext\t4.0.0\tM\ts\n", 22,
	    "p", &cause));
	assert_string_equal(cause, "p:1: 'prov.x' is not a device.* "
	    "parameter");
	free(cause);
	assert_null(param_table_parse("device.a\ttext\t4.0.0\tX\ts\n", 24,
	    "p", &cause));
	assert_string_equal(cause, "p:1: confidence 'X' is not H, M or L");
	free(cause);
	t = param_table_load_default(&cause);
	assert_non_null(t);
	assert_non_null(param_find(t, "device.prov.ztpEnabled"));
	assert_null(param_find(t, "device.prov.ztpMode"));
	param_table_free(t);
}

static void
test_phone_file_names(void **state)
{
	char	mac[13];

	assert_int_equal(provision_is_phone_file("ztp-rescue-0004f2aabbcc.cfg",
	    mac), 1);
	assert_string_equal(mac, "0004f2aabbcc");
	assert_int_equal(provision_is_phone_file("ztp-rescue-0004F2AABBCC.cfg",
	    mac), 0);
	assert_int_equal(provision_is_phone_file("ztp-rescue-0004f2aabb.cfg",
	    mac), 0);
	assert_int_equal(provision_is_phone_file("0004f2aabbcc.cfg", mac), 0);
}

/* The re-point URLs a technician types: usable, or refused saying why. */
static void
test_server_url_check(void **state)
{
	static const char *good[] = {
		"https://prov.example.com/", "http://10.0.0.5", "ftp://"
		"PlcmSpIp:PlcmSpIp@10.0.0.5/phones", "tftp://10.0.0.5:6969/",
		"https://[fd00::5]:8443/p", "HTTPS://PROV.EXAMPLE.COM",
		"https://prov_1.example.com/?a=b",
		"https://prov.example.com/a..b/",	/* ".." in the path */
		"http://255.255.255.254/", "https://0prov.example/",
		NULL
	};
	static const struct {
		const char	*url;
		const char	*says;
	} bad[] = {
		{ "https://", "names no server" },
		{ "https:///p", "names no server" },
		{ "https://:443/", "names no server" },
		{ "https://user@/", "names no server" },
		{ "https://prov example.com/", "has a space in it" },
		{ "https://prov.example.com/a\tb", "a character a URL" },
		{ "https://prov.example.com/\"", "a character a URL" },
		{ "https://prov.example.com:0/", "not a number from 1 to 65535" },
		{ "https://prov.example.com:99999/", "from 1 to 65535" },
		{ "https://prov.example.com:44x/", "from 1 to 65535" },
		{ "https://prov.example.com:/", "from 1 to 65535" },
		{ "https://prov..example.com/", "is not a server name" },
		{ "https://-prov/", "is not a server name" },
		{ "https://prov;rm/", "is not a server name" },
		{ "https://[fd00::zz]/", "is not a server name" },
		/* Each sent every phone to a server that cannot exist. */
		{ "http://10.0.0.256/", "'10.0.0.256' is not an IPv4 address" },
		{ "https://999.1.1.1:8443/", "is not an IPv4 address" },
		{ "http://10.0.5/", "is not an IPv4 address" },
		{ "http://10.0.0.5./", "is not an IPv4 address" },
		{ "gopher://x", "neither 'ztp' nor a URL" },
		{ NULL, NULL }
	};
	char	*cause;
	int	 i;

	for (i = 0; good[i] != NULL; i++) {
		cause = NULL;
		if (provision_check_server_url(good[i], &cause) != 0)
			fail_msg("%s refused: %s", good[i], cause);
	}
	for (i = 0; bad[i].url != NULL; i++) {
		cause = NULL;
		if (provision_check_server_url(bad[i].url, &cause) == 0)
			fail_msg("%s accepted", bad[i].url);
		if (strstr(cause, bad[i].says) == NULL)
			fail_msg("%s: '%s' does not say '%s'", bad[i].url, cause,
			    bad[i].says);
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_master_for_phone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_master_default_uses_placeholder, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_master_withholds_image_of_phone_model, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_master_unknown_token_generic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_file_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_phone_file_trust_ztp,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_phone_file_comments_well_formed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_file_handoff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_phone_file_template_bom,
		    setup, teardown),
		cmocka_unit_test(test_template_check),
		cmocka_unit_test_setup_teardown(test_template_builtins_pass,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_template_old_values_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_template_unknown_and_switches, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_template_too_new_for_a_target, setup, teardown),
		cmocka_unit_test(test_params_table),
		cmocka_unit_test(test_phone_file_names),
		cmocka_unit_test(test_server_url_check),
	};

	return (cmocka_run_group_tests_name("provision", tests, NULL, NULL));
}
