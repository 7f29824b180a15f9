/*
 * The TFTP server: RFC 1350/2347/2348/2349/7440 on libevent, one socket per
 * transfer.  It knows nothing of phones: the caller resolves names to bytes
 * (a file or a buffer rendered at request time) and is told what happened to
 * every transfer.  Engine internals live in tftp-*.c.
 */
#ifndef ZTP_TFTP_H
#define ZTP_TFTP_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>

#include "xfer.h"

struct event_base;
struct upload_store;
struct tftp_server;

/* RFC 1350 error codes, for resolve() to return. */
enum tftp_error {
	TFTP_ERR_UNDEFINED = 0,
	TFTP_ERR_NOT_FOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISK_FULL = 3,
	TFTP_ERR_ILLEGAL_OP = 4,
	TFTP_ERR_UNKNOWN_TID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NO_USER = 7,
	TFTP_ERR_OPTION = 8
};

struct tftp_request {
	const char			*name;	/* already checked by pathsafe_check() */
	int				 write;	/* 1 for WRQ */
	const struct sockaddr_storage	*peer;
	const struct sockaddr_storage	*local;	/* the address it arrived on */
	const char			*peer_text;	/* "192.0.2.7:1234" */
	int				 netascii;	/* mode netascii, not octet */
};

/* What to send.  Exactly one of fd (>= 0) or buf is set. */
struct tftp_content {
	int		 fd;	/* read with pread(); the engine closes it */
	const void	*buf;	/* in-memory bytes */
	uint64_t	 size;
	void		(*release)(void *);	/* called once when done, may be NULL */
	void		*release_arg;
};

struct tftp_hooks {
	/*
	 * Resolve a read request: fill *content and return 0, or return a
	 * tftp_error with *cause set (sent to the client as the error text).
	 */
	int	(*resolve)(void *, const struct tftp_request *,
		    struct tftp_content *, char **);
	/* Every transfer event (xfer.h); may be NULL. */
	void	(*event)(void *, const struct xfer_event *);
	void	*arg;
};

struct tftp_config {
	const char		*listen;	/* address, default "0.0.0.0" */
	unsigned		 port;		/* default 69 */
	unsigned		 max_blksize;	/* default 65464, clamped to the MTU */
	unsigned		 max_windowsize; /* default 64 */
	unsigned		 max_transfers;	/* in total, default 512 */
	unsigned		 max_per_client; /* per client address, default 8 */
	unsigned		 timeout_ms;	/* first retransmission, default 1000 */
	unsigned		 retries;	/* before giving up, default 5 */
	unsigned		 abandon_ms;	/* silence that ends a transfer, default 3000 */
	struct upload_store	*uploads;	/* NULL: every WRQ refused */
	unsigned		 rto_min_ms;	/* floor of the adaptive timeout, default 10 */
	/*
	 * How far a client's own timeout option may stretch abandon_ms, once
	 * it has answered (default 15000): "timeout 255" would hold a slot
	 * for 511 s.
	 */
	unsigned		 client_abandon_max_ms;
	/* Bytes of transfer buffers (read-ahead, netascii) in all, default 32 MiB. */
	uint64_t		 max_memory;
	/*
	 * Threads that run downloads, each with its own event loop; 0 (the
	 * default): every transfer runs in the caller's loop.  Requests,
	 * admission, resolve() and events stay in the caller's loop.
	 */
	unsigned		 workers;
};

/* Defaults for every field. */
void			 tftp_config_defaults(struct tftp_config *);
/* Workers for a daemon: one per online CPU. */
unsigned		 tftp_workers_default(void);
/* The largest number of workers accepted. */
#define TFTP_WORKERS_MAX	64
/* Bind and start serving on base.  NULL with *cause on failure. */
struct tftp_server	*tftp_server_start(struct event_base *,
			    const struct tftp_config *, const struct tftp_hooks *,
			    char **);
void			 tftp_server_free(struct tftp_server *);
/* The port actually bound (for port 0). */
unsigned		 tftp_server_port(const struct tftp_server *);
/* Counters for status displays. */
unsigned		 tftp_server_active(const struct tftp_server *);
/*
 * Another server's request from peer (HTTP): a client may end a download
 * here and ask there at once.  With a download of that client's address on
 * a worker (or a request of it still held), done(arg) is called in the
 * caller's loop once those workers have read what the client sent them
 * before now and their events are delivered; the caller answers then.
 * NULL: nothing to wait for, or too many requests held (answer at once).
 */
struct tftp_deferred;
struct tftp_deferred	*tftp_server_hold(struct tftp_server *,
			    const struct sockaddr *, socklen_t,
			    void (*)(void *), void *);
/* The request is gone: done will not be called. */
void			 tftp_server_unhold(struct tftp_server *,
			    struct tftp_deferred *);

/*
 * A resolver that serves files below a directory (pathsafe_open): the
 * standalone `ztp-rescue tftpd`.  arg is a struct tftp_dir_resolver.
 */
struct tftp_dir_resolver {
	int	rootfd;
};
int	tftp_resolve_dir(void *, const struct tftp_request *,
	    struct tftp_content *, char **);

#endif
