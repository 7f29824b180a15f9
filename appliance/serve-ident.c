/*
 * Which phone asks, and what its requests say: the MAC in a name or the
 * User-Agent, else the address that last asked for that phone's <mac>.cfg;
 * the model and version a User-Agent, an option 60 or an uploaded app log
 * names; the MAC a syslog line carries.
 *
 * A MAC in a name or a User-Agent is a claim anyone on the segment can make.
 * When the appliance's own DHCP has leased that MAC an address, the claim is
 * believed only from that address; from any other it is refused (logged,
 * and the request is the asking address's, as if it named no MAC).  A claim
 * no lease of ours can bind (another DHCP server, a static address) is
 * believed, and its evidence says so: "MAC claim unbound".  Option 60
 * arrives in a DHCP packet keyed on its chaddr, which any host can set: its
 * evidence always says it is unbound, and its version never overrides the
 * one the phone's own User-Agent gave from its leased address.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dhcp.h"
#include "fleet.h"
#include "ident.h"
#include "journal.h"
#include "log.h"
#include "mac.h"
#include "provision.h"
#include "serve.h"
#include "upload.h"
#include "xmalloc.h"

static void	serve_app_log(struct serve *, struct phone *, const char *,
		    const char *);

enum claim_binding {
	CLAIM_BOUND,		/* asked from the address leased to the MAC */
	CLAIM_UNBOUND,		/* no lease of ours names the MAC */
	CLAIM_REFUSED,		/* the MAC is leased another address */
	CLAIM_OVER_LIMIT	/* a new MAC, unbound, the fleet at its limit */
};

/* The address itself: an IPv4-mapped IPv6 peer as its IPv4 form. */
static const char *
serve_plain_ip(const char *ip)
{
	if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, ':') == NULL)
		return (ip + 7);
	return (ip);
}

/* Whether a request from ip may speak for mac (see the top of the file). */
static enum claim_binding
serve_claim(struct serve *s, const char *mac, const char *ip,
    const char **leased)
{
	struct phone	*p;

	*leased = NULL;
	if ((p = fleet_find(s->fleet, mac)) == NULL && s->opt.phone_limit != 0 &&
	    s->fleet->nphones >= s->opt.phone_limit)
		return (CLAIM_OVER_LIMIT);
	if (p == NULL || p->lease_ip[0] == '\0')
		return (CLAIM_UNBOUND);
	*leased = p->lease_ip;
	if (strcmp(serve_plain_ip(p->lease_ip), serve_plain_ip(ip)) == 0)
		return (CLAIM_BOUND);
	return (CLAIM_REFUSED);
}

/*
 * A claim for a new MAC dropped at --phone-limit: counted, and said at most
 * once a minute (a host forging a MAC per request would flood the log).
 */
static void
serve_claim_over_limit(struct serve *s, const char *what, const char *ip)
{
	int64_t	now = clock_mono_ms();

	s->claims_over_limit++;
	if (s->claims_over_limit_told != 0 &&
	    now - s->claims_over_limit_told < 60000)
		return;
	s->claims_over_limit_told = now;
	log_warn("%s from %s names a new phone, but the fleet already holds %u "
	    "phones (--phone-limit) and no DHCP lease of ours binds this "
	    "one: not believed "
	    "(%llu such claims so far).  A host forging MACs is the likely "
	    "cause; serve DHCP from the appliance so phones' claims are bound, "
	    "or raise --phone-limit for a closet this large", what, ip,
	    s->fleet->nphones, (unsigned long long)s->claims_over_limit);
}

/* evidence + " (" what ")" */
static void
serve_evidence_add(char **evidence, const char *what)
{
	char	*next;

	xasprintf(&next, "%s (%s)", *evidence, what);
	free(*evidence);
	*evidence = next;
}

/*
 * A User-Agent that says it is no phone: every phone's HTTP request says
 * "FileTransport Polycom...".  None at all is no word either way.
 */
static int
serve_ua_not_a_phone(const char *ua)
{
	return (ua != NULL && *ua != '\0' && strcasestr(ua, "polycom") == NULL);
}

/*
 * Which phone asks: the MAC in the name or the User-Agent, else the phone
 * that last asked from this address.  Learns what the User-Agent says.
 */
