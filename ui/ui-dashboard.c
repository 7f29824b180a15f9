/*
 * The dashboard: a header with the appliance's address, its services, the
 * library and the counts per state; one row per phone (MAC, IP, model,
 * version before -> after, state, a progress bar with its rate, elapsed);
 * the last message, the equivalent command line, and the keys.  Laid out
 * for 80x24 first; wider terminals get full versions and longer bars.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "xmalloc.h"
#include "ui.h"

#define UI_HEADER_LINES 4	/* title, counts, settings, column names */
/* Message, command line (one or two lines), keys. */
#define UI_FOOTER_LINES(ui) (ui_cmdline_lines(ui) + 2)

struct ui_columns {
	int	mac, ip, model, version, state, progress, elapsed;
	int	full_versions;
};

static void	ui_columns(struct ui_columns *);
static void	ui_put(int, int, int, int, const char *);
static void	ui_header(struct ui *);
static void	ui_row(struct ui *, int, json_t *, int,
		    const struct ui_columns *);
static void	ui_short_version(const char *, char *, size_t);
static int	ui_rows(struct ui *);
static int	ui_cmdline_lines(struct ui *);
static size_t	ui_cmdline_break(struct ui *);

/*
 * Finished states first: on 80 columns the end of the line may be cut.
 * "verified" only when the ZTP check is on or a phone is verified.
 */
static const char *const ui_count_names[][2] = {
	{ "repointed-quiet", "quiet" }, { "verified", "verif" },
	{ "failed", "fail" }, { "held", "held" },
	{ "seen", "seen" }, { "identified", "ident" },
	{ "upgrading", "upgr" }, { "rebooting", "boot" },
	{ "current", "curr" }, { "trusting", "trust" },
	{ "repointed", "repnt" }
};

/* Text clipped (and padded) to width at y, x. */
static void
ui_put(int y, int x, int width, int attr, const char *s)
{
	int	len;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	attron(attr);
	len = (int)strlen(s);
	mvaddnstr(y, x, s, width);
	if (len < width)
		mvhline(y, x + len, ' ', width - len);
	attroff(attr);
}

int
ui_attr_for_state(struct ui *ui, const char *state)
{
	int	pair = UI_COLOUR_NONE, attr = A_NORMAL;

	if (state == NULL)
		return (A_NORMAL);
	if (strcmp(state, "repointed-quiet") == 0 ||
	    strcmp(state, "verified") == 0)
		pair = UI_COLOUR_GOOD;
	else if (strcmp(state, "failed") == 0) {
		pair = UI_COLOUR_BAD;
		attr = A_BOLD;
	} else if (strcmp(state, "held") == 0) {
		pair = UI_COLOUR_WARN;
		attr = A_BOLD;
	} else if (strcmp(state, "upgrading") == 0 ||
	    strcmp(state, "rebooting") == 0 || strcmp(state, "trusting") == 0)
		pair = UI_COLOUR_BUSY;
	if (ui->colours && pair != UI_COLOUR_NONE)
		attr |= COLOR_PAIR(pair);
	return (attr);
}

/*
 * Where a command line too long for one screen line breaks (at a space, so
 * the two lines, joined by the shell's "\", are still the command); 0 when it
 * fits.
 */
static size_t
ui_cmdline_break(struct ui *ui)
{
	size_t	len, k, last;
	int	quoted;

	if (ui->cmdline == NULL)
		return (0);
	len = strlen(ui->cmdline);
	if (len + 2 <= (size_t)COLS || COLS < 20)
		return (0);
	/*
	 * Only at a space outside quotes: a "\" inside '...' is no line
	 * continuation, and the pasted command said the reason was "held
	 * from the \<newline> console".
	 */
	last = 0;
	quoted = 0;
	for (k = 0; k < len && k <= (size_t)COLS - 4; k++) {
		if (ui->cmdline[k] == '\'' && (quoted || k == 0 ||
		    ui->cmdline[k - 1] != '\\'))
			quoted = !quoted;
		else if (ui->cmdline[k] == ' ' && !quoted)
			last = k;
	}
	return (last);
}

