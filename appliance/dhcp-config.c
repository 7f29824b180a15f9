/*
 * The files dnsmasq reads: its configuration, the hosts file of re-pointed
 * phones, and the lease-script wrapper.  Generated from the appliance's
 * address so that the pool, the interface and the boot URL can never
 * disagree with each other.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/stat.h>

#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "oui.h"
#include "xmalloc.h"

/* Short leases: a phone moved to another port shows up again soon. */
#define DHCP_LEASE_TIME	"30m"

static int	dhcp_config_safe(const char *, const char *, char **);
static char	*dhcp_config_quote(const char *);
static char	*dhcp_config_only_phones(const struct dhcp_config *);

/*
 * Only Polycom phones get an answer: a client whose MAC starts with a listed
 * OUI, or whose vendor class (option 60, matched anywhere in its bytes, so
 * the binary RFC 3925 form too) contains "Polycom", is tagged; every other
 * client is ignored.  A technician's laptop or the site's machines plugged
 * into the same switch never get an address from the appliance.
 */
static char *
dhcp_config_only_phones(const struct dhcp_config *dc)
{
	const struct oui_list	*ol;
	char			*text, *line;
	size_t			 i, len;

	if (dc->any)
		return (xstrdup(""));
	ol = dc->ouis != NULL ? dc->ouis : oui_current();
	text = xstrdup("");
	len = 0;
	for (i = 0; i < ol->n; i++) {
		xasprintf(&line, "dhcp-mac=set:polycom,%02x:%02x:%02x:*:*:*\n",
		    ol->oui[i][0], ol->oui[i][1], ol->oui[i][2]);
		text = xrealloc(text, len + strlen(line) + 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	xasprintf(&line, "%sdhcp-vendorclass=set:polycom,Polycom\n"
	    "dhcp-ignore=tag:!polycom\n", text);
	free(text);
	return (line);
}

int
dhcp_parse_address(const char *text, struct dhcp_net *net, char **cause)
{
	char		 buf[INET_ADDRSTRLEN + 4], *slash, *end;
	long		 prefix;
	uint32_t	 a, mask, lo_first, lo_last, hi_first, hi_last;

	memset(net, 0, sizeof *net);
	if (text == NULL || strlen(text) >= sizeof buf ||
	    (slash = strchr(text, '/')) == NULL) {
		xasprintf(cause, "address '%s' is not of the form A.B.C.D/N; "
		    "give the appliance's address with its prefix, e.g. "
		    "10.99.0.1/24", text == NULL ? "" : text);
		return (-1);
	}
	snprintf(buf, sizeof buf, "%s", text);
	buf[slash - text] = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &net->addr) != 1 || *end != '\0' ||
	    end == slash + 1 || prefix < 8 || prefix > 30) {
		xasprintf(cause, "address '%s' is not of the form A.B.C.D/N "
		    "with N from 8 to 30; e.g. 10.99.0.1/24", text);
		return (-1);
	}
	net->prefix = prefix;
	a = ntohl(net->addr.s_addr);
	mask = 0xffffffffU << (32 - prefix);
	net->netmask.s_addr = htonl(mask);
	net->network.s_addr = htonl(a & mask);
	net->broadcast.s_addr = htonl((a & mask) | ~mask);
	if (a == (a & mask) || a == ((a & mask) | ~mask)) {
		xasprintf(cause, "address '%s' is the network or broadcast "
		    "address of its subnet; choose a host address such as "
		    "the first one", text);
		return (-1);
	}

	/* The pool: the longer run of hosts below or above our address. */
	lo_first = (a & mask) + 1;
	lo_last = a - 1;
	hi_first = a + 1;
	hi_last = ((a & mask) | ~mask) - 1;
	if (hi_last >= hi_first &&
	    (lo_last < lo_first || hi_last - hi_first >= lo_last - lo_first)) {
		net->range_start.s_addr = htonl(hi_first);
		net->range_end.s_addr = htonl(hi_last);
	} else {
		net->range_start.s_addr = htonl(lo_first);
		net->range_end.s_addr = htonl(lo_last);
	}
	return (0);
}

/* dnsmasq's config syntax has no escape for a newline: refuse odd bytes. */
static int
dhcp_config_safe(const char *what, const char *value, char **cause)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\' ||
		    *p == ',' || *p == '#') {
			xasprintf(cause, "%s '%s' has a character dnsmasq's "
			    "configuration cannot carry (space, comma, quote, "
			    "'#' or a control byte); choose another", what,
			    value);
			return (-1);
		}
	}
	if (*value == '\0') {
		xasprintf(cause, "%s is empty", what);
		return (-1);
	}
	return (0);
}

static char *
dhcp_config_quote(const char *s)
{
	char	*q;

	xasprintf(&q, "\"%s\"", s);
	return (q);
}

