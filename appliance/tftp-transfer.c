/*
 * Sending a file (RRQ): windows of blocks out with one sendmmsg(), ACKs in,
 * retransmission on timeout only, with an RTT-adaptive timeout (RFC 1123
 * 4.2.3.2) and exponential backoff, and an end after abandon_ms of silence.
 * How a transfer ended is reported as observed (silence, ICMP, the client's
 * error); what that proves about the phone is the fleet's to decide.
 *
 * No allocation or log line per packet: headers, iovecs and the read-ahead
 * buffer are allocated once per transfer, file bytes come in with one pread()
 * per 64 KB (or per window), in-memory content is sent in place.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "tftp-int.h"
#include "xmalloc.h"

static int	tftp_read_load(struct tftp_transfer *, char **);
static int	tftp_read_busy(char **);
static int	tftp_read_repeat(struct tftp_transfer *);
static int	tftp_read_fill(struct tftp_transfer *, uint64_t, unsigned);
static int	tftp_read_send(struct tftp_transfer *, uint64_t, unsigned, int);
static void	tftp_read_rtt(struct tftp_transfer *);
static unsigned	tftp_read_rto_base(const struct tftp_transfer *);
static int	tftp_read_end(struct tftp_transfer *, enum xfer_end,
		    const char *);

int
tftp_read_start(struct tftp_transfer *t, const struct tftp_req *req,
    unsigned maxblk, char **cause)
{
	struct tftp_server	*srv = t->server;
	struct tftp_request	 rq;
	struct tftp_limits	 lim;
	unsigned		 w, nchunk;
	int			 code;

	if (srv->hooks.resolve == NULL) {
		xasprintf(cause, "no files are served here");
		return (TFTP_ERR_NOT_FOUND);
	}
	memset(&rq, 0, sizeof rq);
	rq.name = t->name;
	rq.write = 0;
	rq.peer = &t->peer;
	rq.local = &t->local;
	rq.peer_text = t->peer_text;
	rq.netascii = t->netascii;
	t->content.fd = -1;
	*cause = NULL;
	code = srv->hooks.resolve(srv->hooks.arg, &rq, &t->content, cause);
	t->resolved = code == 0;
	if (code != 0) {
		t->content.fd = -1;
		t->content.release = NULL;
		if (*cause == NULL)
			*cause = xstrdup("file not found");
		return (code);
	}
	t->size = t->content.size;
	if (t->content.fd == -1)
		t->mem = t->content.buf;
	if (t->netascii) {
		code = tftp_read_load(t, cause);
		if (*cause != NULL)	/* a refusal may be code 0 (busy) */
			return (code);
	}

	memset(&lim, 0, sizeof lim);
	lim.max_blksize = maxblk;
	lim.max_windowsize = srv->cfg.max_windowsize;
	/* A window never needs more buffer than the budget has left. */
	lim.max_window_bytes = TFTP_WINDOW_BYTES_MAX;
	if (t->mem == NULL && tftp_mem_free(srv) < lim.max_window_bytes)
		lim.max_window_bytes = tftp_mem_free(srv);
	if (lim.max_window_bytes < TFTP_BLKSIZE_MIN)
		lim.max_window_bytes = TFTP_BLKSIZE_MIN;
	code = tftp_negotiate(req, &lim, 1, t->size, &t->params, t->oack,
	    &t->oacklen, cause);
	if (code != 0)
		return (code);

	w = t->params.windowsize;
	if (t->mem == NULL) {
		/* 64 KB of read-ahead if the budget allows, else one window. */
		nchunk = TFTP_CHUNK_MIN / t->params.blksize;
		if (nchunk < w)
			nchunk = w;
		t->chunk_size = (size_t)nchunk * t->params.blksize;
		if (t->chunk_size > tftp_mem_free(srv))
			t->chunk_size = (size_t)w * t->params.blksize;
		if (tftp_mem_charge(t, t->chunk_size) != 0) {
			t->chunk_size = 0;
			return (tftp_read_busy(cause));
		}
		t->chunk = xmalloc(t->chunk_size);
	}
	tftp_sender_init(&t->snd, t->size / t->params.blksize + 1, w,
	    t->params.rollover);
	t->hdrs = xcalloc(w, 4);
	t->iov = xcalloc(w, 2 * sizeof *t->iov);
	t->msgs = xcalloc(w, sizeof *t->msgs);
	t->pktsize = 2048;
	t->pkt = xmalloc(t->pktsize);

	t->rto_max_ms = t->params.timeout_s != 0 ? t->params.timeout_s * 1000 :
	    srv->cfg.timeout_ms;
	t->rto_ms = srv->cfg.timeout_ms < t->rto_max_ms ? srv->cfg.timeout_ms :
	    t->rto_max_ms;
	if (t->rto_ms < t->server->cfg.rto_min_ms)
		t->rto_ms = t->server->cfg.rto_min_ms;
	t->abandon_ms = tftp_abandon_ms(t);
	return (0);
}

