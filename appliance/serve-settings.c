/*
 * The operator's settings kept across restarts: the unknown-version policy,
 * the bound on tries at one image (max-flashes), the re-point target and
 * the targets set per model over the control socket (the CA is kept apart,
 * as STATE/ca.pem).  One small JSON file, STATE/settings.json, replaced
 * whole (temporary file, fsync, rename, fsync of the directory) whenever
 * one of them changes, read at start.  An option given on the command line
 * wins over the stored value for that run.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fileio.h"
#include "log.h"
#include "models.h"
#include "serve.h"
#include "xmalloc.h"

#define SERVE_SETTINGS_FILE	"settings.json"
#define SERVE_SETTINGS_FORMAT	1

/*
 * A damaged settings file, copied to settings.json.damaged before the next
 * save replaces it (the operator's file was overwritten, unkept).  0, or
 * -1 when it could not be copied.
 */
static int
serve_settings_keep_damaged(const char *path)
{
	char	*text, *to, *why = NULL;
	size_t	 len;
	int	 rc;

	if ((text = fileio_read(path, NULL, 1 << 20, &len, &why)) == NULL) {
		free(why);
		return (-1);
	}
	xasprintf(&to, "%s.damaged", path);
	rc = fileio_replace(to, text, len, 0600, 0, &why);
	free(why);
	free(to);
	free(text);
	return (rc);
}

/*
 * Read STATE/settings.json (none is fine) and apply it to the options and
 * the models table, before the fleet is made.  What the command line set
 * explicitly stays.  A damaged file is reported and ignored: the daemon
 * still starts, with the command line's settings.
 */
void
serve_settings_load(struct serve *s)
{
	json_t			*doc, *targets, *v;
	json_error_t		 jerr;
	const char		*text, *token;
	struct ucs_version	 ver;
	char			*path, *why = NULL;
	size_t			 i;
	int			 found;

	xasprintf(&path, "%s/%s", s->opt.state_dir, SERVE_SETTINGS_FILE);
	if (access(path, F_OK) != 0) {
		free(path);
		return;
	}
	if ((doc = json_load_file(path, 0, &jerr)) == NULL ||
	    !json_is_object(doc) || json_integer_value(json_object_get(doc,
	    "format")) != SERVE_SETTINGS_FORMAT) {
		/*
		 * Said in the status and on the console until the re-point
		 * is set again, and the file kept: a log line alone, and the
		 * phones were re-pointed to ZTP instead of the operator's
		 * server.
		 */
		free(s->settings_error);
		xasprintf(&s->settings_error, "%s cannot be read (%s): the "
		    "re-point, policy and model targets stored there are not "
		    "in force (now re-point %s, unknown version %s): set them "
		    "again%s", path, doc == NULL ? jerr.text :
		    "not a settings file of format 1", s->opt.repoint,
		    unknown_policy_name(s->opt.unknown_version),
		    serve_settings_keep_damaged(path) == 0 ? "; it is kept as "
		    SERVE_SETTINGS_FILE ".damaged" : "");
		log_warn("%s", s->settings_error);
		json_decref(doc);
		free(path);
		return;
	}
	/*
	 * Saved while the file was unreadable and the re-point not yet set
	 * again: said until it is (a save of any other setting cleared the
	 * warning, and a restart forgot it).
	 */
	text = json_string_value(json_object_get(doc, "unconfirmed"));
	if (text != NULL) {
		free(s->settings_error);
		s->settings_error = xstrdup(text);
		log_warn("%s", text);
	}
	text = json_string_value(json_object_get(doc, "unknown_version"));
	if (text != NULL && !s->opt.unknown_version_set) {
		if (strcmp(text, "hold") == 0)
			s->opt.unknown_version = UNKNOWN_HOLD;
		else if (strcmp(text, "upgrade") == 0)
			s->opt.unknown_version = UNKNOWN_UPGRADE;
	}
	v = json_object_get(doc, "max_flashes");
	if (json_is_integer(v) && !s->opt.max_flashes_set &&
	    json_integer_value(v) >= FLEET_MAX_FLASHES_MIN &&
	    json_integer_value(v) <= FLEET_MAX_FLASHES_MAX)
		s->opt.max_flashes = (unsigned)json_integer_value(v);
	text = json_string_value(json_object_get(doc, "repoint"));
	if (text != NULL && !s->opt.repoint_set) {
		free(s->stored_repoint);
		s->stored_repoint = xstrdup(text);
		s->opt.repoint = s->stored_repoint;
	}
	targets = json_object_get(doc, "targets");
	json_object_foreach(targets, token, v) {
		if ((text = json_string_value(v)) == NULL ||
		    ucs_version_parse(text, &ver, &why) != 0) {
			log_warn("%s: the target of %s is not a version: "
			    "ignored", path, token);
			free(why);
			why = NULL;
			continue;
		}
		found = 0;
		for (i = 0; i < s->models->count; i++) {
			if (s->models->models[i].token == NULL ||
			    strcmp(s->models->models[i].token, token) != 0)
				continue;
			s->models->models[i].target = ver;
			free((char *)s->models->models[i].target_source);
			s->models->models[i].target_source =
			    xstrdup("control");
			found = 1;
		}
		if (!found)
			log_warn("%s: no model %s in the table: its stored "
			    "target is ignored", path, token);
	}
	log_info("settings from %s: unknown-version=%s%s, repoint=%s%s, "
	    "max-flashes=%u%s, %zu model target(s)", path, unknown_policy_name(
	    s->opt.unknown_version), s->opt.unknown_version_set ?
	    " (command line)" : "", s->opt.repoint, s->opt.repoint_set ?
	    " (command line)" : "", s->opt.max_flashes, s->opt.max_flashes_set ?
	    " (command line)" : "", json_object_size(targets));
	json_decref(doc);
	free(path);
}