static int
ui_cmdline_lines(struct ui *ui)
{
	return (ui_cmdline_break(ui) != 0 ? 2 : 1);
}

static int
ui_rows(struct ui *ui)
{
	int	n = LINES - UI_HEADER_LINES - UI_FOOTER_LINES(ui);

	return (n > 0 ? n : 0);
}

static void
ui_columns(struct ui_columns *c)
{
	int	rest;

	c->mac = 12;
	c->ip = 15;
	c->model = 7;
	c->state = 10;
	c->elapsed = 7;
	c->full_versions = COLS >= 100;
	c->version = c->full_versions ? 23 : 11;
	if (COLS >= 120)
		c->model = 10;
	rest = COLS - (c->mac + c->ip + c->model + c->version + c->state +
	    c->elapsed + 6);
	c->progress = rest < 8 ? 8 : rest;
}

/* "4.1.4.7430" -> "4.1.4" (the first three parts fit an 80-column row). */
static void
ui_short_version(const char *v, char *buf, size_t len)
{
	const char	*p = v;
	int		 dots = 0;

	for (; *p != '\0'; p++) {
		if (*p == '.' && ++dots == 3)
			break;
	}
	snprintf(buf, len, "%.*s", (int)(p - v), v);
}

/* A bar of width w (brackets included) for done/total, ASCII only. */
void
ui_progress_bar(char *buf, size_t len, double done, double total)
{
	int	inner = (int)len - 3, fill, i;

	if (inner < 1) {
		buf[0] = '\0';
		return;
	}
	fill = total > 0 ? (int)(done / total * inner) : 0;
	if (fill > inner)
		fill = inner;
	buf[0] = '[';
	for (i = 0; i < inner; i++)
		buf[1 + i] = i < fill ? '#' : '.';
	buf[1 + inner] = ']';
	buf[2 + inner] = '\0';
}

void
ui_draw_bars(struct ui *ui, const char *keys)
{
	int	 bar = ui->colours ? COLOR_PAIR(UI_COLOUR_BAR) : A_REVERSE;
	int	 bad = ui->colours ? COLOR_PAIR(UI_COLOUR_BAD) | A_BOLD :
		    A_BOLD;
	char	*line;
	size_t	 k;

	if (!ui->connected) {
		xasprintf(&line, " RECONNECTING to the daemon (%s/%s), attempt "
		    "%d: %s", ui->state_dir, CONTROL_SOCKET_NAME, ui->attempts,
		    ui->lost_reason != NULL ? ui->lost_reason : "");
		ui_put(0, 0, COLS, (ui->colours ?
		    COLOR_PAIR(UI_COLOUR_BANNER) : A_REVERSE) | A_BOLD, line);
		free(line);
	}
	k = ui_cmdline_break(ui);
	ui_put(LINES - 2 - ui_cmdline_lines(ui), 0, COLS, ui->message_bad ?
	    bad : (int)A_NORMAL, ui->message != NULL ? ui->message : "");
	if (k == 0) {
		xasprintf(&line, "$ %s", ui->cmdline != NULL ? ui->cmdline :
		    "");
		ui_put(LINES - 2, 0, COLS, A_DIM, line);
	} else {
		xasprintf(&line, "$ %.*s \\", (int)k, ui->cmdline);
		ui_put(LINES - 3, 0, COLS, A_DIM, line);
		free(line);
		xasprintf(&line, "  %s", ui->cmdline + k + 1);
		ui_put(LINES - 2, 0, COLS, A_DIM, line);
	}
	free(line);
	ui_put(LINES - 1, 0, COLS, bar, keys);
}

