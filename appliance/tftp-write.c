/*
 * Receiving a file (WRQ) into the upload store: blocks are acknowledged per
 * window (RFC 7440) or at once for the last one, stored through upload.c
 * (which never overwrites and leaves nothing behind on failure), and after
 * the final ACK the transfer dallies a moment to answer a repeated last block
 * in case that ACK was lost.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "tftp-int.h"
#include "upload.h"
#include "xmalloc.h"

static void	tftp_write_ack(struct tftp_transfer *, uint16_t);
static int	tftp_write_fail(struct tftp_transfer *, int, const char *);
static int	tftp_write_store(struct tftp_transfer *, const uint8_t *,
		    size_t);

int
tftp_write_start(struct tftp_transfer *t, const struct tftp_req *req,
    unsigned maxblk, char **cause)
{
	struct tftp_server	*srv = t->server;
	struct tftp_limits	 lim;
	int			 code;

	if (srv->cfg.uploads == NULL) {
		xasprintf(cause, "uploads are not accepted by this server");
		return (TFTP_ERR_ACCESS);
	}
	memset(&lim, 0, sizeof lim);
	lim.max_blksize = maxblk;
	lim.max_windowsize = srv->cfg.max_windowsize;
	lim.max_upload = upload_store_max(srv->cfg.uploads);
	lim.max_window_bytes = TFTP_WINDOW_BYTES_MAX;
	code = tftp_negotiate(req, &lim, 0, 0, &t->params, t->oack,
	    &t->oacklen, cause);
	if (code != 0)
		return (code);
	/* The receive buffer (and netascii's) come out of the budget. */
	if (tftp_mem_charge(t, (uint64_t)(t->params.blksize + 5) *
	    (t->netascii ? 2 : 1)) != 0) {
		xasprintf(cause, "server busy (transfer memory in use), try "
		    "again later");
		return (TFTP_ERR_UNDEFINED);
	}
	if ((t->upload = upload_begin(srv->cfg.uploads, t->name,
	    cause)) == NULL)
		return (TFTP_ERR_ACCESS);
	tftp_receiver_init(&t->rcv, t->params.windowsize, t->params.rollover);
	/* One byte more than a block, to notice an oversized one. */
	t->pktsize = t->params.blksize + 5;
	t->pkt = xmalloc(t->pktsize);
	if (t->netascii)
		t->decoded = xmalloc(t->params.blksize + 1);
	t->rto_max_ms = t->params.timeout_s != 0 ? t->params.timeout_s * 1000 :
	    srv->cfg.timeout_ms;
	t->rto_ms = srv->cfg.timeout_ms < t->rto_max_ms ? srv->cfg.timeout_ms :
	    t->rto_max_ms;
	if (t->rto_ms < t->server->cfg.rto_min_ms)
		t->rto_ms = t->server->cfg.rto_min_ms;
	t->abandon_ms = tftp_abandon_ms(t);
	return (0);
}

int
tftp_write_begin(struct tftp_transfer *t)
{
	if (t->oacklen > 0) {
		t->state = TFTP_STATE_OACK;
		send(t->fd, t->oack, t->oacklen, MSG_DONTWAIT);
		t->deadline_ms = tftp_now_ms() + t->rto_ms;
		tftp_timer_arm(t);
		return (0);
	}
	t->state = TFTP_STATE_RUN;
	tftp_write_ack(t, 0);
	return (0);
}

static void
tftp_write_ack(struct tftp_transfer *t, uint16_t block)
{
	uint8_t	ack[4];

	tftp_build_ack(ack, block);
	send(t->fd, ack, sizeof ack, MSG_DONTWAIT);
	t->last_ack = block;
	t->deadline_ms = tftp_now_ms() + t->rto_ms;
	tftp_timer_arm(t);
}

static int
tftp_write_fail(struct tftp_transfer *t, int code, const char *why)
{
	tftp_send_error(t, code, why);
	tftp_finish(t, code == TFTP_ERR_ILLEGAL_OP ? XFER_END_PEER_ERROR :
	    XFER_END_LOCAL_ERROR, XFER_BY_US, why);
	return (-1);
}

static int
tftp_write_store(struct tftp_transfer *t, const uint8_t *data, size_t len)
{
	char	*cause;
	int	 rc;

	if (t->netascii) {
		len = tftp_netascii_decode(data, len, t->decoded, &t->cr);
		data = t->decoded;
		if (t->rcv.done && t->cr) {
			/* A lone CR at the very end is kept as it came. */
			t->decoded[len++] = '\r';
			t->cr = 0;
		}
	}
	if (upload_write(t->upload, data, len, &cause) == 0)
		return (0);
	rc = tftp_write_fail(t, TFTP_ERR_DISK_FULL, cause);
	free(cause);
	return (rc);
}

