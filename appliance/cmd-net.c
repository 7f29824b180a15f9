/*
 * `ztp-rescue net`: the appliance's interface towards the phones.  With
 * --address, give it the appliance's static address and bring it up; without,
 * show the link, carrier, addresses and whether a default route leaves
 * through it (which would make DHCP refuse to serve there).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "dhcp.h"

static int	cmd_net_exec(const struct cmd_entry *, int, char **);

static const struct cmd_option cmd_net_options[] = {
	{ "iface", 'i', "IF", "the interface cabled to the phones" },
	{ "address", 'a', "A/N", "set this static address (e.g. 10.99.0.1/24) "
	    "and bring the link up" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_net_entry = {
	.name = "net",
	.args = "",
	.summary = "show the phones' interface, or set its static address",
	.options = cmd_net_options,
	.exec = cmd_net_exec
};

static int
cmd_net_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct dhcp_net	 net;
	const char	*arg, *iface = NULL, *address = NULL;
	char		*cause, *text;
	int		 c, first;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		if (c == -1)
			return (EXIT_USAGE);
		if (c == 'i')
			iface = arg;
		else if (c == 'a')
			address = arg;
	}
	if (argc - first != 0)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (iface == NULL)
		return (cmd_usage_error(self, "--iface is required"));
	if (address != NULL) {
		if (dhcp_parse_address(address, &net, &cause) != 0) {
			cmd_usage_error(self, "%s", cause);
			free(cause);
			return (EXIT_USAGE);
		}
		if (dhcp_netif_set_address(iface, &net, &cause) != 0) {
			fprintf(stderr, "ztp-rescue net: %s\n", cause);
			free(cause);
			return (EXIT_RUNTIME);
		}
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
