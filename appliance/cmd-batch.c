/*
 * `ztp-rescue batch`: recovery for scripts.  Waits until every phone of an
 * inventory is repointed-quiet or failed (or the time is up), printing progress
 * (human lines, or JSON lines with --json), asks the daemon for the report,
 * and says how it went in its exit status: 0 all repointed-quiet, 3 otherwise,
 * 1 on a run-time failure, 2 on a usage error.  It never reads the terminal
 * (Clonezilla's batch mode that still waited for ENTER is the lesson).
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "batch.h"
#include "clock.h"
#include "cmd.h"
#include "control.h"
#include "termsafe.h"
#include "fleet.h"
#include "xmalloc.h"

/* How long a batch keeps trying to reach a daemon that went away. */
#define BATCH_RECONNECT_SECS 60


static int	cmd_batch_exec(const struct cmd_entry *, int, char **);
static long	batch_elapsed(struct batch *);
/* The reason of a hold for not being listed (the start of it). */
#define BATCH_NOT_LISTED "not in the batch inventory (--only-inventory)"
#define BATCH_HOLD_REASON_MAX	200	/* the daemon's bound (serve-control.c) */

static int	batch_report_target(const char *, const char *, char **);
static int	batch_connect(struct batch *, char **);
static int	batch_sync(struct batch *, char **);
static void	batch_want(struct batch *, json_t *);
static int	batch_finished(const char *);
static char	*batch_other_settings(struct batch *, json_t *);
static void	batch_daemon_log(json_t *);
static void	batch_apply(struct batch *, json_t *);
static void	batch_progress(struct batch *, struct control_inventory_phone *,
		    json_t *);
static int	batch_report(struct batch *, char **, char **);
static void	batch_summary(struct batch *, const char *, int);
static void	batch_verify(struct batch *);
static int	batch_policy(struct batch *, char **);

