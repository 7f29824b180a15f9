/*
 * `ztp-rescue library [--library DIR] [--json]` lists the packages of the
 * firmware library: build, release, the models each serves, every file with
 * its size and SHA-256.  `ztp-rescue library verify` re-hashes everything
 * and marks damaged packages so they are never served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "xmalloc.h"

static int	cmd_library_exec(const struct cmd_entry *, int, char **);
static void	cmd_library_text(const struct library *,
		    const struct model_table *);
static json_t	*cmd_library_json(const struct library *,
		    const struct model_table *);
static int	cmd_library_verify(struct library *, int);
static void	cmd_library_progress(void *, const char *, uint64_t,
		    uint64_t);
static void	cmd_library_print(const char *, const char *);

static const struct cmd_option cmd_library_options[] = {
	{ "library", 'l', "DIR", "the firmware library (default "
	    LIBRARY_DEFAULT_DIR ")" },
	{ "json", 'j', NULL, "one JSON document instead of text" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_library_entry = {
	.name = "library",
	.args = "[verify]",
	.summary = "list the firmware library (packages, versions, models, "
	    "sizes, hashes), or re-hash every file with 'verify'",
	.options = cmd_library_options,
	.exec = cmd_library_exec
};

/* Everything shown came from files on a stick: escape it. */
static void
cmd_library_print(const char *fmt, const char *s)
{
	char	*esc = log_escape(s, strlen(s));

	printf(fmt, esc);
	free(esc);
}

static void
cmd_library_text(const struct library *lib, const struct model_table *models)
{
	const struct library_package	*p;
	const struct model		*m;
	char				 release[UCS_VERSION_TEXT_MAX];
	char				 when[32];
	uint64_t			 total;
	size_t				 i, j;
	time_t				 t;

	if (lib->npackages == 0) {
		printf("the library %s is empty: add packages with "
		    "'ztp-rescue import --library %s PATH'\n", lib->dir,
		    lib->dir);
		return;
	}
	for (i = 0; i < lib->npackages; i++) {
		p = &lib->packages[i];
		total = 0;
		for (j = 0; j < p->nfiles; j++)
			total += p->files[j].size;
		t = (time_t)p->imported;
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S",
		    localtime(&t));
		cmd_library_print("%s", p->id);
		printf("  %s %s  %zu file%s  %.1f MB  imported %s\n",
		    p->kind == LIBRARY_BOOTROM ? "BootROM" : "release",
		    library_release_text(p, release, sizeof release),
		    p->nfiles, p->nfiles == 1 ? "" : "s",
		    (double)total / 1048576, when);
		if (p->source != NULL && *p->source != '\0')
			cmd_library_print("  from %s\n", p->source);
		if (p->damage != NULL)
			cmd_library_print("  DAMAGED, not served: %s\n",
			    p->damage);
		for (j = 0; j < p->nparts; j++) {
			m = models != NULL ? model_by_part(models,
			    p->parts[j]) : NULL;
			cmd_library_print("  serves %s", p->parts[j]);
			if (p->kind == LIBRARY_BOOTROM)
				printf("  %s (its BootROM)\n", m != NULL &&
				    m->token != NULL ? m->token : "");
			else if (m == NULL)
				printf("  (not in the models table)\n");
			else
				printf("  %s%s\n", m->token != NULL ? m->token :
				    m->name, ucs_version_cmp(&m->target,
				    &p->version) == 0 ? "" :
				    "  (not its target release)");
		}
		if (p->has_combined)
			printf("  combined %s\n", p->kind == LIBRARY_BOOTROM ?
			    "bootrom.ld (every part it supports)" : "sip.ld");
		for (j = 0; j < p->nfiles; j++) {
			printf("  %12llu  %s  ",
			    (unsigned long long)p->files[j].size,
			    p->files[j].sha256);
			cmd_library_print("%s\n", p->files[j].name);
		}
	}
}

static json_t *
cmd_library_json(const struct library *lib, const struct model_table *models)
{
	const struct library_package	*p;
	const struct model		*m;
	json_t				*root, *list, *pkg, *files, *parts;
	char				 text[UCS_VERSION_TEXT_MAX];
	size_t				 i, j;

	root = json_object();
	json_object_set_new(root, "library", json_string(lib->dir));
	list = json_array();
	for (i = 0; i < lib->npackages; i++) {
		p = &lib->packages[i];
		pkg = json_object();
		json_object_set_new(pkg, "id", json_string(p->id));
		json_object_set_new(pkg, "kind", json_string(
		    library_kind_name(p->kind)));
		json_object_set_new(pkg, "sip_ver", p->sip_ver != NULL ?
		    json_string(p->sip_ver) : json_null());
		json_object_set_new(pkg, "release", json_string(
		    library_release_text(p, text, sizeof text)));
		json_object_set_new(pkg, "dir", json_string(p->dir));
		json_object_set_new(pkg, "source", p->source != NULL ?
		    json_string(p->source) : json_null());
		json_object_set_new(pkg, "imported", json_integer(p->imported));
		json_object_set_new(pkg, "has_combined",
		    json_boolean(p->has_combined));
		json_object_set_new(pkg, "damage", p->damage != NULL ?
		    json_string(p->damage) : json_null());
		parts = json_array();
		for (j = 0; j < p->nparts; j++) {
			m = models != NULL ? model_by_part(models,
			    p->parts[j]) : NULL;
			json_array_append_new(parts, json_pack("{s:s,s:o,s:o}",
			    "part", p->parts[j],
			    "model", m != NULL && m->token != NULL ?
			    json_string(m->token) : json_null(),
			    "target", m != NULL ? json_string(
			    ucs_version_format_release(&m->target, text,
			    sizeof text)) : json_null()));
		}
		json_object_set_new(pkg, "models", parts);
		files = json_array();
		for (j = 0; j < p->nfiles; j++) {
			json_array_append_new(files, json_pack(
			    "{s:s,s:I,s:s,s:I}", "name", p->files[j].name,
			    "size", (json_int_t)p->files[j].size,
			    "sha256", p->files[j].sha256,
			    "mtime", (json_int_t)p->files[j].mtime));
		}
		json_object_set_new(pkg, "files", files);
		json_array_append_new(list, pkg);
	}
	json_object_set_new(root, "packages", list);
	return (root);
}

