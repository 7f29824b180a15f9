/*
 * The engine's transfer table (serve-xfer.c, serve-answer.c) with a
 * hand-built daemon: fleet, journal and models, no sockets.  Requests are
 * resolved through the servers' hooks and transfers end through
 * serve_xfer_event, as the TFTP and HTTP servers drive them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "control.h"
#include "embedded.h"
#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "models.h"
#include "serve.h"
#include "trust.h"
#include "xmalloc.h"

#define MAC	"0004f2000410"
#define IP	"10.0.0.5"
#define PEER	"10.0.0.5:1234"
#define IMAGE	"3111-46162-001.sip.ld"
#define IMGSIZE	1004585

struct ctx {
	char		 dir[64];
	struct serve	 s;
	struct phone	*p;
	int64_t		 now;
};

static struct ctx	*clock_ctx;

static int64_t
test_clock(void)
{
	return (clock_ctx->now);
}

static struct ucs_version
ver(const char *text)
{
	struct ucs_version	 v;
	char			*cause = NULL;

	assert_int_equal(ucs_version_parse(text, &v, &cause), 0);
	return (v);
}

static int
setup(void **state)
{
	struct ctx		*c = xcalloc(1, sizeof *c);
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	struct serve		*s = &c->s;
	char			*cause = NULL;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(c->dir, sizeof c->dir, "/tmp/test-serve-xfer.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->now = 1764000000000LL;
	clock_ctx = c;
	serve_clock = test_clock;
	LIST_INIT(&s->xfers);
	s->journal = journal_open(c->dir, 0, &cause);
	assert_non_null(s->journal);
	s->models = model_table_load_default(&cause);
	assert_non_null(s->models);
	s->fleet = fleet_new(s->journal, s->models, &cfg);
	s->prov.models = s->models;
	s->prov.template = embedded_get("repoint-ztp.xml",
	    &s->prov.template_len);
	s->prov.template_name = "repoint-ztp.xml";
	s->ca = xcalloc(1, sizeof *s->ca);
	s->ca->pem = xstrdup("-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n");
	snprintf(s->ca->sha256, sizeof s->ca->sha256, "%064d", 7);
	fleet_set_trust(s->fleet, s->ca->sha256, "ztp");
	c->p = fleet_seen(s->fleet, MAC, IP, 1, c->now, "test: <mac>.cfg");
	fleet_learn_model(s->fleet, c->p, "VVX410", NULL, c->now,
	    "test: User-Agent");
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;
	char		 cmd[128];

	serve_xfers_free(&c->s);
	fleet_free(c->s.fleet);
	journal_close(c->s.journal);
	model_table_free(c->s.models);
	trust_ca_free(c->s.ca);
	serve_clock = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	return (0);
}

static unsigned
nxfers(struct serve *s)
{
	struct serve_xfer	*x;
	unsigned		 n = 0;

	LIST_FOREACH(x, &s->xfers, entry)
		n++;
	return (n);
}

/* The image answered, as serve-answer.c remembers it (no library here). */
static void
image_answered(struct ctx *c)
{
	struct serve_xfer	*x;

	x = serve_xfer_pending(&c->s, XFER_TFTP, MAC, PEER, IMAGE);
	x->image = 1;
	x->image_version = ver("4.1.7.2345");
	x->total = IMGSIZE;
}

static void
xfer(struct ctx *c, enum xfer_proto proto, const char *name,
    enum xfer_phase phase, enum xfer_end end, enum xfer_by by,
    uint64_t bytes, uint64_t total, const char *reason)
{
	struct xfer_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.proto = proto;
	ev.phase = phase;
	ev.id = 7;
	ev.name = name;
	ev.peer_ip = IP;
	ev.peer_text = PEER;
	ev.bytes = bytes;
	ev.total = total;
	ev.blksize = 512;
	ev.seconds = 1;
	ev.end = end;
	ev.by = by;
	ev.reason = reason;
	c->now += 100;
	serve_xfer_event(&c->s, &ev);
}

/* The journal's outcome of the phone's last transfer. */
static const char *
last_outcome(struct ctx *c, char *buf, size_t len)
{
	json_t	*a, *t;

	a = journal_transfers_json(c->s.journal, MAC);
	assert_true(json_array_size(a) > 0);
	t = json_array_get(a, json_array_size(a) - 1);
	snprintf(buf, len, "%s", json_string_value(json_object_get(t,
	    "outcome")));
	json_decref(a);
	return (buf);
}

/*
 * Defect 1 of issue 14: a VVX 410 whose User-Agent said 4.1.4 asked for
 * its image with blksize and refused the OACK with error 8.  On the old
 * engine it was recorded at 4.1.7 and "current" after 0 bytes.
 */
