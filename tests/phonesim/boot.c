/*
 * The reboot loop: each boot goes where the phone's flash says (its static
 * boot server, a hand-off server, or ZTP), and on its boot server plays the
 * request order of a real phone:
 *
 *   Updater:      (SIP 2.x/3.x: the BootROM, bootrom.ld first instead of
 *                 the log upload) upload the previous app log, <mac>.cfg (then
 *                 000000000000.cfg), the image (abandoned after its header
 *                 when current; else downloaded, flashed, reboot)
 *   Application:  CONFIG_FILES in order, <mac>-phone.cfg, <mac>-web.cfg,
 *                 license files, (5.x) <mac>-calls.xml, directory files,
 *                 boot and app log uploads; reboot when device.* changed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "phonesim.h"

enum boot_result { BOOT_DONE, BOOT_REBOOT, BOOT_FAIL };

static enum boot_result	boot_cycle(struct phone *, const char *);
static int	boot_get(struct phone *, const char *, const char *,
		    const char *, struct sim_fetch *);
static void	boot_get_params(struct phone *, const char *, const char *,
		    const char *, struct sim_params *);
static void	boot_reboot(struct phone *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	boot_fail(struct phone *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	boot_handoff(struct phone *, const char *);
static void	boot_verdict(struct phone *);
static int	boot_closet(struct phone *);

static void
boot_fail(struct phone *ph, const char *fmt, ...)
{
	va_list	ap;

	if (ph->fail != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&ph->fail, fmt, ap) == -1)
		sim_fatalx("out of memory formatting a string");
	va_end(ap);
}

static void
boot_reboot(struct phone *ph, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		sim_fatalx("out of memory formatting a string");
	va_end(ap);
	sim_transcript_line(&ph->ts, "REBOOT reason=%s", why);
	phone_log(ph, "so", "Rebooting: %s", why);
	free(why);
}

/* GET dir/name; 0 when the file came back. */
static int
boot_get(struct phone *ph, const char *server, const char *dir,
    const char *name, struct sim_fetch *f)
{
	char	*path;
	int	 rc;

	if (dir != NULL && *dir != '\0')
		sim_asprintf(&path, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	else
		path = sim_strdup(name);
	memset(f, 0, sizeof *f);
	f->method = SIM_GET;
	f->name = path;
	rc = phone_fetch(ph, server, f);
	f->name = NULL;
	free(path);
	if (rc != 0 || !f->found)
		return (-1);
	return (0);
}

/* GET a config file and add its parameters (first wins); missing is normal. */
static void
boot_get_params(struct phone *ph, const char *server, const char *dir,
    const char *name, struct sim_params *ps)
{
	struct sim_fetch	 f;
	char			*cause, *esc;

	if (boot_get(ph, server, dir, name, &f) == 0 && ps != NULL &&
	    app_cfg_parse(f.data.data, f.data.len, ps, &cause) != 0) {
		esc = sim_escape(name, strlen(name));
		sim_transcript_line(&ph->ts, "CONFIG %s ignored: %s", esc,
		    cause);
		phone_log(ph, "cfg", "Cfg|%s: %s", esc, cause);
		free(esc);
		free(cause);
	}
	sim_fetch_free(&f);
}

static enum boot_result
boot_cycle(struct phone *ph, const char *server)
{
	struct sim_fetch	 f;
	struct master_cfg	 mc;
	struct sim_params	 cfg, over;
	struct sim_param	*p;
	struct sim_buf		 why = { NULL, 0, 0 };
	enum image_result	 ir;
	char			*name, *list, *tok, *save, *cause, *image;
	int			 changed, found;

	/*
	 * Updater stage; on SIP 2.x/3.x the BootROM's, which asks for
	 * bootrom.ld first (reference sec. 8 [H]).
	 */
	ph->stage_app = 0;
	if (phone_is_legacy(ph)) {
		ir = image_check_bootrom(ph, server);
		if (ir == IMAGE_FLASHED || ir == IMAGE_CUT) {
			if (ir == IMAGE_FLASHED)
				boot_reboot(ph, "new BootROM %s", ph->updater);
			else
				boot_reboot(ph, "power loss");
			return (BOOT_REBOOT);
		}
	} else
		upload_log(ph, server, NULL, "app.log");

	sim_asprintf(&name, "%s.cfg", ph->mac);
	found = boot_get(ph, server, NULL, name, &f) == 0;
	free(name);
	if (!found && (f.status == 404 || (sim_is_tftp(server) &&
	    f.status == 1))) {
		sim_fetch_free(&f);
		found = boot_get(ph, server, NULL, "000000000000.cfg", &f) == 0;
	}
	if (!found) {
		sim_fetch_free(&f);
		boot_fail(ph, "boot server %s gave no master config", server);
		return (BOOT_FAIL);
	}
	if (master_cfg_parse(ph, f.data.data, f.data.len, &mc, &cause) != 0) {
		sim_transcript_line(&ph->ts, "CONFIG master rejected: %s",
		    cause);
		boot_fail(ph, "%s", cause);
		free(cause);
		sim_fetch_free(&f);
		return (BOOT_FAIL);
	}
	sim_fetch_free(&f);

	image = NULL;
	if (mc.app_file_path != NULL && *mc.app_file_path != '\0')
		image = master_cfg_image_name(ph, mc.app_file_path);
	if (image == NULL) {
		free(ph->why_no_image);
		ph->why_no_image = sim_strdup("server offered no image");
	} else {
		ir = image_check(ph, server, image);
		free(image);
		if (ir == IMAGE_FLASHED || ir == IMAGE_CUT) {
			if (ir == IMAGE_FLASHED)
				boot_reboot(ph, "new image %s", ph->version);
			else
				boot_reboot(ph, "power loss");
			master_cfg_free(&mc);
			return (BOOT_REBOOT);
		}
	}

	/* Application stage. */
	ph->stage_app = 1;
	phone_log(ph, "so", "Application, main: Application Name: SIP, "
	    "Version: %s", ph->version);
	sim_params_init(&cfg);
	sim_params_init(&over);
	list = sim_strdup(mc.config_files != NULL ? mc.config_files : "");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = sim_trim(tok);
		if (*tok != '\0')
			boot_get_params(ph, server, NULL, tok, &cfg);
	}
	free(list);
	sim_asprintf(&name, "%s-phone.cfg", ph->mac);
	boot_get_params(ph, server, mc.overrides_dir, name, &over);
	free(name);
	sim_asprintf(&name, "%s-web.cfg", ph->mac);
	boot_get_params(ph, server, mc.overrides_dir, name, &over);
	free(name);
	boot_get_params(ph, server, NULL, "000000000000-license.cfg", NULL);
	sim_asprintf(&name, "%s-license.cfg", ph->mac);
	boot_get_params(ph, server, NULL, name, NULL);
	free(name);
	if (phone_is_5x(ph)) {
		sim_asprintf(&name, "%s-calls.xml", ph->mac);
		boot_get_params(ph, server, NULL, name, NULL);
		free(name);
	}
	sim_asprintf(&name, "%s-directory.xml", ph->mac);
	boot_get_params(ph, server, mc.contacts_dir, name, NULL);
	free(name);
	boot_get_params(ph, server, mc.contacts_dir,
	    "000000000000-directory.xml", NULL);

	/* Local overrides (phone and web) take precedence over the files. */
	TAILQ_FOREACH(p, &cfg, entry)
		sim_params_add_first(&over, p->name, p->value);
	changed = app_cfg_apply(ph, &over, &why);
	sim_params_clear(&cfg);
	sim_params_clear(&over);

	upload_logs(ph, server, mc.log_dir);
	master_cfg_free(&mc);
	if (changed > 0) {
		boot_reboot(ph, "device settings changed (%s)", why.data);
		sim_buf_free(&why);
		return (BOOT_REBOOT);
	}
	sim_buf_free(&why);
	return (BOOT_DONE);
}

