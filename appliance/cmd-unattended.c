/*
 * `ztp-rescue unattended`: recovery with nobody at the keyboard, driven by
 * a job file on the stick (job.c).  It hands the job's CA, re-point target,
 * policy and DHCP to the daemon, then runs batch mode's engine (batch_run)
 * on the job's inventory until every listed phone is done or the time
 * limit is reached; the report goes next to the job file (reports/NAME.json,
 * .csv and .txt), and one large summary ends the output, for a screen
 * nobody watched.  A missing or bad job file gets the same kind of screen,
 * saying what to fix, and exit status 2; nothing waits for a key.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "batch.h"
#include "clock.h"
#include "cmd.h"
#include "control.h"
#include "fileio.h"
#include "job.h"
#include "termsafe.h"
#include "trust.h"
#include "xmalloc.h"

#define UNATTENDED_RULE \
    "################################################################" \
    "##############\n"
/* Said on the screen in place of the report's path. */
#define UNATTENDED_NOT_WRITTEN	"REPORT NOT WRITTEN: %s: every record is " \
	"kept on the stick's\n##  ZTPSTATE; 'ztp-rescue report' writes it " \
	"anywhere"

struct unattended_counts {
	unsigned int	verified;
	unsigned int	repointed;
	unsigned int	failed;
	unsigned int	not_done;
};

static int	cmd_unattended_exec(const struct cmd_entry *, int, char **);
static int	unattended_setup(struct job *, const char *, int, char **);
static int	unattended_ask(struct control_client *, const char *,
		    json_t *, const char *, char **);
static void	unattended_count(struct batch *, struct unattended_counts *);
static void	unattended_big(FILE *, struct unattended_counts *);
static char	*unattended_shown_path(const char *);
static void	unattended_refused(const char *, const char *);
static int	unattended_write(const char *, const char *);

