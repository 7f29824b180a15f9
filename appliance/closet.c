/*
 * The closet watch: the passive listener on the event loop and the silent
 * phones it finds (see sighting.h).
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "ident.h"
#include "lldp.h"
#include "log.h"
#include "sighting.h"
#include "xmalloc.h"

struct closet_told {
	char	mac[13];
	char	reason[160];
};

struct closet {
	struct sighting_table	 table;
	char			*iface;
	struct sighting_listener *listener;	/* NULL: paused */
	struct event		*read_ev;
	struct event		*tick_ev;
	closet_fn		 fn;
	void			*arg;
	struct closet_told	 told[SIGHTING_MAX];
	size_t			 ntold;

	/* lldpd on the phones' interface, and what it last said. */
	pid_t			 lldp_pid;
	char			*lldp_sock;
	char			*lldp_iface;
	closet_voice_fn		 voice_fn;
	unsigned		 lldp_ticks;
	int			 have_voice;
	struct lldp_voice	 voice;
	char			*voice_text;
	int			 lldp_warned;
	int			 lldp_attached;	/* someone else's lldpd */
};

#define CLOSET_LLDP_DIR		"/run/ztp-rescue"

static void	closet_env_ms(const char *, int64_t *);

/* Tell fn about each phone whose reason is new or changed. */
static void
closet_check(struct closet *c)
{
	struct sighting		*s;
	struct closet_told	*t;
	char			 reason[160], evidence[512];
	int64_t			 now = clock_wall_ms();
	size_t			 i, j;

	for (i = 0; i < c->table.n; i++) {
		s = &c->table.v[i];
		if (!sighting_reason(&c->table, s, now, reason, sizeof reason,
		    evidence, sizeof evidence))
			reason[0] = '\0';
		t = NULL;
		for (j = 0; j < c->ntold; j++) {
			if (strcmp(c->told[j].mac, s->mac) == 0) {
				t = &c->told[j];
				break;
			}
		}
		if (t == NULL) {
			if (reason[0] == '\0' || c->ntold == SIGHTING_MAX)
				continue;
			t = &c->told[c->ntold++];
			snprintf(t->mac, sizeof t->mac, "%s", s->mac);
			t->reason[0] = '\0';
		}
		if (strcmp(t->reason, reason) == 0)
			continue;
		snprintf(t->reason, sizeof t->reason, "%s", reason);
		if (c->fn != NULL)
			c->fn(c->arg, s, reason, evidence);
	}
}

static void
closet_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct closet	*c = arg;

	sighting_listener_drain(c->listener, &c->table, clock_wall_ms());
	closet_check(c);
}

/* Ask lldpd (a quick lldpcli run) what the switch offers. */
static void
closet_lldp_poll(struct closet *c)
{
	struct lldp_voice	 v;
	char			*cause = NULL, *text;
	int			 rc;

	rc = lldp_query(c->lldp_sock, c->lldp_iface, &v, &cause);
	if (rc == -1) {
		if (!c->lldp_warned)
			log_warn("closet: %s", cause);
		c->lldp_warned = 1;
		free(cause);
		return;
	}
	if (rc == 0)
		return;
	text = lldp_describe(&v);
	if (c->voice_text == NULL || strcmp(text, c->voice_text) != 0) {
		free(c->voice_text);
		c->voice_text = text;
		c->voice = v;
		c->have_voice = 1;
		if (c->voice_fn != NULL)
			c->voice_fn(c->arg, text);
	} else
		free(text);
}

static void
closet_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct closet	*c = arg;

	closet_check(c);
	/* Soon after the start (fast start), then every few seconds. */
	if ((c->lldp_pid > 0 || c->lldp_attached) &&
	    (++c->lldp_ticks == 2 || c->lldp_ticks % CLOSET_LLDP_EVERY == 0))
		closet_lldp_poll(c);
}

int
closet_lldp_start(struct closet *c, const char *iface, const char *sock,
    closet_voice_fn fn, char **cause)
{
	c->lldp_iface = xstrdup(iface);
	c->voice_fn = fn;
	if (sock != NULL) {
		c->lldp_sock = xstrdup(sock);
		c->lldp_attached = 1;
		return (0);
	}
	mkdir(CLOSET_LLDP_DIR, 0755);
	xasprintf(&c->lldp_sock, "%s/lldpd-%ld.socket", CLOSET_LLDP_DIR,
	    (long)getpid());
	if ((c->lldp_pid = lldp_spawn(NULL, c->lldp_sock, iface,
	    cause)) == -1)
		return (-1);
	return (0);
}

json_t *
closet_voice_json(struct closet *c)
{
	if (c == NULL || c->listener == NULL || !c->have_voice)
		return (json_null());
	return (json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "vlan",
	    c->voice.vlan >= 0 ? json_integer(c->voice.vlan) : json_null(),
	    "native_vlan", c->voice.native_vlan >= 0 ?
	    json_integer(c->voice.native_vlan) : json_null(), "via",
	    c->voice.via, "switch", c->voice.chassis, "port", c->voice.port,
	    "text", c->voice_text));
}

/*
 * The tests' knobs: how long a leased phone may stay quiet, and how long
 * DISCOVERs may go unanswered by a REQUEST, before it is called silent
 * (a namespace test cannot wait a minute per phone).  Whole seconds.
 */
static void
closet_env_ms(const char *name, int64_t *ms)
{
	const char	*v = getenv(name);
	char		*end;
	long long	 n;

	if (v == NULL || *v == '\0')
		return;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < 1000 || n > 3600000 || n % 1000 != 0) {
		log_warn("closet: %s=%s ignored: give milliseconds, whole "
		    "seconds from 1000 to 3600000", name, v);
		return;
	}
	*ms = n;
}

