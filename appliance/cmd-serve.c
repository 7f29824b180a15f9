/*
 * `ztp-rescue serve`: the daemon.  Options only; serve.c does the work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "oui.h"
#include "serve.h"
#include "ztpcheck.h"

static int	cmd_serve_exec(const struct cmd_entry *, int, char **);

enum {
	OPT_TFTP_PORT = CMD_LONG_ONLY,
	OPT_HTTP_PORT,
	OPT_HTTPS_PORT,
	OPT_SYSLOG_PORT,
	OPT_LIBRARY,
	OPT_CA,
	OPT_MODELS,
	OPT_REPOINT,
	OPT_REPOINT_TEMPLATE,
	OPT_UNKNOWN_VERSION,
	OPT_QUIET_PERIOD,
	OPT_NO_DHCP,
	OPT_IFACE,
	OPT_ADDRESS,
	OPT_FORCE_DHCP,
	OPT_USER,
	OPT_UPLOAD_MAX,
	OPT_UPLOAD_QUOTA,
	OPT_UPLOAD_PHONE_QUOTA,
	OPT_PHONE_LIMIT,
	OPT_NO_VERIFY,
	OPT_REPORT_DIR,
	OPT_SYSLOG_KEEP,
	OPT_DHCP_ANY,
	OPT_OUI_FILE,
	OPT_VLAN,
	OPT_LLDPD_SOCKET,
	OPT_VERIFY_VIA,
	OPT_VERIFY_HOSTS,
	OPT_ZTP_HOST,
	OPT_TFTP_WORKERS,
	OPT_HTTP_WORKERS,
	OPT_MAX_FLASHES
};

static const struct cmd_option cmd_serve_options[] = {
	{ "listen", 'l', "ADDR", "address to serve on (default 0.0.0.0)" },
	{ "tftp-port", OPT_TFTP_PORT, "N", "TFTP port (default 69, 0 = any)" },
	{ "tftp-workers", OPT_TFTP_WORKERS, "N",
	    "threads that run TFTP downloads, each with its own event loop, "
	    "0..64 (default: one per online CPU; 0: all in the main loop)" },
	{ "http-port", OPT_HTTP_PORT, "N", "HTTP port (default 80, 0 = any)" },
	{ "http-workers", OPT_HTTP_WORKERS, "N",
	    "threads that send HTTP image bodies, each with its own event "
	    "loop, 0..64 (default: one per online CPU; 0: all in the main "
	    "loop)" },
	{ "https-port", OPT_HTTPS_PORT, "N",
	    "also serve HTTPS on this port with a self-signed SHA-256 "
	    "certificate made on first start (default: no HTTPS)" },
	{ "syslog-port", OPT_SYSLOG_PORT, "N",
	    "UDP port for phone syslog (default 514; 'off' for none)" },
	{ "state", 's', "DIR",
	    "state directory: journal, uploads, control socket "
	    "(default /var/lib/ztp-rescue)" },
	{ "library", OPT_LIBRARY, "DIR",
	    "firmware library (default STATE/library)" },
	{ "ca", OPT_CA, "PEM",
	    "the SHA-2 CA certificate to install on every phone" },
	{ "models", OPT_MODELS, "FILE",
	    "override target versions (TOKEN<TAB>VERSION lines)" },
	{ "repoint", OPT_REPOINT, "ztp|URL",
	    "where upgraded phones are re-pointed: Polycom ZTP (default) or a "
	    "provisioning server URL" },
	{ "repoint-template", OPT_REPOINT_TEMPLATE, "FILE",
	    "use this trust/re-point template instead of the built-in one "
	    "(see docs/repoint.md)" },
	{ "unknown-version", OPT_UNKNOWN_VERSION, "upgrade|hold",
	    "a phone whose version is unknown is offered its target image "
	    "(upgrade, default) or nothing until its version is known" },
	{ "quiet-period", OPT_QUIET_PERIOD, "SECONDS",
	    "silence after the re-point that counts as repointed-quiet "
	    "(default 120)" },
	{ "max-flashes", OPT_MAX_FLASHES, "N",
	    "times a phone may take the same image whole and come back "
	    "unchanged before it is failed, 1..20 (default 3)" },
	{ "no-dhcp", OPT_NO_DHCP, NULL, "do not run DHCP" },
	{ "iface", OPT_IFACE, "IF", "run DHCP on this interface" },
	{ "address", OPT_ADDRESS, "A/N",
	    "the appliance's address on IF, e.g. 10.99.0.1/24" },
	{ "force-dhcp", OPT_FORCE_DHCP, NULL,
	    "run DHCP even where the interface looks like a production "
	    "network" },
	{ "dhcp-any", OPT_DHCP_ANY, NULL,
	    "answer every DHCP client, not only Polycom phones (by OUI or "
	    "vendor class)" },
	{ "vlan", OPT_VLAN, "VID",
	    "serve DHCP on the 802.1Q interface IF.VID (the phones' voice "
	    "VLAN; made when missing)" },
	{ "lldpd-socket", OPT_LLDPD_SOCKET, "PATH",
	    "ask the lldpd listening on this control socket (on IF) for the "
	    "voice VLAN the switch offers" },
	{ "oui-file", OPT_OUI_FILE, "FILE",
	    "the Polycom OUI list to use instead of the built-in one" },
	{ "foreground", 'f', NULL, "stay in the foreground, log to stderr" },
	{ "user", OPT_USER, "USER",
	    "drop root to USER after binding the ports" },
	{ "upload-max", OPT_UPLOAD_MAX, "BYTES",
	    "largest file a phone may upload (default 16 MiB)" },
	{ "upload-quota", OPT_UPLOAD_QUOTA, "BYTES",
	    "most bytes all uploads together may take (default 1 GiB)" },
	{ "upload-phone-quota", OPT_UPLOAD_PHONE_QUOTA, "BYTES",
	    "most bytes one phone's uploads may take (default 64 MiB)" },
	{ "phone-limit", OPT_PHONE_LIMIT, "N",
	    "most phones a MAC claim no DHCP lease of ours binds may add "
	    "(default 2048; 0: no limit)" },
	{ "no-verify", OPT_NO_VERIFY, NULL,
	    "do not re-hash the library after start (the cheap size and "
	    "mtime checks still run)" },
	{ "report-dir", OPT_REPORT_DIR, "DIR",
	    "keep DIR/ztp-rescue-report.csv and .json up to date as phones "
	    "change (e.g. on a USB stick)" },
	{ "syslog-keep", OPT_SYSLOG_KEEP, "PHONE,TOTAL",
	    "syslog lines kept per phone and in all; the oldest go first "
	    "(default 2000,100000)" },
	{ "verify-via", OPT_VERIFY_VIA, "IF",
	    "check once per CA and re-point target, out of this interface "
	    "(e.g. the laptop's Wi-Fi), that the re-point host resolves and "
	    "presents a chain the installed CA accepts; phones so checked "
	    "become verified (docs/repoint.md)" },
	{ "verify-hosts", OPT_VERIFY_HOSTS, "FILE",
	    "resolve the checked host only from this hosts(5)-style file" },
	{ "ztp-host", OPT_ZTP_HOST, "HOST[:PORT]",
	    "the host checked for the ZTP re-point (default "
	    "ztp.polycom.com:443)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.args = "",
	.summary = "run the recovery daemon: TFTP, HTTP, syslog, DHCP and "
	    "the fleet",
	.options = cmd_serve_options,
	.exec = cmd_serve_exec
};

/* --syslog-keep PHONE,TOTAL */
static int
cmd_serve_keep(const struct cmd_entry *self, const char *arg,
    struct serve_options *o)
{
	unsigned long long	 phone, total;
	char			*end;

