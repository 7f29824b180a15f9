/*
 * ztp-rescue: one binary, many subcommands (see cmd.h).  main() only finds the
 * subcommand and runs it; everything else lives in cmd-*.c.
 */
#include <errno.h>
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
	fprintf(fp, "\n'ztp-rescue help COMMAND' (or 'ztp-rescue COMMAND "
	    "--help') describes one command.\n");
}

/*
 * Output that never reached its file is a failure: a report redirected to
 * a full stick must not exit 0 with the file cut short.  A command that
 * already failed has said why; a reader that went away (a pipe into head)
 * is not worth a message.
 */
static int
flush_stdout(const char *name, int rc)
{
	int	failed;

	/*
	 * A write that failed earlier left only the stream's error flag, its
	 * errno long gone.  What it held is usually still buffered: writing
	 * it again tells why ("No space left on device").  A long write that
	 * went past the buffer left nothing to retry: then say what is known.
	 */
	failed = ferror(stdout);
	clearerr(stdout);
	errno = 0;
	if (fflush(stdout) == 0 && !failed)
		return (rc);
	if (rc == EXIT_OK && errno != EPIPE) {
		fprintf(stderr, "%s: cannot write the output: %s (is the disk "
		    "full, or the stick read-only?)\n", name,
		    errno != 0 ? strerror(errno) : "it was cut short");
	}
	return (rc == EXIT_OK ? EXIT_RUNTIME : rc);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry;
	char			 name[64];

	if (argc < 2) {
		usage(stderr);
		return (EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return (flush_stdout("ztp-rescue", EXIT_OK));
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ztp-rescue %s\n", ZTP_VERSION);
		return (flush_stdout("ztp-rescue", EXIT_OK));
	}
	if ((entry = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "ztp-rescue: unknown command '%s' (try "
		    "'ztp-rescue help')\n", argv[1]);
		return (EXIT_USAGE);
	}
	snprintf(name, sizeof name, "ztp-rescue %s", entry->name);
	if (cmd_wants_help(entry, argc - 1, argv + 1)) {
		cmd_print_help(entry);
		return (flush_stdout(name, EXIT_OK));
	}
	return (flush_stdout(name, entry->exec(entry, argc - 1, argv + 1)));
}