struct phone *
serve_identify(struct serve *s, const char *proto, const struct ident_name *in,
    const char *ip, const char *ua_text, const char *name, int head,
    int64_t now, char **evidence)
{
	struct ident_ua	 ua;
	struct phone	*p = NULL;
	char		 mac[IDENT_MAC_LEN + 1], *ua_esc = NULL, *name_esc;
	char		*why = NULL, vtext[UCS_VERSION_TEXT_MAX], *note;
	const char	*leased;
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

	/*
	 * A client that says it is no phone (a technician's curl or browser
	 * looking at a phone's file, or on a phone's address behind NAT) is
	 * served, but is no phone's request.  Naming a phone's MAC it moved
	 * that phone on: its trust file "delivered" to curl.  (No User-Agent
	 * at all is not taken as a word either way.)
	 */
	if (serve_ua_not_a_phone(ua_text)) {
		serve_evidence_add(evidence, "not a Polycom phone's "
		    "User-Agent: no phone's request");
		free(ua_esc);
		free(name_esc);
		return (NULL);
	}
	mac[0] = '\0';
	if (in->mac[0] != '\0')
		snprintf(mac, sizeof mac, "%s", in->mac);
	else if (!provision_is_phone_file(in->base, mac) && have_ua &&
	    ua.mac[0] != '\0')
		snprintf(mac, sizeof mac, "%s", ua.mac);
	if (mac[0] != '\0') {
		switch (serve_claim(s, mac, ip, &leased)) {
		case CLAIM_BOUND:
			break;
		case CLAIM_UNBOUND:
			xasprintf(&note, "MAC claim unbound: no DHCP lease of "
			    "ours names %s", mac);
			serve_evidence_add(evidence, note);
			free(note);
			break;
		case CLAIM_OVER_LIMIT:
			serve_claim_over_limit(s, name_esc, ip);
			serve_evidence_add(evidence, "a new phone over "
			    "--phone-limit: not believed");
			mac[0] = '\0';
			break;
		case CLAIM_REFUSED:
			log_warn("%s from %s claims to be phone %s, which our "
			    "DHCP leased %s: not believed", name_esc, ip, mac,
			    leased);
			xasprintf(&note, "claims to be %s, which our DHCP "
			    "leased %s: not believed", mac, leased);
			serve_evidence_add(evidence, note);
			free(note);
			mac[0] = '\0';
			break;
		}
	}
	/* A HEAD fetches nothing: no boot of the phone. */
	master = in->kind == IDENT_FILE_MASTER_MAC && !head;
	if (mac[0] != '\0') {
		p = fleet_seen(s->fleet, mac, ip, master, now, *evidence);
		if (p->first_seen == now && p->state == PHONE_SEEN)
			serve_claim_bootrom(s, p, ip, now);
	} else if ((p = fleet_by_ip(s->fleet, ip)) != NULL) {
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
	/*
	 * The version its application says before the model: learning the
	 * model first judged the phone on a weaker word (an app log naming
	 * the target made it current), and the User-Agent's older version
	 * then moved nothing.
	 */
	if (p != NULL && have_ua && ua.type == UA_TYPE_APPLICATION &&
	    ua.version.nfields > 0) {
		ucs_version_format(&ua.version, vtext, sizeof vtext);
		fleet_learn_version(s->fleet, p, &ua.version, VSRC_UA, now,
		    *evidence);
	}
	if (p != NULL && have_ua && ua.token[0] != '\0')
		fleet_learn_model(s->fleet, p, ua.token, NULL, now, *evidence);
	/* No Type/: a SIP 2.x/3.x BootROM, and the version is its own. */
	if (p != NULL && have_ua && ua.type == UA_TYPE_NONE &&
	    ua.version.nfields > 0)
		fleet_learn_bootrom(s->fleet, p, &ua.version, VSRC_UA, now,
		    *evidence);
	free(ua_esc);
	free(name_esc);
	return (p);
}

/*
 * An uploaded app log names the application that ran last ("Version: X",
 * its last such line): the weakest evidence of the version, and the only one
 * a TFTP phone gives before it takes an image.  Once the phone has taken an
 * image whole, the log it uploads at the next boot is out of date; but once
 * its master config withheld the image (taken whole as often as the bound
 * allows), a log uploaded after that is of the application its flash left
 * it: over TFTP the only word of whether the flash took.
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

	switch (p->state) {
	case PHONE_REBOOTING:
		if (p->image_withheld_at == 0)
			return;
		break;
	case PHONE_CURRENT:
	case PHONE_TRUSTING:
	case PHONE_REPOINTED:
	case PHONE_RECOVERED:
	case PHONE_VERIFIED:
		return;
	default:
		break;
	}
	if (p->version_source > VSRC_APPLOG && p->state != PHONE_REBOOTING)
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
	/*
	 * Its plan now starts with a BootROM the library lacks: held with
	 * what to import.  It was told to power-cycle for nothing, and held
	 * only at the next boot.
	 */
	if (p->state == PHONE_SEEN || p->state == PHONE_IDENTIFIED)
		serve_bootrom_missing(s, p, serve_now(), ev);
	free(ev);
}

