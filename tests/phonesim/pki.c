/*
 * make-test-pki DIR [IP...]: a test PKI written with OpenSSL's API.
 *   ca.pem / ca.key            SHA-256 root CA (RSA 2048)
 *   server.pem / server.key    for 127.0.0.1, localhost and each IP given,
 *                              signed by ca
 *   sha1-ca.pem / sha1-ca.key  a root CA signed with SHA-1 (for refusals)
 *   sha1-server.pem / .key     for 127.0.0.1, signed by sha1-ca with SHA-1
 * All synthetic, for tests only.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "phonesim.h"

static EVP_PKEY	*pki_key(void);
static X509	*pki_cert(const char *, EVP_PKEY *, X509 *, EVP_PKEY *,
		    const EVP_MD *, int, const char *);
static void	 pki_ext(X509 *, X509 *, int, const char *);
static int	 pki_write(const char *, const char *, X509 *, EVP_PKEY *);

static EVP_PKEY *
pki_key(void)
{
	EVP_PKEY	*key;

	if ((key = EVP_RSA_gen(2048)) == NULL)
		sim_fatalx("cannot generate an RSA key");
	return (key);
}

static void
pki_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		sim_fatalx("cannot make extension %s", value);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A CA (issuer NULL: self-signed) or a server certificate for 127.0.0.1. */
static X509 *
pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    const EVP_MD *md, int ca, const char *san)
{
	X509		*x;
	X509_NAME	*name;
	unsigned char	 serial[16];
	BIGNUM		*bn;

	x = X509_new();
	X509_set_version(x, 2);
	RAND_bytes(serial, sizeof serial);
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"ZTP Rescue tests (synthetic)", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	if (issuer == NULL)
		issuer = x;
	pki_ext(x, issuer, NID_subject_key_identifier, "hash");
	pki_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (ca) {
		pki_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		pki_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		pki_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		pki_ext(x, issuer, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment");
		pki_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		pki_ext(x, issuer, NID_subject_alt_name, san);
	}
	if (X509_sign(x, ikey, md) == 0)
		sim_fatalx("cannot sign certificate %s", cn);
	return (x);
}

static int
pki_write(const char *dir, const char *stem, X509 *x, EVP_PKEY *key)
{
	char	*path;
	FILE	*fp;
	int	 rc = 0;

	sim_asprintf(&path, "%s/%s.pem", dir, stem);
	if ((fp = fopen(path, "w")) == NULL ||
	    !PEM_write_X509(fp, x) || fclose(fp) != 0) {
		fprintf(stderr, "phonesim: cannot write %s: %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	sim_asprintf(&path, "%s/%s.key", dir, stem);
	if (rc == 0 && ((fp = fopen(path, "w")) == NULL ||
	    fchmod(fileno(fp), 0600) != 0 ||
	    !PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL) ||
	    fclose(fp) != 0)) {
		fprintf(stderr, "phonesim: cannot write %s: %s\n", path,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	return (rc);
}

int
cmd_make_test_pki(int argc, char **argv)
{
	EVP_PKEY	*cakey, *srvkey, *s1key, *s1srvkey;
	X509		*ca, *srv, *s1ca, *s1srv;
	struct sim_buf	 san = { NULL, 0, 0 };
	const char	*dir;
	int		 rc = 0, i;
	unsigned char	 addr[16];

	if (argc < 2) {
		fprintf(stderr, "usage: phonesim make-test-pki DIR [IP...]\n");
		return (2);
	}
	dir = argv[1];
	sim_buf_printf(&san, "IP:127.0.0.1,DNS:localhost");
	for (i = 2; i < argc; i++) {
		if (inet_pton(AF_INET, argv[i], addr) != 1 &&
		    inet_pton(AF_INET6, argv[i], addr) != 1) {
			fprintf(stderr, "phonesim: '%s' is not an IP address\n",
			    argv[i]);
			sim_buf_free(&san);
			return (2);
		}
		sim_buf_printf(&san, ",IP:%s", argv[i]);
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "phonesim: cannot make %s: %s\n", dir,
		    strerror(errno));
		return (1);
	}
	cakey = pki_key();
	srvkey = pki_key();
	s1key = pki_key();
	s1srvkey = pki_key();
	ca = pki_cert("ZTP Rescue Test CA SHA-256 (synthetic)", cakey, NULL,
	    cakey, EVP_sha256(), 1, NULL);
	srv = pki_cert("127.0.0.1", srvkey, ca, cakey, EVP_sha256(), 0,
	    san.data);
	s1ca = pki_cert("ZTP Rescue Test CA SHA-1 (synthetic)", s1key, NULL,
	    s1key, EVP_sha1(), 1, NULL);
	s1srv = pki_cert("127.0.0.1", s1srvkey, s1ca, s1key, EVP_sha1(), 0,
	    san.data);
	if (pki_write(dir, "ca", ca, cakey) != 0 ||
	    pki_write(dir, "server", srv, srvkey) != 0 ||
	    pki_write(dir, "sha1-ca", s1ca, s1key) != 0 ||
	    pki_write(dir, "sha1-server", s1srv, s1srvkey) != 0)
		rc = 1;
	X509_free(ca);
	X509_free(srv);
	X509_free(s1ca);
	X509_free(s1srv);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(srvkey);
	EVP_PKEY_free(s1key);
	EVP_PKEY_free(s1srvkey);
	sim_buf_free(&san);
	return (rc);
}
