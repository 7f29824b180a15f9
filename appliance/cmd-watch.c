/*
 * `ztp-rescue watch`: follow the daemon's event stream, one line per event
 * (phone state changes, transfers, log lines), for a quick look from a second
 * terminal or for a script (--json: the events exactly as the daemon sends
 * them, one JSON object per line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "control.h"
#include "xmalloc.h"

static int	cmd_watch_exec(const struct cmd_entry *, int, char **);
static int	cmd_watch_same(json_t *, json_t *, const char *);

static const struct cmd_option cmd_watch_options[] = {
	{ "state", 's', "DIR", "the daemon's state directory "
	    "(default " CONTROL_DEFAULT_STATE ")" },
	{ "json", 'j', NULL, "print each event as the daemon's JSON line" },
	{ "count", 'c', "N", "exit after N events printed (a phone's line "
	    "only when it changes)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.args = "",
	.summary = "print the daemon's events as they happen, one per line",
	.options = cmd_watch_options,
	.exec = cmd_watch_exec
};

/*
 * Whether a phone event's line is the one last shown for that phone: the
 * daemon sends a phone's event at each change of anything it holds (bytes
 * served, last seen), which reads as the same line five times.  shown maps
 * a MAC to its last line; a forgotten phone leaves it.  (--json keeps
 * every event: a script may want them.)
 */
static int
cmd_watch_same(json_t *shown, json_t *ev, const char *line)
{
	const char	*name, *mac, *last;

	name = json_string_value(json_object_get(ev, "event"));
	if (name != NULL && strcmp(name, "forgotten") == 0 &&
	    (mac = json_string_value(json_object_get(ev, "mac"))) != NULL)
		json_object_del(shown, mac);
	if (name == NULL || strcmp(name, "phone") != 0 ||
	    (mac = json_string_value(json_object_get(json_object_get(ev,
	    "phone"), "mac"))) == NULL)
		return (0);
	last = json_string_value(json_object_get(shown, mac));
	if (last != NULL && strcmp(last, line) == 0)
		return (1);
	json_object_set_new(shown, mac, json_string(line));
	return (0);
}

static int
cmd_watch_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct control_client	*cl;
	const char		*state = CONTROL_DEFAULT_STATE, *arg;
	json_t			*r, *ev, *shown;
	char			*error = NULL, *line, stamp[16];
	unsigned long		 count = 0, seen = 0;
	int			 c, first, json = 0;
	time_t			 now;

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
		case 'c':
			if (cmd_parse_uint(self, "--count", arg, 1, 1000000000,
			    &count) != 0)
				return (EXIT_USAGE);
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));

	if ((cl = control_open(state, 0, &error)) == NULL) {
		fprintf(stderr, "ztp-rescue watch: %s\n", error);
		free(error);
		return (EXIT_RUNTIME);
	}
	if ((r = control_request(cl, "subscribe", NULL, &error)) == NULL) {
		fprintf(stderr, "ztp-rescue watch: %s\n", error);
		free(error);
		control_client_free(cl);
		return (EXIT_RUNTIME);
	}
	json_decref(r);
	shown = json_object();
	for (;;) {
		if ((ev = control_next_event(cl, -1, &error)) == NULL)
			break;
		if (json) {
			line = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII |
			    JSON_PRESERVE_ORDER);
			printf("%s\n", line);
		} else {
			line = control_format_event(ev);
			if (cmd_watch_same(shown, ev, line)) {
				free(line);
				json_decref(ev);
				continue;
			}
			now = time(NULL);
			strftime(stamp, sizeof stamp, "%H:%M:%S",
			    localtime(&now));
			printf("%s %s\n", stamp, line);
		}
		free(line);
		json_decref(ev);
		fflush(stdout);
		if (count != 0 && ++seen == count)
			break;
	}
	json_decref(shown);
	control_client_free(cl);
	if (error != NULL) {
		fprintf(stderr, "ztp-rescue watch: %s\n", error);
		free(error);
		return (EXIT_RUNTIME);
	}
	return (EXIT_OK);
}
