/*
 * Help, on every screen (? or F1): the keys of the screen it was asked from,
 * what the states mean, and how the same thing is done from a script.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static const char *const ui_help_dashboard[] = {
	"DASHBOARD - one row per phone the appliance has seen",
	"",
	"  Up/Down j/k   select a phone          PgUp/PgDn Home/End   move faster",
	"  Enter or v    the phone's page: timeline, transfers, syslog",
	"  h             hold the phone (it is left alone until released)",
	"  r             release a held phone",
	"  t             retry a failed or held phone from the start (asks",
	"                first)",
	"  x or Delete   forget the phone and its history (asks first)",
	"  m or F2       the menu: network, DHCP, packages, target versions,",
	"                CA, re-point, unknown-version policy, report, stop",
	"  i             import packages from a USB stick",
	"  e             export the report (to a USB stick)",
	"  /             filter the rows (MAC, IP, model, state or version)",
	"  s             change the sort order (state, MAC, IP, model, elapsed)",
	"  ^L            redraw the screen",
	"  q             leave the console; the appliance keeps working",
	"",
	"STATES, in the order a phone goes through them",
	"  seen        it asked for a file; not yet identified",
	"  identified  model and version known (User-Agent, DHCP option 60)",
	"              PROGRESS 'power-cycle': its BootROM must be updated",
	"              first, and asks only as the phone starts: unplug it,",
	"              or turn its PoE port off and on",
	"  upgrading   it is downloading its model's required software",
	"  rebooting   the image was sent whole; the phone is flashing it",
	"              (PROGRESS: 'silent 3:12', the time since its last",
	"              request; a phone that never comes back stays here)",
	"  current     it runs the required version",
	"  trusting    it was given the SHA-2 CA certificate",
	"  repointed   it was given the re-point (ZTP or your server)",
	"  rp-quiet    repointed-quiet: re-pointed, then no request for the",
	"              quiet period; that it reached ZTP (or your server) is",
	"              not verified from here (see the report)",
	"  verified    rp-quiet, and its CA and re-point host were checked",
	"              from here (serve --verify-via): the host resolved and",
	"              presented a chain that CA accepts; not a registration",
	"  failed      stopped, with the reason in the PROGRESS column:",
	"              'flash loop' (it took its image and came back",
	"              without it), 'old BootROM?' (it abandoned a 4.x",
	"              image), 'comes back' (it ignores the re-point),",
	"              'went back?' (older than it proved: two phones with",
	"              one MAC, or a reset);",
	"              Enter shows the whole reason and what to do",
	"  held        waiting for you (operator hold, unsupported model,",
	"              unknown version policy); release it with r",
	"              PROGRESS 'operator', 'not listed' (batch's",
	"              --only-inventory), 'not in table' (a model or part",
	"              the models table lacks: nothing is served to it),",
	"              'version ?' (the policy holds it until its version",
	"              is known)",
	"              PROGRESS 'need 4.1.7G' (or 'need BR4.0.0', a BootROM):",
	"              the library lacks that package; 'broken 5.4.1': its",
	"              package is damaged.  Import it (m, then 3): the phone",
	"              is released by itself and takes it at its next boot",
	"",
	"BEFORE>AFTER is the version the phone ran when first seen, and the one",
	"it runs (or will run).  On 80 columns versions are shortened to three",
	"parts; a wider terminal shows them whole.",
	"",
	"THE COMMAND LINE above the keys is the same action for a script: every",
	"action the console takes is a control request that 'ztp-rescue ctl'",
	"sends too.  'ztp-rescue batch' waits for a list of phones; see",
	"docs/batch.md.",
	NULL
};

static const char *const ui_help_phone[] = {
	"PHONE PAGE - everything the appliance knows about one phone",
	"",
	"  Up/Down PgUp/PgDn   scroll",
	"  h r t x             hold, release, retry, forget (as on the dashboard)",
	"  q or Esc            back to the dashboard",
	"",
	"PLAN is its upgrade plan: one step, or a chain when one step is not",
	"possible (a SIP 2.x/3.x phone: its BootROM first, '>' marks the step",
	"served now); each is proved by what the phone then reports before",
	"the next, and [H]/[M]/[L] is how sure the documentation is of it.",
	"TIMELINE is every state change with its evidence (the request, the",
	"header or the log line that proved it).  TRANSFERS are the files it",
	"fetched, over TFTP or HTTP, with their outcome: an image abandoned",
	"after its header means the phone already runs that version.  SYSLOG",
	"is what the phone itself logged to the appliance.",
	NULL
};

static const char *const ui_help_menu[] = {
	"MENUS AND LISTS",
	"",
	"  Up/Down        move            1-9     choose that line",
	"  Enter          choose          Esc/q   back",
	"",
	"Network: the interface the phones are on, and the appliance's address",
	"  on it.  DHCP: serve addresses on that interface only; the appliance",
	"  first listens for another DHCP server and warns if one answers -",
	"  serving next to a site's DHCP server breaks the site.",
	"Packages: import UC Software from a USB stick (a zip, a tar, a folder",
	"  or the whole stick).  Target version: which version each model gets.",
	"CA: the SHA-2 root certificate the phones learn to trust; the console",
	"  shows its subject, issuer, algorithm, expiry and fingerprint.",
	"Re-point: where the phones go afterwards: ZTP, or your server's URL.",
	"Report: one row per phone, as CSV or JSON, to a path (a USB stick).",
	NULL
};

static const char *const ui_help_dialog[] = {
	"DIALOGS",
	"",
	"  Typing a value:  Enter = OK, Esc = cancel, Backspace, ^U = clear",
	"  A question:      y = yes; n or Esc = no.  Destructive actions ask",
	"                   once, and do nothing unless you press y.",
	"  A message:       any key closes it.",
	NULL
};

void
ui_help(struct ui *ui, enum ui_help_topic topic)
{
	const char *const	*text;
	size_t			 n, top = 0, i;
	int			 ch, rows;

	switch (topic) {
	case UI_HELP_PHONE:
		text = ui_help_phone;
		break;
	case UI_HELP_MENU:
		text = ui_help_menu;
		break;
	case UI_HELP_DIALOG:
		text = ui_help_dialog;
		break;
	default:
		text = ui_help_dashboard;
		break;
	}
	for (n = 0; text[n] != NULL; n++)
		;
	for (;;) {
		erase();
		rows = LINES - 2;
		if (rows < 1)
			rows = 1;
		/* Scrolled on a short screen, then grown: fill it from above. */
		if (top + rows > n)
			top = n > (size_t)rows ? n - rows : 0;
		attron(A_REVERSE | A_BOLD);
		mvhline(0, 0, ' ', COLS);
		mvaddnstr(0, 0, " HELP  (Up/Down to scroll, q/Esc/? to close)",
		    COLS);
		attroff(A_REVERSE | A_BOLD);
		for (i = top; i < n && (int)(i - top) < rows; i++) {
			if (text[i][0] != ' ' && text[i][0] != '\0')
				attron(A_BOLD);
			mvaddnstr(1 + (int)(i - top), 1, text[i], COLS - 2);
			attroff(A_BOLD);
		}
		if (top + rows < n)
			mvaddnstr(LINES - 1, 1, "-- more below --", COLS - 2);
		refresh();
		ch = ui_getch(ui);
		switch (ch) {
		case UI_HANGUP:
		case 'q':
		case 27:
		case '?':
		case KEY_F(1):
			ui->dirty = 1;
			return;
		case KEY_UP:
		case 'k':
			if (top > 0)
				top--;
			break;
		case KEY_DOWN:
		case 'j':
			if (top + rows < n)
				top++;
			break;
		case KEY_PPAGE:
			top = top > (size_t)rows ? top - rows : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			if (top + rows < n)
				top += rows;
			break;
		}
	}
}
