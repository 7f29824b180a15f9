/*
 * Setting up the daemon: the state directory, the journal and the fleet it
 * continues, the models, the library and the CA, then every listening
 * socket, then (as root) dropping to the service user, then the loop.
 * Anything the operator got wrong is reported before a single port is
 * bound, so a failed start leaves nothing half-running.
 *
 * Without --foreground the process goes into the background first, as
 * tmux's server does, and the one that stays opens everything: the journal's
 * SQLite connection and dnsmasq (a child it must reap) never cross a fork.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "dhcp.h"
#include "embedded.h"
#include "fileio.h"
#include "handover.h"
#include "http.h"
#include "journal.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "params.h"
#include "lldp.h"
#include "serve.h"
#include "syslog.h"
#include "tftp.h"
#include "trust.h"
#include "upload.h"
#include "xmalloc.h"

static int	serve_setup(struct serve *, char **);
static int	serve_dhcp_config(struct serve *, struct dhcp_config *,
		    const char *, const char *, int, int *, char **);
static int	serve_listen(struct serve *, char **);
static int	serve_drop_privileges(struct serve *, char **);
static int	serve_keep_net_caps(char **);
static int	serve_load_template(struct serve *, char **);
static void	serve_tick(evutil_socket_t, short, void *);
static void	serve_journal_tick(evutil_socket_t, short, void *);
static void	serve_signal(evutil_socket_t, short, void *);
static void	serve_teardown(struct serve *);
static int	serve_background(void);
static void	serve_detach(int);
static void	serve_dhcp_remember(struct serve *, const char *, const char *);
static void	serve_journal_aside_note(struct serve *);

void
serve_options_defaults(struct serve_options *o)
{
	memset(o, 0, sizeof *o);
	o->listen = "0.0.0.0";
	o->tftp_port = 69;
	o->tftp_workers = -1;
	o->http_workers = -1;
	o->http_port = 80;
	o->syslog_port = 514;
	o->syslog_keep_phone = JOURNAL_SYSLOG_PER_PHONE;
	o->syslog_keep_total = JOURNAL_SYSLOG_TOTAL;
	o->state_dir = CONTROL_DEFAULT_STATE;
	o->repoint = "ztp";
	o->unknown_version = UNKNOWN_UPGRADE;
	o->quiet_period = 120;
	o->max_flashes = FLEET_MAX_FLASHES;
	o->upload_max = 16 * 1024 * 1024;
	o->upload_quota = 1024ULL * 1024 * 1024;
	o->upload_phone_quota = 64 * 1024 * 1024;
	o->phone_limit = SERVE_PHONE_LIMIT;
}

static int
serve_load_template(struct serve *s, char **cause)
{
	const char	*name, *bytes;
	size_t		 len;
	char		*buf;

	if (s->opt.repoint_template != NULL) {
		if ((buf = fileio_read(s->opt.repoint_template,
		    "the template", 1024 * 1024, &len, cause)) == NULL)
			return (-1);
		name = s->opt.repoint_template;
	} else {
		name = s->repoint_url != NULL ? "repoint-server.xml" :
		    "repoint-ztp.xml";
		if ((bytes = embedded_get(name, &len)) == NULL) {
			xasprintf(cause, "the built-in template %s is missing",
			    name);
			return (-1);
		}
		buf = xmalloc(len + 1);
		memcpy(buf, bytes, len + 1);
	}
	if (provision_check_template(buf, len, name, s->params, s->models,
	    s->repoint_url, cause) != 0) {
		free(buf);
		return (-1);
	}
	free(s->template);
	free(s->template_name);
	s->template = buf;
	s->template_len = len;
	s->template_name = xstrdup(name);
	return (0);
}

void
serve_refresh_provision(struct serve *s)
{
	s->prov.models = s->models;
	s->prov.library = s->library;
	s->prov.template = s->template;
	s->prov.template_len = s->template_len;
	s->prov.template_name = s->template_name;
	s->prov.server_url = s->repoint_url;
	fleet_set_trust(s->fleet, s->ca != NULL ? s->ca->sha256 : "",
	    s->repoint_url != NULL ? s->repoint_url : "ztp");
}

/*
 * The URL names this appliance's own TFTP, HTTP or HTTPS server: an address
 * of this host (it binds) and one of our ports.  Phones re-pointed there
 * come back here at every boot, and were then failed as phones that ignore
 * the re-point.
 */
