/*
 * The answer to a request: classified by its name, tied to a phone
 * (serve-ident.c), and answered with bytes rendered or opened for this
 * phone now: its master config, its model's image, its trust and re-point
 * file, or a fast "not found".  An answer is remembered in the transfer
 * table (serve-xfer.c); nothing it promises happens before the transfer
 * starts.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "control.h"
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

struct serve_answer {
	int			 status;	/* 0 ok, 404, 403, 503 */
	char			*cause;
	int			 fd;
	char			*buf;
	uint64_t		 size;
	int			 image;
	int			 bootrom;
	int			 phone_file;
	int			 phase2;
	struct ucs_version	 image_version;
	char			 mac[13];
	char			 sha256[65];	/* of an image or trust file */
};

static int	serve_resolve(struct serve *, enum xfer_proto, const char *,
		    const char *, const char *, const char *, int,
		    struct serve_answer *);
static void	serve_answer_image(struct serve *, struct phone *,
		    const struct ident_name *, const char *, int64_t,
		    struct serve_answer *);
static void	serve_answer_phone_file(struct serve *, struct phone *,
		    const char *, struct serve_answer *);
static void	serve_answer_bootrom(struct serve *, struct phone *,
		    const char *, const char *, const char *, int64_t,
		    struct serve_answer *);
static const struct model *serve_bootrom_want(struct serve *, struct phone *,
		    const char *, struct ucs_version *, char **);
static void	serve_note_unowned(struct serve *, const char *,
		    const struct serve_answer *, const char *, int64_t);
static int	serve_unowned_loop(struct serve *, const char *, const char *,
		    int64_t, char **);

/* How long a BootROM asked before its phone named itself waits for it. */
#define SERVE_CLAIM_MS	(10 * 60 * 1000)
static void	serve_note_content(struct serve *, const char *, const char *,
		    const struct serve_answer *, int64_t);
static void	serve_sha256_hex(const void *, size_t, char [65]);
static void	serve_release_buf(void *);
static void	serve_peer_ip(const struct sockaddr_storage *, char *, size_t);

