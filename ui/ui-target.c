/*
 * The menu's target version per model.  The versions offered are those the
 * library holds an image of for the model's part (the part the model's
 * phones reported): a version without one would leave the model's phones
 * waiting for a package, which the daemon then warns about.  A version not
 * listed can still be typed, for a package about to be imported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "xmalloc.h"
#include "ui.h"

static int	ui_target_has(json_t *, const char *);
static char	*ui_target_model(struct ui *);
static char	*ui_target_version(struct ui *, const char *);

/* 1 when the array of strings holds s. */
static int
ui_target_has(json_t *list, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return (1);
	}
	return (0);
}

/*
 * The versions to offer for a model: from the library's packages (as the
 * daemon's "library" reply lists them, each with its "parts"), those with
 * an image for a part the model's phones reported, once each, in library
 * order.  *parts_text: those parts, comma separated, or NULL when no phone
 * of the model reported one (then every version is offered).
 */
json_t *
ui_target_versions(json_t *phones, json_t *packages, const char *model,
    char **parts_text)
{
	json_t		*parts, *versions, *ph, *pkg, *v;
	const char	*m, *part, *version;
	char		*text = NULL, *t;
	size_t		 i, k;
	int		 held;

	parts = json_array();
	json_array_foreach(phones, i, ph) {
		m = json_string_value(json_object_get(ph, "model"));
		part = json_string_value(json_object_get(ph, "part"));
		if (m == NULL || part == NULL || *part == '\0' ||
		    strcmp(m, model) != 0 || ui_target_has(parts, part))
			continue;
		json_array_append_new(parts, json_string(part));
		if (text == NULL)
			text = xstrdup(part);
		else {
			xasprintf(&t, "%s, %s", text, part);
			free(text);
			text = t;
		}
	}
	versions = json_array();
	json_array_foreach(packages, i, pkg) {
		version = json_string_value(json_object_get(pkg, "version"));
		if (version == NULL || ui_target_has(versions, version))
			continue;
		held = json_array_size(parts) == 0;
		json_array_foreach(json_object_get(pkg, "parts"), k, v) {
			if (json_is_string(v) &&
			    ui_target_has(parts, json_string_value(v)))
				held = 1;
		}
		if (held)
			json_array_append_new(versions, json_string(version));
	}
	json_decref(parts);
	*parts_text = text;
	return (versions);
}

/* The model: one of the phones' models, or typed. */
static char *
ui_target_model(struct ui *ui)
{
	json_t		*models, *ph;
	const char	*m, **items;
	char		*model = NULL;
	size_t		 i, n;
	int		 choice;

	models = json_array();
	json_array_foreach(ui->phones, i, ph) {
		m = json_string_value(json_object_get(ph, "model"));
		if (m != NULL && *m != '\0' && !ui_target_has(models, m))
			json_array_append_new(models, json_string(m));
	}
	n = json_array_size(models);
	items = xcalloc(n + 1, sizeof *items);
	for (i = 0; i < n; i++)
		items[i] = json_string_value(json_array_get(models, i));
	items[n] = "Another model (type its name)";
	choice = ui_choose(ui, "Target version: which model?", items, n + 1,
	    0);
	if (choice >= 0 && (size_t)choice < n)
		model = xstrdup(items[choice]);
	else if (choice >= 0)
		model = ui_input(ui, "Model", "Model name as in 'ztp-rescue "
		    "models' (for example VVX410):", "");
	free(items);
	json_decref(models);
	if (model != NULL && *model == '\0') {
		free(model);
		model = NULL;
	}
	return (model);
}

/* The version for the model: one the library holds for it, or typed. */
static char *
ui_target_version(struct ui *ui, const char *model)
{
	json_t		*lib, *versions;
	const char	**items;
	char		*error = NULL, *parts, *title, *text, *version = NULL;
	size_t		 i, n;
	int		 choice;

	if ((lib = ui_request(ui, "library", NULL, &error)) == NULL) {
		ui_show_error(ui, "Library", error);
		free(error);
		return (NULL);
	}
	versions = ui_target_versions(ui->phones, json_object_get(lib,
	    "packages"), model, &parts);
	json_decref(lib);
	n = json_array_size(versions);
	if (n == 0 && parts != NULL) {
		xasprintf(&text, "The library holds no UC Software with an "
		    "image for the %s (part %s).  Import its package first "
		    "(menu: Import packages from a USB stick), or type the "
		    "version now: the %s phones wait until its package is "
		    "imported.", model, parts, model);
		ui_message_box(ui, "Target version", text);
		free(text);
	}
	items = xcalloc(n + 1, sizeof *items);
	for (i = 0; i < n; i++)
		items[i] = json_string_value(json_array_get(versions, i));
	items[n] = "Another version (type it)";
	if (parts != NULL)
		xasprintf(&title, "Target version for %s (part %s)", model,
		    parts);
	else
		xasprintf(&title, "Target version for %s", model);
	choice = ui_choose(ui, title, items, n + 1, 0);
	if (choice >= 0 && (size_t)choice < n)
		version = xstrdup(items[choice]);
	else if (choice >= 0)
		version = ui_input(ui, "Version", "UC Software version (for "
		    "example 4.1.7.5432):", "");
	free(title);
	free(items);
	free(parts);
	json_decref(versions);
	if (version != NULL && *version == '\0') {
		free(version);
		version = NULL;
	}
	return (version);
}

void
ui_menu_target(struct ui *ui)
{
	json_t	*args, *r;
	char	*error = NULL, *model, *version, a1[96], a2[96];

	/* Esc in the versions goes back to the models (it closed both). */
	for (;;) {
		if ((model = ui_target_model(ui)) == NULL)
			return;
		if ((version = ui_target_version(ui, model)) != NULL)
			break;
		free(model);
	}
	snprintf(a1, sizeof a1, "model=%s", model);
	snprintf(a2, sizeof a2, "version=%s", version);
	ui_cmdline(ui, "ctl", "set-target", a1, a2, NULL);
	args = json_pack("{s:s,s:s}", "model", model, "version", version);
	r = ui_request(ui, "set-target", args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "Target version", error);
		free(error);
	} else if (json_is_string(json_object_get(r, "warning"))) {
		ui_set_message(ui, 1, "%s target set to %s, but %s", model,
		    version, json_string_value(json_object_get(r, "warning")));
		/* Its end says what happens: too long for the message line. */
		ui_message_box(ui, "Target version set, but",
		    json_string_value(json_object_get(r, "warning")));
		json_decref(r);
	} else {
		ui_set_message(ui, 0, "%s phones now get %s", model, version);
		json_decref(r);
	}
	free(model);
	free(version);
}
