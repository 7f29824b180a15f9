/*
 * The optional ZTP reachability check: from a second interface with a route
 * out, does the re-point target's host resolve, and does it present a TLS
 * chain that the CA the appliance installs on the phones accepts, for that
 * host name?  Only what was observed is recorded: the addresses, the chain's
 * subject and issuer, the fingerprints, OpenSSL's verify error, the time.
 */
#ifndef ZTP_ZTPCHECK_H
#define ZTP_ZTPCHECK_H

#include <stdint.h>

#include <jansson.h>

/* The ZTP host when the re-point target is "ztp" (reference section 4 [M]). */
#define ZTPCHECK_ZTP_HOST	"ztp.polycom.com"
#define ZTPCHECK_TIMEOUT_MS	5000

struct ztpcheck_req {
	char		*host;		/* the name checked */
	unsigned	 port;
	char		*via;		/* interface, or NULL: any route */
	char		*hosts_file;	/* resolve only from this, or NULL */
	char		*ca_pem;	/* exactly the CA given to phones */
	char		 ca_sha256[65];
	char		*repoint;	/* "ztp" or the hand-off URL */
	int		 timeout_ms;
};

struct ztpcheck_result {
	int		 ok;		/* 1: resolved, chain and name accepted */
	char		*host;
	unsigned	 port;
	char		*via;		/* NULL: any route */
	char		*repoint;
	char		 ca_sha256[65];
	char		*addresses;	/* "192.0.2.1, 2001:db8::1", or NULL */
	char		*connected;	/* the address the TLS ran on */
	char		*subject;	/* the leaf's, RFC 2253 */
	char		*issuer;
	char		 leaf_sha256[65]; /* "" when no certificate came */
	char		*verify_error;	/* OpenSSL's text, NULL when accepted */
	char		*why;		/* the failure in one sentence */
	int64_t		 at;		/* wall ms */
};

/*
 * Parse "HOST" or "HOST:PORT" (port 443 when absent; [v6]:port) into the
 * request; a URL ("https://host:port/path") gives its host and port.
 * Returns -1 with *cause.
 */
int	 ztpcheck_target(const char *, char **, unsigned *, char **);
/* Run the check now (blocking: call it off the event loop). */
void	 ztpcheck_run(const struct ztpcheck_req *, struct ztpcheck_result *);
void	 ztpcheck_req_free(struct ztpcheck_req *);
void	 ztpcheck_result_free(struct ztpcheck_result *);
/*
 * What a report row says after "ZTP reachability ": "verified from this
 * closet at TIME via IF: HOST presented SUBJECT, accepted by the installed
 * CA SHA256" or "check FAILED: WHY".  To free.
 */
char	*ztpcheck_sentence(const struct ztpcheck_result *);
json_t	*ztpcheck_json(const struct ztpcheck_result *);

#endif
