/*
 * Internals shared by tftp-server.c (the listening socket and admission),
 * tftp-transfer.c (sending: RRQ) and tftp-write.c (receiving: WRQ).
 */
#ifndef ZTP_TFTP_INT_H
#define ZTP_TFTP_INT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdint.h>

#include "tftp.h"
#include "tftp-packet.h"
#include "tftp-window.h"

struct event;
struct event_base;
struct mmsghdr;
struct tftp_msg;
struct tftp_worker;
struct tftp_workers;

/* The default floor of the retransmission timeout (rto_min_ms). */
#define TFTP_RTO_MIN_MS		10
/* How often a running transfer reports progress. */
#define TFTP_PROGRESS_MS	250
/* The largest window, in bytes, that one transfer buffers and sends. */
#define TFTP_WINDOW_BYTES_MAX	(1024 * 1024)
/* Bytes read from a file at once when the window is smaller. */
#define TFTP_CHUNK_MIN		(64 * 1024)
/*
 * netascii is converted in memory: it is for configuration and text files.
 * An image asked for in netascii is refused (saying to use octet) rather
 * than read whole into memory inside the loop.
 */
#define TFTP_NETASCII_MAX	(1024 * 1024)
/* Defaults of the limits a hostile segment can push against. */
#define TFTP_CLIENT_ABANDON_MAX_MS	15000
#define TFTP_MEMORY_MAX		(32 * 1024 * 1024)

enum tftp_state {
	TFTP_STATE_OACK,	/* OACK sent, waiting for ACK 0 or DATA 1 */
	TFTP_STATE_RUN,		/* sending or receiving blocks */
	TFTP_STATE_DALLY	/* WRQ stored: re-ACK a repeated last block */
};

struct tftp_transfer {
	TAILQ_ENTRY(tftp_transfer) entry;
	struct tftp_server	*server;
	struct tftp_worker	*worker;	/* runs it, or NULL: the main loop */
	struct tftp_slot	*slot;		/* the main loop's record of it */
	int			 freeing;	/* its end is told as it is freed */
	struct tftp_msg		*end_msg;	/* that end, sent with the free */
	uint64_t		 id;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;	/* a window did not fit the socket */
	struct event		*ev_timer;
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;
	char			 peer_text[64];
	char			 peer_ip[64];
	char			*name;
	int			 resolved;	/* the caller answered its RRQ */
	int			 write;
	int			 netascii;
	enum tftp_state		 state;
	int			 answered;	/* a packet came from the client */
	uint64_t		 mem_cost;	/* bytes charged to server->mem_used */
	struct tftp_params	 params;
	uint8_t			 oack[TFTP_OACK_MAX];
	size_t			 oacklen;

	/* RRQ: the bytes to send. */
	struct tftp_content	 content;
	const uint8_t		*mem;		/* whole content in memory */
	uint8_t			*converted;	/* netascii copy, owned */
	uint64_t		 size;
	uint8_t			*chunk;		/* file bytes read ahead */
	size_t			 chunk_size;
	uint64_t		 chunk_off;
	size_t			 chunk_len;
	struct tftp_sender	 snd;
	uint64_t		 pending_from;	/* blocks still to send ... */
	unsigned		 pending_count;	/* ... when writable again */
	int			 batched;	/* msgs[0] waits in the send batch */
	int			 unreachable;	/* a batched send was refused */
	uint8_t			*hdrs;		/* 4 bytes per block of a window */
	struct iovec		*iov;		/* 2 per block */
	struct mmsghdr		*msgs;

	/* WRQ: where the bytes go. */
	struct upload		*upload;
	struct tftp_receiver	 rcv;
	uint8_t			*decoded;
	int			 cr;
	uint16_t		 last_ack;

	/* Receive buffer: ACKs, or DATA of blksize for WRQ. */
	uint8_t			*pkt;
	size_t			 pktsize;

