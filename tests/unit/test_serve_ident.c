/*
 * Which phone a request speaks for (serve-ident.c), with a hand-built
 * daemon: fleet, journal and models, no sockets.  These are the claims a
 * host on the segment can forge: what they may add to the fleet.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fleet.h"
#include "ident.h"
#include "journal.h"
#include "log.h"
#include "models.h"
#include "serve.h"
#include "xfer.h"
#include "xmalloc.h"

struct ctx {
	char		 dir[64];
	struct serve	 s;
	int64_t		 now;
};

static int64_t	test_now;

static int64_t
test_clock(void)
{
	return (test_now);
}

static int
setup(void **state)
{
	struct ctx		*c = xcalloc(1, sizeof *c);
	struct fleet_config	 cfg = { UNKNOWN_UPGRADE, 5000, 3, 3, 0 };
	char			*cause = NULL;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(c->dir, sizeof c->dir, "/tmp/test-serve-ident.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	test_now = 1764000000000LL;
	serve_clock = test_clock;
	LIST_INIT(&c->s.xfers);
	c->s.journal = journal_open(c->dir, 0, &cause);
	assert_non_null(c->s.journal);
	c->s.models = model_table_load_default(&cause);
	assert_non_null(c->s.models);
	c->s.fleet = fleet_new(c->s.journal, c->s.models, &cfg);
	c->s.opt.phone_limit = SERVE_PHONE_LIMIT;
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx	*c = *state;
	char		 cmd[128];

	fleet_free(c->s.fleet);
	journal_close(c->s.journal);
	model_table_free(c->s.models);
	serve_clock = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	return (0);
}

/* An HTTP PUT of NAME from IP, stored or refused. */
static void
upload(struct ctx *c, const char *name, const char *ip,
    enum xfer_phase phase)
{
	struct xfer_event	ev;
	char			peer[80];

	snprintf(peer, sizeof peer, "%s:4000", ip);
	memset(&ev, 0, sizeof ev);
	ev.proto = XFER_HTTP;
	ev.phase = phase;
	ev.id = 9;
	ev.upload = 1;
	ev.name = name;
	ev.peer_ip = ip;
	ev.peer_text = peer;
	ev.reason = phase == XFER_UPLOAD_REFUSED ? "the upload store is full" :
	    NULL;
	ev.stored_path = phase == XFER_UPLOAD_STORED ? "/nonexistent/0" : NULL;
	test_now += 10;
	serve_upload_event(&c->s, &ev);
}

/* A request for NAME from IP with User-Agent UA (NULL: TFTP). */
static struct phone *
request_ua(struct ctx *c, const char *name, const char *ip, const char *ua)
{
	struct ident_name	 in;
	struct phone		*p;
	char			*evidence = NULL;

	ident_classify_name(name, &in);
	test_now += 10;
	p = serve_identify(&c->s, ua != NULL ? "http" : "tftp", &in, ip, ua,
	    name, 0, test_now, &evidence);
	free(evidence);
	return (p);
}

/* A request for NAME from IP, as the TFTP server asks. */
static struct phone *
request(struct ctx *c, const char *name, const char *ip)
{
	return (request_ua(c, name, ip, NULL));
}

/*
 * A request without a MAC is the phone that last asked from its address,
 * unless its User-Agent says it is no phone: a technician's curl of the
 * image from a phone's address counted as that phone's download (its
 * state moved, 130 MB credited to it).
 */
