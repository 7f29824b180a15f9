/*
 * The "dhcp" control command: DHCP on, off, or moved to another VLAN.
 *
 * A move is one step from the operator's view.  It makes the 802.1Q
 * interface first (a kernel without 802.1Q refuses there, nothing else
 * changed), then stops DHCP where it runs and starts it on the new
 * interface.  When that start refuses (another DHCP server answers on the
 * VLAN, the guard, dnsmasq), DHCP goes back to where it ran, the 802.1Q
 * interface made for the move is removed, and the answer and the status say
 * "VLAN 20: DHCP refused: WHY; still serving on eth1 (untagged)" until the
 * next "dhcp" command.  The way back skips the 6 s probe for another
 * server: DHCP served there a moment ago, and the sniffer watched that
 * segment for other servers all along.  The appliance's address goes with
 * DHCP: the link it leaves (or the one that refused) loses it, else the
 * kernel would route the phones' TFTP and HTTP replies out of either link.
 * A start that fails (not a move) removes the 802.1Q interface it made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "dhcp.h"
#include "lldp.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"

static void	serve_move_place(const struct dhcp_place *, char *, size_t);
static void	serve_move_answer(struct serve *, json_t *, const char *);
static int	serve_move_back(struct serve *, const char *);
static void	serve_move_unmake(struct dhcp_move *);
static void	serve_move_started(void *, struct dhcp *, const char *);
static int	serve_move_vlan(json_t *, unsigned *, char **);

/* "VLAN 20 (eth1.20)" or "eth1 (untagged)". */
static void
serve_move_place(const struct dhcp_place *p, char *buf, size_t len)
{
	if (p->vlan != 0)
		snprintf(buf, len, "VLAN %u (%s.%u)", p->vlan, p->iface,
		    p->vlan);
	else
		snprintf(buf, len, "%s (untagged)", p->iface);
}

char *
serve_move_sentence(const struct dhcp_move *m)
{
	char	 to[64], from[64], *out;

	if (m->refused == NULL)
		return (NULL);
	if (m->to.vlan != 0)
		snprintf(to, sizeof to, "VLAN %u", m->to.vlan);
	else
		snprintf(to, sizeof to, "%s untagged", m->to.iface);
	serve_move_place(&m->from, from, sizeof from);
	if (!m->was_on)
		xasprintf(&out, "%s: DHCP refused: %s; DHCP is off, as it was",
		    to, m->refused);
	else if (m->going_back)
		xasprintf(&out, "%s: DHCP refused: %s; going back to %s", to,
		    m->refused, from);
	else if (m->back_failed != NULL)
		xasprintf(&out, "%s: DHCP refused: %s; going back to %s failed "
		    "too: %s; DHCP is off", to, m->refused, from,
		    m->back_failed);
	else
		xasprintf(&out, "%s: DHCP refused: %s; still serving on %s",
		    to, m->refused, from);
	return (out);
}

void
serve_move_clear(struct dhcp_move *m)
{
	free(m->refused);
	free(m->back_failed);
	memset(m, 0, sizeof *m);
}

void
serve_move_status(struct serve *s, json_t *status)
{
	struct dhcp_move	*m = &s->dhcp_move;
	char			 name[48], *text;
	json_t			*o;

	if (s->dhcp != NULL && s->dhcp_iface != NULL) {
		if (s->opt.vlan != 0)
			snprintf(name, sizeof name, "%s.%u", s->dhcp_iface,
			    s->opt.vlan);
		else
			snprintf(name, sizeof name, "%s", s->dhcp_iface);
		json_object_set_new(status, "dhcp_iface", json_string(name));
	} else
		json_object_set_new(status, "dhcp_iface", json_null());
	if ((text = serve_move_sentence(m)) == NULL) {
		json_object_set_new(status, "dhcp_move", json_null());
		return;
	}
	o = json_pack("{s:o, s:s, s:s, s:o, s:s}", "vlan", m->to.vlan != 0 ?
	    json_integer(m->to.vlan) : json_null(), "iface", m->to.iface,
	    "refused", m->refused, "back_failed", m->back_failed != NULL ?
	    json_string(m->back_failed) : json_null(), "text", text);
	free(text);
	json_object_set_new(status, "dhcp_move", o);
}

/* The client waiting for this "dhcp" command, if it still is. */
static void
serve_move_answer(struct serve *s, json_t *result, const char *error)
{
	struct control_later	*l = s->dhcp_later;

	s->dhcp_later = NULL;
	if (l != NULL)
		control_answer(l, result, error);
	else
		json_decref(result);
}

