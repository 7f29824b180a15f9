/*
 * ztp-rescue: one binary, many subcommands (see cmd.h).  main() only finds the
 * subcommand and runs it; everything else lives in cmd-*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void
usage(FILE *fp)
{
	const struct cmd_entry *const	*e;

	fprintf(fp, "usage: ztp-rescue COMMAND [OPTIONS] [ARGS]\n\n"
	    "Recovers Polycom phones that failed Zero Touch Provisioning.\n\n"
	    "commands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(fp, "  %-12s %s\n", (*e)->name, (*e)->summary);
	fprintf(fp, "\n'ztp-rescue help COMMAND' describes one command.\n");
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry;

	if (argc < 2) {
		usage(stderr);
		return (EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return (EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ztp-rescue %s\n", ZTP_VERSION);
		return (EXIT_OK);
	}
	if ((entry = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "ztp-rescue: unknown command '%s' (try "
		    "'ztp-rescue help')\n", argv[1]);
		return (EXIT_USAGE);
	}
	return (entry->exec(entry, argc - 1, argv + 1));
}
