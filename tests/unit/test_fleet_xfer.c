/*
 * The transfer-meaning table (appliance/fleet-xfer.c): one test per row,
 * each with the ending that row is for, then the rules no row may break:
 * zero bytes is never a header read, and an option refusal, our own failure
 * or our shutdown never proves a version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fleet.h"

#define IMG	1004585ULL	/* a VVX 410's 4.1.7 image, bytes */
#define BIG	(24ULL * 1024 * 1024)

static unsigned	rows_tested[FLEET_NXFER_RULES];

/* The ending must land on row i, with this meaning and these words. */
static void
expect_row(size_t i, enum xfer_proto proto, enum xfer_end end, uint64_t bytes,
    uint64_t total, enum xfer_by by, enum image_outcome meaning,
    const char *image_word, const char *file_word)
{
	const struct fleet_xfer_rule	*r;

	r = fleet_xfer_rule(proto, end, bytes, total, by);
	if (r != fleet_xfer_rule_at(i))
		fail_msg("%s %s %llu/%llu by %s: not row %zu",
		    xfer_proto_name(proto), xfer_end_name(end),
		    (unsigned long long)bytes, (unsigned long long)total,
		    xfer_by_name(by), i);
	assert_int_equal(r->meaning, meaning);
	assert_string_equal(r->image_word, image_word);
	assert_string_equal(r->file_word, file_word);
	rows_tested[i]++;
}

static void
row0_complete(void **state)
{
	expect_row(0, XFER_TFTP, XFER_END_COMPLETE, IMG, IMG, XFER_BY_PEER,
	    IMAGE_COMPLETE, "completed", "completed");
	expect_row(0, XFER_HTTPS, XFER_END_COMPLETE, IMG, IMG, XFER_BY_PEER,
	    IMAGE_COMPLETE, "completed", "completed");
}

static void
row1_silence_after_header(void **state)
{
	expect_row(1, XFER_TFTP, XFER_END_SILENCE, 512, IMG, XFER_BY_PEER,
	    IMAGE_ABANDONED, "abandoned", "abandoned");
	/* A 64 KB block window is still "the header and no more". */
	expect_row(1, XFER_TFTP, XFER_END_SILENCE, 64 * 65464, BIG,
	    XFER_BY_PEER, IMAGE_ABANDONED, "abandoned", "abandoned");
}

static void
row2_unreachable_after_header(void **state)
{
	expect_row(2, XFER_TFTP, XFER_END_UNREACHABLE, 512, IMG, XFER_BY_PEER,
	    IMAGE_ABANDONED, "abandoned", "abandoned");
}

static void
row3_closed_after_header(void **state)
{
	expect_row(3, XFER_HTTP, XFER_END_CLOSED, 512, IMG, XFER_BY_PEER,
	    IMAGE_ABANDONED, "abandoned", "abandoned");
	expect_row(3, XFER_HTTPS, XFER_END_CLOSED, 16384, BIG, XFER_BY_PEER,
	    IMAGE_ABANDONED, "abandoned", "abandoned");
}

static void
row4_silence_part_way(void **state)
{
	expect_row(4, XFER_TFTP, XFER_END_SILENCE, IMG / 2 + 1, IMG,
	    XFER_BY_PEER, IMAGE_INTERRUPTED, "interrupted", "abandoned");
	expect_row(4, XFER_HTTP, XFER_END_SILENCE, 9 * 1024 * 1024, BIG,
	    XFER_BY_PEER, IMAGE_INTERRUPTED, "interrupted", "abandoned");
}

static void
row5_unreachable_part_way(void **state)
{
	expect_row(5, XFER_TFTP, XFER_END_UNREACHABLE, IMG - 512, IMG,
	    XFER_BY_PEER, IMAGE_INTERRUPTED, "interrupted", "abandoned");
}

static void
row6_closed_part_way(void **state)
{
	expect_row(6, XFER_HTTP, XFER_END_CLOSED, 14000000, BIG, XFER_BY_PEER,
	    IMAGE_INTERRUPTED, "interrupted", "abandoned");
}

static void
row7_silence_before_header(void **state)
{
	expect_row(7, XFER_TFTP, XFER_END_SILENCE, 0, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "stopped", "abandoned");
	expect_row(7, XFER_HTTP, XFER_END_SILENCE, 100, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "stopped", "abandoned");
}

static void
row8_unreachable_before_header(void **state)
{
	expect_row(8, XFER_TFTP, XFER_END_UNREACHABLE, 0, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "stopped", "abandoned");
}

static void
row9_closed_before_header(void **state)
{
	expect_row(9, XFER_HTTP, XFER_END_CLOSED, 0, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "stopped", "abandoned");
	expect_row(9, XFER_HTTPS, XFER_END_CLOSED, 511, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "stopped", "abandoned");
}

