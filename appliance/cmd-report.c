/*
 * `ztp-rescue report --state DIR [--csv|--json] [--out FILE]`: the recovery
 * report from the journal, whether or not the daemon runs.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "cmd.h"
#include "control.h"
#include "journal.h"
#include "log.h"
#include "report.h"

static int	cmd_report_exec(const struct cmd_entry *, int, char **);

static const struct cmd_option cmd_report_options[] = {
	{ "state", 's', "DIR",
	    "state directory of the daemon (default /var/lib/ztp-rescue)" },
	{ "csv", 'c', NULL, "CSV, one row per phone (the default for an "
	    "--out FILE ending .csv)" },
	{ "json", 'j', NULL, "JSON with every event and transfer (the "
	    "default otherwise)" },
	{ "out", 'o', "FILE",
	    "write here (temporary name, fsync, rename); default stdout" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.args = "",
	.summary = "write the recovery report: one row per phone with the "
	    "evidence",
	.options = cmd_report_options,
	.exec = cmd_report_exec
};

static int
cmd_report_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct journal		*j;
	const char		*arg, *state = CONTROL_DEFAULT_STATE;
	const char		*out = NULL;
	enum report_format	 fmt = REPORT_JSON;
	char			*cause = NULL;
	int			 c, first, rc, given = 0;
	size_t			 len;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 's':
			state = arg;
			break;
		case 'c':
		case 'j':
			if (given && fmt != (c == 'c' ? REPORT_CSV :
			    REPORT_JSON))
				return (cmd_usage_error(self, "--csv and --json "
				    "together: give one"));
			fmt = c == 'c' ? REPORT_CSV : REPORT_JSON;
			given = 1;
			break;
		case 'o':
			out = arg;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	/* As batch --report: a .csv file is CSV (it was JSON in a .csv). */
	if (!given && out != NULL && (len = strlen(out)) > 4 &&
	    strcasecmp(out + len - 4, ".csv") == 0)
		fmt = REPORT_CSV;
	log_open(NULL, LOG_LEVEL_WARN);
	if ((j = journal_open(state, 1, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue report: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	rc = report_write(j, fmt, out, &cause);
	journal_close(j);
	if (rc != 0) {
		fprintf(stderr, "ztp-rescue report: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if (out != NULL)
		fprintf(stderr, "report written to %s\n", out);
	return (EXIT_OK);
}
