/*
 * The console's connection and main loop.  Two connections to the daemon:
 * one subscribed to events, one for requests, so an answer never waits
 * behind a burst of progress events.  The loop polls the terminal and the
 * event stream; a lost daemon turns into a "reconnecting" banner and a retry
 * every second; a lost terminal (SIGHUP, EOF) ends the console and nothing
 * else: it puts the terminal back if it can, then dies of the signal.
 */
#include <sys/types.h>

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control.h"
#include "termsafe.h"
#include "xmalloc.h"
#include "ui.h"

/* Refresh the whole status document this often (the header's figures). */
#define UI_STATUS_SECS 5

/* The signal that ends the console (SIGHUP for a lost terminal), or 0. */
volatile sig_atomic_t	 ui_hangup;

static void	ui_signal(int);
static int	ui_connect(struct ui *, int, char **);
static void	ui_disconnect(struct ui *, const char *);
static void	ui_tick(struct ui *);
static void	ui_free(struct ui *);
static void	ui_colours(struct ui *);
static void	ui_die(int);

static void
ui_signal(int sig)
{
	ui_hangup = sig;
}

/*
 * Ended by a signal or a lost terminal: die of that signal, as a program
 * that catches one to clean up should, so that the parent sees why.  And no
 * exit handlers: the sanitized build's leak checker stops the process
 * (SIGSTOP) at exit, and the SIGCONT the kernel sends the terminal's process
 * group when the shell that started the console exits on the hangup cancels
 * that stop; the checker then waited for it forever, spinning.
 */
static void
ui_die(int sig)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig);
	_exit(128 + sig);	/* the signal is blocked: a shell's status */
}

static int
ui_connect(struct ui *ui, int autostart, char **cause)
{
	json_t	*r;

	if ((ui->req = control_open(ui->state_dir, autostart, cause)) == NULL)
		return (-1);
	if ((ui->ev = control_open(ui->state_dir, 0, cause)) == NULL)
		goto fail;
	if ((r = control_request(ui->ev, "subscribe", NULL, cause)) == NULL)
		goto fail;
	json_decref(r);
	if ((r = control_request(ui->req, "status", NULL, cause)) == NULL)
		goto fail;
	ui_fleet_set_status(ui, r);
	json_decref(r);
	/* Events that came before the status document are older than it. */
	control_client_discard_events(ui->ev);
	ui->connected = 1;
	ui->attempts = 0;
	free(ui->lost_reason);
	ui->lost_reason = NULL;
	ui->dirty = 1;
	return (0);

fail:
	control_client_free(ui->req);
	control_client_free(ui->ev);
	ui->req = ui->ev = NULL;
	return (-1);
}

static void
ui_disconnect(struct ui *ui, const char *why)
{
	control_client_free(ui->req);
	control_client_free(ui->ev);
	ui->req = ui->ev = NULL;
	ui->connected = 0;
	free(ui->lost_reason);
	ui->lost_reason = xstrdup(why != NULL ? why : "connection lost");
	/* Not "connected to ..." under the banner any more. */
	ui_set_message(ui, 1, "the daemon is gone: nothing is sent until it "
	    "is back");
	ui->dirty = 1;
}

json_t *
ui_request(struct ui *ui, const char *cmd, json_t *args, char **cause)
{
	json_t	*r, *st;
	char	*why = NULL;

	if (!ui->connected) {
		xasprintf(cause, "not connected to the daemon (reconnecting "
		    "to %s/%s)", ui->state_dir, CONTROL_SOCKET_NAME);
		return (NULL);
	}
	r = control_request(ui->req, cmd, args, cause);
	if (r == NULL && control_client_dead(ui->req))
		ui_disconnect(ui, *cause);
	/*
	 * Names from phones, sticks and certificates: shown, never obeyed.
	 * An import's error keeps one line per file refused.
	 */
	if (r != NULL)
		termsafe_json_lines(r, "error");
	/*
	 * A setting changed: the header and the menu's "(now ...)" read it
	 * from the status, which was read again only every few seconds.
	 */
	if (r != NULL && strncmp(cmd, "set-", 4) == 0 &&
	    (st = control_request(ui->req, "status", NULL, &why)) != NULL) {
		ui_fleet_set_status(ui, st);
		json_decref(st);
	} else if (r != NULL && strncmp(cmd, "set-", 4) == 0)
		free(why);
	return (r);
}

/* Read every event already waiting; never blocks. */
void
ui_poll_events(struct ui *ui)
{
	json_t		*ev, *r;
	const char	*name;
	char		*error = NULL;

	while (ui->connected) {
		ev = control_next_event(ui->ev, 0, &error);
		if (ev == NULL) {
			if (error != NULL) {
				ui_disconnect(ui, error);
				free(error);
			}
			return;
		}
		termsafe_json_lines(ev, "error");
		name = json_string_value(json_object_get(ev, "event"));
		if (name == NULL)
			name = "";
		if (strcmp(name, "phone") == 0)
			ui_fleet_update_phone(ui, json_object_get(ev, "phone"));
		else if (strcmp(name, "forgotten") == 0 &&
		    json_is_string(json_object_get(ev, "mac")))
			ui_fleet_remove(ui, json_string_value(json_object_get(ev,
			    "mac")));
		else if (strcmp(name, "transfer") == 0)
			ui_fleet_update_transfer(ui, json_object_get(ev,
			    "transfer"));
		else if (strcmp(name, "log") == 0)
			ui_fleet_add_log(ui, ev);
		else if (strcmp(name, "import") == 0) {
			json_decref(ui->import_ev);
			ui->import_ev = json_incref(ev);
		}
		else if (strcmp(name, "dropped") == 0) {
			/* We missed some: start again from the document. */
			r = ui_request(ui, "status", NULL, &error);
			if (r != NULL) {
				ui_fleet_set_status(ui, r);
				json_decref(r);
			} else
				free(error);
			error = NULL;
		}
		json_decref(ev);
		ui->dirty = 1;
	}
}

