/*
 * The transfer state machine (tftp-window.c) driven by arbitrary sequences
 * of ACKs, timeouts and DATA blocks: the sender never goes backwards, never
 * sends past the file or more than a window, finishes only on the last
 * block; the receiver only ever moves forward one block at a time.
 *
 * Input: nblocks (3 bytes), window (1 byte), rollover (1 bit), then 3-byte
 * events: kind, block (16 bits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tftp-window.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_sender	s;
	struct tftp_receiver	r;
	uint64_t		nblocks, from, acked, received;
	unsigned		window, count, rollover, blk = 8;
	uint16_t		wire, ack;
	size_t			i;
	int			done = 0, now, res;

	if (size < 5)
		return (0);
	nblocks = 1 + ((data[0] << 16) | (data[1] << 8) | data[2]);
	window = 1 + data[3] % 64;
	rollover = data[4] & 1;
	tftp_sender_init(&s, nblocks, window, rollover);
	tftp_receiver_init(&r, window, rollover);
	tftp_sender_first(&s, &from, &count);
	if (from != 1 || count < 1 || count > window)
		abort();
	tftp_sender_sent(&s, from + count - 1);

	for (i = 5; i + 3 <= size; i += 3) {
		wire = (data[i + 1] << 8) | data[i + 2];
		switch (data[i] % 4) {
		case 0:	/* an ACK from the network */
			if (done)
				break;
			acked = s.acked;
			res = tftp_sender_ack(&s, wire, &from, &count);
			if (s.acked < acked || s.acked > s.sent)
				abort();
			if (res == TFTP_ACK_IGNORED && s.acked != acked)
				abort();
			if (res == TFTP_ACK_DONE) {
				if (s.acked != nblocks)
					abort();
				done = 1;
				break;
			}
			if (res == TFTP_ACK_SEND) {
				if (from != s.acked + 1 || count < 1 ||
				    count > window || from + count - 1 >
				    nblocks)
					abort();
				/* Sometimes only part of it goes out. */
				tftp_sender_sent(&s, from + (wire %
				    count));
			}
			break;
		case 1:	/* the ACK the receiver would send for its position */
			if (done)
				break;
			res = tftp_sender_ack(&s, tftp_wire_block(s.sent,
			    rollover), &from, &count);
			if (res == TFTP_ACK_SEND)
				tftp_sender_sent(&s, from + count - 1);
			else if (res == TFTP_ACK_DONE)
				done = 1;
			break;
		case 2:	/* a timeout */
			if (done)
				break;
			tftp_sender_timeout(&s, &from, &count);
			if (from != s.acked + 1 || count > window)
				abort();
			if (count > 0)
				tftp_sender_sent(&s, from + count - 1);
			break;
		case 3:	/* a DATA block at the receiver */
			received = r.received;
			res = tftp_receiver_data(&r, wire, data[i] & 0x80 ?
			    blk : blk - 1, blk, &now, &ack);
			if (res == TFTP_DATA_ACCEPT) {
				if (r.received != received + 1 ||
				    ack != tftp_wire_block(r.received,
				    rollover))
					abort();
			} else if (r.received != received)
				abort();
			break;
		}
		if (s.sent > nblocks || s.acked > nblocks)
			abort();
	}
	return (0);
}
