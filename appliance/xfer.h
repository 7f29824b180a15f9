/*
 * The transfer event: one shape for every transfer the daemon makes, whatever
 * the protocol.  The TFTP and HTTP servers measure; the engine (the fleet's
 * transfer-meaning table) decides what a transfer's ending proves.  The
 * servers never decide whether a phone "abandoned" an image: they say how the
 * transfer ended, who ended it and how many bytes the peer acknowledged.
 */
#ifndef ZTP_XFER_H
#define ZTP_XFER_H

#include <stdint.h>

enum xfer_proto {
	XFER_TFTP = 0,
	XFER_HTTP,
	XFER_HTTPS
};
#define XFER_NPROTOS 3

enum xfer_phase {
	XFER_STARTED = 0,	/* the first byte is about to leave */
	XFER_PROGRESS,		/* bytes acknowledged so far */
	XFER_ENDED,		/* over: end and by say how */
	XFER_UPLOAD_STORED,	/* a WRQ / PUT body kept in the quarantine */
	XFER_UPLOAD_REFUSED	/* a WRQ / PUT refused (reason) */
};

/* How a download ended, as the server observed it. */
enum xfer_end {
	XFER_END_NONE = 0,	/* not ended (STARTED, PROGRESS) */
	XFER_END_COMPLETE,	/* every byte acknowledged */
	XFER_END_SILENCE,	/* the peer stopped acknowledging */
	XFER_END_UNREACHABLE,	/* ICMP port unreachable from the peer */
	XFER_END_CLOSED,	/* the peer closed the connection (TCP) */
	XFER_END_PEER_ERROR,	/* the peer sent a TFTP ERROR (not option refusal) */
	XFER_END_OPTION_REFUSED, /* the peer refused our OACK (TFTP error 8) */
	XFER_END_LOCAL_ERROR,	/* our side failed: read error, socket error */
	XFER_END_SHUTDOWN	/* the daemon stopped while it ran */
};
#define XFER_NENDS 9

/* Who ended it. */
enum xfer_by {
	XFER_BY_NONE = 0,
	XFER_BY_PEER,
	XFER_BY_US
};

struct xfer_event {
	enum xfer_proto		 proto;
	enum xfer_phase		 phase;
	uint64_t		 id;		/* unique per transfer and server */
	int			 upload;	/* a WRQ / PUT: bytes came in */
	const char		*name;		/* as requested (raw bytes) */
	const char		*peer_ip;	/* "10.0.0.5" */
	const char		*peer_text;	/* "10.0.0.5:1234" */
	const char		*user_agent;	/* HTTP, else NULL */
	uint64_t		 bytes;		/* acknowledged (down) or received (up) */
	uint64_t		 total;		/* size when known, else 0 */
	unsigned		 blksize;	/* TFTP block size, else 0 */
	unsigned		 windowsize;	/* TFTP window (RFC 7440), else 0 */
	unsigned		 retransmits;	/* TFTP, for summaries */
	/*
	 * HTTP: the most the peer's kernel could have acknowledged had the
	 * client stopped reading after the gate (the image header): the
	 * gate's bytes plus four times its receive window, measured when the
	 * rest was let go.  Acknowledged past it, the client was reading on.
	 * 0: not measured (no gate, TLS, TFTP).
	 */
	uint64_t		 unread_max;
	double			 seconds;	/* since the request */
	enum xfer_end		 end;		/* ENDED only */
	enum xfer_by		 by;		/* ENDED only */
	const char		*reason;	/* words for ENDED / REFUSED, or NULL */
	const char		*stored_path;	/* UPLOAD_STORED, else NULL */
};

const char	*xfer_proto_name(enum xfer_proto);
const char	*xfer_end_name(enum xfer_end);
const char	*xfer_by_name(enum xfer_by);

#endif
