/*
 * PUT bodies go to the upload quarantine as they arrive, never into memory.
 * libevent 2.1's evhttp hands a request over only once its body is whole,
 * so the connection's input is watched before evhttp reads it: every
 * request head is looked at, a PUT's head is taken out of the stream, its
 * body written to an upload (upload.h) with the quotas charged for the
 * length it declares, and only then is the head given back to evhttp with
 * "Content-Length: 0" and "Connection: close".  The request handler finds
 * the stored body through the connection (http_spool_take), never through
 * anything a client sends.  Everything after a PUT on its connection is
 * dropped: the connection closes after the PUT's reply.
 */
#ifndef ZTP_HTTP_SPOOL_H
#define ZTP_HTTP_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct evbuffer;
struct evbuffer_cb_info;
struct upload;
struct upload_store;

struct http_spool;

/* What became of a PUT's body, for the request handler. */
struct http_spool_put {
	int		 status;	/* 0: stored in up, else an HTTP status */
	char		*cause;		/* why not, for the log (status != 0) */
	struct upload	*up;		/* the whole body, to commit */
	uint64_t	 declared;	/* Content-Length */
	uint64_t	 got;		/* body bytes received */
};

/*
 * The decoded path of a request target (origin- or absolute-form), with
 * its length, or NULL when it is not one.  "//x" is the path "//x" (RFC
 * 9112 3.2.1), which libevent's URI parser takes for the host "x".
 */
char			*http_request_path(const char *, size_t *);

/*
 * Asked when a PUT's declared length is refused by the quotas or the disk:
 * end another connection's PUT that holds a charge while barely moving
 * (never the asking one), 0 if one was ended, -1 if none qualifies.
 */
typedef int		(*http_spool_reclaim_fn)(void *,
			    const struct http_spool *);

struct http_spool	*http_spool_new(struct bufferevent *,
			    struct upload_store *, uint64_t, size_t,
			    http_spool_reclaim_fn, void *);
/* Gives up any upload not taken; the bufferevent is not touched. */
void			 http_spool_free(struct http_spool *);
/* Bytes came into the bufferevent's input (its evbuffer callback). */
void			 http_spool_input(struct http_spool *,
			    struct evbuffer *, const struct evbuffer_cb_info *,
			    int);
/* A body is being written, or written and not yet taken. */
int			 http_spool_busy(const struct http_spool *);
/*
 * The PUT for this (decoded, slash-stripped) name, handed to evhttp: 0 and
 * *out filled (the caller owns out->up and out->cause), -1 if there is none
 * (the request did not come through the spool).
 */
int			 http_spool_take(struct http_spool *, const char *,
			    size_t, struct http_spool_put *);

#endif
