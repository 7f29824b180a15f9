/*
 * `ztp-rescue import --library DIR PATH...`: import UC Software packages
 * from zips, tarballs, folders or a mounted stick.  A progress bar (bytes
 * and rate) on a terminal, nothing but the outcome otherwise.  With
 * --progress-json (how the daemon runs an import beside its event loop):
 * one JSON object per line on stdout, {"what","done","total"} for progress
 * (ten a second, and the last of each source), {"note"} for each sentence,
 * and last {"imported":[...]} or {"error":"...","imported":[...]}.
 */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "control.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "xmalloc.h"

#define IMPORT_BAR_WIDTH	30

struct import_bar {
	int		 shown;
	double		 start;
	double		 last;
	int		 json;		/* --progress-json */
	json_t		*present;	/* ids already in the library */
};

static int	cmd_import_exec(const struct cmd_entry *, int, char **);
static void	cmd_import_progress(void *, const char *, uint64_t, uint64_t);
static void	cmd_import_note(void *, const char *);
static void	cmd_import_present(void *, const char *);
static void	cmd_import_clear(struct import_bar *);
static void	cmd_import_json(json_t *);
static void	cmd_import_json_progress(void *, const char *, uint64_t,
		    uint64_t);
static double	cmd_import_now(void);
static void	cmd_import_tell(const char *, const char *);

