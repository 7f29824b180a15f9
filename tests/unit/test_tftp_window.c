/*
 * Block accounting: windows, duplicate ACKs (Sorcerer's Apprentice), RFC 7440
 * go-back, rollover, and the receiving side's acknowledgements.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tftp-window.h"

static void
test_wire_block_rollover(void **state)
{
	assert_int_equal(tftp_wire_block(1, 0), 1);
	assert_int_equal(tftp_wire_block(65535, 0), 65535);
	assert_int_equal(tftp_wire_block(65536, 0), 0);
	assert_int_equal(tftp_wire_block(65537, 0), 1);
	assert_int_equal(tftp_wire_block(131072, 0), 0);
	/* "rollover 1": 65535 is followed by 1. */
	assert_int_equal(tftp_wire_block(65535, 1), 65535);
	assert_int_equal(tftp_wire_block(65536, 1), 1);
	assert_int_equal(tftp_wire_block(65537, 1), 2);
	assert_int_equal(tftp_wire_block(65536 + 65534, 1), 65535);
	assert_int_equal(tftp_wire_block(65536 + 65535, 1), 1);
}

static void
test_stop_and_wait(void **state)
{
	struct tftp_sender	s;
	uint64_t		from;
	unsigned		count;

	/* 1024 bytes at 512: blocks 1, 2 and an empty 3. */
	tftp_sender_init(&s, 1024 / 512 + 1, 1, 0);
	tftp_sender_first(&s, &from, &count);
	assert_int_equal(from, 1);
	assert_int_equal(count, 1);
	tftp_sender_sent(&s, 1);
	/* ACK 0 again (after an OACK): DATA 1 may have been lost. */
	assert_int_equal(tftp_sender_ack(&s, 0, &from, &count),
	    TFTP_ACK_REPEAT);
	assert_int_equal(tftp_sender_ack(&s, 2, &from, &count),
	    TFTP_ACK_IGNORED);
	assert_int_equal(tftp_sender_ack(&s, 1, &from, &count), TFTP_ACK_SEND);
	assert_int_equal(from, 2);
	assert_int_equal(count, 1);
	tftp_sender_sent(&s, 2);
	/*
	 * The same ACK again is not a send: it is told apart, and the
	 * transfer's clock decides (tftp-transfer.c).
	 */
	assert_int_equal(tftp_sender_ack(&s, 1, &from, &count),
	    TFTP_ACK_REPEAT);
	assert_int_equal(tftp_sender_ack(&s, 2, &from, &count), TFTP_ACK_SEND);
	assert_int_equal(from, 3);
	tftp_sender_sent(&s, 3);
	assert_int_equal(tftp_sender_ack(&s, 3, &from, &count), TFTP_ACK_DONE);
}

static void
test_empty_file(void **state)
{
	struct tftp_sender	s;
	uint64_t		from;
	unsigned		count;

	tftp_sender_init(&s, 0 / 512 + 1, 8, 0);
	tftp_sender_first(&s, &from, &count);
	assert_int_equal(from, 1);
	assert_int_equal(count, 1);
	tftp_sender_sent(&s, 1);
	assert_int_equal(tftp_sender_ack(&s, 1, &from, &count), TFTP_ACK_DONE);
}

/* Every ACK duplicated: the traffic does not double (SAS probe). */
static void
test_sorcerers_apprentice(void **state)
{
	struct tftp_sender	s;
	uint64_t		from, b;
	unsigned		count, sends = 0;
	enum tftp_ack_result	r;

	tftp_sender_init(&s, 3907, 1, 0);
	tftp_sender_first(&s, &from, &count);
	tftp_sender_sent(&s, from);
	sends++;
	for (b = 1; b <= 3907; b++) {
		r = tftp_sender_ack(&s, tftp_wire_block(b, 0), &from, &count);
		if (r == TFTP_ACK_DONE)
			break;
		assert_int_equal(r, TFTP_ACK_SEND);
		tftp_sender_sent(&s, from + count - 1);
		sends++;
		/* Told apart, not answered: tftp-transfer.c's clock decides. */
		assert_int_equal(tftp_sender_ack(&s, tftp_wire_block(b, 0),
		    &from, &count), TFTP_ACK_REPEAT);
		/* An older one is stale. */
		if (b > 1)
			assert_int_equal(tftp_sender_ack(&s,
			    tftp_wire_block(b - 1, 0), &from, &count),
			    TFTP_ACK_IGNORED);
	}
	assert_int_equal(b, 3907);
	assert_int_equal(sends, 3907);
}

