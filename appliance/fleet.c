/*
 * The fleet's state machine.  Callers report what a phone did, with the
 * evidence in words; this file decides what it means and journals it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "models.h"
#include "xmalloc.h"

#define VERSION_UNKNOWN_REASON \
	"version unknown and the policy is --unknown-version hold: no image " \
	"is offered until the phone's version is known"

static const char *phone_state_names[PHONE_NSTATES] = {
	"seen", "identified", "upgrading", "rebooting", "current", "trusting",
	"repointed", "repointed-quiet", "failed", "held", "verified"
};
static const char *version_source_names[] = {
	"", "app-log", "abandoned-image", "option60", "user-agent"
};

static int	fleet_commit(struct fleet *, struct phone *,
		    const struct journal_event *);
static int	fleet_transition(struct fleet *, struct phone *,
		    enum fleet_event, const char *, int64_t, const char *);
static int	fleet_before_image(const struct phone *);
static void	fleet_fact(struct fleet *, struct phone *, const char *,
		    const char *, int64_t, const char *);
static void	fleet_evaluate(struct fleet *, struct phone *, int64_t,
		    const char *);
static int	fleet_cmp_target(const struct fleet *, const struct phone *);
static int	fleet_older_than(const char *, const struct ucs_version *);
static void	fleet_older_proved(struct fleet *, struct phone *,
		    const char *, const char *, enum version_source,
		    const char *, int64_t, const char *);
static const struct model *fleet_model(const struct fleet *,
		    const struct phone *);
static void	fleet_learn_part_row(struct fleet *, struct phone *,
		    const struct model *, int64_t, const char *);
static int	fleet_model_untrusted(struct fleet *, struct phone *,
		    const char *, int64_t, const char *);
static void	fleet_load_one(void *, const struct phone *);
static int	fleet_flashed_bootrom(const struct phone *);
static int	fleet_loop_stopped(const struct fleet *, const struct phone *);
static const char *fleet_flash_remedy(const struct fleet *,
		    const struct phone *, const char *);
static void	fleet_loop_fail(struct fleet *, struct phone *, int64_t,
		    const char *);
static void	fleet_no_progress(struct fleet *, struct phone *,
		    const char *, int64_t, const char *);

const char *
phone_state_name(enum phone_state s)
{
	if ((unsigned)s >= PHONE_NSTATES)
		return ("seen");
	return (phone_state_names[s]);
}

int
phone_state_from_name(const char *name)
{
	int	i;

	for (i = 0; i < PHONE_NSTATES; i++) {
		if (strcmp(phone_state_names[i], name) == 0)
			return (i);
	}
	/* The name in journals written before "repointed-quiet". */
	if (strcmp(name, "recovered") == 0)
		return (PHONE_RECOVERED);
	return (-1);
}

const char *
version_source_name(enum version_source s)
{
	if ((unsigned)s > VSRC_UA)
		return ("");
	return (version_source_names[s]);
}

enum version_source
version_source_from_name(const char *name)
{
	int	i;

	for (i = VSRC_APPLOG; i <= VSRC_UA; i++) {
		if (strcmp(version_source_names[i], name) == 0)
			return (i);
	}
	return (VSRC_NONE);
}

const char *
unknown_policy_name(enum unknown_policy p)
{
	return (p == UNKNOWN_HOLD ? "hold" : "upgrade");
}

