/*
 * Subcommands of ztp-rescue.
 *
 * Each subcommand lives in appliance/cmd-NAME.c and defines one table entry,
 * `const struct cmd_entry cmd_NAME_entry`; the Makefile collects them into
 * cmd_table[].  Usage text, `help NAME` and the man page are all generated from
 * the entry's option table, so they cannot drift apart (as tmux's cmd_entry).
 */
#ifndef ZTP_CMD_H
#define ZTP_CMD_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes, as the design promises to scripts. */
enum {
	EXIT_OK = 0,		/* done */
	EXIT_RUNTIME = 1,	/* something failed at run time */
	EXIT_USAGE = 2,		/* the command line was wrong */
	EXIT_INCOMPLETE = 3	/* batch: some phones failed or timed out */
};

/* Keys for options that have no short letter start here. */
#define CMD_LONG_ONLY 256

struct cmd_option {
	const char	*name;		/* long name, without "--" */
	int		 key;		/* short letter, or CMD_LONG_ONLY + n */
	const char	*arg;		/* placeholder of its argument, NULL for a flag */
	const char	*help;		/* one line */
};

struct cmd_entry {
	const char		*name;
	const char		*args;		/* positional synopsis, e.g. "PATH...", or "" */
	const char		*summary;	/* one line for `ztp-rescue help` */
	const struct cmd_option	*options;	/* ends with { NULL, 0, NULL, NULL } */
	int			(*exec)(const struct cmd_entry *, int, char **);
};

extern const struct cmd_entry *const cmd_table[];

const struct cmd_entry	*cmd_find(const char *);

/*
 * Step through the options of argv (argv[0] is the subcommand's name).
 * Returns the option's key with *arg set to its argument (or NULL), 0 when
 * the options are over (*optind_out then indexes the first positional
 * argument), or -1 after printing a one-line usage error.
 */
int	cmd_next_option(const struct cmd_entry *, int, char **, const char **,
	    int *);

/* Print "ztp-rescue NAME: message" and the usage hint; returns EXIT_USAGE. */
int	cmd_usage_error(const struct cmd_entry *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Full help for one command (synopsis, summary, options) to stdout. */
void	cmd_print_help(const struct cmd_entry *);
int	cmd_wants_help(const struct cmd_entry *, int, char **);

/* One-line synopsis: "ztp-rescue NAME [--opt ARG] ... ARGS". */
void	cmd_print_synopsis(const struct cmd_entry *, FILE *);

/* The man page, in roff, built from cmd_table. */
void	cmd_print_man(FILE *);

/* Parse helpers that print a usage error through the entry on failure. */
int	cmd_parse_uint(const struct cmd_entry *, const char *, const char *,
	    unsigned long, unsigned long, unsigned long *);

#endif
