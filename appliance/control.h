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

struct event_base;
struct control_server;
struct control_client;

/*
 * Handle one request: args is the request's "args" object (never NULL).
 * Return 0 with *result set (a new reference, may be NULL for none), or -1
 * with *error set to an allocated sentence for the client.
 */
typedef int (*control_handler)(void *, json_t *, json_t **, char **);

struct control_server	*control_server_start(struct event_base *,
			    const char *, char **);
void			 control_server_free(struct control_server *);
void			 control_register(struct control_server *, const char *,
			    control_handler, void *);
/* Send {"v":1,"event":name, ...payload fields} to every subscriber (steals payload). */
void			 control_broadcast(struct control_server *, const char *,
			    json_t *);

/*
 * Connect to the daemon of state_dir.  With autostart, a missing daemon is
 * started (serve_argv, race-free with a lock file, as tmux does).
 */
struct control_client	*control_connect(const char *, char *const *, char **);
void			 control_client_free(struct control_client *);
/* One request, one answer.  NULL with *error on failure. */
json_t			*control_request(struct control_client *, const char *,
			    json_t *, char **);
int			 control_client_fd(const struct control_client *);
/* After "subscribe": the next event, waiting up to timeout_ms (-1 forever). */
json_t			*control_next_event(struct control_client *, int,
			    char **);

#endif
