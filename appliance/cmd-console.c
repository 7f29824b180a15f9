/*
 * `ztp-rescue console`: the technician's screen (ui/).  A client of the
 * daemon like every other command: it starts the daemon when none runs, and
 * leaving it (or losing its terminal) stops nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "control.h"
#include "../ui/ui.h"

static int	cmd_console_exec(const struct cmd_entry *, int, char **);

static const struct cmd_option cmd_console_options[] = {
	{ "state", 's', "DIR", "the daemon's state directory "
	    "(default " CONTROL_DEFAULT_STATE ")" },
	{ "no-start", 'n', NULL, "fail instead of starting the daemon when "
	    "none is running" },
	{ "setup-network", 'N', NULL, "at start, while DHCP is off: take the "
	    "only wired interface, or ask which one the phones are on" },
	{ "demo", 'D', NULL, "say on top that the phones are simulated and "
	    "the firmware synthetic (make demo)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_console_entry = {
	.name = "console",
	.args = "",
	.summary = "the technician's console: every phone on one screen, and "
	    "menus for the whole job",
	.options = cmd_console_options,
	.exec = cmd_console_exec
};

static int
cmd_console_exec(const struct cmd_entry *self, int argc, char **argv)
{
	const char	*state = CONTROL_DEFAULT_STATE, *arg;
	char		*cause = NULL;
	int		 c, first, autostart = 1, setup_network = 0, demo = 0;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 's':
			state = arg;
			break;
		case 'n':
			autostart = 0;
			break;
		case 'N':
			setup_network = 1;
			break;
		case 'D':
			demo = 1;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (ui_main(state, autostart, setup_network, demo, &cause) != 0) {
		fprintf(stderr, "ztp-rescue console: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	return (EXIT_OK);
}
