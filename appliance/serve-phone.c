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

#include "control.h"
#include "dhcp.h"
#include "fleet.h"
#include "log.h"
#include "serve.h"

/* Engine transcripts step their own clock (tests/transcripts). */
int64_t	(*serve_clock)(void);

int64_t
serve_now(void)
{
	struct timespec	ts;

	if (serve_clock != NULL)
		return (serve_clock());
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
serve_phone_changed(void *arg, const struct phone *p)
{
	struct serve	*s = arg;
	struct phone	*mp;
	char		*cause = NULL;

	/* A re-pointed phone must not be sent straight back to us. */
	if (s->dhcp != NULL && !p->boot_server_off &&
	    (p->state == PHONE_REPOINTED || p->state == PHONE_RECOVERED)) {
		mp = fleet_find(s->fleet, p->mac);
		if (mp != NULL)
			mp->boot_server_off = 1;
		if (dhcp_set_boot_server(s->dhcp, p->mac, 0, &cause) != 0) {
			log_warn("dhcp: cannot stop offering the boot server "
			    "to %s: %s", p->mac, cause);
			free(cause);
		}
	}
	serve_report_changed(s);
	if (s->control != NULL)
		control_broadcast(s->control, "phone", json_pack("{s:o}",
		    "phone", fleet_phone_json(s->fleet, p)));
}
