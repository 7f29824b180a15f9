/*
 * The transfer table: every answered request is remembered here until its
 * server says how the transfer ended, and each ending is turned into one
 * outcome: the fleet's meaning (fleet-xfer.c), a journal row, one broadcast.
 * A request answered but never started (a socket error) changes nothing:
 * the move to "trusting" and the image's start wait for STARTED.  A HEAD
 * waits for nothing: its answer is its outcome (serve_xfer_head).  An image
 * that ended proving nothing puts its phone back where the start found it.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"

static struct serve_xfer *serve_xfer_find(struct serve *,
		    const struct xfer_event *);
static void	serve_xfer_started(struct serve *, struct serve_xfer *,
		    struct phone *, const struct xfer_event *, const char *);
static void	serve_xfer_ended(struct serve *, struct serve_xfer *,
		    struct phone *, const struct xfer_event *, const char *);
static int	serve_xfer_last_block(const struct serve_xfer *,
		    const struct xfer_event *);
static void	serve_xfer_tell(struct serve *, const struct serve_xfer *,
		    const struct xfer_event *, const char *, const char *);
static int	serve_xfer_image_busy(struct serve *,
		    const struct serve_xfer *);
static void	serve_xfer_supersede(struct serve *,
		    const struct serve_xfer *);

/* A request answered: remembered until its transfer ends. */
struct serve_xfer *
serve_xfer_pending(struct serve *s, enum xfer_proto proto, const char *mac,
    const char *peer_text, const char *name)
{
	struct serve_xfer	*x;

	x = xcalloc(1, sizeof *x);
	x->proto = proto;
	snprintf(x->mac, sizeof x->mac, "%s", mac);
	snprintf(x->ip, sizeof x->ip, "%s", peer_text);
	x->name = xstrdup(name);
	x->since = serve_now();
	LIST_INSERT_HEAD(&s->xfers, x, entry);
	return (x);
}

/*
 * A HEAD answered: no transfer follows, and nothing waits for one.  Its one
 * outcome is its row ("head", no bytes, the size the answer announced), so
 * the report shows that the phone asked; no state changes.
 */
void
serve_xfer_head(struct serve *s, enum xfer_proto proto, const char *mac,
    const char *ip, const char *peer_text, const char *name, uint64_t size)
{
	struct journal_transfer	 t;
	char			*esc;
	int64_t			 now = serve_now();

	esc = log_escape(name, strlen(name));
	memset(&t, 0, sizeof t);
	t.mac = mac;
	t.ip = ip;
	t.proto = xfer_proto_name(proto);
	t.name = esc;
	t.started = now;
	t.ended = now;
	t.bytes = 0;
	t.total = size;
	t.outcome = "head";
	journal_add_transfer(s->journal, &t);
	if (s->control != NULL)
		control_broadcast(s->control, "transfer", json_pack("{s:o}",
		    "transfer", json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, "
		    "s:I, s:f}", "id", (json_int_t)0, "proto",
		    xfer_proto_name(proto), "mac", mac, "file", esc, "state",
		    "head", "bytes", (json_int_t)0, "total", (json_int_t)size,
		    "rate", 0.0)));
	log_debug("%s HEAD %s from %s: %" PRIu64 " bytes announced",
	    xfer_proto_name(proto), esc, peer_text, size);
	free(esc);
}

/* Another image transfer of x's phone has started and not ended. */
static int
serve_xfer_image_busy(struct serve *s, const struct serve_xfer *x)
{
	struct serve_xfer	*o;

	LIST_FOREACH(o, &s->xfers, entry) {
		if (o != x && o->image && o->started &&
		    strcmp(o->mac, x->mac) == 0)
			return (1);
	}
	return (0);
}

/*
 * The phone asked for its image again while an earlier download of it has
 * not ended (it rebooted, or retried from a new port): the earlier one is
 * abandoned, and its late ending (the silence of a transfer cut at its
 * header, seconds after the new one completed) proves nothing; only its
 * transfer row tells.
 */