	errno = 0;
	phone = strtoull(arg, &end, 10);
	if (errno == 0 && end != arg && *end == ',' && arg[0] != '-') {
		arg = end + 1;
		total = strtoull(arg, &end, 10);
		if (errno == 0 && end != arg && *end == '\0' &&
		    arg[0] != '-' && phone > 0 && total >= phone &&
		    total <= 100000000ULL) {
			o->syslog_keep_phone = (int64_t)phone;
			o->syslog_keep_total = (int64_t)total;
			return (0);
		}
	}
	cmd_usage_error(self, "--syslog-keep wants PHONE,TOTAL: two counts of "
	    "lines, TOTAL at least PHONE (e.g. 2000,100000)");
	return (-1);
}

static int
cmd_serve_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct serve_options	 o;
	const char		*arg;
	unsigned long		 v;
	unsigned		 port;
	char			*cause = NULL, *host;
	int			 c, first;

	serve_options_defaults(&o);
	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 'l':
			o.listen = arg;
			break;
		case 's':
			o.state_dir = arg;
			break;
		case 'f':
			o.foreground = 1;
			break;
		case OPT_TFTP_PORT:
			if (cmd_parse_uint(self, "--tftp-port", arg, 0, 65535,
			    &v) != 0)
				return (EXIT_USAGE);
			o.tftp_port = v;
			break;
		case OPT_HTTP_PORT:
			if (cmd_parse_uint(self, "--http-port", arg, 0, 65535,
			    &v) != 0)
				return (EXIT_USAGE);
			o.http_port = v;
			break;
		case OPT_HTTPS_PORT:
			if (cmd_parse_uint(self, "--https-port", arg, 1, 65535,
			    &v) != 0)
				return (EXIT_USAGE);
			o.https_port = v;
			break;
		case OPT_SYSLOG_PORT:
			if (strcmp(arg, "off") == 0) {
				o.syslog_port = -1;
				break;
			}
			if (cmd_parse_uint(self, "--syslog-port", arg, 0, 65535,
			    &v) != 0)
				return (EXIT_USAGE);
			o.syslog_port = (int)v;
			break;
		case OPT_SYSLOG_KEEP:
			if (cmd_serve_keep(self, arg, &o) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_LIBRARY:
			o.library_dir = arg;
			break;
		case OPT_CA:
			o.ca_file = arg;
			break;
		case OPT_MODELS:
			o.models_file = arg;
			break;
		case OPT_REPOINT:
			o.repoint = arg;
			o.repoint_set = 1;
			break;
		case OPT_REPOINT_TEMPLATE:
			o.repoint_template = arg;
			break;
		case OPT_UNKNOWN_VERSION:
			if (strcmp(arg, "upgrade") == 0)
				o.unknown_version = UNKNOWN_UPGRADE;
			else if (strcmp(arg, "hold") == 0)
				o.unknown_version = UNKNOWN_HOLD;
			else
				return (cmd_usage_error(self, "--unknown-version "
				    "must be 'upgrade' or 'hold', not '%s'",
				    arg));
			o.unknown_version_set = 1;
			break;
		case OPT_QUIET_PERIOD:
			if (cmd_parse_uint(self, "--quiet-period", arg, 1,
			    86400, &v) != 0)
				return (EXIT_USAGE);
			o.quiet_period = v;
			break;
		case OPT_MAX_FLASHES:
			if (cmd_parse_uint(self, "--max-flashes", arg,
			    FLEET_MAX_FLASHES_MIN, FLEET_MAX_FLASHES_MAX,
			    &v) != 0)
				return (EXIT_USAGE);
			o.max_flashes = v;
			o.max_flashes_set = 1;
			break;
		case OPT_NO_DHCP:
			o.no_dhcp = 1;
			break;
		case OPT_IFACE:
			o.iface = arg;
			break;
		case OPT_ADDRESS:
			o.address = arg;
			break;
		case OPT_FORCE_DHCP:
			o.force_dhcp = 1;
			break;
		case OPT_USER:
			o.user = arg;
			break;
		case OPT_TFTP_WORKERS:
			if (cmd_parse_uint(self, "--tftp-workers", arg, 0,
			    TFTP_WORKERS_MAX, &v) != 0)
				return (EXIT_USAGE);
			o.tftp_workers = v;
			break;
		case OPT_HTTP_WORKERS:
			if (cmd_parse_uint(self, "--http-workers", arg, 0,
			    TFTP_WORKERS_MAX, &v) != 0)
				return (EXIT_USAGE);
			o.http_workers = v;
			break;
		case OPT_UPLOAD_MAX:
			if (cmd_parse_uint(self, "--upload-max", arg, 1,
			    ~0UL, &v) != 0)
				return (EXIT_USAGE);
			o.upload_max = v;
			break;
		case OPT_UPLOAD_QUOTA:
			if (cmd_parse_uint(self, "--upload-quota", arg, 1,
			    ~0UL, &v) != 0)
				return (EXIT_USAGE);
			o.upload_quota = v;
			break;
		case OPT_UPLOAD_PHONE_QUOTA:
			if (cmd_parse_uint(self, "--upload-phone-quota", arg, 1,
			    ~0UL, &v) != 0)
				return (EXIT_USAGE);
			o.upload_phone_quota = v;
			break;
		case OPT_PHONE_LIMIT:
			if (cmd_parse_uint(self, "--phone-limit", arg, 0,
			    1000000, &v) != 0)
				return (EXIT_USAGE);
			o.phone_limit = v;
			break;
		case OPT_NO_VERIFY:
			o.no_verify = 1;
			break;
		case OPT_REPORT_DIR:
			o.report_dir = arg;
			break;
		case OPT_DHCP_ANY:
			o.dhcp_any = 1;
			break;
		case OPT_LLDPD_SOCKET:
			o.lldpd_socket = arg;
			break;
		case OPT_VERIFY_VIA:
			o.verify_via = arg;
			break;
		case OPT_VERIFY_HOSTS:
			o.verify_hosts = arg;
			break;
		case OPT_ZTP_HOST:
			if (ztpcheck_target(arg, &host, &port, &cause) != 0) {
				cmd_usage_error(self, "--ztp-host: %s", cause);
				free(cause);
				return (EXIT_USAGE);
			}
			free(host);
			o.ztp_host = arg;
			break;
		case OPT_VLAN:
			if (cmd_parse_uint(self, "--vlan", arg, 1, 4094,
			    &v) != 0)
				return (EXIT_USAGE);
			o.vlan = v;
			break;
		case OPT_OUI_FILE:
			if (oui_load(arg, &cause) != 0) {
				cmd_usage_error(self, "%s", cause);
				free(cause);
				return (EXIT_USAGE);
			}
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (o.iface != NULL && !o.no_dhcp && o.address == NULL)
		return (cmd_usage_error(self, "--iface needs --address A/N "
		    "(the appliance's own address on that segment)"));
	return (serve_main(&o) == 0 ? EXIT_OK : EXIT_RUNTIME);
}
