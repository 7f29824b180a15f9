/*
 * `ztp-rescue status --state DIR [--json]`: the status document of
 * docs/control-protocol.md.  Asked of the running daemon when there is one;
 * otherwise read from the journal, read-only (the phones as they were left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "xmalloc.h"

static int	cmd_status_exec(const struct cmd_entry *, int, char **);
static json_t	*cmd_status_offline(const char *, char **);
static void	cmd_status_ztp(json_t *);
static void	cmd_status_over_limit(json_t *);

static const struct cmd_option cmd_status_options[] = {
	{ "state", 's', "DIR",
	    "state directory of the daemon (default /var/lib/ztp-rescue)" },
	{ "json", 'j', NULL, "print the status document as JSON" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.args = "",
	.summary = "show every phone and its state (from the daemon, or the "
	    "journal when it is not running)",
	.options = cmd_status_options,
	.exec = cmd_status_exec
};

static json_t *
cmd_status_offline(const char *state, char **cause)
{
	struct journal		*j;
	struct fleet		*f;
	struct fleet_config	 fc;
	json_t			*doc;

	if ((j = journal_open(state, 1, cause)) == NULL)
		return (NULL);
	memset(&fc, 0, sizeof fc);
	f = fleet_new(j, NULL, &fc);
	/* A damaged log reads as an older journal: not shown as whole. */
	if (fleet_load(f, cause) != 0 || journal_read_error(j) != NULL) {
		/* A damaged journal: say what still works. */
		if (journal_read_error(j) != NULL &&
		    journal_disk_problem(state) != NULL) {
			/* A full or read-only disk is no damage. */
			free(*cause);
			xasprintf(cause, "the journal cannot be read here (%s)",
			    journal_read_error(j));
		} else if (journal_read_error(j) != NULL) {
			free(*cause);
			xasprintf(cause, "the journal cannot be read (%s): "
			    "'ztp-rescue report' writes what it still holds, "
			    "and 'ztp-rescue serve' sets a damaged one aside "
			    "and starts a new one", journal_read_error(j));
		}
		fleet_free(f);
		journal_close(j);
		return (NULL);
	}
	doc = json_pack("{s:{s:b}, s:o, s:o, s:o}", "appliance", "running", 0,
	    "counts", fleet_counts_json(f),
	    "syslog", journal_syslog_counts_json(j, NULL),
	    "phones", fleet_phones_json(f));
	fleet_free(f);
	journal_close(j);
	return (doc);
}

/* The ZTP reachability check, when one was asked for (serve --verify-via). */
static void
cmd_status_ztp(json_t *zc)
{
	const char	*sentence, *state;

	sentence = json_string_value(json_object_get(zc, "sentence"));
	state = json_string_value(json_object_get(zc, "state"));
	if (sentence != NULL)
		printf("ZTP reachability %s\n", sentence);
	else if (state != NULL && strcmp(state, "off") != 0)
		printf("ZTP reachability check: %s\n", state);
}

/*
 * First, since phones wait on them: the daemon's journal cannot write, the
 * interface DHCP serves on has no link or is gone, no CA is installed; and
 * the report on the stick is not written (nothing is lost, but a laptop
 * switched off leaves an old report there).
 */
