/*
 * The User-Agent a phone sends on HTTP:
 * "FileTransport Polycom<Family>-<MODEL_WITH_UNDERSCORE>-UA/<version>
 * [(SN:<mac>)] Type/<Updater|Application>".  The Updater stage reports the
 * Updater's own version, not the UC Software it runs; a SIP 2.x/3.x BootROM
 * sends its version with no Type/ at all (reference sec. 5).  "(SN:<mac>)" only
 * when device.prov.tagSerialNo is 1 in flash (its default is 0, reference
 * sec. 9 [M]; --tag-serial-no), so by default a server must identify the
 * phone by its address or the files it asks for.
 */
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

char *
phone_user_agent(struct phone *ph)
{
	const char	*tag;
	char		*ua, *sn = NULL;

	tag = sim_params_get(&ph->device, "device.prov.tagSerialNo");
	if (tag != NULL && strcmp(tag, "1") == 0)
		sim_asprintf(&sn, " (SN:%s)", ph->mac);
	if (!ph->stage_app && phone_is_legacy(ph))
		/* A SIP 2.x/3.x BootROM: its own version, no Type/. */
		sim_asprintf(&ua, "FileTransport Polycom%s-%s-UA/%s%s",
		    ph->model->family, ph->model->ua_model, ph->updater,
		    sn != NULL ? sn : "");
	else
		sim_asprintf(&ua, "FileTransport Polycom%s-%s-UA/%s%s Type/%s",
		    ph->model->family, ph->model->ua_model,
		    ph->stage_app ? ph->version : ph->updater,
		    sn != NULL ? sn : "", ph->stage_app ? "Application" :
		    "Updater");
	free(sn);
	return (ua);
}
