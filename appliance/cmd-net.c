/*
 * `ztp-rescue net`: the appliance's interface towards the phones.  With
 * --address, give it the appliance's static address and bring it up; without,
 * show the link, carrier, addresses and whether a default route leaves
 * through it (which would make DHCP refuse to serve there).  --vlan VID
 * works on the 802.1Q interface IF.VID instead (made when missing);
 * --listen SECONDS runs lldpd on IF as an LLDP-MED endpoint and prints the
 * voice VLAN the switch offers.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "dhcp.h"
#include "lldp.h"
#include "xmalloc.h"

static int	cmd_net_exec(const struct cmd_entry *, int, char **);
static int	cmd_net_listen(const char *, unsigned);

enum {
	OPT_VLAN = CMD_LONG_ONLY,
	OPT_LISTEN
};

/*
 * lldpcli is set-user-ID _lldpd: its control socket must be where that user
 * can reach it, not in the (private) state directory.
 */
#define NET_LLDP_DIR	"/run/ztp-rescue"

static const struct cmd_option cmd_net_options[] = {
	{ "iface", 'i', "IF", "the interface cabled to the phones" },
	{ "address", 'a', "A/N", "set this static address (e.g. 10.99.0.1/24) "
	    "and bring the link up" },
	{ "vlan", OPT_VLAN, "VID", "work on the 802.1Q interface IF.VID (made "
	    "when missing) instead of IF" },
	{ "listen", OPT_LISTEN, "SECONDS", "run lldpd on IF for up to SECONDS "
	    "and print the voice VLAN the switch offers (LLDP-MED, CDP)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_net_entry = {
	.name = "net",
	.args = "",
	.summary = "show the phones' interface (and the voice VLAN), or set "
	    "its static address",
	.options = cmd_net_options,
	.exec = cmd_net_exec
};

/*
 * lldpd announces itself at start; the switch answers an LLDP-MED endpoint
 * at once (fast start) or within its interval (30 s by default).
 */
static int
cmd_net_listen(const char *iface, unsigned seconds)
{
	struct lldp_voice	 v;
	char			*sock, *cause = NULL, *text;
	pid_t			 pid;
	unsigned		 waited;
	int			 rc = 0;

	mkdir(NET_LLDP_DIR, 0755);
	xasprintf(&sock, "%s/lldpd-%ld.socket", NET_LLDP_DIR, (long)getpid());
	if ((pid = lldp_spawn(NULL, sock, iface, &cause)) == -1) {
		fprintf(stderr, "ztp-rescue net: %s\n", cause);
		free(cause);
		free(sock);
		return (-1);
	}
	for (waited = 0; waited <= seconds; waited++) {
		sleep(1);
		free(cause);
		cause = NULL;
		rc = lldp_query(sock, iface, &v, &cause);
		if (rc == 1 && (v.vlan >= 0 || waited == seconds))
			break;
	}
	lldp_stop(pid);
	unlink(sock);
	free(sock);
	if (rc == 1) {
		text = lldp_describe(&v);
		printf("%s\n", text);
		free(text);
	} else if (rc == 0)
		printf("voice vlan: no LLDP or CDP from a switch in %u s\n",
		    seconds);
	else {
		fprintf(stderr, "ztp-rescue net: %s\n", cause);
		free(cause);
		return (-1);
	}
	free(cause);
	return (0);
}

static int
cmd_net_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct dhcp_net	 net;
	const char	*arg, *iface = NULL, *address = NULL;
	char		*cause, *text, vname[32];
	unsigned long	 vid = 0, listen = 0;
	int		 c, first, made = 0;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 'i':
			iface = arg;
			break;
		case 'a':
			address = arg;
			break;
		case OPT_VLAN:
			if (cmd_parse_uint(self, "--vlan", arg, 1, 4094,
			    &vid) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_LISTEN:
			if (cmd_parse_uint(self, "--listen", arg, 1, 600,
			    &listen) != 0)
				return (EXIT_USAGE);
			break;
		}
	}
	if (argc - first != 0)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (iface == NULL)
		return (cmd_usage_error(self, "--iface is required"));
	/* Every argument checked before anything is changed. */
	if (address != NULL && dhcp_parse_address(address, &net,
	    &cause) != 0) {
		cmd_usage_error(self, "%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	if (listen != 0 && cmd_net_listen(iface, listen) != 0)
		return (EXIT_RUNTIME);
	if (vid != 0) {
		if (vlan_ensure(iface, vid, vname, sizeof vname, &made,
		    &cause) != 0) {
			fprintf(stderr, "ztp-rescue net: %s\n", cause);
			free(cause);
			return (EXIT_RUNTIME);
		}
		iface = vname;
	}
	if (address != NULL &&
	    dhcp_netif_set_address(iface, &net, &cause) != 0) {
		fprintf(stderr, "ztp-rescue net: %s\n", cause);
		free(cause);
		/* A link made for an address it could not take goes. */
		if (made && vlan_remove(vname, &cause) != 0) {
			fprintf(stderr, "ztp-rescue net: %s\n", cause);
			free(cause);
		}
		return (EXIT_RUNTIME);
	}
	if (dhcp_netif_describe(iface, &text, &cause) != 0) {
		fprintf(stderr, "ztp-rescue net: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	fputs(text, stdout);
	free(text);
	return (EXIT_OK);
}
