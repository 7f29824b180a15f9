/*
 * The TFTP packet layer on arbitrary bytes: request parsing, option
 * negotiation for both directions with the OACK it builds, transfer packets
 * and netascii decoding.  Checks what must hold for any input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_req		 req;
	struct tftp_limits	 lim = { 1468, 64, 1 << 20, 1 << 20 };
	struct tftp_params	 par;
	struct tftp_packet	 pkt;
	uint8_t			 oack[TFTP_OACK_MAX], *copy, out[2048];
	size_t			 oacklen, n;
	char			*cause = NULL;
	int			 rc, cr = 0;

	/* An exact-size copy, so that any over-read is caught. */
	copy = malloc(size > 0 ? size : 1);
	memcpy(copy, data, size);
	rc = tftp_parse_request(copy, size, &req, &cause);
	if (rc != 0) {
		if (cause == NULL || rc != 4)
			abort();
		free(cause);
	} else {
		if (req.namelen == 0 || strlen(req.name) != req.namelen)
			abort();
		cause = NULL;
		rc = tftp_negotiate(&req, &lim, 1, size, &par, oack,
		    &oacklen, &cause);
		if (rc != 0) {
			if (rc != 3 || cause == NULL ||
			    req.opcode != TFTP_OP_WRQ)
				abort();
			free(cause);
		} else {
			if (par.blksize < 8 || par.blksize > 1468 ||
			    par.windowsize < 1 || par.windowsize > 64 ||
			    (uint64_t)par.windowsize * par.blksize >
			    (1 << 20) || par.rollover > 1)
				abort();
			if (oacklen != 0 && (oacklen < 4 ||
			    oack[oacklen - 1] != '\0' || oack[1] != 6))
				abort();
		}
	}
	if (tftp_parse_packet(copy, size, &pkt) == 0 && pkt.len > size)
		abort();
	n = size < 1024 ? size : 1024;
	if (tftp_netascii_decode(copy, n, out, &cr) > n + 1)
		abort();
	free(copy);
	return (0);
}
