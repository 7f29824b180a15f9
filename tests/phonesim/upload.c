/*
 * Uploads: the previous app log first thing at boot, then the boot and app
 * logs after the application stage.  TFTP write (WRQ) or HTTP PUT; a 5.x
 * phone asks HEAD on the app log before putting it.  Files go to
 * LOG_FILE_DIRECTORY when the master config sets one.
 */
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

void
upload_log(struct phone *ph, const char *server, const char *dir,
    const char *suffix)
{
	struct sim_fetch	 f;
	struct sim_buf		 boot = { NULL, 0, 0 };
	char			*name;
	int			 applog = strcmp(suffix, "app.log") == 0;

	if (dir != NULL && *dir != '\0')
		sim_asprintf(&name, "%s%s%s-%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", ph->mac, suffix);
	else
		sim_asprintf(&name, "%s-%s", ph->mac, suffix);

	if (applog && phone_is_5x(ph) && !sim_is_tftp(server)) {
		memset(&f, 0, sizeof f);
		f.method = SIM_HEAD;
		f.name = name;
		phone_fetch(ph, server, &f);
		sim_fetch_free(&f);
	}
	memset(&f, 0, sizeof f);
	f.method = SIM_PUT;
	f.name = name;
	if (applog) {
		f.body = ph->applog.data != NULL ? ph->applog.data : "";
		f.body_len = ph->applog.len;
	} else {
		sim_buf_printf(&boot, "0000000000|boot |4|00|Polycom Updater "
		    "%s, %s %s, MAC %s\n", ph->updater, ph->model->token,
		    ph->part, ph->mac);
		sim_buf_printf(&boot, "0000000000|boot |4|00|Boot %d, "
		    "application %s on flash\n", ph->boots, ph->version);
		sim_buf_printf(&boot, "0000000000|boot |4|00|Provisioning "
		    "server %s\n", server);
		f.body = boot.data;
		f.body_len = boot.len;
	}
	phone_fetch(ph, server, &f);
	sim_fetch_free(&f);
	sim_buf_free(&boot);
	free(name);
}

void
upload_logs(struct phone *ph, const char *server, const char *dir)
{
	upload_log(ph, server, dir, "boot.log");
	upload_log(ph, server, dir, "app.log");
}