/* A phone handed off to another provisioning server asks it for its config. */
static void
boot_handoff(struct phone *ph, const char *target)
{
	struct sim_fetch	 f;
	const char		*type;
	char			*server, *name;

	type = sim_params_get(&ph->device, "device.prov.serverType");
	if (strstr(target, "://") != NULL)
		server = sim_strdup(target);
	else {
		sim_asprintf(&server, "%s://%s/", type != NULL &&
		    strcasecmp(type, "TFTP") == 0 ? "tftp" : type != NULL &&
		    strcasecmp(type, "HTTPS") == 0 ? "https" : "http", target);
	}
	ph->stage_app = 1;
	sim_transcript_line(&ph->ts, "HANDOFF %s", server);
	sim_asprintf(&name, "%s.cfg", ph->mac);
	if (boot_get(ph, server, NULL, name, &f) == 0 || f.status != 0)
		ph->handoff = sim_strdup(server);
	else
		boot_fail(ph, "hand-off server %s did not answer", server);
	sim_fetch_free(&f);
	free(name);
	free(server);
}

static void
boot_verdict(struct phone *ph)
{
	enum target_kind kind;
	const char	*target = phone_target(ph, &kind);
	const char	*why;
	char		*reason;
	int		 fields = 3;
	unsigned long	 f[4];

	if (sim_version_parse(ph->required, f, &fields) != 0)
		fields = 3;
	ph->ok = 0;
	if (sim_version_cmp(ph->version, ph->required, fields) < 0) {
		why = ph->fail != NULL ? ph->fail : ph->why_no_image != NULL ?
		    ph->why_no_image : "server offered no image";
		sim_asprintf(&reason, "still %s after %d boot%s: %s",
		    ph->version, ph->boots, ph->boots == 1 ? "" : "s", why);
		free(ph->fail);
		ph->fail = reason;
		return;
	}
	if (ph->fail != NULL)
		return;
	if (ph->ca_sha256 == NULL) {
		sim_asprintf(&ph->fail, "runs %s but no CA was installed after "
		    "%d boot%s", ph->version, ph->boots, ph->boots == 1 ? "" :
		    "s");
		return;
	}
	if (kind == TARGET_NONE) {
		ph->fail = sim_strdup("has no provisioning server left");
		return;
	}
	if (kind == TARGET_BOOT) {
		sim_asprintf(&ph->fail, "runs %s with its CA but was not "
		    "re-pointed: still provisioning from %s", ph->version,
		    target);
		return;
	}
	if (kind == TARGET_ZTP && ph->ztp != NULL && !ph->reached_ztp) {
		ph->fail = sim_strdup("did not reach ZTP");
		return;
	}
	/* The server meant something the phone did not take. */
	if (ph->ignored.len > 0) {
		sim_asprintf(&ph->fail, "ignored device.* parameters it was "
		    "sent: %s", ph->ignored.data);
		return;
	}
	ph->ok = 1;
}

