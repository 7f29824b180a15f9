/*
 * The phone's contact with ZTP after it was re-pointed: HTTPS to --ztp,
 * trusting only what the phone trusts (device.sec.TLS.customCaCert1 as
 * installed, and --ztp-ca standing in for its factory roots).  Firmware
 * older than its model's first SHA-2-capable release refuses any
 * certificate in the chain signed with a SHA-2 digest: the failure of the
 * seed notice, done inside a real handshake by the verify callback.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "phonesim.h"

struct ztp_verify {
	struct phone	*ph;
	int		 old;		/* firmware without SHA-2 */
	char		*refused;	/* why verification failed */
};

static __thread struct ztp_verify *ztp_current;

static int	ztp_verify_cb(int, X509_STORE_CTX *);
static CURLcode	ztp_ssl_ctx(CURL *, void *, void *);
static void	ztp_add_pem(X509_STORE *, const char *);
static size_t	ztp_discard(char *, size_t, size_t, void *);

static int
ztp_is_sha2(int nid)
{
	return (nid == NID_sha224 || nid == NID_sha256 || nid == NID_sha384 ||
	    nid == NID_sha512);
}

static int
ztp_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct ztp_verify	*v = ztp_current;
	X509			*cert = X509_STORE_CTX_get_current_cert(ctx);
	int			 md = NID_undef, pk, depth, err;

	if (v == NULL || cert == NULL)
		return (ok);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (v->old && OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md,
	    &pk) && ztp_is_sha2(md)) {
		if (v->refused == NULL) {
			sim_asprintf(&v->refused, "firmware %s refuses the "
			    "SHA-2 signed certificate at depth %d (%s needs "
			    "%s or later)", v->ph->version, depth,
			    v->ph->model->token, v->ph->model->sha2_min);
		}
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_SIGNATURE_FAILURE);
		return (0);
	}
	if (!ok && v->refused == NULL) {
		err = X509_STORE_CTX_get_error(ctx);
		sim_asprintf(&v->refused, "certificate not trusted at depth "
		    "%d: %s", depth, X509_verify_cert_error_string(err));
	}
	return (ok);
}

static void
ztp_add_pem(X509_STORE *store, const char *pem)
{
	BIO	*bio;
	X509	*x;

	bio = BIO_new_mem_buf(pem, -1);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(store, x);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
}

/* Replaces curl's trust store with the phone's own. */
static CURLcode
ztp_ssl_ctx(CURL *c, void *sslctx, void *arg)
{
	struct ztp_verify	*v = arg;
	SSL_CTX			*ctx = sslctx;
	X509_STORE		*store;

	if ((store = X509_STORE_new()) == NULL)
		return (CURLE_OUT_OF_MEMORY);
	if (v->ph->ca_pem != NULL && app_cfg_trusts_ca1(v->ph))
		ztp_add_pem(store, v->ph->ca_pem);
	if (v->ph->ztp_ca != NULL)
		ztp_add_pem(store, v->ph->ztp_ca);
	SSL_CTX_set_cert_store(ctx, store);
	/* Old firmware also accepts SHA-1 chains, which OpenSSL's defaults
	 * would refuse on its behalf. */
	if (v->old)
		SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, ztp_verify_cb);
	return (CURLE_OK);
}

static size_t
ztp_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return (size * nmemb);
}

int
ztp_contact(struct phone *ph, char **cause)
{
	struct ztp_verify	 v;
	CURL			*c;
	CURLcode		 rc;
	char			*url, *ua, *name, *bind, errbuf[CURL_ERROR_SIZE];
	long			 status = 0, remaining;

	remaining = (long)(ph->deadline - time(NULL));
	if (remaining <= 0) {
		*cause = sim_strdup("out of time before contacting ZTP");
		return (-1);
	}
	memset(&v, 0, sizeof v);
	v.ph = ph;
	v.old = sim_version_cmp(ph->version, ph->model->sha2_min, 3) < 0;
	if (ph->curl == NULL && (ph->curl = curl_easy_init()) == NULL)
		sim_fatalx("curl_easy_init failed");
	c = ph->curl;
	curl_easy_reset(c);
	sim_asprintf(&name, "%s.cfg", ph->mac);
	url = sim_url_join(ph->ztp, name);
	free(name);
	ua = phone_user_agent(ph);
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, remaining);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ztp_discard);
	if (ph->source != NULL) {
		sim_asprintf(&bind, "host!%s", ph->source);
		curl_easy_setopt(c, CURLOPT_INTERFACE, bind);
		free(bind);
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	/* Not the system bundle: parsing it for every phone is slow, and the
	 * callback below replaces the store with the phone's own anyway. */
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ztp_ssl_ctx);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &v);
	if (getenv("PHONESIM_CURL_VERBOSE") != NULL)
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	ztp_current = &v;
	rc = curl_easy_perform(c);
	ztp_current = NULL;
	free(ua);
	free(url);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 200) {
		free(v.refused);
		return (0);
	}
	if (v.refused != NULL)
		*cause = v.refused;
	else if (rc == CURLE_OK)
		sim_asprintf(cause, "ZTP answered HTTP %ld", status);
	else
		sim_asprintf(cause, "%s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
	return (-1);
}
