/*
 * CA checks: certificates made here with the openssl command line, each
 * refusal reason, and the details shown for an accepted CA (its SHA-256
 * fingerprint as openssl itself computes it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "trust.h"

static char dir[64];

static void
sh(const char *fmt, ...)
{
	char	cmd[2048], full[2200];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
	assert_int_equal(system(full), 0);
}

#define REQ "openssl req -x509 -nodes -days 3650 -subj '/CN=%s' "

static int
setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/test-trust.XXXXXX");
	assert_non_null(mkdtemp(dir));
	sh(REQ "-newkey rsa:2048 -sha256 -keyout ca.key -out ca.pem "
	    "-addext basicConstraints=critical,CA:TRUE", "Test Root CA");
	sh(REQ "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha384 "
	    "-keyout ec.key -out ec.pem -addext basicConstraints=critical,"
	    "CA:TRUE", "EC CA");
	sh(REQ "-newkey rsa:2048 -sha256 -keyout leaf.key -out leaf.pem "
	    "-addext basicConstraints=critical,CA:FALSE", "server.example");
	sh(REQ "-newkey rsa:2048 -sha1 -keyout sha1.key -out sha1.pem "
	    "-addext basicConstraints=critical,CA:TRUE", "Old CA");
	sh(REQ "-newkey rsa:1024 -sha256 -keyout small.key -out small.pem "
	    "-addext basicConstraints=critical,CA:TRUE", "Small CA");
	sh("openssl x509 -in ca.pem -outform DER -out ca.der");
	sh("openssl x509 -in leaf.pem -outform DER -out leaf.der");
	sh("cat ca.der ca.der > ca-twice.der");
	sh("head -c 400 ca.der > ca-cut.der");
	sh("printf 'not a certificate at all\\n' > words.cer");
	sh("cat ca.pem ec.pem > two.pem");
	/* Windows' other exports: PKCS #7 (.p7b), PKCS #12 (.pfx). */
	sh("openssl crl2pkcs7 -nocrl -certfile ca.pem -outform DER -out "
	    "ca.p7b");
	sh("openssl crl2pkcs7 -nocrl -certfile ca.pem -out ca-base64.p7b");
	sh("openssl crl2pkcs7 -nocrl -certfile two.pem -outform DER -out "
	    "chain.p7b");
	sh("openssl crl2pkcs7 -nocrl -outform DER -out empty.p7b");
	sh("openssl pkcs12 -export -in ca.pem -inkey ca.key -passout pass: "
	    "-out ca.pfx");
	sh("openssl x509 -in ca.pem -noout -fingerprint -sha256 | "
	    "sed 's/.*=//; s/://g' | tr A-F a-f > ca.fp");
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

static struct trust_ca *
load(const char *name, time_t now, char **cause)
{
	char	path[128];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	*cause = NULL;
	return (trust_load_ca(path, now, cause));
}

static void
refused(const char *name, time_t now, const char *want)
{
	struct trust_ca	*ca;
	char		*cause, path[128], *expect;

	ca = load(name, now, &cause);
	assert_null(ca);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_true(asprintf(&expect, want, path) > 0);
	assert_string_equal(cause, expect);
	free(expect);
	free(cause);
}

static void
test_good_ca(void **state)
{
	struct trust_ca	*ca;
	char		*cause, fp[80], path[128];
	FILE		*f;
	json_t		*j;

	ca = load("ca.pem", time(NULL), &cause);
	assert_non_null(ca);
	assert_string_equal(ca->subject, "CN=Test Root CA");
	assert_string_equal(ca->issuer, "CN=Test Root CA");
	assert_string_equal(ca->algorithm,
	    "sha256WithRSAEncryption, RSA 2048 bits");
	snprintf(path, sizeof path, "%s/ca.fp", dir);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(fp, sizeof fp, f));
	fclose(f);
	fp[strcspn(fp, "\n")] = '\0';
	assert_string_equal(ca->sha256, fp);
	assert_int_equal(strncmp(ca->pem, "-----BEGIN CERTIFICATE-----\n",
	    28), 0);
	j = trust_ca_json(ca);
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
	    fp);
	json_decref(j);
	trust_ca_free(ca);

	ca = load("ec.pem", time(NULL), &cause);
	assert_non_null(ca);
	assert_string_equal(ca->algorithm, "ecdsa-with-SHA384, EC 256 bits");
	trust_ca_free(ca);

	/* The same CA exported as DER (Windows' default): read, given as PEM. */
	ca = load("ca.der", time(NULL), &cause);
	assert_non_null(ca);
	assert_string_equal(ca->subject, "CN=Test Root CA");
	assert_string_equal(ca->sha256, fp);
	assert_int_equal(strncmp(ca->pem, "-----BEGIN CERTIFICATE-----\n",
	    28), 0);
	trust_ca_free(ca);
}

static void
test_not_a_ca(void **state)
{
	refused("leaf.pem", time(NULL), "%s is not a CA certificate (no basic "
	    "constraints CA:TRUE): give the issuing CA, not the server's own "
	    "certificate");
}

static void
test_sha1(void **state)
{
	refused("sha1.pem", time(NULL), "%s is signed with sha1: that is the "
	    "weak signature this recovery replaces; give a SHA-256 (or "
	    "stronger) CA");
}