/*
 * A real closet's phone, before its DHCP: a stored static address (once),
 * a refused offer, declined addresses, or the voice VLAN learnt from the
 * switch.  0 to go on,
 * -1 when this phone's run ends here (ph->fail says why).
 */
static int
boot_closet(struct phone *ph)
{
	char	*cause = NULL, *link;
	int	 vlan, n;

	if (ph->static_ip != NULL && ph->boots == 1 &&
	    sim_static_ip(ph, ph->static_ip, &cause) != 0) {
		boot_fail(ph, "%s", cause);
		free(cause);
		return (-1);
	}
	if (ph->refuse_iface != NULL) {
		n = sim_dhcp_discover_only(ph, ph->refuse_iface, 0, 12, &cause);
		if (n < 0) {
			boot_fail(ph, "%s", cause);
			free(cause);
		} else
			boot_fail(ph, "refused the %d DHCP offer%s it was made "
			    "(--dhcp-refuse)", n, n == 1 ? "" : "s");
		return (-1);
	}
	if (ph->decline_iface != NULL) {
		n = sim_dhcp_decline(ph, ph->decline_iface, ph->decline_wait,
		    SIM_DECLINES, &cause);
		if (n < 0) {
			boot_fail(ph, "%s", cause);
			free(cause);
		} else
			boot_fail(ph, "declined the %d address%s it was given "
			    "(--dhcp-decline)", n, n == 1 ? "" : "es");
		return (-1);
	}
	if (ph->learn_iface == NULL || ph->boots != 1)
		return (0);
	if ((vlan = sim_lldp_learn(ph, ph->learn_iface, 10, &cause)) <= 0) {
		if (vlan < 0) {
			boot_fail(ph, "%s", cause);
			free(cause);
		} else
			boot_fail(ph, "no voice VLAN from the switch's LLDP-MED "
			    "on %s in 10 s", ph->learn_iface);
		return (-1);
	}
	if (ph->lldp_vlan == 0)
		ph->lldp_vlan = vlan;	/* its next LLDP-MED names it */
	if (sim_vlan_link(ph->learn_iface, vlan, &link) == 0) {
		sim_transcript_line(&ph->ts, "VLAN %d on %s", vlan, link);
		free(ph->dhcp_iface);
		ph->dhcp_iface = link;
		return (0);
	}
	/*
	 * The kernel cannot tag: the DISCOVERs go out tagged from here, so
	 * the switch side sees the phone on its VLAN; a lease, TFTP and HTTP
	 * would need a tagged IP stack, which only the kernel has.
	 */
	n = sim_dhcp_discover_only(ph, ph->learn_iface, vlan, 3, &cause);
	if (n < 0) {
		boot_fail(ph, "%s", cause);
		free(cause);
		return (-1);
	}
	boot_fail(ph, "learnt voice VLAN %d from LLDP-MED, but this kernel "
	    "has no 802.1Q support (load the 8021q module): only its DHCP "
	    "DISCOVERs went out tagged, from userspace", vlan);
	return (-1);
}