static const struct cmd_option cmd_import_options[] = {
	{ "library", 'l', "DIR", "the firmware library (default "
	    LIBRARY_DEFAULT_DIR ")" },
	{ "state", 's', "DIR", "the state directory of the daemon serving this "
	    "library, told to serve what was imported at once (default: the "
	    "folder above --library)" },
	{ "progress-json", 'j', NULL, "progress and outcome as JSON lines on "
	    "stdout (for the daemon)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.args = "PATH...",
	.summary = "import UC Software packages (zip, tar.*, folder or a "
	    "mounted USB stick) into the firmware library",
	.options = cmd_import_options,
	.exec = cmd_import_exec
};

static double
cmd_import_now(void)
{
	return ((double)clock_mono_us() / 1e6);
}

static void
cmd_import_progress(void *arg, const char *what, uint64_t done,
    uint64_t total)
{
	struct import_bar	*bar = arg;
	const char		*base;
	double			 now = cmd_import_now(), rate, frac;
	int			 fill, i;

	if (bar->start == 0)
		bar->start = now;
	/* Ten redraws a second, and always the last one. */
	if (now - bar->last < 0.1 && done != total)
		return;
	bar->last = now;
	base = strrchr(what, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : what;
	frac = total > 0 ? (double)done / (double)total : 0;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * IMPORT_BAR_WIDTH);
	rate = now > bar->start ? (double)done / (now - bar->start) : 0;
	fprintf(stderr, "\r%-24.24s [", base);
	for (i = 0; i < IMPORT_BAR_WIDTH; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %7.1f/%.1f MB %6.1f MB/s", (double)done / 1048576,
	    (double)total / 1048576, rate / 1048576);
	bar->shown = 1;
}

/* One JSON line on stdout, flushed at once: the daemon reads it as it comes. */
static void
cmd_import_json(json_t *obj)
{
	char	*line;

	line = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (line == NULL)
		return;
	printf("%s\n", line);
	fflush(stdout);
	free(line);
}

static void
cmd_import_json_progress(void *arg, const char *what, uint64_t done,
    uint64_t total)
{
	struct import_bar	*bar = arg;
	double			 now = cmd_import_now();

	if (now - bar->last < 0.1 && done != total)
		return;
	bar->last = now;
	cmd_import_json(json_pack("{s:s, s:I, s:I}", "what", what,
	    "done", (json_int_t)done, "total", (json_int_t)total));
}

static void
cmd_import_clear(struct import_bar *bar)
{
	if (bar->shown) {
		fputs("\r\033[K", stderr);
		bar->shown = 0;
	}
}

/* Said in the last line: "Imported 0 packages" told nothing of them. */
static void
cmd_import_present(void *arg, const char *id)
{
	struct import_bar	*bar = arg;

	json_array_append_new(bar->present, json_string(id));
}

static void
cmd_import_note(void *arg, const char *text)
{
	struct import_bar	*bar = arg;
	char			*esc;

	if (bar->json) {
		cmd_import_json(json_pack("{s:s}", "note", text));
		return;
	}
	cmd_import_clear(arg);
	esc = log_escape(text, strlen(text));
	printf("%s\n", esc);
	fflush(stdout);
	free(esc);
}

/*
 * A daemon running on this library (its control socket in state) would
 * serve only what it read at its start: it is asked to read the library
 * again, and the phones held for a package it now holds are released.
 * No daemon there, or one serving another library: nothing to tell.
 */
static void
cmd_import_tell(const char *dir, const char *state)
{
	struct control_client	*cl;
	json_t			*r, *args;
	const char		*theirs;
	char			*cause = NULL, *copy = NULL, a[PATH_MAX];
	char			 b[PATH_MAX];

	if (state == NULL) {
		copy = xstrdup(dir);
		state = dirname(copy);
	}
	if ((cl = control_open(state, 0, &cause)) == NULL) {
		free(cause);
		free(copy);
		return;
	}
	r = control_request(cl, "library", NULL, &cause);
	theirs = json_string_value(json_object_get(r, "library"));
	if (theirs == NULL || realpath(theirs, a) == NULL ||
	    realpath(dir, b) == NULL || strcmp(a, b) != 0) {
		json_decref(r);
		free(cause);
		control_client_free(cl);
		free(copy);
		return;
	}
	json_decref(r);
	args = json_pack("{s:b}", "reload", 1);
	if ((r = control_request(cl, "library", args, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue import: the daemon at %s did not "
		    "read the library again (%s): send it SIGHUP, or restart "
		    "it, for it to serve what was imported\n", state, cause);
		free(cause);
	} else
		printf("the daemon at %s serves it now\n", state);
	json_decref(args);
	json_decref(r);
	control_client_free(cl);
	free(copy);
}

static int
cmd_import_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct library_progress	 progress;
	struct import_bar	 bar;
	struct library		*lib;
	struct model_table	*models;
	const char		*arg, *dir = LIBRARY_DEFAULT_DIR, *state = NULL;
	char			*cause = NULL, **ids, *joined;
	json_t			*imported, *errors = NULL;
	size_t			 j;
	int			 c, first, i, rc = EXIT_OK, json = 0;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		if (c == -1)
			return (EXIT_USAGE);
		if (c == 'l')
			dir = arg;
		if (c == 'j')
			json = 1;
		if (c == 's')
			state = arg;
	}
	if (first >= argc)
		return (cmd_usage_error(self, "no PATH to import"));
	if ((models = model_table_load_default(&cause)) == NULL) {
		fprintf(stderr, "ztp-rescue import: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if ((lib = library_open(dir, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue import: %s\n", cause);
		free(cause);
		model_table_free(models);
		return (EXIT_RUNTIME);
	}
	memset(&bar, 0, sizeof bar);
	memset(&progress, 0, sizeof progress);
	bar.json = json;
	if (json)
		progress.fn = cmd_import_json_progress;
	else
		progress.fn = isatty(STDERR_FILENO) ? cmd_import_progress : NULL;
	progress.note = cmd_import_note;
	progress.present = cmd_import_present;
	progress.arg = &bar;
	bar.present = json_array();
	imported = json_array();
	for (i = first; i < argc; i++) {
		bar.start = bar.last = 0;
		if (library_import(lib, models, argv[i], &progress, &ids,
		    &cause) == -1) {
			cmd_import_clear(&bar);
			fflush(stdout);
			fprintf(stderr, "ztp-rescue import: %s\n", cause);
			/* Every path's refusal, one per line, not the first. */
			if (errors == NULL)
				errors = json_string(cause);
			else {
				xasprintf(&joined, "%s\n%s",
				    json_string_value(errors), cause);
				json_string_set(errors, joined);
				free(joined);
			}
			free(cause);
			cause = NULL;
			rc = EXIT_RUNTIME;
		}
		for (j = 0; ids != NULL && ids[j] != NULL; j++) {
			json_array_append_new(imported, json_string(ids[j]));
			free(ids[j]);
		}
		free(ids);
	}
	if (json && errors != NULL)
		cmd_import_json(json_pack("{s:o, s:o, s:O}", "error", errors,
		    "imported", imported, "present", bar.present));
	else if (json)
		cmd_import_json(json_pack("{s:o, s:O}", "imported", imported,
		    "present", bar.present));
	else {
		/* The daemon's own import child (--progress-json) is not. */
		if (json_array_size(imported) > 0)
			cmd_import_tell(dir, state);
		json_decref(imported);
		json_decref(errors);
	}
	json_decref(bar.present);
	library_free(lib);
	model_table_free(models);
	return (rc);
}
