/*
 * The daemon's answers on the control socket (docs/control-protocol.md).
 * The transport is control-server.c; these handlers only read and change
 * the daemon's state, each returning the result or a sentence saying why not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "control.h"
#include "dhcp.h"
#include "fleet.h"
#include "http.h"
#include "journal.h"
#include "library.h"
#include "log.h"
#include "mac.h"
#include "models.h"
#include "report.h"
#include "provision.h"
#include "serve.h"
#include "tftp.h"
#include "trust.h"
#include "xmalloc.h"

static struct phone *serve_ctl_phone(struct serve *, json_t *, char **);
static int	serve_ctl_status(void *, json_t *, json_t **, char **);
static int	serve_ctl_phone_cmd(void *, json_t *, json_t **, char **);
static int	serve_ctl_hold(void *, json_t *, json_t **, char **);
static int	serve_ctl_release(void *, json_t *, json_t **, char **);
static int	serve_ctl_retry(void *, json_t *, json_t **, char **);
static int	serve_ctl_forget(void *, json_t *, json_t **, char **);
static int	serve_ctl_set_target(void *, json_t *, json_t **, char **);
static int	serve_ctl_set_ca(void *, json_t *, json_t **, char **);
static int	serve_ctl_set_repoint(void *, json_t *, json_t **, char **);
static int	serve_ctl_set_policy(void *, json_t *, json_t **, char **);
static int	serve_ctl_library(void *, json_t *, json_t **, char **);
static int	serve_ctl_import(void *, json_t *, json_t **, char **);
static int	serve_ctl_report(void *, json_t *, json_t **, char **);
static int	serve_ctl_shutdown(void *, json_t *, json_t **, char **);
static int	serve_ctl_verify_ztp(void *, json_t *, json_t **, char **);

void
serve_note_settings(struct serve *s)
{
	struct journal_event	 ev;
	char			*text;

	xasprintf(&text, "unknown-version=%s; repoint=%s; ca=%s; "
	    "quiet-period=%ds; max-flashes=%u",
	    unknown_policy_name(s->fleet->config.unknown_version),
	    s->repoint_url != NULL ? s->repoint_url : "ztp",
	    s->ca != NULL ? s->ca->sha256 : "none",
	    (int)(s->fleet->config.quiet_ms / 1000),
	    s->fleet->config.max_flashes);
	memset(&ev, 0, sizeof ev);
	ev.ts = serve_now();
	ev.mac = "";
	ev.kind = "note";
	ev.fact = "settings";
	ev.value = text;
	ev.evidence = "daemon settings";
	journal_add_event(s->journal, &ev);
	free(text);
}

json_t *
serve_status_json(struct serve *s)
{
	json_t	*app, *status;

	app = json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:I, s:s, s:s, s:I}",
	    "address", s->opt.listen,
	    "http_port", (int)http_server_port(s->http),
	    "tftp_port", (int)tftp_server_port(s->tftp),
	    "https_port", (int)http_server_tls_port(s->http),
	    "quiet_period", (int)(s->fleet->config.quiet_ms / 1000),
	    "dhcp", s->dhcp != NULL ? dhcp_state(s->dhcp) : "off",
	    "packages", (json_int_t)s->library->npackages,
	    "unknown_version", unknown_policy_name(
	    s->fleet->config.unknown_version),
	    "repoint", s->repoint_url != NULL ? s->repoint_url : "ztp",
	    "active_transfers", (json_int_t)(tftp_server_active(s->tftp) +
	    http_server_active(s->http)));
	json_object_set_new(app, "ca", s->ca != NULL ? json_pack("{s:s, s:s}",
	    "subject", s->ca->subject, "sha256", s->ca->sha256) : json_null());
	json_object_set_new(app, "max_flashes", json_integer(
	    s->fleet->config.max_flashes));
	json_object_set_new(app, "phone_limit", json_integer(
	    s->opt.phone_limit));
	json_object_set_new(app, "claims_over_limit", json_integer(
	    (json_int_t)s->claims_over_limit));
	json_object_set_new(app, "jobs", serve_jobs_json(s));
	json_object_set_new(app, "ztp_check", serve_ztp_json(s));
	json_object_set_new(app, "settings_error", s->settings_error != NULL ?
	    json_string(s->settings_error) : json_null());
	/* While it is set no phone is answered (serve-answer.c). */
	json_object_set_new(app, "journal_error",
	    journal_writable(s->journal, serve_now()) ? json_null() :
	    json_string(journal_failing(s->journal)));
	/* A cable pulled, an adapter unplugged: DHCP runs and serves nobody. */
	json_object_set_new(app, "dhcp_link", s->dhcp != NULL &&
	    dhcp_link_problem(s->dhcp) != NULL ?
	    json_string(dhcp_link_problem(s->dhcp)) : json_null());
	/*
	 * Another DHCP server answering on the phones' segment while we
	 * serve (dhcp-sniff.c): phones may take its leases.  It was said in
	 * the log only.
	 */
	json_object_set_new(app, "dhcp_other_server", s->dhcp != NULL &&
	    dhcp_rogue(s->dhcp) != NULL ? json_string(dhcp_rogue(s->dhcp)) :
	    json_null());
	json_object_set_new(app, "dhcp_pool_full", s->dhcp != NULL &&
	    dhcp_pool_problem(s->dhcp) != NULL ?
	    json_string(dhcp_pool_problem(s->dhcp)) : json_null());
	/* The report kept on the stick (serve --report-dir), and why not. */
	json_object_set_new(app, "report_dir", s->opt.report_dir != NULL ?
	    json_string(s->opt.report_dir) : json_null());
	json_object_set_new(app, "report_error", s->report_error != NULL ?
	    json_string(s->report_error) : json_null());
	json_object_set_new(app, "journal_set_aside", s->journal_aside != NULL ?
	    json_pack("{s:s, s:s}", "path", s->journal_aside, "why",
	    s->journal_aside_why) : json_null());
	serve_journal_sync(s);
	status = json_pack("{s:o, s:o, s:o, s:o}", "appliance", app,
	    "counts", fleet_counts_json(s->fleet),
	    "syslog", journal_syslog_counts_json(s->journal, NULL),
	    "phones", fleet_phones_json(s->fleet));
	serve_closet_status(s, status);
	return (status);
}