int
phone_run(struct phone *ph)
{
	const char		*target;
	enum target_kind	 kind;
	enum boot_result	 r;
	char			*cause;

	for (;;) {
		if (ph->boots == SIM_MAX_BOOTS) {
			boot_fail(ph, "rebooted %d times without settling",
			    ph->boots);
			break;
		}
		ph->boots++;
		ph->stage_app = 0;
		/* A phone announces itself to the switch as it boots. */
		if (ph->lldp_iface != NULL) {
			if (sim_lldp_send(ph, &cause) != 0) {
				boot_fail(ph, "%s", cause);
				free(cause);
				break;
			}
			sim_transcript_line(&ph->ts, "LLDP-MED model=%s "
			    "firmware=%s voice-vlan=%d", ph->model->token,
			    ph->version, ph->lldp_vlan);
		}
		if (boot_closet(ph) != 0)
			break;
		if (ph->dhcp_iface != NULL && phone_dhcp(ph, &cause) != 0) {
			boot_fail(ph, "%s", cause);
			free(cause);
			break;
		}
		target = phone_target(ph, &kind);
		if (ph->dhcp_server != NULL && target != ph->dhcp_server)
			sim_transcript_line(&ph->ts, "DHCP boot server ignored:"
			    " a stored server (device.dhcp.bootSrvUseOpt=%s)",
			    sim_params_get(&ph->device,
			    "device.dhcp.bootSrvUseOpt"));
		sim_transcript_line(&ph->ts, "BOOT %d version=%s target=%s",
		    ph->boots, ph->version, target != NULL ? target : "none");
		phone_log(ph, "so", "Updater %s booting application %s",
		    ph->updater, ph->version);
		if (kind == TARGET_NONE) {
			boot_fail(ph, "has no provisioning server");
			break;
		}
		if (kind == TARGET_ZTP) {
			ph->stage_app = 1;
			if (ph->ztp == NULL)
				sim_transcript_line(&ph->ts, "ZTP not contacted"
				    " (no --ztp)");
			else if (ztp_contact(ph, &cause) == 0) {
				ph->reached_ztp = 1;
				sim_transcript_line(&ph->ts, "ZTP ok");
			} else {
				sim_transcript_line(&ph->ts, "ZTP failed: %s",
				    cause);
				boot_fail(ph, "ZTP failed: %s", cause);
				free(cause);
			}
			break;
		}
		if (kind == TARGET_HANDOFF) {
			boot_handoff(ph, target);
			break;
		}
		r = boot_cycle(ph, target);
		if (phone_save_state(ph, &cause) != 0) {
			boot_fail(ph, "%s", cause);
			free(cause);
			break;
		}
		if (r != BOOT_REBOOT)
			break;
		if (ph->faults.no_return) {
			sim_transcript_line(&ph->ts, "GONE (fault "
			    "no-return-after-reboot)");
			boot_fail(ph, "never came back after its reboot");
			break;
		}
	}
	boot_verdict(ph);
	return (ph->ok ? 0 : -1);
}
