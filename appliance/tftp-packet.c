/*
 * TFTP packet parsing, option negotiation and packet building: see
 * tftp-packet.h.  Every field from the network is bounded by the packet
 * length; nothing is assumed to be NUL-terminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tftp-packet.h"
#include "xmalloc.h"

static const char	*tftp_field(const char *, const char *);
static int		 tftp_option_seen(const struct tftp_req *, const char *);
static size_t		 tftp_oack_add(uint8_t *, size_t, const char *,
			    uint64_t);

/* The next NUL-terminated field at p, or NULL if it runs past end. */
static const char *
tftp_field(const char *p, const char *end)
{
	const char	*nul;

	if (p >= end)
		return (NULL);
	if ((nul = memchr(p, '\0', end - p)) == NULL)
		return (NULL);
	return (nul + 1);
}

static int
tftp_option_seen(const struct tftp_req *req, const char *name)
{
	unsigned	i;

	for (i = 0; i < req->noptions; i++) {
		if (strcasecmp(req->options[i].name, name) == 0)
			return (1);
	}
	return (0);
}

int
tftp_parse_request(const void *buf, size_t len, struct tftp_req *req,
    char **cause)
{
	const uint8_t	*b = buf;
	const char	*p, *end, *mode, *next, *value;

	memset(req, 0, sizeof *req);
	if (len < 2) {
		xasprintf(cause, "request of %zu bytes is too short", len);
		return (4);
	}
	req->opcode = (b[0] << 8) | b[1];
	if (req->opcode != TFTP_OP_RRQ && req->opcode != TFTP_OP_WRQ) {
		xasprintf(cause, "opcode %d is not a read or write request",
		    req->opcode);
		return (4);
	}
	p = (const char *)b + 2;
	end = (const char *)b + len;

	if ((mode = tftp_field(p, end)) == NULL) {
		xasprintf(cause, "file name is not NUL-terminated");
		return (4);
	}
	req->name = p;
	req->namelen = mode - p - 1;
	/*
	 * A leading '/' is the served directory's top, as tftpd-hpa
	 * --secure (Debian's default) reads it after its chroot: devices set
	 * up against it ask for "/000000000000.cfg".
	 */
	while (req->namelen > 0 && *req->name == '/') {
		req->name++;
		req->namelen--;
	}
	if (req->namelen == 0) {
		xasprintf(cause, "file name is empty");
		return (4);
	}
	if ((next = tftp_field(mode, end)) == NULL) {
		xasprintf(cause, "transfer mode is missing or not "
		    "NUL-terminated");
		return (4);
	}
	if (strcasecmp(mode, "octet") == 0)
		req->netascii = 0;
	else if (strcasecmp(mode, "netascii") == 0)
		req->netascii = 1;
	else {
		xasprintf(cause, "transfer mode is not octet or netascii");
		return (4);
	}

	/*
	 * Options: complete name/value pairs.  An odd tail or an
	 * unterminated field is ignored rather than refused (some boot ROMs
	 * pad requests with garbage); so are repeats of a name (the first
	 * counts) and anything past TFTP_MAX_OPTIONS.
	 */
	p = next;
	while (p < end) {
		if ((value = tftp_field(p, end)) == NULL ||
		    (next = tftp_field(value, end)) == NULL) {
			req->ignored++;
			break;
		}
		if (*p == '\0' || tftp_option_seen(req, p) ||
		    req->noptions == TFTP_MAX_OPTIONS)
			req->ignored++;
		else {
			req->options[req->noptions].name = p;
			req->options[req->noptions].value = value;
			req->noptions++;
		}
		p = next;
	}
	return (0);
}

int
tftp_parse_number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	int		too_big = 0;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 &&
		    (uint64_t)(*s - '0') > UINT64_MAX % 10))
			too_big = 1;
		else
			v = v * 10 + (*s - '0');
	}
	if (too_big || v > max)
		return (-2);
	*out = v;
	return (0);
}

static size_t
tftp_oack_add(uint8_t *oack, size_t off, const char *name, uint64_t value)
{
	char	num[24];
	size_t	nlen, vlen;
	int	n;

	n = snprintf(num, sizeof num, "%llu", (unsigned long long)value);
	nlen = strlen(name) + 1;
	vlen = (size_t)n + 1;
	if (off + nlen + vlen > TFTP_OACK_MAX)
		return (off);	/* cannot happen with 16 short options */
	memcpy(oack + off, name, nlen);
	memcpy(oack + off + nlen, num, vlen);
	return (off + nlen + vlen);
}

