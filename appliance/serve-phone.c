/*
 * From requests to phones: every TFTP and HTTP request is classified by its
 * name, tied to a phone (by the MAC in the name or User-Agent, else by the
 * address that last asked for that phone's <mac>.cfg), turned into facts for
 * the fleet, and answered with bytes rendered or opened for this phone now.
 * Transfer events then tell the fleet what the phone did with them.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "control.h"
#include "dhcp.h"
#include "fleet.h"
#include "http.h"
#include "ident.h"
#include "journal.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "provision.h"
#include "serve.h"
#include "tftp.h"
#include "trust.h"
#include "xmalloc.h"

/* Image header: what a phone reads before it decides. */
#define SERVE_IMAGE_HEADER	512
/* An image closed before this (and before half of it) was abandoned. */
#define SERVE_ABANDON_MAX	(8ULL * 1024 * 1024)

enum { PROTO_TFTP, PROTO_HTTP, PROTO_HTTPS };
static const char *serve_proto_names[] = { "tftp", "http", "https" };

struct serve_answer {
	int			 status;	/* 0 ok, 404, 403 */
	char			*cause;
	int			 fd;
	char			*buf;
	uint64_t		 size;
	int			 image;
	int			 phone_file;
	int			 phase2;
	struct ucs_version	 image_version;
	char			 mac[13];
	char			 sha256[65];	/* of an image or trust file */
};

static int	serve_resolve(struct serve *, int, const char *, const char *,
		    const char *, const char *, struct serve_answer *);
static struct phone *serve_identify(struct serve *, const char *,
		    const struct ident_name *, const char *, const char *,
		    const char *, int64_t, char **);
static void	serve_answer_image(struct serve *, struct phone *,
		    const struct ident_name *, const char *, int64_t,
		    struct serve_answer *);
static void	serve_answer_phone_file(struct serve *, struct phone *,
		    const char *, const char *, int64_t, struct serve_answer *);
static void	serve_pending(struct serve *, int, const char *, const char *,
		    const struct serve_answer *);
static void	serve_note_content(struct serve *, const char *, const char *,
		    const struct serve_answer *, int64_t);
static void	serve_sha256_hex(const void *, size_t, char [65]);
static struct serve_xfer *serve_xfer_find(struct serve *, int, uint64_t,
		    const char *, const char *);
static void	serve_transfer(struct serve *, int, uint64_t, const char *,
		    const char *, int, const char *, uint64_t, uint64_t,
		    double, const char *, const char *);
static void	serve_release_buf(void *);
static void	serve_app_log(struct serve *, struct phone *, const char *,
		    const char *);
static void	serve_moved_on(struct serve *, struct phone *, const char *,
		    int64_t);
static void	serve_tftp_last_block(struct serve *,
		    const struct tftp_event *);
static void	serve_peer_ip(const struct sockaddr_storage *, char *, size_t);
static const struct library_package *serve_damaged_package(struct serve *,
		    const struct model *);

/* Engine transcripts step their own clock (tests/transcripts). */
int64_t	(*serve_clock)(void);