	/* Timing, all in ms on the monotonic clock. */
	uint64_t		 start_ms;
	uint64_t		 progress_ms;	/* last time a block moved */
	uint64_t		 repeat_ms;	/* last repeated ACK, 0 if none */
	unsigned		 repeats;	/* repeated ACKs since progress */
	uint64_t		 deadline_ms;	/* retransmit when reached */
	uint64_t		 timer_at_ms;	/* when ev_timer fires, 0 if idle */
	uint64_t		 window_us;	/* when the window went out */
	uint64_t		 event_ms;	/* last PROGRESS event */
	uint64_t		 told_bytes;	/* bytes in the last event */
	int			 timed;		/* window_ms may give an RTT sample */
	unsigned		 srtt_us, rttvar_us;
	unsigned		 rto_ms;	/* current, with backoff */
	unsigned		 rto_max_ms;
	unsigned		 abandon_ms;	/* silence that ends the transfer */
	unsigned		 tries;		/* retransmissions in a row */
	unsigned		 retransmits;
	uint64_t		 bytes;		/* acknowledged or received */
};

TAILQ_HEAD(tftp_transfers, tftp_transfer);

/*
 * The main loop's record of a download running on a worker: what admission
 * (the slot limits, repeated requests, eviction) needs to know of it, so
 * that the main loop never reads a transfer a worker owns.
 */
struct tftp_slot {
	TAILQ_ENTRY(tftp_slot)	 entry;
	uint64_t		 id;
	struct sockaddr_storage	 peer;
	char			*name;
	uint64_t		 mem_cost;
	struct tftp_worker	*worker;
	int			 evicted;	/* main loop: no longer counted */
	_Atomic int		 answered;	/* set by the worker */
	_Atomic int		 evict;		/* set by the main loop */
};
TAILQ_HEAD(tftp_slots, tftp_slot);

struct tftp_server {
	struct event_base	*base;
	struct tftp_config	 cfg;
	struct tftp_hooks	 hooks;
	int			 fd;
	int			 family;
	unsigned		 port;
	struct event		*ev;
	struct tftp_transfers	 transfers;
	struct tftp_batch	*batch;		/* NULL: every send at once */
	struct tftp_slots	 slots;		/* downloads on workers */
	struct tftp_workers	*workers;	/* NULL: no workers */
	unsigned		 active;
	uint64_t		 mem_used;	/* transfer buffers, bytes */
	uint64_t		 next_id;
	uint64_t		 refusal_log_ms;
	uint64_t		 refusal_replies_ms;	/* this second's ... */
	unsigned		 refusal_replies;	/* ... refusals answered */
	unsigned		 refusals_unlogged;
	/* Hostile names: a few lines a second, the rest counted. */
	uint64_t		 badname_window_ms;
	unsigned		 badnames_in_window;
	unsigned		 badnames_unlogged;
	uint8_t			 rbuf[TFTP_REQUEST_MAX];
};

uint64_t	tftp_now_ms(void);
uint64_t	tftp_now_us(void);
/* The silence after which a transfer ends, from its options. */
unsigned	tftp_abandon_ms(const struct tftp_transfer *);
/*
 * Charge bytes of transfer buffers to the server's budget: 0, or -1 when
 * they do not fit even after ending transfers whose client never answered.
 */
int		tftp_mem_charge(struct tftp_transfer *, uint64_t);
/* Bytes of buffer budget free now. */
uint64_t	tftp_mem_free(const struct tftp_server *);
/* Free a transfer without an event (its final event was already sent). */
void		tftp_transfer_free(struct tftp_transfer *);
/* Emit an event for t (reason and stored path may be NULL). */
void		tftp_emit(struct tftp_transfer *, enum xfer_phase,
		    const char *, const char *);
/* Emit XFER_ENDED (how, by whom, why) and keep t (a WRQ's dally). */
void		tftp_emit_end(struct tftp_transfer *, enum xfer_end,
		    enum xfer_by, const char *);
/* End a transfer: emit XFER_ENDED (how, by whom, why) and free it. */
void		tftp_finish(struct tftp_transfer *, enum xfer_end,
		    enum xfer_by, const char *);
