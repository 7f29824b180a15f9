/*
 * The menu: everything the job needs besides the per-phone keys.  Network
 * and DHCP (ui-network.c), packages from a USB stick, the target version per
 * model (ui-target.c), the CA and the re-point,
 * the unknown-version policy, the report, and stopping the appliance.  Each
 * action shows its `ztp-rescue ctl` equivalent; each answer, good or bad, is
 * shown as the daemon wrote it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "fileio.h"
#include "control.h"
#include "xmalloc.h"
#include "ui.h"

/* Certificate files offered to pick from in a folder given for the CA. */
#define UI_CA_CHOICES_MAX	16

static void	ui_menu_ca(struct ui *);
static void	ui_menu_repoint(struct ui *);
static void	ui_menu_policy(struct ui *);
static void	ui_menu_library(struct ui *);
static void	ui_menu_stop(struct ui *);
static json_t	*ui_menu_import_wait(struct ui *, json_int_t, const char *,
		    char **);

const char *
ui_app(struct ui *ui, const char *key)
{
	const char	*s = json_string_value(json_object_get(json_object_get(
			    ui->status, "appliance"), key));

	return (s != NULL ? s : "?");
}

void
ui_show_error(struct ui *ui, const char *what, const char *error)
{
	ui_set_message(ui, 1, "%s: %s", what, error);
	ui_message_box(ui, what, error);
}

void
ui_menu(struct ui *ui)
{
	char		 dhcp[64], policy[64];
	const char	*items[10];
	int		 choice;

	snprintf(dhcp, sizeof dhcp, "DHCP on/off (now %s)", ui_app(ui,
	    "dhcp"));
	snprintf(policy, sizeof policy, "Unknown-version policy (now %s)",
	    ui_app(ui, "unknown_version"));
	items[0] = "Network: interface and address";
	items[1] = dhcp;
	items[2] = "Import packages from a USB stick";
	items[3] = "Target version per model";
	items[4] = "CA certificate to install";
	items[5] = "Re-point target (ZTP or a server)";
	items[6] = policy;
	items[7] = "Export the report (to a USB stick)";
	items[8] = "Library: packages on the appliance";
	items[9] = "Stop the appliance (all transfers end)";
	choice = ui_choose(ui, "Menu", items, 10, 0);
	switch (choice) {
	case 0:
		if (ui_menu_network(ui) == 0 && strcmp(ui_app(ui, "dhcp"),
		    "off") == 0 && ui_confirm(ui, "DHCP", "Serve DHCP on this "
		    "interface now?"))
			ui_menu_dhcp(ui);
		break;
	case 1:
		ui_menu_dhcp(ui);
		break;
	case 2:
		ui_menu_import(ui);
		break;
	case 3:
		ui_menu_target(ui);
		break;
	case 4:
		ui_menu_ca(ui);
		break;
	case 5:
		ui_menu_repoint(ui);
		break;
	case 6:
		ui_menu_policy(ui);
		break;
	case 7:
		ui_menu_export(ui);
		break;
	case 8:
		ui_menu_library(ui);
		break;
	case 9:
		ui_menu_stop(ui);
		break;
	}
	ui->dirty = 1;
}

/*
 * The daemon imports in a child process and keeps serving phones; the busy
 * box follows its "import" events until this job is done or failed.
 * Returns the last event (done or failed), or NULL with *error.
 */
