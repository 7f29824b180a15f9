/*
 * `ztp-rescue dhcpd`: the daemon's DHCP module on its own, in the
 * foreground, printing every lease event with what option 60 says about the
 * phone.  For technicians checking a segment, and for the tests.  Lines on
 * standard input steer it: "no-boot-server MAC", "boot-server MAC", "state".
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "dhcp.h"
#include "ident.h"
#include "lldp.h"
#include "log.h"
#include "oui.h"
#include "sighting.h"
#include "xmalloc.h"

static int	cmd_dhcpd_exec(const struct cmd_entry *, int, char **);
static void	cmd_dhcpd_lease(void *, const struct dhcp_lease *);
static void	cmd_dhcpd_signal(evutil_socket_t, short, void *);
static void	cmd_dhcpd_stdin(evutil_socket_t, short, void *);
static void	cmd_dhcpd_command(struct dhcp *, char *);
static void	cmd_dhcpd_offer(void *, const struct in_addr *,
		    const struct dhcp_packet_info *);
static int	cmd_dhcpd_probe_only(const char *, unsigned);
static void	cmd_dhcpd_ignored(void *, const struct dhcp_ignored *);
static void	cmd_dhcpd_silent(void *, const struct sighting *, const char *,
		    const char *);
static void	cmd_dhcpd_voice(void *, const char *);

enum {
	OPT_IFACE = 'i',
	OPT_ADDRESS = 'a',
	OPT_BOOT_URL = 'u',
	OPT_STATE = 's',
	OPT_FORCE = 'f',
	OPT_NO_PROBE = CMD_LONG_ONLY,
	OPT_PROBE_MS,
	OPT_DNSMASQ,
	OPT_NO_BOOT_SERVER,
	OPT_PROBE_ONLY,
	OPT_DHCP_ANY,
	OPT_OUI_FILE,
	OPT_VLAN,
	OPT_LLDP,
	OPT_VERBOSE = 'v'
};

static const struct cmd_option cmd_dhcpd_options[] = {
	{ "iface", OPT_IFACE, "IF", "the interface cabled to the phones" },
	{ "address", OPT_ADDRESS, "A/N", "the appliance's address on it, e.g. "
	    "10.99.0.1/24 (given to the interface when missing)" },
	{ "boot-url", OPT_BOOT_URL, "URL", "options 66 and 160 (default "
	    "http://ADDRESS/)" },
	{ "state", OPT_STATE, "DIR", "where the configuration and leases live "
	    "(default /var/lib/ztp-rescue)" },
	{ "force", OPT_FORCE, NULL, "serve despite a default route or a "
	    "foreign address on the interface" },
	{ "no-probe", OPT_NO_PROBE, NULL, "serve without first checking for "
	    "another DHCP server" },
	{ "probe-ms", OPT_PROBE_MS, "MS", "how long the probe listens for "
	    "offers (default 6000)" },
	{ "dnsmasq", OPT_DNSMASQ, "PATH", "the dnsmasq binary (default "
	    "dnsmasq)" },
	{ "no-boot-server", OPT_NO_BOOT_SERVER, "MAC", "never offer 66/160 to "
	    "this MAC (repeatable)" },
	{ "probe-only", OPT_PROBE_ONLY, NULL, "only list the DHCP servers that "
	    "answer on --iface (with their options 66 and 160), then exit" },
	{ "dhcp-any", OPT_DHCP_ANY, NULL, "answer every client, not only "
	    "Polycom phones (by OUI or vendor class)" },
	{ "oui-file", OPT_OUI_FILE, "FILE", "the Polycom OUI list to use "
	    "instead of the built-in one (same format)" },
	{ "vlan", OPT_VLAN, "VID", "serve on the 802.1Q interface IF.VID "
	    "(made when missing); the listener stays on IF" },
	{ "lldp", OPT_LLDP, NULL, "run lldpd on IF (an LLDP-MED endpoint) and "
	    "print the voice VLAN the switch offers" },
	{ "verbose", OPT_VERBOSE, NULL, "log dnsmasq's own lines too" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_dhcpd_entry = {
	.name = "dhcpd",
	.args = "",
	.summary = "serve DHCP on one interface in the foreground, printing "
	    "leases",
	.options = cmd_dhcpd_options,
	.exec = cmd_dhcpd_exec
};

struct cmd_dhcpd {
	struct event_base	*base;
	struct dhcp		*dhcp;
	struct closet		*closet;
	char			 linebuf[512];
	size_t			 linelen;
};

static void
cmd_dhcpd_lease(void *arg, const struct dhcp_lease *l)
{
	struct ident_opt60	 o;
	char			*host, *vendor, *cause = NULL;
	char			 app[UCS_VERSION_TEXT_MAX];
	char			 upd[UCS_VERSION_TEXT_MAX];

	if (strcmp(l->action, "del") != 0)
		closet_leased(((struct cmd_dhcpd *)arg)->closet, l->mac, l->ip,
		    l->option60, l->option60_len);
	host = log_escape(l->hostname, strlen(l->hostname));
	printf("lease %s mac=%s ip=%s hostname=%s", l->action, l->mac, l->ip,
	    host);
	free(host);
	if (l->option60 == NULL) {
		printf(" option60=none\n");
		fflush(stdout);
		return;
	}
	if (ident_parse_option60(l->option60, l->option60_len, &o,
	    &cause) != 0) {
		vendor = log_escape(l->option60, l->option60_len);
		printf(" option60=unparsed vendor=%s\n", vendor);
		free(vendor);
		free(cause);
		fflush(stdout);
		return;
	}
	vendor = log_escape(o.model, strlen(o.model));
	printf(" option60=%s model=%s token=%s", o.binary ? "binary" : "ascii",
	    vendor, o.token);
	free(vendor);
	if (o.part[0] != '\0')
		printf(" part=%s", o.part);
	if (ucs_version_known(&o.app_version))
		printf(" version=%s", ucs_version_format(&o.app_version, app,
		    sizeof app));
	if (ucs_version_known(&o.updater_version))
		printf(" updater=%s", ucs_version_format(&o.updater_version,
		    upd, sizeof upd));
	printf("\n");
	fflush(stdout);
}

/* A client that is not a phone asked and got nothing. */
static void
cmd_dhcpd_ignored(void *arg, const struct dhcp_ignored *ig)
{
	printf("ignored mac=%s vendor=%s hostname=%s\n", ig->mac,
	    ig->vendor[0] != '\0' ? ig->vendor : "-",
	    ig->hostname[0] != '\0' ? ig->hostname : "-");
	fflush(stdout);
}