static struct phone *
serve_ctl_phone(struct serve *s, json_t *args, char **error)
{
	const char	*text = json_string_value(json_object_get(args, "mac"));
	char		 mac[CONTROL_MAC_LEN + 1], *esc;
	struct phone	*p;

	if (text == NULL) {
		*error = xstrdup("\"mac\" is required");
		return (NULL);
	}
	if (mac_parse(text, mac) != 0) {
		esc = log_escape(text, strlen(text));
		xasprintf(error, "'%s' is not a MAC address (12 hex digits, "
		    "with or without separators)", esc);
		free(esc);
		return (NULL);
	}
	if ((p = fleet_find(s->fleet, mac)) == NULL)
		xasprintf(error, "no phone %s (see 'ztp-rescue status')", mac);
	return (p);
}

static int
serve_ctl_status(void *arg, json_t *args, json_t **result, char **error)
{
	*result = serve_status_json(arg);
	return (0);
}

static int
serve_ctl_phone_cmd(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct phone	*p;

	if ((p = serve_ctl_phone(s, args, error)) == NULL)
		return (-1);
	*result = fleet_phone_json(s->fleet, p);
	json_object_set_new(*result, "events", journal_events_json(s->journal,
	    p->mac));
	json_object_set_new(*result, "transfers",
	    journal_transfers_json(s->journal, p->mac));
	json_object_set_new(*result, "syslog", journal_syslog_json(s->journal,
	    p->mac, 200));
	json_object_set_new(*result, "syslog_counts",
	    journal_syslog_counts_json(s->journal, p->mac));
	return (0);
}

/* The longest reason a hold may be given over the control socket. */
#define SERVE_REASON_MAX	200