static json_t *
ui_menu_import_wait(struct ui *ui, json_int_t job, const char *text,
    char **error)
{
	struct pollfd	 pfd;
	json_t		*ev, *st, *j;
	const char	*status;
	char		*box, bar[32], *what, *base, done[32], total[32];
	time_t		 checked = time(NULL);
	size_t		 i;
	int		 running;

	for (;;) {
		ui_poll_events(ui);
		if (ui_hangup || !ui->connected) {
			xasprintf(error, "the connection to the daemon was lost "
			    "during the import (it goes on: see 'ztp-rescue "
			    "library')");
			return (NULL);
		}
		ev = ui->import_ev;
		if (ev != NULL && json_integer_value(json_object_get(ev,
		    "job")) == job) {
			status = json_string_value(json_object_get(ev,
			    "status"));
			if (status != NULL && (strcmp(status, "done") == 0 ||
			    strcmp(status, "failed") == 0))
				return (json_incref(ev));
			if (status != NULL && strcmp(status, "progress") == 0) {
				ui_progress_bar(bar, sizeof bar,
				    json_number_value(json_object_get(ev,
				    "done")), json_number_value(
				    json_object_get(ev, "total")));
				control_fmt_bytes(json_number_value(
				    json_object_get(ev, "done")), done,
				    sizeof done);
				control_fmt_bytes(json_number_value(
				    json_object_get(ev, "total")), total,
				    sizeof total);
				what = control_text(ev, "what");
				base = strrchr(what, '/');
				xasprintf(&box, "Importing from %s (job %lld).\n"
				    "\n%s\n%s %s/%s\n\nPhones are served "
				    "meanwhile.", text, (long long)job,
				    base != NULL && base[1] != '\0' ? base + 1 :
				    what, bar, done, total);
				ui_busy(ui, "Importing packages", box);
				free(box);
				free(what);
			}
		}
		if (control_client_pending(ui->ev))
			continue;
		/* Events can be dropped for a slow reader: is it still on? */
		if (time(NULL) - checked >= 2) {
			checked = time(NULL);
			if ((st = ui_request(ui, "status", NULL, error)) ==
			    NULL)
				return (NULL);
			running = 0;
			json_array_foreach(json_object_get(json_object_get(st,
			    "appliance"), "jobs"), i, j) {
				if (json_integer_value(json_object_get(j,
				    "job")) == job)
					running = 1;
			}
			json_decref(st);
			/* Gone: its outcome is in the stream, or was lost. */
			if (!running && !control_client_pending(ui->ev)) {
				pfd.fd = control_client_fd(ui->ev);
				pfd.events = POLLIN;
				if (poll(&pfd, 1, 500) > 0)
					continue;
				xasprintf(error, "import job %lld ended but "
				    "its outcome was not received: see "
				    "'ztp-rescue library'", (long long)job);
				return (NULL);
			}
			if (!running)
				continue;
		}
		pfd.fd = control_client_fd(ui->ev);
		pfd.events = POLLIN;
		pfd.revents = 0;
		poll(&pfd, 1, 250);
	}
}

