/*
 * One phone: its facts, its timeline (every state change with evidence), its
 * transfers and its syslog, as the daemon's "phone" answer gives them; and
 * the actions on a phone (hold, release, retry, forget), shared with the
 * dashboard.  Entries are printed field by field in the daemon's order, so a
 * field the daemon adds later shows up without a console change.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "control.h"
#include "log.h"
#include "xmalloc.h"
#include "ui.h"

struct ui_page {
	const char	*mac;
	json_t		*doc;
	char		**lines;
	size_t		 n;
	size_t		 top;
	char		*error;
};

static void	ui_page_fetch(struct ui *, struct ui_page *);
static void	ui_page_build(struct ui_page *);
static void	ui_page_add(struct ui_page *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	ui_page_section(struct ui_page *, const char *, json_t *);
static void	ui_page_draw(struct ui *, void *);
static void	ui_page_free_lines(struct ui_page *);
static void	ui_entry_append(char **, const char *);

/*
 * The question before forgetting a phone.  Mid-upgrade it is not stopped:
 * the image goes on, the phone flashes it, and comes back as a new phone
 * already on the new version, so its upgrade is in no report.
 */
char *
ui_forget_question(const char *mac, const char *state)
{
	char	*q;

	if (state != NULL && (strcmp(state, "upgrading") == 0 ||
	    strcmp(state, "rebooting") == 0)) {
		xasprintf(&q, "Phone %s is being upgraded (%s).  Forgotten, "
		    "it still takes its image and flashes it, but its upgrade "
		    "leaves the report: it comes back as a new phone already "
		    "on the new version.  Forget it all the same?", mac,
		    state);
		return (q);
	}
	xasprintf(&q, "Forget phone %s?  Its history and evidence leave the "
	    "appliance (and the next report); if it asks again it starts over "
	    "as a new phone.", mac);
	return (q);
}

int
ui_phone_action(struct ui *ui, const char *action, const char *phone_mac)
{
	json_t		*args, *r, *ph;
	const char	*state;
	char		*error = NULL, *q, arg[64], mac[CONTROL_MAC_LEN + 1];

	if (phone_mac == NULL) {
		ui_set_message(ui, 1, "no phone selected");
		return (-1);
	}
	/* The phone's object may be replaced by the answer: copy its MAC. */
	snprintf(mac, sizeof mac, "%s", phone_mac);
	if (strcmp(action, "forget") == 0) {
		ph = ui_fleet_find(ui, mac);
		q = ui_forget_question(mac, ph == NULL ? NULL :
		    json_string_value(json_object_get(ph, "state")));
		if (!ui_confirm(ui, "Forget a phone", q)) {
			free(q);
			ui_set_message(ui, 0, "%s: not forgotten", mac);
			return (-1);
		}
		free(q);
	} else if (strcmp(action, "retry") == 0) {
		/* Asked first, then refused: say it at once instead. */
		ph = ui_fleet_find(ui, mac);
		state = ph != NULL ? json_string_value(json_object_get(ph,
		    "state")) : NULL;
		if (state != NULL && strcmp(state, "failed") != 0 &&
		    strcmp(state, "held") != 0) {
			ui_set_message(ui, 1, "%s is %s: only a failed or held "
			    "phone can be retried", mac, state);
			return (-1);
		}
		xasprintf(&q, "Retry phone %s from the start?  Its %s is "
		    "cleared and it is served again the next time it asks.",
		    mac, state != NULL && strcmp(state, "held") == 0 ? "hold" :
		    "failure");
		if (!ui_confirm(ui, "Retry a phone", q)) {
			free(q);
			ui_set_message(ui, 0, "%s: not retried", mac);
			return (-1);
		}
		free(q);
	}
	snprintf(arg, sizeof arg, "mac=%s", mac);
	args = json_pack("{s:s}", "mac", mac);
	if (strcmp(action, "hold") == 0) {
		json_object_set_new(args, "reason",
		    json_string("held from the console"));
		ui_cmdline(ui, "ctl", action, arg,
		    "reason=held from the console", NULL);
	} else
		ui_cmdline(ui, "ctl", action, arg, NULL);
	r = ui_request(ui, action, args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_set_message(ui, 1, "%s %s: %s", action, mac, error);
		free(error);
		return (-1);
	}
	if (strcmp(action, "forget") == 0)
		ui_fleet_remove(ui, mac);
	else if (json_object_get(r, "mac") != NULL)
		ui_fleet_update_phone(ui, r);
	ui_set_message(ui, 0, "%s %s: done", action, mac);
	json_decref(r);
	return (0);
}

static void
ui_page_add(struct ui_page *pg, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	pg->lines = xreallocarray(pg->lines, pg->n + 1, sizeof *pg->lines);
	pg->lines[pg->n++] = s;
}