/*
 * An upload stored (or refused) in the quarantine: the phone it names, or
 * that asked from its address, was seen; an app log may name its version.
 */
void
serve_upload_event(struct serve *s, const struct xfer_event *ev)
{
	struct phone		*p;
	struct ident_name	 in;
	char			*evidence, *esc, *note;
	const char		*leased;
	const char		*how = ev->proto == XFER_TFTP ? "tftp upload" :
				    "PUT";
	uint64_t		 fact, seq = 0, was = 0;

	if (ev->phase != XFER_UPLOAD_STORED &&
	    (ev->phase != XFER_UPLOAD_REFUSED || ev->proto == XFER_TFTP))
		return;
	/*
	 * The facts learnt here name the stored file (their evidence): none
	 * is fsynced before the file is.  It was just committed, the last the
	 * store has; the need is taken back when no fact came of it.
	 */
	fact = journal_last_fact(s->journal);
	if (ev->phase == XFER_UPLOAD_STORED && s->uploads != NULL &&
	    (seq = upload_store_linked(s->uploads)) != 0)
		was = journal_presync_need(s->journal, seq);
	ident_classify_name(ev->name, &in);
	esc = log_escape(ev->name, strlen(ev->name));
	if (ev->phase == XFER_UPLOAD_STORED)
		xasprintf(&evidence, "%s %s from %s stored as %s", how, esc,
		    ev->peer_text, ev->stored_path);
	else
		xasprintf(&evidence, "%s %s from %s refused: %s", how, esc,
		    ev->peer_text, ev->reason);
	/*
	 * A PUT from a client that says it is no phone (curl -T): kept in
	 * the quarantine, but no phone's word.  Its "Version:" line became
	 * the phone's version before, and stood in the report.
	 */
	if (serve_ua_not_a_phone(ev->user_agent)) {
		serve_evidence_add(&evidence, "not a Polycom phone's "
		    "User-Agent: no phone's upload");
		in.mac[0] = '\0';
		log_info("%s", evidence);
		if (seq != 0 && journal_last_fact(s->journal) == fact)
			journal_presync_restore(s->journal, seq, was);
		free(evidence);
		free(esc);
		return;
	}
	if (in.mac[0] != '\0') {
		switch (serve_claim(s, in.mac, ev->peer_ip, &leased)) {
		case CLAIM_BOUND:
			break;
		case CLAIM_UNBOUND:
			xasprintf(&note, "MAC claim unbound: no DHCP lease of "
			    "ours names %s", in.mac);
			serve_evidence_add(&evidence, note);
			free(note);
			break;
		case CLAIM_OVER_LIMIT:
			serve_claim_over_limit(s, esc, ev->peer_ip);
			serve_evidence_add(&evidence, "a new phone over "
			    "--phone-limit: not believed");
			in.mac[0] = '\0';
			break;
		case CLAIM_REFUSED:
			log_warn("%s from %s names phone %s, which our DHCP "
			    "leased %s: not believed", esc, ev->peer_ip, in.mac,
			    leased);
			xasprintf(&note, "names %s, which our DHCP leased %s: "
			    "not believed", in.mac, leased);
			serve_evidence_add(&evidence, note);
			free(note);
			in.mac[0] = '\0';
			break;
		}
	}
	p = in.mac[0] != '\0' ? fleet_find(s->fleet, in.mac) :
	    fleet_by_ip(s->fleet, ev->peer_ip);
	/*
	 * A refused upload proves only that someone sent a name: it adds no
	 * phone (a flood of refused uploads under new MACs would otherwise
	 * grow the fleet without bound).  Its journal row keeps the refusal.
	 */
	if (p == NULL && in.mac[0] != '\0' &&
	    ev->phase == XFER_UPLOAD_STORED)
		p = fleet_seen(s->fleet, in.mac, ev->peer_ip, 0, serve_now(),
		    evidence);
	else if (p != NULL)
		fleet_touch(s->fleet, p, ev->peer_ip, serve_now());
	log_info("%s", evidence);
	if (p != NULL && in.kind == IDENT_FILE_APP_LOG &&
	    ev->phase == XFER_UPLOAD_STORED)
		serve_app_log(s, p, ev->stored_path, evidence);
	if (seq != 0 && journal_last_fact(s->journal) == fact)
		journal_presync_restore(s->journal, seq, was);
	free(evidence);
	free(esc);
}

