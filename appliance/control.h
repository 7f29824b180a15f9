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

/* Between control*.c only. */
int			 control_connect_path(const char *);
struct control_client	*control_client_new_fd(int);

#endif
