/*
 * The operator's CA certificate: checked with OpenSSL before any phone is
 * given it, and refused with the reason when it would not work or would not
 * be safe (not a CA, SHA-1/MD5 signature, outside its validity, RSA under
 * 2048 bits, not PEM, more than one certificate).  Also the appliance's own
 * self-signed SHA-256 server certificate for HTTPS.
 */
#ifndef ZTP_TRUST_H
#define ZTP_TRUST_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

struct trust_ca {
	char	*pem;		/* the one certificate, PEM, as given to phones */
	char	*subject;	/* RFC 2253 */
	char	*issuer;
	char	*algorithm;	/* "sha256WithRSAEncryption, RSA 2048 bits" */
	char	*not_before;	/* "2026-11-27T10:00:00Z" */
	char	*not_after;
	char	 sha256[65];	/* of the DER, lower-case hex */
	char	*source;	/* path it came from */
};

/* Check PEM bytes at time now (name says where they came from). */
struct trust_ca	*trust_check_ca(const char *, size_t, const char *, time_t,
		    char **);
/* Read and check a file. */
struct trust_ca	*trust_load_ca(const char *, time_t, char **);
void		 trust_ca_free(struct trust_ca *);
/* subject, issuer, algorithm, not_before, not_after, sha256, source */
json_t		*trust_ca_json(const struct trust_ca *);

/*
 * The HTTPS server certificate in dir (cert.pem, key.pem), generated on
 * first use: EC P-256 key, SHA-256 signature, CN = the appliance.
 */
int		 trust_server_cert(const char *, char **, char **, char **);

#endif