void
ui_menu_import(struct ui *ui)
{
	json_t	*args, *r, *id;
	char	*path, *error = NULL, *text, *esc, *next;
	size_t	 i;

	path = ui_stick_mount();
	text = ui_input_path(ui, "Import packages", "Path of the UC Software "
	    "on the USB stick: a zip, a tar, a folder, or the whole stick:",
	    path);
	free(path);
	if (text == NULL)
		return;
	xasprintf(&esc, "paths[]=%s", text);
	ui_cmdline(ui, "ctl", "import", esc, NULL);
	free(esc);
	ui_set_message(ui, 0, "importing from %s...", text);
	xasprintf(&esc, "Importing from %s.\n\nEvery file is checked against "
	    "its manifest as it is copied; a large stick can take a few "
	    "minutes.  Phones are served meanwhile.", text);
	ui_busy(ui, "Importing packages", esc);
	free(esc);
	json_decref(ui->import_ev);
	ui->import_ev = NULL;
	args = json_pack("{s:[s]}", "paths", text);
	r = ui_request(ui, "import", args, &error);
	json_decref(args);
	if (r != NULL && json_object_get(r, "job") != NULL) {
		id = ui_menu_import_wait(ui, json_integer_value(
		    json_object_get(r, "job")), text, &error);
		json_decref(r);
		r = id;
		/* Failed with nothing imported: only the error to say. */
		if (r != NULL && json_object_get(r, "error") != NULL &&
		    json_array_size(json_object_get(r, "imported")) == 0) {
			error = control_text_lines(r, "error");
			json_decref(r);
			r = NULL;
		}
	}
	if (r == NULL) {
		/* As the export says it: what to check, not only errno. */
		if (error != NULL && strstr(error, strerror(ENOENT)) != NULL) {
			xasprintf(&next, "%s: is the stick plugged in and "
			    "mounted there?", error);
			free(error);
			error = next;
		}
		ui_show_error(ui, "Import", error);
		free(error);
		free(text);
		return;
	}
	xasprintf(&esc, "Imported %zu package(s) from %s%s",
	    json_array_size(json_object_get(r, "imported")), text,
	    json_array_size(json_object_get(r, "imported")) > 0 ? ":" : ".");
	json_array_foreach(json_object_get(r, "imported"), i, id) {
		xasprintf(&next, "%s\n  %s", esc, json_string_value(id) != NULL ?
		    json_string_value(id) : "?");
		free(esc);
		esc = next;
	}
	/* "Imported 0 packages:" said nothing of the ones already there. */
	if (json_array_size(json_object_get(r, "present")) > 0) {
		xasprintf(&next, "%s\n\nAlready in the library, with the same "
		    "files (nothing to do):", esc);
		free(esc);
		esc = next;
		json_array_foreach(json_object_get(r, "present"), i, id) {
			xasprintf(&next, "%s\n  %s", esc,
			    json_string_value(id) != NULL ?
			    json_string_value(id) : "?");
			free(esc);
			esc = next;
		}
	}
	/* Some imported, some not: both are said (only the failure was). */
	if (json_object_get(r, "error") != NULL) {
		error = control_text_lines(r, "error");
		xasprintf(&next, "%s\n\nNot imported:\n%s", esc, error);
		free(esc);
		esc = next;
		free(error);
		ui_set_message(ui, 1, "imported %zu package(s) from %s; some "
		    "were not (see the box)", json_array_size(json_object_get(
		    r, "imported")), text);
	} else if (json_array_size(json_object_get(r, "present")) > 0)
		ui_set_message(ui, 0, "%zu package(s) already in the library, "
		    "%zu imported from %s", json_array_size(json_object_get(r,
		    "present")), json_array_size(json_object_get(r,
		    "imported")), text);
	else
		ui_set_message(ui, 0, "imported %zu package(s) from %s",
		    json_array_size(json_object_get(r, "imported")), text);
	ui_message_box(ui, "Import", esc);
	free(esc);
	free(text);
	json_decref(r);
}

static int
ui_menu_ca_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The certificate files in a folder (the stick's ca/): the one there, or
 * the one the technician picks among several; NULL with *why (NULL when
 * the pick was cancelled).
 */
static char *
ui_menu_ca_in(struct ui *ui, const char *dir, char **why)
{
	static const char *const exts[] = {
		".pem", ".crt", ".cer", ".der", ".p7b"
	};
	struct dirent	*de;
	DIR		*d;
	char		*names[UI_CA_CHOICES_MAX], *found = NULL;
	size_t		 len, i, n = 0, more = 0;
	int		 choice;

	*why = NULL;
	if ((d = opendir(dir)) == NULL) {
		xasprintf(why, "cannot read the folder %s: %s", dir,
		    strerror(errno));
		return (NULL);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		for (i = 0; i < sizeof exts / sizeof exts[0]; i++) {
			if (len > 4 && strcasecmp(de->d_name + len - 4,
			    exts[i]) == 0)
				break;
		}
		if (i == sizeof exts / sizeof exts[0] || de->d_name[0] == '.')
			continue;
		if (n < UI_CA_CHOICES_MAX)
			names[n++] = xstrdup(de->d_name);
		else
			more++;
	}
	closedir(d);
	if (n == 0) {
		xasprintf(why, "the folder %s holds no certificate file "
		    "(.pem, .crt, .cer, .der or .p7b): give the CA file's "
		    "path", dir);
		return (NULL);
	}
	qsort(names, n, sizeof names[0], ui_menu_ca_cmp);
	choice = 0;
	if (n > 1 && more == 0)
		choice = ui_choose(ui, "Which CA certificate?",
		    (const char *const *)names, n, 0);
	else if (more > 0) {
		xasprintf(why, "the folder %s holds more than %d certificate "
		    "files: give the path of the CA to install", dir,
		    UI_CA_CHOICES_MAX);
		choice = -1;
	}
	if (choice >= 0)
		xasprintf(&found, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ?
		    "" : "/", names[choice]);
	for (i = 0; i < n; i++)
		free(names[i]);
	return (found);
}

static void
ui_menu_ca(struct ui *ui)
{
	static const char *const fields[][2] = {
		{ "Subject", "subject" }, { "Issuer", "issuer" },
		{ "Algorithm", "algorithm" }, { "Valid from", "not_before" },
		{ "Expires", "not_after" }, { "SHA-256", "sha256" }
	};
	json_t	*args, *r;
	char	*path, *error = NULL, *text, *t, *next, *usb, arg[1100];
	struct stat sb;
	size_t	 i;

	usb = ui_stick_mount();
	xasprintf(&path, "%s/", usb);
	free(usb);
	text = ui_input_path(ui, "CA certificate", "Path of the SHA-2 root "
	    "CA (PEM, or DER as Windows exports it) the phones must trust:",
	    path);
	free(path);
	if (text == NULL)
		return;
	if (stat(text, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		path = ui_menu_ca_in(ui, text, &error);
		free(text);
		if ((text = path) == NULL) {
			if (error == NULL)
				return;	/* the pick was cancelled */
			ui_show_error(ui, "CA certificate", error);
			free(error);
			return;
		}
	}
	snprintf(arg, sizeof arg, "pem=%s", text);
	ui_cmdline(ui, "ctl", "set-ca", arg, NULL);
	args = json_pack("{s:s}", "pem", text);
	r = ui_request(ui, "set-ca", args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "CA refused", error);
		free(error);
		free(text);
		return;
	}
	xasprintf(&t, "Installed %s; phones learn to trust it in the "
	    "trusting step.\n", text);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		path = control_text(r, fields[i][1]);
		xasprintf(&next, "%s\n%-11s %s", t, fields[i][0], path);
		free(path);
		free(t);
		t = next;
	}
	ui_set_message(ui, 0, "CA installed from %s", text);
	ui_message_box(ui, "CA certificate", t);
	free(t);
	free(text);
	json_decref(r);
}