int64_t
serve_now(void)
{
	struct timespec	ts;

	if (serve_clock != NULL)
		return (serve_clock());
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
serve_release_buf(void *arg)
{
	free(arg);
}

/*
 * An uploaded app log names the application that ran last ("Version: X",
 * its last such line): the weakest evidence of the version, and the only one
 * a TFTP phone gives before it takes an image.  Once the phone has taken an
 * image whole, the log it uploads at the next boot is out of date.
 */
static void
serve_app_log(struct serve *s, struct phone *p, const char *path,
    const char *evidence)
{
	struct ucs_version	 v;
	FILE			*fp;
	char			 line[512], last[UCS_VERSION_TEXT_MAX], *at;
	char			*why = NULL, *ev;
	size_t			 n;

	if (p->state >= PHONE_REBOOTING && p->state <= PHONE_RECOVERED)
		return;
	if (p->version_source > VSRC_APPLOG)
		return;
	if ((fp = fopen(path, "r")) == NULL)
		return;
	last[0] = '\0';
	while (fgets(line, sizeof line, fp) != NULL) {
		if ((at = strstr(line, "Version: ")) == NULL)
			continue;
		at += strlen("Version: ");
		n = strcspn(at, " \t\r\n");
		if (n == 0 || n >= sizeof last)
			continue;
		memcpy(last, at, n);
		last[n] = '\0';
	}
	fclose(fp);
	if (last[0] == '\0' || ucs_version_parse(last, &v, &why) != 0) {
		free(why);
		return;
	}
	xasprintf(&ev, "%s: its last \"Version:\" line names %s", evidence,
	    last);
	fleet_learn_version(s->fleet, p, &v, VSRC_APPLOG, serve_now(), ev);
	free(ev);
}

/*
 * A phone that reads a TFTP image's header and runs that image goes straight
 * on to its CONFIG_FILES: the server only sees it stop acknowledging, and
 * learns of the abandon seconds later.  Its next request within the same
 * boot (anything but a master config, an image or an upload) is the earlier
 * evidence, and must be, since the answer to that very request depends on
 * whether the phone runs its target.
 */
static void
serve_moved_on(struct serve *s, struct phone *p, const char *next,
    int64_t now)
{
	struct serve_xfer	*x;
	char			*evidence, *esc, *next_esc;
	int			 newest = 1;

	/* Newest first.  An older one was cut (a power loss): superseded. */
	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto != PROTO_TFTP || !x->image || x->decided ||
		    x->id == 0 || strcmp(x->mac, p->mac) != 0)
			continue;
		if (!newest) {
			x->decided = 1;
			continue;
		}
		newest = 0;
		if (x->bytes > SERVE_ABANDON_MAX || x->bytes >= x->total / 2 + 1)
			continue;
		x->decided = 1;
		esc = log_escape(x->name, strlen(x->name));
		next_esc = log_escape(next, strlen(next));
		xasprintf(&evidence, "tftp %s to %s abandoned (the phone read "
		    "the header and runs this image): %" PRIu64 " of %" PRIu64
		    " bytes acknowledged when it asked for %s", esc, x->ip,
		    x->bytes, x->total, next_esc);
		fleet_image_finished(s->fleet, p, x->name, &x->image_version,
		    IMAGE_ABANDONED, x->bytes, x->total, now, evidence);
		free(evidence);
		free(next_esc);
		free(esc);
	}
}

static void
serve_peer_ip(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
		    sin6_addr, buf, len);
	else
		snprintf(buf, len, "?");
}

/*
 * Which phone asks: the MAC in the name or the User-Agent, else the phone
 * that last asked from this address.  Learns what the User-Agent says.
 */
static struct phone *
serve_identify(struct serve *s, const char *proto, const struct ident_name *in,
    const char *ip, const char *ua_text, const char *name, int64_t now,
    char **evidence)
{
	struct ident_ua	 ua;
	struct phone	*p = NULL;
	char		 mac[IDENT_MAC_LEN + 1], *ua_esc = NULL, *name_esc;
	char		*why = NULL, vtext[UCS_VERSION_TEXT_MAX];
	int		 have_ua = 0, master;

	name_esc = log_escape(name, strlen(name));
	if (ua_text != NULL) {
		ua_esc = log_escape(ua_text, strlen(ua_text));
		if (ident_parse_user_agent(ua_text, &ua, &why) == 0)
			have_ua = 1;
		free(why);
		xasprintf(evidence, "%s %s from %s, User-Agent \"%s\"", proto,
		    name_esc, ip, ua_esc);
	} else
		xasprintf(evidence, "%s %s from %s", proto, name_esc, ip);

	mac[0] = '\0';
	if (in->mac[0] != '\0')
		snprintf(mac, sizeof mac, "%s", in->mac);
	else if (!provision_is_phone_file(in->base, mac) && have_ua &&
	    ua.mac[0] != '\0')
		snprintf(mac, sizeof mac, "%s", ua.mac);
	master = in->kind == IDENT_FILE_MASTER_MAC;
	if (mac[0] != '\0')
		p = fleet_seen(s->fleet, mac, ip, master, now, *evidence);
	else if ((p = fleet_by_ip(s->fleet, ip)) != NULL) {
		free(*evidence);
		if (ua_text != NULL)
			xasprintf(evidence, "%s %s from %s, User-Agent \"%s\" "
			    "(the phone is %s by its earlier request from the "
			    "same address)", proto, name_esc, ip, ua_esc,
			    p->mac);
		else
			xasprintf(evidence, "%s %s from %s (the phone is %s by "
			    "its earlier request from the same address)",
			    proto, name_esc, ip, p->mac);
		fleet_touch(s->fleet, p, ip, now);
	}
	if (p != NULL && have_ua && ua.token[0] != '\0')
		fleet_learn_model(s->fleet, p, ua.token, NULL, now, *evidence);
	if (p != NULL && have_ua && ua.type == UA_TYPE_APPLICATION &&
	    ua.version.nfields > 0) {
		ucs_version_format(&ua.version, vtext, sizeof vtext);
		fleet_learn_version(s->fleet, p, &ua.version, VSRC_UA, now,
		    *evidence);
	}
	free(ua_esc);
	free(name_esc);
	return (p);
}