/* A phone on the wire that does not ask: why, and how to reset it. */
static void
cmd_dhcpd_silent(void *arg, const struct sighting *s, const char *reason,
    const char *evidence)
{
	struct reset_steps	rs;
	char			rule[300];

	if (*reason == '\0') {
		printf("asking mac=%s\n", s->mac);
		fflush(stdout);
		return;
	}
	reset_password_rule(s->mac, rule, sizeof rule);
	printf("silent mac=%s address=%s model=%s reason=%s; evidence: %s; ",
	    s->mac, s->address[0] != '\0' ? s->address : "-",
	    s->model[0] != '\0' ? s->model : "-", reason, evidence);
	if (reset_steps_find(s->model, &rs) == 0)
		printf("reset: %s, hold %s while it boots [%s: %s]; %s\n",
		    rs.family, rs.keys, rs.confidence, rs.source, rule);
	else
		printf("reset: model unknown, see the field guide for the "
		    "keys; %s\n", rule);
	fflush(stdout);
}

/* What the switch offers on the phones' interface (lldpd). */
static void
cmd_dhcpd_voice(void *arg, const char *text)
{
	printf("%s\n", text);
	fflush(stdout);
}

struct cmd_dhcpd_seen {
	struct in_addr	servers[32];
	unsigned	n;
};

static void
cmd_dhcpd_offer(void *arg, const struct in_addr *sid,
    const struct dhcp_packet_info *pi)
{
	struct cmd_dhcpd_seen	*seen = arg;
	char			 server[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN];
	char			*o66, *o160;
	unsigned		 i;

	for (i = 0; i < seen->n; i++) {
		if (seen->servers[i].s_addr == sid->s_addr)
			return;		/* the answer to a retried DISCOVER */
	}
	if (seen->n < sizeof seen->servers / sizeof seen->servers[0])
		seen->servers[seen->n++] = *sid;
	inet_ntop(AF_INET, sid, server, sizeof server);
	inet_ntop(AF_INET, &pi->yiaddr, ip, sizeof ip);
	o66 = pi->opt66 != NULL ? log_escape(pi->opt66, pi->opt66_len) :
	    xstrdup("-");
	o160 = pi->opt160 != NULL ? log_escape(pi->opt160, pi->opt160_len) :
	    xstrdup("-");
	printf("offer server=%s ip=%s opt66=%s opt160=%s\n", server, ip, o66,
	    o160);
	fflush(stdout);
	free(o66);
	free(o160);
}