static int
tftp_read_busy(char **cause)
{
	xasprintf(cause, "server busy (transfer memory in use), try again "
	    "later");
	return (TFTP_ERR_UNDEFINED);
}

/*
 * netascii: the whole file converted in memory, so only for text files up
 * to TFTP_NETASCII_MAX (configs, not images), and charged to the budget.
 */
static int
tftp_read_load(struct tftp_transfer *t, char **cause)
{
	uint8_t		*raw;
	const uint8_t	*src;
	uint64_t	 got = 0, need;
	size_t		 len;
	ssize_t		 n;

	if (t->size > TFTP_NETASCII_MAX) {
		xasprintf(cause, "netascii (text) mode is for text files up to "
		    "%u KiB and this file is %llu bytes: ask for it in octet "
		    "(binary) mode", TFTP_NETASCII_MAX / 1024,
		    (unsigned long long)t->size);
		return (TFTP_ERR_ACCESS);
	}
	/* The file read in (unless in memory) and at most twice its size. */
	need = 2 * t->size + 1 + (t->mem == NULL ? t->size : 0);
	if (tftp_mem_charge(t, need) != 0)
		return (tftp_read_busy(cause));
	raw = NULL;
	src = t->mem;
	if (src == NULL) {
		raw = xmalloc(t->size + 1);
		while (got < t->size) {
			n = pread(t->content.fd, raw + got, t->size - got, got);
			if (n <= 0) {
				free(raw);
				xasprintf(cause, "file could not be read");
				return (TFTP_ERR_UNDEFINED);
			}
			got += n;
		}
		src = raw;
	}
	len = tftp_netascii_encoded_len(src, t->size);
	t->converted = xmalloc(len + 1);
	tftp_netascii_encode(src, t->size, t->converted);
	t->size = len;
	t->mem = t->converted;
	free(raw);
	/* Keep only what the converted copy holds. */
	t->server->mem_used -= t->mem_cost - (len + 1);
	t->mem_cost = len + 1;
	return (0);
}

int
tftp_read_begin(struct tftp_transfer *t)
{
	uint64_t	from;
	unsigned	count;

	if (t->oacklen > 0) {
		t->state = TFTP_STATE_OACK;
		send(t->fd, t->oack, t->oacklen, MSG_DONTWAIT);
		t->window_us = tftp_now_us();
		t->timed = 1;
		t->deadline_ms = t->window_us / 1000 + t->rto_ms;
		tftp_timer_arm(t);
		return (0);
	}
	t->state = TFTP_STATE_RUN;
	tftp_sender_first(&t->snd, &from, &count);
	return (tftp_read_send(t, from, count, 0));
}

