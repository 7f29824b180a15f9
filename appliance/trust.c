/*
 * CA checks with OpenSSL.  The order of the checks is the order a
 * technician can act on: the file first (PEM, one certificate), then what
 * the certificate is (a CA), then how it is signed and keyed, then when.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "trust.h"
#include "xmalloc.h"

#define TRUST_MAX_FILE	(256 * 1024)
#define PEM_BEGIN	"-----BEGIN CERTIFICATE-----"

static char	*trust_name(const X509_NAME *);
static char	*trust_time(const ASN1_TIME *);
static int	 trust_count_pem(const char *, size_t);
static X509	*trust_read_der(const char *, size_t);

static char *
trust_name(const X509_NAME *name)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*data, *out;
	long	 n;

	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return (out);
}

static char *
trust_time(const ASN1_TIME *t)
{
	struct tm	 tm;
	char		 buf[32];

	memset(&tm, 0, sizeof tm);
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return (xstrdup("?"));
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (xstrdup(buf));
}

static int
trust_count_pem(const char *buf, size_t len)
{
	const char	*p = buf, *end = buf + len;
	size_t		 n = strlen(PEM_BEGIN);
	int		 count = 0;

	while ((p = memmem(p, (size_t)(end - p), PEM_BEGIN, n)) != NULL) {
		count++;
		p += n;
	}
	return (count);
}

/*
 * One DER certificate and nothing after it: what Windows exports by default
 * ("DER encoded binary X.509 (.CER)").  The phones get it as PEM either way.
 */
static X509 *
trust_read_der(const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	X509			*x;

	if (len == 0 || len > TRUST_MAX_FILE)
		return (NULL);
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != (const unsigned char *)buf + len) {
		X509_free(x);
		x = NULL;
	}
	return (x);
}

/*
 * Windows' third export format, "PKCS #7 (.P7B)", DER or Base-64: the
 * certificates it holds (*count); the one, when there is exactly one.
 * -1 in *count when it is not PKCS #7 at all.
 */
static X509 *
trust_read_pkcs7(const char *buf, size_t len, int *count)
{
	const unsigned char	*p = (const unsigned char *)buf;
	PKCS7			*p7 = NULL;
	STACK_OF(X509)		*certs = NULL;
	BIO			*b;
	X509			*x = NULL;

	*count = -1;
	if (len == 0 || len > TRUST_MAX_FILE)
		return (NULL);
	if (memmem(buf, len, "-----BEGIN PKCS7-----", 21) != NULL) {
		b = BIO_new_mem_buf(buf, (int)len);
		p7 = PEM_read_bio_PKCS7(b, NULL, NULL, NULL);
		BIO_free(b);
	} else
		p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (p7 == NULL)
		return (NULL);
	if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	*count = certs != NULL ? sk_X509_num(certs) : 0;
	if (*count == 1)
		x = X509_dup(sk_X509_value(certs, 0));
	PKCS7_free(p7);
	return (x);
}

/* A .pfx/.p12 holds a private key: it is refused for what it is. */
static int
trust_is_pkcs12(const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	PKCS12			*p12;

	if (len == 0 || len > TRUST_MAX_FILE)
		return (0);
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL)
		return (0);
	PKCS12_free(p12);
	return (1);
}

