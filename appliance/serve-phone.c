/*
 * A phone changed: the DHCP server stops sending a re-pointed phone back to
 * us, the report on disk and the control clients are told.  And the engine's
 * clock, which transcripts step.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "control.h"
#include "dhcp.h"
#include "fleet.h"
#include "log.h"
#include "serve.h"

/* Engine transcripts step their own clock (tests/transcripts). */
int64_t	(*serve_clock)(void);

/* The daemon whose phones' times follow a wall clock set by hand. */
static struct serve	*serve_clock_watcher;
static struct clock_pair serve_clock_last;

void
serve_watch_clock(struct serve *s)
{
	serve_clock_watcher = s;
	serve_clock_last.wall = clock_wall_ms();
	serve_clock_last.mono = clock_mono_ms();
}

/*
 * The engine's wall clock.  Set by hand (a technician fixing the laptop's
 * time, as a CA refusal may ask), or parted from the monotonic clock by a
 * laptop that slept, it moves every phone's times with it before the new
 * time is used, so that a quiet period counts only time the appliance
 * listened: before, a clock set a day ahead made every re-pointed phone
 * repointed-quiet at once.  Seen here, where the engine reads the time, a
 * time taken after the change is never moved as well.
 */
int64_t
serve_now(void)
{
	struct serve	*s = serve_clock_watcher;
	int64_t		 wall, jump, secs;

	if (serve_clock != NULL)
		return (serve_clock());
	wall = clock_wall_ms();
	if (s == NULL || (jump = clock_wall_jump(&serve_clock_last, wall,
	    clock_mono_ms())) == 0)
		return (wall);
	/* Rounded: the clocks drift apart by a millisecond or so. */
	secs = ((jump > 0 ? jump : -jump) + 500) / 1000;
	log_warn("the wall clock moved %lld s %s the time the appliance "
	    "watched (set by hand, or the laptop slept): the phones' times are "
	    "moved with it, so that their quiet periods count only time it "
	    "listened", (long long)secs, jump > 0 ? "ahead of" : "behind");
	fleet_clock_moved(s->fleet, jump);
	return (wall);
}

/* A failed boot-server update is tried again this often. */
#define SERVE_BOOT_SERVER_RETRY_MS	10000

/*
 * A re-pointed phone must not be sent straight back to us: DHCP stops
 * offering it our boot server.  Only a successful update counts; a failed
 * one is said and tried again from serve_phones_tick.
 */
static void
serve_phone_boot_server(struct serve *s, struct phone *p, int64_t now)
{
	char	*cause = NULL;

	if (s->dhcp == NULL || p->boot_server_off ||
	    (p->state != PHONE_REPOINTED && p->state != PHONE_RECOVERED &&
	    p->state != PHONE_VERIFIED) ||
	    now < p->boot_server_retry)
		return;
	if (dhcp_set_boot_server(s->dhcp, p->mac, 0, &cause) != 0) {
		log_warn("dhcp: cannot stop offering the boot server to %s: "
		    "%s; until it can, the phone may be sent back here "
		    "(trying again in %d s)", p->mac, cause,
		    SERVE_BOOT_SERVER_RETRY_MS / 1000);
		free(cause);
		p->boot_server_retry = now + SERVE_BOOT_SERVER_RETRY_MS;
		return;
	}
	if (p->boot_server_retry != 0)
		log_info("dhcp: %s no longer gets the boot server (after an "
		    "earlier failure)", p->mac);
	p->boot_server_off = 1;
	p->boot_server_retry = 0;
}

void
serve_phone_changed(void *arg, const struct phone *cp)
{
	struct serve	*s = arg;
	struct phone	*p;

	if ((p = fleet_find(s->fleet, cp->mac)) != NULL)
		serve_phone_boot_server(s, p, serve_now());
	serve_report_changed(s);
	if (s->control != NULL)
		control_broadcast(s->control, "phone", json_pack("{s:o}",
		    "phone", fleet_phone_json(s->fleet, cp)));
}

/* Boot-server updates that failed, again when their time has come. */
void
serve_phones_tick(struct serve *s)
{
	struct phone	*p;
	int64_t		 now = serve_now();

	TAILQ_FOREACH(p, &s->fleet->phones, entry)
		serve_phone_boot_server(s, p, now);
}

/*
 * A phone forgotten by the operator: the report and the clients lose it,
 * and DHCP offers it the boot server again, so that it starts over if it
 * comes back.
 */
void
serve_phone_forgotten(void *arg, const struct phone *p)
{
	struct serve	*s = arg;
	char		*cause = NULL;

	if (s->dhcp != NULL && p->boot_server_off &&
	    dhcp_set_boot_server(s->dhcp, p->mac, 1, &cause) != 0) {
		log_warn("dhcp: %s was forgotten but still does not get the "
		    "boot server: %s", p->mac, cause);
		free(cause);
	}
	serve_report_changed(s);
	if (s->control != NULL)
		control_broadcast(s->control, "forgotten", json_pack("{s:s}",
		    "mac", p->mac));
}