static int
serve_ctl_hold(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct phone	*p;
	json_t		*r = json_object_get(args, "reason");
	const char	*reason = "held by the operator";
	size_t		 i, len;

	/* The reason said (batch --only-inventory, the console) is kept. */
	if (r != NULL) {
		reason = json_string_value(r);
		len = reason != NULL ? strlen(reason) : 0;
		for (i = 0; i < len; i++) {
			if ((unsigned char)reason[i] < 0x20 ||
			    reason[i] == 0x7f)
				break;
		}
		if (len == 0 || len > SERVE_REASON_MAX || i < len) {
			xasprintf(error, "\"reason\" must be a line of text of "
			    "1 to %d bytes, without control characters",
			    SERVE_REASON_MAX);
			return (-1);
		}
	}
	if ((p = serve_ctl_phone(s, args, error)) == NULL)
		return (-1);
	/*
	 * Held already for another reason (a package to import, an unknown
	 * version): the operator's hold takes its place, or the hold would
	 * lift by itself when that reason goes, a phone batch's
	 * --only-inventory must leave alone included.
	 */
	if (p->state == PHONE_HELD && (p->reason == NULL ||
	    strcmp(p->reason, reason) != 0) && fleet_release_for(s->fleet, p,
	    serve_now(), "held again by the operator, for another reason",
	    error) != 0)
		return (-1);
	fleet_hold(s->fleet, p, reason, serve_now(), "control: hold");
	if (p->state != PHONE_HELD) {
		xasprintf(error, "phone %s is not held: the journal cannot "
		    "record it", p->mac);
		return (-1);
	}
	*result = fleet_phone_json(s->fleet, p);
	return (0);
}

static int
serve_ctl_release(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct phone	*p;

	if ((p = serve_ctl_phone(s, args, error)) == NULL ||
	    fleet_release(s->fleet, p, serve_now(), error) != 0)
		return (-1);
	*result = fleet_phone_json(s->fleet, p);
	return (0);
}

static int
serve_ctl_retry(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct phone	*p;

	if ((p = serve_ctl_phone(s, args, error)) == NULL ||
	    fleet_retry(s->fleet, p, serve_now(), error) != 0)
		return (-1);
	*result = fleet_phone_json(s->fleet, p);
	return (0);
}

static int
serve_ctl_forget(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct phone	*p;

	if ((p = serve_ctl_phone(s, args, error)) == NULL)
		return (-1);
	if (fleet_forget(s->fleet, p, serve_now()) != 0) {
		*error = xstrdup("the journal cannot record it: the phone is "
		    "kept");
		return (-1);
	}
	*result = json_object();
	return (0);
}

/*
 * A setting's arguments are only those it takes: a typo ("versoin=",
 * "ulr=") was taken silently, and the setting stayed as it was while the
 * answer said nothing of it.  -1 with *error naming the stranger.
 */
static int
serve_ctl_only(json_t *args, const char *command, const char *const keys[],
    char **error)
{
	const char	*key;
	json_t		*v;
	char		*list = NULL, *next;
	size_t		 i;

	json_object_foreach(args, key, v) {
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(key, keys[i]) == 0)
				break;
		}
		if (keys[i] != NULL)
			continue;
		for (i = 0; keys[i] != NULL; i++) {
			xasprintf(&next, "%s%s%s", list != NULL ? list : "",
			    i > 0 ? ", " : "", keys[i]);
			free(list);
			list = next;
		}
		xasprintf(error, "%s takes no \"%s\" (it takes %s)", command,
		    key, list);
		free(list);
		return (-1);
	}
	return (0);
}

