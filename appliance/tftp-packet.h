/*
 * TFTP packets as pure functions: parsing RRQ/WRQ with their options, option
 * negotiation (RFC 2347/2348/2349/7440 and the "rollover" extension) and
 * building DATA/ACK/ERROR/OACK.  No I/O, no allocation: everything here is
 * safe to feed with any bytes, and is what the fuzzer drives.
 */
#ifndef ZTP_TFTP_PACKET_H
#define ZTP_TFTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_OP_RRQ		1
#define TFTP_OP_WRQ		2
#define TFTP_OP_DATA		3
#define TFTP_OP_ACK		4
#define TFTP_OP_ERROR		5
#define TFTP_OP_OACK		6

#define TFTP_BLKSIZE_DEFAULT	512
#define TFTP_BLKSIZE_MIN	8
#define TFTP_BLKSIZE_MAX	65464
#define TFTP_WINDOWSIZE_MAX	65535
#define TFTP_TIMEOUT_MIN	1
#define TFTP_TIMEOUT_MAX	255
#define TFTP_MAX_OPTIONS	16
#define TFTP_OACK_MAX		512
/* The largest request we read: a name, a mode and a few options. */
#define TFTP_REQUEST_MAX	1024

struct tftp_option {
	const char	*name;		/* points into the packet */
	const char	*value;
};

struct tftp_req {
	int			 opcode;	/* TFTP_OP_RRQ or TFTP_OP_WRQ */
	const char		*name;		/* NUL-terminated inside the packet */
	size_t			 namelen;
	int			 netascii;	/* else octet */
	struct tftp_option	 options[TFTP_MAX_OPTIONS];
	unsigned		 noptions;	/* complete, first-of-each-name pairs */
	unsigned		 ignored;	/* duplicates, extra, or an odd tail */
};

/*
 * Parse a request.  The packet must stay alive while req is used.  Returns 0,
 * or a TFTP error code (4: malformed or unknown mode) with *cause allocated.
 */
int	tftp_parse_request(const void *, size_t, struct tftp_req *, char **);

struct tftp_limits {
	unsigned	max_blksize;	/* already clamped to the MTU */
	unsigned	max_windowsize;
	uint64_t	max_upload;	/* WRQ tsize above this: error 3 */
	uint64_t	max_window_bytes; /* windowsize x blksize cap, 0: none */
};

struct tftp_params {
	unsigned	blksize;
	unsigned	windowsize;
	unsigned	timeout_s;	/* 0 when the client sent none */
	unsigned	rollover;	/* block after 65535: 0 (default) or 1 */
	int		tsize_given;	/* WRQ: the client announced tsize */
	uint64_t	tsize;		/* WRQ: the announced size */
};

/*
 * Negotiate the options of req.  size is the file size for an RRQ (size_known
 * 0 when it cannot be told).  Accepted options are echoed in oack (names as
 * the client spelt them), *oacklen is 0 when nothing was accepted and plain
 * DATA/ACK must follow.  Options out of range or not understood are left out
 * (RFC 2347).  Returns 0, or a TFTP error code with *cause (WRQ tsize over
 * the cap).
 */
int	tftp_negotiate(const struct tftp_req *, const struct tftp_limits *,
	    int, uint64_t, struct tftp_params *, uint8_t *, size_t *, char **);

/* Parse an unsigned decimal option value; -1 if not one (or too big). */
int	tftp_parse_number(const char *, uint64_t, uint64_t *);

/* Build packets into buf; return the length. */
size_t	tftp_build_ack(uint8_t *, uint16_t);
void	tftp_build_data_header(uint8_t *, uint16_t);
size_t	tftp_build_error(uint8_t *, size_t, int, const char *);

/*
 * A packet received during a transfer: opcode, block (DATA/ACK) or error code
 * (ERROR), and the payload (DATA) or message (ERROR, not NUL-terminated).
 * Returns -1 when it is too short to be any of them.
 */
struct tftp_packet {
	int		 opcode;
	uint16_t	 block;		/* or the error code */
	const uint8_t	*data;
	size_t		 len;
};
int	tftp_parse_packet(const void *, size_t, struct tftp_packet *);

/* netascii (RFC 764 NVT): LF -> CR LF, CR -> CR NUL; and back. */
size_t	tftp_netascii_encoded_len(const uint8_t *, size_t);
void	tftp_netascii_encode(const uint8_t *, size_t, uint8_t *);
/* Decode with a carried state (a CR at the end of the previous block). */
size_t	tftp_netascii_decode(const uint8_t *, size_t, uint8_t *, int *);

#endif