static int
cmd_dhcpd_probe_only(const char *iface, unsigned ms)
{
	struct cmd_dhcpd_seen	 seen;
	char			*cause;

	memset(&seen, 0, sizeof seen);
	if (dhcp_probe_offers(iface, ms, cmd_dhcpd_offer, &seen,
	    &cause) != 0) {
		fprintf(stderr, "ztp-rescue dhcpd: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	printf("servers %u\n", seen.n);
	return (EXIT_OK);
}

static void
cmd_dhcpd_signal(evutil_socket_t sig, short events, void *arg)
{
	struct cmd_dhcpd	*cd = arg;

	event_base_loopbreak(cd->base);
}

static void
cmd_dhcpd_command(struct dhcp *d, char *line)
{
	char	*cause = NULL, *verb, *mac;

	verb = strtok(line, " \t\r");
	mac = strtok(NULL, " \t\r");
	if (verb == NULL)
		return;
	if (strcmp(verb, "state") == 0) {
		printf("state %s restarts=%u pid=%d rogue=%s reason=%s\n",
		    dhcp_state(d), dhcp_restarts(d), dhcp_child_pid(d),
		    dhcp_rogue(d) != NULL ? dhcp_rogue(d) : "-",
		    dhcp_last_restart(d) != NULL ? dhcp_last_restart(d) : "-");
	} else if ((strcmp(verb, "no-boot-server") == 0 ||
	    strcmp(verb, "boot-server") == 0) && mac != NULL) {
		if (dhcp_set_boot_server(d, mac, verb[0] == 'b', &cause) != 0) {
			printf("error %s\n", cause);
			free(cause);
		} else
			printf("ok %s %s\n", verb, mac);
	} else
		printf("error unknown command (no-boot-server MAC, boot-server "
		    "MAC, state)\n");
	fflush(stdout);
}

static void
cmd_dhcpd_stdin(evutil_socket_t fd, short events, void *arg)
{
	struct cmd_dhcpd	*cd = arg;
	ssize_t			 n;
	char			*nl;

	n = read(fd, cd->linebuf + cd->linelen, sizeof cd->linebuf - 1 -
	    cd->linelen);
	if (n <= 0) {
		if (n == -1 && errno == EINTR)
			return;
		/* Standard input closed: keep serving, stop listening. */
		event_del(event_base_get_running_event(cd->base));
		return;
	}
	cd->linelen += n;
	cd->linebuf[cd->linelen] = '\0';
	while ((nl = strchr(cd->linebuf, '\n')) != NULL) {
		*nl = '\0';
		cmd_dhcpd_command(cd->dhcp, cd->linebuf);
		cd->linelen -= nl + 1 - cd->linebuf;
		memmove(cd->linebuf, nl + 1, cd->linelen + 1);
	}
	if (cd->linelen == sizeof cd->linebuf - 1)
		cd->linelen = 0;	/* an endless line: drop it */
}

static int
cmd_dhcpd_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct cmd_dhcpd	 cd;
	struct dhcp_config	 dc;
	struct dhcp_net		 net;
	struct event		*ev_int, *ev_term, *ev_in;
	struct stat		 sb;
	const char		*arg;
	char			*url = NULL, *cause = NULL, addr[INET_ADDRSTRLEN];
	char			 start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN];
	const char		*nobs[64];
	unsigned long		 ul, vid = 0;
	char			 vname[32];
	const char		*phones_if;
	size_t			 nnobs = 0, i;
	int			 c, first, verbose = 0, probe_only = 0;
	int			 lldp = 0, made = 0;

	memset(&dc, 0, sizeof dc);
	dc.state_dir = "/var/lib/ztp-rescue";
	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case OPT_IFACE:
			dc.iface = arg;
			break;
		case OPT_ADDRESS:
			dc.address = arg;
			break;
		case OPT_BOOT_URL:
			dc.boot_url = arg;
			break;
		case OPT_STATE:
			dc.state_dir = arg;
			break;
		case OPT_FORCE:
			dc.force = 1;
			break;
		case OPT_NO_PROBE:
			dc.skip_probe = 1;
			break;
		case OPT_PROBE_MS:
			if (cmd_parse_uint(self, "--probe-ms", arg, 10, 60000,
			    &ul) != 0)
				return (EXIT_USAGE);
			dc.probe_ms = ul;
			break;
		case OPT_DNSMASQ:
			dc.dnsmasq = arg;
			break;
		case OPT_NO_BOOT_SERVER:
			if (nnobs == sizeof nobs / sizeof nobs[0])
				return (cmd_usage_error(self, "too many "
				    "--no-boot-server"));
			nobs[nnobs++] = arg;
			break;
		case OPT_PROBE_ONLY:
			probe_only = 1;
			break;
		case OPT_DHCP_ANY:
			dc.any = 1;
			break;
		case OPT_OUI_FILE:
			if (oui_load(arg, &cause) != 0) {
				cmd_usage_error(self, "%s", cause);
				free(cause);
				return (EXIT_USAGE);
			}
			break;
		case OPT_VLAN:
			if (cmd_parse_uint(self, "--vlan", arg, 1, 4094,
			    &vid) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_LLDP:
			lldp = 1;
			break;
		case OPT_VERBOSE:
			verbose = 1;
			break;
		}
	}
	if (argc - first != 0)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (probe_only && dc.iface != NULL)
		return (cmd_dhcpd_probe_only(dc.iface, dc.probe_ms != 0 ?
		    dc.probe_ms : 6000));
	if (dc.iface == NULL || dc.address == NULL)
		return (cmd_usage_error(self, "--iface and --address are "
		    "required"));
	if (dhcp_parse_address(dc.address, &net, &cause) != 0) {
		cmd_usage_error(self, "%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	inet_ntop(AF_INET, &net.addr, addr, sizeof addr);
	if (dc.boot_url == NULL) {
		xasprintf(&url, "http://%s/", addr);
		dc.boot_url = url;
	}
	log_open(NULL, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	signal(SIGPIPE, SIG_IGN);
	phones_if = dc.iface;
	if (vid != 0) {
		if (vlan_ensure(dc.iface, vid, vname, sizeof vname, &made,
		    &cause) != 0) {
			fprintf(stderr, "ztp-rescue dhcpd: %s\n", cause);
			free(cause);
			free(url);
			return (EXIT_RUNTIME);
		}
		dc.vlan_parent = dc.iface;
		dc.vlan_id = vid;
		dc.iface = vname;
	}

	memset(&cd, 0, sizeof cd);
	cd.base = event_base_new();
	cd.dhcp = dhcp_start(cd.base, &dc, cmd_dhcpd_lease, &cd, &cause);
	if (cd.dhcp == NULL) {
		fprintf(stderr, "ztp-rescue dhcpd: %s\n", cause);
		free(cause);
		/* The 802.1Q interface made for it goes with the start. */
		if (made && vlan_remove(vname, &cause) != 0) {
			fprintf(stderr, "ztp-rescue dhcpd: %s\n", cause);
			free(cause);
		}
		free(url);
		event_base_free(cd.base);
		return (EXIT_RUNTIME);
	}
	dhcp_set_ignored_fn(cd.dhcp, cmd_dhcpd_ignored, &cd);
	cd.closet = closet_start(cd.base, phones_if, &net.addr, &net.netmask,
	    vid != 0 ? (int)vid : -1, cmd_dhcpd_silent, &cd, &cause);
	if (cd.closet == NULL) {
		log_warn("dhcpd: %s; silent phones will not be found", cause);
		free(cause);
		cause = NULL;
	} else if (lldp && closet_lldp_start(cd.closet, phones_if, NULL,
	    cmd_dhcpd_voice, &cause) != 0) {
		log_warn("dhcpd: %s; the voice VLAN will not be shown", cause);
		free(cause);
		cause = NULL;
	}
	for (i = 0; i < nnobs; i++) {
		if (dhcp_set_boot_server(cd.dhcp, nobs[i], 0, &cause) != 0) {
			fprintf(stderr, "ztp-rescue dhcpd: %s\n", cause);
			free(cause);
		}
	}
	inet_ntop(AF_INET, &net.range_start, start, sizeof start);
	inet_ntop(AF_INET, &net.range_end, end, sizeof end);
	printf("serving %s address=%s range=%s-%s boot-url=%s answers=%s "
	    "pid=%d\n", dc.iface, addr, start, end, dc.boot_url,
	    dc.any ? "any" : "phones", dhcp_child_pid(cd.dhcp));
	fflush(stdout);

	ev_int = evsignal_new(cd.base, SIGINT, cmd_dhcpd_signal, &cd);
	ev_term = evsignal_new(cd.base, SIGTERM, cmd_dhcpd_signal, &cd);
	ev_in = event_new(cd.base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    cmd_dhcpd_stdin, &cd);
	event_add(ev_int, NULL);
	event_add(ev_term, NULL);
	/* Commands come through a pipe or socket; a file or tty is left alone. */
	if (fstat(STDIN_FILENO, &sb) == 0 && (S_ISFIFO(sb.st_mode) ||
	    S_ISSOCK(sb.st_mode)))
		event_add(ev_in, NULL);
	event_base_dispatch(cd.base);

	closet_free(cd.closet);
	dhcp_stop(cd.dhcp);
	printf("stopped\n");
	event_free(ev_int);
	event_free(ev_term);
	event_free(ev_in);
	event_base_free(cd.base);
	free(url);
	return (EXIT_OK);
}
