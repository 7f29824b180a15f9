/*
 * The report's next step for a phone: one plain instruction from its state,
 * for the technician who reads the row in the closet or hands the file
 * over.  It says what to do, never what happened (the reason and the claim
 * do that), and claims nothing the journal does not show.
 */
#include <string.h>

#include "report.h"

struct next_step {
	const char	*state;
	const char	*with_ca;	/* a CA is installed */
	const char	*without_ca;	/* none is: NULL = the same */
};

static const struct next_step next_steps[] = {
	{ "seen", "wait for its next request; if it asks for nothing more, "
	  "check that its boot server (DHCP option 66 or 160, or its own "
	  "setting) is this appliance", NULL },
	{ "identified", "wait: it is offered what it needs at its next "
	  "boot", NULL },
	{ "upgrading", "wait: it is taking its image; do not unplug it",
	  NULL },
	{ "rebooting", "wait a few minutes while it flashes its image; if it "
	  "stays silent, check its power and screen, and power-cycle it",
	  NULL },
	{ "current", "wait for its next boot (or reboot it): it takes its "
	  "SHA-2 trust and re-point file then",
	  "install the CA certificate (the console's menu, CA certificate, or "
	  "'ztp-rescue ctl set-ca pem=FILE'): it takes it at its next boot" },
	{ "trusting", "wait: it is taking its trust and re-point file",
	  NULL },
	{ "repointed", "wait for the quiet period: a request in it means it "
	  "came back to this appliance", NULL },
	{ "repointed-quiet", "nothing here: check in Polycom's ZTP portal "
	  "that it registered", NULL },
	{ "verified", "nothing here: check in Polycom's ZTP portal that it "
	  "registered", NULL },
	{ "failed", "act on the reason, then retry it (the console's t, or "
	  "'ztp-rescue ctl retry mac=MAC')", NULL },
	{ "held", "act on the reason, then release it (the console's r, or "
	  "'ztp-rescue ctl release mac=MAC')", NULL }
};

const char *
report_next_step(const char *state, int ca_installed)
{
	size_t	i;

	if (state == NULL)
		return (NULL);
	for (i = 0; i < sizeof next_steps / sizeof next_steps[0]; i++) {
		if (strcmp(next_steps[i].state, state) != 0)
			continue;
		if (!ca_installed && next_steps[i].without_ca != NULL)
			return (next_steps[i].without_ca);
		return (next_steps[i].with_ca);
	}
	return (NULL);
}