static void
serve_xfer_supersede(struct serve *s, const struct serve_xfer *x)
{
	struct serve_xfer	*o;

	LIST_FOREACH(o, &s->xfers, entry) {
		if (o != x && o->image && o->started && !o->decided &&
		    o->bootrom == x->bootrom && strcmp(o->mac, x->mac) == 0)
			o->decided = 1;
	}
}

void
serve_xfer_drop(struct serve *s, struct serve_xfer *x)
{
	LIST_REMOVE(x, entry);
	free(x->name);
	free(x);
}

void
serve_xfers_free(struct serve *s)
{
	struct serve_xfer	*x;

	while ((x = LIST_FIRST(&s->xfers)) != NULL)
		serve_xfer_drop(s, x);
}

/* By the server's id, else the pending answer to the same peer and name. */
static struct serve_xfer *
serve_xfer_find(struct serve *s, const struct xfer_event *ev)
{
	struct serve_xfer	*x;

	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto == ev->proto && x->id == ev->id && ev->id != 0)
			return (x);
	}
	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto == ev->proto && x->id == 0 &&
		    strcmp(x->ip, ev->peer_text) == 0 &&
		    strcmp(x->name, ev->name) == 0) {
			x->id = ev->id;
			return (x);
		}
	}
	return (NULL);
}

void
serve_xfer_event(void *arg, const struct xfer_event *ev)
{
	struct serve		*s = arg;
	struct serve_xfer	*x;
	struct phone		*p;
	char			*esc;

	if (ev->upload) {
		serve_upload_event(s, ev);
		return;
	}
	if ((x = serve_xfer_find(s, ev)) == NULL)
		return;
	p = x->mac[0] != '\0' ? fleet_find(s->fleet, x->mac) : NULL;
	esc = log_escape(ev->name, strlen(ev->name));
	switch (ev->phase) {
	case XFER_STARTED:
		serve_xfer_started(s, x, p, ev, esc);
		break;
	case XFER_PROGRESS:
		x->bytes = ev->bytes;
		x->window = fleet_xfer_window(ev->proto, ev->blksize,
		    ev->windowsize, ev->unread_max);
		if (p != NULL)
			fleet_progress(s->fleet, p, ev->name, ev->bytes,
			    ev->total, ev->seconds > 0 ?
			    (double)ev->bytes / ev->seconds : 0);
		serve_xfer_tell(s, x, ev, "progress", esc);
		break;
	case XFER_ENDED:
		serve_xfer_ended(s, x, p, ev, esc);
		break;
	default:
		break;
	}
	free(esc);
}

/* The transfer exists: what resolving promised happens now. */
static void
serve_xfer_started(struct serve *s, struct serve_xfer *x, struct phone *p,
    const struct xfer_event *ev, const char *esc)
{
	char	*evidence;

	x->started = 1;
	x->window = fleet_xfer_window(ev->proto, ev->blksize, ev->windowsize,
	    ev->unread_max);
	if (x->image)
		serve_xfer_supersede(s, x);
	if (p != NULL && x->image) {
		xasprintf(&evidence, "%s %s to %s started (%" PRIu64
		    " bytes)", xfer_proto_name(ev->proto), esc, ev->peer_text,
		    ev->total);
		fleet_image_started(s->fleet, p, ev->name, ev->total,
		    serve_now(), evidence);
		free(evidence);
	}
	if (p != NULL && x->phase2) {
		xasprintf(&evidence, "%s %s to %s started: SHA-2 CA and "
		    "re-point", xfer_proto_name(ev->proto), esc,
		    ev->peer_text);
		fleet_phase2_served(s->fleet, p, 0, serve_now(), evidence);
		free(evidence);
	}
	serve_xfer_tell(s, x, ev, "started", esc);
}

/*
 * A trust file whose every block was sent and only the final ACK is missing:
 * RFC 1350 cannot tell a lost ACK from a phone that stopped at the last
 * block, and a phone that took it reboots to ZTP and never asks again.  It
 * counts as delivered; a phone that did not get it comes back, and is
 * counted as returning after the re-point.
 */
static int
serve_xfer_last_block(const struct serve_xfer *x, const struct xfer_event *ev)
{
	if (ev->proto != XFER_TFTP || !x->phase2 || ev->by != XFER_BY_PEER)
		return (0);
	if (ev->end != XFER_END_SILENCE && ev->end != XFER_END_UNREACHABLE)
		return (0);
	return (ev->total != 0 && ev->bytes + ev->blksize >= ev->total);
}