static void
ui_header(struct ui *ui)
{
	json_t		*app = json_object_get(ui->status, "appliance"), *aside;
	json_t		*ca, *zc;
	const char	*check, *base;
	char		*addr, *dhcp, *where, *repoint, *policy, *subject, *filter;
	char		 line[512], part[64], hint[256];
	size_t		 i, len;
	int		 bar = ui->colours ? COLOR_PAIR(UI_COLOUR_BAR) :
			    A_REVERSE;
	long long	 tftp, http, https, packages, over;

	addr = control_text(app, "address");
	dhcp = control_text(app, "dhcp");
	tftp = json_integer_value(json_object_get(app, "tftp_port"));
	http = json_integer_value(json_object_get(app, "http_port"));
	https = json_integer_value(json_object_get(app, "https_port"));
	packages = json_integer_value(json_object_get(app, "packages"));
	/* Where DHCP runs: a move to a VLAN that refused stays put. */
	where = control_text(ui->status, "dhcp_iface");
	/* The demo's phones and packages are stand-ins: said first. */
	snprintf(line, sizeof line, " ZTP Rescue %s%s  %s  TFTP %s  HTTP %s  "
	    "HTTPS %s  DHCP %s%s%s  %lld packages  %zu phones", ZTP_VERSION,
	    ui->demo ? "  DEMO: simulated phones, synthetic firmware" : "",
	    addr, tftp > 0 ? "on" : "off", http > 0 ? "on" : "off",
	    https > 0 ? "on" : "off", dhcp, strcmp(where, "-") != 0 ? " on " :
	    "", strcmp(where, "-") != 0 ? where : "", packages,
	    json_array_size(ui->phones));
	/*
	 * Too wide (80 columns): the services on, by name, and the demo's
	 * notice in place of the name.  The address, the services and DHCP
	 * were cut off at 80 columns by the demo's notice.
	 */
	if (strlen(line) > (size_t)COLS)
		snprintf(line, sizeof line, " %s%s  %s  %s%s%s%s  DHCP %s%s%s  "
		    "%lld pkg  %zu phones", ui->demo ? "DEMO: simulated phones, "
		    "synthetic firmware" : "ZTP Rescue ", ui->demo ? "" :
		    ZTP_VERSION, addr, tftp > 0 ? "TFTP" : "", tftp > 0 &&
		    http > 0 ? " HTTP" : http > 0 ? "HTTP" : "", https > 0 &&
		    (tftp > 0 || http > 0) ? " HTTPS" : https > 0 ? "HTTPS" : "",
		    tftp <= 0 && http <= 0 && https <= 0 ? "serving nothing" :
		    "", dhcp, strcmp(where, "-") != 0 ? " on " : "",
		    strcmp(where, "-") != 0 ? where : "", packages,
		    json_array_size(ui->phones));
	if (ui->connected)
		ui_put(0, 0, COLS, bar | A_BOLD, line);
	free(addr);
	free(dhcp);
	free(where);

	line[0] = '\0';
	len = 0;
	check = json_string_value(json_object_get(json_object_get(app,
	    "ztp_check"), "state"));
	for (i = 0; i < sizeof ui_count_names / sizeof ui_count_names[0];
	    i++) {
		if (strcmp(ui_count_names[i][0], "verified") == 0 &&
		    ui_fleet_count(ui, "verified") == 0 &&
		    (check == NULL || strcmp(check, "off") == 0))
			continue;
		snprintf(part, sizeof part, "%s%s:%u", i == 0 ? " " :
		    i == 4 ? " | " : " ",
		    ui_count_names[i][COLS >= 110 ? 0 : 1],
		    ui_fleet_count(ui, ui_count_names[i][0]));
		if (len + strlen(part) < sizeof line) {
			memcpy(line + len, part, strlen(part) + 1);
			len += strlen(part);
		}
	}
	/* Phones on the wire that do not ask, clients not answered. */
	if (json_array_size(json_object_get(ui->status, "silent")) != 0 ||
	    json_array_size(json_object_get(ui->status, "ignored")) != 0) {
		snprintf(part, sizeof part, " | silent:%zu ignored:%zu",
		    json_array_size(json_object_get(ui->status, "silent")),
		    json_array_size(json_object_get(ui->status, "ignored")));
		if (len + strlen(part) < sizeof line) {
			memcpy(line + len, part, strlen(part) + 1);
			len += strlen(part);
		}
	}
	/* New phones not believed: the fleet is at --phone-limit. */
	over = json_integer_value(json_object_get(app, "claims_over_limit"));
	if (over > 0) {
		snprintf(part, sizeof part, " | over phone limit:%lld", over);
		if (len + strlen(part) < sizeof line)
			memcpy(line + len, part, strlen(part) + 1);
	}
	ui_put(1, 0, COLS, A_NORMAL, line);

	ca = json_object_get(app, "ca");
	repoint = control_text(app, "repoint");
	policy = control_text(app, "unknown_version");
	subject = control_text(ca, "subject");
	filter = ui->filter != NULL && *ui->filter != '\0' ?
	    xstrdup(ui->filter) : xstrdup("none");
	/* The ZTP reachability check: its result, else its state. */
	zc = json_object_get(app, "ztp_check");
	check = json_string_value(json_object_get(zc, "result"));
	if (check == NULL)
		check = json_string_value(json_object_get(zc, "state"));
	/*
	 * What the phones are given first, the CA's long name last of it:
	 * sort and filter went first, and 80 columns cut the CA off.
	 */
	if (strcmp(filter, "none") != 0)
		/* A list cut down says so before anything else. */
		snprintf(line, sizeof line, " filter %s  re-point %s  unknown "
		    "version %s  ztp-check %s  CA %s  sort %s", filter,
		    repoint, policy, check != NULL ? check : "off", subject,
		    ui_sort_name(ui->sort));
	else
		snprintf(line, sizeof line, " re-point %s  unknown version %s  "
		    "ztp-check %s  CA %s  sort %s  filter none", repoint,
		    policy, check != NULL ? check : "off", subject,
		    ui_sort_name(ui->sort));
	/* No phone is answered while the journal cannot write: say so. */
	aside = json_object_get(app, "journal_set_aside");
	if (json_is_string(json_object_get(app, "journal_error")))
		snprintf(line, sizeof line, " JOURNAL CANNOT WRITE (%s): "
		    "phones wait: free space",
		    json_string_value(json_object_get(app, "journal_error")));
	else if (json_is_object(aside)) {
		base = json_string_value(json_object_get(aside, "path"));
		if (base != NULL && strrchr(base, '/') != NULL)
			base = strrchr(base, '/') + 1;
		snprintf(line, sizeof line, " JOURNAL WAS DAMAGED: a new one "
		    "started with what it still held; the old one: %s",
		    base != NULL ? base : "?");
	} else if (json_is_string(json_object_get(app, "settings_error")))
		/* Every phone's re-point follows it: before the rest. */
		snprintf(line, sizeof line, " SETTINGS NOT READ: set re-point "
		    "and policy again (m); now %s, %s", repoint, policy);
	else if (json_is_string(json_object_get(app, "dhcp_other_server")))
		snprintf(line, sizeof line, " ANOTHER DHCP SERVER answers the "
		    "phones (%s): phones may take its leases: unplug it or "
		    "cut its port", json_string_value(json_object_get(app,
		    "dhcp_other_server")));
	else if (json_is_string(json_object_get(app, "dhcp_pool_full")))
		snprintf(line, sizeof line, " DHCP: %s",
		    json_string_value(json_object_get(app, "dhcp_pool_full")));
	else if (json_is_string(json_object_get(app, "dhcp_link")))
		snprintf(line, sizeof line, " DHCP: %s",
		    json_string_value(json_object_get(app, "dhcp_link")));
	else if (json_is_null(ca))	/* the CA was cut off at 80 columns */
		snprintf(line, sizeof line, " NO CA CERTIFICATE: phones stop "
		    "at 'current' until one is installed (m, then 5)");
	else if (json_is_string(json_object_get(app, "report_error"))) {
		ui_report_hint(json_string_value(json_object_get(app,
		    "report_error")), hint, sizeof hint);
		snprintf(line, sizeof line, " REPORT NOT UPDATED: %s (every "
		    "record is safe in the journal; e exports it)", hint);
	}
	/* Every warning above stands out, as the settings' did not. */
	ui_put(2, 0, COLS, json_is_string(json_object_get(app,
	    "journal_error")) || json_is_object(aside) ||
	    json_is_string(json_object_get(app, "settings_error")) ||
	    json_is_string(json_object_get(app, "dhcp_other_server")) ||
	    json_is_string(json_object_get(app, "dhcp_pool_full")) ||
	    json_is_string(json_object_get(app, "dhcp_link")) ||
	    json_is_null(ca) || json_is_string(json_object_get(app,
	    "report_error")) ? A_REVERSE | A_BOLD : A_NORMAL, line);
	free(repoint);
	free(policy);
	free(subject);
	free(filter);
}