/*
 * The damaged package library_find() passed over for this model's target,
 * if any: a phone held for it must be told why, not "import the package".
 */
static const struct library_package *
serve_damaged_package(struct serve *s, const struct model *m)
{
	const struct library_package	*pkg;
	size_t				 i, j;
	int				 k, n;

	n = m->target.nfields < 3 ? m->target.nfields : 3;
	for (i = 0; s->library != NULL && i < s->library->npackages; i++) {
		pkg = &s->library->packages[i];
		if (pkg->damage == NULL || pkg->version.nfields < n)
			continue;
		for (k = 0; k < n; k++) {
			if (pkg->version.field[k] != m->target.field[k])
				break;
		}
		for (j = 0; k == n && j < pkg->nparts; j++) {
			if (strcmp(pkg->parts[j], m->part) == 0)
				return (pkg);
		}
	}
	return (NULL);
}

static void
serve_answer_image(struct serve *s, struct phone *p, const struct ident_name *in,
    const char *evidence, int64_t now, struct serve_answer *a)
{
	const struct model		*m;
	const struct library_package	*pkg;
	const char			*why = NULL;
	char				*file, vtext[UCS_VERSION_TEXT_MAX];
	char				 rel[UCS_VERSION_TEXT_MAX];
	size_t				 i;

	m = model_by_part(s->models, in->part);
	if (p != NULL)
		fleet_learn_model(s->fleet, p, NULL, in->part, now, evidence);
	if (m == NULL) {
		a->status = 404;
		xasprintf(&a->cause, "part number %s is not in the models "
		    "table", in->part);
		return;
	}
	if (fleet_image_verdict(s->fleet, p, now, &why) != IMAGE_OFFER) {
		a->status = 404;
		a->cause = xstrdup(why != NULL ? why : "not offered: the "
		    "phone's version is unknown and the policy is hold");
		return;
	}
	pkg = s->library != NULL ? library_find(s->library, &m->target,
	    m->part) : NULL;
	if (pkg == NULL) {
		ucs_version_format_release(&m->target, rel, sizeof rel);
		a->status = 404;
		if ((pkg = serve_damaged_package(s, m)) != NULL)
			xasprintf(&a->cause, "the library's UC Software %s "
			    "package %s is damaged and is not served (%s): "
			    "import it again", rel, pkg->id, pkg->damage);
		else
			xasprintf(&a->cause, "the library has no UC Software "
			    "%s image for part %s (%s): import the package",
			    rel, m->part, m->name);
		if (p != NULL)
			fleet_hold(s->fleet, p, a->cause, now, evidence);
		return;
	}
	xasprintf(&file, "%s.sip.ld", m->part);
	a->fd = library_open_file(pkg, file, &a->size, &a->cause);
	for (i = 0; a->fd != -1 && i < pkg->nfiles; i++) {
		if (strcmp(pkg->files[i].name, file) == 0)
			memcpy(a->sha256, pkg->files[i].sha256,
			    sizeof a->sha256);
	}
	free(file);
	if (a->fd == -1) {
		a->status = 404;
		return;
	}
	a->image = 1;
	a->image_version = pkg->version;
	if (p != NULL)
		fleet_set_target(s->fleet, p, ucs_version_format(&pkg->version,
		    vtext, sizeof vtext));
}

