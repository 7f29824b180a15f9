/*
 * The report's next step for a phone: one plain instruction from its state,
 * for the technician who reads the row in the closet or hands the file
 * over.  It says what to do, never what happened (the reason and the claim
 * do that), and claims nothing the journal does not show.
 */
#include <string.h>

#include "control.h"
#include "report.h"

struct next_step {
	const char	*state;
	const char	*with_ca;	/* a CA is installed */
	const char	*without_ca;	/* none is: NULL = the same */
	const char	*to_server;	/* re-pointed to a URL: NULL = the same */
};

#define NEXT_ON_SERVER	"nothing here: check on its provisioning server " \
			"(this row's re-point target) that it registered"

static const struct next_step next_steps[] = {
	{ "seen", "wait for its next request; if it asks for nothing more, "
	  "check that its boot server (DHCP option 66 or 160, or its own "
	  "setting) is this appliance", NULL, NULL },
	{ "identified", "wait: it is offered what it needs at its next "
	  "boot", NULL, NULL },
	{ "upgrading", "wait: it is taking its image; do not unplug it",
	  NULL, NULL },
	{ "rebooting", "wait a few minutes while it flashes its image; if it "
	  "stays silent, check its power and screen, and power-cycle it",
	  NULL, NULL },
	{ "current", "wait for its next boot (or reboot it): it takes its "
	  "SHA-2 trust and re-point file then",
	  "install the CA certificate (the console's menu, CA certificate, or "
	  "'ztp-rescue ctl set-ca pem=FILE'): it takes it at its next boot",
	  NULL },
	{ "trusting", "wait: it is taking its trust and re-point file",
	  NULL, NULL },
	{ "repointed", "wait for the quiet period: a request in it means it "
	  "came back to this appliance", NULL, NULL },
	{ "repointed-quiet", "nothing here: check in Polycom's ZTP portal "
	  "that it registered", NULL, NEXT_ON_SERVER },
	{ "verified", "nothing here: check in Polycom's ZTP portal that it "
	  "registered", NULL, NEXT_ON_SERVER },
	{ "failed", "act on the reason, then retry it (the console's t, or "
	  "'ztp-rescue ctl retry mac=MAC')", NULL, NULL },
	{ "held", "act on the reason, then release it (the console's r, or "
	  "'ztp-rescue ctl release mac=MAC')", NULL, NULL }
};

/*
 * repoint: where the phone was sent ("ztp", a URL, or NULL): a phone
 * handed to the customer's server is not looked for in Polycom's portal.
 * reason: a phone held for a package is released by itself once the
 * library holds it ("release it" released it to be held again).
 */
const char *
report_next_step(const char *state, int ca_installed, const char *repoint,
    const char *reason)
{
	size_t	i;

	if (state == NULL)
		return (NULL);
	if (strcmp(state, "held") == 0 && reason != NULL &&
	    (strncmp(reason, CONTROL_LACKS_IMAGE,
	    strlen(CONTROL_LACKS_IMAGE)) == 0 || strncmp(reason,
	    CONTROL_DAMAGED_IMAGE, strlen(CONTROL_DAMAGED_IMAGE)) == 0 ||
	    strncmp(reason, CONTROL_LACKS_BOOTROM,
	    strlen(CONTROL_LACKS_BOOTROM)) == 0))
		return ("import the package the reason names (the console's "
		    "i, or 'ztp-rescue ctl import paths[]=DIR'): it is "
		    "released by itself once the library holds it");
	for (i = 0; i < sizeof next_steps / sizeof next_steps[0]; i++) {
		if (strcmp(next_steps[i].state, state) != 0)
			continue;
		if (repoint != NULL && *repoint != '\0' &&
		    strcmp(repoint, "ztp") != 0 &&
		    next_steps[i].to_server != NULL)
			return (next_steps[i].to_server);
		if (!ca_installed && next_steps[i].without_ca != NULL)
			return (next_steps[i].without_ca);
		return (next_steps[i].with_ca);
	}
	return (NULL);
}
