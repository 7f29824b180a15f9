/*
 * What the closet shows besides the fleet: the DHCP clients the appliance
 * did not answer because they are not Polycom phones, and the phones seen
 * on the wire that do not ask (sighting.h), with the reason and the reset
 * steps.  Kept apart from the fleet's state machine.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dhcp.h"
#include "journal.h"
#include "log.h"
#include "serve.h"
#include "sighting.h"
#include "xmalloc.h"

/*
 * The journal keeps each reason, so that the report lists silent phones:
 * the evidence column holds {address, model, evidence, reset}, each part a
 * column of the report.
 */
static void
serve_closet_note(struct serve *s, const struct sighting *sg,
    const char *reason, const char *evidence)
{
	struct journal_event	 ev;
	struct reset_steps	 rs;
	json_t			*o;
	char			 rule[300], *text, *reset;

	reset_password_rule(sg->mac, rule, sizeof rule);
	if (reset_steps_find(sg->model, &rs) == 0)
		xasprintf(&reset, "%s, hold %s while it boots [%s: %s]; %s",
		    rs.family, rs.keys, rs.confidence, rs.source, rule);
	else
		xasprintf(&reset, "model unknown (see the field guide for the "
		    "keys); %s", rule);
	if (*reason == '\0')
		text = xstrdup("it asks the appliance now");
	else {
		o = json_pack("{s:s, s:s, s:s, s:s}", "address", sg->address,
		    "model", sg->model, "evidence", evidence, "reset", reset);
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
	}
	free(reset);
	memset(&ev, 0, sizeof ev);
	ev.ts = serve_now();
	ev.mac = sg->mac;
	ev.kind = "fact";
	ev.fact = "silent";
	ev.value = *reason != '\0' ? reason : "asks";
	ev.evidence = text;
	journal_add_event(s->journal, &ev);
	free(text);
	serve_report_changed(s);
}

/*
 * A DHCP client that is not a phone, once per run (the DHCP module logs
 * it): the report lists it.
 */
void
serve_closet_ignored(void *arg, const struct dhcp_ignored *ig)
{
	struct serve		*s = arg;
	struct journal_event	 ev;
	json_t			*o;
	char			*text;

	o = json_pack("{s:s, s:s}", "vendor", ig->vendor, "hostname",
	    ig->hostname);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	memset(&ev, 0, sizeof ev);
	ev.ts = serve_now();
	ev.mac = ig->mac;
	ev.kind = "note";
	ev.fact = "ignored";
	ev.value = "not a Polycom phone: no DHCP answer";
	ev.evidence = text;
	journal_add_event(s->journal, &ev);
	free(text);
	serve_report_changed(s);
}

static void
serve_closet_silent(void *arg, const struct sighting *sg, const char *reason,
    const char *evidence)
{
	struct reset_steps	rs;

	serve_closet_note(arg, sg, reason, evidence);
	if (*reason == '\0') {
		log_info("closet: phone %s now asks", sg->mac);
		return;
	}
	if (reset_steps_find(sg->model, &rs) == 0)
		log_warn("closet: phone %s%s%s is on the wire but silent: %s "
		    "(%s); to reset it hold %s while it boots, then type its "
		    "MAC as the password", sg->mac, sg->model[0] != '\0' ?
		    " " : "", sg->model, reason, evidence, rs.keys);
	else
		log_warn("closet: phone %s is on the wire but silent: %s (%s)",
		    sg->mac, reason, evidence);
}

static void
serve_closet_voice(void *arg, const char *text)
{
	log_info("closet: %s", text);
}

void
serve_closet_start(struct serve *s, const char *iface, const char *address)
{
	struct dhcp_net	 net;
	char		*cause = NULL;
	int		 vlan = s->opt.vlan != 0 ? (int)s->opt.vlan : -1;

	if ((s->closet != NULL && !closet_paused(s->closet)) ||
	    dhcp_parse_address(address, &net, &cause) != 0) {
		free(cause);
		return;
	}
	/*
	 * DHCP restarted on the same wire: the phones seen are still there.
	 * On another interface (or if the listener will not reopen) the
	 * watch starts anew.
	 */
	if (s->closet != NULL && closet_resume(s->closet, s->base, iface,
	    &net.addr, &net.netmask, vlan, &cause) != 0) {
		free(cause);
		cause = NULL;
		closet_free(s->closet);
		s->closet = NULL;
	}
	if (s->closet == NULL)
		s->closet = closet_start(s->base, iface, &net.addr,
		    &net.netmask, vlan, serve_closet_silent, s, &cause);
	if (s->closet == NULL) {
		log_warn("closet: %s; phones that do not ask will not be "
		    "seen", cause);
		free(cause);
		return;
	}
	/* The daemon does not run lldpd (it is not root): it asks one. */
	if (s->opt.lldpd_socket != NULL)
		closet_lldp_start(s->closet, iface, s->opt.lldpd_socket,
		    serve_closet_voice, &cause);
}

/* DHCP stops: so does the watch, but what it saw is kept for its restart. */
void
serve_closet_stop(struct serve *s)
{
	closet_pause(s->closet);
}

/*
 * An adapter unplugged and plugged in again is a new interface: the
 * listener, bound to the old one, would hear nothing.  What it saw stays.
 */
void
serve_closet_relisten(void *arg)
{
	struct serve	*s = arg;

	if (s->closet == NULL || s->dhcp_iface == NULL ||
	    s->dhcp_address == NULL)
		return;
	serve_closet_stop(s);
	serve_closet_start(s, s->dhcp_iface, s->dhcp_address);
}

void
serve_closet_free(struct serve *s)
{
	closet_free(s->closet);
	s->closet = NULL;
}

void
serve_closet_lease(void *arg, const struct dhcp_lease *l)
{
	struct serve	*s = arg;

	if (strcmp(l->action, "del") != 0)
		closet_leased(s->closet, l->mac, l->ip, l->option60,
		    l->option60_len);
	serve_dhcp_lease(arg, l);
}

void
serve_closet_status(struct serve *s, json_t *status)
{
	const struct dhcp_ignored	*ig;
	json_t				*list;
	size_t				 i, n = 0;

	list = json_array();
	ig = s->dhcp != NULL ? dhcp_ignored(s->dhcp, &n) : NULL;
	for (i = 0; ig != NULL && i < n; i++) {
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:I, s:I}", "mac", ig[i].mac, "vendor", ig[i].vendor,
		    "hostname", ig[i].hostname, "requests",
		    (json_int_t)ig[i].requests, "first_seen",
		    (json_int_t)ig[i].first_seen * 1000, "last_seen",
		    (json_int_t)ig[i].last_seen * 1000));
	}
	json_object_set_new(status, "ignored", list);
	json_object_set_new(status, "silent", closet_silent_json(s->closet));
	json_object_set_new(status, "vlan", s->opt.vlan != 0 ?
	    json_integer(s->opt.vlan) : json_null());
	json_object_set_new(status, "voice_vlan", closet_voice_json(s->closet));
	serve_move_status(s, status);
}
