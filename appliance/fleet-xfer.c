/*
 * What a transfer's ending proves: the one table of the fleet that turns
 * (protocol, how it ended, bytes acknowledged relative to the image header,
 * who ended it) into a meaning.  The servers only measure (xfer.h).
 *
 * A Polycom phone that already runs the image it is offered reads the
 * header, sees its own version and stops reading: over TFTP it goes silent
 * (or its port is shut: ICMP unreachable), over HTTP it closes the
 * connection (docs/engine.md, "Transfer endings").  That documented
 * abandonment is the only ending that proves a version, and only when the
 * header was acknowledged and not much more (over TFTP: no more than one
 * window past it; over HTTP: no more than the phone's receive buffer).  Zero bytes is never a header
 * read; an option refusal (TFTP error 8), any other error of the phone, our
 * own failure and our shutdown prove nothing about the phone.
 */
#include <stddef.h>
#include <stdint.h>

#include "fleet.h"

#define P_TFTP	(1 << XFER_TFTP)
#define P_HTTP	((1 << XFER_HTTP) | (1 << XFER_HTTPS))
#define P_ANY	(P_TFTP | P_HTTP)

/* Bytes acknowledged, relative to the image header. */
#define B_NONE		FLEET_SPAN_NONE
#define B_SHORT		FLEET_SPAN_SHORT
#define B_HEADER	FLEET_SPAN_HEADER
#define B_PART		FLEET_SPAN_PART
#define B_WHOLE		FLEET_SPAN_WHOLE
#define B_ANY		(B_NONE | B_SHORT | B_HEADER | B_PART | B_WHOLE)

#define BY_ANY	(-1)

/*
 * First match wins.  image: the journal's word for an image row; file: for
 * any other file (where an early stop is a phone's normal way to leave).
 */
static const struct fleet_xfer_rule fleet_xfer_rules[] = {
	/* protos, end, spans, by: meaning, image word, file word */
	{ P_ANY, XFER_END_COMPLETE, B_WHOLE, XFER_BY_PEER,
	  IMAGE_COMPLETE, "completed", "completed" },

	/* The documented abandonment: the header read, then no more. */
	{ P_ANY, XFER_END_SILENCE, B_HEADER, XFER_BY_PEER,
	  IMAGE_ABANDONED, "abandoned", "abandoned" },
	{ P_TFTP, XFER_END_UNREACHABLE, B_HEADER, XFER_BY_PEER,
	  IMAGE_ABANDONED, "abandoned", "abandoned" },
	{ P_HTTP, XFER_END_CLOSED, B_HEADER, XFER_BY_PEER,
	  IMAGE_ABANDONED, "abandoned", "abandoned" },

	/* The same endings well past the header: the phone vanished. */
	{ P_ANY, XFER_END_SILENCE, B_PART, XFER_BY_PEER,
	  IMAGE_INTERRUPTED, "interrupted", "abandoned" },
	{ P_TFTP, XFER_END_UNREACHABLE, B_PART, XFER_BY_PEER,
	  IMAGE_INTERRUPTED, "interrupted", "abandoned" },
	{ P_HTTP, XFER_END_CLOSED, B_PART, XFER_BY_PEER,
	  IMAGE_INTERRUPTED, "interrupted", "abandoned" },

	/* Before the header was read: nothing is known. */
	{ P_ANY, XFER_END_SILENCE, B_NONE | B_SHORT, XFER_BY_PEER,
	  IMAGE_UNPROVED, "stopped", "abandoned" },
	{ P_TFTP, XFER_END_UNREACHABLE, B_NONE | B_SHORT, XFER_BY_PEER,
	  IMAGE_UNPROVED, "stopped", "abandoned" },
	{ P_HTTP, XFER_END_CLOSED, B_NONE | B_SHORT, XFER_BY_PEER,
	  IMAGE_UNPROVED, "stopped", "abandoned" },

	/* The phone said no: it asks again (error 8: without options). */
	{ P_TFTP, XFER_END_OPTION_REFUSED, B_ANY, BY_ANY,
	  IMAGE_UNPROVED, "refused", "refused" },
	{ P_ANY, XFER_END_PEER_ERROR, B_ANY, BY_ANY,
	  IMAGE_UNPROVED, "failed", "failed" },

	/* Ours. */
	{ P_ANY, XFER_END_LOCAL_ERROR, B_ANY, BY_ANY,
	  IMAGE_FAILED_OURS, "failed", "failed" },
	{ P_ANY, XFER_END_SHUTDOWN, B_ANY, BY_ANY,
	  IMAGE_UNPROVED, "interrupted", "interrupted" }
};