static int
serve_ctl_set_target(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve		*s = arg;
	const char		*token, *text;
	struct model		*m = NULL;
	struct phone		*p;
	struct ucs_version	 v;
	char			 vt[UCS_VERSION_TEXT_MAX], *why = NULL;
	struct model		 one;
	struct model_table	 single = { &one, 1 };
	size_t			 i;

	if (serve_ctl_only(args, "set-target", (const char *const[]){
	    "model", "version", NULL }, error) != 0)
		return (-1);
	token = json_string_value(json_object_get(args, "model"));
	text = json_string_value(json_object_get(args, "version"));
	if (token == NULL || text == NULL) {
		*error = xstrdup("\"model\" and \"version\" are required");
		return (-1);
	}
	if (ucs_version_parse(text, &v, error) != 0)
		return (-1);
	/* The template in force must suit the new target (params.tsv). */
	for (i = 0; i < s->models->count; i++) {
		if (s->models->models[i].token == NULL ||
		    strcmp(s->models->models[i].token, token) != 0)
			continue;
		one = s->models->models[i];
		one.target = v;
		if (provision_check_template(s->template, s->template_len,
		    s->template_name, s->params, &single, s->repoint_url,
		    &why) != 0) {
			xasprintf(error, "target %s refused for %s: %s", text,
			    token, why);
			free(why);
			return (-1);
		}
		break;
	}
	for (i = 0; i < s->models->count; i++) {
		if (s->models->models[i].token != NULL &&
		    strcmp(s->models->models[i].token, token) == 0) {
			m = &s->models->models[i];
			m->target = v;
			/* The table owns its strings (model_table_free). */
			free((char *)m->target_source);
			m->target_source = xstrdup("control");
		}
	}
	if (m == NULL) {
		xasprintf(error, "no model %s in the table (see 'ztp-rescue "
		    "models')", token);
		return (-1);
	}
	ucs_version_format(&v, vt, sizeof vt);
	TAILQ_FOREACH(p, &s->fleet->phones, entry) {
		if (strcmp(p->model, token) == 0)
			fleet_set_target(s->fleet, p, vt);
	}
	log_info("target of %s set to %s by the operator", token, text);
	serve_settings_changed(s, 0);
	/* Phones held for the old target's package may not wait any more. */
	serve_package_recheck(s, serve_now());
	*result = json_pack("{s:s, s:s, s:o, s:s, s:s}", "token", m->token,
	    "name", m->name, "part", m->part != NULL ? json_string(m->part) :
	    json_null(), "target", ucs_version_format_release(&v, vt,
	    sizeof vt), "target_source", "control");
	/*
	 * Taken all the same (the package may be imported next), but said:
	 * until it is, this model's phones are held for want of it.
	 */
	if (m->part != NULL && (s->library == NULL ||
	    library_find(s->library, &v, m->part) == NULL)) {
		xasprintf(&why, "the library holds no UC Software %s for the "
		    "%s (part %s): its phones wait until that package is "
		    "imported", vt, m->name, m->part);
		log_warn("%s", why);
		json_object_set_new(*result, "warning", json_string(why));
		free(why);
	}
	return (0);
}

static int
serve_ctl_set_ca(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	const char	*path = json_string_value(json_object_get(args, "pem"));

	if (path == NULL) {
		*error = xstrdup("\"pem\" (the path of the CA file) is required");
		return (-1);
	}
	if (serve_set_ca(s, path, error) != 0)
		return (-1);
	serve_note_settings(s);
	*result = trust_ca_json(s->ca);
	return (0);
}

static int
serve_ctl_set_repoint(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	const char	*target, *url;

	if (serve_ctl_only(args, "set-repoint", (const char *const[]){
	    "target", "url", NULL }, error) != 0)
		return (-1);
	target = json_string_value(json_object_get(args, "target"));
	url = json_string_value(json_object_get(args, "url"));
	if (target == NULL || (strcmp(target, "ztp") != 0 &&
	    strcmp(target, "server") != 0)) {
		*error = xstrdup("\"target\" must be \"ztp\" or \"server\"");
		return (-1);
	}
	if (strcmp(target, "server") == 0 && url == NULL) {
		*error = xstrdup("\"url\" is required for target \"server\"");
		return (-1);
	}
	if (serve_set_repoint(s, strcmp(target, "ztp") == 0 ? "ztp" : url,
	    error) != 0)
		return (-1);
	serve_note_settings(s);
	serve_settings_changed(s, 1);
	*result = json_object();
	return (0);
}

