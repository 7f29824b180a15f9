/*
 * The HTTP (and optional HTTPS) server on libevent's evhttp.  Like the TFTP
 * server it knows nothing of phones: the caller resolves each GET/HEAD to
 * bytes (an fd served with sendfile, or a buffer rendered for this request)
 * and is told what happened to every transfer, including how many bytes the
 * client's TCP acknowledged when it closed early.  PUT goes to the same
 * upload quarantine as TFTP writes, written there as it arrives
 * (http-spool.h).
 */
#ifndef ZTP_HTTP_H
#define ZTP_HTTP_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "xfer.h"

struct event_base;
struct upload_store;
struct http_server;

struct http_request_info {
	const char	*method;	/* "GET", "HEAD", "PUT" */
	const char	*name;		/* decoded, leading '/' removed, pathsafe-checked */
	const char	*user_agent;	/* or NULL */
	const char	*peer_ip;	/* "192.0.2.7" */
	const char	*peer_text;	/* "192.0.2.7:41234" */
	int		 tls;
};

/* What to send.  Exactly one of fd (>= 0) or buf is set. */
struct http_content {
	int		 fd;		/* the server closes it */
	const void	*buf;
	uint64_t	 size;
	const char	*content_type;	/* default application/octet-stream */
	/*
	 * Send this many bytes first and wait until the client acknowledged
	 * them; then the rest at once if the client's receive window shows
	 * that an abandon would still be told (it could acknowledge unread
	 * far less than half the reply), else after grace_ms more: a client
	 * that only wanted the header closes in that time, which no amount
	 * of buffering can then hide.  0 for none.
	 */
	uint64_t	 gate;
	void		(*release)(void *);	/* called once when done */
	void		*release_arg;
};

struct http_hooks {
	/*
	 * Resolve a GET or HEAD: fill *content and return 200, or return an
	 * HTTP status (404 for a missing optional file, fast) with *cause.
	 */
	int	(*resolve)(void *, const struct http_request_info *,
		    struct http_content *, char **);
	/* Every transfer event (xfer.h); may be NULL. */
	void	(*event)(void *, const struct xfer_event *);
	void	*arg;
	/*
	 * Must a request from this peer wait for another server's events (a
	 * TFTP download it has just ended)?  NULL: it is answered now.  Else
	 * a handle, and the request waits, without holding the loop, until
	 * resume(resume_arg) is called; unhold(arg, handle) gives up one
	 * that goes first (the server stops).  May be NULL.
	 */
	void	*(*hold)(void *, const struct sockaddr *, socklen_t,
		    void (*)(void *), void *);
	void	(*unhold)(void *, void *);
};

struct http_config {
	const char		*listen;	/* default "0.0.0.0" */
	unsigned		 port;		/* 0 = any (tests); see http_server_port */
	int			 no_http;	/* HTTPS only */
	unsigned		 tls_port;	/* 0 = no HTTPS unless tls_any */
	int			 tls_any;	/* HTTPS on any free port */
	const char		*cert_file;	/* PEM, for HTTPS */
	const char		*key_file;
	struct upload_store	*uploads;	/* NULL: every PUT refused */
	uint64_t		 max_upload;	/* bytes */
	unsigned		 grace_ms;	/* after the gate when held, 150 */
	unsigned		 chunk;		/* most bytes per write, default 4 MB */
	unsigned		 senders;	/* threads for bodies; 0: this loop */
	/* Limits against a hostile segment (0: the default). */
	unsigned		 max_headers;	/* bytes of request head, 8 KiB */
	unsigned		 max_connections; /* in all, 512 */
	unsigned		 max_per_address; /* from one address, 64 */
	unsigned		 idle_timeout_s; /* a silent connection ends, 30 */
	unsigned		 ack_timeout_ms; /* no acknowledgement: ends, 60 s */
	/*
	 * Every slot taken, none idle: a connection at least this old moving
	 * under 2 KB/s over its life gives its slot; 30 s.
	 */
	unsigned		 crawl_age_ms;
	/*
	 * File descriptors kept free for TFTP's per-transfer sockets and
	 * files: a connection that would use one of the last fd_reserve
	 * descriptors (below RLIMIT_NOFILE) is refused.  Default 1100.
	 */
	unsigned		 fd_reserve;
};

void			 http_config_defaults(struct http_config *);
struct http_server	*http_server_start(struct event_base *,
			    const struct http_config *, const struct http_hooks *,
			    char **);
void			 http_server_free(struct http_server *);
unsigned		 http_server_port(const struct http_server *);
unsigned		 http_server_tls_port(const struct http_server *);
unsigned		 http_server_active(const struct http_server *);
/* Connections refused by the limits, and accept() errors, so far. */
uint64_t		 http_server_refused(const struct http_server *);
uint64_t		 http_server_accept_errors(const struct http_server *);
/* Reply bodies sent by the sender threads (http-sender.h). */
uint64_t		 http_server_handed(const struct http_server *);
/* Idle connections ended to make room for a new one. */
uint64_t		 http_server_evicted(const struct http_server *);
/* Also accept on this listening socket (the fuzzer's). */
int			 http_server_add_listener(struct http_server *, int);

#endif