int
tftp_negotiate(const struct tftp_req *req, const struct tftp_limits *lim,
    int size_known, uint64_t size, struct tftp_params *par, uint8_t *oack,
    size_t *oacklen, char **cause)
{
	const struct tftp_option	*o;
	uint64_t			 v, granted[TFTP_MAX_OPTIONS];
	int				 kind[TFTP_MAX_OPTIONS];
	size_t				 off = 2;
	unsigned			 i, maxblk;
	int				 rc;

	enum { NONE, BLKSIZE, WINDOWSIZE, OTHER };

	memset(par, 0, sizeof *par);
	par->blksize = TFTP_BLKSIZE_DEFAULT;
	par->windowsize = 1;
	*oacklen = 0;
	maxblk = lim->max_blksize;
	if (maxblk < TFTP_BLKSIZE_MIN)
		maxblk = TFTP_BLKSIZE_MIN;
	if (maxblk > TFTP_BLKSIZE_MAX)
		maxblk = TFTP_BLKSIZE_MAX;

	/* First the values, then the OACK: windowsize depends on blksize. */
	for (i = 0; i < req->noptions; i++) {
		o = &req->options[i];
		kind[i] = NONE;
		if (strcasecmp(o->name, "blksize") == 0) {
			/*
			 * RFC 2348: 8..65464, and a smaller grant is allowed,
			 * so a larger number ("65535") gets our largest, as
			 * from tftpd-hpa, rather than 512.
			 */
			rc = tftp_parse_number(o->value, UINT64_MAX, &v);
			if (rc == -2)
				v = maxblk;
			else if (rc != 0 || v < TFTP_BLKSIZE_MIN)
				continue;
			if (v > maxblk)
				v = maxblk;
			par->blksize = v;
			kind[i] = BLKSIZE;
		} else if (strcasecmp(o->name, "windowsize") == 0) {
			if (tftp_parse_number(o->value, TFTP_WINDOWSIZE_MAX,
			    &v) != 0 || v < 1)
				continue;
			if (v > lim->max_windowsize)
				v = lim->max_windowsize;
			if (v < 1)
				v = 1;
			par->windowsize = v;
			kind[i] = WINDOWSIZE;
		} else if (strcasecmp(o->name, "timeout") == 0) {
			if (tftp_parse_number(o->value, TFTP_TIMEOUT_MAX,
			    &v) != 0 || v < TFTP_TIMEOUT_MIN)
				continue;
			par->timeout_s = v;
			granted[i] = v;
			kind[i] = OTHER;
		} else if (strcasecmp(o->name, "tsize") == 0) {
			rc = tftp_parse_number(o->value, UINT64_MAX, &v);
			if (req->opcode == TFTP_OP_WRQ) {
				if (rc == -1)
					continue;
				if (rc == -2 || v > lim->max_upload) {
					xasprintf(cause, "announced size %s "
					    "is over the upload limit of "
					    "%llu bytes", rc == -2 ?
					    "(too large)" : o->value,
					    (unsigned long long)lim->max_upload);
					return (3);
				}
				par->tsize_given = 1;
				par->tsize = v;
				granted[i] = v;
			} else {
				/* RFC 2349: the client sends 0, we answer. */
				if (rc != 0 || !size_known)
					continue;
				granted[i] = size;
			}
			kind[i] = OTHER;
		} else if (strcasecmp(o->name, "rollover") == 0) {
			if (tftp_parse_number(o->value, 1, &v) != 0)
				continue;
			par->rollover = v;
			granted[i] = v;
			kind[i] = OTHER;
		}
	}
	if (lim->max_window_bytes != 0 &&
	    (uint64_t)par->windowsize * par->blksize > lim->max_window_bytes) {
		par->windowsize = lim->max_window_bytes / par->blksize;
		if (par->windowsize < 1)
			par->windowsize = 1;
	}
	for (i = 0; i < req->noptions; i++) {
		if (kind[i] == NONE)
			continue;
		v = kind[i] == BLKSIZE ? par->blksize :
		    kind[i] == WINDOWSIZE ? par->windowsize : granted[i];
		off = tftp_oack_add(oack, off, req->options[i].name, v);
	}
	if (off > 2) {
		oack[0] = 0;
		oack[1] = TFTP_OP_OACK;
		*oacklen = off;
	}
	return (0);
}

size_t
tftp_build_ack(uint8_t *buf, uint16_t block)
{
	buf[0] = 0;
	buf[1] = TFTP_OP_ACK;
	buf[2] = block >> 8;
	buf[3] = block & 0xff;
	return (4);
}

void
tftp_build_data_header(uint8_t *buf, uint16_t block)
{
	buf[0] = 0;
	buf[1] = TFTP_OP_DATA;
	buf[2] = block >> 8;
	buf[3] = block & 0xff;
}

size_t
tftp_build_error(uint8_t *buf, size_t size, int code, const char *msg)
{
	size_t	len;

	if (size < 5)
		return (0);
	len = strlen(msg);
	if (len > size - 5)
		len = size - 5;
	buf[0] = 0;
	buf[1] = TFTP_OP_ERROR;
	buf[2] = (code >> 8) & 0xff;
	buf[3] = code & 0xff;
	memcpy(buf + 4, msg, len);
	buf[4 + len] = '\0';
	return (5 + len);
}

int
tftp_parse_packet(const void *buf, size_t len, struct tftp_packet *pkt)
{
	const uint8_t	*b = buf;

	memset(pkt, 0, sizeof *pkt);
	if (len < 4)
		return (-1);
	pkt->opcode = (b[0] << 8) | b[1];
	pkt->block = (b[2] << 8) | b[3];
	pkt->data = b + 4;
	pkt->len = len - 4;
	if (pkt->opcode == TFTP_OP_ERROR && pkt->len > 0 &&
	    memchr(pkt->data, '\0', pkt->len) != NULL)
		pkt->len = strnlen((const char *)pkt->data, pkt->len);
	return (0);
}

size_t
tftp_netascii_encoded_len(const uint8_t *in, size_t len)
{
	size_t	i, n = len;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' || in[i] == '\r')
			n++;
	}
	return (n);
}

void
tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n') {
			*out++ = '\r';
			*out++ = '\n';
		} else if (in[i] == '\r') {
			*out++ = '\r';
			*out++ = '\0';
		} else
			*out++ = in[i];
	}
}

size_t
tftp_netascii_decode(const uint8_t *in, size_t len, uint8_t *out, int *cr)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (*cr) {
			*cr = 0;
			if (in[i] == '\n') {
				out[n++] = '\n';
				continue;
			}
			/* CR NUL is a bare CR; CR x keeps both (lenient). */
			out[n++] = '\r';
			if (in[i] == '\0')
				continue;
		}
		if (in[i] == '\r')
			*cr = 1;
		else
			out[n++] = in[i];
	}
	return (n);
}