static int
serve_repoint_is_self(struct serve *s, const char *url, char **cause)
{
	struct addrinfo		 hints, *ai = NULL;
	char			 host[256];
	unsigned		 port;
	int			 fd, self = 0;

	provision_server_url_host(url, host, sizeof host, &port);
	if (port == 0 || (port != s->opt.tftp_port &&
	    port != s->opt.http_port && (s->opt.https_port == 0 ||
	    port != s->opt.https_port)))
		return (0);
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if (strcasecmp(host, "localhost") == 0)
		self = 1;
	else if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
		if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) != -1) {
			/* Port 0 of one of our own addresses binds. */
			self = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
			close(fd);
		}
		freeaddrinfo(ai);
	}
	if (self)
		xasprintf(cause, "re-point target '%s' is this appliance itself "
		    "(%s port %u): phones re-pointed there come back here at "
		    "every boot; give your provisioning server's address, or "
		    "'ztp'", url, host, port);
	return (self);
}

int
serve_set_repoint(struct serve *s, const char *target, char **cause)
{
	char	*old = s->repoint_url;

	if (strcmp(target, "ztp") == 0)
		s->repoint_url = NULL;
	else if (provision_check_server_url(target, cause) != 0)
		return (-1);
	else if (serve_repoint_is_self(s, target, cause))
		return (-1);
	else
		s->repoint_url = xstrdup(target);
	if (serve_load_template(s, cause) != 0) {
		if (s->repoint_url != old)
			free(s->repoint_url);
		s->repoint_url = old;
		return (-1);
	}
	if (old != s->repoint_url)
		free(old);
	serve_refresh_provision(s);
	return (0);
}

/* Check and install a CA; it is kept as STATE/ca.pem for restarts. */
int
serve_set_ca(struct serve *s, const char *path, char **cause)
{
	struct trust_ca	*ca;
	char		*keep, *why = NULL;

	if ((ca = trust_load_ca(path, time(NULL), cause)) == NULL)
		return (-1);
	/* Not installed unless kept: a restart must give the phones this CA. */
	xasprintf(&keep, "%s/ca.pem", s->opt.state_dir);
	if (strcmp(path, keep) != 0 && fileio_replace(keep, ca->pem,
	    strlen(ca->pem), 0644, 0, &why) != 0) {
		xasprintf(cause, "CA %s not installed: %s", ca->subject, why);
		free(why);
		free(keep);
		trust_ca_free(ca);
		return (-1);
	}
	free(keep);
	trust_ca_free(s->ca);
	s->ca = ca;
	serve_refresh_provision(s);
	log_info("CA %s (SHA-256 %s) installed for phones", ca->subject,
	    ca->sha256);
	return (0);
}

/*
 * The journal set aside at start: said in the log and kept in the new
 * journal, so that the report read from it says where the rest is.
 */
static void
serve_journal_aside_note(struct serve *s)
{
	struct journal_event	 ev;
	char			*copied, *evidence;
	int			 rc;

	/*
	 * One page SQLite cannot read (a stick pulled while it wrote) must
	 * not cost the record of a whole closet: every row still readable
	 * goes into the new journal, and the report shows those phones.
	 */
	rc = journal_salvage(s->journal, s->journal_aside, &copied);
	log_error("journal: %s/%s was damaged (%s): it is kept as %s, and a "
	    "new journal is started; %s; %s (copy it off the stick: 'sqlite3 "
	    "FILE .dump > journal.sql' on any Linux machine writes out every "
	    "row it can still read)",
	    s->opt.state_dir, JOURNAL_FILE, s->journal_aside_why,
	    s->journal_aside, copied, rc == 1 ? "what was lost is not in the "
	    "new one" : "the phones it held are not in the new one");
	xasprintf(&evidence, "%s; %s", s->journal_aside_why, copied);
	memset(&ev, 0, sizeof ev);
	ev.ts = serve_now();
	ev.mac = "";
	ev.kind = "note";
	ev.fact = "journal-set-aside";
	ev.value = s->journal_aside;
	ev.evidence = evidence;
	journal_add_event(s->journal, &ev);
	free(evidence);
	free(copied);
}

/*
 * flock() the state directory.  A daemon killed a moment ago may have left
 * a child that inherited the lock (the report's writer, the 6 s DHCP probe):
 * up to SERVE_HOLD_WAIT_MS for it to end, then EWOULDBLOCK.
 */
static int
serve_hold_state(int fd)
{
	struct timespec	pause = { 0, 100 * 1000 * 1000 };
	int		i;

	for (i = 0; i < SERVE_HOLD_WAIT_MS / 100; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return (0);
		if (errno != EWOULDBLOCK && errno != EINTR)
			return (-1);
		nanosleep(&pause, NULL);
	}
	errno = EWOULDBLOCK;
	return (-1);
}

