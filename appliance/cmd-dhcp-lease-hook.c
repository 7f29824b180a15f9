/*
 * `ztp-rescue dhcp-lease-hook`: the lease script dnsmasq runs (through the
 * wrapper in the state directory) as "ACTION MAC IP [HOSTNAME]" with the
 * vendor class in DNSMASQ_VENDOR_CLASS.  It sends one line to the daemon
 * and always exits 0: a lease must never wait on, or fail because of, us.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dhcp.h"

static int	cmd_dhcp_lease_hook_exec(const struct cmd_entry *, int, char **);

static const struct cmd_option cmd_dhcp_lease_hook_options[] = {
	{ "socket", 's', "PATH", "the daemon's lease socket "
	    "(STATE/" DHCP_SOCKET_NAME ")" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_dhcp_lease_hook_entry = {
	.name = "dhcp-lease-hook",
	.args = "ACTION MAC IP [HOSTNAME]",
	.summary = "(run by dnsmasq) pass a DHCP lease event to the daemon",
	.options = cmd_dhcp_lease_hook_options,
	.exec = cmd_dhcp_lease_hook_exec
};

static int
cmd_dhcp_lease_hook_exec(const struct cmd_entry *self, int argc, char **argv)
{
	const char	*arg, *sock = NULL, *action, *hostname;
	char		*line, *cause;
	int		 c, first;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		if (c == -1)
			return (EXIT_USAGE);
		if (c == 's')
			sock = arg;
	}
	if (sock == NULL)
		return (cmd_usage_error(self, "--socket is required"));
	if (argc - first < 1)
		return (cmd_usage_error(self, "no action"));
	action = argv[first];
	/* dnsmasq also reports "tftp", "arp-add", "init"...: not ours. */
	if (strcmp(action, "add") != 0 && strcmp(action, "old") != 0 &&
	    strcmp(action, "del") != 0)
		return (EXIT_OK);
	if (argc - first < 3 || argc - first > 4)
		return (cmd_usage_error(self, "expected ACTION MAC IP "
		    "[HOSTNAME]"));
	hostname = argc - first == 4 ? argv[first + 3] : NULL;
	line = dhcp_lease_format(action, argv[first + 1], argv[first + 2],
	    hostname, getenv("DNSMASQ_VENDOR_CLASS"),
	    getenv("DNSMASQ_INTERFACE"), &cause);
	if (line == NULL) {
		fprintf(stderr, "ztp-rescue dhcp-lease-hook: %s\n", cause);
		free(cause);
		return (EXIT_OK);
	}
	if (dhcp_lease_send(sock, line, &cause) != 0) {
		fprintf(stderr, "ztp-rescue dhcp-lease-hook: %s\n", cause);
		free(cause);
	}
	free(line);
	return (EXIT_OK);
}
