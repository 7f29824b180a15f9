/*
 * `ztp-rescue help [COMMAND]`: the list of commands, one command's help, or
 * (--man) the ztp-rescue(8) page, all from the same tables.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int	cmd_help_exec(const struct cmd_entry *, int, char **);

static const struct cmd_option cmd_help_options[] = {
	{ "man", 'm', NULL, "print the ztp-rescue(8) manual page in roff" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "describe the commands, or one command",
	.options = cmd_help_options,
	.exec = cmd_help_exec
};

static int
cmd_help_exec(const struct cmd_entry *self, int argc, char **argv)
{
	const struct cmd_entry *const	*e;
	const struct cmd_entry		*entry;
	const char			*arg;
	int				 c, first, man = 0;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		if (c == -1)
			return (EXIT_USAGE);
		if (c == 'm')
			man = 1;
	}
	if (man) {
		cmd_print_man(stdout);
		return (EXIT_OK);
	}
	if (argc - first > 1)
		return (cmd_usage_error(self, "too many arguments"));
	if (argc - first == 1) {
		if ((entry = cmd_find(argv[first])) == NULL)
			return (cmd_usage_error(self, "no command '%s'",
			    argv[first]));
		cmd_print_help(entry);
		return (EXIT_OK);
	}
	printf("usage: ztp-rescue COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		printf("  %-12s %s\n", (*e)->name, (*e)->summary);
	printf("\nexit status: 0 ok, 1 run-time failure, 2 usage error, "
	    "3 (batch) some phones not repointed-quiet\n");
	return (EXIT_OK);
}
