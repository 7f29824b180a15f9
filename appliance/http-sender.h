/*
 * HTTP bodies on one event loop per core (http-sender.c).
 *
 * The main loop parses the request, resolves it, sends the header and the
 * gate (http.c); the bulk of a file reply is then handed to a sender, a
 * thread with its own event_base that sendfile(2)s it into the socket.  The
 * main loop keeps everything else (the progress and stall checks on what
 * the client acknowledged, the transfer events, the end of the reply): it
 * reads how far the sender got, and never waits for it.  A sender touches
 * nothing but its own copies of the two descriptors.
 */
#ifndef HTTP_SENDER_H
#define HTTP_SENDER_H

#include <stdint.h>

struct event_base;
struct http_senders;
struct http_send;

/*
 * How a body handed off ended, called in the main loop: error 0 when every
 * byte is in the socket, else the errno of the failed sendfile(2).  The
 * send is freed after the call.
 */
typedef void	http_send_done_fn(void *arg, struct http_send *, int error);

/* n threads (1..64); NULL with *cause set if one cannot start. */
struct http_senders	*http_senders_start(struct event_base *, unsigned n,
			    char **cause);
/* Stops every thread; a body still running is dropped without its done(). */
void			 http_senders_stop(struct http_senders *);
unsigned		 http_senders_count(const struct http_senders *);

/*
 * Send bytes [from, to) of file into sock on the least busy sender, at
 * most chunk bytes a turn (one sendfile(2) each time the socket is
 * writable).  Both descriptors are duplicated: the caller
 * keeps and closes its own.  NULL (errno set) if they cannot be.
 */
struct http_send	*http_senders_hand(struct http_senders *, int sock,
			    int file, uint64_t from, uint64_t to,
			    uint64_t chunk, http_send_done_fn *, void *arg);
/* The file offset the sender has reached: every byte before it is sent. */
uint64_t		 http_send_offset(const struct http_send *);
/*
 * The caller is done with it (the connection ended first): the sender
 * stops at its next wake-up, done() is never called, and the send is freed
 * once the sender has let it go.
 */
void			 http_send_cancel(struct http_send *);

#endif