/* Whether a syslog line from ip may be the phone's own. */
static int
serve_syslog_from(const struct phone *p, const char *ip)
{
	const char	*from = serve_plain_ip(ip);

	if (p->ip[0] == '\0' && p->lease_ip[0] == '\0')
		return (1);
	return (strcmp(serve_plain_ip(p->ip), from) == 0 ||
	    strcmp(serve_plain_ip(p->lease_ip), from) == 0);
}

void
serve_syslog_line(void *arg, const char *ip, const char *line, size_t len)
{
	struct serve	*s = arg;
	struct phone	*p;
	char		 mac[IDENT_MAC_LEN + 1], *esc, word[32];
	size_t		 i, n;
	int		 named;

	/*
	 * device.syslog.prependMac puts the MAC in the message, after the
	 * syslog header: the first word of 12 hex digits that names a known
	 * phone wins, if the line comes from that phone's address (or it has
	 * none yet); a line naming a known phone from another address is no
	 * phone's (any host can name any MAC: a flood naming a phone from
	 * elsewhere pushed its own lines out; and two phones that swapped
	 * addresses must not take each other's); a line naming none is the
	 * sender's address's.
	 */
	p = NULL;
	named = 0;
	for (i = 0; i < len && p == NULL && !named; i++) {
		if (i > 0 && line[i - 1] != ' ' && line[i - 1] != ':' &&
		    line[i - 1] != '>' && line[i - 1] != '[')
			continue;
		for (n = 0; i + n < len && n < sizeof word - 1 &&
		    line[i + n] != ' ' && line[i + n] != ':' &&
		    line[i + n] != ']'; n++)
			word[n] = line[i + n];
		word[n] = '\0';
		if (n == IDENT_MAC_LEN && mac_parse(word, mac) == 0 &&
		    (p = fleet_find(s->fleet, mac)) != NULL &&
		    !serve_syslog_from(p, ip)) {
			/* Named, not from it: no phone's, never another's. */
			p = NULL;
			named = 1;
		}
	}
	if (p == NULL && !named)
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

	if (strcmp(l->action, "del") == 0) {
		/* No longer leased: its claims are no longer bound. */
		if ((p = fleet_find(s->fleet, l->mac)) != NULL &&
		    strcmp(p->lease_ip, l->ip) == 0)
			p->lease_ip[0] = '\0';
		return;
	}
	xasprintf(&evidence, "DHCP lease %s %s for %s", l->action, l->ip,
	    l->mac);
	p = fleet_seen(s->fleet, l->mac, l->ip, 0, now, evidence);
	if (p != NULL)
		snprintf(p->lease_ip, sizeof p->lease_ip, "%s", l->ip);
	if (l->option60 != NULL && ident_parse_option60(l->option60,
	    l->option60_len, &o60, &cause) == 0) {
		free(evidence);
		xasprintf(&evidence, "DHCP option 60 from %s (model %s%s%s) "
		    "(unbound: a DHCP packet can name any MAC)", l->mac,
		    o60.token, o60.app_version.nfields > 0 ?
		    ", application version known" : "", o60.binary ?
		    ", RFC 3925 form" : "");
		if (o60.token[0] != '\0')
			fleet_learn_model(s->fleet, p, o60.token, NULL, now,
			    evidence);
		else if (o60.part[0] != '\0')
			fleet_learn_model(s->fleet, p, NULL, o60.part, now,
			    evidence);
		/*
		 * The version the phone's own User-Agent gave from its leased
		 * address outranks a claim any host can put in a packet with
		 * its chaddr: that one is logged, not learnt.
		 */
		if (o60.app_version.nfields > 0 && p != NULL &&
		    p->version_source == VSRC_UA && p->lease_ip[0] != '\0' &&
		    strcmp(serve_plain_ip(p->ip), serve_plain_ip(
		    p->lease_ip)) == 0)
			log_info("%s: not believed, the phone's own User-Agent "
			    "from %s says %s", evidence, p->ip, p->version);
		else if (o60.app_version.nfields > 0)
			fleet_learn_version(s->fleet, p, &o60.app_version,
			    VSRC_OPTION60, now, evidence);
	}
	free(cause);
	free(evidence);
}