static int
serve_ctl_set_policy(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	const char	*v;
	json_t		*n;
	json_int_t	 flashes = 0;

	if (serve_ctl_only(args, "set-policy", (const char *const[]){
	    "unknown_version", "max_flashes", NULL }, error) != 0)
		return (-1);
	v = json_string_value(json_object_get(args, "unknown_version"));
	n = json_object_get(args, "max_flashes");
	if (v == NULL && n == NULL) {
		*error = xstrdup("give \"unknown_version\" (\"upgrade\" or "
		    "\"hold\"), \"max_flashes\" (a number), or both");
		return (-1);
	}
	if (json_object_get(args, "unknown_version") != NULL && (v == NULL ||
	    (strcmp(v, "upgrade") != 0 && strcmp(v, "hold") != 0))) {
		*error = xstrdup("\"unknown_version\" must be \"upgrade\" or "
		    "\"hold\"");
		return (-1);
	}
	/* "3" as `ctl set-policy max_flashes=3` sends it is 3. */
	if (json_is_string(n) && strspn(json_string_value(n), "0123456789") ==
	    strlen(json_string_value(n)) && strlen(json_string_value(n)) > 0 &&
	    strlen(json_string_value(n)) < 4)
		flashes = strtol(json_string_value(n), NULL, 10);
	else if (json_is_integer(n))
		flashes = json_integer_value(n);
	if (n != NULL && (flashes < FLEET_MAX_FLASHES_MIN ||
	    flashes > FLEET_MAX_FLASHES_MAX)) {
		xasprintf(error, "\"max_flashes\" must be a number from %d to "
		    "%d", FLEET_MAX_FLASHES_MIN, FLEET_MAX_FLASHES_MAX);
		return (-1);
	}
	if (v != NULL)
		s->fleet->config.unknown_version = strcmp(v, "hold") == 0 ?
		    UNKNOWN_HOLD : UNKNOWN_UPGRADE;
	if (n != NULL)
		s->fleet->config.max_flashes = (unsigned)flashes;
	serve_note_settings(s);
	serve_settings_changed(s, 0);
	*result = json_object();
	return (0);
}

static int
serve_ctl_library(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve			*s = arg;
	const struct library_package	*p;
	json_t				*list, *parts;
	char				 vt[UCS_VERSION_TEXT_MAX];
	size_t				 i, k;
	unsigned int			 job;
	int				 queued;

	/* {"reload":true}: read it again (an import by the command line). */
	if (json_is_true(json_object_get(args, "reload"))) {
		if (serve_library_reload(s, error) != 0)
			return (-1);
		log_info("library read again on request: %zu packages",
		    s->library->npackages);
	}
	/* {"verify":true}: re-hash everything in a child ("verify" events). */
	if (json_is_true(json_object_get(args, "verify"))) {
		job = serve_job_start(s, SERVE_JOB_VERIFY, NULL, &queued);
		*result = json_pack("{s:b, s:i, s:b}", "started", 1, "job",
		    (int)job, "queued", queued);
		return (0);
	}

	list = json_array();
	for (i = 0; i < s->library->npackages; i++) {
		p = &s->library->packages[i];
		parts = json_array();
		for (k = 0; k < p->nparts; k++)
			json_array_append_new(parts, json_string(p->parts[k]));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, "
		    "s:o}", "id", p->id, "version", ucs_version_format(
		    &p->version, vt, sizeof vt), "dir", p->dir, "parts", parts,
		    "damage", p->damage != NULL ? json_string(p->damage) :
		    json_null()));
	}
	*result = json_pack("{s:s, s:o}", "library", s->library->dir,
	    "packages", list);
	return (0);
}

/*
 * An import runs in a child process and is told about with "import"
 * events; the answer comes at once.  {"wait":true} keeps the old way: the
 * import runs here and the answer lists the packages, but nothing else is
 * served meanwhile.
 */
