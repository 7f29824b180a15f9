/*
 * The re-point target a technician types: checked before any phone is
 * given it.  A phone told device.prov.serverName="https://" (the console's
 * prompt, Enter pressed) or a name with a space in it goes quiet looking
 * for a server that cannot exist, and looks from the closet like every
 * phone that went where it should.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provision.h"
#include "xmalloc.h"

#define REPOINT_EXAMPLE	"for example https://prov.example.com/"

/* A host name's characters (RFC 1123, and '_' that sites use). */
static int
repoint_host_char(int c)
{
	return (isalnum(c) || c == '-' || c == '.' || c == '_');
}

/* An IPv6 literal between brackets: hex digits, ':' and '.' only. */
static int
repoint_ipv6_literal(const char *host, size_t len)
{
	size_t	i;

	if (len < 4 || host[0] != '[' || host[len - 1] != ']')
		return (0);
	for (i = 1; i < len - 1; i++)
		if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
		    host[i] != '.')
			return (0);
	return (1);
}

/*
 * A host of digits and dots is an IPv4 address, and must be one: a typo
 * such as 10.0.0.256 sent every phone to a server that cannot exist (each
 * then needs a factory reset).  0 when it is one or is a name.
 */
static int
repoint_ipv4_ok(const char *host, size_t hostlen, const char *url,
    char **cause)
{
	struct in_addr	a;
	char		buf[16];

	if (strspn(host, "0123456789.") < hostlen)
		return (0);	/* a name */
	if (hostlen < sizeof buf) {
		memcpy(buf, host, hostlen);
		buf[hostlen] = '\0';
		if (inet_pton(AF_INET, buf, &a) == 1)
			return (0);
	}
	xasprintf(cause, "re-point target '%s': '%.*s' is not an IPv4 address "
	    "(four numbers from 0 to 255 with dots between; %s)", url,
	    (int)hostlen, host, REPOINT_EXAMPLE);
	return (-1);
}

int
provision_check_server_url(const char *url, char **cause)
{
	const char	*p, *auth, *end, *at, *host, *colon;
	size_t		 hostlen, i;
	long		 port;
	char		*stop;

	if (provision_server_type(url) == NULL) {
		xasprintf(cause, "re-point target '%s' is neither 'ztp' nor a "
		    "URL with a scheme the phones know (http://, https://, "
		    "ftp://, ftps://, tftp://)", url);
		return (-1);
	}
	for (p = url; *p != '\0'; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) ||
		    *p == '"' || *p == '\\' || *p == '<' || *p == '>') {
			xasprintf(cause, "re-point target '%s' has %s in it: a "
			    "URL has none (%s)", url, *p == ' ' ? "a space" :
			    "a character a URL cannot hold", REPOINT_EXAMPLE);
			return (-1);
		}
	}
	auth = strstr(url, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	/* user:password@ before the host: the last '@' ends it. */
	host = auth;
	for (at = auth; at < end; at++)
		if (*at == '@')
			host = at + 1;
	hostlen = (size_t)(end - host);
	colon = NULL;
	if (hostlen > 0 && host[0] == '[') {
		for (i = 0; i < hostlen && host[i] != ']'; i++)
			;
		if (i + 1 < hostlen && host[i + 1] == ':')
			colon = host + i + 1;
	} else
		colon = memchr(host, ':', hostlen);
	if (colon != NULL) {
		port = strtol(colon + 1, &stop, 10);
		if (stop != end || colon + 1 == end || port < 1 ||
		    port > 65535 || !isdigit((unsigned char)colon[1])) {
			xasprintf(cause, "re-point target '%s' has a port that "
			    "is not a number from 1 to 65535 after its ':'",
			    url);
			return (-1);
		}
		hostlen = (size_t)(colon - host);
	}
	if (hostlen == 0) {
		xasprintf(cause, "re-point target '%s' names no server: put "
		    "the provisioning server's name or address after the '//' "
		    "(%s)", url, REPOINT_EXAMPLE);
		return (-1);
	}
	if (host[0] == '[') {
		if (repoint_ipv6_literal(host, hostlen))
			return (0);
	} else {
		/* Within the host only: ".." may be in the path. */
		for (i = 0; i < hostlen && repoint_host_char(
		    (unsigned char)host[i]) && (i == 0 || host[i] != '.' ||
		    host[i - 1] != '.'); i++)
			;
		if (i == hostlen && host[0] != '.' && host[0] != '-' &&
		    repoint_ipv4_ok(host, hostlen, url, cause) != 0)
			return (-1);
		if (i == hostlen && host[0] != '.' && host[0] != '-')
			return (0);
	}
	xasprintf(cause, "re-point target '%s': '%.*s' is not a server name "
	    "or address (%s)", url, (int)hostlen, host, REPOINT_EXAMPLE);
	return (-1);
}

/*
 * The host (IPv6 without its brackets) and the port of a URL that passed
 * provision_check_server_url: its own, else the scheme's.
 */
void
provision_server_url_host(const char *url, char *host, size_t size,
    unsigned *port)
{
	static const struct {
		const char	*scheme;
		unsigned	 port;
	} ports[] = {
		{ "https://", 443 }, { "http://", 80 }, { "ftps://", 990 },
		{ "ftp://", 21 }, { "tftp://", 69 }
	};
	const char	*auth, *end, *at, *h, *colon = NULL;
	size_t		 len, i;

	*port = 0;
	for (i = 0; i < sizeof ports / sizeof ports[0]; i++)
		if (strncasecmp(url, ports[i].scheme,
		    strlen(ports[i].scheme)) == 0)
			*port = ports[i].port;
	auth = strstr(url, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	h = auth;
	for (at = auth; at < end; at++)
		if (*at == '@')
			h = at + 1;
	if (*h == '[') {
		h++;
		len = strcspn(h, "]");
		if (h[len] == ']' && h[len + 1] == ':')
			colon = h + len + 1;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		len = colon != NULL ? (size_t)(colon - h) : (size_t)(end - h);
	}
	if (colon != NULL)
		*port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (len >= size)
		len = size - 1;
	memcpy(host, h, len);
	host[len] = '\0';
}
