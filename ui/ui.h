/*
 * The console: an ncurses client of the daemon's control socket (as tmux's
 * client is of its server).  It owns no state that matters: if it dies or
 * its terminal closes, transfers go on, and a new console picks up from the
 * daemon's status document.  ASCII only, so it works on the 80x24 Linux VT.
 *
 * Files: ui-main.c (connection, loop, signals), ui-fleet.c (the phones as the
 * daemon last described them), ui-dashboard.c, ui-menu.c, ui-network.c,
 * ui-phone.c, ui-dialogs.c, ui-help.c, ui-cmdline.c (the equivalent command
 * lines).
 */
#ifndef ZTP_UI_H
#define ZTP_UI_H

#include <signal.h>
#include <time.h>

#include <jansson.h>

struct control_client;

/* What ui_getch() returns when the terminal is gone (beyond curses' keys). */
#define UI_HANGUP 0x10000

enum ui_sort {
	UI_SORT_STATE = 0,
	UI_SORT_MAC,
	UI_SORT_IP,
	UI_SORT_MODEL,
	UI_SORT_ELAPSED,
	UI_SORT_COUNT
};

enum ui_colour {
	UI_COLOUR_NONE = 0,
	UI_COLOUR_GOOD,		/* repointed-quiet */
	UI_COLOUR_BUSY,		/* transfers, reboots */
	UI_COLOUR_WARN,		/* held, warnings */
	UI_COLOUR_BAD,		/* failed, errors */
	UI_COLOUR_BAR,		/* title and key bars */
	UI_COLOUR_BANNER	/* reconnecting */
};

struct ui {
	const char		*state_dir;
	struct control_client	*req;		/* requests and answers */
	struct control_client	*ev;		/* the event stream */
	int			 connected;
	int			 attempts;	/* reconnection attempts */
	char			*lost_reason;

	json_t			*status;	/* the last status document */
	json_t			*phones;	/* array, kept current by events */
	json_t			*log;		/* the last log lines */
	time_t			 status_at;

	/* The dashboard. */
	size_t			 selected;	/* index among visible rows */
	size_t			 top;
	enum ui_sort		 sort;
	char			*filter;
	json_t			*visible;	/* sorted, filtered phones */

	/* The two lines above the key bar. */
	char			*message;
	int			 message_bad;
	char			*cmdline;

	/* What is under a dialog: the dashboard, or a phone's page. */
	void			(*background)(struct ui *, void *);
	void			*background_arg;

	int			 colours;
	int			 demo;		/* simulated phones, synthetic
						   firmware: said on top */
	int			 quit;
	int			 dirty;

	json_t			*import_ev;	/* the last "import" event */
};

/* ui-main.c */
int		 ui_main(const char *, int, int, int, char **);
json_t		*ui_request(struct ui *, const char *, json_t *, char **);
int		 ui_getch(struct ui *);
void		 ui_redraw(struct ui *);
void		 ui_poll_events(struct ui *);
extern volatile sig_atomic_t ui_hangup;

/* ui-fleet.c */
void		 ui_fleet_set_status(struct ui *, json_t *);
void		 ui_fleet_update_phone(struct ui *, json_t *);
void		 ui_fleet_remove(struct ui *, const char *);
void		 ui_fleet_update_transfer(struct ui *, json_t *);
void		 ui_fleet_add_log(struct ui *, json_t *);
void		 ui_fleet_refresh_visible(struct ui *);
json_t		*ui_fleet_selected(struct ui *);
json_t		*ui_fleet_find(struct ui *, const char *);
unsigned int	 ui_fleet_count(struct ui *, const char *);
long		 ui_fleet_elapsed(json_t *);
long		 ui_fleet_silent(json_t *);
/* 1 when the filter is in a phone's MAC, IP, model, state, versions,
 * reason, or the short state its row shows. */
int		 ui_fleet_matches(json_t *, const char *);
/* Two addresses in address order (strcmp-like). */
int		 ui_ip_compare(const char *, const char *);
const char	*ui_sort_name(enum ui_sort);
int		 ui_state_rank(const char *);

/* ui-dashboard.c */
void		 ui_dashboard_draw(struct ui *);
int		 ui_dashboard_key(struct ui *, int);
void		 ui_draw_bars(struct ui *, const char *);
void		 ui_progress_bar(char *, size_t, double, double);
/* A row's PROGRESS column, width wide; 1 when it is why the phone waits. */
int		 ui_row_progress(json_t *, int, char *, size_t);
int		 ui_attr_for_state(struct ui *, const char *);

/* ui-stick.c */
char		*ui_stick_find(const char *, int);
char		*ui_stick_mount(void);
char		*ui_stick_export_folder(struct ui *, const char *);

/* ui-short.c */
int		 ui_reason_short(const char *, char *, size_t);
void		 ui_report_hint(const char *, char *, size_t);

/* ui-phone.c */
void		 ui_phone_view(struct ui *, const char *);
int		 ui_phone_action(struct ui *, const char *, const char *);
char		*ui_forget_question(const char *, const char *);
/* One timeline, transfer or syslog entry of the phone page, as a line. */
char		*ui_entry_text(json_t *);

/* ui-menu.c */
void		 ui_menu(struct ui *);
const char	*ui_app(struct ui *, const char *);
void		 ui_show_error(struct ui *, const char *, const char *);
void		 ui_menu_import(struct ui *);
void		 ui_menu_export(struct ui *);

/* ui-target.c */
void		 ui_menu_target(struct ui *);
json_t		*ui_target_versions(json_t *, json_t *, const char *, char **);

/* ui-network.c */
#define UI_DEFAULT_ADDRESS	"10.99.0.1/24"	/* an isolated segment's */
int		 ui_menu_network(struct ui *);
void		 ui_menu_dhcp(struct ui *);
void		 ui_menu_network_start(struct ui *);

/* ui-dialogs.c */
/* Lines of at most width columns (free each, then the array). */
size_t		 ui_wrap(const char *, int, char ***);
int		 ui_confirm(struct ui *, const char *, const char *);
char		*ui_input(struct ui *, const char *, const char *,
		    const char *);
char		*ui_input_path(struct ui *, const char *, const char *,
		    const char *);
char		*ui_path_clean(char *);
int		 ui_choose(struct ui *, const char *, const char *const *,
		    size_t, size_t);
void		 ui_message_box(struct ui *, const char *, const char *);
void		 ui_busy(struct ui *, const char *, const char *);
void		 ui_set_message(struct ui *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* ui-help.c */
enum ui_help_topic {
	UI_HELP_DASHBOARD,
	UI_HELP_PHONE,
	UI_HELP_MENU,
	UI_HELP_DIALOG
};
void		 ui_help(struct ui *, enum ui_help_topic);

/* ui-cmdline.c */
void		 ui_cmdline(struct ui *, const char *, ...);
char		*ui_quote(const char *);

#endif