/* Write the settings in force, atomically.  -1 with *cause. */
int
serve_settings_save(struct serve *s, char **cause)
{
	json_t		*doc, *targets;
	char		*path, *text, *why = NULL, vt[UCS_VERSION_TEXT_MAX];
	const struct model *m;
	size_t		 i;
	int		 rc = 0, error;

	targets = json_object();
	for (i = 0; i < s->models->count; i++) {
		m = &s->models->models[i];
		if (m->token == NULL || m->target_source == NULL ||
		    strcmp(m->target_source, "control") != 0)
			continue;
		json_object_set_new(targets, m->token, json_string(
		    ucs_version_format(&m->target, vt, sizeof vt)));
	}
	doc = json_pack("{s:i, s:s, s:s, s:o, s:i}", "format",
	    SERVE_SETTINGS_FORMAT, "unknown_version", unknown_policy_name(
	    s->fleet->config.unknown_version), "repoint",
	    s->repoint_url != NULL ? s->repoint_url : "ztp", "targets",
	    targets, "max_flashes", (int)s->fleet->config.max_flashes);
	if (s->settings_error != NULL)
		json_object_set_new(doc, "unconfirmed",
		    json_string(s->settings_error));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	/* A text file: the document and a final newline. */
	text = xrealloc(text, strlen(text) + 2);
	strcat(text, "\n");
	xasprintf(&path, "%s/%s", s->opt.state_dir, SERVE_SETTINGS_FILE);
	if (fileio_replace(path, text, strlen(text), 0600, 0, &why) != 0) {
		error = errno;
		xasprintf(cause, "cannot write %s: %s (the settings last until "
		    "the daemon stops)", path, strerror(error));
		free(why);
		rc = -1;
	}
	free(text);
	free(path);
	return (rc);
}

/*
 * After a change over the control socket: saved, or a warning.  The
 * re-point set again (repoint_set) ends the warning of a file that could
 * not be read: it is what every phone is given.
 */
void
serve_settings_changed(struct serve *s, int repoint_set)
{
	char	*cause = NULL;

	if (repoint_set) {
		free(s->settings_error);
		s->settings_error = NULL;
	}
	if (serve_settings_save(s, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	}
}