static void
test_small_rsa(void **state)
{
	refused("small.pem", time(NULL), "%s has an RSA key of 1024 bits: at "
	    "least 2048 are needed");
}

static void
test_expired_and_not_yet_valid(void **state)
{
	struct trust_ca	*ca;
	char		*cause;

	ca = load("ca.pem", time(NULL) + 20 * 365 * 86400L, &cause);
	assert_null(ca);
	assert_non_null(strstr(cause, "/ca.pem expired on "));
	assert_non_null(strstr(cause, "(and check the laptop's clock)"));
	free(cause);
	ca = load("ca.pem", 86400, &cause);
	assert_null(ca);
	assert_non_null(strstr(cause, "/ca.pem is not valid before "));
	free(cause);
}

static void
test_not_pem_and_two(void **state)
{
	/* Neither PEM nor one whole DER certificate. */
	static const char *const neither[] = { "words.cer", "ca-cut.der",
	    "ca-twice.der" };
	struct trust_ca	*ca;
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof neither / sizeof neither[0]; i++)
		refused(neither[i], time(NULL), "%s is neither a PEM "
		    "certificate (no \"-----BEGIN CERTIFICATE-----\" line) nor "
		    "a DER or PKCS #7 one: export the CA again, as Base-64 "
		    "(PEM) or DER");
	/* A DER certificate passes every check a PEM one does. */
	refused("leaf.der", time(NULL), "%s is not a CA certificate (no basic "
	    "constraints CA:TRUE): give the issuing CA, not the server's own "
	    "certificate");
	refused("two.pem", time(NULL), "%s holds 2 certificates: a phone's CA "
	    "slot takes exactly one; give the file with only the CA that "
	    "signed the provisioning server's chain");
	ca = load("missing.pem", time(NULL), &cause);
	assert_null(ca);
	assert_non_null(strstr(cause, "cannot open the CA file"));
	free(cause);
	ca = trust_check_ca("-----BEGIN CERTIFICATE-----\nxx\n-----END "
	    "CERTIFICATE-----\n", 58, "inline", time(NULL), &cause);
	assert_null(ca);
	assert_string_equal(cause, "inline has a certificate block that "
	    "OpenSSL cannot read: the PEM is damaged");
	free(cause);
}

/*
 * A .p7b holding the one CA is read as that CA (it was refused as "neither
 * PEM nor DER"); a chain is refused as two PEM certificates are; a .pfx is
 * refused for the private key it carries.
 */
static void
test_pkcs7_and_pkcs12(void **state)
{
	static const char *const one[] = { "ca.p7b", "ca-base64.p7b" };
	struct trust_ca	*ca;
	char		*cause, fp[80];
	FILE		*f;
	size_t		 i;

	assert_non_null(f = fopen(strcat(strcpy(fp, dir), "/ca.fp"), "r"));
	assert_non_null(fgets(fp, sizeof fp, f));
	fclose(f);
	fp[strcspn(fp, "\n")] = '\0';
	for (i = 0; i < sizeof one / sizeof one[0]; i++) {
		ca = load(one[i], time(NULL), &cause);
		assert_null(cause);
		assert_non_null(ca);
		assert_string_equal(ca->sha256, fp);
		assert_string_equal(ca->subject, "CN=Test Root CA");
		assert_non_null(strstr(ca->pem, "-----BEGIN CERTIFICATE-----"));
		trust_ca_free(ca);
	}
	refused("chain.p7b", time(NULL), "%s holds 2 certificates: a phone's "
	    "CA slot takes exactly one; give the file with only the CA that "
	    "signed the provisioning server's chain");
	refused("empty.p7b", time(NULL), "%s is a PKCS #7 file without a "
	    "certificate: export the CA again, as Base-64 (PEM) or DER");
	refused("ca.pfx", time(NULL), "%s is a PKCS #12 (.pfx) file, which "
	    "holds a private key that must not leave the CA: export the CA's "
	    "certificate alone, as Base-64 (PEM) or DER (.cer)");
}

static void
test_server_cert(void **state)
{
	char	sub[128], *cert, *key, *cause = NULL, *cert2, *key2;

	snprintf(sub, sizeof sub, "%s/tls", dir);
	assert_int_equal(trust_server_cert(sub, &cert, &key, &cause), 0);
	sh("openssl x509 -in tls/server-cert.pem -noout -text | "
	    "grep -q 'Signature Algorithm: ecdsa-with-SHA256'");
	/* Kept across restarts. */
	sh("cp tls/server-cert.pem first.pem");
	assert_int_equal(trust_server_cert(sub, &cert2, &key2, &cause), 0);
	sh("cmp first.pem tls/server-cert.pem");
	free(cert);
	free(key);
	free(cert2);
	free(key2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_ca),
		cmocka_unit_test(test_not_a_ca),
		cmocka_unit_test(test_sha1),
		cmocka_unit_test(test_small_rsa),
		cmocka_unit_test(test_expired_and_not_yet_valid),
		cmocka_unit_test(test_not_pem_and_two),
		cmocka_unit_test(test_pkcs7_and_pkcs12),
		cmocka_unit_test(test_server_cert),
	};

	return (cmocka_run_group_tests_name("trust", tests, setup, teardown));
}
