/*
 * The phones as the daemon last described them: the status document, then
 * every "phone" event replacing one phone and "transfer" events moving its
 * progress.  Counts per state are recomputed here rather than taken from the
 * document, so they always agree with the rows on screen.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "control.h"
#include "xmalloc.h"
#include "ui.h"

#define UI_LOG_LINES 200

static int	ui_fleet_compare(const void *, const void *);
static time_t	ui_parse_time(const char *);

static enum ui_sort	ui_sort_key;	/* for qsort's comparator */

static const char *const ui_state_order[] = {
	"failed", "held", "upgrading", "rebooting", "trusting", "current",
	"identified", "seen", "repointed", "repointed-quiet", "verified", NULL
};

int
ui_state_rank(const char *state)
{
	int	i;

	for (i = 0; ui_state_order[i] != NULL; i++) {
		if (strcmp(ui_state_order[i], state) == 0)
			return (i);
	}
	return (i);
}

const char *
ui_sort_name(enum ui_sort s)
{
	switch (s) {
	case UI_SORT_STATE:
		return ("state");
	case UI_SORT_MAC:
		return ("mac");
	case UI_SORT_IP:
		return ("ip");
	case UI_SORT_MODEL:
		return ("model");
	case UI_SORT_ELAPSED:
		return ("elapsed");
	default:
		return ("?");
	}
}

void
ui_fleet_set_status(struct ui *ui, json_t *status)
{
	json_t	*phones;

	json_decref(ui->status);
	ui->status = json_incref(status);
	json_decref(ui->phones);
	phones = json_object_get(status, "phones");
	ui->phones = json_is_array(phones) ? json_deep_copy(phones) :
	    json_array();
	ui->status_at = time(NULL);
	ui_fleet_refresh_visible(ui);
}

json_t *
ui_fleet_find(struct ui *ui, const char *mac)
{
	json_t		*ph;
	const char	*m;
	size_t		 i;

	json_array_foreach(ui->phones, i, ph) {
		m = json_string_value(json_object_get(ph, "mac"));
		if (m != NULL && strcmp(m, mac) == 0)
			return (ph);
	}
	return (NULL);
}

void
ui_fleet_update_phone(struct ui *ui, json_t *phone)
{
	json_t		*ph;
	const char	*mac, *m;
	size_t		 i;

	if (!json_is_object(phone))
		return;
	if ((mac = json_string_value(json_object_get(phone, "mac"))) == NULL)
		return;
	json_array_foreach(ui->phones, i, ph) {
		m = json_string_value(json_object_get(ph, "mac"));
		if (m != NULL && strcmp(m, mac) == 0) {
			json_array_set(ui->phones, i, phone);
			ui_fleet_refresh_visible(ui);
			return;
		}
	}
	json_array_append(ui->phones, phone);
	ui_fleet_refresh_visible(ui);
}

void
ui_fleet_remove(struct ui *ui, const char *mac)
{
	json_t		*ph;
	const char	*m;
	size_t		 i;

	json_array_foreach(ui->phones, i, ph) {
		m = json_string_value(json_object_get(ph, "mac"));
		if (m != NULL && strcmp(m, mac) == 0) {
			json_array_remove(ui->phones, i);
			break;
		}
	}
	ui_fleet_refresh_visible(ui);
}

/* A transfer event moves the progress of its phone, if it names one. */
void
ui_fleet_update_transfer(struct ui *ui, json_t *t)
{
	json_t		*ph, *progress;
	const char	*mac;

	if ((mac = json_string_value(json_object_get(t, "mac"))) == NULL)
		return;
	if ((ph = ui_fleet_find(ui, mac)) == NULL)
		return;
	progress = json_object();
	json_object_set(progress, "file", json_object_get(t, "file"));
	json_object_set(progress, "bytes", json_object_get(t, "bytes"));
	json_object_set(progress, "total", json_object_get(t, "total"));
	json_object_set(progress, "rate", json_object_get(t, "rate"));
	json_object_set_new(ph, "progress", progress);
}

void
ui_fleet_add_log(struct ui *ui, json_t *ev)
{
	json_array_append(ui->log, ev);
	while (json_array_size(ui->log) > UI_LOG_LINES)
		json_array_remove(ui->log, 0);
}

unsigned int
ui_fleet_count(struct ui *ui, const char *state)
{
	json_t		*ph;
	const char	*s;
	size_t		 i;
	unsigned int	 n = 0;

	json_array_foreach(ui->phones, i, ph) {
		s = json_string_value(json_object_get(ph, "state"));
		if (s != NULL && strcmp(s, state) == 0)
			n++;
	}
	return (n);
}

static time_t
ui_parse_time(const char *s)
{
	struct tm	tm;

	if (s == NULL)
		return (0);
	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return (0);
	return (timegm(&tm));
}

/* Seconds since first seen; a finished phone's clock stops. */
long
ui_fleet_elapsed(json_t *ph)
{
	time_t		 first, last;
	const char	*state;

	first = ui_parse_time(json_string_value(json_object_get(ph,
	    "first_seen")));
	if (first == 0)
		return (-1);
	state = json_string_value(json_object_get(ph, "state"));
	if (state != NULL && (strcmp(state, "repointed-quiet") == 0 ||
	    strcmp(state, "verified") == 0 || strcmp(state, "failed") == 0)) {
		last = ui_parse_time(json_string_value(json_object_get(ph,
		    "last_seen")));
		if (last >= first)
			return (last - first);
	}
	return (time(NULL) - first);
}