static void
cmd_library_progress(void *arg, const char *what, uint64_t done,
    uint64_t total)
{
	double	*last = arg;
	time_t	 now = time(NULL);

	if ((double)now == *last && done != total)
		return;
	*last = (double)now;
	fprintf(stderr, "\rverifying %5.1f%% (%.0f of %.0f MB)\033[K",
	    total > 0 ? 100.0 * (double)done / (double)total : 100.0,
	    (double)done / 1048576, (double)total / 1048576);
}

static int
cmd_library_verify(struct library *lib, int json)
{
	struct library_progress	 progress;
	json_t			*root, *list;
	double			 last = 0;
	size_t			 i;
	int			 damaged;

	memset(&progress, 0, sizeof progress);
	if (!json && isatty(STDERR_FILENO))
		progress.fn = cmd_library_progress;
	progress.arg = &last;
	damaged = library_verify(lib, &progress);
	if (progress.fn != NULL)
		fputs("\r\033[K", stderr);
	if (json) {
		root = json_object();
		list = json_array();
		for (i = 0; i < lib->npackages; i++) {
			json_array_append_new(list, json_pack("{s:s,s:o}",
			    "id", lib->packages[i].id, "damage",
			    lib->packages[i].damage != NULL ?
			    json_string(lib->packages[i].damage) :
			    json_null()));
		}
		json_object_set_new(root, "packages", list);
		json_object_set_new(root, "damaged", json_integer(damaged));
		json_dumpf(root, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(root);
	} else {
		for (i = 0; i < lib->npackages; i++) {
			cmd_library_print("%s: ", lib->packages[i].id);
			if (lib->packages[i].damage == NULL)
				printf("ok (%zu files)\n",
				    lib->packages[i].nfiles);
			else
				cmd_library_print("DAMAGED, not served: %s\n",
				    lib->packages[i].damage);
		}
		printf("%zu package%s, %d damaged\n", lib->npackages,
		    lib->npackages == 1 ? "" : "s", damaged);
	}
	return (damaged > 0 ? EXIT_RUNTIME : EXIT_OK);
}

static int
cmd_library_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct library		*lib;
	struct model_table	*models;
	json_t			*root;
	const char		*arg, *dir = LIBRARY_DEFAULT_DIR;
	char			*cause = NULL;
	int			 c, first, json = 0, verify = 0, rc = EXIT_OK;

	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		if (c == -1)
			return (EXIT_USAGE);
		if (c == 'l')
			dir = arg;
		else if (c == 'j')
			json = 1;
	}
	if (first < argc && strcmp(argv[first], "verify") == 0) {
		/* Options may follow the verb too: parse them from there. */
		verify = 1;
		argc -= first;
		argv += first;
		while ((c = cmd_next_option(self, argc, argv, &arg,
		    &first)) != 0) {
			if (c == -1)
				return (EXIT_USAGE);
			if (c == 'l')
				dir = arg;
			else if (c == 'j')
				json = 1;
		}
	}
	if (first < argc)
		return (cmd_usage_error(self, verify ? "too many arguments" :
		    "unknown verb '%s' (only 'verify')", argv[first]));
	/* Opening makes the folders; a mistyped --library must not. */
	if (library_present(dir, &cause) != 0) {
		fprintf(stderr, "ztp-rescue library: %s: check --library, or "
		    "import packages into it with 'ztp-rescue import "
		    "--library %s PATH'\n", cause, dir);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if ((lib = library_open(dir, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue library: %s\n", cause);
		free(cause);
		return (EXIT_RUNTIME);
	}
	if (verify)
		rc = cmd_library_verify(lib, json);
	else {
		models = model_table_load_default(&cause);
		if (models == NULL) {
			fprintf(stderr, "ztp-rescue library: %s\n", cause);
			free(cause);
			cause = NULL;
		}
		if (json) {
			root = cmd_library_json(lib, models);
			json_dumpf(root, stdout, JSON_INDENT(1) |
			    JSON_SORT_KEYS | JSON_ENSURE_ASCII);
			putchar('\n');
			json_decref(root);
		} else
			cmd_library_text(lib, models);
		if (models != NULL)
			model_table_free(models);
	}
	library_free(lib);
	return (rc);
}