/*
 * The PROGRESS column of a phone's row, width columns: why it stops or
 * waits (1 is returned), how long a rebooting phone is silent, its
 * transfer's bar and rate while one runs, or "-".
 */
int
ui_row_progress(json_t *ph, int width, char *prog, size_t len)
{
	json_t		*pr = json_object_get(ph, "progress");
	const char	*state_raw = json_string_value(json_object_get(ph,
			    "state"));
	char		*reason, bar[96], rate[16], el[32], rtxt[24];
	double		 bytes, total;
	long		 quiet;
	int		 w, why = 0;

	reason = control_text(ph, "reason");
	bytes = json_number_value(json_object_get(pr, "bytes"));
	total = json_number_value(json_object_get(pr, "total"));
	/* Why it stops or waits; a phone waiting for a power cycle too. */
	if (strcmp(reason, "-") != 0 && state_raw != NULL &&
	    (strcmp(state_raw, "failed") == 0 ||
	    strcmp(state_raw, "held") == 0 ||
	    strcmp(state_raw, "seen") == 0 ||
	    strcmp(state_raw, "identified") == 0)) {
		if (!ui_reason_short(reason, prog, len))
			snprintf(prog, len, "%s", reason);
		why = 1;
	} else if (state_raw != NULL && (strcmp(state_raw, "rebooting") == 0 ||
	    strcmp(state_raw, "repointed") == 0) &&
	    (quiet = ui_fleet_silent(ph)) >= 0) {
		/* What is seen: how long since its last request.  Past an
		 * hour "1:11:55" does not fit 12 columns: "1h11m" does. */
		control_fmt_duration(quiet, el, sizeof el);
		if ((int)strlen(el) + 7 > width && quiet >= 3600)
			snprintf(el, sizeof el, "%ldh%02ldm", quiet / 3600,
			    quiet % 3600 / 60);
		snprintf(prog, len, "silent %s", el);
	} else if (total > 0 && bytes < total) {
		/* Running (the daemon clears it at the end), whatever the
		 * state: a phone at 'current' may fetch its image again. */
		control_fmt_bytes(json_number_value(json_object_get(pr,
		    "rate")), rate, sizeof rate);
		snprintf(rtxt, sizeof rtxt, "%s/s", rate);
		w = width - (int)strlen(rtxt) - 1;
		if (w < 8) {	/* narrow: the bar matters more than "/s" */
			snprintf(rtxt, sizeof rtxt, "%s", rate);
			w = width - (int)strlen(rtxt) - 1;
		}
		if (w > (int)sizeof bar - 1)
			w = sizeof bar - 1;
		ui_progress_bar(bar, w > 3 ? (size_t)w + 1 : 4, bytes, total);
		snprintf(prog, len, "%s %s", bar, rtxt);
	} else if (total > 0)
		snprintf(prog, len, "done");
	else
		snprintf(prog, len, "-");
	free(reason);
	return (why);
}