static void
test_option_refusal_proves_nothing(void **state)
{
	struct ctx		*c = *state;
	struct ucs_version	 v = ver("4.1.4.7430");
	char			 w[32];

	fleet_learn_version(c->s.fleet, c->p, &v, VSRC_UA, c->now,
	    "test: User-Agent Type/Application 4.1.4");
	image_answered(c);
	xfer(c, XFER_TFTP, IMAGE, XFER_STARTED, 0, 0, 0, IMGSIZE, NULL);
	assert_string_equal(phone_state_name(c->p->state), "upgrading");
	xfer(c, XFER_TFTP, IMAGE, XFER_ENDED, XFER_END_OPTION_REFUSED,
	    XFER_BY_PEER, 0, IMGSIZE, "the client sent error 8 (bad option)");
	assert_string_equal(c->p->version, "4.1.4.7430");
	assert_int_equal(c->p->version_source, VSRC_UA);
	/* Defect 3: nothing proved, so it is back where its start found it. */
	assert_string_equal(phone_state_name(c->p->state), "identified");
	assert_false(fleet_proved_target(c->s.fleet, c->p));
	assert_string_equal(last_outcome(c, w, sizeof w), "refused");
	assert_int_equal(nxfers(&c->s), 0);
}

/* Our read failing after 512 bytes is not the phone's abandonment. */
static void
test_local_error_proves_nothing(void **state)
{
	struct ctx	*c = *state;
	char		 w[32];

	image_answered(c);
	xfer(c, XFER_TFTP, IMAGE, XFER_STARTED, 0, 0, 0, IMGSIZE, NULL);
	xfer(c, XFER_TFTP, IMAGE, XFER_ENDED, XFER_END_LOCAL_ERROR,
	    XFER_BY_US, 512, IMGSIZE, "the file could not be read");
	assert_string_equal(c->p->version, "");
	assert_string_equal(phone_state_name(c->p->state), "identified");
	assert_string_equal(last_outcome(c, w, sizeof w), "failed");
}

/* The documented abandonment still proves the version. */
static void
test_abandon_after_header(void **state)
{
	struct ctx	*c = *state;
	char		 w[32];

	image_answered(c);
	xfer(c, XFER_TFTP, IMAGE, XFER_STARTED, 0, 0, 0, IMGSIZE, NULL);
	xfer(c, XFER_TFTP, IMAGE, XFER_ENDED, XFER_END_SILENCE, XFER_BY_PEER,
	    512, IMGSIZE, "no acknowledgement for 3.0 s");
	assert_string_equal(c->p->version, "4.1.7.2345");
	assert_int_equal(c->p->version_source, VSRC_ABANDON);
	assert_string_equal(phone_state_name(c->p->state), "current");
	assert_string_equal(last_outcome(c, w, sizeof w), "abandoned");
}

/* An event of transfer id from peer (the phone's address, another port). */
static void
xfer_from(struct ctx *c, uint64_t id, const char *peer, enum xfer_phase phase,
    enum xfer_end end, uint64_t bytes)
{
	struct xfer_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.proto = XFER_TFTP;
	ev.phase = phase;
	ev.id = id;
	ev.name = IMAGE;
	ev.peer_ip = IP;
	ev.peer_text = peer;
	ev.bytes = bytes;
	ev.total = IMGSIZE;
	ev.blksize = 512;
	ev.seconds = 1;
	ev.end = end;
	ev.by = end != XFER_END_NONE ? XFER_BY_PEER : XFER_BY_NONE;
	c->now += 100;
	serve_xfer_event(&c->s, &ev);
}

/*
 * The phone asked for its image twice (a retry from a new port): the first
 * download stopped at the header, the second completed.  The first one's
 * silence, timed out seconds later, moved the phone from rebooting to
 * current at the image's version, with no reboot seen and no flash counted.
 */
