/* Names of the transfer event's fields, as the journal and clients see them. */
#include "xfer.h"

static const char *xfer_proto_names[XFER_NPROTOS] = { "tftp", "http", "https" };
static const char *xfer_end_names[XFER_NENDS] = {
	"", "complete", "silence", "unreachable", "closed", "peer-error",
	"option-refused", "local-error", "shutdown"
};

const char *
xfer_proto_name(enum xfer_proto p)
{
	return ((unsigned)p < XFER_NPROTOS ? xfer_proto_names[p] : "?");
}

const char *
xfer_end_name(enum xfer_end e)
{
	return ((unsigned)e < XFER_NENDS ? xfer_end_names[e] : "?");
}

const char *
xfer_by_name(enum xfer_by b)
{
	switch (b) {
	case XFER_BY_PEER:
		return ("peer");
	case XFER_BY_US:
		return ("us");
	default:
		return ("");
	}
}
