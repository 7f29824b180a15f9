/*
 * The control socket: how the console, batch mode and status/watch talk to
 * the daemon (tmux's client/server model).  A unix stream socket in the state
 * directory, mode 0600, carrying JSON lines; see docs/control-protocol.md.
 * The daemon registers one handler per command; subscribers get a stream of
 * events.
 */
#ifndef ZTP_CONTROL_H
#define ZTP_CONTROL_H

#include <jansson.h>

#define CONTROL_PROTOCOL_VERSION 1
#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_LOCK_NAME "control.sock.lock"
#define CONTROL_DEFAULT_STATE "/var/lib/ztp-rescue"
/*
 * The first words of a hold's reason when the phone waits for a package
 * (serve-package.c); the console shortens such a reason to what to import.
 */
#define CONTROL_LACKS_IMAGE	"the library has no UC Software "
#define CONTROL_DAMAGED_IMAGE	"the library's UC Software "
#define CONTROL_LACKS_BOOTROM	"the library has no BootROM package "
/* The report kept on the stick (serve --report-dir) cannot be written. */
#define CONTROL_REPORT_NOT_KEPT "the report on the stick is not kept up " \
	"to date (every record is in the journal: 'ztp-rescue report' " \
	"writes it anywhere; the daemon tries again every 5 s)"
/* What status, batch and the log say while no CA is installed. */
#define CONTROL_NO_CA "no CA certificate is installed: phones that run " \
	"their target wait at 'current' for it; install it (the console's " \
	"menu, CA certificate, or 'ztp-rescue ctl set-ca pem=FILE') and " \
	"they take it at their next boot"

/* A line longer than this is refused (and the connection closed). */
#define CONTROL_LINE_MAX (4 * 1024 * 1024)
/*
 * Bytes of events queued for one subscriber before further events are
 * dropped (the subscriber is then told how many with a "dropped" event), so
 * a slow console never stalls the daemon.
 */
#define CONTROL_QUEUE_MAX (1024 * 1024)
/* How long a client waits for an autostarted daemon's socket. */
#define CONTROL_AUTOSTART_MS 15000
/*
 * Environment override of the autostart command (tests, the demo): run with
 * /bin/sh -c, the state directory as $1.
 */
#define CONTROL_SERVE_ENV "ZTP_RESCUE_SERVE"

struct event_base;
struct control_server;
struct control_client;

/*
 * Handle one request: args is the request's "args" object (never NULL).
 * Return 0 with *result set (a new reference, may be NULL for none), or -1
 * with *error set to an allocated sentence for the client.  A handler must
 * not free the server; "shutdown" should answer and then leave the loop
 * (event_base_loopexit), and control_server_free() flushes the answer.
 */
typedef int (*control_handler)(void *, json_t *, json_t **, char **);

/*
 * A handler that cannot answer at once (it waits for a child or a timer)
 * calls control_later() and returns CONTROL_LATER; the loop goes on serving
 * every client, and that client's next requests wait for the answer, which
 * control_answer() sends (result stolen, or error) and which frees the
 * handle.  A client gone meanwhile: control_answer() only frees it.
 */
#define CONTROL_LATER	1
struct control_later;
struct control_later	*control_later(struct control_server *);
void			 control_answer(struct control_later *, json_t *,
			    const char *);

/* Does a daemon answer on this socket path?  1 with *cause saying so. */
int			 control_server_answered(const char *, char **);
/* Listen on STATE/control.sock (state_dir must exist).  NULL with *cause. */
struct control_server	*control_server_start(struct event_base *,
			    const char *, char **);
void			 control_server_free(struct control_server *);
void			 control_register(struct control_server *, const char *,
			    control_handler, void *);
/* Send {"v":1,"event":name, ...payload fields} to every subscriber (steals payload). */
void			 control_broadcast(struct control_server *, const char *,
			    json_t *);
/* Clients connected, and how many of them subscribe. */
unsigned int		 control_server_clients(struct control_server *,
			    unsigned int *);

/*
 * Connect to the daemon of state_dir.  With autostart (serve_argv not NULL),
 * a missing daemon is started (serve_argv, race-free with a lock file, as
 * tmux does).
 */
struct control_client	*control_connect(const char *, char *const *, char **);
void			 control_client_free(struct control_client *);
/* One request, one answer.  NULL with *error on failure. */
json_t			*control_request(struct control_client *, const char *,
			    json_t *, char **);
int			 control_client_fd(const struct control_client *);
/*
 * After "subscribe": the next event, waiting up to timeout_ms (-1 forever).
 * NULL with *error set when the connection failed or closed; NULL with
 * *error left NULL when the time ran out.
 */
json_t			*control_next_event(struct control_client *, int,
			    char **);
/*
 * Forget the events kept while requests waited: after a "status" answer,
 * they are older than the document it returned.
 */
void			 control_client_discard_events(struct control_client *);
/* Has the connection failed (as opposed to a request being refused)? */
int			 control_client_dead(const struct control_client *);
/* Is an event (or part of one) already buffered, so poll() would not tell? */
int			 control_client_pending(const struct control_client *);

/*
 * The argv that starts the daemon for state_dir: this executable's
 * "serve --state DIR", or /bin/sh -c "$ZTP_RESCUE_SERVE" when that is set.
 * Free with control_serve_argv_free().
 */
char			**control_serve_argv(const char *);
void			 control_serve_argv_free(char **);
/* Connect as a command-line client does: with autostart unless told not to. */
struct control_client	*control_open(const char *, int, char **);

/*
 * Check a message's "v": NULL when it is ours, else an allocated sentence
 * naming both versions.  who is "daemon" or "client" (the other side).
 */
char			*control_version_error(json_t *, const char *);

/*
 * Helpers shared by the clients (control-format.c).  Strings from the
 * daemon can carry bytes from the network: control_text() escapes them.
 */
#define CONTROL_MAC_LEN 12
/* obj[key] as terminal-safe text ("-" when missing or null); allocated. */
char			*control_text(json_t *, const char *);
char			*control_text_lines(json_t *, const char *);
/* 52428800 -> "50.0M". */
void			 control_fmt_bytes(double, char *, size_t);
/* 3725 -> "1:02:05", 65 -> "1:05". */
void			 control_fmt_duration(long, char *, size_t);
/* "90", "90s", "30m", "2h" -> seconds; -1 with *cause. */
int			 control_parse_duration(const char *, long *, char **);
/* One event as one human line, without a timestamp; allocated. */
char			*control_format_event(json_t *);
/* One phone object as a human line; allocated. */
char			*control_format_phone(json_t *);
char			*control_phone_after(json_t *);
char			*control_format_silent(json_t *);
char			*control_format_ignored(json_t *);
/* The counts by state as one line ("3 phones: 2 failed, 1 held"). */
char			*control_format_counts(json_t *);

/* The phones a batch waits for (control-inventory.c). */
struct control_inventory_phone {
	char		 mac[CONTROL_MAC_LEN + 1];
	char		*model;		/* NULL when not given */
	char		*label;		/* NULL when not given */
	unsigned int	 line;
};
struct control_inventory {
	struct control_inventory_phone	*phones;
	size_t				 n;
};
/* Read mac[,model][,label] lines; -1 with *cause "FILE:LINE: reason". */
int			 control_inventory_load(const char *,
			    struct control_inventory *, char **);
void			 control_inventory_free(struct control_inventory *);
struct control_inventory_phone *control_inventory_find(
			    struct control_inventory *, const char *);

/* Between control*.c only. */
int			 control_connect_path(const char *);
struct control_client	*control_client_new_fd(int);

#endif