static void
test_late_end_of_superseded_image(void **state)
{
	struct ctx		*c = *state;
	struct serve_xfer	*x;
	json_t			*a;

	image_answered(c);
	xfer_from(c, 7, PEER, XFER_STARTED, XFER_END_NONE, 0);
	xfer_from(c, 7, PEER, XFER_PROGRESS, XFER_END_NONE, 512);
	x = serve_xfer_pending(&c->s, XFER_TFTP, MAC, IP ":1235", IMAGE);
	x->image = 1;
	x->image_version = ver("4.1.7.2345");
	x->total = IMGSIZE;
	xfer_from(c, 8, IP ":1235", XFER_STARTED, XFER_END_NONE, 0);
	xfer_from(c, 8, IP ":1235", XFER_ENDED, XFER_END_COMPLETE, IMGSIZE);
	assert_string_equal(phone_state_name(c->p->state), "rebooting");
	c->now += 3000;
	xfer_from(c, 7, PEER, XFER_ENDED, XFER_END_SILENCE, 512);
	assert_string_equal(phone_state_name(c->p->state), "rebooting");
	assert_string_equal(c->p->version, "");
	/* How that transfer ended is still its row (rows by start time). */
	a = journal_transfers_json(c->s.journal, MAC);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a,
	    0), "outcome")), "abandoned");
	json_decref(a);
	assert_int_equal(nxfers(&c->s), 0);
}

/* A phone that has proved its target, ready for its trust file. */
static void
proved(struct ctx *c)
{
	struct ucs_version	v = ver("4.1.7.2345");

	fleet_learn_version(c->s.fleet, c->p, &v, VSRC_UA, c->now,
	    "test: User-Agent Type/Application 4.1.7");
	assert_string_equal(phone_state_name(c->p->state), "current");
	assert_true(fleet_proved_target(c->s.fleet, c->p));
}

/*
 * Defect 3: a HEAD of the trust file is answered, but no transfer follows:
 * nothing is remembered, the phone does not move to "trusting", and its
 * one outcome is a "head" row in the journal.
 */
static void
test_head_changes_nothing(void **state)
{
	struct ctx			*c = *state;
	struct http_request_info	 rq;
	struct http_content		 hc;
	char				*cause = NULL, w[32];

	proved(c);
	memset(&rq, 0, sizeof rq);
	rq.method = "HEAD";
	rq.name = "ztp-rescue-" MAC ".cfg";
	rq.peer_ip = IP;
	rq.peer_text = PEER;
	memset(&hc, 0, sizeof hc);
	hc.fd = -1;
	assert_int_equal(serve_http_resolve(&c->s, &rq, &hc, &cause), 200);
	hc.release(hc.release_arg);
	assert_int_equal(nxfers(&c->s), 0);
	assert_string_equal(phone_state_name(c->p->state), "current");
	/* Defect 3: its one outcome is its row; no bytes went out. */
	assert_string_equal(last_outcome(c, w, sizeof w), "head");
}

/*
 * Defect 3: the trust file answered over TFTP, then the transfer fails
 * before it starts (no socket): it ends in exactly one outcome, nothing
 * stays pending, and the phone is not "trusting".
 */
static void
test_failed_before_start(void **state)
{
	struct ctx		*c = *state;
	struct tftp_request	 rq;
	struct tftp_content	 tc;
	struct sockaddr_in	 sin;
	char			*cause = NULL, w[32];
	const char		*name = "ztp-rescue-" MAC ".cfg";

	proved(c);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, IP, &sin.sin_addr);
	memset(&rq, 0, sizeof rq);
	rq.name = name;
	rq.peer = (struct sockaddr_storage *)&sin;
	rq.peer_text = PEER;
	memset(&tc, 0, sizeof tc);
	tc.fd = -1;
	assert_int_equal(serve_tftp_resolve(&c->s, &rq, &tc, &cause), 0);
	assert_non_null(strstr(tc.buf, "customCaCert1"));
	tc.release(tc.release_arg);
	assert_string_equal(phone_state_name(c->p->state), "current");
	assert_int_equal(nxfers(&c->s), 1);
	xfer(c, XFER_TFTP, name, XFER_ENDED, XFER_END_LOCAL_ERROR, XFER_BY_US,
	    0, 0, "cannot create a socket");
	assert_int_equal(nxfers(&c->s), 0);
	assert_string_equal(phone_state_name(c->p->state), "current");
	assert_string_equal(last_outcome(c, w, sizeof w), "failed");

	/* Asked again and started: now it is trusting, then re-pointed. */
	assert_int_equal(serve_tftp_resolve(&c->s, &rq, &tc, &cause), 0);
	xfer(c, XFER_TFTP, name, XFER_STARTED, 0, 0, 0, tc.size, NULL);
	assert_string_equal(phone_state_name(c->p->state), "trusting");
	xfer(c, XFER_TFTP, name, XFER_ENDED, XFER_END_COMPLETE, XFER_BY_PEER,
	    tc.size, tc.size, NULL);
	tc.release(tc.release_arg);
	assert_string_equal(phone_state_name(c->p->state), "repointed");
	assert_string_equal(last_outcome(c, w, sizeof w), "completed");
	assert_int_equal(nxfers(&c->s), 0);
}