/* The VVX 410 of the issue: 4.1.4 by its User-Agent, error 8 to the OACK. */
static void
row10_option_refused(void **state)
{
	expect_row(10, XFER_TFTP, XFER_END_OPTION_REFUSED, 0, IMG,
	    XFER_BY_PEER, IMAGE_UNPROVED, "refused", "refused");
}

static void
row11_peer_error(void **state)
{
	expect_row(11, XFER_TFTP, XFER_END_PEER_ERROR, 512, IMG, XFER_BY_PEER,
	    IMAGE_UNPROVED, "failed", "failed");
	expect_row(11, XFER_TFTP, XFER_END_PEER_ERROR, IMG - 1, IMG,
	    XFER_BY_US, IMAGE_UNPROVED, "failed", "failed");
}

static void
row12_local_error(void **state)
{
	expect_row(12, XFER_TFTP, XFER_END_LOCAL_ERROR, 0, IMG, XFER_BY_US,
	    IMAGE_FAILED_OURS, "failed", "failed");
	expect_row(12, XFER_TFTP, XFER_END_LOCAL_ERROR, 512, IMG, XFER_BY_US,
	    IMAGE_FAILED_OURS, "failed", "failed");
}

static void
row13_shutdown(void **state)
{
	expect_row(13, XFER_HTTP, XFER_END_SHUTDOWN, 512, IMG, XFER_BY_US,
	    IMAGE_UNPROVED, "interrupted", "interrupted");
	expect_row(13, XFER_TFTP, XFER_END_SHUTDOWN, 0, IMG, XFER_BY_US,
	    IMAGE_UNPROVED, "interrupted", "interrupted");
}

/* What no row names proves nothing: a header "silence" of ours, ... */
static void
default_proves_nothing(void **state)
{
	const struct fleet_xfer_rule	*r;
	size_t				 i;

	r = fleet_xfer_rule(XFER_TFTP, XFER_END_SILENCE, 512, IMG, XFER_BY_US);
	for (i = 0; i < FLEET_NXFER_RULES; i++)
		assert_ptr_not_equal(r, fleet_xfer_rule_at(i));
	assert_int_equal(r->meaning, IMAGE_UNPROVED);
	/* ... an unreachable HTTP peer, a "complete" short of the total. */
	assert_int_equal(fleet_xfer_rule(XFER_HTTP, XFER_END_UNREACHABLE, 512,
	    IMG, XFER_BY_PEER)->meaning, IMAGE_UNPROVED);
	assert_int_equal(fleet_xfer_rule(XFER_TFTP, XFER_END_COMPLETE, 512,
	    IMG, XFER_BY_PEER)->meaning, IMAGE_UNPROVED);
	assert_null(fleet_xfer_rule_at(FLEET_NXFER_RULES));
}

/* Over every ending, byte count and side: the rules no row may break. */
static void
invariants(void **state)
{
	const uint64_t	 bytes[] = { 0, 1, 511, 512, 4096, IMG / 2, IMG - 1,
			    IMG };
	enum xfer_end	 e;
	enum xfer_proto	 p;
	enum image_outcome m;
	size_t		 b;
	int		 by;

	for (p = 0; p < XFER_NPROTOS; p++)
	for (e = XFER_END_COMPLETE; e < XFER_NENDS; e++)
	for (b = 0; b < sizeof bytes / sizeof bytes[0]; b++)
	for (by = XFER_BY_NONE; by <= XFER_BY_US; by++) {
		m = fleet_xfer_rule(p, e, bytes[b], IMG, by)->meaning;
		if (bytes[b] == 0)
			assert_int_not_equal(m, IMAGE_ABANDONED);
		if (e == XFER_END_OPTION_REFUSED ||
		    e == XFER_END_LOCAL_ERROR || e == XFER_END_SHUTDOWN ||
		    e == XFER_END_PEER_ERROR) {
			assert_int_not_equal(m, IMAGE_ABANDONED);
			assert_int_not_equal(m, IMAGE_COMPLETE);
		}
		if (m == IMAGE_ABANDONED) {
			assert_int_equal(by, XFER_BY_PEER);
			assert_true(e == XFER_END_SILENCE ||
			    e == XFER_END_UNREACHABLE || e == XFER_END_CLOSED);
			assert_true(bytes[b] >= FLEET_IMAGE_HEADER);
		}
	}
}

/*
 * Over TFTP the phone acknowledges only what it read: past the header and
 * one window (blksize x windowsize) it was taking the image.  A stall after
 * 199 blocks of 512 was counted as "read the header and runs this image".
 */