static void
ui_row(struct ui *ui, int y, json_t *ph, int selected,
    const struct ui_columns *c)
{
	const char	*state_raw;
	char		*mac, *ip, *model, *before, *after, *state, *reason;
	char		 vb[32], va[32], ver[64], prog[128], el[16];
	int		 x = 0, attr, sattr, why;
	long		 secs;

	mac = control_text(ph, "mac");
	ip = control_text(ph, "ip");
	model = control_text(ph, "model");
	before = control_text(ph, "version_before");
	state_raw = json_string_value(json_object_get(ph, "state"));
	after = control_phone_after(ph);
	state = control_text(ph, "state");
	/* The state column is 10 wide: the help explains the short name. */
	if (strcmp(state, "repointed-quiet") == 0) {
		free(state);
		state = xstrdup("rp-quiet");
	}
	reason = control_text(ph, "reason");

	/* An unknown version is "?", so ">" never reads as an arrow. */
	if (strcmp(before, "-") == 0) {
		free(before);
		before = xstrdup("?");
	}
	if (strcmp(after, "-") == 0) {
		free(after);
		after = xstrdup("?");
	}
	if (c->full_versions)
		snprintf(ver, sizeof ver, "%s>%s", before, after);
	else {
		ui_short_version(before, vb, sizeof vb);
		ui_short_version(after, va, sizeof va);
		snprintf(ver, sizeof ver, "%s>%s", vb, va);
	}

	sattr = ui_attr_for_state(ui, state_raw);
	why = ui_row_progress(ph, c->progress, prog, sizeof prog);
	secs = ui_fleet_elapsed(ph);
	if (secs < 0)
		snprintf(el, sizeof el, "-");
	else
		control_fmt_duration(secs, el, sizeof el);

	attr = selected ? A_REVERSE : A_NORMAL;
	if (selected)
		sattr = A_REVERSE | A_BOLD;
	ui_put(y, x, c->mac, attr, mac);
	ui_put(y, x + c->mac, 1, attr, " ");
	x += c->mac + 1;
	ui_put(y, x, c->ip, attr, ip);
	ui_put(y, x + c->ip, 1, attr, " ");
	x += c->ip + 1;
	ui_put(y, x, c->model, attr, model);
	ui_put(y, x + c->model, 1, attr, " ");
	x += c->model + 1;
	ui_put(y, x, c->version, attr, ver);
	ui_put(y, x + c->version, 1, attr, " ");
	x += c->version + 1;
	ui_put(y, x, c->state, sattr, state);
	ui_put(y, x + c->state, 1, attr, " ");
	x += c->state + 1;
	ui_put(y, x, c->progress, why ? sattr | (int)A_BOLD : attr, prog);
	ui_put(y, x + c->progress, 1, attr, " ");
	x += c->progress + 1;
	ui_put(y, x, COLS - x, attr, el);

	free(mac);
	free(ip);
	free(model);
	free(before);
	free(after);
	free(state);
	free(reason);
}

