/*
 * `ztp-rescue ctl`: one control request from the command line, the same one
 * a console action sends (the console shows this command after each action).
 * Arguments are KEY=VALUE (a string), KEY:=JSON (a number, true, false, an
 * array...) or KEY[]=VALUE (appended to an array); see
 * docs/control-protocol.md for the commands.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "control.h"
#include "xmalloc.h"

static int	cmd_ctl_exec(const struct cmd_entry *, int, char **);
static int	cmd_ctl_arg(const struct cmd_entry *, json_t *, const char *);

static const struct cmd_option cmd_ctl_options[] = {
	{ "state", 's', "DIR", "the daemon's state directory "
	    "(default " CONTROL_DEFAULT_STATE ")" },
	{ "json", 'j', NULL, "print the answer as one JSON line" },
	{ "start", 'S', NULL, "start the daemon when none is running" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_ctl_entry = {
	.name = "ctl",
	.args = "COMMAND [KEY=VALUE | KEY:=JSON | KEY[]=VALUE]...",
	.summary = "send one control request to the daemon (hold, release, "
	    "retry, forget, set-target, set-ca, dhcp, report, ...)",
	.options = cmd_ctl_options,
	.exec = cmd_ctl_exec
};

static int
cmd_ctl_arg(const struct cmd_entry *self, json_t *args, const char *word)
{
	json_t		*v, *list;
	json_error_t	 jerr;
	const char	*eq;
	char		*key;
	size_t		 klen;

	if ((eq = strchr(word, '=')) == NULL || eq == word)
		return (cmd_usage_error(self, "'%s' is not KEY=VALUE", word));
	klen = eq - word;
	if (eq[-1] == ':' && klen > 1) {
		key = xstrndup(word, klen - 1);
		if ((v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr)) == NULL) {
			cmd_usage_error(self, "%s: '%s' is not JSON: %s", key,
			    eq + 1, jerr.text);
			free(key);
			return (EXIT_USAGE);
		}
		json_object_set_new(args, key, v);
	} else if (klen > 2 && eq[-1] == ']' && eq[-2] == '[') {
		key = xstrndup(word, klen - 2);
		list = json_object_get(args, key);
		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(args, key, list);
		}
		json_array_append_new(list, json_string(eq + 1));
	} else {
		key = xstrndup(word, klen);
		json_object_set_new(args, key, json_string(eq + 1));
	}
	free(key);
	return (0);
}

/* A path as the caller meant it: from its folder, not the daemon's. */
static json_t *
cmd_ctl_absolute(json_t *v)
{
	char	cwd[PATH_MAX], *full;
	json_t	*abs;

	/* "-x" is left for the daemon to refuse: an option typed by mistake. */
	if (!json_is_string(v) || json_string_value(v)[0] == '/' ||
	    json_string_value(v)[0] == '\0' || json_string_value(v)[0] == '-' ||
	    getcwd(cwd, sizeof cwd) == NULL)
		return (json_incref(v));
	xasprintf(&full, "%s/%s", cwd, json_string_value(v));
	abs = json_string(full);
	free(full);
	return (abs);
}

/*
 * The daemon runs in another working directory: the paths of set-ca,
 * report and import are made absolute here, as batch does for --report.
 */
static void
cmd_ctl_paths(const char *cmd, json_t *args)
{
	static const char *const paths[][2] = {
		{ "set-ca", "pem" }, { "report", "out" }, { "import", "paths" }
	};
	json_t	*v, *e;
	size_t	 i, k;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (strcmp(cmd, paths[i][0]) != 0 ||
		    (v = json_object_get(args, paths[i][1])) == NULL)
			continue;
		if (json_is_array(v)) {
			json_array_foreach(v, k, e)
				json_array_set_new(v, k, cmd_ctl_absolute(e));
		} else
			json_object_set_new(args, paths[i][1],
			    cmd_ctl_absolute(v));
	}
}

static int
cmd_ctl_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct control_client	*cl;
	const char		*state = CONTROL_DEFAULT_STATE, *arg;
	json_t			*args, *r;
	char			*error = NULL, *s;
	int			 c, first, i, json = 0, start = 0;

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
		case 'S':
			start = 1;
			break;
		}
	}
	if (first == argc)
		return (cmd_usage_error(self, "which command? (see "
		    "docs/control-protocol.md)"));
	if (strcmp(argv[first], "subscribe") == 0)
		return (cmd_usage_error(self, "use 'ztp-rescue watch' to "
		    "follow events"));
	args = json_object();
	for (i = first + 1; i < argc; i++) {
		if (cmd_ctl_arg(self, args, argv[i]) != 0) {
			json_decref(args);
			return (EXIT_USAGE);
		}
	}
	cmd_ctl_paths(argv[first], args);
	if ((cl = control_open(state, start, &error)) == NULL) {
		fprintf(stderr, "ztp-rescue ctl: %s\n", error);
		free(error);
		json_decref(args);
		return (EXIT_RUNTIME);
	}
	r = control_request(cl, argv[first], args, &error);
	json_decref(args);
	control_client_free(cl);
	if (r == NULL) {
		fprintf(stderr, "ztp-rescue ctl: %s: %s\n", argv[first], error);
		free(error);
		return (EXIT_RUNTIME);
	}
	s = json_dumps(r, (json ? JSON_COMPACT : JSON_INDENT(2)) |
	    JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
	/* Done, but not all as asked: said where a person reads. */
	if (!json && json_is_string(json_object_get(r, "warning")))
		fprintf(stderr, "ztp-rescue ctl: %s: warning: %s\n",
		    argv[first], json_string_value(json_object_get(r,
		    "warning")));
	json_decref(r);
	return (EXIT_OK);
}