static int
serve_setup(struct serve *s, char **cause)
{
	struct fleet_config	 fc;
	char			*libdir, *keep, *why, *sock, self[4096];
	int			 busy;
	const char		*env;
	ssize_t			 n;

	if (mkdir(s->opt.state_dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "cannot create the state directory %s: %s",
		    s->opt.state_dir, strerror(errno));
		return (-1);
	}
	/*
	 * Its full path, for dnsmasq: it runs from / and reads its hosts
	 * file and lease hook by the paths written for it.  A relative
	 * --state gave it paths it never found: no lease was heard, and
	 * re-pointed phones were still given the boot server.  The daemon
	 * itself keeps the path as given (its control socket's path has a
	 * length limit a full path could pass).
	 */
	if (s->opt.state_dir[0] != '/' &&
	    (s->state_abs = realpath(s->opt.state_dir, NULL)) == NULL) {
		xasprintf(cause, "cannot find the full path of the state "
		    "directory %s: %s", s->opt.state_dir, strerror(errno));
		return (-1);
	}
	/* Before any port: the one in use would be blamed on another server. */
	xasprintf(&sock, "%s/%s", s->opt.state_dir, CONTROL_SOCKET_NAME);
	busy = control_server_answered(sock, cause);
	free(sock);
	if (busy)
		return (-1);
	/*
	 * The socket is not a lock: with it moved or deleted, a second
	 * daemon wrote the same journal, and phones went back.  The
	 * directory is held for as long as this daemon runs.
	 */
	if ((s->state_lock = open(s->opt.state_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || serve_hold_state(s->state_lock) == -1) {
		if (errno == EWOULDBLOCK)
			xasprintf(cause, "another ztp-rescue serve is using the "
			    "state directory %s (its control socket %s is gone, "
			    "but it runs): stop it first", s->opt.state_dir,
			    CONTROL_SOCKET_NAME);
		else
			xasprintf(cause, "cannot hold the state directory %s: "
			    "%s", s->opt.state_dir, strerror(errno));
		return (-1);
	}
	/* Jobs run this executable (readable before root is dropped). */
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	s->self_exe = xstrdup(n > 0 ? self : "/usr/sbin/ztp-rescue");
	if ((s->models = model_table_load_default(cause)) == NULL)
		return (-1);
	if ((s->params = param_table_load_default(cause)) == NULL)
		return (-1);
	/* Stored settings first, so that --models wins per model. */
	serve_settings_load(s);
	if (s->opt.models_file != NULL && model_table_apply_overrides(
	    s->models, s->opt.models_file, cause) != 0)
		return (-1);
	if (s->opt.library_dir != NULL)
		libdir = xstrdup(s->opt.library_dir);
	else
		xasprintf(&libdir, "%s/library", s->opt.state_dir);
	s->library = library_open(libdir, cause);
	free(libdir);
	if (s->library == NULL)
		return (-1);
	if (journal_salvage_pending(s->opt.state_dir, &s->journal_aside,
	    &s->journal_aside_why) == 0 &&
	    journal_set_aside_damaged(s->opt.state_dir, &s->journal_aside,
	    &s->journal_aside_why) == -1) {
		xasprintf(cause, "the journal is damaged, and %s",
		    s->journal_aside_why);
		return (-1);
	}
	if ((s->journal = journal_open(s->opt.state_dir, 0, cause)) == NULL)
		return (-1);
	if (s->journal_aside != NULL) {
		serve_journal_aside_note(s);
		/* Committed and synced: what was copied is in the journal. */
		if (journal_flush(s->journal) == 0)
			journal_salvage_done(s->opt.state_dir);
	}
	journal_set_syslog_caps(s->journal, s->opt.syslog_keep_phone,
	    s->opt.syslog_keep_total);
	/* ZTP_JOURNAL_GROUP=0: every write commits alone (for comparison). */
	if ((env = getenv("ZTP_JOURNAL_GROUP")) != NULL && strcmp(env, "0") == 0)
		journal_set_group(s->journal, 0);
	memset(&fc, 0, sizeof fc);
	fc.unknown_version = s->opt.unknown_version;
	fc.quiet_ms = (int64_t)s->opt.quiet_period * 1000;
	fc.max_returns = 3;
	fc.listening_since = serve_now();
	fc.max_flashes = s->opt.max_flashes;
	s->fleet = fleet_new(s->journal, s->models, &fc);
	if (fleet_load(s->fleet, cause) != 0)
		return (-1);
	fleet_set_notify(s->fleet, serve_phone_changed, s);
	fleet_set_forgot(s->fleet, serve_phone_forgotten);
	fleet_restarted(s->fleet, serve_now());
	serve_watch_clock(s);
	if (strcmp(s->opt.repoint, "ztp") != 0) {
		if (provision_check_server_url(s->opt.repoint, &why) != 0) {
			if (s->opt.repoint_set) {
				xasprintf(cause, "--repoint: %s", why);
				free(why);
				return (-1);
			}
			/* Kept by an older version: not a reason not to run. */
			log_warn("settings: %s; phones go to ZTP until another "
			    "target is set", why);
			free(why);
		} else
			s->repoint_url = xstrdup(s->opt.repoint);
	}
	if (serve_load_template(s, cause) != 0)
		return (-1);
	serve_refresh_provision(s);
	xasprintf(&keep, "%s/ca.pem", s->opt.state_dir);
	if (s->opt.ca_file != NULL) {
		if (serve_set_ca(s, s->opt.ca_file, cause) != 0) {
			free(keep);
			return (-1);
		}
	} else if (access(keep, R_OK) == 0 && serve_set_ca(s, keep,
	    cause) != 0) {
		log_warn("the CA kept from an earlier run is refused now: %s",
		    *cause);
		free(*cause);
		*cause = NULL;
	}
	free(keep);
	return (0);
}

/*
 * The protocol servers' hooks, each in a journal scope: the facts learnt
 * while a request is resolved are fsynced once, before the answer goes out;
 * those learnt from a transfer's end or a syslog line (nothing is answered)
 * by the next flush, reply or request of the same phone.
 */
static int
serve_tftp_resolve_j(void *arg, const struct tftp_request *r,
    struct tftp_content *c, char **cause)
{
	struct serve	*s = arg;
	int		 rc;

	journal_scope_begin(s->journal, JOURNAL_SCOPE_REPLY);
	rc = serve_tftp_resolve(arg, r, c, cause);
	journal_scope_end(s->journal);
	return (rc);
}

static void
serve_xfer_event_j(void *arg, const struct xfer_event *ev)
{
	struct serve	*s = arg;

	journal_scope_begin(s->journal, JOURNAL_SCOPE_EVENT);
	serve_xfer_event(arg, ev);
	journal_scope_end(s->journal);
}

static int
serve_http_resolve_j(void *arg, const struct http_request_info *r,
    struct http_content *c, char **cause)
{
	struct serve	*s = arg;
	int		 rc;

	journal_scope_begin(s->journal, JOURNAL_SCOPE_REPLY);
	rc = serve_http_resolve(arg, r, c, cause);
	journal_scope_end(s->journal);
	return (rc);
}

/*
 * An HTTP request from a phone with a TFTP download on a worker waits for
 * that download's last events: the fleet judges it knowing how it ended.
 */
static void *
serve_http_hold(void *arg, const struct sockaddr *peer, socklen_t len,
    void (*done)(void *), void *done_arg)
{
	struct serve	*s = arg;

	return (tftp_server_hold(s->tftp, peer, len, done, done_arg));
}

static void
serve_http_unhold(void *arg, void *handle)
{
	struct serve	*s = arg;

	tftp_server_unhold(s->tftp, handle);
}

static void
serve_syslog_line_j(void *arg, const char *ip, const char *line, size_t len)
{
	struct serve	*s = arg;

	journal_scope_begin(s->journal, JOURNAL_SCOPE_EVENT);
	serve_syslog_line(arg, ip, line, len);
	journal_scope_end(s->journal);
}

static void
serve_uploads_settle(void *arg, uint64_t upto)
{
	upload_store_settle_upto(arg, upto);
}

static int
serve_listen(struct serve *s, char **cause)
{
	struct tftp_config	 tc;
	struct tftp_hooks	 th;
	struct http_config	 hc;
	struct http_hooks	 hh;
	char			*updir, *tlsdir, *cert = NULL, *key = NULL;

	xasprintf(&updir, "%s/uploads", s->opt.state_dir);
	s->uploads = upload_store_open(updir, UPLOAD_PHONE_FILES,
	    s->opt.upload_max, cause);
	free(updir);
	if (s->uploads == NULL)
		return (-1);
	{
		struct upload_limits	ul;

		/* A hostile client fills at most the quotas, never the disk. */
		ul.total_max = s->opt.upload_quota;
		ul.phone_max = s->opt.upload_phone_quota;
		ul.reserve = 0;		/* the store's own, for its disk */
		upload_store_set_limits(s->uploads, &ul);
	}
	/* No fsynced fact names an upload a power cut could take. */
	journal_set_presync(s->journal, serve_uploads_settle, s->uploads);

	tftp_config_defaults(&tc);
	tc.listen = s->opt.listen;
	tc.port = s->opt.tftp_port;
	tc.uploads = s->uploads;
	tc.workers = s->opt.tftp_workers < 0 ? tftp_workers_default() :
	    (unsigned)s->opt.tftp_workers;
	th.resolve = serve_tftp_resolve_j;
	th.event = serve_xfer_event_j;
	th.arg = s;
	if ((s->tftp = tftp_server_start(s->base, &tc, &th, cause)) == NULL)
		return (-1);

	http_config_defaults(&hc);
	hc.listen = s->opt.listen;
	hc.port = s->opt.http_port;
	hc.uploads = s->uploads;
	hc.max_upload = s->opt.upload_max;
	hc.senders = s->opt.http_workers < 0 ? tftp_workers_default() :
	    (unsigned)s->opt.http_workers;
	if (s->opt.https_port != 0) {
		xasprintf(&tlsdir, "%s/tls", s->opt.state_dir);
		if (trust_server_cert(tlsdir, &cert, &key, cause) != 0) {
			free(tlsdir);
			return (-1);
		}
		free(tlsdir);
		hc.tls_port = s->opt.https_port;
		hc.cert_file = cert;
		hc.key_file = key;
	}
	memset(&hh, 0, sizeof hh);
	hh.resolve = serve_http_resolve_j;
	hh.event = serve_xfer_event_j;
	hh.hold = serve_http_hold;
	hh.unhold = serve_http_unhold;
	hh.arg = s;
	s->http = http_server_start(s->base, &hc, &hh, cause);
	free(cert);
	free(key);
	if (s->http == NULL)
		return (-1);

	if (s->opt.syslog_port >= 0 && (s->syslog = syslog_server_start(
	    s->base, s->opt.listen, (unsigned)s->opt.syslog_port,
	    serve_syslog_line_j, s, cause)) == NULL)
		return (-1);

	if ((s->control = control_server_start(s->base, s->opt.state_dir,
	    cause)) == NULL)
		return (-1);
	serve_control_register(s);

	if (s->opt.iface != NULL && !s->opt.no_dhcp &&
	    serve_dhcp_start(s, s->opt.iface, s->opt.address,
	    s->opt.force_dhcp, cause) != 0)
		return (-1);
	return (0);
}

/*
 * DHCP on iface with the appliance at address (A/N): at start, or later
 * from the control socket.  Options 66/160 carry the HTTP port served.
 */
static int
serve_dhcp_config(struct serve *s, struct dhcp_config *dcp, const char *iface,
    const char *address, int force, int *made, char **cause)
{
	struct dhcp_config	 dc;
	struct passwd		*pw;
	char			*why = NULL;
	unsigned		 port = http_server_port(s->http);
	size_t			 hlen = strcspn(address, "/");

	/* Static: the configuration is handed on after this returns. */
	static char		 vname[32];

	*made = 0;
	memset(&dc, 0, sizeof dc);
	dc.iface = iface;
	dc.address = address;
	dc.state_dir = s->state_abs != NULL ? s->state_abs : s->opt.state_dir;
	dc.force = force;
	dc.any = s->opt.dhcp_any;
	dc.hook_path = s->self_exe;
	/*
	 * dnsmasq drops root to the daemon's user, so that the daemon can
	 * still signal (and restart) it once it has dropped root too; it
	 * reads the hosts file in the state directory as that user.
	 */
	if (s->opt.user != NULL) {
		if ((pw = getpwnam(s->opt.user)) == NULL) {
			xasprintf(cause, "no user '%s' to run as (create it, "
			    "or leave out --user)", s->opt.user);
			return (-1);
		}
		if (geteuid() == 0 && handover(s->opt.state_dir, pw->pw_uid,
		    pw->pw_gid, &why) != 0) {
			xasprintf(cause, "cannot hand the state directory %s "
			    "to %s: %s", s->opt.state_dir, s->opt.user,
			    why != NULL ? why : "it does not exist");
			free(why);
			return (-1);
		}
		dc.user = s->opt.user;
	}
	/* Last: a failure after it would leave the interface it made. */
	if (s->opt.vlan != 0) {		/* the phones' voice VLAN */
		if (vlan_ensure(iface, s->opt.vlan, vname, sizeof vname, made,
		    cause) != 0)
			return (-1);
		dc.iface = vname;
		dc.vlan_parent = iface;
		dc.vlan_id = s->opt.vlan;
	}
	free(s->boot_url);
	if (port == 80)
		xasprintf(&s->boot_url, "http://%.*s/", (int)hlen, address);
	else
		xasprintf(&s->boot_url, "http://%.*s:%u/", (int)hlen, address,
		    port);
	dc.boot_url = s->boot_url;
	*dcp = dc;
	return (0);
}

/* Where DHCP runs, so that a move to a VLAN needs nothing more. */
static void
serve_dhcp_remember(struct serve *s, const char *iface, const char *address)
{
	char	*i = xstrdup(iface), *a = xstrdup(address);

	free(s->dhcp_iface);
	free(s->dhcp_address);
	s->dhcp_iface = i;
	s->dhcp_address = a;
}

int
serve_dhcp_start(struct serve *s, const char *iface, const char *address,
    int force, char **cause)
{
	struct dhcp_config	 dc;
	char			*why = NULL;
	int			 made;

	if (serve_dhcp_config(s, &dc, iface, address, force, &made,
	    cause) != 0)
		return (-1);
	if ((s->dhcp = dhcp_start(s->base, &dc, serve_closet_lease, s,
	    cause)) == NULL) {
		/* The 802.1Q interface made for it goes with the start. */
		if (made && vlan_remove(dc.iface, &why) != 0) {
			log_warn("dhcp: %s", why);
			free(why);
		}
		return (-1);
	}
	dhcp_set_ignored_fn(s->dhcp, serve_closet_ignored, s);
	dhcp_set_new_link_fn(s->dhcp, serve_closet_relisten, s);
	serve_dhcp_remember(s, iface, address);
	s->dhcp_force = force;
	serve_closet_start(s, iface, address);
	return (0);
}

int
serve_dhcp_start_async(struct serve *s, const char *iface,
    const char *address, int force, int skip_probe,
    void (*fn)(void *, struct dhcp *, const char *), char **cause)
{
	struct dhcp_config	 dc;
	int			 made;	/* the move keeps its own account */

	if (serve_dhcp_config(s, &dc, iface, address, force, &made,
	    cause) != 0)
		return (-1);
	dc.skip_probe = skip_probe;
	if (dhcp_start_async(s->base, &dc, serve_closet_lease, s, fn, s,
	    &s->dhcp, cause) != 0)
		return (-1);
	dhcp_set_ignored_fn(s->dhcp, serve_closet_ignored, s);
	dhcp_set_new_link_fn(s->dhcp, serve_closet_relisten, s);
	serve_dhcp_remember(s, iface, address);
	s->dhcp_force = force;
	serve_closet_start(s, iface, address);
	return (0);
}

static int
serve_drop_privileges(struct serve *s, char **cause)
{
	struct passwd	*pw;
	const char	*files[] = { "", JOURNAL_FILE, JOURNAL_FILE "-wal",
			    JOURNAL_FILE "-shm", "uploads", "library",
			    CONTROL_SOCKET_NAME, "ca.pem", "settings.json",
			    DHCP_CONF_NAME, DHCP_LEASES_NAME, DHCP_HOSTS_NAME,
			    DHCP_HOOK_NAME, DHCP_SOCKET_NAME,
			    DHCP_CHILD_PID_NAME, NULL };
	char		*path, *why = NULL;
	int		 i, keep_caps;

	if (s->opt.user == NULL || geteuid() != 0)
		return (0);
	if ((pw = getpwnam(s->opt.user)) == NULL) {
		xasprintf(cause, "no user '%s' to run as (create it, or leave "
		    "out --user)", s->opt.user);
		return (-1);
	}
	/* Never through a link planted in the state directory. */
	for (i = 0; files[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", s->opt.state_dir, files[i]);
		if (handover(path, pw->pw_uid, pw->pw_gid, &why) == -1) {
			log_warn("cannot hand a file to %s: %s", s->opt.user,
			    why);
			free(why);
			why = NULL;
		}
		free(path);
	}
	/*
	 * Imports run as the user: they write LIBRARY/.tmp-* and rename it
	 * into LIBRARY/packages (the packages already there stay root's).
	 */
	for (i = 0; i < 2; i++) {
		xasprintf(&path, "%s%s", s->library->dir, i == 0 ? "" :
		    "/packages");
		if (handover(path, pw->pw_uid, pw->pw_gid, &why) == -1) {
			log_warn("cannot hand a folder to %s: %s", s->opt.user,
			    why);
			free(why);
			why = NULL;
		}
		free(path);
	}
	/* DHCP can be started (or dnsmasq restarted) after the drop. */
	keep_caps = !s->opt.no_dhcp;
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		xasprintf(cause, "cannot keep capabilities: %s",
		    strerror(errno));
		return (-1);
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		xasprintf(cause, "cannot drop privileges to %s: %s",
		    s->opt.user, strerror(errno));
		return (-1);
	}
	if (keep_caps && serve_keep_net_caps(cause) != 0)
		return (-1);
	if (setuid(0) != -1) {
		xasprintf(cause, "still root after dropping to %s", s->opt.user);
		return (-1);
	}
	log_info("running as %s%s", s->opt.user, keep_caps ? " with "
	    "CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE for DHCP" :
	    "");
	return (0);
}

/*
 * After setuid with PR_SET_KEEPCAPS: keep only what DHCP needs (port 67 and
 * 68, raw and packet sockets, the interface's address) and make it ambient,
 * so that a dnsmasq restarted by the daemon has it too.  Nothing else of
 * root survives (no file access, no setuid back).
 */
static int
serve_keep_net_caps(char **cause)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];
	const int			 caps[] = { CAP_NET_ADMIN,
					    CAP_NET_RAW, CAP_NET_BIND_SERVICE };
	uint32_t			 mask = 0;
	size_t				 i;

	for (i = 0; i < sizeof caps / sizeof caps[0]; i++)
		mask |= 1U << caps[i];
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = data[0].inheritable = mask;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		xasprintf(cause, "cannot keep the network capabilities DHCP "
		    "needs: %s", strerror(errno));
		return (-1);
	}
	for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
		    (unsigned long)caps[i], 0, 0) == -1) {
			xasprintf(cause, "cannot pass the network "
			    "capabilities on to dnsmasq: %s", strerror(errno));
			return (-1);
		}
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return (0);
}