/*
 * Below the fleet, where there is room: each phone seen on the wire that
 * does not ask, with its reason and its family's reset keys (the daemon's
 * "silent" list; the evidence is in status --json and the field guide).
 */
static void
ui_silent_rows(struct ui *ui, int y, int end)
{
	json_t	*list = json_object_get(ui->status, "silent"), *sp, *rs;
	char	*mac, *addr, *model, *reason, *keys, *line;
	int	 warn = ui->colours ? COLOR_PAIR(UI_COLOUR_WARN) : A_BOLD;
	size_t	 i;

	if (json_array_size(list) == 0 || y + 1 >= end)
		return;
	ui_put(y++, 0, COLS, A_BOLD, "On the wire but silent (reset: hold "
	    "the keys while it boots, password = its MAC):");
	for (i = 0; i < json_array_size(list) && y < end; i++, y++) {
		sp = json_array_get(list, i);
		rs = json_object_get(sp, "reset");
		mac = control_text(sp, "mac");
		addr = control_text(sp, "address");
		model = control_text(sp, "model");
		reason = control_text(sp, "reason");
		keys = control_text(rs, "keys");
		xasprintf(&line, "%-12s %-15s %-10.10s %s; reset: %s", mac,
		    addr, model, reason, keys);
		ui_put(y, 0, COLS, warn, line);
		free(line);
		free(mac);
		free(addr);
		free(model);
		free(reason);
		free(keys);
	}
}