static const struct cmd_option cmd_batch_options[] = {
	{ "state", 's', "DIR", "the daemon's state directory "
	    "(default " CONTROL_DEFAULT_STATE ")" },
	{ "inventory", 'i', "FILE", "CSV of the phones to wait for: "
	    "mac[,model][,label] per line, header optional (required)" },
	{ "timeout", 't', "DURATION", "give up after this long: seconds, or "
	    "90s, 30m, 1h30m, 2h (default 30m)" },
	{ "json", 'j', NULL, "print progress as JSON lines" },
	{ "only-inventory", 'o', NULL, "hold every phone that is not in the "
	    "inventory" },
	{ "report", 'r', "FILE", "write the report here (.csv for CSV, else "
	    "JSON; default STATE/reports/batch-TIME.json)" },
	{ "no-start", 'n', NULL, "fail instead of starting the daemon when "
	    "none is running" },
	{ "verify-via", 'V', "IF", "have the daemon check the ZTP host out of "
	    "this interface (as serve --verify-via); phones it covers end "
	    "verified" },
	{ "max-flashes", 'm', "N", "set the daemon's bound on times a phone "
	    "may take the same image whole and come back unchanged, 1..20 "
	    "(as serve --max-flashes; kept, as ctl set-policy)" },
	{ "unknown-version", 'u', "upgrade|hold", "set the daemon's policy "
	    "for a phone whose version is not known yet (as serve "
	    "--unknown-version; kept, as ctl set-policy)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_batch_entry = {
	.name = "batch",
	.args = "",
	.summary = "wait until every phone of an inventory is repointed-quiet, "
	    "then write the report",
	.options = cmd_batch_options,
	.exec = cmd_batch_exec
};

static long
batch_elapsed(struct batch *b)
{
	return ((long)((clock_mono_ms() - b->start) / 1000));
}

const char *
batch_state(json_t *ph)
{
	const char	*s = json_string_value(json_object_get(ph, "state"));

	return (s != NULL ? s : "unknown");
}

/* The ZTP check out of the given interface; a refusal is said, not fatal. */
static void
batch_verify(struct batch *b)
{
	json_t	*args, *r;
	char	*cause = NULL;

	args = json_pack("{s:s}", "via", b->verify_via);
	r = control_request(b->cl, "verify-ztp", args, &cause);
	json_decref(args);
	if (r == NULL) {
		fprintf(stderr, "ztp-rescue batch: ZTP check via %s not "
		    "started: %s\n", b->verify_via, cause);
		free(cause);
		return;
	}
	json_decref(r);
	b->verify_pending = 1;
}

/*
 * The ZTP check asked for has ended: its sentence is said (a failed check
 * was said nowhere), and the phones read again (the ones it covers are
 * verified now).  0 while it still runs.
 */
static int
batch_verify_ended(struct batch *b)
{
	json_t		*st, *z;
	const char	*state, *sentence;
	char		*cause = NULL, *esc;

	if ((st = control_request(b->cl, "status", NULL, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	z = json_object_get(json_object_get(st, "appliance"), "ztp_check");
	state = json_string_value(json_object_get(z, "state"));
	if (state != NULL && strcmp(state, "running") == 0) {
		json_decref(st);
		return (0);
	}
	sentence = json_string_value(json_object_get(z, "sentence"));
	if (sentence == NULL)
		sentence = "it gave no result";
	esc = termsafe(sentence, strlen(sentence));
	fprintf(stderr, "ztp-rescue batch: ZTP check via %s: %s\n",
	    b->verify_via, esc);
	free(esc);
	json_decref(st);
	b->verify_pending = 0;
	if (batch_sync(b, &cause) != 0)
		free(cause);
	return (1);
}

/*
 * The policy given on the command line, set on the daemon before the wait:
 * a batch that asked for --max-flashes 1 must not run under another bound,
 * so a refusal ends it.
 */
static int
batch_policy(struct batch *b, char **cause)
{
	json_t	*args, *r;
	char	*error = NULL;

	if (b->max_flashes == 0 && b->unknown_version == NULL)
		return (0);
	args = json_object();
	if (b->max_flashes != 0)
		json_object_set_new(args, "max_flashes",
		    json_integer(b->max_flashes));
	if (b->unknown_version != NULL)
		json_object_set_new(args, "unknown_version",
		    json_string(b->unknown_version));
	r = control_request(b->cl, "set-policy", args, &error);
	json_decref(args);
	if (r == NULL) {
		xasprintf(cause, "the daemon refused the policy: %s", error);
		free(error);
		return (-1);
	}
	json_decref(r);
	return (0);
}

/* Connect, subscribe, and take the status document as the starting point. */
static int
batch_connect(struct batch *b, char **cause)
{
	json_t	*r;

	if ((b->cl = control_open(b->state_dir, b->autostart, cause)) == NULL)
		return (-1);
	if ((r = control_request(b->cl, "subscribe", NULL, cause)) == NULL) {
		control_client_free(b->cl);
		b->cl = NULL;
		return (-1);
	}
	json_decref(r);
	return (batch_sync(b, cause));
}

/*
 * The daemon's journal stops or starts writing, DHCP's link goes or comes
 * back, another DHCP server answers: while so, phones wait, so a script's
 * operator must hear why nothing moves.
 */
static void
batch_daemon_log(json_t *ev)
{
	const char	*text, *level;

	text = json_string_value(json_object_get(ev, "text"));
	level = json_string_value(json_object_get(ev, "level"));
	if (text == NULL || level == NULL)
		return;
	if (strncmp(text, "journal: cannot write", 21) == 0 ||
	    strncmp(text, "journal: writes work again", 26) == 0 ||
	    (strncmp(text, "dhcp: ", 6) == 0 && (strcmp(level, "warn") == 0 ||
	    strstr(text, " has its link and address again") != NULL)))
		fprintf(stderr, "ztp-rescue batch: the daemon says: %s\n",
		    text);
}

static int
batch_sync(struct batch *b, char **cause)
{
	json_t	*st, *ph;
	size_t	 i;

	if ((st = control_request(b->cl, "status", NULL, cause)) == NULL)
		return (-1);
	control_client_discard_events(b->cl);	/* older than st */
	if (json_is_string(json_object_get(json_object_get(st, "appliance"),
	    "journal_error")))
		fprintf(stderr, "ztp-rescue batch: the daemon's journal cannot "
		    "write (%s): no phone is answered until it can (the "
		    "daemon's log says what to do)\n", json_string_value(
		    json_object_get(json_object_get(st, "appliance"),
		    "journal_error")));
	/* As the daemon logs it, had this run been listening then. */
	if (json_is_string(json_object_get(json_object_get(st, "appliance"),
	    "dhcp_link")))
		fprintf(stderr, "ztp-rescue batch: the daemon says: dhcp: %s\n",
		    json_string_value(json_object_get(json_object_get(st,
		    "appliance"), "dhcp_link")));
	if (json_is_null(json_object_get(json_object_get(st, "appliance"),
	    "ca")))
		fprintf(stderr, "ztp-rescue batch: %s\n", CONTROL_NO_CA);
	if (json_is_string(json_object_get(json_object_get(st, "appliance"),
	    "report_error")))
		fprintf(stderr, "ztp-rescue batch: %s: %s\n",
		    CONTROL_REPORT_NOT_KEPT, json_string_value(json_object_get(
		    json_object_get(st, "appliance"), "report_error")));
	batch_want(b, json_object_get(st, "appliance"));
	json_array_foreach(json_object_get(st, "phones"), i, ph)
		batch_apply(b, ph);
	json_decref(st);
	return (0);
}

/* Given its trust and re-point: nothing more is served unless it asks. */
static int
batch_finished(const char *state)
{
	return (strcmp(state, "repointed") == 0 ||
	    strcmp(state, "repointed-quiet") == 0 ||
	    strcmp(state, "verified") == 0);
}

/* What a phone must have been given to count as this run's recovery. */
static void
batch_want(struct batch *b, json_t *app)
{
	const char	*ca, *repoint;

	ca = json_string_value(json_object_get(json_object_get(app, "ca"),
	    "sha256"));
	repoint = json_string_value(json_object_get(app, "repoint"));
	free(b->want_ca);
	free(b->want_repoint);
	b->want_ca = ca != NULL && *ca != '\0' ? xstrdup(ca) : NULL;
	b->want_repoint = xstrdup(repoint != NULL ? repoint : "ztp");
}

/*
 * A phone recovered under other settings (an earlier job's CA or re-point
 * target) is not this run's recovery: it points where that job sent it and
 * will not come back by itself.  Before, it counted as done and the run
 * ended 0 with the phone on the wrong server.  NULL when it is this run's,
 * or not recovered; else the reason, as a failure the technician acts on.
 */
static char *
batch_other_settings(struct batch *b, json_t *ph)
{
	const char	*ca, *repoint;
	char		*why, *was_ca = NULL, *was_repoint = NULL;

	if (!batch_finished(batch_state(ph)) || b->want_repoint == NULL)
		return (NULL);
	ca = json_string_value(json_object_get(ph, "ca_sha256"));
	repoint = json_string_value(json_object_get(ph, "repoint"));
	if (repoint == NULL || *repoint == '\0')
		repoint = "ztp";
	if (ca == NULL || *ca == '\0')
		ca = "none";
	if (strcmp(repoint, b->want_repoint) != 0)
		xasprintf(&was_repoint, "; re-pointed to %s, this run's is %s",
		    repoint, b->want_repoint);
	if (b->want_ca != NULL && strcmp(ca, b->want_ca) != 0)
		xasprintf(&was_ca, "; given the CA of sha256 %.16s, this run's "
		    "is %.16s", ca, b->want_ca);
	if (was_repoint == NULL && was_ca == NULL)
		return (NULL);
	xasprintf(&why, "%s under other settings%s%s: it will not come back "
	    "by itself; reset it to its factory settings so that it asks the "
	    "appliance again", batch_state(ph), was_repoint != NULL ?
	    was_repoint : "", was_ca != NULL ? was_ca : "");
	free(was_repoint);
	free(was_ca);
	return (why);
}

void
batch_count(struct batch *b, unsigned int *recovered, unsigned int *failed)
{
	const char	*s;
	size_t		 i;

	*recovered = *failed = 0;
	for (i = 0; i < b->inv.n; i++) {
		s = batch_state(json_object_get(b->phones,
		    b->inv.phones[i].mac));
		if (strcmp(s, "repointed-quiet") == 0 ||
		    strcmp(s, "verified") == 0)
			(*recovered)++;
		else if (strcmp(s, "failed") == 0)
			(*failed)++;
	}
}

static void
batch_progress(struct batch *b, struct control_inventory_phone *ip,
    json_t *ph)
{
	json_t		*line;
	unsigned int	 rec, fail;
	char		*text, *s, t[32];

	batch_count(b, &rec, &fail);
	if (b->json) {
		line = json_pack("{s:s,s:I,s:s,s:s?,s:O?,s:O?,s:O?,s:O?,s:O?,"
		    "s:I,s:I}", "event", "phone", "elapsed",
		    (json_int_t)batch_elapsed(b), "mac", ip->mac, "label",
		    ip->label, "model", json_object_get(ph, "model"),
		    "version_before", json_object_get(ph, "version_before"),
		    "version", json_object_get(ph, "version"), "state",
		    json_object_get(ph, "state"), "reason",
		    json_object_get(ph, "reason"), "done",
		    (json_int_t)(rec + fail), "total", (json_int_t)b->inv.n);
		s = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII |
		    JSON_PRESERVE_ORDER);
		printf("%s\n", s);
		free(s);
		json_decref(line);
	} else {
		control_fmt_duration(batch_elapsed(b), t, sizeof t);
		text = control_format_phone(ph);
		printf("[%s] %s%s%s  [%u/%zu done]\n", t, text,
		    ip->label != NULL ? " " : "",
		    ip->label != NULL ? ip->label : "", rec + fail, b->inv.n);
		free(text);
	}
	fflush(stdout);
}

static void
batch_apply(struct batch *b, json_t *ph)
{
	struct control_inventory_phone	*ip;
	json_t				*old, *args, *r, *mine = NULL;
	const char			*mac, *model, *state, *reason;
	char				*error = NULL, *esc, *other, *why;
	int				 changed;

	if ((mac = json_string_value(json_object_get(ph, "mac"))) == NULL)
		return;
	state = batch_state(ph);
	if ((ip = control_inventory_find(&b->inv, mac)) == NULL) {
		/*
		 * Nothing is left to do to a phone an earlier job recovered:
		 * holding it only overwrote that record (its report then
		 * said held).  Should it ask again, it is held then.
		 */
		if (!b->only_inventory || strcmp(state, "held") == 0 ||
		    batch_finished(state) ||
		    json_object_get(b->held, mac) != NULL)
			return;
		json_object_set_new(b->held, mac, json_true());
		/*
		 * The hold's reason replaces the record's: what the phone was
		 * (failed, and why) stays in it, for the report.
		 */
		reason = json_string_value(json_object_get(ph, "reason"));
		xasprintf(&why, "%s; it was %s%s%s", BATCH_NOT_LISTED, state,
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
		/* A hold's reason is one line of at most 200 bytes. */
		if (strlen(why) > BATCH_HOLD_REASON_MAX)
			memcpy(why + BATCH_HOLD_REASON_MAX - 3, "...", 4);
		args = json_pack("{s:s,s:s}", "mac", mac, "reason", why);
		free(why);
		r = control_request(b->cl, "hold", args, &error);
		json_decref(args);
		esc = control_text(ph, "mac");
		if (r == NULL) {
			fprintf(stderr, "ztp-rescue batch: could not hold %s "
			    "(not in the inventory): %s\n", esc, error);
			free(error);
		} else if (!b->json)
			printf("held %s: not in the inventory\n", esc);
		else
			printf("{\"event\":\"held\",\"mac\":\"%s\"}\n", esc);
		free(esc);
		json_decref(r);
		fflush(stdout);
		return;
	}

	/*
	 * Listed now, held by an earlier --only-inventory run for not being
	 * listed: released.  It waited out the whole run, "held (not in the
	 * batch inventory)".
	 */
	reason = json_string_value(json_object_get(ph, "reason"));
	/*
	 * Held while failed: a release starts a failed phone afresh (a flash
	 * loop would be flashed again), which is the operator's retry.
	 */
	if (strcmp(state, "held") == 0 && reason != NULL &&
	    strncmp(reason, BATCH_NOT_LISTED, strlen(BATCH_NOT_LISTED)) == 0 &&
	    strstr(reason, "; it was failed") != NULL &&
	    json_object_get(b->held, mac) == NULL) {
		json_object_set_new(b->held, mac, json_true());
		esc = control_text(ph, "mac");
		fprintf(stderr, "ztp-rescue batch: %s stays held: an earlier "
		    "--only-inventory run held it while it was failed (see its "
		    "reason); retry it ('ztp-rescue ctl retry mac=%s') to serve "
		    "it again\n", esc, esc);
		free(esc);
	} else if (strcmp(state, "held") == 0 && reason != NULL &&
	    strncmp(reason, BATCH_NOT_LISTED, strlen(BATCH_NOT_LISTED)) == 0 &&
	    json_object_get(b->held, mac) == NULL) {
		json_object_set_new(b->held, mac, json_true());
		args = json_pack("{s:s}", "mac", mac);
		r = control_request(b->cl, "release", args, &error);
		json_decref(args);
		esc = control_text(ph, "mac");
		if (r == NULL) {
			fprintf(stderr, "ztp-rescue batch: could not release %s "
			    "(held by an earlier run for not being in its "
			    "inventory): %s\n", esc, error);
			free(error);
		} else if (!b->json)
			printf("released %s: in this inventory (an earlier "
			    "--only-inventory run held it)\n", esc);
		else
			printf("{\"event\":\"released\",\"mac\":\"%s\"}\n",
			    esc);
		free(esc);
		json_decref(r);
		fflush(stdout);
	}
	model = json_string_value(json_object_get(ph, "model"));
	if (ip->model != NULL && model != NULL &&
	    strcasecmp(ip->model, model) != 0 &&
	    json_object_get(b->warned, mac) == NULL) {
		json_object_set_new(b->warned, mac, json_true());
		esc = control_text(ph, "model");
		fprintf(stderr, "ztp-rescue batch: %s is a %s, the inventory "
		    "(line %u) says %s\n", mac, esc, ip->line, ip->model);
		free(esc);
	}
	/* This run's view: failed, with why (the daemon's record unchanged). */
	if ((other = batch_other_settings(b, ph)) != NULL) {
		mine = json_deep_copy(ph);
		json_object_set_new(mine, "state", json_string("failed"));
		json_object_set_new(mine, "reason", json_string(other));
		free(other);
		ph = mine;
		state = "failed";
	}
	/* Compared before the set: it frees the old object. */
	old = json_object_get(b->phones, mac);
	changed = old == NULL || strcmp(batch_state(old), state) != 0;
	json_object_set(b->phones, mac, ph);
	if (changed)
		batch_progress(b, ip, ph);
	json_decref(mine);
}

static int
batch_report(struct batch *b, char **path_out, char **cause)
{
	json_t		*args, *r;
	const char	*format = "json", *p;
	char		*path, *dircopy, *basecopy, real[PATH_MAX], stamp[32];
	time_t		 now = time(NULL);
	size_t		 len;

	if (b->report_path != NULL) {
		dircopy = xstrdup(b->report_path);
		basecopy = xstrdup(b->report_path);
		if (realpath(dirname(dircopy), real) == NULL) {
			xasprintf(cause, "cannot write the report to %s: %s",
			    b->report_path, strerror(errno));
			free(dircopy);
			free(basecopy);
			return (-1);
		}
		/* The daemon has another working directory. */
		xasprintf(&path, "%s/%s", real, basename(basecopy));
		free(dircopy);
		free(basecopy);
		/* A link is followed: the file it names is written. */
		if (realpath(path, real) != NULL) {
			free(path);
			path = xstrdup(real);
		}
		len = strlen(path);
		if (len > 4 && strcasecmp(path + len - 4, ".csv") == 0)
			format = "csv";
	} else {
		if (realpath(b->state_dir, real) == NULL) {
			xasprintf(cause, "%s: %s", b->state_dir,
			    strerror(errno));
			return (-1);
		}
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S",
		    localtime(&now));
		xasprintf(&path, "%s/reports", real);
		mkdir(path, 0700);
		free(path);
		xasprintf(&path, "%s/reports/batch-%s.json", real, stamp);
	}
	args = json_pack("{s:s,s:s}", "format", format, "out", path);
	r = control_request(b->cl, "report", args, cause);
	json_decref(args);
	if (r == NULL) {
		free(path);
		return (-1);
	}
	if ((p = json_string_value(json_object_get(r, "path"))) != NULL) {
		free(path);
		path = xstrdup(p);
	}
	json_decref(r);
	*path_out = path;
	return (0);
}

/* SIGINT or SIGTERM: the wait ends, and the report is still written. */
static volatile sig_atomic_t	batch_signal;

static void
batch_on_signal(int signo)
{
	batch_signal = signo;
}

static void
batch_summary(struct batch *b, const char *report, int rc)
{
	struct control_inventory_phone	*ip;
	json_t				*ph, *line;
	unsigned int			 rec, fail;
	const char			*state;
	char				*text, *s;
	size_t				 i;
	int				 early;

	batch_count(b, &rec, &fail);
	/*
	 * Ended early (a signal, the daemon gone): the phones left are not
	 * done, not timed out; the line said "timed_out" for them.
	 */
	early = b->stopped_by != 0 || b->daemon_gone || b->refused;
	if (b->json) {
		line = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s?,s:i}",
		    "event", "done", "total", (json_int_t)b->inv.n,
		    "repointed-quiet", (json_int_t)rec, "failed",
		    (json_int_t)fail, "timed_out", early ? (json_int_t)0 :
		    (json_int_t)(b->inv.n - rec - fail), "not_done", early ?
		    (json_int_t)(b->inv.n - rec - fail) : (json_int_t)0,
		    "elapsed", (json_int_t)batch_elapsed(b), "report", report,
		    "exit", rc);
		/* Only when it ended early: the wait was not over. */
		if (b->stopped_by != 0)
			json_object_set_new(line, "stopped_by", json_string(
			    b->stopped_by == SIGINT ? "SIGINT" : "SIGTERM"));
		if (b->error != NULL)
			json_object_set_new(line, "error",
			    json_string(b->error));
		s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
		json_decref(line);
		fflush(stdout);
		return;
	}
	printf("\n");
	for (i = 0; i < b->inv.n; i++) {
		ip = &b->inv.phones[i];
		ph = json_object_get(b->phones, ip->mac);
		if (ph == NULL) {
			printf("%s%s%s  never seen  %s\n", ip->mac,
			    ip->label != NULL ? " " : "",
			    ip->label != NULL ? ip->label : "",
			    early ? "NOT DONE" : "TIMEOUT");
			continue;
		}
		state = batch_state(ph);
		text = control_format_phone(ph);
		printf("%s%s%s%s\n", text, ip->label != NULL ? " " : "",
		    ip->label != NULL ? ip->label : "",
		    strcmp(state, "repointed-quiet") != 0 &&
		    strcmp(state, "verified") != 0 &&
		    strcmp(state, "failed") != 0 ? (early ?
		    "  NOT DONE" : "  TIMEOUT") : "");
		free(text);
	}
	if (b->stopped_by != 0)
		printf("%u of %zu repointed-quiet, %u failed, %zu not done "
		    "(stopped by %s at %ld s of %ld)%s%s\n", rec, b->inv.n,
		    fail, b->inv.n - rec - fail, b->stopped_by == SIGINT ?
		    "SIGINT" : "SIGTERM", batch_elapsed(b), b->timeout,
		    report != NULL ? "; report " : "", report != NULL ?
		    report : "");
	else if (b->refused)
		printf("%u of %zu repointed-quiet, %u failed, %zu not done (%s)"
		    "\n", rec, b->inv.n, fail, b->inv.n - rec - fail, b->error);
	else if (b->daemon_gone)
		printf("%u of %zu repointed-quiet, %u failed, %zu not done "
		    "(the daemon went away at %ld s of %ld)%s%s\n", rec,
		    b->inv.n, fail, b->inv.n - rec - fail, batch_elapsed(b),
		    b->timeout, report != NULL ? "; report " : "",
		    report != NULL ? report : "");
	else
		printf("%u of %zu repointed-quiet, %u failed, %zu timed out"
		    "%s%s\n", rec, b->inv.n, fail, b->inv.n - rec - fail,
		    report != NULL ? "; report " : "", report != NULL ?
		    report : "");
	fflush(stdout);
}

static int
cmd_batch_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct batch	 b;
	const char	*arg;
	char		*cause = NULL;
	unsigned long	 v;
	int		 c, first, rc;

	batch_init(&b);
	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 's':
			b.state_dir = arg;
			break;
		case 'i':
			b.inventory_path = arg;
			break;
		case 't':
			if (control_parse_duration(arg, &b.timeout, &cause)) {
				rc = cmd_usage_error(self, "--timeout: %s",
				    cause);
				free(cause);
				return (rc);
			}
			break;
		case 'j':
			b.json = 1;
			break;
		case 'o':
			b.only_inventory = 1;
			break;
		case 'r':
			b.report_path = arg;
			break;
		case 'n':
			b.autostart = 0;
			break;
		case 'V':
			b.verify_via = arg;
			break;
		case 'm':
			if (cmd_parse_uint(self, "--max-flashes", arg,
			    FLEET_MAX_FLASHES_MIN, FLEET_MAX_FLASHES_MAX,
			    &v) != 0)
				return (EXIT_USAGE);
			b.max_flashes = v;
			break;
		case 'u':
			if (strcmp(arg, "upgrade") != 0 &&
			    strcmp(arg, "hold") != 0)
				return (cmd_usage_error(self, "--unknown-version "
				    "must be 'upgrade' or 'hold', not '%s'",
				    arg));
			b.unknown_version = arg;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (b.inventory_path == NULL)
		return (cmd_usage_error(self, "--inventory FILE is required"));
	if (control_inventory_load(b.inventory_path, &b.inv, &cause) != 0) {
		fprintf(stderr, "ztp-rescue batch: %s\n", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	if (b.report_path != NULL &&
	    batch_report_target(b.report_path, b.inventory_path,
	    &cause) != 0) {
		rc = cmd_usage_error(self, "--report: %s", cause);
		free(cause);
		batch_free(&b);
		return (rc);
	}
	rc = batch_run(&b);
	batch_free(&b);
	return (rc);
}

/*
 * Where --report goes, checked before the wait (a typo was found after
 * it, the whole --timeout later): a folder that exists, and a name that
 * is a regular file or none yet.  A device, a FIFO or a folder would be
 * replaced by the file (the report is renamed into place), and so would
 * the inventory itself: the technician's only list of the closet.
 */
static int
batch_report_target(const char *path, const char *inventory, char **cause)
{
	struct stat	 sb, isb;
	char		*dircopy, real[PATH_MAX];

	if (*path == '\0') {
		*cause = xstrdup("the report's file name is empty");
		return (-1);
	}
	dircopy = xstrdup(path);
	if (realpath(dirname(dircopy), real) == NULL ||
	    stat(real, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "there is no folder %s for the report %s: is "
		    "the stick plugged in and mounted there?", dircopy, path);
		free(dircopy);
		return (-1);
	}
	free(dircopy);
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s is %s, not a file: name a file for the "
		    "report (it is written whole and renamed into place)", path,
		    S_ISDIR(sb.st_mode) ? "a folder" : "a device or a pipe");
		return (-1);
	}
	if (stat(path, &sb) == 0 && stat(inventory, &isb) == 0 &&
	    sb.st_dev == isb.st_dev && sb.st_ino == isb.st_ino) {
		xasprintf(cause, "%s is the inventory: the report would replace "
		    "it; name another file (e.g. %s.report.csv)", path,
		    inventory);
		return (-1);
	}
	return (0);
}

