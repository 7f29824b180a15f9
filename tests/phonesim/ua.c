/*
 * The User-Agent a phone sends on HTTP:
 * "FileTransport Polycom<Family>-<MODEL_WITH_UNDERSCORE>-UA/<version>
 * (SN:<mac>) Type/<Updater|Application>".  The Updater stage reports the
 * Updater's own version, not the UC Software it runs.
 */
#include "phonesim.h"

char *
phone_user_agent(struct phone *ph)
{
	char	*ua;

	sim_asprintf(&ua, "FileTransport Polycom%s-%s-UA/%s (SN:%s) Type/%s",
	    ph->model->family, ph->model->ua_model,
	    ph->stage_app ? ph->version : ph->updater, ph->mac,
	    ph->stage_app ? "Application" : "Updater");
	return (ua);
}