struct trust_ca *
trust_check_ca(const char *buf, size_t len, const char *name, time_t now,
    char **cause)
{
	struct trust_ca		*ca = NULL;
	X509			*x = NULL;
	EVP_PKEY		*key;
	BIO			*b = NULL;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	int			 count, p7count, sig_nid, md_nid, pk_nid;
	int			 bits;
	char			*data, keydesc[64];
	long			 n;

	count = trust_count_pem(buf, len);
	if (count == 0 && (x = trust_read_der(buf, len)) == NULL &&
	    (x = trust_read_pkcs7(buf, len, &p7count)) == NULL) {
		if (p7count == 0) {
			xasprintf(cause, "%s is a PKCS #7 file without a "
			    "certificate: export the CA again, as Base-64 "
			    "(PEM) or DER", name);
			return (NULL);
		}
		if (p7count < 0 && trust_is_pkcs12(buf, len)) {
			xasprintf(cause, "%s is a PKCS #12 (.pfx) file, which "
			    "holds a private key that must not leave the CA: "
			    "export the CA's certificate alone, as Base-64 "
			    "(PEM) or DER (.cer)", name);
			return (NULL);
		}
		if (p7count < 0) {
			xasprintf(cause, "%s is neither a PEM certificate (no "
			    "\"%s\" line) nor a DER or PKCS #7 one: export the "
			    "CA again, as Base-64 (PEM) or DER", name,
			    PEM_BEGIN);
			return (NULL);
		}
		count = p7count;	/* a chain: refused below */
	}
	if (count > 1) {
		xasprintf(cause, "%s holds %d certificates: a phone's CA slot "
		    "takes exactly one; give the file with only the CA that "
		    "signed the provisioning server's chain", name, count);
		return (NULL);
	}
	if (count == 1) {
		b = BIO_new_mem_buf(buf, (int)len);
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		if (x == NULL) {
			xasprintf(cause, "%s has a certificate block that "
			    "OpenSSL cannot read: the PEM is damaged", name);
			return (NULL);
		}
	}
	if (X509_check_ca(x) < 1 ||
	    !(X509_get_extension_flags(x) & EXFLAG_CA)) {
		xasprintf(cause, "%s is not a CA certificate (no basic "
		    "constraints CA:TRUE): give the issuing CA, not the server's "
		    "own certificate", name);
		goto fail;
	}
	sig_nid = X509_get_signature_nid(x);
	if (!OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid))
		md_nid = NID_undef;
	if (md_nid == NID_sha1 || md_nid == NID_md5 || md_nid == NID_md4 ||
	    md_nid == NID_md2 || md_nid == NID_md5_sha1) {
		xasprintf(cause, "%s is signed with %s: that is the weak "
		    "signature this recovery replaces; give a SHA-256 (or "
		    "stronger) CA", name, OBJ_nid2ln(md_nid));
		goto fail;
	}
	key = X509_get0_pubkey(x);
	if (key == NULL) {
		xasprintf(cause, "%s has a public key OpenSSL cannot read",
		    name);
		goto fail;
	}
	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && bits < 2048) {
		xasprintf(cause, "%s has an RSA key of %d bits: at least 2048 "
		    "are needed", name, bits);
		goto fail;
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		data = trust_time(X509_get0_notAfter(x));
		xasprintf(cause, "%s expired on %s: give a CA that is valid now "
		    "(and check the laptop's clock)", name, data);
		free(data);
		goto fail;
	}
	if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		data = trust_time(X509_get0_notBefore(x));
		xasprintf(cause, "%s is not valid before %s: check the laptop's "
		    "clock, or give a CA that is valid now", name, data);
		free(data);
		goto fail;
	}

	ca = xcalloc(1, sizeof *ca);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	ca->pem = xstrndup(data, (size_t)n);
	BIO_free(b);
	ca->subject = trust_name(X509_get_subject_name(x));
	ca->issuer = trust_name(X509_get_issuer_name(x));
	snprintf(keydesc, sizeof keydesc, "%s %d bits",
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? "RSA" :
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "EC" : "key", bits);
	xasprintf(&ca->algorithm, "%s, %s", OBJ_nid2ln(sig_nid), keydesc);
	ca->not_before = trust_time(X509_get0_notBefore(x));
	ca->not_after = trust_time(X509_get0_notAfter(x));
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(ca->sha256 + 2 * i, 3, "%02x", md[i]);
	ca->source = xstrdup(name);
	X509_free(x);
	return (ca);

fail:
	X509_free(x);
	return (NULL);
}

struct trust_ca *
trust_load_ca(const char *path, time_t now, char **cause)
{
	struct trust_ca	*ca;
	char		*buf;
	size_t		 n;

	if ((buf = fileio_read(path, "the CA file", TRUST_MAX_FILE, &n,
	    cause)) == NULL)
		return (NULL);
	ca = trust_check_ca(buf, n, path, now, cause);
	free(buf);
	return (ca);
}

void
trust_ca_free(struct trust_ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->pem);
	free(ca->subject);
	free(ca->issuer);
	free(ca->algorithm);
	free(ca->not_before);
	free(ca->not_after);
	free(ca->source);
	free(ca);
}

json_t *
trust_ca_json(const struct trust_ca *ca)
{
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "subject", ca->subject, "issuer", ca->issuer,
	    "algorithm", ca->algorithm, "not_before", ca->not_before,
	    "not_after", ca->not_after, "sha256", ca->sha256,
	    "source", ca->source));
}