void
ui_dashboard_draw(struct ui *ui)
{
	struct ui_columns	 c;
	char			 line[256];
	size_t			 i, n = json_array_size(ui->visible);
	int			 rows = ui_rows(ui), y;

	ui_columns(&c);
	ui_header(ui);
	snprintf(line, sizeof line, "%-*s %-*s %-*s %-*s %-*s %-*s %s",
	    c.mac, "MAC", c.ip, "IP", c.model, "MODEL", c.version,
	    c.full_versions ? "VERSION BEFORE>AFTER" : "VERSIONS", c.state, "STATE", c.progress, "PROGRESS",
	    "ELAPSED");
	ui_put(3, 0, COLS, A_BOLD | A_UNDERLINE, line);

	if (ui->selected < ui->top)
		ui->top = ui->selected;
	if (rows > 0 && ui->selected >= ui->top + rows)
		ui->top = ui->selected - rows + 1;
	/* A taller screen (or fewer phones) shows rows above, never blank below. */
	if (rows > 0 && ui->top > 0 && ui->top + rows > n)
		ui->top = n > (size_t)rows ? n - rows : 0;
	if (n == 0 && rows > 0)
		ui_put(UI_HEADER_LINES + 1, 2, COLS - 4, A_NORMAL,
		    ui->filter != NULL && *ui->filter != '\0' ?
		    "No phone matches the filter (/ to change it)." :
		    "No phones yet: plug the appliance into the phones' "
		    "switch and power them up.");
	for (i = ui->top, y = UI_HEADER_LINES;
	    i < n && y < UI_HEADER_LINES + rows; i++, y++)
		ui_row(ui, y, json_array_get(ui->visible, i),
		    i == ui->selected, &c);
	ui_silent_rows(ui, y + (n == 0 ? 2 : 1), UI_HEADER_LINES + rows);

	/* "q quit" always shows: 80 columns cut it off (the rest is in ?). */
	ui_draw_bars(ui, COLS >= 100 ?
	    " ?/F1 help  Enter view  m/F2 menu  h hold  r release  t retry  "
	    "x forget  / filter  s sort  i import  e export  q quit" :
	    COLS >= 76 ? " ? help Enter view m menu h hold r release t retry "
	    "/ filter s sort q quit" : " ? help  m menu  q quit");
}

int
ui_dashboard_key(struct ui *ui, int ch)
{
	json_t		*ph = ui_fleet_selected(ui);
	const char	*mac = json_string_value(json_object_get(ph, "mac"));
	size_t		 n = json_array_size(ui->visible);
	char		*text;
	int		 rows = ui_rows(ui);

	switch (ch) {
	case 'q':
	case 'Q':
		ui->quit = 1;
		break;
	case '?':
	case KEY_F(1):
		ui_help(ui, UI_HELP_DASHBOARD);
		break;
	case KEY_UP:
	case 'k':
		if (ui->selected > 0)
			ui->selected--;
		break;
	case KEY_DOWN:
	case 'j':
		if (ui->selected + 1 < n)
			ui->selected++;
		break;
	case KEY_PPAGE:
		ui->selected = ui->selected > (size_t)rows ?
		    ui->selected - rows : 0;
		break;
	case KEY_NPAGE:
		ui->selected += rows;
		if (ui->selected >= n)
			ui->selected = n > 0 ? n - 1 : 0;
		break;
	case KEY_HOME:
		ui->selected = 0;
		break;
	case KEY_END:
		ui->selected = n > 0 ? n - 1 : 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'v':
		if (mac != NULL)
			ui_phone_view(ui, mac);
		break;
	case 'h':
		ui_phone_action(ui, "hold", mac);
		break;
	case 'r':
		ui_phone_action(ui, "release", mac);
		break;
	case 't':
		ui_phone_action(ui, "retry", mac);
		break;
	case 'x':
	case KEY_DC:
		ui_phone_action(ui, "forget", mac);
		break;
	case 'm':
	case KEY_F(2):
		ui_menu(ui);
		break;
	case 'i':
		ui_menu_import(ui);
		break;
	case 'e':
		ui_menu_export(ui);
		break;
	case 's':
		ui->sort = (ui->sort + 1) % UI_SORT_COUNT;
		ui_fleet_refresh_visible(ui);
		ui_set_message(ui, 0, "sorted by %s", ui_sort_name(ui->sort));
		break;
	case '/':
		text = ui_input(ui, "Filter", "Show only phones whose MAC, IP, "
		    "model, state or version contains (empty: all):",
		    ui->filter != NULL ? ui->filter : "");
		if (text != NULL) {
			free(ui->filter);
			ui->filter = text;
			ui_fleet_refresh_visible(ui);
		}
		break;
	case 12:	/* ^L */
	case KEY_RESIZE:
		clearok(curscr, TRUE);
		break;
	default:
		return (0);
	}
	return (1);
}