static void
serve_answer_phone_file(struct serve *s, struct phone *p, const char *mac,
    const char *evidence, int64_t now, struct serve_answer *a)
{
	const char	*note = NULL;
	char		*out;
	size_t		 len;

	if (p == NULL || !fleet_proved_target(s->fleet, p))
		note = "it has not yet proved that it runs its target version";
	else if (s->ca == NULL)
		note = "waiting for the operator's CA certificate (--ca, or "
		    "set-ca in the console)";
	if (provision_phone_file(&s->prov, mac, note == NULL ? s->ca->pem :
	    NULL, note, &out, &len, &a->cause) != 0) {
		a->status = 404;
		return;
	}
	a->buf = out;
	a->size = len;
	a->phone_file = 1;
	serve_sha256_hex(out, len, a->sha256);
	if (note == NULL) {
		a->phase2 = 1;
		fleet_phase2_served(s->fleet, p, 0, now, evidence);
	}
}

static int
serve_resolve(struct serve *s, int proto, const char *name, const char *ip,
    const char *ua, const char *peer_text, struct serve_answer *a)
{
	struct ident_name	 in;
	struct phone		*p;
	const char		*why;
	char			*evidence = NULL, mac[IDENT_MAC_LEN + 1];
	int64_t			 now = serve_now();
	int			 offer;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	ident_classify_name(name, &in);
	p = serve_identify(s, serve_proto_names[proto], &in, ip, ua, name, now,
	    &evidence);
	if (p != NULL)
		snprintf(a->mac, sizeof a->mac, "%s", p->mac);
	switch (in.kind) {
	case IDENT_FILE_MASTER_MAC:
	case IDENT_FILE_MASTER_DEFAULT:
		if (p != NULL && in.kind == IDENT_FILE_MASTER_MAC)
			offer = fleet_image_verdict(s->fleet, p, now, &why) ==
			    IMAGE_OFFER;
		else
			offer = fleet_image_check(s->fleet, NULL, &why) ==
			    IMAGE_OFFER;
		a->buf = provision_master(&s->prov,
		    in.kind == IDENT_FILE_MASTER_MAC ? in.mac : NULL,
		    p != NULL && p->model[0] != '\0' ? p->model : NULL, offer,
		    &a->size);
		break;
	case IDENT_FILE_IMAGE:
		serve_answer_image(s, p, &in, evidence, now, a);
		break;
	case IDENT_FILE_COMBINED_IMAGE:
		a->status = 404;
		a->cause = xstrdup("a combined sip.ld is never served: each "
		    "model gets only its own split image");
		break;
	default:
		if (p != NULL)
			serve_moved_on(s, p, name, now);
		if (provision_is_phone_file(in.base, mac)) {
			serve_answer_phone_file(s, p, mac, evidence, now, a);
			break;
		}
		/* Optional files (-phone.cfg, licenses, directories): fast. */
		a->status = 404;
		break;
	}
	free(evidence);
	if (a->status == 0 && a->mac[0] != '\0' && a->sha256[0] != '\0')
		serve_note_content(s, a->mac, name, a, now);
	if (a->status == 0)
		serve_pending(s, proto, peer_text, name, a);
	else if (a->cause != NULL)
		log_info("%s %s from %s: not found: %s",
		    serve_proto_names[proto], in.base, peer_text, a->cause);
	return (a->status);
}

static void
serve_sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

/*
 * What an image or trust file held when it was answered (bytes, SHA-256),
 * in the journal, so that the report can say exactly what was delivered.
 */
static void
serve_note_content(struct serve *s, const char *mac, const char *name,
    const struct serve_answer *a, int64_t now)
{
	struct journal_event	 ev;
	char			*value;

	xasprintf(&value, "%llu %s", (unsigned long long)a->size, a->sha256);
	memset(&ev, 0, sizeof ev);
	ev.ts = now;
	ev.mac = mac;
	ev.kind = "note";
	ev.fact = "content";
	ev.value = value;
	ev.evidence = name;
	journal_add_event(s->journal, &ev);
	free(value);
}