/* Anything the table does not name (a whole transfer ended by us...). */
static const struct fleet_xfer_rule fleet_xfer_default = {
	P_ANY, XFER_END_NONE, B_ANY, BY_ANY,
	IMAGE_UNPROVED, "stopped", "stopped"
};

/*
 * window: over TFTP, the bytes the phone is sent before it must answer
 * (blksize x windowsize); over HTTP, what its kernel may acknowledge
 * unread past the header (a receive buffer: measured by the server, 0 when
 * not, and then only the coarse FLEET_ABANDON_MAX holds).  A TFTP phone
 * acknowledges only what it read, an HTTP one at most its buffer more:
 * past the header and that, it was taking the image, not deciding on its
 * header.
 */
unsigned
fleet_xfer_span(uint64_t bytes, uint64_t total, uint64_t window)
{
	if (total > 0 && bytes >= total)
		return (FLEET_SPAN_WHOLE);
	if (bytes == 0)
		return (FLEET_SPAN_NONE);
	if (bytes < FLEET_IMAGE_HEADER)
		return (FLEET_SPAN_SHORT);
	if (window > 0 && bytes > FLEET_IMAGE_HEADER + window)
		return (FLEET_SPAN_PART);
	if (bytes <= FLEET_ABANDON_MAX && bytes < total / 2 + 1)
		return (FLEET_SPAN_HEADER);
	return (FLEET_SPAN_PART);
}

uint64_t
fleet_xfer_window(enum xfer_proto proto, unsigned blksize, unsigned windowsize,
    uint64_t unread_max)
{
	if (proto != XFER_TFTP)
		return (unread_max > FLEET_IMAGE_HEADER ?
		    unread_max - FLEET_IMAGE_HEADER : unread_max);
	return ((uint64_t)(blksize > 0 ? blksize : 512) *
	    (windowsize > 0 ? windowsize : 1));
}

const struct fleet_xfer_rule *
fleet_xfer_rule(enum xfer_proto proto, enum xfer_end end, uint64_t bytes,
    uint64_t total, enum xfer_by by)
{
	return (fleet_xfer_rule_window(proto, end, bytes, total, by, 0));
}

const struct fleet_xfer_rule *
fleet_xfer_rule_window(enum xfer_proto proto, enum xfer_end end,
    uint64_t bytes, uint64_t total, enum xfer_by by, uint64_t window)
{
	const struct fleet_xfer_rule	*r;
	unsigned			 span = fleet_xfer_span(bytes, total, window);
	size_t				 i;

	for (i = 0; i < FLEET_NXFER_RULES; i++) {
		r = &fleet_xfer_rules[i];
		if ((r->protos & (1U << proto)) == 0 || r->end != end ||
		    (r->spans & span) == 0)
			continue;
		if (r->by != BY_ANY && r->by != (int)by)
			continue;
		return (r);
	}
	return (&fleet_xfer_default);
}

const struct fleet_xfer_rule *
fleet_xfer_rule_at(size_t i)
{
	return (i < FLEET_NXFER_RULES ? &fleet_xfer_rules[i] : NULL);
}

_Static_assert(sizeof fleet_xfer_rules / sizeof fleet_xfer_rules[0] ==
    FLEET_NXFER_RULES, "FLEET_NXFER_RULES is the table's length");
