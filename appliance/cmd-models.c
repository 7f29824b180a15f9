/*
 * `ztp-rescue models [--json] [--models FILE]`: the models table with each
 * model's target version and where that target came from (the seed's table
 * or a line of the operator's override file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "models.h"

#define MODELS_WRAP	78
#define MODELS_INDENT	"      "

static int	cmd_models_exec(const struct cmd_entry *, int, char **);
static void	cmd_models_text(const struct model_table *);
static void	cmd_models_wrap(const char *, const char *);
static int	cmd_models_json(const struct model_table *);

static const struct cmd_option cmd_models_options[] = {
	{ "json", 'j', NULL, "print a JSON array of the models" },
	{ "models", 'm', "FILE",
	  "override targets: 'TOKEN VERSION' lines (a part number may stand "
	  "for the token)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_models_entry = {
	.name = "models",
	.args = "",
	.summary = "list the phone models and the UC Software each must run",
	.options = cmd_models_options,
	.exec = cmd_models_exec
};

static int
cmd_models_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct model_table	*t;
	const char		*arg, *file = NULL;
	char			*cause;
	int			 c, first, json = 0, rc;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 'j':
			json = 1;
			break;
		case 'm':
			file = arg;
			break;
		}
	}
	if (argc - first > 0)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));

	if ((t = model_table_load_default(&cause)) == NULL) {
		fprintf(stderr, "ztp-rescue models: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if (file != NULL && model_table_apply_overrides(t, file, &cause) != 0) {
		fprintf(stderr, "ztp-rescue models: %s\n", cause);
		free(cause);
		model_table_free(t);
		return (EXIT_RUNTIME);
	}
	if (json)
		rc = cmd_models_json(t);
	else {
		cmd_models_text(t);
		rc = EXIT_OK;
	}
	model_table_free(t);
	return (rc);
}

/* Print "prefix text" folded at blanks, continuation lines indented. */
static void
cmd_models_wrap(const char *prefix, const char *text)
{
	const char	*p = text, *sp, *cut;
	size_t		 width = MODELS_WRAP - strlen(prefix);

	printf("%s", prefix);
	while (strlen(p) > width) {
		cut = NULL;
		for (sp = p; sp <= p + width; sp++) {
			if (*sp == ' ')
				cut = sp;
		}
		if (cut == NULL && *(cut = p + strcspn(p, " ")) == '\0')
			break;
		printf("%.*s\n%s", (int)(cut - p), p, MODELS_INDENT);
		p = cut + 1;
		width = MODELS_WRAP - strlen(MODELS_INDENT);
	}
	printf("%s\n", p);
}

static void
cmd_models_text(const struct model_table *t)
{
	const struct model	*m;
	char			 target[UCS_VERSION_TEXT_MAX], prefix[48];
	size_t			 i;
	int			 wtok = 5, wname = 4, wpart = 4, wtarget = 6, n;

	for (i = 0; i < t->count; i++) {
		m = &t->models[i];
		if (m->token != NULL && (n = (int)strlen(m->token)) > wtok)
			wtok = n;
		if ((n = (int)strlen(m->name)) > wname)
			wname = n;
		n = m->part != NULL ? (int)strlen(m->part) : 7;
		if (n > wpart)
			wpart = n;
		ucs_version_format_release(&m->target, target, sizeof target);
		if ((n = (int)strlen(target)) > wtarget)
			wtarget = n;
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wtok, "TOKEN", wname, "NAME",
	    wpart, "PART", wtarget, "TARGET", "FROM");
	for (i = 0; i < t->count; i++) {
		m = &t->models[i];
		ucs_version_format_release(&m->target, target, sizeof target);
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", wtok,
		    m->token != NULL ? m->token : "-", wname, m->name, wpart,
		    m->part != NULL ? m->part : "unknown", wtarget, target,
		    m->target_source);
	}
	printf("\nnotes:\n");
	for (i = 0; i < t->count; i++) {
		m = &t->models[i];
		if (*m->note == '\0')
			continue;
		snprintf(prefix, sizeof prefix, "  %s: ", m->name);
		cmd_models_wrap(prefix, m->note);
	}
}

static int
cmd_models_json(const struct model_table *t)
{
	const struct model	*m;
	json_t			*array, *row;
	char			 target[UCS_VERSION_TEXT_MAX];
	size_t			 i;
	int			 rc;

	array = json_array();
	for (i = 0; i < t->count; i++) {
		m = &t->models[i];
		ucs_version_format_release(&m->target, target, sizeof target);
		row = json_pack("{s:s?, s:s, s:s, s:s?, s:s, s:s, s:s}",
		    "token", m->token, "name", m->name, "family", m->family,
		    "part", m->part, "target", target,
		    "target_source", m->target_source, "note", m->note);
		if (row == NULL) {
			json_decref(array);
			fprintf(stderr, "ztp-rescue models: cannot encode the "
			    "row for %s as JSON\n", m->name);
			return (EXIT_RUNTIME);
		}
		json_array_append_new(array, row);
	}
	rc = json_dumpf(array, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(array);
	if (rc != 0)
		return (EXIT_RUNTIME);
	putchar('\n');
	return (EXIT_OK);
}