/* Remember what was answered until the server says the transfer started. */
static void
serve_pending(struct serve *s, int proto, const char *peer_text,
    const char *name, const struct serve_answer *a)
{
	struct serve_xfer	*x;

	x = xcalloc(1, sizeof *x);
	x->proto = proto;
	snprintf(x->mac, sizeof x->mac, "%s", a->mac);
	snprintf(x->ip, sizeof x->ip, "%s", peer_text);
	x->name = xstrdup(name);
	x->image = a->image;
	x->phone_file = a->phone_file;
	x->phase2 = a->phase2;
	x->image_version = a->image_version;
	x->started = serve_now();
	x->total = a->size;
	LIST_INSERT_HEAD(&s->xfers, x, entry);
}

static struct serve_xfer *
serve_xfer_find(struct serve *s, int proto, uint64_t id, const char *peer,
    const char *name)
{
	struct serve_xfer	*x;

	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto == proto && x->id == id && id != 0)
			return (x);
	}
	LIST_FOREACH(x, &s->xfers, entry) {
		if (x->proto == proto && x->id == 0 &&
		    strcmp(x->ip, peer) == 0 && strcmp(x->name, name) == 0) {
			x->id = id;
			return (x);
		}
	}
	return (NULL);
}

/* One transfer event, whichever server it came from. */
static void
serve_transfer(struct serve *s, int proto, uint64_t id, const char *peer,
    const char *name, int what, const char *outcome, uint64_t bytes,
    uint64_t total, double seconds, const char *reason, const char *ip)
{
	struct serve_xfer	*x;
	struct phone		*p;
	struct journal_transfer	 t;
	enum image_outcome	 io;
	char			*evidence, *esc;
	int64_t			 now = serve_now();
	json_t			*ev;

	if ((x = serve_xfer_find(s, proto, id, peer, name)) == NULL)
		return;
	p = x->mac[0] != '\0' ? fleet_find(s->fleet, x->mac) : NULL;
	esc = log_escape(name, strlen(name));
	if (s->control != NULL) {
		ev = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:f}",
		    "id", (json_int_t)id, "proto", serve_proto_names[proto],
		    "mac", x->mac, "file", esc, "state", outcome,
		    "bytes", (json_int_t)bytes, "total", (json_int_t)total,
		    "rate", seconds > 0 ? (double)bytes / seconds : 0.0);
		control_broadcast(s->control, "transfer",
		    json_pack("{s:o}", "transfer", ev));
	}
	if (what == 0) {		/* started */
		if (p != NULL && x->image) {
			xasprintf(&evidence, "%s %s to %s started (%" PRIu64
			    " bytes)", serve_proto_names[proto], esc, peer,
			    total);
			fleet_image_started(s->fleet, p, name, total, now,
			    evidence);
			free(evidence);
		}
		free(esc);
		return;
	}
	if (what == 1) {		/* progress */
		x->bytes = bytes;
		if (p != NULL)
			fleet_progress(s->fleet, p, name, bytes, total,
			    seconds > 0 ? (double)bytes / seconds : 0);
		free(esc);
		return;
	}

	/* Over: what the phone did with it (unless it told us already). */
	if (p != NULL && x->image && !x->decided) {
		if (strcmp(outcome, "completed") == 0)
			io = IMAGE_COMPLETE;
		else if (bytes <= SERVE_ABANDON_MAX && bytes < total / 2 + 1)
			io = IMAGE_ABANDONED;
		else
			io = IMAGE_INTERRUPTED;
		if (io == IMAGE_ABANDONED)
			outcome = "abandoned";
		else if (io == IMAGE_INTERRUPTED)
			outcome = "interrupted";
		xasprintf(&evidence, "%s %s to %s %s after %" PRIu64 " of %"
		    PRIu64 " bytes%s%s", serve_proto_names[proto], esc, peer,
		    io == IMAGE_COMPLETE ? "downloaded whole" :
		    io == IMAGE_ABANDONED ? "abandoned (the phone read the "
		    "header and runs this image)" : "interrupted", bytes,
		    total, reason != NULL ? ": " : "", reason != NULL ? reason :
		    "");
		fleet_image_finished(s->fleet, p, name, &x->image_version, io,
		    bytes, total, now, evidence);
		free(evidence);
	} else if (p != NULL && x->phase2 && strcmp(outcome, "completed") ==
	    0) {
		xasprintf(&evidence, "%s %s to %s delivered whole (%" PRIu64
		    " bytes): SHA-2 CA and re-point", serve_proto_names[proto],
		    esc, peer, bytes);
		fleet_phase2_served(s->fleet, p, 1, now, evidence);
		free(evidence);
	}
	if (p != NULL) {
		fleet_progress(s->fleet, p, "", 0, 0, 0);
		fleet_add_bytes(s->fleet, p, bytes);
	}
	memset(&t, 0, sizeof t);
	t.mac = x->mac;
	t.ip = ip;
	t.proto = serve_proto_names[proto];
	t.name = esc;
	t.started = x->started;
	t.ended = now;
	t.bytes = bytes;
	t.total = total;
	t.outcome = outcome;
	t.reason = reason;
	journal_add_transfer(s->journal, &t);
	free(esc);
	LIST_REMOVE(x, entry);
	free(x->name);
	free(x);
}