void		tftp_send_error(struct tftp_transfer *, int, const char *);
/* Arm the timer for t->deadline_ms (lazily re-armed when it moves later). */
void		tftp_timer_arm(struct tftp_transfer *);

/* tftp-worker.c: downloads run on one event loop per core. */
struct tftp_workers *tftp_workers_start(struct tftp_server *, unsigned,
		    char **);
/* Stop and join every worker; their last events are delivered. */
void		tftp_workers_stop(struct tftp_workers *);
/* Hand t (resolved, its socket open) to a worker; 0, or -1 to keep it. */
int		tftp_workers_hand(struct tftp_workers *, struct tftp_transfer *);
/*
 * A request from a client with a download on a worker (or a request of
 * its still waiting): 0 when it is held until those workers have handled
 * what the client sent before it, then handed to tftp_request(); -1 when
 * the caller handles it now.
 */
int		tftp_workers_defer(struct tftp_workers *, const uint8_t *,
		    size_t, const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned);
/* Ask t's worker to end it: its slot is needed now. */
void		tftp_workers_evict(struct tftp_slot *);
/* From a worker: post an event to the main loop. */
void		tftp_worker_post(struct tftp_transfer *, const struct xfer_event *);
/* From a worker: t is freed; the main loop forgets its slot. */
void		tftp_worker_freed(struct tftp_transfer *);
/* tftp-server.c: admit and start a request (RRQ or WRQ). */
void		tftp_request(struct tftp_server *, const uint8_t *, size_t,
		    const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned);
int		tftp_same_host(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
/* Read and handle up to max packets of t; -1 if t ended. */
int		tftp_transfer_recv(struct tftp_transfer *, unsigned);
/*
 * Before a request of t's client is answered: what the client sent t is
 * read, and a download's bytes acknowledged since its last event are told.
 */
void		tftp_transfer_catch_up(struct tftp_transfer *);
/* The same for every transfer of that client run by the main loop. */
void		tftp_server_catch_up(struct tftp_server *,
		    const struct sockaddr_storage *);
/* tftp-server.c: start t in the loop that runs it (tftp_transfer_base). */
void		tftp_transfer_run(struct tftp_transfer *);
/* Its socket and timer callbacks. */
void		tftp_transfer_read_cb(int, short, void *);
void		tftp_transfer_write_cb(int, short, void *);
void		tftp_transfer_timer_cb(int, short, void *);
struct event_base *tftp_transfer_base(const struct tftp_transfer *);
struct tftp_batch *tftp_transfer_batch(const struct tftp_transfer *);

/* tftp-batch.c: the DATA of one turn of the loop in one system call. */
struct tftp_batch *tftp_batch_new(struct event_base *);
void		tftp_batch_free(struct tftp_batch *);
int		tftp_batch_queue(struct tftp_batch *, struct tftp_transfer *);
void		tftp_batch_forget(struct tftp_batch *, struct tftp_transfer *);
void		tftp_batch_flush(struct tftp_batch *);

/*
 * Handlers return -1 when the transfer ended (and was freed), else 0.
 * tftp-transfer.c: start sending (content already resolved).
 */
int		tftp_read_start(struct tftp_transfer *, const struct tftp_req *,
		    unsigned, char **);
/* Send the first packet: the OACK, or the first window. */
int		tftp_read_begin(struct tftp_transfer *);
int		tftp_read_packet(struct tftp_transfer *, const uint8_t *,
		    size_t);
int		tftp_read_timeout(struct tftp_transfer *);
int		tftp_read_writable(struct tftp_transfer *);
void		tftp_read_free(struct tftp_transfer *);

/* tftp-write.c: start receiving into the upload store. */
int		tftp_write_start(struct tftp_transfer *, const struct tftp_req *,
		    unsigned, char **);
/* Send the first packet: the OACK, or ACK 0. */
int		tftp_write_begin(struct tftp_transfer *);
int		tftp_write_packet(struct tftp_transfer *, const uint8_t *,
		    size_t);
int		tftp_write_timeout(struct tftp_transfer *);
void		tftp_write_free(struct tftp_transfer *);

#endif
