/*
 * The appliance's own HTTPS certificate: self-signed, EC P-256, SHA-256,
 * made on first start and kept in the state directory, so a phone that
 * already speaks HTTPS sees the same certificate after a restart.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "trust.h"
#include "xmalloc.h"

#define TRUST_CERT_DAYS	(10 * 365)

static int	trust_write_pem(const char *, int, X509 *, EVP_PKEY *, char **);

static int
trust_write_pem(const char *path, int mode, X509 *x, EVP_PKEY *key,
    char **cause)
{
	BIO	*bio;
	char	*data;
	long	 len;
	int	 ok, rc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		xasprintf(cause, "cannot write %s: out of memory", path);
		return (-1);
	}
	ok = x != NULL ? PEM_write_bio_X509(bio, x) :
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	if (!ok || (len = BIO_get_mem_data(bio, &data)) <= 0) {
		xasprintf(cause, "cannot write %s: cannot encode it", path);
		BIO_free(bio);
		return (-1);
	}
	rc = fileio_replace(path, data, (size_t)len, (mode_t)mode, 0, cause);
	OPENSSL_cleanse(data, (size_t)len);
	BIO_free(bio);
	return (rc);
}

int
trust_server_cert(const char *dir, char **cert_path, char **key_path,
    char **cause)
{
	EVP_PKEY	*key = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;
	int		 rc = -1;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "cannot create %s: %s", dir, strerror(errno));
		return (-1);
	}
	xasprintf(cert_path, "%s/server-cert.pem", dir);
	xasprintf(key_path, "%s/server-key.pem", dir);
	if (access(*cert_path, R_OK) == 0 && access(*key_path, R_OK) == 0)
		return (0);

	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL) {
		xasprintf(cause, "cannot generate the HTTPS key");
		goto out;
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 *
	    TRUST_CERT_DAYS);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"ZTP Rescue appliance", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"ztp-rescue", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:FALSE");
	if (ext != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		xasprintf(cause, "cannot sign the HTTPS certificate");
		goto out;
	}
	if (trust_write_pem(*key_path, 0600, NULL, key, cause) != 0 ||
	    trust_write_pem(*cert_path, 0644, x, NULL, cause) != 0)
		goto out;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	if (rc != 0) {
		free(*cert_path);
		free(*key_path);
		*cert_path = *key_path = NULL;
	}
	return (rc);
}