/*
 * A trust file whose every block was sent and only the final ACK is missing:
 * RFC 1350 cannot tell a lost ACK from a phone that stopped at the last
 * block, and a phone that took it reboots to ZTP and never asks again.  It
 * counts as delivered; a phone that did not get it comes back, and is
 * counted as returning after the re-point.
 */
static void
serve_tftp_last_block(struct serve *s, const struct tftp_event *ev)
{
	struct serve_xfer	*x;
	struct phone		*p;
	char			*evidence, *esc;

	if (ev->total == 0 || ev->bytes + ev->blksize < ev->total)
		return;
	x = serve_xfer_find(s, PROTO_TFTP, ev->id, ev->peer_text, ev->name);
	if (x == NULL || !x->phase2 || (p = fleet_find(s->fleet, x->mac)) ==
	    NULL)
		return;
	esc = log_escape(ev->name, strlen(ev->name));
	xasprintf(&evidence, "tftp %s to %s: every block sent (%" PRIu64
	    " of %" PRIu64 " bytes acknowledged), only the final ACK missing: "
	    "SHA-2 CA and re-point", esc, ev->peer_text, ev->bytes, ev->total);
	fleet_phase2_served(s->fleet, p, 1, serve_now(), evidence);
	free(evidence);
	free(esc);
}

int
serve_tftp_resolve(void *arg, const struct tftp_request *req,
    struct tftp_content *c, char **cause)
{
	struct serve		*s = arg;
	struct serve_answer	 a;
	char			 ip[64];

	serve_peer_ip(req->peer, ip, sizeof ip);
	if (serve_resolve(s, PROTO_TFTP, req->name, ip, NULL, req->peer_text,
	    &a) != 0) {
		*cause = a.cause != NULL ? a.cause : xstrdup("file not found");
		return (a.status == 403 ? TFTP_ERR_ACCESS : TFTP_ERR_NOT_FOUND);
	}
	free(a.cause);
	c->fd = a.fd;
	c->buf = a.buf;
	c->size = a.size;
	c->release = a.buf != NULL ? serve_release_buf : NULL;
	c->release_arg = a.buf;
	return (0);
}

void
serve_tftp_event(void *arg, const struct tftp_event *ev)
{
	struct serve	*s = arg;
	struct phone	*p;
	struct ident_name in;
	char		 ip[64], *evidence, *esc;
	const char	*outcome;
	int		 what;

	serve_peer_ip(ev->peer, ip, sizeof ip);
	if (ev->write) {
		if (ev->type != TFTP_EV_UPLOAD_STORED)
			return;
		ident_classify_name(ev->name, &in);
		p = in.mac[0] != '\0' ? fleet_find(s->fleet, in.mac) :
		    fleet_by_ip(s->fleet, ip);
		esc = log_escape(ev->name, strlen(ev->name));
		xasprintf(&evidence, "tftp upload %s from %s stored as %s", esc,
		    ev->peer_text, ev->stored_path);
		if (p == NULL && in.mac[0] != '\0')
			p = fleet_seen(s->fleet, in.mac, ip, 0, serve_now(),
			    evidence);
		else if (p != NULL)
			fleet_touch(s->fleet, p, ip, serve_now());
		log_info("%s", evidence);
		if (p != NULL && in.kind == IDENT_FILE_APP_LOG)
			serve_app_log(s, p, ev->stored_path, evidence);
		free(evidence);
		free(esc);
		return;
	}
	switch (ev->type) {
	case TFTP_EV_STARTED:
		what = 0;
		outcome = "started";
		break;
	case TFTP_EV_PROGRESS:
		what = 1;
		outcome = "progress";
		break;
	case TFTP_EV_COMPLETED:
		what = 2;
		outcome = "completed";
		break;
	case TFTP_EV_ABANDONED:
		what = 2;
		outcome = "abandoned";
		serve_tftp_last_block(s, ev);
		break;
	default:
		what = 2;
		outcome = "failed";
		break;
	}
	serve_transfer(s, PROTO_TFTP, ev->id, ev->peer_text, ev->name, what,
	    outcome, ev->bytes, ev->total, ev->seconds, ev->reason, ip);
}