static int
serve_ctl_import(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	json_t		*paths = json_object_get(args, "paths"), *v, *ids;
	char		**got, **g, *why, *next, *list;
	size_t		 i;
	unsigned int	 job;
	int		 queued, rc;

	if (!json_is_array(paths) || json_array_size(paths) == 0) {
		*error = xstrdup("\"paths\" must be an array of paths");
		return (-1);
	}
	json_array_foreach(paths, i, v) {
		if (!json_is_string(v) || *json_string_value(v) == '\0' ||
		    *json_string_value(v) == '-') {
			*error = xstrdup("every entry of \"paths\" must be a "
			    "path (a zip, a tar, a folder or a mount point)");
			return (-1);
		}
	}
	if (!json_is_true(json_object_get(args, "wait"))) {
		job = serve_job_start(s, SERVE_JOB_IMPORT, paths, &queued);
		*result = json_pack("{s:b, s:i, s:b}", "started", 1, "job",
		    (int)job, "queued", queued);
		return (0);
	}
	ids = json_array();
	json_array_foreach(paths, i, v) {
		if (!json_is_string(v))
			continue;
		why = NULL;
		rc = library_import(s->library, s->models,
		    json_string_value(v), NULL, &got, &why);
		for (g = got; g != NULL && *g != NULL; g++) {
			json_array_append_new(ids, json_string(*g));
			free(*g);
		}
		free(got);
		/* A path refused does not stop the others: each is said. */
		if (rc != 0) {
			xasprintf(&next, "%s%s%s", *error != NULL ? *error : "",
			    *error != NULL ? "\n" : "", why != NULL ? why :
			    "not imported");
			free(*error);
			*error = next;
		}
		free(why);
	}
	/* What was imported beside a failure is served all the same. */
	serve_refresh_provision(s);
	serve_package_recheck(s, serve_now());
	if (*error != NULL) {
		/* The answer is an error: what was imported is said in it. */
		if (json_array_size(ids) > 0) {
			list = xstrdup("");
			json_array_foreach(ids, i, v) {
				xasprintf(&next, "%s%s%s", list, i > 0 ? ", " :
				    "", json_string_value(v));
				free(list);
				list = next;
			}
			xasprintf(&next, "imported %s; not imported:\n%s", list,
			    *error);
			free(list);
			free(*error);
			*error = next;
		}
		json_decref(ids);
		return (-1);
	}
	*result = json_pack("{s:o}", "imported", ids);
	return (0);
}

/* {"via": IF} optional: check the ZTP host again now (serve-ztpcheck.c). */
static int
serve_ctl_verify_ztp(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	json_t		*v = json_object_get(args, "via");

	if (v != NULL && !json_is_string(v)) {
		*error = xstrdup("\"via\" must be an interface name");
		return (-1);
	}
	if (serve_ztp_start(s, json_string_value(v), error) != 0)
		return (-1);
	*result = serve_ztp_json(s);
	return (0);
}

static int
serve_ctl_report(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	const char	*fmt = json_string_value(json_object_get(args, "format"));
	const char	*out = json_string_value(json_object_get(args, "out"));

	if (out == NULL) {
		*error = xstrdup("\"out\" (the report's path) is required");
		return (-1);
	}
	if (fmt != NULL && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
		xasprintf(error, "\"format\" must be \"csv\" or \"json\", not "
		    "\"%s\"", fmt);
		return (-1);
	}
	if (report_write(s->journal, fmt != NULL && strcmp(fmt, "csv") == 0 ?
	    REPORT_CSV : REPORT_JSON, out, error) != 0)
		return (-1);
	*result = json_pack("{s:s}", "path", out);
	return (0);
}

static int
serve_ctl_shutdown(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve	*s = arg;
	struct timeval	 tv = { 0, 100 * 1000 };

	log_info("shutdown requested over the control socket");
	event_base_loopexit(s->base, &tv);
	*result = json_object();
	return (0);
}

void
serve_control_register(struct serve *s)
{
	static const struct {
		const char	*name;
		control_handler	 fn;
	} cmds[] = {
		{ "status", serve_ctl_status },
		{ "phone", serve_ctl_phone_cmd },
		{ "hold", serve_ctl_hold },
		{ "release", serve_ctl_release },
		{ "retry", serve_ctl_retry },
		{ "forget", serve_ctl_forget },
		{ "set-target", serve_ctl_set_target },
		{ "set-ca", serve_ctl_set_ca },
		{ "set-repoint", serve_ctl_set_repoint },
		{ "set-policy", serve_ctl_set_policy },
		{ "library", serve_ctl_library },
		{ "import", serve_ctl_import },
		{ "report", serve_ctl_report },
		{ "dhcp", serve_ctl_dhcp },
		{ "shutdown", serve_ctl_shutdown },
		{ "verify-ztp", serve_ctl_verify_ztp },
		{ NULL, NULL }
	};
	int	i;

	for (i = 0; cmds[i].name != NULL; i++)
		control_register(s->control, cmds[i].name, cmds[i].fn, s);
}