static const struct cmd_option cmd_unattended_options[] = {
	{ "state", 's', "DIR", "the daemon's state directory "
	    "(default " CONTROL_DEFAULT_STATE ")" },
	{ "job", 'j', "FILE", "the job file (on the appliance "
	    "/srv/ztpdata/" JOB_FILE_NAME ") (required)" },
	{ "summary", 'S', "FILE", "also write the final screen here (the "
	    "appliance shows it on tty1 and the serial port)" },
	{ "no-start", 'n', NULL, "fail instead of starting the daemon when "
	    "none is running" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_unattended_entry = {
	.name = "unattended",
	.args = "",
	.summary = "recover the phones of a job file with nobody at the "
	    "keyboard, write the report next to it",
	.options = cmd_unattended_options,
	.exec = cmd_unattended_exec
};

/* 5x5 digits for the counts, readable from across a closet. */
static const char *unattended_font[10][5] = {
	{ "#####", "#   #", "#   #", "#   #", "#####" },
	{ "  #  ", " ##  ", "  #  ", "  #  ", " ### " },
	{ "#####", "    #", "#####", "#    ", "#####" },
	{ "#####", "    #", " ####", "    #", "#####" },
	{ "#   #", "#   #", "#####", "    #", "    #" },
	{ "#####", "#    ", "#####", "    #", "#####" },
	{ "#####", "#    ", "#####", "#   #", "#####" },
	{ "#####", "    #", "   # ", "  #  ", "  #  " },
	{ "#####", "#   #", "#####", "#   #", "#####" },
	{ "#####", "#   #", "#####", "    #", "#####" }
};

/* Several lines on one screen: stdout and the summary file (-1: not). */
static int
unattended_write(const char *summary_path, const char *text)
{
	char	*cause = NULL;

	fputs(text, stdout);
	fflush(stdout);
	if (summary_path != NULL && fileio_replace(summary_path, text,
	    strlen(text), 0644, 0, &cause) != 0) {
		fprintf(stderr, "ztp-rescue unattended: %s\n", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* The screen for a job that never started: what is wrong, what to do. */
static void
unattended_refused(const char *summary_path, const char *why)
{
	char	*text, *safe;

	safe = termsafe(why, strlen(why));
	xasprintf(&text, "\n" UNATTENDED_RULE
	    "##  ZTP RESCUE: UNATTENDED RECOVERY NOT STARTED\n"
	    "##\n"
	    "##  %s\n"
	    "##\n"
	    "##  No phone was touched by this run.  Fix the job file on the "
	    "stick's\n"
	    "##  ZTPDATA partition (" JOB_FILE_NAME "), then boot \"recover "
	    "unattended\"\n"
	    "##  again, or boot \"ZTP Rescue\" and use the console.\n"
	    UNATTENDED_RULE, safe);
	unattended_write(summary_path, text);
	free(text);
	free(safe);
}

/* One control request; -1 with *cause naming what the job asked for. */
static int
unattended_ask(struct control_client *cl, const char *what, json_t *args,
    const char *asked, char **cause)
{
	json_t	*r;
	char	*error = NULL;

	r = control_request(cl, what, args, &error);
	json_decref(args);
	if (r == NULL) {
		xasprintf(cause, "the daemon refused %s: %s", asked, error);
		free(error);
		return (-1);
	}
	json_decref(r);
	return (0);
}

/*
 * DHCP from the job.  With "dhcp = auto IFACE" another DHCP server
 * answering there is not an error: the daemon says so and serves no DHCP,
 * and the run goes on with the phones on that server.  With "vlan = VID"
 * the daemon makes IFACE.VID and serves there (serve --vlan).
 */
static int
unattended_dhcp(struct control_client *cl, struct job *j, char **cause)
{
	json_t		*r, *args;
	const char	*other, *state;
	char		*error = NULL, *where;

	args = json_pack("{s:b,s:s,s:s,s:b}", "enable", 1, "iface",
	    j->dhcp_iface, "address", j->dhcp_address, "auto", j->dhcp_auto);
	if (j->dhcp_vlan != 0) {
		json_object_set_new(args, "vlan", json_integer(j->dhcp_vlan));
		xasprintf(&where, "%s.%u (VLAN %u of %s)", j->dhcp_iface,
		    j->dhcp_vlan, j->dhcp_vlan, j->dhcp_iface);
	} else
		where = xstrdup(j->dhcp_iface);
	r = control_request(cl, "dhcp", args, &error);
	json_decref(args);
	if (r == NULL) {
		xasprintf(cause, "the daemon refused DHCP on %s with %s: %s",
		    where, j->dhcp_address, error);
		free(error);
		free(where);
		return (-1);
	}
	if ((other = json_string_value(json_object_get(r,
	    "other_server"))) != NULL) {
		printf("ztp-rescue unattended: dhcp = auto: another DHCP server "
		    "answers on %s (%s): the appliance serves no DHCP; that "
		    "server gives the phones their addresses\n", where, other);
	} else {
		/* The serial log shows where DHCP runs (the boot test). */
		state = json_string_value(json_object_get(r, "state"));
		printf("ztp-rescue unattended: DHCP on %s with %s: %s\n",
		    where, j->dhcp_address, state != NULL ? state : "started");
	}
	fflush(stdout);
	json_decref(r);
	free(where);
	return (0);
}

/*
 * The job's settings to the daemon.  What the daemon may refuse for the
 * closet (DHCP: no such interface, another server) goes first, and the CA
 * is checked here before anything is asked: a job refused part-way left its
 * CA and re-point in force, and the technician told to use the console
 * re-pointed phones to them unawares.  DHCP started is stopped again when
 * a later setting is refused.
 */
static int
unattended_setup(struct job *j, const char *state_dir, int autostart,
    char **cause)
{
	struct control_client	*cl;
	struct trust_ca		*ca;
	json_t			*r, *args;
	char			 real[PATH_MAX], *asked, *why = NULL;
	int			 rc = -1, dhcp_started = 0;

	if (j->ca != NULL) {
		if (realpath(j->ca, real) == NULL) {
			xasprintf(cause, "%s: ca %s: %s", j->path, j->ca,
			    strerror(errno));
			return (-1);
		}
		if ((ca = trust_load_ca(real, time(NULL), &why)) == NULL) {
			xasprintf(cause, "%s: the CA: %s", j->path, why);
			free(why);
			return (-1);
		}
		trust_ca_free(ca);
	}
	if ((cl = control_open(state_dir, autostart, cause)) == NULL)
		return (-1);
	if (j->dhcp_iface != NULL) {
		if (unattended_dhcp(cl, j, cause) != 0)
			goto out;
		dhcp_started = 1;
	}
	if (j->ca != NULL) {
		xasprintf(&asked, "the CA %s", j->ca);
		if (unattended_ask(cl, "set-ca", json_pack("{s:s}", "pem",
		    real), asked, cause) != 0) {
			free(asked);
			goto out;
		}
		free(asked);
	}
	xasprintf(&asked, "repoint = %s", j->repoint);
	if (unattended_ask(cl, "set-repoint", strcmp(j->repoint, "ztp") == 0 ?
	    json_pack("{s:s}", "target", "ztp") : json_pack("{s:s,s:s}",
	    "target", "server", "url", j->repoint), asked, cause) != 0) {
		free(asked);
		goto out;
	}
	free(asked);
	if (j->unknown_version != NULL && unattended_ask(cl, "set-policy",
	    json_pack("{s:s}", "unknown_version", j->unknown_version),
	    "the unknown-version policy", cause) != 0)
		goto out;
	if (j->max_flashes != 0 && unattended_ask(cl, "set-policy",
	    json_pack("{s:i}", "max_flashes", (int)j->max_flashes),
	    "max-flashes", cause) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && dhcp_started) {
		args = json_pack("{s:b}", "enable", 0);
		r = control_request(cl, "dhcp", args, &why);
		json_decref(args);
		if (r == NULL) {
			xasprintf(&asked, "%s; and DHCP, started for the job, "
			    "could not be stopped: %s", *cause, why);
			free(why);
			free(*cause);
			*cause = asked;
		}
		json_decref(r);
	}
	control_client_free(cl);
	return (rc);
}

static void
unattended_count(struct batch *b, struct unattended_counts *c)
{
	const char	*s;
	size_t		 i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < b->inv.n; i++) {
		s = batch_state(json_object_get(b->phones,
		    b->inv.phones[i].mac));
		if (strcmp(s, "verified") == 0)
			c->verified++;
		else if (strcmp(s, "repointed-quiet") == 0)
			c->repointed++;
		else if (strcmp(s, "failed") == 0)
			c->failed++;
		else
			c->not_done++;
	}
}

/* Four counts under their names, in big digits. */
static void
unattended_big(FILE *f, struct unattended_counts *c)
{
	static const char	*names[4] = { "VERIFIED", "REPOINTED",
				    "FAILED", "NOT DONE" };
	unsigned int		 v[4] = { c->verified, c->repointed,
				    c->failed, c->not_done };
	char			 digits[16], row[128];
	size_t			 i, k, at;
	int			 r;

	for (r = -1; r < 5; r++) {
		memset(row, ' ', sizeof row);
		for (i = 0; i < 4; i++) {
			at = 4 + i * 17;
			if (r == -1) {
				memcpy(row + at, names[i], strlen(names[i]));
				continue;
			}
			snprintf(digits, sizeof digits, "%u", v[i] > 999 ? 999 :
			    v[i]);
			for (k = 0; digits[k] != '\0'; k++)
				memcpy(row + at + k * 6, unattended_font[
				    digits[k] - '0'][r], 5);
		}
		memcpy(row, "##  ", 4);
		k = sizeof row - 1;
		while (k > 0 && row[k - 1] == ' ')
			k--;
		row[k] = '\0';
		fprintf(f, "%s\n", row);
	}
}

/* /srv/ztpdata/reports/x.txt is ZTPDATA\reports\x.txt to a technician. */
static char *
unattended_shown_path(const char *path)
{
	static const char	 prefix[] = "/srv/ztpdata/";
	char			*s, *p;

	if (strncmp(path, prefix, sizeof prefix - 1) != 0)
		return (xstrdup(path));
	xasprintf(&s, "ZTPDATA\\%s", path + sizeof prefix - 1);
	for (p = s; *p != '\0'; p++)
		if (*p == '/')
			*p = '\\';
	return (s);
}

/* The final screen: how it ended, the counts, where the report is. */
static char *
unattended_screen(struct job *j, struct batch *b,
    struct unattended_counts *n, int rc, const char *where)
{
	char	*text, t[32];
	size_t	 len;
	FILE	*f;

	control_fmt_duration((long)((clock_mono_ms() - b->start) / 1000), t,
	    sizeof t);
	f = open_memstream(&text, &len);
	fprintf(f, "\n" UNATTENDED_RULE
	    "##  ZTP RESCUE: UNATTENDED RECOVERY FINISHED after %s\n", t);
	if (n->not_done == 0)
		fprintf(f, "##  every phone of the job is done (%zu of %zu)\n",
		    b->inv.n, b->inv.n);
	else if (b->stopped_by != 0)
		fprintf(f, "##  STOPPED (%s): %u of %zu phones not done\n",
		    b->stopped_by == SIGINT ? "SIGINT" : "SIGTERM",
		    n->not_done, b->inv.n);
	else if (b->daemon_gone)
		fprintf(f, "##  STOPPED: the daemon went away; %u of %zu "
		    "phones not done (see the serial log)\n", n->not_done,
		    b->inv.n);
	else
		fprintf(f, "##  TIME LIMIT of %lds reached: %u of %zu phones "
		    "not done\n", j->timeout, n->not_done, b->inv.n);
	fputs("##\n", f);
	unattended_big(f, n);
	fputs("##\n", f);
	if (n->verified == 0)
		fputs("##  REPOINTED: re-pointed, then quiet; ZTP reachability "
		    "not verified from\n##  this closet.\n", f);
	fprintf(f, "##  %s\n", where);
	fputs("##  The run is over: the laptop can be switched off (power "
	    "button).\n" UNATTENDED_RULE, f);
	fclose(f);
	return (text);
}

static int
cmd_unattended_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct batch			 b;
	struct job			 j;
	struct unattended_counts	 n;
	struct control_inventory_phone	*ip;
	struct control_client		*cl;
	json_t				*ph, *r, *args;
	const char			*arg, *job_path = NULL;
	const char			*summary_path = NULL, *state_dir;
	char				*cause = NULL, *base, *report, *shown;
	char				*text, *phones, *line, real[PATH_MAX];
	char				*where;
	size_t				 plen, i;
	int				 c, first, rc, autostart = 1;
	int				 csv_failed = 0;
	FILE				*f;

	state_dir = CONTROL_DEFAULT_STATE;
	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 's':
			state_dir = arg;
			break;
		case 'j':
			job_path = arg;
			break;
		case 'S':
			summary_path = arg;
			break;
		case 'n':
			autostart = 0;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (job_path == NULL)
		return (cmd_usage_error(self, "--job FILE is required"));

	batch_init(&b);
	if (job_load(job_path, &j, &cause) != 0) {
		fprintf(stderr, "ztp-rescue unattended: %s\n", cause);
		unattended_refused(summary_path, cause);
		free(cause);
		return (EXIT_USAGE);
	}
	rc = EXIT_USAGE;
	if (control_inventory_load(j.inventory, &b.inv, &cause) != 0)
		goto refused;
	/* The job names it: a typo is the job's, said before any daemon. */
	if (j.ca != NULL && access(j.ca, R_OK) != 0) {
		xasprintf(&cause, "%s: ca %s: %s", j.path, j.ca,
		    strerror(errno));
		goto refused;
	}
	rc = EXIT_RUNTIME;	/* from here on, a refusal is not the job's */
	if (realpath(j.dir, real) == NULL) {
		xasprintf(&cause, "%s: %s", j.dir, strerror(errno));
		goto refused;
	}
	xasprintf(&base, "%s/reports", real);
	if (mkdir(base, 0755) != 0 && errno != EEXIST) {
		xasprintf(&cause, "cannot make %s for the report: %s", base,
		    strerror(errno));
		free(base);
		goto refused;
	}
	free(base);
	xasprintf(&base, "%s/reports/%s", real, j.report);

	printf("ztp-rescue unattended: job %s: %zu phone(s), repoint %s, "
	    "time limit %lds%s%s\n", j.path, b.inv.n, j.repoint, j.timeout,
	    j.ca != NULL ? ", CA " : "", j.ca != NULL ? j.ca : "");
	fflush(stdout);
	if (unattended_setup(&j, state_dir, autostart, &cause) != 0) {
		free(base);
		goto refused;
	}

	/* Batch mode does the waiting, the JSON report and its summary. */
	b.state_dir = state_dir;
	b.inventory_path = j.inventory;
	b.timeout = j.timeout;
	b.only_inventory = j.only_inventory;
	b.autostart = autostart;
	xasprintf(&report, "%s.json", base);
	b.report_path = report;
	rc = batch_run(&b);

	/* The same report as CSV, for the spreadsheet. */
	free(report);
	xasprintf(&report, "%s.csv", base);
	args = json_pack("{s:s,s:s}", "format", "csv", "out", report);
	cl = control_open(state_dir, 0, &cause);
	r = cl == NULL ? NULL : control_request(cl, "report", args, &cause);
	json_decref(args);
	if (r == NULL) {
		fprintf(stderr, "ztp-rescue unattended: no CSV report: %s\n",
		    cause);
		if (b.error == NULL)
			xasprintf(&b.error, "no CSV report: %s", cause);
		free(cause);
		cause = NULL;
		rc = EXIT_RUNTIME;
		csv_failed = 1;
	}
	json_decref(r);
	control_client_free(cl);
	free(report);

	/* The phones, one line each, for the text report. */
	f = open_memstream(&phones, &plen);
	for (i = 0; i < b.inv.n; i++) {
		ip = &b.inv.phones[i];
		if ((ph = json_object_get(b.phones, ip->mac)) == NULL) {
			fprintf(f, "%s  never seen%s%s\n", ip->mac,
			    ip->label != NULL ? "  " : "",
			    ip->label != NULL ? ip->label : "");
			continue;
		}
		line = control_format_phone(ph);
		fprintf(f, "%s%s%s\n", line, ip->label != NULL ? "  " : "",
		    ip->label != NULL ? ip->label : "");
		free(line);
	}
	fclose(f);

	/* The final screen, then the text report: the screen and a line a
	 * phone.  A report not written is said on the screen instead. */
	unattended_count(&b, &n);
	xasprintf(&report, "%s.txt", base);
	shown = unattended_shown_path(report);
	if (b.report == NULL || csv_failed)
		xasprintf(&where, UNATTENDED_NOT_WRITTEN, b.error != NULL ?
		    b.error : "no report");
	else
		xasprintf(&where, "report: %s (and .csv, .json)", shown);
	text = unattended_screen(&j, &b, &n, rc, where);
	xasprintf(&line, "%s\n%s", text, phones);
	if (fileio_replace(report, line, strlen(line), 0644, 0, &cause) != 0) {
		fprintf(stderr, "ztp-rescue unattended: %s\n", cause);
		/* The first failure is the one said, if one was. */
		if (b.report != NULL && !csv_failed) {
			free(where);
			xasprintf(&where, UNATTENDED_NOT_WRITTEN, cause);
		}
		free(cause);
		free(text);
		rc = EXIT_RUNTIME;
		text = unattended_screen(&j, &b, &n, rc, where);
	}
	/* The screen kept for tty1: not written is output lost (exit 1). */
	if (unattended_write(summary_path, text) != 0 && rc == EXIT_OK)
		rc = EXIT_RUNTIME;
	free(where);
	free(shown);
	free(line);
	free(text);
	free(phones);
	free(report);
	free(base);
	goto out;

refused:
	fprintf(stderr, "ztp-rescue unattended: %s\n", cause);
	unattended_refused(summary_path, cause);
	free(cause);
out:
	batch_free(&b);
	job_free(&j);
	return (rc);
}