int
serve_http_resolve(void *arg, const struct http_request_info *req,
    struct http_content *c, char **cause)
{
	struct serve		*s = arg;
	struct serve_answer	 a;
	struct serve_xfer	*x;
	int			 proto = req->tls ? PROTO_HTTPS : PROTO_HTTP;

	if (serve_resolve(s, proto, req->name, req->peer_ip, req->user_agent,
	    req->peer_text, &a) != 0) {
		*cause = a.cause;
		return (a.status == 403 ? 403 : 404);
	}
	free(a.cause);
	if (strcmp(req->method, "HEAD") == 0) {
		/* No transfer follows a HEAD. */
		x = serve_xfer_find(s, proto, 0, req->peer_text, req->name);
		if (x != NULL) {
			LIST_REMOVE(x, entry);
			free(x->name);
			free(x);
		}
	}
	c->fd = a.fd;
	c->buf = a.buf;
	c->size = a.size;
	c->content_type = a.buf != NULL ? "application/xml" :
	    "application/octet-stream";
	c->gate = a.image ? SERVE_IMAGE_HEADER : 0;
	c->release = a.buf != NULL ? serve_release_buf : NULL;
	c->release_arg = a.buf;
	return (200);
}

void
serve_http_event(void *arg, const struct http_event *ev)
{
	struct serve	*s = arg;
	struct phone	*p;
	struct ident_name in;
	char		*evidence, *esc;
	int		 proto = ev->tls ? PROTO_HTTPS : PROTO_HTTP;

	switch (ev->type) {
	case HTTP_EV_STARTED:
		serve_transfer(s, proto, ev->id, ev->peer_text, ev->name, 0,
		    "started", 0, ev->total, ev->seconds, NULL, ev->peer_ip);
		break;
	case HTTP_EV_PROGRESS:
		serve_transfer(s, proto, ev->id, ev->peer_text, ev->name, 1,
		    "progress", ev->bytes, ev->total, ev->seconds, NULL,
		    ev->peer_ip);
		break;
	case HTTP_EV_COMPLETED:
		serve_transfer(s, proto, ev->id, ev->peer_text, ev->name, 2,
		    "completed", ev->bytes, ev->total, ev->seconds, NULL,
		    ev->peer_ip);
		break;
	case HTTP_EV_CLOSED_EARLY:
		serve_transfer(s, proto, ev->id, ev->peer_text, ev->name, 2,
		    "abandoned", ev->bytes, ev->total, ev->seconds, ev->reason,
		    ev->peer_ip);
		break;
	case HTTP_EV_UPLOAD_STORED:
	case HTTP_EV_UPLOAD_REFUSED:
		ident_classify_name(ev->name, &in);
		esc = log_escape(ev->name, strlen(ev->name));
		if (ev->type == HTTP_EV_UPLOAD_STORED)
			xasprintf(&evidence, "PUT %s from %s stored as %s", esc,
			    ev->peer_text, ev->stored_path);
		else
			xasprintf(&evidence, "PUT %s from %s refused: %s", esc,
			    ev->peer_text, ev->reason);
		p = in.mac[0] != '\0' ? fleet_find(s->fleet, in.mac) :
		    fleet_by_ip(s->fleet, ev->peer_ip);
		if (p == NULL && in.mac[0] != '\0')
			p = fleet_seen(s->fleet, in.mac, ev->peer_ip, 0,
			    serve_now(), evidence);
		else if (p != NULL)
			fleet_touch(s->fleet, p, ev->peer_ip, serve_now());
		log_info("%s", evidence);
		if (p != NULL && in.kind == IDENT_FILE_APP_LOG &&
		    ev->type == HTTP_EV_UPLOAD_STORED)
			serve_app_log(s, p, ev->stored_path, evidence);
		free(evidence);
		free(esc);
		break;
	}
}