static void
cmd_status_alarms(json_t *app)
{
	char	*why;

	if (json_is_object(json_object_get(app, "journal_set_aside"))) {
		why = control_text(json_object_get(app, "journal_set_aside"),
		    "path");
		printf("The journal was damaged when the daemon started: it "
		    "is kept as %s; what could still be read of it was "
		    "copied into the new one (the log says how much), what "
		    "could not is not listed here.\n", why);
		free(why);
	}
	if (json_is_string(json_object_get(app, "dhcp_other_server")))
		printf("ANOTHER DHCP SERVER answers on the phones' segment "
		    "(%s): phones may take its leases; unplug it or cut its "
		    "switch port\n", json_string_value(json_object_get(app,
		    "dhcp_other_server")));
	if (json_is_string(json_object_get(app, "dhcp_pool_full")))
		printf("DHCP: %s\n", json_string_value(json_object_get(app,
		    "dhcp_pool_full")));
	if (json_is_string(json_object_get(app, "dhcp_link")))
		printf("DHCP: %s\n", json_string_value(json_object_get(app,
		    "dhcp_link")));
	/* null from the daemon; absent when read from the journal. */
	if (json_is_null(json_object_get(app, "ca")))
		printf("%s\n", CONTROL_NO_CA);
	if (json_is_string(json_object_get(app, "report_error"))) {
		why = control_text(app, "report_error");
		printf("%s: %s\n", CONTROL_REPORT_NOT_KEPT, why);
		free(why);
	}
	if (!json_is_string(json_object_get(app, "journal_error")))
		return;
	why = control_text(app, "journal_error");
	printf("THE JOURNAL CANNOT WRITE: %s. No phone is answered until it "
	    "can: free space on the disk holding the state directory (if it "
	    "is not full, check that disk or restart the appliance); the "
	    "phones ask again.\n", why);
	free(why);
}

/* Claims for new phones the daemon did not believe (serve --phone-limit). */
static void
cmd_status_over_limit(json_t *app)
{
	json_int_t	over;

	over = json_integer_value(json_object_get(app, "claims_over_limit"));
	if (over > 0)
		printf("%lld requests named a new phone without a DHCP lease "
		    "of ours while the fleet held its limit of %lld phones: "
		    "not believed (see serve --phone-limit)\n", (long long)over,
		    (long long)json_integer_value(json_object_get(app,
		    "phone_limit")));
}

static int
cmd_status_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct control_client	*cl;
	const char		*arg, *state = CONTROL_DEFAULT_STATE;
	json_t			*doc, *p;
	char			*cause = NULL, *text;
	size_t			 i;
	int			 c, first, json = 0;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 's':
			state = arg;
			break;
		case 'j':
			json = 1;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	log_open(NULL, LOG_LEVEL_WARN);
	if ((cl = control_open(state, 0, &cause)) != NULL) {
		doc = control_request(cl, "status", NULL, &cause);
		control_client_free(cl);
	} else {
		free(cause);
		cause = NULL;
		doc = cmd_status_offline(state, &cause);
	}
	if (doc == NULL) {
		fprintf(stderr, "ztp-rescue status: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if (json) {
		text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_ENSURE_ASCII);
		printf("%s\n", text);
		free(text);
	} else {
		if (json_object_get(json_object_get(doc, "appliance"),
		    "running") != NULL)
			printf("daemon not running; phones as the journal left "
			    "them:\n");
		cmd_status_alarms(json_object_get(doc, "appliance"));
		json_array_foreach(json_object_get(doc, "phones"), i, p) {
			text = control_format_phone(p);
			printf("%s\n", text);
			free(text);
		}
		/* Under the list, where the prompt leaves the eye. */
		if ((text = control_format_counts(json_object_get(doc,
		    "counts"))) != NULL) {
			printf("%s\n", text);
			free(text);
		} else if (json_array_size(json_object_get(doc, "phones")) == 0)
			printf("no phones yet\n");
		/* Phones that do not ask, and what DHCP did not answer. */
		json_array_foreach(json_object_get(doc, "silent"), i, p) {
			text = control_format_silent(p);
			printf("%s\n", text);
			free(text);
		}
		json_array_foreach(json_object_get(doc, "ignored"), i, p) {
			text = control_format_ignored(p);
			printf("%s\n", text);
			free(text);
		}
		/* A move of DHCP to a VLAN that did not serve. */
		if ((p = json_object_get(json_object_get(doc, "dhcp_move"),
		    "text")) != NULL) {
			text = control_text(json_object_get(doc, "dhcp_move"),
			    "text");
			printf("%s\n", text);
			free(text);
		}
		cmd_status_ztp(json_object_get(json_object_get(doc,
		    "appliance"), "ztp_check"));
		cmd_status_over_limit(json_object_get(doc, "appliance"));
	}
	json_decref(doc);
	return (EXIT_OK);
}
