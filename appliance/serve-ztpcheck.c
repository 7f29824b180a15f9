/*
 * The daemon's ZTP reachability check (ztpcheck.c) when the technician
 * gives a way out (--verify-via IF, or the verify-ztp control command): run
 * in a thread beside the loop, once per CA and re-point target (cached),
 * again on demand; its result is journalled, shown in status and told to
 * the fleet, which marks the phones it covers verified.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fleet.h"
#include "journal.h"
#include "log.h"
#include "serve.h"
#include "trust.h"
#include "xmalloc.h"
#include "ztpcheck.h"

struct serve_ztp {
	int			 running;
	pthread_t		 thread;
	int			 pipe[2];
	struct event		*done_ev;
	struct ztpcheck_req	 req;
	struct ztpcheck_result	 pending;	/* the thread's */
	struct ztpcheck_result	 result;	/* the last one ended */
	int			 have_result;
	char			*via;		/* the interface in force */
	char			*tried_ca;	/* what the automatic run was for */
	char			*tried_repoint;
};

static void	*serve_ztp_thread(void *);
static void	 serve_ztp_done(evutil_socket_t, short, void *);
static struct serve_ztp *serve_ztp_get(struct serve *, char **);

static void *
serve_ztp_thread(void *arg)
{
	struct serve_ztp	*z = arg;
	char			 c = 1;

	ztpcheck_run(&z->req, &z->pending);
	while (write(z->pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

static struct serve_ztp *
serve_ztp_get(struct serve *s, char **cause)
{
	struct serve_ztp	*z;

	if (s->ztp != NULL)
		return (s->ztp);
	z = xcalloc(1, sizeof *z);
	if (pipe2(z->pipe, O_CLOEXEC) != 0) {
		xasprintf(cause, "cannot start the ZTP check: %s",
		    strerror(errno));
		free(z);
		return (NULL);
	}
	z->done_ev = event_new(s->base, z->pipe[0], EV_READ | EV_PERSIST,
	    serve_ztp_done, s);
	event_add(z->done_ev, NULL);
	s->ztp = z;
	return (z);
}

int
serve_ztp_start(struct serve *s, const char *via, char **cause)
{
	struct serve_ztp	*z;
	const char		*target;

	if (s->ca == NULL) {
		*cause = xstrdup("no CA to check the ZTP host with: give the "
		    "CA first (--ca, or set-ca in the console)");
		return (-1);
	}
	if ((z = serve_ztp_get(s, cause)) == NULL)
		return (-1);
	if (z->running) {
		*cause = xstrdup("a ZTP reachability check is already running");
		return (-1);
	}
	if (via != NULL) {
		free(z->via);
		z->via = xstrdup(via);
	} else if (z->via == NULL && s->opt.verify_via != NULL)
		z->via = xstrdup(s->opt.verify_via);
	/* Tried for this CA and target, whatever comes of it: once a run. */
	free(z->tried_ca);
	free(z->tried_repoint);
	z->tried_ca = xstrdup(s->ca->sha256);
	z->tried_repoint = xstrdup(s->repoint_url != NULL ? s->repoint_url :
	    "ztp");
	ztpcheck_req_free(&z->req);
	target = s->repoint_url != NULL ? s->repoint_url :
	    (s->opt.ztp_host != NULL ? s->opt.ztp_host : ZTPCHECK_ZTP_HOST);
	if (ztpcheck_target(target, &z->req.host, &z->req.port, cause) != 0)
		return (-1);
	z->req.via = z->via != NULL ? xstrdup(z->via) : NULL;
	z->req.hosts_file = s->opt.verify_hosts != NULL ?
	    xstrdup(s->opt.verify_hosts) : NULL;
	z->req.ca_pem = xstrdup(s->ca->pem);
	memcpy(z->req.ca_sha256, s->ca->sha256, sizeof z->req.ca_sha256);
	z->req.repoint = xstrdup(s->repoint_url != NULL ? s->repoint_url :
	    "ztp");
	z->req.timeout_ms = ZTPCHECK_TIMEOUT_MS;
	if ((errno = pthread_create(&z->thread, NULL, serve_ztp_thread,
	    z)) != 0) {
		xasprintf(cause, "cannot start the ZTP check: %s",
		    strerror(errno));
		return (-1);
	}
	z->running = 1;
	log_info("ztp check: %s port %u via %s, with the CA %s", z->req.host,
	    z->req.port, z->req.via != NULL ? z->req.via : "any route",
	    z->req.ca_sha256);
	return (0);
}

static void
serve_ztp_done(evutil_socket_t fd, short events, void *arg)
{
	struct serve		*s = arg;
	struct serve_ztp	*z = s->ztp;
	struct journal_event	 ev;
	char			 c, *sentence;

	if (read(fd, &c, 1) != 1 || !z->running)
		return;
	pthread_join(z->thread, NULL);
	z->running = 0;
	ztpcheck_result_free(&z->result);
	z->result = z->pending;
	memset(&z->pending, 0, sizeof z->pending);
	z->have_result = 1;
	sentence = ztpcheck_sentence(&z->result);
	log_info("ztp check: ZTP reachability %s", sentence);
	memset(&ev, 0, sizeof ev);
	ev.ts = serve_now();
	ev.mac = "";
	ev.kind = "note";
	ev.fact = "ztp-check";
	ev.value = sentence;
	ev.evidence = z->result.addresses != NULL ? z->result.addresses :
	    "no address";
	journal_scope_begin(s->journal, JOURNAL_SCOPE_EVENT);
	journal_add_event(s->journal, &ev);
	fleet_ztp_result(s->fleet, z->result.ok, z->result.ca_sha256,
	    z->result.repoint, sentence, serve_now());
	journal_scope_end(s->journal);
	free(sentence);
	serve_report_changed(s);
}

/* Once per CA and re-point target, when a way out was given. */
void
serve_ztp_tick(struct serve *s)
{
	struct serve_ztp	*z = s->ztp;
	const char		*repoint;
	char			*cause = NULL;

	if (s->opt.verify_via == NULL || s->ca == NULL ||
	    (z != NULL && z->running))
		return;
	repoint = s->repoint_url != NULL ? s->repoint_url : "ztp";
	if (z != NULL && z->tried_ca != NULL &&
	    strcmp(z->tried_ca, s->ca->sha256) == 0 &&
	    strcmp(z->tried_repoint, repoint) == 0)
		return;
	if (serve_ztp_start(s, NULL, &cause) != 0) {
		log_warn("ztp check: %s", cause);
		free(cause);
	}
}

json_t *
serve_ztp_json(struct serve *s)
{
	struct serve_ztp	*z = s->ztp;
	json_t			*o;

	if (z == NULL)
		return (json_pack("{s:s, s:o}", "state", s->opt.verify_via !=
		    NULL ? "waiting for the CA" : "off", "via",
		    s->opt.verify_via != NULL ? json_string(s->opt.verify_via) :
		    json_null()));
	o = z->have_result ? ztpcheck_json(&z->result) : json_object();
	json_object_set_new(o, "state", json_string(z->running ? "running" :
	    (z->have_result ? "done" : "off")));
	return (o);
}

void
serve_ztp_free(struct serve *s)
{
	struct serve_ztp	*z = s->ztp;

	if (z == NULL)
		return;
	if (z->running)
		pthread_join(z->thread, NULL);
	event_free(z->done_ev);
	close(z->pipe[0]);
	close(z->pipe[1]);
	ztpcheck_req_free(&z->req);
	ztpcheck_result_free(&z->pending);
	ztpcheck_result_free(&z->result);
	free(z->via);
	free(z->tried_ca);
	free(z->tried_repoint);
	free(z);
	s->ztp = NULL;
}