static void
test_window_and_go_back(void **state)
{
	struct tftp_sender	s;
	uint64_t		from;
	unsigned		count;

	tftp_sender_init(&s, 20, 8, 0);
	tftp_sender_first(&s, &from, &count);
	assert_int_equal(from, 1);
	assert_int_equal(count, 8);
	tftp_sender_sent(&s, 8);
	/* The whole window acknowledged: the next one. */
	assert_int_equal(tftp_sender_ack(&s, 8, &from, &count), TFTP_ACK_SEND);
	assert_int_equal(from, 9);
	assert_int_equal(count, 8);
	tftp_sender_sent(&s, 16);
	/* Block 12 lost: the client acknowledges 11; go back once. */
	assert_int_equal(tftp_sender_ack(&s, 11, &from, &count),
	    TFTP_ACK_SEND);
	assert_int_equal(from, 12);
	assert_int_equal(count, 8);
	tftp_sender_sent(&s, 19);
	/* A repeat of that ACK is told apart; an older one is stale. */
	assert_int_equal(tftp_sender_ack(&s, 11, &from, &count),
	    TFTP_ACK_REPEAT);
	assert_int_equal(s.acked, 11);
	assert_int_equal(tftp_sender_ack(&s, 8, &from, &count),
	    TFTP_ACK_IGNORED);
	/* Beyond what was sent: ignored. */
	assert_int_equal(tftp_sender_ack(&s, 20, &from, &count),
	    TFTP_ACK_IGNORED);
	/* The last window is short. */
	assert_int_equal(tftp_sender_ack(&s, 19, &from, &count),
	    TFTP_ACK_SEND);
	assert_int_equal(from, 20);
	assert_int_equal(count, 1);
	tftp_sender_sent(&s, 20);
	/* Timeout: resend from the first unacknowledged block. */
	tftp_sender_timeout(&s, &from, &count);
	assert_int_equal(from, 20);
	assert_int_equal(count, 1);
	assert_int_equal(tftp_sender_ack(&s, 20, &from, &count),
	    TFTP_ACK_DONE);
	/* All acknowledged: nothing outstanding, nothing to repeat. */
	assert_int_equal(tftp_sender_ack(&s, 20, &from, &count),
	    TFTP_ACK_IGNORED);
}

static void
test_ack_across_rollover(void **state)
{
	struct tftp_sender	s;
	uint64_t		from;
	unsigned		count;

	tftp_sender_init(&s, 70000, 4, 0);
	s.acked = 65534;
	tftp_sender_sent(&s, 65538);
	/* Wire 1 is block 65537 here, not block 1. */
	assert_int_equal(tftp_sender_ack(&s, 1, &from, &count),
	    TFTP_ACK_SEND);
	assert_int_equal(s.acked, 65537);
	assert_int_equal(from, 65538);
	/* Wire 65535 is now behind us. */
	assert_int_equal(tftp_sender_ack(&s, 65535, &from, &count),
	    TFTP_ACK_IGNORED);

	tftp_sender_init(&s, 70000, 4, 1);
	s.acked = 65534;
	tftp_sender_sent(&s, 65538);
	assert_int_equal(tftp_sender_ack(&s, 2, &from, &count),
	    TFTP_ACK_SEND);
	assert_int_equal(s.acked, 65537);
}

static void
test_receiver_window(void **state)
{
	struct tftp_receiver	r;
	int			now;
	uint16_t		ack;

	tftp_receiver_init(&r, 4, 0);
	assert_int_equal(tftp_receiver_data(&r, 1, 512, 512, &now, &ack),
	    TFTP_DATA_ACCEPT);
	assert_int_equal(now, 0);
	tftp_receiver_data(&r, 2, 512, 512, &now, &ack);
	tftp_receiver_data(&r, 3, 512, 512, &now, &ack);
	assert_int_equal(now, 0);
	assert_int_equal(tftp_receiver_data(&r, 4, 512, 512, &now, &ack),
	    TFTP_DATA_ACCEPT);
	assert_int_equal(now, 1);
	assert_int_equal(ack, 4);
	/* Block 5 lost: 6 shows the gap; report 4 once. */
	assert_int_equal(tftp_receiver_data(&r, 6, 512, 512, &now, &ack),
	    TFTP_DATA_ACK);
	assert_int_equal(ack, 4);
	assert_int_equal(tftp_receiver_data(&r, 7, 512, 512, &now, &ack),
	    TFTP_DATA_IGNORED);
	/* A repeat of the newest block we have: acknowledge again. */
	assert_int_equal(tftp_receiver_data(&r, 4, 512, 512, &now, &ack),
	    TFTP_DATA_ACK);
	assert_int_equal(ack, 4);
	assert_int_equal(tftp_receiver_data(&r, 5, 512, 512, &now, &ack),
	    TFTP_DATA_ACCEPT);
	/* A short block ends it, acknowledged at once. */
	assert_int_equal(tftp_receiver_data(&r, 6, 100, 512, &now, &ack),
	    TFTP_DATA_ACCEPT);
	assert_int_equal(now, 1);
	assert_int_equal(ack, 6);
	assert_int_equal(r.done, 1);
	/* Dallying: the last block again gets its ACK again. */
	assert_int_equal(tftp_receiver_data(&r, 6, 100, 512, &now, &ack),
	    TFTP_DATA_ACK);
	assert_int_equal(ack, 6);
	assert_int_equal(tftp_receiver_data(&r, 7, 100, 512, &now, &ack),
	    TFTP_DATA_IGNORED);
}

static void
test_receiver_rollover(void **state)
{
	struct tftp_receiver	r;
	int			now;
	uint16_t		ack;

	tftp_receiver_init(&r, 1, 0);
	r.received = 65535;
	assert_int_equal(tftp_receiver_data(&r, 0, 8, 8, &now, &ack),
	    TFTP_DATA_ACCEPT);
	assert_int_equal(ack, 0);
	assert_int_equal(r.received, 65536);
	assert_int_equal(tftp_receiver_data(&r, 1, 8, 8, &now, &ack),
	    TFTP_DATA_ACCEPT);
	assert_int_equal(r.received, 65537);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_block_rollover),
		cmocka_unit_test(test_stop_and_wait),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_sorcerers_apprentice),
		cmocka_unit_test(test_window_and_go_back),
		cmocka_unit_test(test_ack_across_rollover),
		cmocka_unit_test(test_receiver_window),
		cmocka_unit_test(test_receiver_rollover),
	};

	return (cmocka_run_group_tests_name("tftp_window", tests, NULL, NULL));
}