static void
serve_tick(evutil_socket_t fd, short events, void *arg)
{
	struct serve	*s = arg;

	/* A phone repointed-quiet by silence: nothing is answered on it. */
	journal_scope_begin(s->journal, JOURNAL_SCOPE_EVENT);
	/* A cable out: silence is not heard (dhcp-link.c says why). */
	fleet_set_listening(s->fleet, s->dhcp == NULL ||
	    dhcp_link_problem(s->dhcp) == NULL, serve_now());
	fleet_tick(s->fleet, serve_now());
	journal_scope_end(s->journal);
	serve_phones_tick(s);
	serve_ztp_tick(s);
	serve_log_tick(s);
	serve_report_tick(s, serve_now());
}

/*
 * The journal's grouped writes (touches, byte counts, syslog lines, the
 * syslog rate limit's count), committed: every JOURNAL_FLUSH_MS, before the
 * report writer reads the journal, and at shutdown.
 */
void
serve_journal_flush(struct serve *s)
{
	serve_journal_sync(s);
	journal_flush_async(s->journal);
}

/* The syslog rate limit's refusals since the last call, to the journal. */
void
serve_journal_sync(struct serve *s)
{
	uint64_t	limited;

	limited = syslog_server_limited(s->syslog);
	if (limited > s->syslog_limited) {
		journal_counter_add(s->journal, "syslog_limited",
		    (int64_t)(limited - s->syslog_limited));
		s->syslog_limited = limited;
	}
}