static void
serve_release_buf(void *arg)
{
	free(arg);
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

static void
serve_answer_image(struct serve *s, struct phone *p, const struct ident_name *in,
    const char *evidence, int64_t now, struct serve_answer *a)
{
	const struct model		*m;
	const struct library_package	*pkg;
	const char			*why = NULL, *part;
	char				*file, vtext[UCS_VERSION_TEXT_MAX];
	enum image_verdict		 verdict;
	size_t				 i;

	m = model_by_part(s->models, in->part);
	if (m == NULL && p != NULL && (m = fleet_part_unknown(s->fleet,
	    p)) != NULL)
		fleet_learn_part(s->fleet, p, in->part, now, evidence);
	else if (p != NULL)
		fleet_learn_model(s->fleet, p, NULL, in->part, now, evidence);
	if (m == NULL) {
		a->status = 404;
		xasprintf(&a->cause, "part number %s is not in the models "
		    "table", in->part);
		return;
	}
	if ((verdict = fleet_image_verdict(s->fleet, p, now, &why)) !=
	    IMAGE_OFFER) {
		/*
		 * BootROM first, and the library has none to give: held
		 * with what to import now.  It was told to power-cycle for
		 * nothing, and held only at that next boot.
		 */
		if (verdict == IMAGE_REFUSE_STEP && p != NULL) {
			serve_bootrom_missing(s, p, now, evidence);
			if (p->state == PHONE_HELD && p->reason != NULL)
				why = p->reason;
		}
		a->status = 404;
		a->cause = xstrdup(why != NULL ? why : "not offered: the "
		    "phone's version is unknown and the policy is hold");
		return;
	}
	/* The table's part, or the one a phone of its model named itself. */
	part = m->part != NULL ? m->part : in->part;
	if ((pkg = serve_image_package(s, m, part, &a->cause)) == NULL) {
		a->status = 404;
		if (p != NULL)
			fleet_hold(s->fleet, p, a->cause, now, evidence);
		return;
	}
	xasprintf(&file, "%s.sip.ld", part);
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

/*
 * The BootROM a phone asking for bootrom.ld is to be given, if any: its
 * plan's BootROM step (current, or just flashed and not yet proved: it
 * abandons the same image after its header, the proof over TFTP).  A phone
 * not known yet (its first boot: bootrom.ld comes before <mac>.cfg) is
 * planned from its BootROM's User-Agent (model, BootROM version).  NULL
 * with *why when it gets none.
 */
static const struct model *
serve_bootrom_want(struct serve *s, struct phone *p, const char *ua_text,
    struct ucs_version *want, char **why)
{
	const struct model	*m;
	const struct plan_step	*st = NULL;
	struct plan		 pl;
	struct plan_phone	 ph;
	struct ident_ua		 ua;
	char			*cause = NULL;
	size_t			 i;

	if (p != NULL && (p->state == PHONE_HELD || (p->state == PHONE_FAILED &&
	    p->flashes >= s->fleet->config.max_flashes))) {
		xasprintf(why, "%s: %s", phone_state_name(p->state),
		    p->reason != NULL ? p->reason : "by the operator");
		return (NULL);
	}
	if (p != NULL) {
		m = model_of_phone(s->models, p->model, p->part);
		st = fleet_plan_current(s->fleet, p, &pl);
		if (st != NULL && st->kind != PLAN_BOOTROM)
			st = NULL;
		for (i = 0; st == NULL && p->state == PHONE_REBOOTING &&
		    strstr(p->flashed, "bootrom.ld") != NULL && i < pl.n; i++) {
			if (pl.steps[i].kind == PLAN_BOOTROM)
				st = &pl.steps[i];
		}
	} else {
		if (ua_text == NULL || ident_parse_user_agent(ua_text, &ua,
		    &cause) != 0 || ua.type != UA_TYPE_NONE ||
		    (m = model_by_token(s->models, ua.token)) == NULL) {
			free(cause);
			*why = xstrdup("not a phone known here, and no BootROM "
			    "User-Agent naming its model and BootROM");
			return (NULL);
		}
		memset(&ph, 0, sizeof ph);
		ph.family = m->family;
		ph.model = m->token;
		ph.bootrom = ua.version;
		ph.has_bootrom = 1;
		ph.target = m->target;
		plan_make(s->fleet->plans, &ph, &pl);
		if (pl.current < pl.n &&
		    pl.steps[pl.current].kind == PLAN_BOOTROM)
			st = &pl.steps[pl.current];
	}
	if (st == NULL || m == NULL || m->part == NULL) {
		*why = xstrdup("its upgrade plan has no BootROM step");
		return (NULL);
	}
	*want = st->version;
	return (m);
}

/*
 * Its plan needs a BootROM the library does not have: held now, saying
 * which package to import, rather than waiting for its next boot's
 * bootrom.ld to say so.
 */
void
serve_bootrom_missing(struct serve *s, struct phone *p, int64_t now,
    const char *evidence)
{
	const struct model	*m;
	struct ucs_version	 want;
	char			*why = NULL;

	if ((m = serve_bootrom_want(s, p, NULL, &want, &why)) == NULL) {
		free(why);
		return;
	}
	if ((why = serve_bootrom_lacking(s, m, &want)) == NULL)
		return;
	fleet_hold(s->fleet, p, why, now, evidence);
	free(why);
}

static void
serve_answer_bootrom(struct serve *s, struct phone *p, const char *ip,
    const char *ua, const char *evidence, int64_t now, struct serve_answer *a)
{
	const struct library_package	*pkg;
	const struct model		*m;
	struct ucs_version		 want;
	const char			*which;
	char				*file;
	size_t				 i;

	if (p != NULL)
		fleet_asked_bootrom(s->fleet, p, now, evidence);
	else
		serve_note_unowned(s, ip, NULL, ua, now);
	a->status = 404;
	if ((m = serve_bootrom_want(s, p, ua, &want, &a->cause)) == NULL)
		return;
	if (p == NULL && serve_unowned_loop(s, ip, ua, now, &a->cause))
		return;
	pkg = library_find_bootrom(s->library, &want, m->part, &which);
	if (pkg == NULL) {
		a->cause = serve_bootrom_lacking(s, m, &want);
		if (p != NULL)
			fleet_hold(s->fleet, p, a->cause, now, evidence);
		return;
	}
	if (strcmp(which, "split") == 0)
		xasprintf(&file, "%s.bootrom.ld", m->part);
	else
		file = xstrdup(which);
	a->fd = library_open_file(pkg, file, &a->size, &a->cause);
	for (i = 0; a->fd != -1 && i < pkg->nfiles; i++) {
		if (strcasecmp(pkg->files[i].name, file) == 0)
			memcpy(a->sha256, pkg->files[i].sha256,
			    sizeof a->sha256);
	}
	free(file);
	if (a->fd == -1)
		return;
	a->status = 0;
	a->image = 1;
	a->bootrom = 1;
	a->image_version = pkg->version;
	if (p == NULL)
		serve_note_unowned(s, ip, a, ua, now);
}

/* The BootROM version a User-Agent without a Type gives, as text, or "". */
static void
serve_ua_bootrom(const char *ua, char *out, size_t size)
{
	struct ident_ua	 u;
	char		*cause = NULL;

	out[0] = '\0';
	if (ua != NULL && ident_parse_user_agent(ua, &u, &cause) == 0 &&
	    u.type == UA_TYPE_NONE)
		ucs_version_format(&u.version, out, size);
	free(cause);
}

/*
 * A BootROM served bootrom.ld at this address again and again before any
 * phone there named itself, its User-Agent still saying the same BootROM:
 * its flash does not take, and it was served for as long as it looped,
 * seen nowhere.  After max-flashes, refused with why (1, *cause), said in
 * the log and noted in the journal for the report.
 */
static int
serve_unowned_loop(struct serve *s, const char *ip, const char *ua,
    int64_t now, char **cause)
{
	struct journal_event	 ev;
	char			 v[32];
	size_t			 i, n = sizeof s->unowned / sizeof s->unowned[0];

	serve_ua_bootrom(ua, v, sizeof v);
	for (i = 0; i < n; i++) {
		if (s->unowned[i].ts != 0 &&
		    now - s->unowned[i].ts <= SERVE_CLAIM_MS &&
		    strcmp(s->unowned[i].ip, ip) == 0)
			break;
	}
	if (i == n || v[0] == '\0' || strcmp(s->unowned[i].bootrom, v) != 0 ||
	    s->unowned[i].given < s->fleet->config.max_flashes)
		return (0);
	free(*cause);
	xasprintf(cause, "bootrom.ld was given whole to %s %u time%s and its "
	    "BootROM came back at %s each time, before any phone there named "
	    "itself: its BootROM flash does not take; check the BootROM "
	    "package's part and the phone's label, power-cycle it once more, "
	    "or recover it by hand", ip, s->unowned[i].given,
	    s->unowned[i].given == 1 ? "" : "s", v);
	/* Once per loop: the log and the journal (the report lists it). */
	if (!s->unowned[i].told) {
		s->unowned[i].told = 1;
		log_warn("%s", *cause);
		memset(&ev, 0, sizeof ev);
		ev.ts = now;
		ev.mac = "";
		ev.kind = "note";
		ev.fact = "bootrom-loop";
		ev.value = ip;
		ev.evidence = *cause;
		journal_add_event(s->journal, &ev);
	}
	return (1);
}

/*
 * bootrom.ld asked from ip before any phone there named itself: that it
 * asked (it boots through a BootROM), and what it was given, if anything
 * (a: the answer), for the phone that names itself next (below).
 */
static void
serve_note_unowned(struct serve *s, const char *ip,
    const struct serve_answer *a, const char *ua, int64_t now)
{
	size_t	i, n = sizeof s->unowned / sizeof s->unowned[0];
	char	v[32];

	for (i = 0; i < n; i++) {
		if (s->unowned[i].ts != 0 &&
		    now - s->unowned[i].ts <= SERVE_CLAIM_MS &&
		    strcmp(s->unowned[i].ip, ip) == 0)
			break;
	}
	/* Already noted: what it was given (and since when) stands. */
	if (i < n && a == NULL)
		return;
	if (i == n) {
		i = s->unowned_next++ % n;
		s->unowned[i].given = 0;
		s->unowned[i].told = 0;
		s->unowned[i].bootrom[0] = '\0';
	}
	/* Served to the same BootROM again: one more try at its flash. */
	serve_ua_bootrom(ua, v, sizeof v);
	if (a != NULL && s->unowned[i].given > 0 &&
	    strcmp(s->unowned[i].bootrom, v) == 0)
		s->unowned[i].given++;
	else if (a != NULL) {
		s->unowned[i].given = 1;
		s->unowned[i].told = 0;
		snprintf(s->unowned[i].bootrom, sizeof s->unowned[i].bootrom,
		    "%s", v);
	}
	snprintf(s->unowned[i].ip, sizeof s->unowned[i].ip, "%s", ip);
	snprintf(s->unowned[i].name, sizeof s->unowned[i].name, "bootrom.ld");
	snprintf(s->unowned[i].sha256, sizeof s->unowned[i].sha256, "%s",
	    a != NULL ? a->sha256 : "");
	s->unowned[i].size = a != NULL ? a->size : 0;
	s->unowned[i].ts = now;
}

/*
 * A phone's first boot: its BootROM asks for bootrom.ld before anything
 * names its MAC, and is served by its User-Agent alone.  The phone that
 * then names itself from the same address within SERVE_CLAIM_MS is the one
 * that asked (the same tie as a TFTP image to the <mac>.cfg before it,
 * reversed in time): its transfer rows and their content become the
 * phone's, and the journal says how.
 */
void
serve_claim_bootrom(struct serve *s, struct phone *p, const char *ip,
    int64_t now)
{
	struct journal_event	 ev;
	char			*value, *evidence;
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof s->unowned / sizeof s->unowned[0]; i++) {
		if (s->unowned[i].ts == 0 || strcmp(s->unowned[i].ip, ip) != 0)
			continue;
		if (now - s->unowned[i].ts > SERVE_CLAIM_MS) {
			s->unowned[i].ts = 0;
			continue;
		}
		if (s->unowned[i].size == 0) {
			/* Asked and not given: it boots through a BootROM. */
			xasprintf(&evidence, "%s asked from %s before any "
			    "phone there named itself; %s is the first to, "
			    "from the same address", s->unowned[i].name, ip,
			    p->mac);
			fleet_asked_bootrom(s->fleet, p, now, evidence);
			free(evidence);
			s->unowned[i].ts = 0;
			continue;
		}
		n = journal_claim_transfers(s->journal, p->mac, ip,
		    s->unowned[i].name, s->unowned[i].ts);
		xasprintf(&evidence, "%s answered to %s before any phone there "
		    "named itself (%d transfer row%s); %s is the first to, "
		    "from the same address", s->unowned[i].name, ip, n,
		    n == 1 ? "" : "s", p->mac);
		xasprintf(&value, "%llu %s", (unsigned long long)
		    s->unowned[i].size, s->unowned[i].sha256);
		memset(&ev, 0, sizeof ev);
		ev.ts = s->unowned[i].ts;
		ev.mac = p->mac;
		ev.kind = "note";
		ev.fact = "content";
		ev.value = value;
		ev.evidence = s->unowned[i].name;
		journal_add_event(s->journal, &ev);
		fleet_asked_bootrom(s->fleet, p, now, evidence);
		log_info("phone %s: %s", p->mac, evidence);
		free(value);
		free(evidence);
		s->unowned[i].ts = 0;
	}
}

/* The move to "trusting" waits for the transfer to start (serve-xfer.c). */
static void
serve_answer_phone_file(struct serve *s, struct phone *p, const char *mac,
    struct serve_answer *a)
{
	const char	*note = NULL;
	char		*out;
	size_t		 len;

	if (p == NULL || !fleet_proved_target(s->fleet, p))
		note = "it has not yet proved that it runs its target version";
	else if (s->ca == NULL) {
		note = "waiting for the operator's CA certificate (set-ca in "
		    "the console, or serve's ca option)";
		log_warn("phone %s runs its target and asked for its trust "
		    "file: %s", p->mac, CONTROL_NO_CA);
	}
	if (provision_phone_file(&s->prov, mac, note == NULL ? s->ca->pem :
	    NULL, note, &out, &len, &a->cause) != 0) {
		a->status = 404;
		return;
	}
	a->buf = out;
	a->size = len;
	a->phone_file = 1;
	serve_sha256_hex(out, len, a->sha256);
	a->phase2 = note == NULL;
}

/* Not answered now: the journal cannot write (see serve_resolve()). */
static int
serve_unrecorded(struct serve *s, enum xfer_proto proto, const char *name,
    const char *peer_text, struct serve_answer *a)
{
	char	*esc = log_escape(name, strlen(name));

	a->status = 503;
	xasprintf(&a->cause, "its journal cannot write (%s): nothing is "
	    "answered until it can", journal_failing(s->journal));
	log_warn("%s %s from %s: not answered: %s", xfer_proto_name(proto),
	    esc, peer_text, a->cause);
	free(esc);
	return (a->status);
}

/* head: no transfer follows the answer; its row is its outcome. */
static int
serve_resolve(struct serve *s, enum xfer_proto proto, const char *name,
    const char *ip, const char *ua, const char *peer_text, int head,
    struct serve_answer *a)
{
	struct ident_name	 in;
	struct phone		*p;
	const char		*why;
	char			*evidence = NULL, mac[IDENT_MAC_LEN + 1];
	struct serve_xfer	*x;
	int64_t			 now = serve_now();
	enum image_verdict	 verdict;
	int			 offer;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	/*
	 * A phone answered now may change (a config offering an image, the
	 * image, its trust file) while nothing of it could be recorded: the
	 * report would say less than happened, or the wrong "before".  So no
	 * request is answered until the journal writes again; the phone asks
	 * again later (503, or a TFTP error), and the log says why.
	 */
	if (!journal_writable(s->journal, now))
		return (serve_unrecorded(s, proto, name, peer_text, a));
	ident_classify_name(name, &in);
	p = serve_identify(s, xfer_proto_name(proto), &in, ip, ua, name, head,
	    now, &evidence);
	/* Writes failed while this request was being recorded. */
	if (journal_failing(s->journal) != NULL) {
		free(evidence);
		return (serve_unrecorded(s, proto, name, peer_text, a));
	}
	if (p != NULL)
		snprintf(a->mac, sizeof a->mac, "%s", p->mac);
	/*
	 * The never-served name its master config gave names its model: the
	 * weakest word of it, taken only while nothing else has named it
	 * (another model's name, asked from its address, made a VVX 410 on
	 * 4.1.4 a VVX 1500 "newer than its target").
	 */
	if (p != NULL && in.kind == IDENT_FILE_NO_IMAGE &&
	    p->model[0] == '\0' &&
	    model_by_token(s->models, in.token) != NULL)
		fleet_learn_model(s->fleet, p, in.token, in.part[0] != '\0' ?
		    in.part : NULL, now, evidence);
	serve_package_wait(s, p, ua, now, evidence);
	switch (in.kind) {
	case IDENT_FILE_MASTER_MAC:
	case IDENT_FILE_MASTER_DEFAULT:
		/* Right after bootrom.ld: a BootROM image abandoned (TFTP). */
		if (p != NULL)
			serve_moved_on(s, p, name, 1, now);
		if (p != NULL && in.kind == IDENT_FILE_MASTER_MAC &&
		    fleet_image_withheld(s->fleet, p)) {
			offer = 0;
			/* What its application says next is the flash's. */
			p->image_withheld_at = now;
		} else if (p != NULL && in.kind == IDENT_FILE_MASTER_MAC) {
			verdict = fleet_image_verdict(s->fleet, p, now, &why);
			offer = verdict == IMAGE_OFFER;
			if (verdict == IMAGE_REFUSE_STEP)
				serve_bootrom_missing(s, p, now, evidence);
		} else
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
	case IDENT_FILE_BOOTROM:
		serve_answer_bootrom(s, p, ip, ua, evidence, now, a);
		break;
	case IDENT_FILE_NO_IMAGE:
		a->status = 404;
		a->cause = xstrdup(p != NULL && p->state == PHONE_HELD &&
		    p->reason != NULL ? p->reason : "the name a master config "
		    "gives where no image may be given: never served");
		break;
	case IDENT_FILE_COMBINED_IMAGE:
		a->status = 404;
		a->cause = xstrdup("a combined sip.ld is never served: each "
		    "model gets only its own split image");
		break;
	default:
		if (p != NULL)
			serve_moved_on(s, p, name, 0, now);
		if (provision_is_phone_file(in.base, mac)) {
			serve_answer_phone_file(s, p, mac, a);
			break;
		}
		/* Optional files (-phone.cfg, licenses, directories): fast. */
		a->status = 404;
		break;
	}
	free(evidence);
	if (a->status == 0 && a->mac[0] != '\0' && a->sha256[0] != '\0')
		serve_note_content(s, a->mac, name, a, now);
	if (a->status == 0 && !head) {
		x = serve_xfer_pending(s, proto, a->mac, peer_text, name);
		x->image = a->image;
		x->bootrom = a->bootrom;
		x->phone_file = a->phone_file;
		x->phase2 = a->phase2;
		x->image_version = a->image_version;
		x->total = a->size;
	} else if (a->status == 0)
		serve_xfer_head(s, proto, a->mac, ip, peer_text, name,
		    a->size);
	else if (a->status != 0 && a->cause != NULL)
		log_info("%s %s from %s: not found: %s",
		    xfer_proto_name(proto), in.base, peer_text, a->cause);
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

int
serve_tftp_resolve(void *arg, const struct tftp_request *req,
    struct tftp_content *c, char **cause)
{
	struct serve		*s = arg;
	struct serve_answer	 a;
	struct ident_name	 in;
	char			 ip[64];

	/*
	 * No phone asks for an image in netascii: the bytes it would get
	 * are not the image, and a whole such transfer would be taken for
	 * a flash.  Refused before the request counts for any phone.
	 */
	ident_classify_name(req->name, &in);
	if (req->netascii && (in.kind == IDENT_FILE_IMAGE ||
	    in.kind == IDENT_FILE_BOOTROM ||
	    in.kind == IDENT_FILE_COMBINED_IMAGE)) {
		*cause = xstrdup("an image is sent in octet (binary) mode only: "
		    "netascii would change its bytes");
		return (TFTP_ERR_ILLEGAL_OP);
	}
	serve_peer_ip(req->peer, ip, sizeof ip);
	if (serve_resolve(s, XFER_TFTP, req->name, ip, NULL, req->peer_text, 0,
	    &a) != 0) {
		*cause = a.cause != NULL ? a.cause : xstrdup("file not found");
		if (a.status == 503)
			return (TFTP_ERR_UNDEFINED);	/* "try later" */
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

int
serve_http_resolve(void *arg, const struct http_request_info *req,
    struct http_content *c, char **cause)
{
	struct serve		*s = arg;
	struct serve_answer	 a;
	enum xfer_proto		 proto = req->tls ? XFER_HTTPS : XFER_HTTP;

	if (serve_resolve(s, proto, req->name, req->peer_ip, req->user_agent,
	    req->peer_text, strcmp(req->method, "HEAD") == 0, &a) != 0) {
		*cause = a.cause;
		return (a.status == 403 || a.status == 503 ? a.status : 404);
	}
	free(a.cause);
	c->fd = a.fd;
	c->buf = a.buf;
	c->size = a.size;
	c->content_type = a.buf != NULL ? "application/xml" :
	    "application/octet-stream";
	c->gate = a.image ? FLEET_IMAGE_HEADER : 0;
	c->release = a.buf != NULL ? serve_release_buf : NULL;
	c->release_arg = a.buf;
	return (200);
}