/* Seconds since its last request (-1 when not known). */
long
ui_fleet_silent(json_t *ph)
{
	time_t	last, now = time(NULL);

	last = ui_parse_time(json_string_value(json_object_get(ph,
	    "last_seen")));
	if (last == 0)
		return (-1);
	return (now > last ? now - last : 0);
}

/*
 * Addresses in address order (10.99.0.20 before 10.99.0.100), IPv4 before
 * IPv6, an unknown one last; as text was .100 before .20.
 */
int
ui_ip_compare(const char *a, const char *b)
{
	unsigned char	 na[16], nb[16];
	int		 fa, fb;

	fa = a == NULL ? 0 : inet_pton(AF_INET, a, na) == 1 ? 4 :
	    inet_pton(AF_INET6, a, na) == 1 ? 6 : 0;
	fb = b == NULL ? 0 : inet_pton(AF_INET, b, nb) == 1 ? 4 :
	    inet_pton(AF_INET6, b, nb) == 1 ? 6 : 0;
	if (fa != fb)
		return (fa == 0 ? 1 : fb == 0 ? -1 : fa - fb);
	if (fa == 0)
		return (strcmp(a != NULL ? a : "", b != NULL ? b : ""));
	return (memcmp(na, nb, fa == 4 ? 4 : 16));
}

static int
ui_fleet_compare(const void *a, const void *b)
{
	json_t		*pa = *(json_t *const *)a, *pb = *(json_t *const *)b;
	const char	*key, *sa, *sb;
	int		 r;

	switch (ui_sort_key) {
	case UI_SORT_STATE:
		sa = json_string_value(json_object_get(pa, "state"));
		sb = json_string_value(json_object_get(pb, "state"));
		r = ui_state_rank(sa != NULL ? sa : "") -
		    ui_state_rank(sb != NULL ? sb : "");
		if (r != 0)
			return (r);
		key = "mac";
		break;
	case UI_SORT_ELAPSED:
		if (ui_fleet_elapsed(pa) != ui_fleet_elapsed(pb))
			return (ui_fleet_elapsed(pa) > ui_fleet_elapsed(pb) ?
			    -1 : 1);
		key = "mac";
		break;
	case UI_SORT_IP:
		key = "ip";
		break;
	case UI_SORT_MODEL:
		key = "model";
		break;
	default:
		key = "mac";
		break;
	}
	sa = json_string_value(json_object_get(pa, key));
	sb = json_string_value(json_object_get(pb, key));
	if (strcmp(key, "ip") == 0)
		r = ui_ip_compare(sa, sb);
	else
		r = strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "");
	if (r != 0 || strcmp(key, "mac") == 0)
		return (r);
	sa = json_string_value(json_object_get(pa, "mac"));
	sb = json_string_value(json_object_get(pb, "mac"));
	return (strcmp(sa != NULL ? sa : "", sb != NULL ? sb : ""));
}

int
ui_fleet_matches(json_t *ph, const char *filter)
{
	static const char *const keys[] = { "mac", "ip", "model", "state",
	    "version", "version_before", "reason", NULL };
	const char	*v;
	size_t		 i;

	if (filter == NULL || *filter == '\0')
		return (1);
	for (i = 0; keys[i] != NULL; i++) {
		v = json_string_value(json_object_get(ph, keys[i]));
		if (v != NULL && strcasestr(v, filter) != NULL)
			return (1);
	}
	/* The short name its row shows matches too. */
	v = json_string_value(json_object_get(ph, "state"));
	if (v != NULL && strcmp(v, "repointed-quiet") == 0 &&
	    strcasestr("rp-quiet", filter) != NULL)
		return (1);
	return (0);
}

void
ui_fleet_refresh_visible(struct ui *ui)
{
	json_t		**rows, *ph;
	const char	 *m;
	char		  keep[CONTROL_MAC_LEN + 1] = "";
	size_t		  i, n = 0;

	/* The selection follows its phone, not its row. */
	if ((ph = ui_fleet_selected(ui)) != NULL &&
	    (m = json_string_value(json_object_get(ph, "mac"))) != NULL)
		snprintf(keep, sizeof keep, "%s", m);
	rows = xcalloc(json_array_size(ui->phones) + 1, sizeof *rows);
	json_array_foreach(ui->phones, i, ph) {
		if (ui_fleet_matches(ph, ui->filter))
			rows[n++] = ph;
	}
	ui_sort_key = ui->sort;
	qsort(rows, n, sizeof *rows, ui_fleet_compare);
	json_array_clear(ui->visible);
	for (i = 0; i < n; i++) {
		json_array_append(ui->visible, rows[i]);
		m = json_string_value(json_object_get(rows[i], "mac"));
		if (*keep != '\0' && m != NULL && strcmp(m, keep) == 0)
			ui->selected = i;
	}
	free(rows);
	if (n == 0)
		ui->selected = 0;
	else if (ui->selected >= n)
		ui->selected = n - 1;
}

json_t *
ui_fleet_selected(struct ui *ui)
{
	return (json_array_get(ui->visible, ui->selected));
}