static void
serve_journal_tick(evutil_socket_t fd, short events, void *arg)
{
	serve_journal_flush(arg);
}

static void
serve_signal(evutil_socket_t sig, short events, void *arg)
{
	struct serve	*s = arg;
	char		*cause = NULL;

	if (sig == SIGHUP) {
		if (serve_library_reload(s, &cause) != 0) {
			log_warn("library reload: %s", cause);
			free(cause);
			return;
		}
		log_info("library reloaded: %zu packages",
		    s->library->npackages);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(s->base);
}

static void
serve_teardown(struct serve *s)
{
	serve_jobs_free(s);
	serve_ztp_free(s);
	if (s->journal != NULL)
		serve_journal_flush(s);
	serve_report_flush(s);
	serve_closet_free(s);
	if (s->dhcp != NULL)
		dhcp_stop(s->dhcp);
	if (s->dhcp_later != NULL) {
		control_answer(s->dhcp_later, NULL, "the daemon stopped before "
		    "DHCP started");
		s->dhcp_later = NULL;
	}
	serve_log_stop(s);
	control_server_free(s->control);
	s->control = NULL;
	http_server_free(s->http);
	if (s->tftp != NULL)
		tftp_server_free(s->tftp);
	syslog_server_free(s->syslog);
	if (s->uploads != NULL) {
		if (s->journal != NULL)
			journal_set_presync(s->journal, NULL, NULL);
		upload_store_free(s->uploads);
	}
	serve_xfers_free(s);
	if (s->tick != NULL)
		event_free(s->tick);
	if (s->journal_tick != NULL)
		event_free(s->journal_tick);
	if (s->sig_int != NULL) {
		event_free(s->sig_int);
		event_free(s->sig_term);
		event_free(s->sig_hup);
	}
	serve_watch_clock(NULL);
	fleet_free(s->fleet);
	journal_close(s->journal);
	if (s->library != NULL)
		library_free(s->library);
	if (s->models != NULL)
		model_table_free(s->models);
	param_table_free(s->params);
	trust_ca_free(s->ca);
	free(s->template);
	free(s->template_name);
	free(s->journal_aside);
	free(s->journal_aside_why);
	free(s->repoint_url);
	free(s->dhcp_iface);
	free(s->dhcp_address);
	serve_move_clear(&s->dhcp_move);
	free(s->boot_url);
	free(s->self_exe);
	free(s->stored_repoint);
	free(s->settings_error);
	if (s->state_lock != -1)
		close(s->state_lock);
	if (s->base != NULL)
		event_base_free(s->base);
	free(s->state_abs);
	s->state_abs = NULL;
}

/*
 * Fork before anything is opened.  The parent waits on a pipe: one byte
 * when the daemon serves (exit 0), end of file when it failed (its exit
 * status; it has said why on stderr, which it keeps until it serves).  The
 * daemon, in its own session, gets the pipe's write end.
 */
static int
serve_background(void)
{
	pid_t	pid;
	ssize_t	n;
	char	c;
	int	p[2], status;

	if (pipe2(p, O_CLOEXEC) != 0)
		fatal("pipe");
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(p[0]);
		if (setsid() == -1)
			fatal("setsid");
		return (p[1]);
	}
	close(p[1]);
	do
		n = read(p[0], &c, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(0);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			_exit(1);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Serving: let go of the terminal and tell the parent it may exit. */
static void
serve_detach(int ready)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready, "", 1) != 1)
		log_warn("cannot tell the starting process: %s",
		    strerror(errno));
	close(ready);
}