char *
dhcp_config_render(const struct dhcp_config *dc, const struct dhcp_net *net,
    char **cause)
{
	char	 start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN];
	char	 mask[INET_ADDRSTRLEN], self[INET_ADDRSTRLEN];
	char	*url, *text, *who, *ignored = NULL, *only;
	struct stat	 sb;
	struct passwd	*pw;
	struct group	*gr;

	if (dhcp_config_safe("interface name", dc->iface, cause) != 0 ||
	    dhcp_config_safe("boot URL", dc->boot_url, cause) != 0 ||
	    dhcp_config_safe("state directory", dc->state_dir, cause) != 0)
		return (NULL);
	if (strncmp(dc->boot_url, "http://", 7) != 0 &&
	    strncmp(dc->boot_url, "https://", 8) != 0 &&
	    strncmp(dc->boot_url, "tftp://", 7) != 0) {
		xasprintf(cause, "boot URL '%s' is not http://, https:// or "
		    "tftp://; give e.g. http://10.99.0.1/", dc->boot_url);
		return (NULL);
	}
	inet_ntop(AF_INET, &net->range_start, start, sizeof start);
	inet_ntop(AF_INET, &net->range_end, end, sizeof end);
	inet_ntop(AF_INET, &net->netmask, mask, sizeof mask);
	inet_ntop(AF_INET, &net->addr, self, sizeof self);
	url = dhcp_config_quote(dc->boot_url);

	/*
	 * dnsmasq drops root once it has its sockets, then re-reads the hosts
	 * file on SIGHUP: it runs as the daemon's user (or whoever owns the
	 * state directory), the account sure to be able to read it and the
	 * one the daemon can still signal once it has dropped root too.
	 */
	who = xstrdup("");
	pw = NULL;
	if (dc->user != NULL)
		pw = getpwnam(dc->user);
	else if (stat(dc->state_dir, &sb) == 0)
		pw = getpwuid(sb.st_uid);
	if (dc->user != NULL && pw == NULL) {
		xasprintf(cause, "user '%s' does not exist", dc->user);
		free(who);
		free(url);
		return (NULL);
	}
	if (pw != NULL &&
	    dhcp_config_safe("user", pw->pw_name, &ignored) == 0) {
		free(who);
		if ((gr = getgrgid(pw->pw_gid)) != NULL &&
		    dhcp_config_safe("group", gr->gr_name, &ignored) == 0)
			xasprintf(&who, "user=%s\ngroup=%s\n", pw->pw_name,
			    gr->gr_name);
		else
			xasprintf(&who, "user=%s\n", pw->pw_name);
	}
	free(ignored);
	only = dhcp_config_only_phones(dc);

	/*
	 * port=0: no DNS at all.  Options 66 and 160 are forced (sent even when
	 * not requested: a phone set to a custom option may not list it), and
	 * never to a MAC listed in the hosts file: dnsmasq tags a client that
	 * matches any dhcp-host line "known".  (A "set:" tag on those lines
	 * would be more explicit, but dnsmasq 2.90 crashes on SIGHUP once a
	 * client has matched such a line.)  No router, no DNS server: nothing
	 * on this segment should try to leave it.
	 *
	 * no-ping: dnsmasq 2.90 pings an address before offering it and
	 * reads no DHCP packet while it waits (3 s an address, one after
	 * another), so phones powering up together queue behind each other
	 * and one retrying for a few seconds gets no lease.  The segment is
	 * the appliance's own (the guard and the probe refuse any other); a
	 * client that checks the address it is offered (RFC 2131 4.4.1)
	 * still DECLINEs one in use, and dnsmasq then offers another.
	 */
	xasprintf(&text,
	    "# Generated by ztp-rescue for %s on %s; rewritten at every "
	    "start.\n"
	    "%s"
	    "interface=%s\n"
	    "bind-interfaces\n"
	    "port=0\n"
	    "no-resolv\n"
	    "no-hosts\n"
	    "no-poll\n"
	    "pid-file=\n"
	    "log-facility=-\n"
	    "log-dhcp\n"
	    "dhcp-authoritative\n"
	    "no-ping\n"
	    "dhcp-range=%s,%s,%s,%s\n"
	    "dhcp-option=option:router\n"
	    "dhcp-option=option:dns-server\n"
	    "dhcp-option-force=tag:!known,66,%s\n"
	    "dhcp-option-force=tag:!known,160,%s\n"
	    "%s"
	    "dhcp-leasefile=%s/%s\n"
	    "dhcp-hostsfile=%s/%s\n"
	    "dhcp-script=%s/%s\n"
	    "script-on-renewal\n",
	    dc->iface, self,
	    who,
	    dc->iface,
	    start, end, mask, DHCP_LEASE_TIME,
	    url,
	    url,
	    only,
	    dc->state_dir, DHCP_LEASES_NAME,
	    dc->state_dir, DHCP_HOSTS_NAME,
	    dc->state_dir, DHCP_HOOK_NAME);
	free(url);
	free(who);
	free(only);
	return (text);
}

char *
dhcp_hosts_render(char (*macs)[DHCP_MAC_LEN + 1], size_t n)
{
	char	*text, *line;
	size_t	 i, len = 0;
	const char *m;

	text = xstrdup("");
	for (i = 0; i < n; i++) {
		m = macs[i];
		xasprintf(&line, "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s,%s\n",
		    m, m + 2, m + 4, m + 6, m + 8, m + 10, DHCP_LEASE_TIME);
		text = xrealloc(text, len + strlen(line) + 1);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	return (text);
}

/*
 * dnsmasq runs its script with no arguments of ours, so the script is a
 * wrapper naming the binary and the socket.  Single quotes in sh carry
 * everything but a single quote.
 */
char *
dhcp_hook_render(const char *binary, const char *state_dir, char **cause)
{
	char	*text;

	if (strchr(binary, '\'') != NULL || strchr(state_dir, '\'') != NULL) {
		xasprintf(cause, "path '%s' or '%s' has a single quote; install "
		    "ztp-rescue and its state directory under plain names",
		    binary, state_dir);
		return (NULL);
	}
	xasprintf(&text, "#!/bin/sh\n"
	    "# Generated by ztp-rescue: dnsmasq's lease script.\n"
	    "exec '%s' dhcp-lease-hook --socket '%s/%s' \"$@\"\n",
	    binary, state_dir, DHCP_SOCKET_NAME);
	return (text);
}