char *
fleet_format_time(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (ms <= 0) {
		snprintf(buf, len, "%s", "");
		return (buf);
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (buf);
}

struct fleet *
fleet_new(struct journal *j, struct model_table *models,
    const struct fleet_config *config)
{
	struct fleet	*f;
	char		*cause = NULL;

	f = xcalloc(1, sizeof *f);
	f->journal = j;
	f->models = models;
	f->config = *config;
	if (f->config.max_returns == 0)
		f->config.max_returns = 3;
	if (f->config.max_flashes == 0)
		f->config.max_flashes = FLEET_MAX_FLASHES;
	if ((f->plans = plan_table_load_default(&cause)) == NULL)
		fatalx("%s", cause);
	snprintf(f->repoint, sizeof f->repoint, "ztp");
	f->ztp.ok = -1;
	TAILQ_INIT(&f->phones);
	return (f);
}

static void
fleet_load_one(void *arg, const struct phone *row)
{
	struct fleet	*f = arg;
	struct phone	*p;

	p = xmalloc(sizeof *p);
	*p = *row;
	p->reason = row->reason != NULL ? xstrdup(row->reason) : NULL;
	p->held_reason = row->held_reason != NULL ?
	    xstrdup(row->held_reason) : NULL;
	TAILQ_INSERT_TAIL(&f->phones, p, entry);
	f->nphones++;
}

int
fleet_load(struct fleet *f, char **cause)
{
	return (journal_load_phones(f->journal, fleet_load_one, f, cause));
}

void
fleet_restarted(struct fleet *f, int64_t now)
{
	struct phone	*p;

	/*
	 * Its image was being served when the daemon stopped (killed, or
	 * the power went): how far it got was never recorded, and nothing
	 * will end that transfer now.  Left upgrading, the report said "do
	 * not unplug it" of a phone idle on its old firmware.  It goes back
	 * to where the image found it: its next request decides.
	 */
	TAILQ_FOREACH(p, &f->phones, entry) {
		if (p->state == PHONE_UPGRADING)
			fleet_transition(f, p, FEV_IMAGE_UNPROVED, NULL, now,
			    "the daemon stopped while it served this phone "
			    "its image: how far it got is not known; its next "
			    "request decides (if it sits idle on its old "
			    "firmware, power-cycle it)");
	}
}

void
fleet_free(struct fleet *f)
{
	struct phone	*p;

	if (f == NULL)
		return;
	while ((p = TAILQ_FIRST(&f->phones)) != NULL) {
		TAILQ_REMOVE(&f->phones, p, entry);
		free(p->reason);
		free(p->held_reason);
		free(p);
	}
	plan_table_free(f->plans);
	free(f->ztp.sentence);
	free(f);
}

void
fleet_set_notify(struct fleet *f, fleet_notify_fn fn, void *arg)
{
	f->notify = fn;
	f->notify_arg = arg;
}

void
fleet_set_forgot(struct fleet *f, fleet_forgot_fn fn)
{
	f->forgot = fn;
}

void
fleet_set_trust(struct fleet *f, const char *ca_sha256, const char *repoint)
{
	snprintf(f->ca_sha256, sizeof f->ca_sha256, "%s",
	    ca_sha256 != NULL ? ca_sha256 : "");
	snprintf(f->repoint, sizeof f->repoint, "%s",
	    repoint != NULL ? repoint : "ztp");
}

struct phone *
fleet_find(struct fleet *f, const char *mac)
{
	struct phone	*p;

	TAILQ_FOREACH(p, &f->phones, entry) {
		if (strcmp(p->mac, mac) == 0)
			return (p);
	}
	return (NULL);
}

struct phone *
fleet_by_ip(struct fleet *f, const char *ip)
{
	struct phone	*p, *best = NULL;

	TAILQ_FOREACH(p, &f->phones, entry) {
		if (strcmp(p->ip, ip) == 0 &&
		    (best == NULL || p->last_seen > best->last_seen))
			best = p;
	}
	return (best);
}

/* Journal the phone (and ev), then tell the clients; -1 if not recorded. */
static int
fleet_commit(struct fleet *f, struct phone *p, const struct journal_event *ev)
{
	if (journal_save(f->journal, p, ev) != 0) {
		log_warn("phone %s: the journal cannot record %s%s%s", p->mac,
		    ev != NULL ? ev->kind : "its row", ev != NULL &&
		    ev->fact != NULL ? " " : "", ev != NULL && ev->fact !=
		    NULL ? ev->fact : "");
		return (-1);
	}
	if (f->notify != NULL)
		f->notify(f->notify_arg, p);
	return (0);
}

/*
 * The only writer of p->state (besides a phone's creation and loading): the
 * lifecycle table says whether event moves the phone and where to; the
 * transition is journalled and told, or, when the journal cannot record
 * it, not made.  -1 when it is not allowed or not recorded.
 */
static int
fleet_transition(struct fleet *f, struct phone *p, enum fleet_event event,
    const char *reason, int64_t now, const char *evidence)
{
	struct journal_event	 ev;
	enum phone_state	 from = p->state, held_from = p->held_from;
	enum phone_state	 to;
	int64_t			 since = p->state_since;
	char			*old_reason, *old_held = p->held_reason;

	if (fleet_lifecycle_next(from, event, fleet_model(f, p) != NULL,
	    held_from, &to) != 0)
		return (-1);
	/* reason may be p->reason itself: copy it before anything else. */
	old_reason = p->reason;
	p->reason = reason != NULL ? xstrdup(reason) : NULL;
	/*
	 * A hold keeps the reason it covers and a release to that state gives
	 * it back ("runs 5.4.1, newer than its target: not downgraded" was
	 * lost).  A failed phone released starts afresh, without it.
	 */
	if (to == PHONE_HELD && from != PHONE_HELD)
		p->held_reason = old_reason != NULL ? xstrdup(old_reason) :
		    NULL;
	else if (event == FEV_RELEASE && reason == NULL && to == held_from) {
		p->reason = old_held;
		p->held_reason = NULL;
	} else if (from == PHONE_HELD && to != PHONE_HELD)
		p->held_reason = NULL;	/* retried, forgotten: not given back */
	memset(&ev, 0, sizeof ev);
	ev.ts = now;
	ev.mac = p->mac;
	ev.kind = "state";
	ev.from = phone_state_name(from);
	ev.to = phone_state_name(to);
	ev.value = p->reason;
	ev.evidence = evidence;
	if (to == PHONE_HELD)
		p->held_from = from;
	/* Progress, or the operator: the loop bound starts again. */
	if (event == FEV_RUNS_TARGET || event == FEV_STEP_PROVED ||
	    event == FEV_RETRY)
		p->flashes = 0;
	p->state = to;
	p->state_since = now;
	if (fleet_commit(f, p, &ev) != 0) {
		log_warn("phone %s: %s -> %s (%s) not made: the journal cannot "
		    "record it", p->mac, phone_state_name(from),
		    phone_state_name(to), fleet_event_name(event));
		if (p->reason != old_held)
			free(p->reason);
		if (p->held_reason != old_held)
			free(p->held_reason);
		p->reason = old_reason;
		p->held_reason = old_held;
		p->state = from;
		p->held_from = held_from;
		p->state_since = since;
		return (-1);
	}
	free(old_reason);
	if (p->held_reason != old_held && p->reason != old_held)
		free(old_held);
	log_info("phone %s: %s -> %s%s%s (%s)", p->mac, phone_state_name(from),
	    phone_state_name(to), p->reason != NULL ? ": " : "",
	    p->reason != NULL ? p->reason : "", evidence);
	return (0);
}

/* Not yet given an image whole: what it runs now is its version before. */
static int
fleet_before_image(const struct phone *p)
{
	return (p->state == PHONE_SEEN || p->state == PHONE_IDENTIFIED ||
	    p->state == PHONE_UPGRADING);
}

static void
fleet_fact(struct fleet *f, struct phone *p, const char *fact,
    const char *value, int64_t now, const char *evidence)
{
	struct journal_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.ts = now;
	ev.mac = p->mac;
	ev.kind = "fact";
	ev.fact = fact;
	ev.value = value;
	ev.evidence = evidence;
	log_info("phone %s: %s %s (%s)", p->mac, fact, value, evidence);
	fleet_commit(f, p, &ev);
}

struct phone *
fleet_seen(struct fleet *f, const char *mac, const char *ip, int master,
    int64_t now, const char *evidence)
{
	struct phone		*p;
	struct journal_event	 ev;
	char			*why;

	if ((p = fleet_find(f, mac)) == NULL) {
		p = xcalloc(1, sizeof *p);
		snprintf(p->mac, sizeof p->mac, "%s", mac);
		snprintf(p->ip, sizeof p->ip, "%s", ip);
		p->first_seen = p->last_seen = p->state_since = now;
		p->state = PHONE_SEEN;
		TAILQ_INSERT_TAIL(&f->phones, p, entry);
		f->nphones++;
		memset(&ev, 0, sizeof ev);
		ev.ts = now;
		ev.mac = p->mac;
		ev.kind = "state";
		ev.to = phone_state_name(PHONE_SEEN);
		ev.evidence = evidence;
		log_info("phone %s: new, seen at %s (%s)", mac, ip, evidence);
		fleet_commit(f, p, &ev);
		return (p);
	}
	if (strcmp(p->ip, ip) != 0) {
		snprintf(p->ip, sizeof p->ip, "%s", ip);
		p->last_seen = now;
		fleet_fact(f, p, "ip", ip, now, evidence);
	}
	p->last_seen = now;
	if (!master) {
		fleet_commit(f, p, NULL);
		return (p);
	}
	if (fleet_lifecycle_allows(p->state, FEV_BOOT) &&
	    !fleet_loop_stopped(f, p)) {
		fleet_transition(f, p, FEV_BOOT, NULL, now, evidence);
		fleet_evaluate(f, p, now, evidence);
	} else if (fleet_lifecycle_allows(p->state, FEV_CAME_BACK)) {
		p->returns++;
		if (p->returns > f->config.max_returns) {
			xasprintf(&why, "came back %u times after the re-point:"
			    " the phone does not apply the device.* settings "
			    "(check the re-point template)", p->returns);
			fleet_transition(f, p, FEV_CAME_BACK, why, now,
			    evidence);
			free(why);
		} else {
			xasprintf(&why, "%u", p->returns);
			fleet_fact(f, p, "returned-after-repoint", why, now,
			    evidence);
			free(why);
		}
	} else
		fleet_commit(f, p, NULL);
	return (p);
}

void
fleet_touch(struct fleet *f, struct phone *p, const char *ip, int64_t now)
{
	if (ip != NULL && strcmp(p->ip, ip) != 0)
		snprintf(p->ip, sizeof p->ip, "%s", ip);
	p->last_seen = now;
	fleet_commit(f, p, NULL);
}

/* The phone's row in the models table: by token, else by part number. */
static const struct model *
fleet_model(const struct fleet *f, const struct phone *p)
{
	return (model_of_phone(f->models, p->model, p->part));
}

static int
fleet_cmp_target(const struct fleet *f, const struct phone *p)
{
	const struct model	*m;
	struct ucs_version	 v;
	char			*cause = NULL;

	if (p->version[0] == '\0')
		return (-2);
	if ((m = fleet_model(f, p)) == NULL ||
	    m->target.nfields == 0)
		return (-2);
	if (ucs_version_parse(p->version, &v, &cause) != 0) {
		free(cause);
		return (-2);
	}
	return (ucs_version_cmp(&v, &m->target));
}

/*
 * The part a phone whose token the table lacks named by asking for
 * <part>.sip.ld: the row of that part (one without a token) gives its
 * target, and the part's evidence is the request.
 */
static void
fleet_learn_part_row(struct fleet *f, struct phone *p, const struct model *m,
    int64_t now, const char *evidence)
{
	char	*ev;

	xasprintf(&ev, "named by the phone: it asked for %s.sip.ld under the "
	    "generic APP_FILE_PATH_%s=\"sip.ld\" (the models table does not "
	    "know model %s; part %s is its row for the %s); %s", p->part,
	    p->model, p->model, p->part, m->name, evidence);
	fleet_fact(f, p, "part", p->part, now, ev);
	free(ev);
}

/*
 * A model token the table does not know, on a phone no row names yet: the
 * token is recorded as the phone's word alone, and the phone is not held.
 * Its master config gives that token the generic APP_FILE_PATH "sip.ld",
 * so it names its own part by asking for <part>.sip.ld; a part whose row
 * has no token (the SoundStructure) then gives it its target.  1 when the
 * token was taken so (the caller goes on with the row, if any).
 */
static int
fleet_model_untrusted(struct fleet *f, struct phone *p, const char *token,
    int64_t now, const char *evidence)
{
	const struct model	*m;
	char			*ev;

	if (strcmp(p->model, token) == 0)
		return (1);
	if (p->model[0] != '\0' ||
	    ((m = fleet_model(f, p)) != NULL && m->token != NULL))
		return (0);
	snprintf(p->model, sizeof p->model, "%s", token);
	xasprintf(&ev, "named by the phone only, not verified: model %s is not "
	    "in the models table, so its master config gives it the generic "
	    "APP_FILE_PATH_%s=\"sip.ld\" and it names its own part; %s", token,
	    token, evidence);
	fleet_fact(f, p, "model", token, now, ev);
	free(ev);
	return (1);
}

void
fleet_learn_model(struct fleet *f, struct phone *p, const char *token,
    const char *part, int64_t now, const char *evidence)
{
	const struct model	*m;
	char			*why, tv[UCS_VERSION_TEXT_MAX];

	m = token != NULL ? model_by_token(f->models, token) :
	    model_by_part(f->models, part);
	if (m == NULL && token != NULL &&
	    fleet_model_untrusted(f, p, token, now, evidence)) {
		if ((m = fleet_model(f, p)) == NULL)
			return;
	}
	/* A part another model's, asked for by a phone its token names. */
	if (m != NULL && token == NULL && m->token != NULL &&
	    p->model[0] != '\0' && model_by_token(f->models, p->model) == NULL)
		m = NULL;
	if (m == NULL) {
		if (p->state == PHONE_HELD)
			return;
		if (token != NULL)
			xasprintf(&why, "model %s is not in the models table: "
			    "nothing is served to it (the table holds the "
			    "models of Polycom's notification, 'ztp-rescue "
			    "models'; --models changes only their targets: "
			    "recover this phone by hand)", token);
		else if (p->model[0] != '\0' && model_by_part(f->models,
		    part) != NULL)
			xasprintf(&why, "it names itself model %s, which "
			    "is not in the models table, but it asked for part "
			    "number %s, which the table gives model %s: the two "
			    "disagree and nothing is served to it (check the "
			    "model and part number on its label)", p->model,
			    part, model_by_part(f->models, part)->token);
		else
			xasprintf(&why, "part number %s is not in the models "
			    "table: nothing is served to it (the table holds "
			    "the part numbers of Polycom's notification, "
			    "'ztp-rescue models'; check the phone's label, and "
			    "recover another model by hand)", part);
		/* A token it named stays its model (and model_source). */
		if (token != NULL || p->model[0] == '\0')
			fleet_fact(f, p, "model", token != NULL ? token : part,
			    now, evidence);
		fleet_transition(f, p, FEV_MODEL_UNKNOWN, why, now, evidence);
		free(why);
		return;
	}
	if (fleet_model(f, p) != m) {
		/* A token the table lacks stays the phone's own word. */
		if (m->token != NULL || p->model[0] == '\0')
			snprintf(p->model, sizeof p->model, "%s",
			    m->token != NULL ? m->token : "");
		snprintf(p->part, sizeof p->part, "%s",
		    m->part != NULL ? m->part : (part != NULL ? part : ""));
		if (p->target[0] == '\0')
			snprintf(p->target, sizeof p->target, "%s",
			    ucs_version_format(&m->target, tv, sizeof tv));
		if (p->model[0] != '\0' && m->token == NULL)
			fleet_learn_part_row(f, p, m, now, evidence);
		else
			fleet_fact(f, p, "model", m->token != NULL ?
			    m->token : m->name, now, evidence);
	}
	fleet_transition(f, p, FEV_MODEL, NULL, now, evidence);
	fleet_evaluate(f, p, now, evidence);
}

const struct model *
fleet_part_unknown(const struct fleet *f, const struct phone *p)
{
	const struct model	*m;

	if (p->model[0] == '\0' ||
	    (m = model_by_token(f->models, p->model)) == NULL ||
	    m->part != NULL)
		return (NULL);
	return (m);
}

void
fleet_learn_part(struct fleet *f, struct phone *p, const char *part,
    int64_t now, const char *evidence)
{
	char	*ev;

	if (strcmp(p->part, part) == 0)
		return;
	snprintf(p->part, sizeof p->part, "%s", part);
	xasprintf(&ev, "named by the phone: it asked for %s.sip.ld under the "
	    "generic APP_FILE_PATH_%s=\"sip.ld\" (the models table has no "
	    "part number for %s); %s", part, p->model, p->model, evidence);
	fleet_fact(f, p, "part", part, now, ev);
	free(ev);
}

void
fleet_set_target(struct fleet *f, struct phone *p, const char *target)
{
	if (strcmp(p->target, target) == 0)
		return;
	snprintf(p->target, sizeof p->target, "%s", target);
	fleet_commit(f, p, NULL);
}

/* 1 when text parses as a version older than v. */
static int
fleet_older_than(const char *text, const struct ucs_version *v)
{
	struct ucs_version	 t;
	char			*cause = NULL;

	if (text[0] == '\0' || ucs_version_parse(text, &t, &cause) != 0) {
		free(cause);
		return (0);
	}
	return (ucs_version_cmp(&t, v) < 0);
}

/*
 * The phone abandoned its image (abandoned: that image's version) but a
 * stronger source (src) says it runs older: it never ran the image.  When
 * learned is not NULL it is the phone's version from now on (the stronger
 * word came last).  What is known of the cause: a BootROM older than 4.x
 * abandons a UC Software 4.x image after its header (docs/phonesim.md,
 * "SIP 2.x to 3.2: the BootROM"; reference section 8: 2.5.x cannot take
 * 4.1.x [high], 4.x needs BootROM 4.x [medium]).  For other versions the
 * cause is not known and the reason says so.
 */
static void
fleet_older_proved(struct fleet *f, struct phone *p, const char *abandoned,
    const char *older, enum version_source src, const char *learned,
    int64_t now, const char *evidence)
{
	struct ucs_version	 a, o;
	char			*cause = NULL, *why, *ev, *was;
	int			 bootrom = 0;

	if (ucs_version_parse(abandoned, &a, &cause) == 0 &&
	    ucs_version_parse(older, &o, &cause) == 0)
		bootrom = o.field[0] < 4 && a.field[0] >= 4;
	free(cause);
	if (p->state == PHONE_TRUSTING || p->state == PHONE_REPOINTED ||
	    p->state == PHONE_RECOVERED || p->state == PHONE_VERIFIED)
		xasprintf(&was, " It was already given the CA and the re-point "
		    "(%s) on that firmware: the re-point is not to be relied "
		    "on.", p->repoint[0] != '\0' ? p->repoint : "ztp");
	else
		was = xstrdup("");
	if (bootrom)
		xasprintf(&why, "abandoned its %s image after the header but "
		    "its application still reports %s (%s): it never ran %s. "
		    "Likely cause: its BootROM cannot load UC Software %lu.x "
		    "(documented for BootROM 2.5.x and 4.1.x; that 4.x needs "
		    "BootROM 4.x is medium confidence). Remedy: update the "
		    "BootROM first: its upgrade plan serves bootrom.ld when it "
		    "next boots (the library needs a BootROM package; "
		    "docs/engine.md, \"Upgrade plans\").%s", abandoned, older,
		    version_source_name(src), abandoned, a.field[0], was);
	else
		xasprintf(&why, "abandoned its %s image after the header but "
		    "its application still reports %s (%s): it never ran %s. "
		    "The cause is not known (the image may not suit this "
		    "phone's boot firmware); check the phone's boot log, then "
		    "retry.%s", abandoned, older, version_source_name(src),
		    abandoned, was);
	xasprintf(&ev, "%s; %s %s overturns the abandonment of %s (the "
	    "weaker evidence)", evidence, version_source_name(src), older,
	    abandoned);
	if (learned != NULL) {
		if (strcmp(p->version_before, p->version) == 0)
			snprintf(p->version_before, sizeof p->version_before,
			    "%s", learned);
		snprintf(p->version, sizeof p->version, "%s", learned);
		p->version_source = src;
		fleet_fact(f, p, "version", learned, now, evidence);
	} else
		fleet_fact(f, p, "abandon-overturned", abandoned, now, ev);
	fleet_transition(f, p, FEV_OLDER_PROVED, why, now, ev);
	free(ev);
	free(why);
	free(was);
}

void
fleet_learn_version(struct fleet *f, struct phone *p,
    const struct ucs_version *v, enum version_source src, int64_t now,
    const char *evidence)
{
	const struct model	*m;
	char			 text[UCS_VERSION_TEXT_MAX], *why;
	char			 older[UCS_VERSION_TEXT_MAX];
	int			 progress;

	ucs_version_format(v, text, sizeof text);
	/*
	 * The application reporting an older version after the phone took
	 * its image whole: the flash did not take.  Fresh evidence only.
	 */
	if (fleet_lifecycle_allows(p->state, FEV_STILL_OLDER) &&
	    (src == VSRC_UA || (src == VSRC_APPLOG &&
	    p->state == PHONE_REBOOTING && p->image_withheld_at != 0)) &&
	    !fleet_flashed_bootrom(p) &&
	    (m = fleet_model(f, p)) != NULL &&
	    ucs_version_cmp(v, &m->target) < 0) {
		progress = fleet_older_than(p->version, v);
		snprintf(older, sizeof older, "%s", p->version);
		snprintf(p->version, sizeof p->version, "%s", text);
		p->version_source = src;
		fleet_fact(f, p, "version", text, now, evidence);
		if (progress) {
			/* An intermediate release of its plan: proved. */
			xasprintf(&why, "%s; runs %s, newer than %s: the step "
			    "is proved", evidence, text, older);
			fleet_transition(f, p, FEV_STEP_PROVED, NULL, now, why);
			free(why);
			fleet_evaluate(f, p, now, evidence);
			return;
		}
		fleet_no_progress(f, p, text, now, evidence);
		return;
	}
	/*
	 * Stronger evidence of an older version than an abandoned image, in
	 * either order: the abandonment proved nothing (a BootROM that cannot
	 * load the image stops after its header too).  The stronger word
	 * stands and the phone fails with the likely cause.
	 */
	if (src > VSRC_ABANDON && p->version_source == VSRC_ABANDON &&
	    fleet_lifecycle_allows(p->state, FEV_OLDER_PROVED) &&
	    (m = fleet_model(f, p)) != NULL &&
	    ucs_version_cmp(v, &m->target) < 0) {
		fleet_older_proved(f, p, p->version, text, src, text, now,
		    evidence);
		return;
	}
	if (src == VSRC_ABANDON && p->version_source > VSRC_ABANDON &&
	    fleet_before_image(p) &&
	    fleet_lifecycle_allows(p->state, FEV_OLDER_PROVED) &&
	    fleet_older_than(p->version, v)) {
		snprintf(older, sizeof older, "%s", p->version);
		fleet_older_proved(f, p, text, older, p->version_source, NULL,
		    now, evidence);
		return;
	}
	/*
	 * It proved its target by its own word and was given the CA and the
	 * re-point; now the same kind of word says an older version.  No
	 * phone goes back by itself: two phones answer as this MAC (a cloned
	 * or mistyped MAC), or it was reset to older firmware.  Either way the
	 * re-point recorded is not to be relied on: failed, saying so.
	 */
	if (src > VSRC_ABANDON && p->version_source > VSRC_ABANDON &&
	    (p->state == PHONE_TRUSTING || p->state == PHONE_REPOINTED ||
	    p->state == PHONE_RECOVERED || p->state == PHONE_VERIFIED) &&
	    (m = fleet_model(f, p)) != NULL &&
	    ucs_version_cmp(v, &m->target) < 0 && p->version[0] != '\0' &&
	    !fleet_older_than(p->version, &m->target)) {
		snprintf(older, sizeof older, "%s", p->version);
		snprintf(p->version, sizeof p->version, "%s", text);
		p->version_source = src;
		fleet_fact(f, p, "version", text, now, evidence);
		xasprintf(&why, "reports %s (%s) after it had proved %s and was "
		    "given the CA and the re-point (%s): no phone goes back by "
		    "itself, so two phones may answer as this MAC (check the "
		    "labels), or it was reset to older firmware; the re-point "
		    "is not to be relied on: retry it once it is the only "
		    "phone with this MAC", text, version_source_name(src),
		    older, p->repoint[0] != '\0' ? p->repoint : "ztp");
		fleet_transition(f, p, FEV_OLDER_PROVED, why, now, evidence);
		free(why);
		return;
	}
	if (strcmp(text, p->version) == 0 && src <= p->version_source)
		return;
	/* The weakest evidence never overrides a stronger source. */
	if (src == VSRC_APPLOG && p->version_source > VSRC_APPLOG)
		return;
	/*
	 * Before any image, the version before is what it runs: the first
	 * word of it, corrected by a stronger one (its application's own,
	 * over an app log: a forged or stale log stood in the report).  A
	 * phone held or failed before it took any image too (held for a
	 * missing BootROM, its version before was "-" in the report).
	 */
	if ((fleet_before_image(p) || ((p->state == PHONE_HELD ||
	    p->state == PHONE_FAILED) && p->flashed[0] == '\0')) &&
	    (p->version_before[0] == '\0' ||
	    (src >= VSRC_OPTION60 && src > p->version_source)))
		snprintf(p->version_before, sizeof p->version_before, "%s",
		    text);
	snprintf(p->version, sizeof p->version, "%s", text);
	p->version_source = src;
	fleet_fact(f, p, "version", text, now, evidence);
	fleet_evaluate(f, p, now, evidence);
}

/* What the known model and version mean for the state. */
static void
fleet_evaluate(struct fleet *f, struct phone *p, int64_t now,
    const char *evidence)
{
	char			*why;
	int			 cmp;

	if (p->state == PHONE_HELD && p->reason != NULL &&
	    strcmp(p->reason, VERSION_UNKNOWN_REASON) == 0 &&
	    p->version[0] != '\0')
		fleet_transition(f, p, FEV_VERSION_KNOWN, NULL, now, evidence);
	if (!fleet_lifecycle_allows(p->state, FEV_RUNS_TARGET))
		return;
	if ((cmp = fleet_cmp_target(f, p)) == -2)
		return;
	if (cmp > 0) {
		xasprintf(&why, "runs %s, newer than its target %s: not "
		    "downgraded", p->version, p->target);
		fleet_transition(f, p, FEV_RUNS_TARGET, why, now, evidence);
		free(why);
	} else if (cmp == 0)
		fleet_transition(f, p, FEV_RUNS_TARGET, NULL, now, evidence);
	else if (fleet_model(f, p) != NULL)
		fleet_transition(f, p, FEV_MODEL, NULL, now, evidence);
}

enum image_verdict
fleet_image_check(const struct fleet *f, const struct phone *p,
    const char **why)
{
	const struct plan_step	*st;
	struct plan		 pl;

	*why = NULL;
	if (p == NULL)
		return (f->config.unknown_version == UNKNOWN_HOLD ?
		    IMAGE_REFUSE_HELD : IMAGE_OFFER);
	if (p->state == PHONE_HELD) {
		*why = p->reason != NULL ? p->reason : "held";
		return (IMAGE_REFUSE_HELD);
	}
	if (fleet_loop_stopped(f, p)) {
		*why = p->reason != NULL ? p->reason : "failed";
		return (IMAGE_REFUSE_HELD);
	}
	if (fleet_cmp_target(f, p) > 0) {
		*why = "the phone runs a newer version than its target: "
		    "never downgraded";
		return (IMAGE_REFUSE_NEWER);
	}
	if ((st = fleet_plan_current(f, p, &pl)) != NULL &&
	    st->kind == PLAN_BOOTROM) {
		*why = "its upgrade plan updates its BootROM first (bootrom.ld,"
		    " asked at its next boot): the application waits";
		return (IMAGE_REFUSE_STEP);
	}
	if (p->version[0] == '\0' &&
	    f->config.unknown_version == UNKNOWN_HOLD) {
		*why = VERSION_UNKNOWN_REASON;
		return (IMAGE_REFUSE_HELD);
	}
	return (IMAGE_OFFER);
}

enum image_verdict
fleet_image_verdict(struct fleet *f, struct phone *p, int64_t now,
    const char **why)
{
	const struct plan_step	*st;
	struct plan		 pl;

	*why = NULL;
	if (p == NULL)
		return (f->config.unknown_version == UNKNOWN_HOLD ?
		    IMAGE_REFUSE_HELD : IMAGE_OFFER);
	if (p->state == PHONE_HELD) {
		*why = p->reason != NULL ? p->reason : "held";
		return (IMAGE_REFUSE_HELD);
	}
	if (fleet_loop_stopped(f, p)) {
		*why = p->reason != NULL ? p->reason : "failed";
		return (IMAGE_REFUSE_HELD);
	}
	if (fleet_cmp_target(f, p) > 0) {
		*why = "the phone runs a newer version than its target: "
		    "never downgraded";
		return (IMAGE_REFUSE_NEWER);
	}
	if ((st = fleet_plan_current(f, p, &pl)) != NULL &&
	    st->kind == PLAN_BOOTROM) {
		*why = "its upgrade plan updates its BootROM first (bootrom.ld,"
		    " asked at its next boot): the application waits";
		return (IMAGE_REFUSE_STEP);
	}
	if (p->state == PHONE_REBOOTING &&
	    p->flashes >= f->config.max_flashes) {
		fleet_loop_fail(f, p, now, "it asked for its image again after "
		    "taking it whole as often as the bound allows");
		*why = p->reason;
		return (IMAGE_REFUSE_HELD);
	}
	if (p->version[0] == '\0' &&
	    f->config.unknown_version == UNKNOWN_HOLD) {
		fleet_transition(f, p, FEV_VERSION_UNKNOWN,
		    VERSION_UNKNOWN_REASON, now,
		    "image requested while the version is unknown");
		*why = VERSION_UNKNOWN_REASON;
		return (IMAGE_REFUSE_HELD);
	}
	return (IMAGE_OFFER);
}

/*
 * Taken whole as often as the bound allows and not back with a word since:
 * its master config withholds the image (one more would pass the bound),
 * and fails nothing.  The master config is asked by its Updater, which
 * cannot say what the application runs; the version its application shows
 * next (User-Agent, app log) decides: the target, or back at the old one
 * (failed by fleet_no_progress).  Before, the master config failed every
 * phone at the bound, so --max-flashes 1 failed healthy phones.
 */
int
fleet_image_withheld(const struct fleet *f, const struct phone *p)
{
	return (p != NULL && p->state == PHONE_REBOOTING &&
	    p->flashes >= f->config.max_flashes);
}

void
fleet_image_started(struct fleet *f, struct phone *p, const char *name,
    uint64_t total, int64_t now, const char *evidence)
{
	fleet_progress(f, p, name, 0, total, 0);
	if (fleet_cmp_target(f, p) != 0)
		fleet_transition(f, p, FEV_IMAGE_STARTED, NULL, now, evidence);
}

void
fleet_image_finished(struct fleet *f, struct phone *p, const char *name,
    const struct ucs_version *image, enum image_outcome outcome,
    uint64_t bytes, uint64_t total, int64_t now, const char *evidence)
{
	char	*why;

	fleet_progress(f, p, name, bytes, total, 0);
	switch (outcome) {
	case IMAGE_COMPLETE:
		p->image_withheld_at = 0;
		/* The loop bound counts the same image taken whole. */
		if (strcmp(p->flashed, name) != 0) {
			snprintf(p->flashed, sizeof p->flashed, "%s", name);
			p->flashes = 0;
		}
		p->flashes++;
		if (p->state != PHONE_REBOOTING) {
			fleet_transition(f, p, FEV_IMAGE_WHOLE, NULL, now,
			    evidence);
			break;
		}
		/*
		 * Whole again without a word in between: its flash does not
		 * hold the image (it would stop after the header).  The image
		 * verdict stops it at the bound; past it (asked without a
		 * master config) it stops here.
		 */
		if (p->flashes > f->config.max_flashes)
			fleet_loop_fail(f, p, now, evidence);
		else
			fleet_fact(f, p, "image-downloaded-again", name, now,
			    evidence);
		break;
	case IMAGE_ABANDONED:
		fleet_learn_version(f, p, image, VSRC_ABANDON, now, evidence);
		break;
	case IMAGE_FAILED_OURS:
	case IMAGE_UNPROVED:
		/*
		 * Nothing is known of the phone: it asks again.  One moved
		 * to upgrading by the start goes back to where it was.
		 */
		if (outcome == IMAGE_FAILED_OURS)
			log_warn("phone %s: %s", p->mac, evidence);
		if (fleet_lifecycle_allows(p->state, FEV_IMAGE_UNPROVED))
			fleet_transition(f, p, FEV_IMAGE_UNPROVED, NULL, now,
			    evidence);
		else
			fleet_fact(f, p, outcome == IMAGE_FAILED_OURS ?
			    "image-not-sent" : "image-unproved", name, now,
			    evidence);
		break;
	case IMAGE_INTERRUPTED:
		if (!fleet_lifecycle_allows(p->state, FEV_IMAGE_CUT))
			break;
		xasprintf(&why, "the image transfer of %s stopped at %" PRIu64
		    " of %" PRIu64 " bytes: the phone went silent (power or "
		    "cable?); it continues when it asks again", name, bytes,
		    total);
		fleet_transition(f, p, FEV_IMAGE_CUT, why, now, evidence);
		free(why);
		break;
	}
}

/*
 * Failed by the loop bound: it stays failed when it boots again, and is
 * offered nothing, until the operator retries it.
 */
static int
fleet_loop_stopped(const struct fleet *f, const struct phone *p)
{
	return (p->state == PHONE_FAILED &&
	    p->flashes >= f->config.max_flashes);
}

/*
 * Who may refuse an image the phone took whole, and what to do: a separate
 * BootROM (SIP 3.2 and older: it asked for bootrom.ld, or runs such a
 * version) can be updated first; from UC Software 3.3 on the phone has an
 * Updater instead, and "update the BootROM" is no step for it.
 */
static const char *
fleet_flash_remedy(const struct fleet *f, const struct phone *p,
    const char *still)
{
	struct ucs_version	 v, sip33;
	struct plan		 plan;
	char			*cause = NULL;
	int			 bootrom = p->has_bootrom;
	size_t			 i;

	if (!bootrom && still != NULL && ucs_version_parse(still, &v,
	    &cause) == 0 && ucs_version_parse("3.3.0", &sip33, &cause) == 0)
		bootrom = ucs_version_cmp_strict(&v, &sip33) < 0;
	free(cause);
	/*
	 * Its plan's BootROM step proved (it runs 4.2.2, 4.0.0 or later
	 * wanted): "update the BootROM first" sent the technician to do what
	 * was done.
	 */
	fleet_plan(f, p, &plan);
	for (i = 0; bootrom && i < plan.n; i++) {
		if (plan.steps[i].kind == PLAN_BOOTROM &&
		    plan.steps[i].status == STEP_DONE)
			return ("or its BootROM (already updated, as its plan "
			    "wants) refuses it; check the part number, then "
			    "retry; if it comes back again, its boot log says "
			    "why");
	}
	if (bootrom)
		return ("or its BootROM refuses it; check the part number, "
		    "update the BootROM first, then retry");
	return ("or the phone does not keep it; check the part number, then "
	    "retry; if it comes back again, its boot log says why");
}

/*
 * Taken whole again and again, never proved: failed with the likely cause
 * and the remedy.
 */
static void
fleet_loop_fail(struct fleet *f, struct phone *p, int64_t now,
    const char *evidence)
{
	char	*why;

	xasprintf(&why, "took %s whole %u time%s and came back without it "
	    "each time (it asked for it again; %s): it reboots in a loop "
	    "without progressing. The image may not match this part (%s), "
	    "%s", p->flashed, p->flashes,
	    p->flashes == 1 ? "" : "s", p->version[0] != '\0' ? p->version :
	    "its version unknown", p->part[0] != '\0' ? p->part : "unknown",
	    fleet_flash_remedy(f, p, p->version[0] != '\0' ? p->version :
	    NULL));
	fleet_transition(f, p, FEV_STILL_OLDER, why, now, evidence);
	free(why);
}

/* The last image taken whole was a BootROM (bootrom.ld, <part>.bootrom.ld). */
static int
fleet_flashed_bootrom(const struct phone *p)
{
	size_t	len = strlen(p->flashed);

	return (len >= 10 && strcmp(p->flashed + len - 10, "bootrom.ld") == 0);
}

/*
 * Back after an image taken whole, at the version it ran before: it is
 * served again until it has come back unchanged max_flashes times, then it
 * fails with the likely cause and the remedy.
 */
static void
fleet_no_progress(struct fleet *f, struct phone *p, const char *still,
    int64_t now, const char *evidence)
{
	char	*why, *ev;

	if (p->flashes < f->config.max_flashes) {
		xasprintf(&ev, "%s; took %s whole and came back at %s (try %u "
		    "of %u): served again", evidence, p->flashed, still,
		    p->flashes, f->config.max_flashes);
		fleet_transition(f, p, FEV_FLASH_AGAIN, NULL, now, ev);
		free(ev);
		return;
	}
	if (fleet_flashed_bootrom(p))
		xasprintf(&why, "flashed %s %u time%s and came back at BootROM "
		    "%s each time: the BootROM image may not match this part "
		    "(%s) or the phone cannot write it; check the part number "
		    "and the BootROM package, then retry", p->flashed,
		    p->flashes, p->flashes == 1 ? "" : "s", still,
		    p->part[0] != '\0' ? p->part : "unknown");
	else
		xasprintf(&why, "flashed %s (%s) %u time%s and came back at %s "
		    "each time: the image may not match this part (%s), %s",
		    p->flashed, p->target, p->flashes, p->flashes == 1 ? "" :
		    "s", still, p->part[0] != '\0' ? p->part : "unknown",
		    fleet_flash_remedy(f, p, still));
	fleet_transition(f, p, FEV_STILL_OLDER, why, now, evidence);
	free(why);
}

/*
 * A phone's plan.  Without a fleet (the report, read from the journal
 * alone) from the compiled-in tables, loaded once: the phone's row has its
 * target, the model gives only its family.
 */
void
fleet_plan(const struct fleet *f, const struct phone *p, struct plan *pl)
{
	static struct model_table	*models;
	static struct plan_table	*plans;
	const struct model		*m;
	struct plan_phone		 ph;
	char				*cause = NULL;

	/* `status` runs a fleet without the models table: the same tables. */
	if (f == NULL || f->models == NULL) {
		if (models == NULL &&
		    (models = model_table_load_default(&cause)) == NULL)
			fatalx("%s", cause);
		m = model_of_phone(models, p->model, p->part);
	} else
		m = fleet_model(f, p);
	if (f == NULL && plans == NULL &&
	    (plans = plan_table_load_default(&cause)) == NULL)
		fatalx("%s", cause);

	memset(&ph, 0, sizeof ph);
	ph.family = m != NULL ? m->family : NULL;
	ph.model = m != NULL ? m->token : NULL;
	if (p->version_before[0] != '\0' &&
	    ucs_version_parse(p->version_before, &ph.start, &cause) != 0)
		memset(&ph.start, 0, sizeof ph.start);
	free(cause);
	cause = NULL;
	if (p->version[0] != '\0' &&
	    ucs_version_parse(p->version, &ph.app, &cause) != 0)
		memset(&ph.app, 0, sizeof ph.app);
	free(cause);
	cause = NULL;
	if (p->bootrom[0] != '\0' &&
	    ucs_version_parse(p->bootrom, &ph.bootrom, &cause) != 0)
		memset(&ph.bootrom, 0, sizeof ph.bootrom);
	free(cause);
	cause = NULL;
	ph.has_bootrom = p->has_bootrom;
	if (p->target[0] != '\0') {
		if (ucs_version_parse(p->target, &ph.target, &cause) != 0)
			memset(&ph.target, 0, sizeof ph.target);
		free(cause);
	} else if (m != NULL)
		ph.target = m->target;
	plan_make(f != NULL ? f->plans : plans, &ph, pl);
}

const struct plan_step *
fleet_plan_current(const struct fleet *f, const struct phone *p,
    struct plan *pl)
{
	fleet_plan(f, p, pl);
	return (pl->current < pl->n ? &pl->steps[pl->current] : NULL);
}

void
fleet_asked_bootrom(struct fleet *f, struct phone *p, int64_t now,
    const char *evidence)
{
	if (!p->has_bootrom) {
		p->has_bootrom = 1;
		fleet_fact(f, p, "boots-through-bootrom", "bootrom.ld", now,
		    evidence);
	}
	/* The BootROM's first request starts a boot, as a master config. */
	if (fleet_lifecycle_allows(p->state, FEV_BOOT) &&
	    !fleet_loop_stopped(f, p)) {
		fleet_transition(f, p, FEV_BOOT, NULL, now, evidence);
		fleet_evaluate(f, p, now, evidence);
	}
}

/*
 * The BootROM's own version: its User-Agent (no Type/) or the abandonment
 * of a BootROM image after its header.  After a BootROM taken whole (or
 * while its image goes out), the step is proved when the plan no longer
 * needs a BootROM; the same BootROM as before is a flash that did not take.
 */
void
fleet_learn_bootrom(struct fleet *f, struct phone *p,
    const struct ucs_version *v, enum version_source src, int64_t now,
    const char *evidence)
{
	const struct plan_step	*st;
	struct plan		 pl;
	char			 text[UCS_VERSION_TEXT_MAX];
	int			 flashing;

	ucs_version_format(v, text, sizeof text);
	p->has_bootrom = 1;
	if (strcmp(text, p->bootrom) != 0 || src > p->bootrom_source) {
		snprintf(p->bootrom, sizeof p->bootrom, "%s", text);
		p->bootrom_source = src;
		fleet_fact(f, p, "bootrom", text, now, evidence);
	}
	flashing = (p->state == PHONE_REBOOTING && fleet_flashed_bootrom(p)) ||
	    (p->state == PHONE_UPGRADING && src == VSRC_ABANDON);
	if (!flashing)
		return;
	st = fleet_plan_current(f, p, &pl);
	if (st == NULL || st->kind != PLAN_BOOTROM)
		fleet_transition(f, p, FEV_STEP_PROVED, NULL, now, evidence);
	else if (p->state == PHONE_REBOOTING && src == VSRC_UA)
		fleet_no_progress(f, p, text, now, evidence);
}

void
fleet_bootrom_finished(struct fleet *f, struct phone *p, const char *name,
    const struct ucs_version *image, enum image_outcome outcome,
    uint64_t bytes, uint64_t total, int64_t now, const char *evidence)
{
	if (outcome != IMAGE_ABANDONED) {
		fleet_image_finished(f, p, name, image, outcome, bytes, total,
		    now, evidence);
		return;
	}
	fleet_progress(f, p, name, bytes, total, 0);
	fleet_learn_bootrom(f, p, image, VSRC_ABANDON, now, evidence);
}

int
fleet_below_target(const struct fleet *f, const struct phone *p)
{
	return (fleet_cmp_target(f, p) == -1);
}

int
fleet_proved_target(struct fleet *f, const struct phone *p)
{
	if (p->state == PHONE_HELD || p->state == PHONE_FAILED)
		return (0);
	if (p->version_source < VSRC_ABANDON)
		return (0);
	return (fleet_cmp_target(f, p) >= 0);
}

void
fleet_phase2_served(struct fleet *f, struct phone *p, int complete,
    int64_t now, const char *evidence)
{
	p->last_seen = now;	/* the quiet period runs from here */
	if (!complete) {
		if (!fleet_lifecycle_allows(p->state, FEV_TRUST_SENT))
			return;
		snprintf(p->ca_sha256, sizeof p->ca_sha256, "%s",
		    f->ca_sha256);
		snprintf(p->repoint, sizeof p->repoint, "%s", f->repoint);
		fleet_transition(f, p, FEV_TRUST_SENT, p->state ==
		    PHONE_CURRENT ? p->reason : NULL, now, evidence);
		return;
	}
	fleet_transition(f, p, FEV_TRUST_DELIVERED, NULL, now, evidence);
}

void
fleet_fail(struct fleet *f, struct phone *p, const char *reason,
    int64_t now, const char *evidence)
{
	fleet_transition(f, p, FEV_FAIL, reason, now, evidence);
}

void
fleet_hold(struct fleet *f, struct phone *p, const char *reason, int64_t now,
    const char *evidence)
{
	fleet_transition(f, p, FEV_HOLD, reason, now, evidence);
}

int
fleet_release(struct fleet *f, struct phone *p, int64_t now, char **cause)
{
	return (fleet_release_for(f, p, now, "released by the operator",
	    cause));
}

int
fleet_release_for(struct fleet *f, struct phone *p, int64_t now,
    const char *evidence, char **cause)
{
	if (!fleet_lifecycle_allows(p->state, FEV_RELEASE)) {
		xasprintf(cause, "phone %s is %s, not held", p->mac,
		    phone_state_name(p->state));
		return (-1);
	}
	if (fleet_transition(f, p, FEV_RELEASE, NULL, now, evidence) != 0) {
		xasprintf(cause, "phone %s stays held: the journal cannot "
		    "record the release", p->mac);
		return (-1);
	}
	return (0);
}

int
fleet_retry(struct fleet *f, struct phone *p, int64_t now, char **cause)
{
	unsigned	returns = p->returns;

	if (!fleet_lifecycle_allows(p->state, FEV_RETRY)) {
		xasprintf(cause, "phone %s is %s: only a failed or held phone "
		    "can be retried", p->mac, phone_state_name(p->state));
		return (-1);
	}
	p->returns = 0;
	if (fleet_transition(f, p, FEV_RETRY, NULL, now,
	    "retried by the operator") != 0) {
		p->returns = returns;
		xasprintf(cause, "phone %s is not retried: the journal cannot "
		    "record it", p->mac);
		return (-1);
	}
	fleet_evaluate(f, p, now, "retried by the operator");
	return (0);
}

/* Journalled, told (report, DHCP hosts, clients), then gone. */
int
fleet_forget(struct fleet *f, struct phone *p, int64_t now)
{
	struct journal_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.ts = now;
	ev.mac = p->mac;
	ev.kind = "note";
	ev.from = phone_state_name(p->state);
	ev.value = "forgotten";
	ev.evidence = "forgotten by the operator";
	if (journal_add_event(f->journal, &ev) != 0 ||
	    journal_delete_phone(f->journal, p->mac) != 0) {
		log_warn("phone %s: not forgotten: the journal cannot record "
		    "it", p->mac);
		return (-1);
	}
	log_info("phone %s: forgotten by the operator (it was %s)", p->mac,
	    phone_state_name(p->state));
	if (f->forgot != NULL)
		f->forgot(f->notify_arg, p);
	TAILQ_REMOVE(&f->phones, p, entry);
	f->nphones--;
	free(p->reason);
	free(p->held_reason);
	free(p);
	return (0);
}

void
fleet_add_bytes(struct fleet *f, struct phone *p, uint64_t bytes)
{
	p->bytes_served += bytes;
	fleet_commit(f, p, NULL);
}

void
fleet_progress(struct fleet *f, struct phone *p, const char *file,
    uint64_t bytes, uint64_t total, double rate)
{
	snprintf(p->progress_file, sizeof p->progress_file, "%s", file);
	p->progress_bytes = bytes;
	p->progress_total = total;
	p->progress_rate = rate;
}

/* The last ZTP check, told to one phone given its CA and target. */
static void
fleet_ztp_apply(struct fleet *f, struct phone *p, int64_t now)
{
	if (f->ztp.ok == -1 ||
	    (p->state != PHONE_RECOVERED && p->state != PHONE_VERIFIED) ||
	    strcmp(p->ca_sha256, f->ztp.ca_sha256) != 0 ||
	    strcmp(p->repoint[0] != '\0' ? p->repoint : "ztp",
	    f->ztp.repoint) != 0)
		return;
	fleet_fact(f, p, "ztp-reachability", f->ztp.sentence, now,
	    "the appliance's ZTP reachability check");
	if (f->ztp.ok)
		fleet_transition(f, p, FEV_ZTP_VERIFIED, NULL, now,
		    f->ztp.sentence);
	else
		fleet_transition(f, p, FEV_ZTP_UNVERIFIED, NULL, now,
		    f->ztp.sentence);
}

void
fleet_ztp_result(struct fleet *f, int ok, const char *ca_sha256,
    const char *repoint, const char *sentence, int64_t now)
{
	struct phone	*p;

	f->ztp.ok = ok ? 1 : 0;
	snprintf(f->ztp.ca_sha256, sizeof f->ztp.ca_sha256, "%s", ca_sha256);
	snprintf(f->ztp.repoint, sizeof f->ztp.repoint, "%s", repoint);
	free(f->ztp.sentence);
	f->ztp.sentence = xstrdup(sentence);
	TAILQ_FOREACH(p, &f->phones, entry)
		fleet_ztp_apply(f, p, now);
}

/*
 * The wall clock was set by delta ms: the phones' times move with it, so
 * that a quiet period counts time that passed, not the setting (a clock
 * set a year ahead made every re-pointed phone "quiet" at once).  The
 * journal keeps the times as they were recorded; a phone's next write
 * stores the moved ones.
 */
void
fleet_clock_moved(struct fleet *f, int64_t delta)
{
	struct phone	*p;

	TAILQ_FOREACH(p, &f->phones, entry) {
		p->last_seen += delta;
		p->state_since += delta;
	}
	f->config.listening_since += delta;
}

void
fleet_set_listening(struct fleet *f, int listening, int64_t now)
{
	if (!listening)
		f->deaf = 1;
	else if (f->deaf) {
		f->deaf = 0;
		f->config.listening_since = now;
		f->relistened = 1;
	}
}

void
fleet_tick(struct fleet *f, int64_t now)
{
	struct phone	*p;
	char		*why;
	int64_t		 from;

	/* A cable out: the phones' silence is not heard, so not counted. */
	if (f->deaf)
		return;
	TAILQ_FOREACH(p, &f->phones, entry) {
		if (!fleet_lifecycle_allows(p->state, FEV_QUIET))
			continue;
		/* Silence is only observed while this daemon listens. */
		from = p->last_seen > f->config.listening_since ?
		    p->last_seen : f->config.listening_since;
		if (now - from < f->config.quiet_ms)
			continue;
		if (from == p->last_seen)
			xasprintf(&why, "no request for %" PRId64 " s after it "
			    "fetched its re-point file (quiet period %" PRId64
			    " s)", (now - from) / 1000,
			    f->config.quiet_ms / 1000);
		else if (f->relistened)
			xasprintf(&why, "no request for %" PRId64 " s since "
			    "the phones' link came back, %" PRId64 " s after "
			    "it fetched its re-point file (quiet period %"
			    PRId64 " s; the time the link was down is not "
			    "counted)", (now - from) / 1000,
			    (now - p->last_seen) / 1000,
			    f->config.quiet_ms / 1000);
		else
			xasprintf(&why, "no request for %" PRId64 " s since "
			    "the daemon started, %" PRId64 " s after it fetched "
			    "its re-point file (quiet period %" PRId64 " s; "
			    "the time the daemon was not running is not "
			    "counted)", (now - from) / 1000,
			    (now - p->last_seen) / 1000,
			    f->config.quiet_ms / 1000);
		if (fleet_transition(f, p, FEV_QUIET, NULL, now, why) == 0)
			fleet_ztp_apply(f, p, now);
		free(why);
	}
}

static json_t *
fleet_str_or_null(const char *s)
{
	return (s != NULL && *s != '\0' ? json_string(s) : json_null());
}

json_t *
fleet_phone_json(const struct fleet *f, const struct phone *p)
{
	const struct plan_step	*st;
	struct plan		 pl;
	json_t			*o, *plan;
	char			 t1[32], t2[32], v[UCS_VERSION_TEXT_MAX];
	size_t			 i;

	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, "
	    "s:o, s:{s:s, s:I, s:I, s:f}, s:s, s:s, s:I, s:o, s:o, s:I}",
	    "mac", p->mac,
	    "ip", fleet_str_or_null(p->ip),
	    "model", fleet_str_or_null(p->model),
	    "part", fleet_str_or_null(p->part),
	    "version_before", fleet_str_or_null(p->version_before),
	    "version", fleet_str_or_null(p->version),
	    "version_source", fleet_str_or_null(
	    version_source_name(p->version_source)),
	    "target", fleet_str_or_null(p->target),
	    "state", phone_state_name(p->state),
	    "reason", fleet_str_or_null(p->reason),
	    "progress",
	    "file", p->progress_file,
	    "bytes", (json_int_t)p->progress_bytes,
	    "total", (json_int_t)p->progress_total,
	    "rate", p->progress_rate,
	    "first_seen", fleet_format_time(p->first_seen, t1, sizeof t1),
	    "last_seen", fleet_format_time(p->last_seen, t2, sizeof t2),
	    "bytes_served", (json_int_t)p->bytes_served,
	    "ca_sha256", fleet_str_or_null(p->ca_sha256),
	    "repoint", fleet_str_or_null(p->repoint),
	    "returns", (json_int_t)p->returns);
	fleet_plan(f, p, &pl);
	plan = json_array();
	for (i = 0; i < pl.n; i++) {
		st = &pl.steps[i];
		json_array_append_new(plan, json_pack("{s:s, s:s, s:s, s:o, "
		    "s:o}", "kind", plan_kind_name(st->kind), "version",
		    ucs_version_format(&st->version, v, sizeof v), "status",
		    plan_status_name(st->status), "confidence", st->rule !=
		    NULL ? json_stringn(&st->rule->confidence, 1) : json_null(),
		    "source", st->rule != NULL ? json_string(st->rule->source) :
		    json_null()));
	}
	json_object_set_new(o, "plan", plan);
	/*
	 * Its BootROM step waits for a boot: a SIP 2.x/3.x BootROM asks for
	 * bootrom.ld only as the phone starts, and nothing here can make a
	 * running phone restart (reference section 8).
	 */
	if (p->reason == NULL && (p->state == PHONE_SEEN ||
	    p->state == PHONE_IDENTIFIED) && pl.current < pl.n &&
	    pl.steps[pl.current].kind == PLAN_BOOTROM)
		json_object_set_new(o, "reason", json_sprintf("needs a power "
		    "cycle: its BootROM must be updated to %s or later first, "
		    "and its BootROM asks for bootrom.ld only as the phone "
		    "starts; unplug the phone (or turn its PoE port off and "
		    "on) to take this step, the application image waits until "
		    "then",
		    ucs_version_format(&pl.steps[pl.current].version, v,
		    sizeof v)));
	json_object_set_new(o, "bootrom", fleet_str_or_null(p->bootrom));
	json_object_set_new(o, "bootrom_source", fleet_str_or_null(
	    version_source_name(p->bootrom_source)));
	json_object_set_new(o, "flashes", json_integer(p->flashes));
	return (o);
}

json_t *
fleet_counts_json(const struct fleet *f)
{
	const struct phone	*p;
	json_int_t		 n[PHONE_NSTATES];
	json_t			*o;
	int			 i;

	memset(n, 0, sizeof n);
	TAILQ_FOREACH(p, &f->phones, entry)
		n[p->state]++;
	o = json_object();
	for (i = 0; i < PHONE_NSTATES; i++)
		json_object_set_new(o, phone_state_names[i], json_integer(n[i]));
	return (o);
}

json_t *
fleet_phones_json(const struct fleet *f)
{
	const struct phone	*p;
	json_t			*a;

	a = json_array();
	TAILQ_FOREACH(p, &f->phones, entry)
		json_array_append_new(a, fleet_phone_json(f, p));
	return (a);
}