/* DHCP does not run on the 802.1Q interface made for it: it goes. */
static void
serve_move_unmake(struct dhcp_move *m)
{
	char	*why = NULL;

	if (m->made[0] != '\0' && vlan_remove(m->made, &why) != 0) {
		log_warn("dhcp: %s", why);
		free(why);
	}
	m->made[0] = '\0';
}

/*
 * The new place refused (cause): remove the 802.1Q interface made for it
 * and start DHCP where it ran.  1 when that start is under way (its end
 * answers), 0 when there is nothing to wait for.
 */
static int
serve_move_back(struct serve *s, const char *cause)
{
	struct dhcp_move	*m = &s->dhcp_move;
	char			 from[64], *why = NULL;

	free(m->refused);
	m->refused = xstrdup(cause);
	serve_move_unmake(m);
	s->opt.vlan = m->from.vlan;
	if (!m->was_on)
		return (0);
	serve_move_place(&m->from, from, sizeof from);
	log_warn("dhcp: %s; going back to %s", cause, from);
	m->going_back = 1;
	if (serve_dhcp_start_async(s, m->from.iface, m->from.address,
	    m->from.force, 1, serve_move_started, &why) != 0) {
		m->going_back = 0;
		m->back_failed = why;
		return (0);
	}
	return (1);
}

/* A start (the move's, or the way back) has ended. */
static void
serve_move_started(void *arg, struct dhcp *d, const char *cause)
{
	struct serve		*s = arg;
	struct dhcp_move	*m = &s->dhcp_move;
	const char		*other;
	char			*text;
	int			 moving = m->to.iface[0] != '\0';

	/*
	 * "auto": another server answering is the answer, not an error; the
	 * phones get their addresses (and must get the boot server) from it.
	 */
	if (cause != NULL && !moving && s->dhcp_later_auto &&
	    (other = dhcp_other_server(d)) != NULL) {
		log_info("dhcp: another DHCP server answers on %s (%s): DHCP "
		    "was asked for only if none does (auto), so the appliance "
		    "does not serve it", s->dhcp_iface != NULL ?
		    s->dhcp_iface : "the interface", other);
		serve_move_answer(s, json_pack("{s:s, s:s}", "state", "off",
		    "other_server", other), NULL);
		dhcp_stop(d);
		s->dhcp = NULL;
		serve_closet_stop(s);
		serve_move_unmake(m);
		return;
	}
	if (cause != NULL) {
		log_warn("dhcp: %s", cause);
		/* The refused link keeps no copy of the way back's address. */
		if (moving && !m->going_back)
			dhcp_leave(d);
		else
			dhcp_stop(d);
		s->dhcp = NULL;
		serve_closet_stop(s);
		if (!moving) {
			serve_move_unmake(m);
			serve_move_answer(s, NULL, cause);
			return;
		}
		if (m->going_back) {
			m->going_back = 0;
			m->back_failed = xstrdup(cause);
		} else if (serve_move_back(s, cause))
			return;		/* the way back answers */
	} else if (!moving || !m->going_back) {
		serve_move_answer(s, json_pack("{s:s}", "state",
		    dhcp_state(d)), NULL);
		return;
	}
	m->going_back = 0;
	text = serve_move_sentence(m);
	log_warn("dhcp: %s", text);
	serve_move_answer(s, NULL, text);
	free(text);
}

/*
 * The "vlan" of a "dhcp" command: absent keeps the daemon's (serve
 * --vlan), 0 or null is untagged, else 1 to 4094.  0 or -1 with *error.
 */
static int
serve_move_vlan(json_t *args, unsigned *vlan, char **error)
{
	json_t		*v = json_object_get(args, "vlan");
	json_int_t	 n;
	char		*text;

	if (v == NULL)
		return (0);
	if (json_is_null(v)) {
		*vlan = 0;
		return (0);
	}
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	if (n < 0 || n > 4094) {
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		xasprintf(error, "\"vlan\" is %s: give a VLAN ID from 1 to "
		    "4094 (0 or null serves untagged)", text != NULL ? text :
		    "not a number");
		free(text);
		return (-1);
	}
	*vlan = (unsigned)n;
	return (0);
}

/*
 * Starting DHCP takes seconds (the probe for another server, dnsmasq's
 * start): the answer comes when it is done, and the loop goes on meanwhile.
 * With a "vlan" other than the one served, DHCP moves to IF.VID (and so do
 * the phones' TFTP, HTTP and syslog, which listen on every address).
 */
