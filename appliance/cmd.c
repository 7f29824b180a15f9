/*
 * Option parsing, usage and help, all driven by the cmd_entry tables, so the
 * synopsis, `help NAME` and the man page say the same thing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "xmalloc.h"

#define CMD_MAX_OPTIONS 64

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const	*e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return (*e);
	}
	return (NULL);
}

static void
cmd_build_getopt(const struct cmd_entry *entry, struct option *longopts,
    char *shortopts)
{
	const struct cmd_option	*o;
	size_t			 n = 0;
	char			*s = shortopts;

	*s++ = '+';	/* stop at the first positional argument */
	*s++ = ':';	/* report a missing argument as ':' */
	for (o = entry->options; o != NULL && o->name != NULL; o++) {
		if (n == CMD_MAX_OPTIONS - 1)
			break;
		longopts[n].name = o->name;
		longopts[n].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = o->key;
		n++;
		if (o->key > 0 && o->key < CMD_LONG_ONLY) {
			*s++ = (char)o->key;
			if (o->arg != NULL)
				*s++ = ':';
		}
	}
	memset(&longopts[n], 0, sizeof longopts[n]);
	*s = '\0';
}

int
cmd_next_option(const struct cmd_entry *entry, int argc, char **argv,
    const char **arg, int *optind_out)
{
	static const struct cmd_entry	*current;
	static struct option		 longopts[CMD_MAX_OPTIONS];
	static char			 shortopts[CMD_MAX_OPTIONS * 2 + 3];
	int				 c;

	if (current != entry) {
		cmd_build_getopt(entry, longopts, shortopts);
		current = entry;
		optind = 1;
	}
	opterr = 0;
	*arg = NULL;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == -1) {
		*optind_out = optind;
		current = NULL;
		return (0);
	}
	if (c == '?' || c == ':') {
		current = NULL;
		if (c == ':')
			cmd_usage_error(entry, "option %s needs an argument",
			    argv[optind - 1]);
		else if (optopt != 0)
			cmd_usage_error(entry, "unknown option -%c", optopt);
		else
			cmd_usage_error(entry, "unknown option %s",
			    argv[optind - 1]);
		return (-1);
	}
	*arg = optarg;
	return (c);
}

/* The option of entry a word names ("--name", "--name=...", "-k"), or NULL. */
static const struct cmd_option *
cmd_option_named(const struct cmd_entry *entry, const char *word)
{
	const struct cmd_option	*o;
	size_t			 len;

	for (o = entry->options; o != NULL && o->name != NULL; o++) {
		if (word[0] == '-' && word[1] == '-') {
			len = strlen(o->name);
			if (strncmp(word + 2, o->name, len) == 0 &&
			    (word[2 + len] == '\0' || word[2 + len] == '='))
				return (o);
		} else if (word[0] == '-' && word[1] != '\0' &&
		    word[2] == '\0' && o->key == (unsigned char)word[1])
			return (o);
	}
	return (NULL);
}

/*
 * Whether the words after the command ask for its help ("--help" or "-h",
 * before any "--", and not the value of an option that takes one): what
 * a newcomer types first ("ztp-rescue serve --help" was "unknown option").
 */
int
cmd_wants_help(const struct cmd_entry *entry, int argc, char **argv)
{
	const struct cmd_option	*o;
	int			 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return (0);
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (1);
		if ((o = cmd_option_named(entry, argv[i])) != NULL &&
		    o->arg != NULL && strchr(argv[i], '=') == NULL)
			i++;	/* its value, whatever it looks like */
	}
	return (0);
}

void
cmd_print_synopsis(const struct cmd_entry *entry, FILE *fp)
{
	const struct cmd_option	*o;

	fprintf(fp, "ztp-rescue %s", entry->name);
	for (o = entry->options; o != NULL && o->name != NULL; o++) {
		if (o->arg != NULL)
			fprintf(fp, " [--%s %s]", o->name, o->arg);
		else
			fprintf(fp, " [--%s]", o->name);
	}
	if (entry->args != NULL && *entry->args != '\0')
		fprintf(fp, " %s", entry->args);
	fputc('\n', fp);
}

int
cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ztp-rescue %s: ", entry->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'ztp-rescue help %s')\n", entry->name);
	return (EXIT_USAGE);
}

void
cmd_print_help(const struct cmd_entry *entry)
{
	const struct cmd_option	*o;
	char			 left[64];

	printf("usage: ");
	cmd_print_synopsis(entry, stdout);
	printf("\n%s\n", entry->summary);
	if (entry->options == NULL || entry->options->name == NULL)
		return;
	printf("\noptions:\n");
	for (o = entry->options; o->name != NULL; o++) {
		if (o->key > 0 && o->key < CMD_LONG_ONLY)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->key,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		printf("  %-30s %s\n", left, o->help);
	}
}

/* roff needs its escape character and leading dots protected. */
static void
cmd_man_text(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

void
cmd_print_man(FILE *fp)
{
	const struct cmd_entry *const	*e;
	const struct cmd_option		*o;

	fprintf(fp, ".TH ZTP-RESCUE 8 \"\" \"ztp-rescue %s\" "
	    "\"System Manager's Manual\"\n", ZTP_VERSION);
	fprintf(fp, ".SH NAME\nztp\\-rescue \\- recover Polycom phones that "
	    "failed Zero Touch Provisioning\n");
	fprintf(fp, ".SH SYNOPSIS\n.B ztp\\-rescue\n.I command\n"
	    "[\\fIoptions\\fR] [\\fIarguments\\fR]\n");
	fprintf(fp, ".SH COMMANDS\n");
	for (e = cmd_table; *e != NULL; e++) {
		fprintf(fp, ".SS %s", (*e)->name);
		if ((*e)->args != NULL && *(*e)->args != '\0') {
			fputc(' ', fp);
			cmd_man_text(fp, (*e)->args);
		}
		fputs("\n", fp);
		cmd_man_text(fp, (*e)->summary);
		fputs("\n", fp);
		for (o = (*e)->options; o != NULL && o->name != NULL; o++) {
			fputs(".TP\n", fp);
			if (o->key > 0 && o->key < CMD_LONG_ONLY)
				fprintf(fp, "\\fB\\-%c\\fR, ", o->key);
			fputs("\\fB\\-\\-", fp);
			cmd_man_text(fp, o->name);
			fputs("\\fR", fp);
			if (o->arg != NULL) {
				fputs(" \\fI", fp);
				cmd_man_text(fp, o->arg);
				fputs("\\fR", fp);
			}
			fputs("\n", fp);
			cmd_man_text(fp, o->help);
			fputs("\n", fp);
		}
	}
	fprintf(fp, ".SH EXIT STATUS\n0 success; 1 run-time failure; "
	    "2 usage error; 3 (batch) some phones failed or timed out.\n");
}

int
cmd_parse_uint(const struct cmd_entry *entry, const char *what,
    const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return (cmd_usage_error(entry, "%s: '%s' is not a number", what,
		    s));
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (cmd_usage_error(entry, "%s: '%s' is not a number", what,
		    s));
	if (v < min || v > max)
		return (cmd_usage_error(entry, "%s: %lu is outside %lu..%lu",
		    what, v, min, max));
	*out = v;
	return (0);
}