/* Over: one meaning, one journal row, one broadcast, in that order. */
static void
serve_xfer_ended(struct serve *s, struct serve_xfer *x, struct phone *p,
    const struct xfer_event *ev, const char *esc)
{
	const struct fleet_xfer_rule	*r;
	struct journal_transfer		 t;
	const char			*outcome, *says;
	char				*evidence;
	int64_t				 now = serve_now();

	r = fleet_xfer_rule_window(ev->proto, ev->end, ev->bytes, ev->total,
	    ev->by, fleet_xfer_window(ev->proto, ev->blksize, ev->windowsize,
	    ev->unread_max));
	outcome = x->image ? r->image_word : r->file_word;
	/*
	 * An ending that proves nothing while the phone's next transfer of
	 * its image is under way (it rebooted and asked again) says nothing
	 * of that one: only its transfer row tells.
	 */
	if (p != NULL && x->image && !x->decided &&
	    (r->meaning == IMAGE_UNPROVED || r->meaning == IMAGE_FAILED_OURS) &&
	    serve_xfer_image_busy(s, x))
		x->decided = 1;
	/*
	 * Judged "read the header and runs this image" when its phone asked
	 * for another file within the first window, the transfer then went
	 * on to its end: the phone was taking the image after all.  The
	 * whole image counts (current goes on to rebooting: its return
	 * decides).  Past current (its trust file already went out) the
	 * log says so and nothing moves.
	 */
	if (p != NULL && x->image && x->abandon_told &&
	    r->meaning == IMAGE_COMPLETE) {
		if (fleet_lifecycle_allows(p->state, FEV_IMAGE_WHOLE))
			x->decided = 0;
		else
			log_warn("phone %s: %s to %s, judged read after its "
			    "header, was then acknowledged whole; the phone "
			    "is %s already", p->mac, esc, ev->peer_text,
			    phone_state_name(p->state));
	}
	if (p != NULL && x->image && !x->decided) {
		switch (r->meaning) {
		case IMAGE_COMPLETE:
			says = "downloaded whole";
			break;
		case IMAGE_ABANDONED:
			says = "abandoned (the phone read the header and runs "
			    "this image)";
			break;
		case IMAGE_INTERRUPTED:
			says = "interrupted";
			break;
		case IMAGE_FAILED_OURS:
			says = "failed on our side (nothing proved: nothing "
			    "known of the phone)";
			break;
		default:
			says = "ended with nothing proved";
			break;
		}
		xasprintf(&evidence, "%s %s to %s %s after %" PRIu64 " of %"
		    PRIu64 " bytes (%s, by %s)%s%s", xfer_proto_name(ev->proto),
		    esc, ev->peer_text, says, ev->bytes, ev->total,
		    xfer_end_name(ev->end), xfer_by_name(ev->by),
		    ev->reason != NULL ? ": " : "", ev->reason != NULL ?
		    ev->reason : "");
		(x->bootrom ? fleet_bootrom_finished : fleet_image_finished)(
		    s->fleet, p, ev->name, &x->image_version, r->meaning,
		    ev->bytes, ev->total, now, evidence);
		free(evidence);
	} else if (p != NULL && x->phase2 && x->started &&
	    (r->meaning == IMAGE_COMPLETE || serve_xfer_last_block(x, ev))) {
		if (r->meaning == IMAGE_COMPLETE)
			xasprintf(&evidence, "%s %s to %s delivered whole (%"
			    PRIu64 " bytes): SHA-2 CA and re-point",
			    xfer_proto_name(ev->proto), esc, ev->peer_text,
			    ev->bytes);
		else
			xasprintf(&evidence, "tftp %s to %s: every block sent "
			    "(%" PRIu64 " of %" PRIu64 " bytes acknowledged), "
			    "only the final ACK missing: SHA-2 CA and "
			    "re-point", esc, ev->peer_text, ev->bytes,
			    ev->total);
		fleet_phase2_served(s->fleet, p, 1, now, evidence);
		free(evidence);
	}
	if (p != NULL) {
		fleet_progress(s->fleet, p, "", 0, 0, 0);
		fleet_add_bytes(s->fleet, p, ev->bytes);
	}
	memset(&t, 0, sizeof t);
	t.mac = x->mac;
	t.ip = ev->peer_ip;
	t.proto = xfer_proto_name(ev->proto);
	t.name = esc;
	t.started = x->since;
	t.ended = now;
	t.bytes = ev->bytes;
	t.total = ev->total;
	t.outcome = outcome;
	t.reason = ev->reason;
	/*
	 * Its trust file, with nothing in it yet: the report must not list
	 * it among what was delivered (it read as the CA gone out).
	 */
	if (x->phone_file && !x->phase2 && ev->reason == NULL)
		t.reason = JOURNAL_PLACEHOLDER_REASON;
	journal_add_transfer(s->journal, &t);
	serve_xfer_tell(s, x, ev, outcome, esc);
	serve_xfer_drop(s, x);
}