static void
test_not_a_phone_is_not_the_address_phone(void **state)
{
	struct ctx	*c = *state;
	struct phone	*phone;
	const char	*app = "FileTransport PolycomVVX-VVX_101-UA/5.2.0.8330 "
			    "Type/Application";
	const char	*upd = "FileTransport PolycomVVX-VVX_101-UA/5.0.3.1667 "
			    "Type/Updater";

	phone = request_ua(c, "0004f2000201.cfg", "10.0.0.7", app);
	assert_non_null(phone);
	assert_null(request_ua(c, "3111-40250-001.sip.ld", "10.0.0.7",
	    "curl/7.88.1"));
	assert_null(request_ua(c, "3111-40250-001.sip.ld", "10.0.0.7",
	    "Mozilla/5.0 (X11; Linux x86_64)"));
	/* The phone's own requests still are: Updater, none, TFTP. */
	assert_ptr_equal(request_ua(c, "3111-40250-001.sip.ld", "10.0.0.7",
	    upd), phone);
	assert_ptr_equal(request_ua(c, "3111-40250-001.sip.ld", "10.0.0.7",
	    ""), phone);
	assert_ptr_equal(request(c, "3111-40250-001.sip.ld", "10.0.0.7"),
	    phone);
	assert_int_equal(c->s.fleet->nphones, 1);
	/*
	 * Naming the phone's MAC, from another address: no phone's request
	 * either (its trust file was "delivered" to curl, and the phone went
	 * on to repointed), nor is a new phone made of a MAC in a curl.
	 */
	assert_null(request_ua(c, "ztp-rescue-0004f2000201.cfg", "10.0.5.12",
	    "curl/7.88.1"));
	assert_null(request_ua(c, "0004f2000201.cfg", "10.0.5.12",
	    "Mozilla/5.0 (X11; Linux x86_64)"));
	assert_null(request_ua(c, "0004f2000299.cfg", "10.0.5.12",
	    "curl/7.88.1"));
	assert_string_equal(phone->ip, "10.0.0.7");
	assert_int_equal(c->s.fleet->nphones, 1);
}

/*
 * An upload flood under a new MAC per PUT, every one refused at the quota:
 * the old daemon added a phone for each (10,050 in the hostile suite, and
 * its status answer outgrew the control line).  A stored upload still
 * makes its phone known.
 */
static void
test_refused_upload_adds_no_phone(void **state)
{
	struct ctx	*c = *state;
	char		 name[64];
	int		 i;

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "0004f6%06x-app.log", i);
		upload(c, name, "10.77.66.1", XFER_UPLOAD_REFUSED);
	}
	assert_int_equal(c->s.fleet->nphones, 0);
	upload(c, "0004f2aa0001-app.log", "10.0.0.9", XFER_UPLOAD_STORED);
	assert_int_equal(c->s.fleet->nphones, 1);
	assert_non_null(fleet_find(c->s.fleet, "0004f2aa0001"));
}

/*
 * New MACs claimed without a lease of ours stop adding phones at the
 * limit; the claims past it are counted; a phone already known is still
 * itself; 0 turns the limit off.
 */
static void
test_phone_limit(void **state)
{
	struct ctx	*c = *state;
	struct phone	*known, *p;
	char		 name[64];
	int		 i;

	c->s.opt.phone_limit = 16;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "0004f6%06x.cfg", i);
		(void)request(c, name, "10.77.88.1");
	}
	assert_int_equal(c->s.fleet->nphones, 16);
	assert_int_equal(c->s.claims_over_limit, 24);
	assert_null(fleet_find(c->s.fleet, "0004f6000010"));
	known = fleet_find(c->s.fleet, "0004f6000003");
	assert_non_null(known);
	p = request(c, "0004f6000003-phone.cfg", "10.77.88.1");
	assert_ptr_equal(p, known);
	/* Over the limit, the request is the asking address's phone. */
	p = request(c, "0004f6ffffff.cfg", "10.77.88.1");
	assert_non_null(p);
	assert_null(fleet_find(c->s.fleet, "0004f6ffffff"));
	c->s.opt.phone_limit = 0;
	(void)request(c, "0004f6ffffff.cfg", "10.77.88.1");
	assert_non_null(fleet_find(c->s.fleet, "0004f6ffffff"));
	assert_int_equal(c->s.fleet->nphones, 17);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_refused_upload_adds_no_phone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phone_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_not_a_phone_is_not_the_address_phone, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