static void
tftp_window_bounds_the_header(void **state)
{
	uint64_t	w512 = fleet_xfer_window(XFER_TFTP, 512, 0, 0);
	uint64_t	w8 = fleet_xfer_window(XFER_TFTP, 1468, 8, 0);

	assert_int_equal(w512, 512);
	assert_int_equal(w8, 8 * 1468);
	assert_int_equal(fleet_xfer_window(XFER_TFTP, 0, 0, 0), 512);
	assert_int_equal(fleet_xfer_window(XFER_TFTP, 512, 1, 999999), 512);
	assert_int_equal(fleet_xfer_window(XFER_HTTP, 512, 8, 0), 0);
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    101888, IMG, XFER_BY_PEER, w512)->meaning, IMAGE_INTERRUPTED);
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP,
	    XFER_END_UNREACHABLE, 101888, IMG, XFER_BY_PEER, w512)->meaning,
	    IMAGE_INTERRUPTED);
	/* The header block, and one block past it. */
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    512, IMG, XFER_BY_PEER, w512)->meaning, IMAGE_ABANDONED);
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    1024, IMG, XFER_BY_PEER, w512)->meaning, IMAGE_ABANDONED);
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    1025, IMG, XFER_BY_PEER, w512)->meaning, IMAGE_INTERRUPTED);
	/* A whole first window of 8 x 1468 is still the header read. */
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    8 * 1468, IMG, XFER_BY_PEER, w8)->meaning, IMAGE_ABANDONED);
	assert_int_equal(fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
	    16 * 1468, IMG, XFER_BY_PEER, w8)->meaning, IMAGE_INTERRUPTED);
	/* HTTP unmeasured keeps the 8 MB bound (bytes written are not read). */
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTP, XFER_END_CLOSED,
	    101888, IMG, XFER_BY_PEER, 0)->meaning, IMAGE_ABANDONED);
}

/*
 * Over HTTP a phone's kernel acknowledges into its receive buffer whether
 * it reads or not, so the header read may show as far more; but no more
 * than the buffer the server measured (unread_max).  A phone whose power
 * was cut 3 MB into its 24 MB image, with 256 KiB it could have held
 * unread, was recorded "read the header and runs this image": its flash
 * loop was then never stopped.
 */
static void
http_receive_buffer_bounds_the_header(void **state)
{
	uint64_t	big = 24ULL * 1024 * 1024, unread = 262144 + 512;
	uint64_t	w = fleet_xfer_window(XFER_HTTP, 0, 0, unread);

	assert_int_equal(w, 262144);
	assert_int_equal(fleet_xfer_window(XFER_HTTPS, 0, 0, unread), 262144);
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTP, XFER_END_CLOSED,
	    3000000, big, XFER_BY_PEER, w)->meaning, IMAGE_INTERRUPTED);
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTP, XFER_END_SILENCE,
	    2354370, big, XFER_BY_PEER, w)->meaning, IMAGE_INTERRUPTED);
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTPS, XFER_END_CLOSED,
	    unread + 1, big, XFER_BY_PEER, w)->meaning, IMAGE_INTERRUPTED);
	/* Within the buffer: the header read, as before. */
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTP, XFER_END_CLOSED,
	    unread, big, XFER_BY_PEER, w)->meaning, IMAGE_ABANDONED);
	assert_int_equal(fleet_xfer_rule_window(XFER_HTTP, XFER_END_CLOSED,
	    128000, big, XFER_BY_PEER, w)->meaning, IMAGE_ABANDONED);
}

/* Last: every row of the table had its test. */
static void
every_row_tested(void **state)
{
	size_t	i;

	for (i = 0; i < FLEET_NXFER_RULES; i++) {
		if (rows_tested[i] == 0)
			fail_msg("row %zu of the transfer-meaning table has no "
			    "test", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row0_complete),
		cmocka_unit_test(row1_silence_after_header),
		cmocka_unit_test(row2_unreachable_after_header),
		cmocka_unit_test(row3_closed_after_header),
		cmocka_unit_test(row4_silence_part_way),
		cmocka_unit_test(row5_unreachable_part_way),
		cmocka_unit_test(row6_closed_part_way),
		cmocka_unit_test(row7_silence_before_header),
		cmocka_unit_test(row8_unreachable_before_header),
		cmocka_unit_test(row9_closed_before_header),
		cmocka_unit_test(row10_option_refused),
		cmocka_unit_test(row11_peer_error),
		cmocka_unit_test(row12_local_error),
		cmocka_unit_test(row13_shutdown),
		cmocka_unit_test(default_proves_nothing),
		cmocka_unit_test(invariants),
		cmocka_unit_test(tftp_window_bounds_the_header),
		cmocka_unit_test(http_receive_buffer_bounds_the_header),
		cmocka_unit_test(every_row_tested),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