int
serve_main(struct serve_options *opt)
{
	struct serve	 s;
	struct timeval	 one = { 1, 0 };
	struct timeval	 flush = { 0, JOURNAL_FLUSH_MS * 1000 };
	char		*cause = NULL, *logpath;
	FILE		*logfp = NULL;
	int		 rc = 1, queued, ready = -1;

	memset(&s, 0, sizeof s);
	s.opt = *opt;
	LIST_INIT(&s.xfers);
	TAILQ_INIT(&s.jobs);
	s.report_pid = -1;
	s.report_fd = -1;
	s.state_lock = -1;
	signal(SIGPIPE, SIG_IGN);
	log_open(NULL, LOG_LEVEL_INFO);
	if (!s.opt.foreground)
		ready = serve_background();
	if ((s.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if (serve_setup(&s, &cause) != 0 || serve_listen(&s, &cause) != 0 ||
	    serve_drop_privileges(&s, &cause) != 0) {
		fprintf(stderr, "ztp-rescue serve: %s\n", cause);
		free(cause);
		serve_teardown(&s);
		return (1);
	}
	serve_note_settings(&s);
	serve_report_changed(&s);	/* the journal's phones, from the start */
	log_info("serving %s: TFTP port %u, HTTP port %u%s, %zu packages, "
	    "%u phones in the journal, unknown versions: %s, re-point: %s",
	    s.opt.listen, tftp_server_port(s.tftp), http_server_port(s.http),
	    http_server_tls_port(s.http) != 0 ? ", HTTPS" : "",
	    s.library->npackages, s.fleet->nphones,
	    unknown_policy_name(s.opt.unknown_version),
	    s.repoint_url != NULL ? s.repoint_url : "ztp");
	if (!s.opt.foreground) {
		xasprintf(&logpath, "%s/serve.log", s.opt.state_dir);
		logfp = fopen(logpath, "ae");
		free(logpath);
		serve_detach(ready);
		if (logfp != NULL) {
			setvbuf(logfp, NULL, _IOLBF, 0);
			log_open(logfp, LOG_LEVEL_INFO);
		}
	}
	s.tick = event_new(s.base, -1, EV_PERSIST, serve_tick, &s);
	event_add(s.tick, &one);
	s.journal_tick = event_new(s.base, -1, EV_PERSIST, serve_journal_tick,
	    &s);
	event_add(s.journal_tick, &flush);
	s.sig_int = evsignal_new(s.base, SIGINT, serve_signal, &s);
	s.sig_term = evsignal_new(s.base, SIGTERM, serve_signal, &s);
	s.sig_hup = evsignal_new(s.base, SIGHUP, serve_signal, &s);
	event_add(s.sig_int, NULL);
	event_add(s.sig_term, NULL);
	event_add(s.sig_hup, NULL);
	serve_log_start(&s);
	/* The cheap checks are done; re-hash everything beside the loop. */
	if (!s.opt.no_verify)
		serve_job_start(&s, SERVE_JOB_VERIFY, NULL, &queued);
	event_base_dispatch(s.base);
	rc = s.exit_code;
	serve_teardown(&s);
	if (logfp != NULL) {
		log_open(NULL, LOG_LEVEL_INFO);
		fclose(logfp);
	}
	return (rc);
}