/*
 * Wait for the inventory's phones, write the report and print the summary;
 * EXIT_OK, EXIT_INCOMPLETE or EXIT_RUNTIME.  The caller has filled in b
 * (batch_init, then its fields and the inventory) and frees it with
 * batch_free.
 */
int
batch_run(struct batch *b)
{
	struct sigaction sa, old_int, old_term;
	json_t		*ev;
	const char	*name;
	char		*cause = NULL;
	unsigned int	 rec, fail;
	long		 left, lost_at = -1;
	int		 rc, said = 0;

	b->start = clock_mono_ms();
	batch_signal = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = batch_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* Started in the background of a script: SIGINT stays ignored. */
	if (old_int.sa_handler == SIG_IGN)
		sigaction(SIGINT, &old_int, NULL);
	b->phones = json_object();
	b->held = json_object();
	b->warned = json_object();
	if (b->json) {
		printf("{\"event\":\"start\",\"total\":%zu,\"timeout\":%ld}\n",
		    b->inv.n, b->timeout);
		fflush(stdout);
	}
	if (batch_connect(b, &cause) != 0) {
		fprintf(stderr, "ztp-rescue batch: %s\n", cause);
		b->error = cause;
		b->daemon_gone = 1;
		rc = EXIT_RUNTIME;
		goto out;
	}
	/* Said once there is a daemon to wait with (it said so, then none). */
	if (!b->json) {
		printf("waiting up to %lds for %zu phone%s of %s\n",
		    b->timeout, b->inv.n, b->inv.n == 1 ? "" : "s",
		    b->inventory_path);
		fflush(stdout);
	}
	/* A daemon that goes away was stopped or is restarting: never start one. */
	b->autostart = 0;
	if (batch_policy(b, &cause) != 0) {
		fprintf(stderr, "ztp-rescue batch: %s\n", cause);
		b->error = cause;
		b->refused = 1;
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (b->verify_via != NULL)
		batch_verify(b);

	for (;;) {
		batch_count(b, &rec, &fail);
		/* Every phone done: the ZTP check asked for decides last. */
		if (rec + fail == b->inv.n && (!b->verify_pending ||
		    b->cl == NULL || batch_verify_ended(b)))
			break;
		if ((left = b->timeout - batch_elapsed(b)) <= 0)
			break;
		if (batch_signal != 0) {
			b->stopped_by = batch_signal;
			break;
		}
		if (b->cl == NULL) {
			/* The daemon went away: it may be restarting. */
			if (batch_connect(b, &cause) != 0) {
				if (batch_elapsed(b) - lost_at >
				    BATCH_RECONNECT_SECS) {
					fprintf(stderr, "ztp-rescue batch: "
					    "%s\n", cause);
					b->error = cause;
					b->daemon_gone = 1;
					rc = EXIT_RUNTIME;
					goto out;
				}
				free(cause);
				cause = NULL;
				sleep(1);
				continue;
			}
			fprintf(stderr, "ztp-rescue batch: reconnected\n");
			lost_at = -1;
			continue;
		}
		ev = control_next_event(b->cl, left > 1 ? 1000 : (int)left *
		    1000, &cause);
		if (ev == NULL) {
			if (cause == NULL)
				continue;	/* a quiet second */
			fprintf(stderr, "ztp-rescue batch: %s; reconnecting\n",
			    cause);
			free(cause);
			cause = NULL;
			control_client_free(b->cl);
			b->cl = NULL;
			lost_at = batch_elapsed(b);
			continue;
		}
		name = json_string_value(json_object_get(ev, "event"));
		if (name != NULL && strcmp(name, "phone") == 0)
			batch_apply(b, json_object_get(ev, "phone"));
		else if (name != NULL && strcmp(name, "log") == 0)
			batch_daemon_log(ev);
		else if (name != NULL && strcmp(name, "dropped") == 0 &&
		    batch_sync(b, &cause) != 0) {
			free(cause);	/* the next read will notice */
			cause = NULL;
		}
		json_decref(ev);
	}

	batch_count(b, &rec, &fail);
	rc = rec == b->inv.n ? EXIT_OK : EXIT_INCOMPLETE;
	if (b->stopped_by != 0)
		rc = 128 + b->stopped_by;	/* as a shell tells it */
	if (b->cl == NULL)
		b->daemon_gone = 1;
	if (b->cl == NULL || batch_report(b, &b->report, &cause) != 0) {
		fprintf(stderr, "ztp-rescue batch: no report: %s\n",
		    cause != NULL ? cause : "the daemon is gone");
		xasprintf(&b->error, "no report: %s", cause != NULL ? cause :
		    "the daemon is gone");
		free(cause);
		if (b->stopped_by == 0)
			rc = EXIT_RUNTIME;
	}
	batch_summary(b, b->report, rc);
	said = 1;

out:
	/* Ended early: --json still ends with its done line. */
	if (!said && b->json)
		batch_summary(b, NULL, rc);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	control_client_free(b->cl);
	b->cl = NULL;
	return (rc);
}

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	b->state_dir = CONTROL_DEFAULT_STATE;
	b->timeout = 30 * 60;
	b->autostart = 1;
}

void
batch_free(struct batch *b)
{
	control_client_free(b->cl);
	json_decref(b->phones);
	json_decref(b->held);
	json_decref(b->warned);
	free(b->want_ca);
	free(b->want_repoint);
	control_inventory_free(&b->inv);
	free(b->report);
	free(b->error);
	memset(b, 0, sizeof *b);
}
