/*
 * Block accounting for a TFTP transfer, without sockets or clocks: which
 * blocks to send after an ACK or a timeout (RFC 7440 windows), what to
 * acknowledge after a DATA, and 16-bit block numbers mapped to 64-bit
 * positions across rollovers.  Blocks are numbered from 1 in 64 bits; the
 * wire carries the low 16 bits (after 65535 comes 0, or 1 with the
 * "rollover 1" option).
 */
#ifndef ZTP_TFTP_WINDOW_H
#define ZTP_TFTP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

uint16_t	tftp_wire_block(uint64_t, unsigned);

/* The sending side (RRQ). */
struct tftp_sender {
	uint64_t	nblocks;	/* the last one is short, maybe empty */
	uint64_t	acked;		/* highest block acknowledged */
	uint64_t	sent;		/* highest block sent */
	unsigned	window;
	unsigned	rollover;
};

enum tftp_ack_result {
	TFTP_ACK_IGNORED,	/* stale or out of range: do nothing */
	TFTP_ACK_REPEAT,	/* the last one again, blocks outstanding: the
				   client's timer, or a duplicate (see .c) */
	TFTP_ACK_SEND,		/* send *from .. *from + *count - 1 */
	TFTP_ACK_DONE		/* the last block is acknowledged */
};

void	tftp_sender_init(struct tftp_sender *, uint64_t, unsigned, unsigned);
/* The first window (after the OACK's ACK 0, or straight after the RRQ). */
void	tftp_sender_first(struct tftp_sender *, uint64_t *, unsigned *);
enum tftp_ack_result tftp_sender_ack(struct tftp_sender *, uint16_t,
	    uint64_t *, unsigned *);
/* After a timeout: resend from the first unacknowledged block. */
void	tftp_sender_timeout(struct tftp_sender *, uint64_t *, unsigned *);
/* Record that blocks up to and including this one went out. */
void	tftp_sender_sent(struct tftp_sender *, uint64_t);

/* The receiving side (WRQ). */
struct tftp_receiver {
	uint64_t	received;	/* highest block received in order */
	unsigned	window;
	unsigned	rollover;
	unsigned	since_ack;	/* in-order blocks not yet acknowledged */
	int		gap_acked;	/* a gap was already reported */
	int		done;		/* the short last block arrived */
};

enum tftp_data_result {
	TFTP_DATA_IGNORED,	/* nothing to do */
	TFTP_DATA_ACCEPT,	/* new in-order data: store it */
	TFTP_DATA_ACK		/* send ACK for *ack (nothing to store) */
};

void	tftp_receiver_init(struct tftp_receiver *, unsigned, unsigned);
/*
 * A DATA block of len bytes (blksize negotiated).  For ACCEPT, *ack_now says
 * whether to acknowledge *ack right after storing it (end of a window, or
 * the last block).
 */
enum tftp_data_result tftp_receiver_data(struct tftp_receiver *, uint16_t,
	    size_t, unsigned, int *, uint16_t *);

#endif
