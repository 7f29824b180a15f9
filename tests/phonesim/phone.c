/*
 * A phone's state: identity, running version and flash (device.* settings,
 * the provisioning CA, the log of its last run).  With --state FILE the
 * flash survives the process, as a phone's survives a power cycle.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "phonesim.h"

static char	*phone_state_escape(const char *);
static char	*phone_state_unescape(const char *);

void
phone_init(struct phone *ph)
{
	memset(ph, 0, sizeof *ph);
	sim_params_init(&ph->device);
	ph->faults.power_loss_at = -1;
}

void
phone_free(struct phone *ph)
{
	free(ph->part);
	free(ph->version);
	free(ph->version_before);
	free(ph->updater);
	free(ph->required);
	free(ph->server);
	free(ph->ztp);
	free(ph->ztp_ca);
	free(ph->state_path);
	free(ph->source);
	free(ph->dhcp_iface);
	free(ph->lldp_iface);
	free(ph->static_ip);
	free(ph->refuse_iface);
	free(ph->learn_iface);
	free(ph->decline_iface);
	free(ph->dhcp_server);
	sim_params_clear(&ph->device);
	free(ph->ca_pem);
	free(ph->ca_sha256);
	sim_buf_free(&ph->applog);
	free(ph->why_no_image);
	free(ph->fail);
	free(ph->handoff);
	sim_buf_free(&ph->ignored);
	sim_buf_free(&ph->ts.saved);
	if (ph->curl != NULL)
		curl_easy_cleanup(ph->curl);
}

/* A log line as the phone writes them: "MMDDhhmmss|module|level|00|text". */
void
phone_log(struct phone *ph, const char *module, const char *fmt, ...)
{
	va_list		 ap;
	char		*msg, stamp[16];
	time_t		 now = time(NULL);
	struct tm	 tm;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		sim_fatalx("out of memory formatting a string");
	va_end(ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%m%d%H%M%S", &tm);
	sim_buf_printf(&ph->applog, "%s|%-5s|4|00|%s\n", stamp, module, msg);
	free(msg);
}

int
phone_is_5x(struct phone *ph)
{
	return (sim_version_major(ph->version) >= 5);
}

/*
 * SIP 2.x to 3.2: a separate BootROM.  UC Software 3.3.0 replaced it with
 * the Updater [M: the 3.3 administrator's guide and the UCS 3.3 release
 * names; not re-read for this].
 */
int
phone_is_legacy(struct phone *ph)
{
	return (sim_version_cmp(ph->version, "3.3.0", 3) < 0);
}

/*
 * Where the phone provisions from now, in the order a phone looks:
 * the boot server of its DHCP lease (unless device.dhcp.bootSrvUseOpt is
 * Static), then device.prov.serverName when a config set one (a hand-off),
 * then its static boot server (--server) until a config changes
 * serverName; with none of these, Polycom ZTP when device.prov.ztpEnabled
 * is 1 or was never set (a factory phone), else nowhere.
 */
const char *
phone_target(struct phone *ph, enum target_kind *kind)
{
	const char		*name, *ztp, *mode;
	enum target_kind	 dummy;

	if (kind == NULL)
		kind = &dummy;
	name = sim_params_get(&ph->device, "device.prov.serverName");
	ztp = sim_params_get(&ph->device, "device.prov.ztpEnabled");
	mode = sim_params_get(&ph->device, "device.dhcp.bootSrvUseOpt");
	*kind = TARGET_BOOT;
	if (ph->dhcp_server != NULL &&
	    (mode == NULL || strcasecmp(mode, "Static") != 0))
		return (ph->dhcp_server);
	if (name != NULL && *name != '\0') {
		*kind = TARGET_HANDOFF;
		return (name);
	}
	if (name == NULL && ph->server != NULL)
		return (ph->server);
	if (ztp == NULL || strcmp(ztp, "1") == 0) {
		*kind = TARGET_ZTP;
		return ("ztp");
	}
	*kind = TARGET_NONE;
	return (NULL);
}

static char *
phone_state_escape(const char *s)
{
	char	*a, *b;

	a = sim_replace(s, "\\", "\\\\");
	b = sim_replace(a, "\n", "\\n");
	free(a);
	return (b);
}

static char *
phone_state_unescape(const char *s)
{
	char	*out, *o;

	o = out = sim_malloc(strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else if (*s == '\\' && s[1] == '\\') {
			*o++ = '\\';
			s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return (out);
}

/* Reads --state FILE when it exists: "version V", "ca PEM", "device N V". */
int
phone_load_state(struct phone *ph, char **cause)
{
	FILE	*fp;
	char	*line = NULL, *sp, *value;
	size_t	 size = 0;
	ssize_t	 n;
	int	 lineno = 0;

	if (ph->state_path == NULL)
		return (0);
	if ((fp = fopen(ph->state_path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		sim_asprintf(cause, "cannot read state file %s: %s",
		    ph->state_path, strerror(errno));
		return (-1);
	}
	while ((n = getline(&line, &size, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		value = phone_state_unescape(sp);
		if (strcmp(line, "version") == 0) {
			free(ph->version);
			ph->version = value;
		} else if (strcmp(line, "ca") == 0) {
			free(ph->ca_pem);
			ph->ca_pem = value;
			free(ph->ca_sha256);
			ph->ca_sha256 = NULL;
		} else if (strcmp(line, "ca_sha256") == 0) {
			free(ph->ca_sha256);
			ph->ca_sha256 = value;
		} else if (strcmp(line, "device") == 0 &&
		    (sp = strchr(value, ' ')) != NULL) {
			*sp++ = '\0';
			sim_params_set(&ph->device, value, sp);
			free(value);
		} else {
			free(value);
			fclose(fp);
			free(line);
			sim_asprintf(cause, "state file %s:%d is not a phone"
			    " state line: delete the file to start afresh",
			    ph->state_path, lineno);
			return (-1);
		}
	}
	free(line);
	fclose(fp);
	return (0);
}

int
phone_save_state(struct phone *ph, char **cause)
{
	FILE			*fp;
	char			*tmp, *e, *v;
	struct sim_param	*p;

	if (ph->state_path == NULL)
		return (0);
	sim_asprintf(&tmp, "%s.tmp", ph->state_path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		sim_asprintf(cause, "cannot write state file %s: %s", tmp,
		    strerror(errno));
		free(tmp);
		return (-1);
	}
	e = phone_state_escape(ph->version);
	fprintf(fp, "version %s\n", e);
	free(e);
	if (ph->ca_pem != NULL) {
		e = phone_state_escape(ph->ca_pem);
		fprintf(fp, "ca %s\nca_sha256 %s\n", e, ph->ca_sha256);
		free(e);
	}
	TAILQ_FOREACH(p, &ph->device, entry) {
		e = phone_state_escape(p->name);
		v = phone_state_escape(p->value);
		fprintf(fp, "device %s %s\n", e, v);
		free(e);
		free(v);
	}
	if (fclose(fp) != 0 || rename(tmp, ph->state_path) != 0) {
		sim_asprintf(cause, "cannot write state file %s: %s",
		    ph->state_path, strerror(errno));
		free(tmp);
		return (-1);
	}
	free(tmp);
	return (0);
}