static void
ui_menu_repoint(struct ui *ui)
{
	static const char *const items[] = {
		"ZTP (Poly's zero touch provisioning)",
		"A provisioning server (give its URL)"
	};
	json_t	*args, *r;
	char	*url = NULL, *trimmed = NULL, *error = NULL, arg[1100];
	int	 choice;

	choice = ui_choose(ui, "After recovery, phones go to", items, 2, 0);
	if (choice < 0)
		return;
	if (choice == 1) {
		url = ui_input(ui, "Provisioning server", "URL of the "
		    "provisioning server (for example https://prov.example.com"
		    "/):", "https://");
		if (url == NULL)
			return;
		/* Pasted with a blank at an end: not part of the URL. */
		trimmed = fileio_trim(url);
		snprintf(arg, sizeof arg, "url=%s", trimmed);
		ui_cmdline(ui, "ctl", "set-repoint", "target=server", arg,
		    NULL);
		args = json_pack("{s:s,s:s}", "target", "server", "url",
		    trimmed);
	} else {
		ui_cmdline(ui, "ctl", "set-repoint", "target=ztp", NULL);
		args = json_pack("{s:s}", "target", "ztp");
	}
	r = ui_request(ui, "set-repoint", args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "Re-point", error);
		free(error);
	} else {
		ui_set_message(ui, 0, "phones will be re-pointed to %s",
		    url != NULL ? trimmed : "ZTP");
		json_decref(r);
	}
	free(url);
}

static void
ui_menu_policy(struct ui *ui)
{
	static const char *const items[] = {
		"upgrade: serve the model's target version anyway",
		"hold: wait for the technician"
	};
	json_t	*args, *r;
	char	*error = NULL;
	int	 choice;

	choice = ui_choose(ui, "A phone whose version is unknown", items, 2,
	    strcmp(ui_app(ui, "unknown_version"), "hold") == 0);
	if (choice < 0)
		return;
	ui_cmdline(ui, "ctl", "set-policy", choice == 0 ?
	    "unknown_version=upgrade" : "unknown_version=hold", NULL);
	args = json_pack("{s:s}", "unknown_version", choice == 0 ? "upgrade" :
	    "hold");
	r = ui_request(ui, "set-policy", args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "Policy", error);
		free(error);
		return;
	}
	ui_set_message(ui, 0, "unknown versions: %s", choice == 0 ? "upgrade" :
	    "hold");
	json_decref(r);
}