/* A control subscriber on the engine's own loop: what clients are told. */
struct watcher {
	struct event_base	*base;
	int			 fd;
	char			 buf[65536];
	size_t			 len;
};

static void
watch_pump(struct ctx *c, struct watcher *w)
{
	ssize_t	n;
	int	i;

	for (i = 0; i < 20; i++) {
		event_base_loop(w->base, EVLOOP_NONBLOCK);
		while ((n = recv(w->fd, w->buf + w->len, sizeof w->buf - 1 -
		    w->len, MSG_DONTWAIT)) > 0)
			w->len += n;
		usleep(2000);
	}
	w->buf[w->len] = '\0';
}

static void
watch_start(struct ctx *c, struct watcher *w)
{
	struct sockaddr_un	 sun;
	const char		*sub = "{\"v\":1,\"id\":1,\"cmd\":\"subscribe\"}\n";
	char			*cause = NULL;

	memset(w, 0, sizeof *w);
	w->base = event_base_new();
	c->s.base = w->base;
	c->s.control = control_server_start(w->base, c->dir, &cause);
	assert_non_null(c->s.control);
	w->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s", c->dir,
	    CONTROL_SOCKET_NAME);
	assert_int_equal(connect(w->fd, (struct sockaddr *)&sun, sizeof sun),
	    0);
	assert_int_equal(write(w->fd, sub, strlen(sub)), (ssize_t)strlen(sub));
	watch_pump(c, w);
	w->len = 0;
}

static void
watch_stop(struct ctx *c, struct watcher *w)
{
	close(w->fd);
	control_server_free(c->s.control);
	c->s.control = NULL;
	event_base_free(w->base);
}

/*
 * Defect 4: an image closed part way (14 of 24 MB) is "interrupted" in the
 * journal and to the clients.  The old engine broadcast the server's word,
 * "abandoned", before it classified the ending.
 */
static void
test_clients_hear_the_journal_word(void **state)
{
	struct ctx		*c = *state;
	struct watcher		 w;
	struct serve_xfer	*x;
	char			 word[32];

	watch_start(c, &w);
	x = serve_xfer_pending(&c->s, XFER_HTTP, MAC, PEER, IMAGE);
	x->image = 1;
	x->image_version = ver("4.1.7.2345");
	x->total = 24000000;
	xfer(c, XFER_HTTP, IMAGE, XFER_STARTED, 0, 0, 0, 24000000, NULL);
	xfer(c, XFER_HTTP, IMAGE, XFER_ENDED, XFER_END_CLOSED, XFER_BY_PEER,
	    14000000, 24000000, "the client closed the connection");
	watch_pump(c, &w);
	assert_string_equal(last_outcome(c, word, sizeof word), "interrupted");
	assert_non_null(strstr(w.buf, "\"state\":\"interrupted\""));
	assert_null(strstr(w.buf, "\"state\":\"abandoned\""));
	assert_string_equal(phone_state_name(c->p->state), "failed");
	watch_stop(c, &w);
}

/*
 * Defect 6: forgetting a phone is journalled, told to the clients and to
 * the report.  The old fleet told no one.
 */
static void
test_forget_is_told(void **state)
{
	struct ctx	*c = *state;
	struct watcher	 w;
	json_t		*evs, *e;
	size_t		 i;
	int		 noted = 0;

	fleet_set_notify(c->s.fleet, serve_phone_changed, &c->s);
	fleet_set_forgot(c->s.fleet, serve_phone_forgotten);
	c->s.report_pid = -1;
	c->s.opt.report_dir = c->dir;	/* the report is kept: it changes */
	watch_start(c, &w);
	c->s.report_dirty = 0;
	assert_int_equal(fleet_forget(c->s.fleet, c->p, c->now), 0);
	c->p = NULL;
	watch_pump(c, &w);
	assert_null(fleet_find(c->s.fleet, MAC));
	assert_non_null(strstr(w.buf, "\"event\":\"forgotten\""));
	assert_non_null(strstr(w.buf, MAC));
	assert_true(c->s.report_dirty);
	evs = journal_events_json(c->s.journal, MAC);
	json_array_foreach(evs, i, e) {
		if (json_is_string(json_object_get(e, "value")) &&
		    strcmp(json_string_value(json_object_get(e, "value")),
		    "forgotten") == 0)
			noted = 1;
	}
	json_decref(evs);
	assert_true(noted);
	watch_stop(c, &w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_option_refusal_proves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_error_proves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandon_after_header,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_late_end_of_superseded_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_changes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_before_start,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_clients_hear_the_journal_word, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_is_told, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