/* Append " piece" to *out. */
static void
ui_entry_append(char **out, const char *piece)
{
	char	*next;

	xasprintf(&next, "%s%s%s", *out, **out != '\0' ? "  " : "", piece);
	free(*out);
	*out = next;
}

/*
 * One timeline, transfer or syslog entry, compact: its time, then its
 * fields (a state change as "from -> to", a fact as "fact=value", sizes as
 * "done/total", evidence in brackets), then whatever else it carries.
 */
char *
ui_entry_text(json_t *e)
{
	static const char *const skip[] = { "id", "mac", "ts", "started",
	    "ended", "time", "at", "kind", "from", "fact", "bytes", NULL };
	const char	*key;
	json_t		*v, *t;
	char		*out = xstrdup(""), *a, *b, *c, piece[96], x[32];
	char		 y[32];
	time_t		 when;
	size_t		 i;

	if (!json_is_object(e)) {
		a = json_is_string(e) ? xstrdup(json_string_value(e)) :
		    json_dumps(e, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		b = log_escape(a, strlen(a));
		free(a);
		free(out);
		return (b);
	}
	t = json_object_get(e, "ts");
	if (t == NULL)
		t = json_object_get(e, "started");
	if (json_is_integer(t)) {
		when = (time_t)json_integer_value(t);
		if (when > 100000000000LL)	/* milliseconds */
			when /= 1000;
		strftime(piece, sizeof piece, "%H:%M:%S", localtime(&when));
		ui_entry_append(&out, piece);
	} else if ((t = json_object_get(e, "time")) != NULL ||
	    (t = json_object_get(e, "at")) != NULL) {
		a = control_text(e, json_object_get(e, "time") != NULL ?
		    "time" : "at");
		ui_entry_append(&out, a);
		free(a);
	}
	json_object_foreach(e, key, v) {
		for (i = 0; skip[i] != NULL; i++) {
			if (strcmp(key, skip[i]) == 0)
				break;
		}
		if (skip[i] != NULL || json_is_null(v))
			continue;
		a = control_text(e, key);
		if (strcmp(key, "to") == 0) {
			b = control_text(e, "from");
			if (strcmp(b, "-") != 0) {
				snprintf(piece, sizeof piece, "%s -> %s", b, a);
				ui_entry_append(&out, piece);
			} else
				ui_entry_append(&out, a);
			free(b);
		} else if (strcmp(key, "value") == 0) {
			/* A state change's reason has no fact: "-=" was put. */
			b = control_text(e, "fact");
			if (strcmp(b, "-") != 0) {
				xasprintf(&c, "%s=%s", b, a);
				ui_entry_append(&out, c);
				free(c);
			} else
				ui_entry_append(&out, a);
			free(b);
		} else if (strcmp(key, "total") == 0) {
			control_fmt_bytes(json_number_value(json_object_get(e,
			    "bytes")), x, sizeof x);
			control_fmt_bytes(json_number_value(v), y, sizeof y);
			snprintf(piece, sizeof piece, "%s/%s", x, y);
			ui_entry_append(&out, piece);
		} else if (strcmp(key, "evidence") == 0) {
			xasprintf(&b, "[%s]", a);
			ui_entry_append(&out, b);
			free(b);
		} else if (strcmp(key, "write") == 0) {
			if (json_is_true(v) || json_integer_value(v) != 0)
				ui_entry_append(&out, "upload");
		} else if (strcmp(key, "reason") == 0 ||
		    strcmp(key, "rate") == 0) {
			xasprintf(&b, "%s=%s", key, a);
			ui_entry_append(&out, b);
			free(b);
		} else
			ui_entry_append(&out, a);
		free(a);
	}
	return (out);
}

static void
ui_page_section(struct ui_page *pg, const char *title, json_t *list)
{
	json_t	*e;
	size_t	 i;
	char	*t;

	ui_page_add(pg, "%s", "");
	ui_page_add(pg, "\001%s (%zu)", title, json_array_size(list));
	if (json_array_size(list) == 0)
		ui_page_add(pg, "  (none yet)");
	json_array_foreach(list, i, e) {
		t = ui_entry_text(e);
		ui_page_add(pg, "  %s", t);
		free(t);
	}
}

static void
ui_page_free_lines(struct ui_page *pg)
{
	size_t	i;

	for (i = 0; i < pg->n; i++)
		free(pg->lines[i]);
	free(pg->lines);
	pg->lines = NULL;
	pg->n = 0;
}

/*
 * The upgrade plan (docs/engine.md, "Upgrade plans"): each step, the one
 * served now marked, with the confidence of the rule that asks for it.
 */
static void
ui_page_plan(struct ui_page *pg, json_t *plan)
{
	json_t		*st;
	const char	*kind, *status, *conf;
	char		*version;
	size_t		 i;

	if (!json_is_array(plan) || json_array_size(plan) == 0)
		return;
	ui_page_add(pg, "%s", "");
	ui_page_add(pg, "%s", json_array_size(plan) == 1 ? "PLAN (one step)" :
	    "PLAN (one step at a time, each proved before the next)");
	json_array_foreach(plan, i, st) {
		kind = json_string_value(json_object_get(st, "kind"));
		status = json_string_value(json_object_get(st, "status"));
		conf = json_string_value(json_object_get(st, "confidence"));
		version = control_text(st, "version");
		ui_page_add(pg, "%s %zu. %-11s %s%-12s %-8s%s%s%s",
		    status != NULL && strcmp(status, "current") == 0 ? ">" :
		    " ", i + 1, kind != NULL && strcmp(kind, "bootrom") == 0 ?
		    "BootROM" : "UC Software", version, kind != NULL &&
		    strcmp(kind, "target") != 0 ? "+" : " ",
		    status != NULL ? status : "?", conf != NULL ? "[" : "",
		    conf != NULL ? conf : "", conf != NULL ? "]" : "");
		free(version);
	}
}

/*
 * Where the phone was sent and the CA it was given, which a later change
 * of the settings does not rewrite: a phone sent somewhere else before is
 * told apart here.  The CA by the start of its SHA-256 (all of it in
 * 'ztp-rescue ctl phone').
 */
static void
ui_page_given(struct ui_page *pg)
{
	const char	*to, *ca;

	to = json_string_value(json_object_get(pg->doc, "repoint"));
	ca = json_string_value(json_object_get(pg->doc, "ca_sha256"));
	if (to == NULL || *to == '\0') {
		ui_page_add(pg, "%-15s -", "Re-pointed to");
		return;
	}
	if (ca != NULL && *ca != '\0')
		ui_page_add(pg, "%-15s %s (CA SHA-256 %.16s...)",
		    "Re-pointed to", to, ca);
	else
		ui_page_add(pg, "%-15s %s", "Re-pointed to", to);
}

static void
ui_page_build(struct ui_page *pg)
{
	static const char *const facts[][2] = {
		{ "MAC", "mac" }, { "IP", "ip" }, { "Model", "model" },
		{ "Version before", "version_before" },
		{ "Version now", "version" }, { "Target", "target" },
		{ "BootROM", "bootrom" },
		{ "State", "state" }, { "Reason", "reason" },
		{ "First seen", "first_seen" }, { "Last seen", "last_seen" },
		{ "Bytes served", "bytes_served" }
	};
	json_t	*pr, *sc;
	size_t	 i, k, n;
	char	*t, b[32], tot[32], **lines;

	ui_page_free_lines(pg);
	if (pg->doc == NULL) {
		ui_page_add(pg, "%s", pg->error != NULL ? pg->error :
		    "no answer from the daemon");
		return;
	}
	/* A long value (a reason) goes on under itself, not off the edge. */
	for (i = 0; i < sizeof facts / sizeof facts[0]; i++) {
		t = control_text(pg->doc, facts[i][1]);
		n = ui_wrap(t, COLS - 17 > 20 ? COLS - 17 : 20, &lines);
		for (k = 0; k < n; k++) {
			ui_page_add(pg, "%-15s %s", k == 0 ? facts[i][0] : "",
			    lines[k]);
			free(lines[k]);
		}
		if (n == 0)
			ui_page_add(pg, "%-15s", facts[i][0]);
		free(lines);
		free(t);
	}
	ui_page_given(pg);
	pr = json_object_get(pg->doc, "progress");
	if (json_number_value(json_object_get(pr, "total")) > 0) {
		t = control_text(pr, "file");
		control_fmt_bytes(json_number_value(json_object_get(pr,
		    "bytes")), b, sizeof b);
		control_fmt_bytes(json_number_value(json_object_get(pr,
		    "total")), tot, sizeof tot);
		ui_page_add(pg, "%-15s %s %s of %s", "Transfer", t, b, tot);
		free(t);
	}
	ui_page_plan(pg, json_object_get(pg->doc, "plan"));
	ui_page_section(pg, "TIMELINE", json_object_get(pg->doc, "events"));
	ui_page_section(pg, "TRANSFERS", json_object_get(pg->doc,
	    "transfers"));
	ui_page_section(pg, "SYSLOG", json_object_get(pg->doc, "syslog"));
	sc = json_object_get(pg->doc, "syslog_counts");
	if (json_integer_value(json_object_get(sc, "trimmed")) > 0)
		ui_page_add(pg, "  %lld lines kept; %lld older ones dropped "
		    "(the journal keeps so many per phone)", (long long)
		    json_integer_value(json_object_get(sc, "lines")),
		    (long long)json_integer_value(json_object_get(sc,
		    "trimmed")));
}

static void
ui_page_fetch(struct ui *ui, struct ui_page *pg)
{
	json_t	*args;

	json_decref(pg->doc);
	free(pg->error);
	pg->error = NULL;
	args = json_pack("{s:s}", "mac", pg->mac);
	pg->doc = ui_request(ui, "phone", args, &pg->error);
	json_decref(args);
	ui_page_build(pg);
}

static void
ui_page_draw(struct ui *ui, void *arg)
{
	struct ui_page	*pg = arg;
	json_t		*ph = ui_fleet_find(ui, pg->mac);
	const char	*state;
	char		*title, *model;
	size_t		 i;
	int		 rows = LINES - 5, y;

	if (rows < 1)
		rows = 1;
	if (pg->top + rows > pg->n)
		pg->top = pg->n > (size_t)rows ? pg->n - rows : 0;
	model = control_text(ph != NULL ? ph : pg->doc, "model");
	state = json_string_value(json_object_get(ph != NULL ? ph : pg->doc,
	    "state"));
	xasprintf(&title, " PHONE %s  %s  %s", pg->mac, model,
	    state != NULL ? state : "");
	attron(ui->colours ? COLOR_PAIR(UI_COLOUR_BAR) | A_BOLD :
	    A_REVERSE | A_BOLD);
	mvhline(0, 0, ' ', COLS);
	mvaddnstr(0, 0, title, COLS);
	attroff(ui->colours ? COLOR_PAIR(UI_COLOUR_BAR) | A_BOLD :
	    A_REVERSE | A_BOLD);
	free(title);
	free(model);
	for (i = pg->top, y = 1; i < pg->n && y <= rows; i++, y++) {
		if (pg->lines[i][0] == '\001') {	/* a section's title */
			attron(A_BOLD);
			mvaddnstr(y, 0, pg->lines[i] + 1, COLS);
		} else
			mvaddnstr(y, 0, pg->lines[i], COLS);
		attroff(A_BOLD);
	}
	ui_draw_bars(ui, " ? help  Up/Down scroll  h hold  r release  "
	    "t retry  x forget  q back");
}

void
ui_phone_view(struct ui *ui, const char *mac)
{
	struct ui_page	 pg;
	json_t		*ph;
	char		 arg[64], *seen = NULL, *now;
	int		 ch, rows;
	time_t		 fetched;

	memset(&pg, 0, sizeof pg);
	pg.mac = mac = xstrdup(mac);
	snprintf(arg, sizeof arg, "mac=%s", mac);
	ui_cmdline(ui, "ctl", "phone", arg, NULL);
	ui_page_fetch(ui, &pg);
	fetched = time(NULL);
	ui->background = ui_page_draw;
	ui->background_arg = &pg;
	for (;;) {
		ui_redraw(ui);
		refresh();
		ch = ui_getch(ui);
		rows = LINES - 4;
		switch (ch) {
		case UI_HANGUP:
		case 'q':
		case 27:
			goto out;
		case ERR:
			/* Fetch again when the phone moved, at most every 2 s. */
			ph = ui_fleet_find(ui, mac);
			now = ph != NULL ? json_dumps(ph, JSON_COMPACT) : NULL;
			if (now != NULL && (seen == NULL ||
			    strcmp(now, seen) != 0) &&
			    time(NULL) - fetched >= 2) {
				free(seen);
				seen = now;
				now = NULL;
				ui_page_fetch(ui, &pg);
				fetched = time(NULL);
			}
			free(now);
			break;
		case KEY_RESIZE:
			ui_page_build(&pg);	/* wrapped to the new width */
			break;
		case '?':
		case KEY_F(1):
			ui_help(ui, UI_HELP_PHONE);
			break;
		case KEY_UP:
		case 'k':
			if (pg.top > 0)
				pg.top--;
			break;
		case KEY_DOWN:
		case 'j':
			pg.top++;
			break;
		case KEY_PPAGE:
			pg.top = pg.top > (size_t)rows ? pg.top - rows : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			pg.top += rows;
			break;
		case 'h':
		case 'r':
		case 't':
		case 'x':
			if (ui_phone_action(ui, ch == 'h' ? "hold" : ch == 'r' ?
			    "release" : ch == 't' ? "retry" : "forget", mac) ==
			    0 && ch == 'x')
				goto out;
			ui_page_fetch(ui, &pg);
			fetched = time(NULL);
			break;
		}
	}
out:
	ui->background = NULL;
	ui->background_arg = NULL;
	ui->dirty = 1;
	free(seen);
	json_decref(pg.doc);
	free(pg.error);
	ui_page_free_lines(&pg);
	free((char *)mac);
}