void
ui_menu_export(struct ui *ui)
{
	json_t	*args, *r;
	char	*usb, *def, *path, *error = NULL, *p, stamp[32], a1[16];
	char	 a2[1100];
	time_t	 now = time(NULL);
	struct stat sb;
	size_t	 len;
	int	 csv;

	usb = ui_stick_export_folder(ui, "/proc/mounts");
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M", localtime(&now));
	xasprintf(&def, "%s/ztp-rescue-report-%s.csv", usb, stamp);
	free(usb);
	path = ui_input_path(ui, "Export the report", "Path of the report "
	    "(.csv for a spreadsheet, .json for a program):", def);
	free(def);
	if (path == NULL)
		return;
	/* A folder: the dated name goes in it ("Is a directory" before). */
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		xasprintf(&p, "%s%sztp-rescue-report-%s.csv", path,
		    path[strlen(path) - 1] == '/' ? "" : "/", stamp);
		free(path);
		path = p;
	}
	len = strlen(path);
	csv = len > 4 && strcasecmp(path + len - 4, ".csv") == 0;
	snprintf(a1, sizeof a1, "format=%s", csv ? "csv" : "json");
	snprintf(a2, sizeof a2, "out=%s", path);
	ui_cmdline(ui, "ctl", "report", a1, a2, NULL);
	args = json_pack("{s:s,s:s}", "format", csv ? "csv" : "json", "out",
	    path);
	r = ui_request(ui, "report", args, &error);
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "Report", error);
		free(error);
		free(path);
		return;
	}
	p = control_text(r, "path");
	ui_set_message(ui, 0, "report written to %s", p);
	free(p);
	free(path);
	json_decref(r);
}

static void
ui_menu_library(struct ui *ui)
{
	json_t	*lib, *p, *part;
	char	*error = NULL, *t, *next, *id, *v, *damage;
	size_t	 i, k;

	ui_cmdline(ui, "ctl", "library", NULL);
	if ((lib = ui_request(ui, "library", NULL, &error)) == NULL) {
		ui_show_error(ui, "Library", error);
		free(error);
		return;
	}
	t = control_text(lib, "library");
	xasprintf(&next, "%zu package(s) in %s", json_array_size(
	    json_object_get(lib, "packages")), t);
	free(t);
	t = next;
	json_array_foreach(json_object_get(lib, "packages"), i, p) {
		id = control_text(p, "id");
		v = control_text(p, "version");
		damage = control_text(p, "damage");
		xasprintf(&next, "%s\n%s  %s%s%s", t, v, id,
		    strcmp(damage, "-") != 0 ? "  DAMAGED: " : "",
		    strcmp(damage, "-") != 0 ? damage : "");
		free(t);
		t = next;
		json_array_foreach(json_object_get(p, "parts"), k, part) {
			xasprintf(&next, "%s%s%s", t, k == 0 ? "\n    parts " :
			    " ", json_string_value(part) != NULL ?
			    json_string_value(part) : "?");
			free(t);
			t = next;
		}
		free(id);
		free(v);
		free(damage);
	}
	ui_message_box(ui, "Library", t);
	free(t);
	json_decref(lib);
}

static void
ui_menu_stop(struct ui *ui)
{
	json_t	*r;
	char	*error = NULL;

	if (!ui_confirm(ui, "Stop the appliance", "Stop the appliance "
	    "daemon?  Every transfer in progress ends and phones are no "
	    "longer served until it is started again.  (Leaving the console "
	    "with q does NOT stop it.)"))
		return;
	ui_cmdline(ui, "ctl", "shutdown", NULL);
	if ((r = ui_request(ui, "shutdown", NULL, &error)) == NULL) {
		ui_show_error(ui, "Stop", error);
		free(error);
		return;
	}
	json_decref(r);
	ui_set_message(ui, 0, "the daemon is stopping");
	ui->quit = 1;
}