void
serve_syslog_line(void *arg, const char *ip, const char *line, size_t len)
{
	struct serve	*s = arg;
	struct phone	*p;
	char		 mac[IDENT_MAC_LEN + 1], *esc, word[32];
	size_t		 i, n;

	/*
	 * device.syslog.prependMac puts the MAC in the message, after the
	 * syslog header: the first word of 12 hex digits that names a known
	 * phone wins; else the sender's address.
	 */
	p = NULL;
	for (i = 0; i < len && p == NULL; i++) {
		if (i > 0 && line[i - 1] != ' ' && line[i - 1] != ':' &&
		    line[i - 1] != '>' && line[i - 1] != '[')
			continue;
		for (n = 0; i + n < len && n < sizeof word - 1 &&
		    line[i + n] != ' ' && line[i + n] != ':' &&
		    line[i + n] != ']'; n++)
			word[n] = line[i + n];
		word[n] = '\0';
		if (n == IDENT_MAC_LEN && ident_parse_mac(word, mac) == 0)
			p = fleet_find(s->fleet, mac);
	}
	if (p == NULL)
		p = fleet_by_ip(s->fleet, ip);
	esc = log_escape(line, len);
	journal_add_syslog(s->journal, p != NULL ? p->mac : NULL, ip,
	    serve_now(), esc);
	free(esc);
}

void
serve_dhcp_lease(void *arg, const struct dhcp_lease *l)
{
	struct serve		*s = arg;
	struct phone		*p;
	struct ident_opt60	 o60;
	char			*evidence, *cause = NULL;
	int64_t			 now = serve_now();

	if (strcmp(l->action, "del") == 0)
		return;
	xasprintf(&evidence, "DHCP lease %s %s for %s", l->action, l->ip,
	    l->mac);
	p = fleet_seen(s->fleet, l->mac, l->ip, 0, now, evidence);
	if (l->option60 != NULL && ident_parse_option60(l->option60,
	    l->option60_len, &o60, &cause) == 0) {
		free(evidence);
		xasprintf(&evidence, "DHCP option 60 from %s (model %s%s%s)",
		    l->mac, o60.token, o60.app_version.nfields > 0 ?
		    ", application version known" : "", o60.binary ?
		    ", RFC 3925 form" : "");
		if (o60.token[0] != '\0')
			fleet_learn_model(s->fleet, p, o60.token, NULL, now,
			    evidence);
		else if (o60.part[0] != '\0')
			fleet_learn_model(s->fleet, p, NULL, o60.part, now,
			    evidence);
		if (o60.app_version.nfields > 0)
			fleet_learn_version(s->fleet, p, &o60.app_version,
			    VSRC_OPTION60, now, evidence);
	}
	free(cause);
	free(evidence);
}

void
serve_phone_changed(void *arg, const struct phone *p)
{
	struct serve	*s = arg;
	struct phone	*mp;
	char		*cause = NULL;

	/* A re-pointed phone must not be sent straight back to us. */
	if (s->dhcp != NULL && !p->boot_server_off &&
	    (p->state == PHONE_REPOINTED || p->state == PHONE_RECOVERED)) {
		mp = fleet_find(s->fleet, p->mac);
		if (mp != NULL)
			mp->boot_server_off = 1;
		if (dhcp_set_boot_server(s->dhcp, p->mac, 0, &cause) != 0) {
			log_warn("dhcp: cannot stop offering the boot server "
			    "to %s: %s", p->mac, cause);
			free(cause);
		}
	}
	serve_report_changed(s);
	if (s->control != NULL)
		control_broadcast(s->control, "phone", json_pack("{s:o}",
		    "phone", fleet_phone_json(s->fleet, p)));
}