/* Open the listener on c->iface and start the events. */
static int
closet_listen(struct closet *c, struct event_base *base, char **cause)
{
	struct timeval	 tv = { 1, 0 };

	if ((c->listener = sighting_listen(c->iface, NULL, cause)) == NULL)
		return (-1);
	c->read_ev = event_new(base, sighting_listener_fd(c->listener),
	    EV_READ | EV_PERSIST, closet_read_cb, c);
	c->tick_ev = event_new(base, -1, EV_PERSIST, closet_tick_cb, c);
	event_add(c->read_ev, NULL);
	event_add(c->tick_ev, &tv);
	return (0);
}

struct closet *
closet_start(struct event_base *base, const char *iface,
    const struct in_addr *self, const struct in_addr *netmask,
    int served_vlan, closet_fn fn, void *arg, char **cause)
{
	struct closet	*c;

	c = xcalloc(1, sizeof *c);
	sighting_table_init(&c->table, self, netmask, served_vlan);
	closet_env_ms("ZTP_CLOSET_QUIET_MS", &c->table.quiet_ms);
	closet_env_ms("ZTP_CLOSET_REFUSE_MS", &c->table.refuse_ms);
	c->iface = xstrdup(iface);
	c->fn = fn;
	c->arg = arg;
	if (closet_listen(c, base, cause) != 0) {
		free(c->iface);
		free(c);
		return (NULL);
	}
	return (c);
}

/* Stop the listener and lldpd; what was seen stays. */
void
closet_pause(struct closet *c)
{
	if (c == NULL || c->listener == NULL)
		return;
	event_free(c->read_ev);
	event_free(c->tick_ev);
	c->read_ev = c->tick_ev = NULL;
	sighting_listener_free(c->listener);
	c->listener = NULL;
	if (c->lldp_pid > 0)
		lldp_stop(c->lldp_pid);
	if (c->lldp_sock != NULL && !c->lldp_attached)
		unlink(c->lldp_sock);
	free(c->lldp_sock);
	free(c->lldp_iface);
	free(c->voice_text);
	c->lldp_pid = 0;
	c->lldp_sock = c->lldp_iface = c->voice_text = NULL;
	c->lldp_ticks = 0;
	c->have_voice = c->lldp_warned = c->lldp_attached = 0;
}

int
closet_resume(struct closet *c, struct event_base *base, const char *iface,
    const struct in_addr *self, const struct in_addr *netmask,
    int served_vlan, char **cause)
{
	if (c->listener != NULL)
		return (0);
	if (strcmp(c->iface, iface) != 0) {
		xasprintf(cause, "the closet watch was on %s, not %s",
		    c->iface, iface);
		return (-1);
	}
	sighting_table_rebase(&c->table, self, netmask, served_vlan);
	/*
	 * Told anew: a reason that went with the old address or VLAN is not
	 * the phone asking, and must not be reported as such.
	 */
	c->ntold = 0;
	return (closet_listen(c, base, cause));
}

int
closet_paused(const struct closet *c)
{
	return (c != NULL && c->listener == NULL);
}

void
closet_leased(struct closet *c, const char *mac, const char *ip,
    const uint8_t *option60, size_t len)
{
	struct ident_opt60	 o;
	char			*cause = NULL;
	const char		*model = NULL;

	if (c == NULL)
		return;
	if (option60 != NULL && ident_parse_option60(option60, len, &o,
	    &cause) == 0)
		model = o.token[0] != '\0' ? o.token : o.model;
	free(cause);
	sighting_leased(&c->table, mac, ip, model, clock_wall_ms());
}

json_t *
closet_silent_json(struct closet *c)
{
	const struct sighting	*s;
	struct reset_steps	 rs;
	json_t			*list, *o, *reset;
	char			 reason[160], evidence[512], rule[300];
	int64_t			 now = clock_wall_ms();
	size_t			 i;

	list = json_array();
	if (closet_paused(c))	/* nothing is watched: no verdict */
		return (list);
	for (i = 0; c != NULL && i < c->table.n; i++) {
		s = &c->table.v[i];
		if (!sighting_reason(&c->table, s, now, reason, sizeof reason,
		    evidence, sizeof evidence))
			continue;
		reset_password_rule(s->mac, rule, sizeof rule);
		if (reset_steps_find(s->model, &rs) == 0)
			reset = json_pack("{s:s, s:s, s:s, s:s, s:s}", "family",
			    rs.family, "keys", rs.keys, "confidence",
			    rs.confidence, "source", rs.source, "password",
			    rule);
		else
			reset = json_pack("{s:n, s:n, s:n, s:n, s:s}", "family",
			    "keys", "confidence", "source", "password", rule);
		o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:o}", "mac", s->mac, "address", s->address,
		    "first_seen", (json_int_t)s->first_seen, "last_seen",
		    (json_int_t)s->last_seen, "model", s->model, "firmware",
		    s->firmware, "serial", s->serial, "inventory_source",
		    s->info_source, "reason", reason, "evidence", evidence,
		    "reset", reset);
		json_object_set_new(o, "vlan", s->tag_vlan >= 0 ?
		    json_integer(s->tag_vlan) : s->policy_vlan >= 0 ?
		    json_integer(s->policy_vlan) : json_null());
		json_array_append_new(list, o);
	}
	return (list);
}

void
closet_free(struct closet *c)
{
	if (c == NULL)
		return;
	closet_pause(c);
	free(c->iface);
	free(c);
}