int
serve_ctl_dhcp(void *arg, json_t *args, json_t **result, char **error)
{
	struct serve		*s = arg;
	struct dhcp_move	*m = &s->dhcp_move;
	const char		*iface, *address;
	unsigned		 vlan, was = s->opt.vlan;
	char			 vname[32], ibuf[32], *why = NULL;
	int			 force, made;

	if (!json_is_true(json_object_get(args, "enable"))) {
		serve_move_clear(m);
		if (s->dhcp != NULL) {
			serve_closet_stop(s);
			dhcp_stop(s->dhcp);
			s->dhcp = NULL;
		}
		if (s->dhcp_later != NULL) {
			control_answer(s->dhcp_later, NULL, "DHCP was turned "
			    "off before it started");
			s->dhcp_later = NULL;
		}
		*result = json_pack("{s:s}", "state", "off");
		return (0);
	}
	if (s->dhcp_later != NULL) {
		*error = xstrdup("DHCP is still starting (another client "
		    "asked): wait for it, or turn it off");
		return (-1);
	}
	vlan = was;
	if (serve_move_vlan(args, &vlan, error) != 0)
		return (-1);
	iface = json_string_value(json_object_get(args, "iface"));
	address = json_string_value(json_object_get(args, "address"));
	force = json_is_true(json_object_get(args, "force"));
	if (s->dhcp != NULL && vlan == was) {
		*result = json_pack("{s:s}", "state", dhcp_state(s->dhcp));
		return (0);
	}
	if (s->dhcp != NULL) {
		/* A move: where it runs now, unless told otherwise. */
		if (iface == NULL)
			iface = s->dhcp_iface;
		if (address == NULL)
			address = s->dhcp_address;
	}
	if (iface == NULL || address == NULL) {
		*error = xstrdup("\"iface\" and \"address\" are needed to "
		    "start DHCP");
		return (-1);
	}
	if (strlen(iface) >= sizeof m->to.iface ||
	    strlen(address) >= sizeof m->to.address) {
		*error = xstrdup("\"iface\" or \"address\" is too long");
		return (-1);
	}

	/* The note of an earlier failed move goes; this one is tracked. */
	serve_move_clear(m);
	if (vlan != was) {
		m->was_on = s->dhcp != NULL;
		if (m->was_on) {
			snprintf(m->from.iface, sizeof m->from.iface, "%s",
			    s->dhcp_iface);
			snprintf(m->from.address, sizeof m->from.address, "%s",
			    s->dhcp_address);
			m->from.force = s->dhcp_force;
		} else
			snprintf(m->from.iface, sizeof m->from.iface, "%s",
			    iface);
		m->from.vlan = was;
		snprintf(m->to.iface, sizeof m->to.iface, "%s", iface);
		snprintf(m->to.address, sizeof m->to.address, "%s", address);
		m->to.vlan = vlan;
		m->to.force = force;
	}
	if (vlan != 0) {
		if (vlan_ensure(iface, vlan, vname, sizeof vname, &made,
		    &why) != 0) {
			/* Nothing changed: DHCP is as it was. */
			m->refused = why;
			*error = serve_move_sentence(m);
			log_warn("dhcp: %s", *error);
			return (-1);
		}
		if (made)
			snprintf(m->made, sizeof m->made, "%s", vname);
	}
	/* Copies: s->dhcp_iface and _address are replaced by the start. */
	snprintf(ibuf, sizeof ibuf, "%s", iface);
	iface = ibuf;
	address = xstrdup(address);
	if (s->dhcp != NULL) {
		if (vlan != 0)
			log_info("dhcp: moving to VLAN %u (%s.%u)", vlan,
			    iface, vlan);
		else
			log_info("dhcp: moving to %s, untagged", iface);
		serve_closet_stop(s);
		/* Its address moves too: one subnet on two links is a trap. */
		dhcp_leave(s->dhcp);
		s->dhcp = NULL;
	}
	s->opt.vlan = vlan;
	if (serve_dhcp_start_async(s, iface, address, force, 0,
	    serve_move_started, &why) != 0) {
		free((char *)address);
		if (m->to.iface[0] == '\0') {	/* not a move */
			serve_move_unmake(m);
			*error = why;
			return (-1);
		}
		if (serve_move_back(s, why)) {
			free(why);
			s->dhcp_later = control_later(s->control);
			s->dhcp_later_auto = 0;
			return (CONTROL_LATER);
		}
		free(why);
		*error = serve_move_sentence(m);
		log_warn("dhcp: %s", *error);
		return (-1);
	}
	free((char *)address);
	s->dhcp_later = control_later(s->control);
	s->dhcp_later_auto = json_is_true(json_object_get(args, "auto"));
	return (CONTROL_LATER);
}