int
tftp_write_packet(struct tftp_transfer *t, const uint8_t *buf, size_t len)
{
	struct tftp_packet	 pkt;
	enum tftp_data_result	 res;
	char			*msg, *why, *stored, *cause;
	uint64_t		 now;
	uint16_t		 ack;
	int			 ack_now, rc;

	if (tftp_parse_packet(buf, len, &pkt) != 0)
		return (0);
	if (pkt.opcode == TFTP_OP_ERROR) {
		msg = log_escape(pkt.data, pkt.len);
		xasprintf(&why, "the client sent error %u (%s) after %llu "
		    "bytes", pkt.block, msg, (unsigned long long)t->bytes);
		free(msg);
		if (t->state == TFTP_STATE_DALLY)
			tftp_transfer_free(t);
		else
			tftp_finish(t, XFER_END_PEER_ERROR, XFER_BY_PEER, why);
		free(why);
		return (-1);
	}
	if (pkt.opcode != TFTP_OP_DATA)
		return (0);
	if (pkt.len > t->params.blksize)
		return (tftp_write_fail(t, TFTP_ERR_ILLEGAL_OP, "a DATA block "
		    "was larger than the block size"));
	if (t->state == TFTP_STATE_OACK)
		t->state = TFTP_STATE_RUN;

	res = tftp_receiver_data(&t->rcv, pkt.block, pkt.len,
	    t->params.blksize, &ack_now, &ack);
	if (res == TFTP_DATA_IGNORED)
		return (0);
	if (res == TFTP_DATA_ACK) {
		tftp_write_ack(t, ack);
		return (0);
	}
	if (tftp_write_store(t, pkt.data, pkt.len) != 0)
		return (-1);
	now = tftp_now_ms();
	t->progress_ms = now;
	t->tries = 0;
	t->bytes += pkt.len;
	if (!t->rcv.done) {
		if (ack_now)
			tftp_write_ack(t, ack);
		else {
			t->deadline_ms = now + t->rto_ms;
			tftp_timer_arm(t);
		}
		if (now - t->event_ms >= TFTP_PROGRESS_MS) {
			t->event_ms = now;
			tftp_emit(t, XFER_PROGRESS, NULL, NULL);
		}
		return (0);
	}

	rc = upload_commit(t->upload, &stored, &cause);
	t->upload = NULL;
	if (rc != 0) {
		rc = tftp_write_fail(t, TFTP_ERR_DISK_FULL, cause);
		free(cause);
		return (rc);
	}
	tftp_write_ack(t, ack);
	tftp_emit(t, XFER_UPLOAD_STORED, NULL, stored);
	tftp_emit_end(t, XFER_END_COMPLETE, XFER_BY_PEER, NULL);
	free(stored);
	/* Dally: answer a repeat of the last block for one timeout. */
	t->state = TFTP_STATE_DALLY;
	t->deadline_ms = now + (t->rto_max_ms < t->abandon_ms ?
	    t->rto_max_ms : t->abandon_ms);
	tftp_timer_arm(t);
	return (0);
}

int
tftp_write_timeout(struct tftp_transfer *t)
{
	uint64_t	now = tftp_now_ms();
	unsigned	abandon = t->abandon_ms;
	char		*why;
	uint8_t		 ack[4];

	if (t->state == TFTP_STATE_DALLY) {
		tftp_transfer_free(t);
		return (-1);
	}
	if (now - t->progress_ms >= abandon) {
		xasprintf(&why, "the upload stopped after %llu bytes (no data "
		    "for %.1f s)", (unsigned long long)t->bytes,
		    (now - t->progress_ms) / 1000.0);
		tftp_finish(t, XFER_END_SILENCE, XFER_BY_PEER, why);
		free(why);
		return (-1);
	}
	if (t->tries < t->server->cfg.retries) {
		t->tries++;
		t->retransmits++;
		t->rto_ms *= 2;
		if (t->rto_ms > t->rto_max_ms)
			t->rto_ms = t->rto_max_ms;
		if (t->state == TFTP_STATE_OACK)
			send(t->fd, t->oack, t->oacklen, MSG_DONTWAIT);
		else {
			/* Where we are: resend our last ACK (RFC 7440 too). */
			tftp_build_ack(ack, tftp_wire_block(t->rcv.received,
			    t->rcv.rollover));
			send(t->fd, ack, sizeof ack, MSG_DONTWAIT);
			t->rcv.since_ack = 0;
		}
		t->deadline_ms = now + t->rto_ms;
	} else
		t->deadline_ms = t->progress_ms + abandon;
	if (t->deadline_ms > t->progress_ms + abandon)
		t->deadline_ms = t->progress_ms + abandon;
	tftp_timer_arm(t);
	return (0);
}

void
tftp_write_free(struct tftp_transfer *t)
{
	if (t->upload != NULL)
		upload_abort(t->upload);
	free(t->decoded);
}