/* Clients hear the same word the journal keeps. */
static void
serve_xfer_tell(struct serve *s, const struct serve_xfer *x,
    const struct xfer_event *ev, const char *state, const char *esc)
{
	json_t	*o;

	if (s->control == NULL)
		return;
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:f}",
	    "id", (json_int_t)ev->id, "proto", xfer_proto_name(ev->proto),
	    "mac", x->mac, "file", esc, "state", state,
	    "bytes", (json_int_t)ev->bytes, "total", (json_int_t)ev->total,
	    "rate", ev->seconds > 0 ? (double)ev->bytes / ev->seconds : 0.0);
	if (ev->phase == XFER_ENDED) {
		json_object_set_new(o, "end", json_string(
		    xfer_end_name(ev->end)));
		json_object_set_new(o, "by", json_string(xfer_by_name(ev->by)));
	}
	control_broadcast(s->control, "transfer", json_pack("{s:o}",
	    "transfer", o));
}

/*
 * A phone that reads a TFTP image's header and runs that image goes straight
 * on to its CONFIG_FILES: the server only sees it stop acknowledging, and
 * learns of the abandon seconds later.  Its next request within the same
 * boot (anything but a master config, an image or an upload) is the earlier
 * evidence, and must be, since the answer to that very request depends on
 * whether the phone runs its target.  What it proves is the table's word
 * for the same silence at the bytes acknowledged so far.  A BootROM asks
 * for its master config right after bootrom.ld: that is the evidence of a
 * BootROM image abandoned (master is 1), and of nothing else.
 */
void
serve_moved_on(struct serve *s, struct phone *p, const char *next,
    int master, int64_t now)
{
	const struct fleet_xfer_rule	*r;
	struct serve_xfer		*x;
	char				*evidence, *esc, *next_esc;
	int				 newest = 1;

	/* Newest first.  An older one was cut (a power loss): superseded. */
	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto != XFER_TFTP || !x->image || x->decided ||
		    x->id == 0 || strcmp(x->mac, p->mac) != 0 ||
		    (master && !x->bootrom))
			continue;
		if (!newest) {
			x->decided = 1;
			continue;
		}
		newest = 0;
		r = fleet_xfer_rule_window(XFER_TFTP, XFER_END_SILENCE,
		    x->bytes, x->total, XFER_BY_PEER, x->window != 0 ?
		    x->window : fleet_xfer_window(XFER_TFTP, 0, 0, 0));
		if (r->meaning != IMAGE_ABANDONED)
			continue;
		x->decided = 1;
		x->abandon_told = 1;
		esc = log_escape(x->name, strlen(x->name));
		next_esc = log_escape(next, strlen(next));
		xasprintf(&evidence, "tftp %s to %s abandoned (the phone read "
		    "the header and runs this image): %" PRIu64 " of %" PRIu64
		    " bytes acknowledged when it asked for %s", esc, x->ip,
		    x->bytes, x->total, next_esc);
		(x->bootrom ? fleet_bootrom_finished : fleet_image_finished)(
		    s->fleet, p, x->name, &x->image_version, IMAGE_ABANDONED,
		    x->bytes, x->total, now, evidence);
		free(evidence);
		free(next_esc);
		free(esc);
	}
}