/* Make sure the read-ahead buffer holds blocks from .. from + count - 1. */
static int
tftp_read_fill(struct tftp_transfer *t, uint64_t from, unsigned count)
{
	uint64_t	off = (from - 1) * t->params.blksize;
	uint64_t	end = (from - 1 + count) * t->params.blksize;
	size_t		got = 0, want;
	ssize_t		n;

	if (end > t->size)
		end = t->size;
	if (off >= t->chunk_off && end <= t->chunk_off + t->chunk_len)
		return (0);
	want = t->chunk_size;
	if (want > t->size - off)
		want = t->size - off;
	while (got < want) {
		n = pread(t->content.fd, t->chunk + got, want - got, off + got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	t->chunk_off = off;
	t->chunk_len = got;
	if (off + got < end)
		return (-1);
	return (0);
}

/* Send blocks from .. from + count - 1; -1 if the transfer ended. */
static int
tftp_read_send(struct tftp_transfer *t, uint64_t from, unsigned count,
    int retransmit)
{
	unsigned	 blksize = t->params.blksize, i;
	uint64_t	 b, off;
	const uint8_t	*base;
	size_t		 len;
	int		 n;

	if (count == 0)
		return (0);
	if (t->batched)		/* send what msgs[0] holds before reusing it */
		tftp_batch_flush(tftp_transfer_batch(t));
	if (t->mem == NULL && tftp_read_fill(t, from, count) != 0) {
		tftp_send_error(t, TFTP_ERR_UNDEFINED, "file read error");
		tftp_finish(t, XFER_END_LOCAL_ERROR, XFER_BY_US, "the file "
		    "could not be read (changed or truncated while being "
		    "sent)");
		return (-1);
	}
	for (i = 0; i < count; i++) {
		b = from + i;
		off = (b - 1) * blksize;
		len = off >= t->size ? 0 : (t->size - off < blksize ?
		    t->size - off : blksize);
		base = t->mem != NULL ? t->mem + off :
		    t->chunk + (off - t->chunk_off);
		tftp_build_data_header(t->hdrs + 4 * i,
		    tftp_wire_block(b, t->params.rollover));
		t->iov[2 * i].iov_base = t->hdrs + 4 * i;
		t->iov[2 * i].iov_len = 4;
		t->iov[2 * i + 1].iov_base = (void *)base;
		t->iov[2 * i + 1].iov_len = len;
		memset(&t->msgs[i].msg_hdr, 0, sizeof t->msgs[i].msg_hdr);
		t->msgs[i].msg_hdr.msg_iov = &t->iov[2 * i];
		t->msgs[i].msg_hdr.msg_iovlen = len > 0 ? 2 : 1;
	}
	if (count == 1 && tftp_batch_queue(tftp_transfer_batch(t), t) == 0)
		n = 1;
	else if (count == 1)
		n = sendmsg(t->fd, &t->msgs[0].msg_hdr, MSG_DONTWAIT) == -1 ?
		    -1 : 1;
	else
		n = sendmmsg(t->fd, t->msgs, count, MSG_DONTWAIT);
	if (n == -1) {
		if (errno == ECONNREFUSED)
			return (tftp_read_end(t, XFER_END_UNREACHABLE,
			    "the client port became unreachable"));
		n = 0;	/* full socket buffer: wait for room, or retransmit */
	}
	if (n > 0)
		tftp_sender_sent(&t->snd, from + n - 1);
	if ((unsigned)n < count) {
		t->pending_from = from + n;
		t->pending_count = count - n;
		event_add(t->ev_write, NULL);
	} else
		t->pending_count = 0;

	t->window_us = tftp_now_us();
	t->timed = !retransmit;
	t->deadline_ms = t->window_us / 1000 + t->rto_ms;
	if (t->deadline_ms > t->progress_ms + t->abandon_ms)
		t->deadline_ms = t->progress_ms + t->abandon_ms;
	tftp_timer_arm(t);
	return (0);
}

int
tftp_read_writable(struct tftp_transfer *t)
{
	if (t->pending_count == 0)
		return (0);
	return (tftp_read_send(t, t->pending_from, t->pending_count, 1));
}

/* A round-trip sample (Karn: only from windows sent once). */
static void
tftp_read_rtt(struct tftp_transfer *t)
{
	uint64_t	sample;
	unsigned	diff;

	if (!t->timed)
		return;
	sample = tftp_now_us() - t->window_us;
	if (sample > 60000000)
		sample = 60000000;
	if (t->srtt_us == 0) {
		t->srtt_us = sample;
		t->rttvar_us = sample / 2;
	} else {
		diff = t->srtt_us > sample ? t->srtt_us - sample :
		    sample - t->srtt_us;
		t->rttvar_us = (3 * t->rttvar_us + diff) / 4;
		t->srtt_us = (7 * t->srtt_us + sample) / 8;
	}
	t->rto_ms = tftp_read_rto_base(t);
}

/* The retransmission timeout from the round trip, before any backoff. */
static unsigned
tftp_read_rto_base(const struct tftp_transfer *t)
{
	unsigned	rto = (t->srtt_us + 4 * t->rttvar_us) / 1000;

	if (rto < t->server->cfg.rto_min_ms)
		rto = t->server->cfg.rto_min_ms;
	if (rto > t->rto_max_ms)
		rto = t->rto_max_ms;
	return (rto);
}

/* The client ended it (silence, ICMP, its error): -1, as handlers return. */
static int
tftp_read_end(struct tftp_transfer *t, enum xfer_end end, const char *why)
{
	tftp_finish(t, end, XFER_BY_PEER, why);
	return (-1);
}

int
tftp_read_packet(struct tftp_transfer *t, const uint8_t *buf, size_t len)
{
	struct tftp_packet	 pkt;
	enum tftp_ack_result	 res;
	uint64_t		 from, now;
	unsigned		 count;
	char			*msg, *why;

	if (tftp_parse_packet(buf, len, &pkt) != 0)
		return (0);
	if (pkt.opcode == TFTP_OP_ERROR) {
		msg = log_escape(pkt.data, pkt.len);
		xasprintf(&why, "the client sent error %u (%s)", pkt.block,
		    msg);
		free(msg);
		tftp_read_end(t, t->state == TFTP_STATE_OACK &&
		    pkt.block == TFTP_ERR_OPTION ? XFER_END_OPTION_REFUSED :
		    XFER_END_PEER_ERROR, why);
		free(why);
		return (-1);
	}
	if (pkt.opcode != TFTP_OP_ACK)
		return (0);

	if (t->state == TFTP_STATE_OACK) {
		if (pkt.block != 0)
			return (0);
		t->state = TFTP_STATE_RUN;
		tftp_read_rtt(t);
		t->tries = 0;
		t->progress_ms = tftp_now_ms();
		tftp_sender_first(&t->snd, &from, &count);
		return (tftp_read_send(t, from, count, 0));
	}

	res = tftp_sender_ack(&t->snd, pkt.block, &from, &count);
	if (res == TFTP_ACK_IGNORED)
		return (0);
	if (res == TFTP_ACK_REPEAT)
		return (tftp_read_repeat(t));
	if (t->snd.acked == t->snd.sent)
		tftp_read_rtt(t);
	t->tries = 0;
	t->repeats = 0;
	now = tftp_now_ms();
	t->progress_ms = now;
	t->bytes = t->snd.acked * t->params.blksize;
	if (t->bytes > t->size)
		t->bytes = t->size;
	if (res == TFTP_ACK_DONE) {
		tftp_finish(t, XFER_END_COMPLETE, XFER_BY_PEER, NULL);
		return (-1);
	}
	if (now - t->event_ms >= TFTP_PROGRESS_MS) {
		t->event_ms = now;
		tftp_emit(t, XFER_PROGRESS, NULL, NULL);
	}
	/* A go-back replaces whatever part of a window was still queued. */
	if (t->pending_count > 0) {
		event_del(t->ev_write);
		t->pending_count = 0;
	}
	return (tftp_read_send(t, from, count, 0));
}

/*
 * The last ACK again while blocks are outstanding: after an outage the
 * client's own timer says what it waits for was lost, and once our own
 * retransmissions have backed off it restarts the transfer at once (as
 * tftpd-hpa does).  A duplicate of an ACK looks the same, so it is answered
 * only when the window went out at least a retransmission timeout (before
 * backoff) ago, never as an echo of it: a duplicated ACK cannot double the
 * traffic (RFC 1123 4.2.3.1).
 */
static int
tftp_read_repeat(struct tftp_transfer *t)
{
	uint64_t	from;
	unsigned	count, base;

	t->repeats++;
	t->repeat_ms = tftp_now_ms();
	/* The timeout before backoff: after an outage the answer is prompt. */
	base = t->srtt_us == 0 ? t->rto_ms : tftp_read_rto_base(t);
	if (tftp_now_us() - t->window_us < (uint64_t)base * 1000)
		return (0);
	t->retransmits++;
	if (t->pending_count > 0) {
		event_del(t->ev_write);
		t->pending_count = 0;
	}
	tftp_sender_timeout(&t->snd, &from, &count);
	return (tftp_read_send(t, from, count, 1));
}

int
tftp_read_timeout(struct tftp_transfer *t)
{
	uint64_t	now = tftp_now_ms(), from;
	unsigned	count, abandon = t->abandon_ms;
	char		why[128];

	if (now - t->progress_ms >= abandon) {
		/* Not silence if the client kept repeating its last ACK. */
		if (t->repeats > 0 && t->repeat_ms > t->progress_ms)
			snprintf(why, sizeof why, "no new acknowledgement for "
			    "%.1f s (the client repeated its last one %u "
			    "times)", (now - t->progress_ms) / 1000.0,
			    t->repeats);
		else
			snprintf(why, sizeof why, "no acknowledgement for "
			    "%.1f s", (now - t->progress_ms) / 1000.0);
		return (tftp_read_end(t, XFER_END_SILENCE, why));
	}
	/*
	 * A client that has answered is resent to until the transfer is
	 * abandoned, the timeout doubling up to rto_max (1 s, or the one it
	 * asked for): an outage of a second or two is survived even with a
	 * client whose own timer is longer than our silence.  One that never
	 * answered (a forged source) gets `retries` and no more.
	 */
	if (t->tries >= t->server->cfg.retries && !t->answered) {
		/* Enough resending: wait out the rest of the silence. */
		t->deadline_ms = t->progress_ms + abandon;
		tftp_timer_arm(t);
		return (0);
	}
	t->tries++;
	t->retransmits++;
	t->rto_ms *= 2;
	if (t->rto_ms > t->rto_max_ms)
		t->rto_ms = t->rto_max_ms;
	if (t->state == TFTP_STATE_OACK) {
		send(t->fd, t->oack, t->oacklen, MSG_DONTWAIT);
		t->timed = 0;
		t->deadline_ms = now + t->rto_ms;
		if (t->deadline_ms > t->progress_ms + abandon)
			t->deadline_ms = t->progress_ms + abandon;
		tftp_timer_arm(t);
		return (0);
	}
	if (t->pending_count > 0) {
		event_del(t->ev_write);
		t->pending_count = 0;
	}
	tftp_sender_timeout(&t->snd, &from, &count);
	return (tftp_read_send(t, from, count, 1));
}

void
tftp_read_free(struct tftp_transfer *t)
{
	if (t->content.fd != -1)
		close(t->content.fd);
	if (t->content.release != NULL)
		t->content.release(t->content.release_arg);
	free(t->converted);
	free(t->chunk);
	free(t->hdrs);
	free(t->iov);
	free(t->msgs);
}
