/*
 * Block accounting for both directions of a transfer: see tftp-window.h.
 *
 * The sender moves only on an ACK for a block in (acked, sent]: an ACK below
 * acked (a late one) does nothing.  An ACK equal to acked while blocks are
 * outstanding is told apart (TFTP_ACK_REPEAT): it is either a duplicate or
 * the client's own retransmission after the DATA it waits for was lost, and
 * only the caller's clock can tell which: tftp-transfer.c answers it at most
 * once a retransmission timeout, so a duplicated ACK can never double the
 * traffic (the Sorcerer's Apprentice bug, RFC 1123 4.2.3.1).  An ACK inside
 * the window but short of its end is RFC 7440's loss signal: the window
 * restarts after it, once, because that ACK now equals acked.
 */
#include <stdint.h>

#include "tftp-window.h"

static unsigned	tftp_sender_count(const struct tftp_sender *, uint64_t);

uint16_t
tftp_wire_block(uint64_t block, unsigned rollover)
{
	uint64_t	cycle;

	if (block <= 65535)
		return ((uint16_t)block);
	rollover = rollover ? 1 : 0;
	cycle = 65536 - rollover;
	return ((uint16_t)(rollover + (block - 65536) % cycle));
}

void
tftp_sender_init(struct tftp_sender *s, uint64_t nblocks, unsigned window,
    unsigned rollover)
{
	s->nblocks = nblocks;
	s->acked = 0;
	s->sent = 0;
	s->window = window > 0 ? window : 1;
	s->rollover = rollover;
}

static unsigned
tftp_sender_count(const struct tftp_sender *s, uint64_t from)
{
	uint64_t	left;

	if (from > s->nblocks)
		return (0);
	left = s->nblocks - from + 1;
	return (left < s->window ? (unsigned)left : s->window);
}

void
tftp_sender_first(struct tftp_sender *s, uint64_t *from, unsigned *count)
{
	*from = s->acked + 1;
	*count = tftp_sender_count(s, *from);
}

enum tftp_ack_result
tftp_sender_ack(struct tftp_sender *s, uint16_t wire, uint64_t *from,
    unsigned *count)
{
	uint64_t	b;

	/* Newest first: the usual ACK is for the last block sent. */
	for (b = s->sent; b > s->acked; b--) {
		if (tftp_wire_block(b, s->rollover) == wire)
			break;
	}
	if (b <= s->acked) {
		if (s->sent > s->acked &&
		    wire == tftp_wire_block(s->acked, s->rollover))
			return (TFTP_ACK_REPEAT);
		return (TFTP_ACK_IGNORED);
	}
	s->acked = b;
	if (b >= s->nblocks)
		return (TFTP_ACK_DONE);
	*from = b + 1;
	*count = tftp_sender_count(s, *from);
	return (TFTP_ACK_SEND);
}

void
tftp_sender_timeout(struct tftp_sender *s, uint64_t *from, unsigned *count)
{
	*from = s->acked + 1;
	*count = tftp_sender_count(s, *from);
}

void
tftp_sender_sent(struct tftp_sender *s, uint64_t last)
{
	if (last > s->nblocks)
		last = s->nblocks;
	s->sent = last;
}

void
tftp_receiver_init(struct tftp_receiver *r, unsigned window, unsigned rollover)
{
	r->received = 0;
	r->window = window > 0 ? window : 1;
	r->rollover = rollover;
	r->since_ack = 0;
	r->gap_acked = 0;
	r->done = 0;
}

enum tftp_data_result
tftp_receiver_data(struct tftp_receiver *r, uint16_t wire, size_t len,
    unsigned blksize, int *ack_now, uint16_t *ack)
{
	*ack_now = 0;
	*ack = tftp_wire_block(r->received, r->rollover);
	if (r->done) {
		/* Dallying: our last ACK may have been lost. */
		if (wire == *ack)
			return (TFTP_DATA_ACK);
		return (TFTP_DATA_IGNORED);
	}
	if (wire == tftp_wire_block(r->received + 1, r->rollover)) {
		r->received++;
		*ack = wire;
		r->gap_acked = 0;
		if (len < blksize) {
			r->done = 1;
			*ack_now = 1;
		} else if (++r->since_ack >= r->window) {
			*ack_now = 1;
			r->since_ack = 0;
		}
		return (TFTP_DATA_ACCEPT);
	}
	if (wire == *ack) {
		/* The sender timed out on our ACK: say it again. */
		r->since_ack = 0;
		return (TFTP_DATA_ACK);
	}
	/* A gap or an older block: report where we are, once. */
	if (r->gap_acked)
		return (TFTP_DATA_IGNORED);
	r->gap_acked = 1;
	r->since_ack = 0;
	return (TFTP_DATA_ACK);
}
