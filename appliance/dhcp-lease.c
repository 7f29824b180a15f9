/*
 * Lease events from dnsmasq's lease script to the daemon: one line per
 * datagram on a unix socket in the state directory.  The fields that come
 * from the network (host name, vendor class) travel as hex so that no byte
 * of theirs can split or forge a field.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "mac.h"
#include "xmalloc.h"

#define DHCP_LEASE_MAGIC	"ztp-lease 1 "

static char	*dhcp_lease_hex(const char *);
static int	 dhcp_lease_unhex(const char *, size_t, uint8_t *, size_t,
		     size_t *);
static int	 dhcp_lease_field(const char **, const char *, char *,
		     size_t);

static char *
dhcp_lease_hex(const char *s)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*out;
	size_t			 i, n;

	if (s == NULL || *s == '\0')
		return (xstrdup("-"));
	n = strlen(s);
	out = xmalloc(2 * n + 1);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)s[i] & 0xf];
	}
	out[2 * n] = '\0';
	return (out);
}

static int
dhcp_lease_unhex(const char *s, size_t len, uint8_t *out, size_t size,
    size_t *outlen)
{
	size_t	i;
	int	hi, lo;

	*outlen = 0;
	if (len == 1 && s[0] == '-')
		return (0);
	if (len == 0 || len % 2 != 0 || len / 2 > size)
		return (-1);
	for (i = 0; i < len; i += 2) {
		hi = (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' :
		    (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10 : -1;
		lo = (s[i + 1] >= '0' && s[i + 1] <= '9') ? s[i + 1] - '0' :
		    (s[i + 1] >= 'a' && s[i + 1] <= 'f') ? s[i + 1] - 'a' + 10 :
		    -1;
		if (hi < 0 || lo < 0)
			return (-1);
		out[i / 2] = (hi << 4) | lo;
	}
	*outlen = len / 2;
	return (0);
}

char *
dhcp_lease_format(const char *action, const char *mac, const char *ip,
    const char *hostname, const char *vendor, const char *iface, char **cause)
{
	char		 m[DHCP_MAC_LEN + 1], *h, *v, *line;
	struct in_addr	 in;
	const char	*p;

	if (action == NULL || (strcmp(action, "add") != 0 &&
	    strcmp(action, "old") != 0 && strcmp(action, "del") != 0)) {
		xasprintf(cause, "lease action '%s' is not add, old or del",
		    action == NULL ? "" : action);
		return (NULL);
	}
	if (mac == NULL || mac_parse(mac, m) != 0) {
		xasprintf(cause, "lease MAC '%s' is not an Ethernet address",
		    mac == NULL ? "" : mac);
		return (NULL);
	}
	if (ip == NULL || inet_pton(AF_INET, ip, &in) != 1) {
		xasprintf(cause, "lease address '%s' is not IPv4",
		    ip == NULL ? "" : ip);
		return (NULL);
	}
	if (iface == NULL || *iface == '\0')
		iface = "-";
	for (p = iface; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || p - iface >= 15) {
			xasprintf(cause, "interface name is not plain");
			return (NULL);
		}
	}
	h = dhcp_lease_hex(hostname);
	v = dhcp_lease_hex(vendor);
	if (strlen(h) > 2 * 63)
		h[2 * 63] = '\0';
	if (strlen(v) > 2 * 255)
		v[2 * 255] = '\0';
	xasprintf(&line, "%s%s %s %s %s %s %s\n", DHCP_LEASE_MAGIC, action, m,
	    ip, h, v, iface);
	free(h);
	free(v);
	return (line);
}

/* Copy the next space-separated field into out (size), advance *pp. */
static int
dhcp_lease_field(const char **pp, const char *end, char *out, size_t size)
{
	const char	*p = *pp, *q;

	for (q = p; q < end && *q != ' ' && *q != '\n'; q++)
		;
	if (q == p || (size_t)(q - p) >= size)
		return (-1);
	memcpy(out, p, q - p);
	out[q - p] = '\0';
	/* One space, and only before another field. */
	if (q < end && *q == ' ' && ++q == end)
		return (-1);
	*pp = q;
	return (0);
}

int
dhcp_lease_parse(const char *buf, size_t len, struct dhcp_lease_msg *msg,
    char **cause)
{
	const char	*p = buf, *end = buf + len, *q;
	char		 mac[DHCP_MAC_LEN + 2], ip[INET_ADDRSTRLEN + 1];
	char		 hex[2 * 255 + 2];
	struct in_addr	 in;

	memset(msg, 0, sizeof *msg);
	if (len > 0 && buf[len - 1] == '\n')
		end--;
	if ((size_t)(end - p) < strlen(DHCP_LEASE_MAGIC) ||
	    memcmp(p, DHCP_LEASE_MAGIC, strlen(DHCP_LEASE_MAGIC)) != 0)
		goto bad;
	p += strlen(DHCP_LEASE_MAGIC);
	if (memchr(p, '\0', end - p) != NULL || memchr(p, '\n', end - p))
		goto bad;
	if (dhcp_lease_field(&p, end, msg->action, sizeof msg->action) != 0 ||
	    (strcmp(msg->action, "add") != 0 && strcmp(msg->action, "old") != 0
	    && strcmp(msg->action, "del") != 0))
		goto bad;
	if (dhcp_lease_field(&p, end, mac, sizeof mac) != 0 ||
	    strlen(mac) != DHCP_MAC_LEN ||
	    mac_parse(mac, msg->mac) != 0)
		goto bad;
	if (dhcp_lease_field(&p, end, ip, sizeof ip) != 0 ||
	    strlen(ip) >= sizeof msg->ip || inet_pton(AF_INET, ip, &in) != 1)
		goto bad;
	memcpy(msg->ip, ip, strlen(ip) + 1);
	if (dhcp_lease_field(&p, end, hex, sizeof hex) != 0 ||
	    dhcp_lease_unhex(hex, strlen(hex), (uint8_t *)msg->hostname,
	    sizeof msg->hostname - 1, &msg->hostname_len) != 0)
		goto bad;
	msg->hostname[msg->hostname_len] = '\0';
	if (dhcp_lease_field(&p, end, hex, sizeof hex) != 0 ||
	    dhcp_lease_unhex(hex, strlen(hex), msg->vendor,
	    sizeof msg->vendor, &msg->vendor_len) != 0)
		goto bad;
	if (dhcp_lease_field(&p, end, msg->iface, sizeof msg->iface) != 0 ||
	    p != end)
		goto bad;
	for (q = msg->iface; *q != '\0'; q++) {
		if (*q <= ' ' || *q > '~')
			goto bad;
	}
	if (strcmp(msg->iface, "-") == 0)
		msg->iface[0] = '\0';
	return (0);

bad:
	memset(msg, 0, sizeof *msg);
	xasprintf(cause, "lease event of %zu bytes is malformed (expected "
	    "'%sACTION MAC IP HOST VENDOR IFACE')", len, DHCP_LEASE_MAGIC);
	return (-1);
}

int
dhcp_lease_send(const char *path, const char *line, char **cause)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path '%s' is too long", path);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	if (sendto(fd, line, strlen(line), MSG_DONTWAIT,
	    (struct sockaddr *)&sun, sizeof sun) == -1) {
		xasprintf(cause, "cannot send the lease event to %s: %s (is "
		    "the daemon serving DHCP?)", path, strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}