static void
ui_tick(struct ui *ui)
{
	json_t	*r;
	char	*error = NULL;

	if (!ui->connected) {
		ui->attempts++;
		if (ui_connect(ui, 0, &error) == 0)
			ui_set_message(ui, 0, "reconnected to the daemon");
		else
			free(error);
		ui->dirty = 1;
		return;
	}
	if (time(NULL) - ui->status_at >= UI_STATUS_SECS) {
		if ((r = ui_request(ui, "status", NULL, &error)) != NULL) {
			ui_fleet_set_status(ui, r);
			json_decref(r);
		} else
			free(error);
	}
	ui->dirty = 1;		/* elapsed times move */
}

/*
 * Wait for a key, keeping the event stream drained and the connection
 * retried.  UI_HANGUP when the terminal is gone, ERR when the screen
 * should be redrawn.
 */
int
ui_getch(struct ui *ui)
{
	struct pollfd	pfd[2];
	time_t		last = time(NULL);
	int		ch, n;

	for (;;) {
		if (ui_hangup)
			return (UI_HANGUP);
		if ((ch = getch()) != ERR)
			return (ch);
		if (ui->connected && control_client_pending(ui->ev)) {
			ui_poll_events(ui);
			continue;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1;
		if (ui->connected) {
			pfd[1].fd = control_client_fd(ui->ev);
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		if ((poll(pfd, n, 1000) == -1 && errno != EINTR) ||
		    (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			ui_hangup = SIGHUP;
			return (UI_HANGUP);
		}
		if (n == 2 && pfd[1].revents != 0)
			ui_poll_events(ui);
		if (time(NULL) != last) {
			last = time(NULL);
			ui_tick(ui);
			return (ERR);	/* let the caller redraw */
		}
		if (ui->dirty && !(pfd[0].revents & POLLIN))
			return (ERR);
	}
}

void
ui_redraw(struct ui *ui)
{
	erase();
	if (ui->background != NULL)
		ui->background(ui, ui->background_arg);
	else
		ui_dashboard_draw(ui);
	ui->dirty = 0;
}

static void
ui_colours(struct ui *ui)
{
	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(UI_COLOUR_GOOD, COLOR_GREEN, -1);
	init_pair(UI_COLOUR_BUSY, COLOR_CYAN, -1);
	init_pair(UI_COLOUR_WARN, COLOR_YELLOW, -1);
	init_pair(UI_COLOUR_BAD, COLOR_RED, -1);
	init_pair(UI_COLOUR_BAR, COLOR_WHITE, COLOR_BLUE);
	init_pair(UI_COLOUR_BANNER, COLOR_WHITE, COLOR_RED);
	ui->colours = 1;
}

static void
ui_free(struct ui *ui)
{
	control_client_free(ui->req);
	control_client_free(ui->ev);
	json_decref(ui->status);
	json_decref(ui->phones);
	json_decref(ui->log);
	json_decref(ui->visible);
	json_decref(ui->import_ev);
	free(ui->lost_reason);
	free(ui->filter);
	free(ui->message);
	free(ui->cmdline);
}

int
ui_main(const char *state_dir, int autostart, int setup_network, int demo,
    char **cause)
{
	struct ui		 ui;
	struct sigaction	 sa;
	SCREEN			*scr;
	int			 ch;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("the console needs a terminal; scripts use "
		    "'ztp-rescue batch', 'watch' or 'status'");
		return (-1);
	}
	memset(&ui, 0, sizeof ui);
	ui.state_dir = state_dir;
	ui.demo = demo;
	ui.phones = json_array();
	ui.log = json_array();
	ui.visible = json_array();
	if (ui_connect(&ui, autostart, cause) != 0) {
		ui_free(&ui);
		return (-1);
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((scr = newterm(NULL, stdout, stdin)) == NULL) {
		*cause = xstrdup("cannot start curses on this terminal (is "
		    "TERM set?)");
		ui_free(&ui);
		return (-1);
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	ESCDELAY = 50;
	ui_colours(&ui);
	ui_cmdline(&ui, "status", NULL);
	ui_set_message(&ui, 0, "connected to %s/%s; ? for help",
	    state_dir, CONTROL_SOCKET_NAME);
	ui.dirty = 1;
	if (setup_network) {
		ui_redraw(&ui);
		refresh();
		ui_menu_network_start(&ui);
	}

	while (!ui.quit && !ui_hangup) {
		if (ui.dirty) {
			ui_redraw(&ui);
			refresh();
		}
		ch = ui_getch(&ui);
		if (ch == UI_HANGUP)
			break;
		if (ch == ERR)
			continue;
		ui_dashboard_key(&ui, ch);
		ui.dirty = 1;
	}
	if (!ui_hangup) {
		erase();
		refresh();
	}
	endwin();
	delscreen(scr);
	ui_free(&ui);
	if (ui_hangup != 0)
		ui_die(ui_hangup);
	return (0);
}
