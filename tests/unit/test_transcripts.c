/*
 * Engine transcripts: every tests/transcripts/NNN-name.txt is fed to the
 * engine's entry points (serve_tftp_resolve, serve_http_resolve,
 * serve_xfer_event, serve_syslog_line, serve_dhcp_lease, the fleet calls
 * the control socket makes) with no socket, no event loop and a clock the
 * transcript steps.  The format is in tests/transcripts/README.md.
 *
 * One TAP line per transcript.  A transcript carrying "# TODO <why>" is a
 * known defect: it is reported "# TODO" (not a failure) while it fails, and
 * "ok ... # TODO" with a note to remove the marker once it passes.
 *
 *	test_transcripts [-v] [file...]	(default: all of tests/transcripts)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fleet.h"
#include "http.h"
#include "journal.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "report.h"
#include "serve.h"
#include "tftp.h"
#include "trust.h"
#include "xfer.h"

#define TR_DIR		"tests/transcripts"
#define TR_WORDS	48
#define TR_XFERS	256
#define TR_LOG_TAIL	40
#define TR_SHOW_MAX	2000	/* of an answer shown in a failure */
/* 2026-12-01T10:00:00Z: where every transcript's clock starts. */
#define TR_EPOCH_MS	1796119200000LL
/* The synthetic images: the size of the VVX 410 image. */
#define TR_IMAGE_SIZE	1004585
/* VVX 101's is bigger than the 8 MB an abandonment may reach. */
#define TR_BIG_SIZE	(24ULL * 1024 * 1024)
/* A BootROM image of the SIP 3.x era (synthetic). */
#define TR_BOOTROM_SIZE	262144

struct tr_word {
	char		*text;
	int		 quoted;
};

/* A request the engine answered: the transfer the transcript drives. */
struct tr_xfer {
	enum xfer_proto	 proto;
	char		*name;
	char		 ip[64];
	char		 peer_text[96];
	char		*ua;
	uint64_t	 id;
	uint64_t	 total;
	uint64_t	 bytes;
	unsigned	 blksize;
	int64_t		 requested;
	int		 ended;
};

struct tr {
	const char	*path;
	FILE		*fp;
	int		 lineno;
	char		*line;		/* the one being run */
	struct tr_word	 w[TR_WORDS];
	int		 nw;

	/* Settings ("set"), applied when the first event comes. */
	enum unknown_policy policy;
	int		 no_ca;
	unsigned	 quiet;
	unsigned	 max_flashes;	/* 0: the default */
	char		*repoint;
	int		 empty_library;
	char		*damaged;	/* release whose package is damaged */

	int		 started;
	char		 dir[128];
	char		 reportdir[160];
	struct serve	 s;

	struct tr_xfer	 xfers[TR_XFERS];
	size_t		 nxfers;
	uint64_t	 next_id;
	unsigned	 next_port;
	unsigned	 nuploads;

	char		*todo;
	int		 failed;
	char		*diag;
	size_t		 diaglen;
	FILE		*diagfp;
	char		*logs[TR_LOG_TAIL];
	unsigned	 nlogs;
};

static int64_t	 tr_now_ms;
static char	 tr_root[64];
static char	*tr_libdir;
static char	*tr_emptydir;
static char	*tr_ca;
static int	 tr_verbose;

static int64_t
tr_clock(void)
{
	return (tr_now_ms);
}

static void
tr_log_hook(enum log_level level, const char *msg, void *arg)
{
	struct tr	*t = *(struct tr **)arg;

	if (t == NULL)
		return;
	free(t->logs[t->nlogs % TR_LOG_TAIL]);
	t->logs[t->nlogs % TR_LOG_TAIL] = strdup(msg);
	t->nlogs++;
	if (tr_verbose)
		fprintf(stderr, "  log: %s\n", msg);
}

static void __attribute__((format(printf, 2, 3)))
tr_fail(struct tr *t, const char *fmt, ...)
{
	va_list	ap;

	if (!t->failed)
		t->failed = 1;
	fprintf(t->diagfp, "%s:%d: ", t->path, t->lineno);
	va_start(ap, fmt);
	vfprintf(t->diagfp, fmt, ap);
	va_end(ap);
	if (t->line != NULL)
		fprintf(t->diagfp, "\n    (%s)", t->line);
	fprintf(t->diagfp, "\n");
}

static void
tr_sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "test_transcripts: failed: %s\n", cmd);
		exit(1);
	}
}

/* --- the shared fixture: a library of synthetic packages and a CA --- */

static void
tr_put(const char *path, const char *text, uint64_t size)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    (size != 0 && ftruncate(fd, (off_t)size) == -1) || close(fd) != 0) {
		fprintf(stderr, "test_transcripts: %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
}

/*
 * One package per release the models table asks for, with the build
 * numbers ucs-synth uses, and an image for every part of that release.
 */
static void
tr_fixture(void)
{
	static const struct {
		const char	*build;
		const char	*parts;
	} pkgs[] = {
		{ "4.0.8.0931", "2345-12360-001 2345-12365-001 2345-12375-001 "
		    "2345-12450-001 2345-12500-001 2345-12560-001 "
		    "2345-12600-001 2345-12670-001 3111-30900-001 "
		    "3111-15600-001 3111-40000-001 2345-17960-001 "
		    /* made up: the SoundStation Duo's part is not known */
		    "9999-99999-001" },
		{ "4.1.7.5432", "3111-40450-001 3111-46135-002 3111-46161-001 "
		    "3111-46157-002 3111-46162-001 3111-44500-001 "
		    "3111-44600-001" },
		{ "5.4.0.12410", "3111-40250-001" },
		{ "5.4.1.18370", "3111-48300-001 3111-48350-001 "
		    "3111-48400-001 3111-48450-001 3111-48500-001 "
		    "3111-48600-001" },
	};
	struct library		*lib;
	struct library_progress	 prog = { NULL, NULL, NULL, NULL };
	char			 path[PATH_MAX], dir[256], part[32];
	char			 header[128], **ids = NULL, *cause = NULL, cmd[512];
	const char		*p;
	size_t			 i, n;
	int			 k;

	snprintf(tr_root, sizeof tr_root, "/tmp/test_transcripts.XXXXXX");
	if (mkdtemp(tr_root) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	if (asprintf(&tr_libdir, "%s/library", tr_root) == -1 ||
	    asprintf(&tr_emptydir, "%s/empty-library", tr_root) == -1 ||
	    asprintf(&tr_ca, "%s/ca.pem", tr_root) == -1)
		exit(1);
	if ((lib = library_open(tr_libdir, &cause)) == NULL) {
		fprintf(stderr, "test_transcripts: %s\n", cause);
		exit(1);
	}
	for (i = 0; i < sizeof pkgs / sizeof pkgs[0]; i++) {
		snprintf(dir, sizeof dir, "%s/pkg-%s", tr_root, pkgs[i].build);
		if (mkdir(dir, 0755) != 0)
			exit(1);
		snprintf(path, sizeof path, "%s/sip.ver", dir);
		tr_put(path, pkgs[i].build, 0);
		for (p = pkgs[i].parts; *p != '\0'; p += n) {
			p += strspn(p, " ");
			n = strcspn(p, " ");
			snprintf(part, sizeof part, "%.*s", (int)n, p);
			snprintf(path, sizeof path, "%s/%s.sip.ld", dir, part);
			snprintf(header, sizeof header, "transcript image "
			    "%s %s\n", part, pkgs[i].build);
			tr_put(path, header, strcmp(part, "3111-40250-001") ==
			    0 ? TR_BIG_SIZE : TR_IMAGE_SIZE);
		}
		if (library_import(lib, NULL, dir, &prog, &ids, &cause) != 0) {
			fprintf(stderr, "test_transcripts: import %s: %s\n",
			    dir, cause);
			exit(1);
		}
		for (k = 0; ids[k] != NULL; k++)
			free(ids[k]);
		free(ids);
		ids = NULL;
	}
	/* A BootROM package: combined bootrom.ld, one split, bootrom.ver. */
	snprintf(dir, sizeof dir, "%s/pkg-bootrom", tr_root);
	if (mkdir(dir, 0755) != 0)
		exit(1);
	snprintf(path, sizeof path, "%s/bootrom.ver", dir);
	tr_put(path, "4.2.2.0710\n", 0);
	snprintf(path, sizeof path, "%s/bootrom.ld", dir);
	tr_put(path, "transcript BootROM bootrom 4.2.2.0710\n", TR_BOOTROM_SIZE);
	snprintf(path, sizeof path, "%s/2345-12670-001.bootrom.ld", dir);
	tr_put(path, "transcript BootROM 2345-12670-001 4.2.2.0710\n",
	    TR_BOOTROM_SIZE);
	if (library_import(lib, NULL, dir, &prog, &ids, &cause) != 0) {
		fprintf(stderr, "test_transcripts: import %s: %s\n", dir,
		    cause);
		exit(1);
	}
	for (k = 0; ids[k] != NULL; k++)
		free(ids[k]);
	free(ids);
	ids = NULL;
	library_free(lib);
	if (mkdir(tr_emptydir, 0700) != 0)
		exit(1);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -nodes -days 3650 "
	    "-subj '/CN=Transcript CA' -newkey rsa:2048 -sha256 -keyout "
	    "%s/ca.key -out %s -addext basicConstraints=critical,CA:TRUE "
	    ">/dev/null 2>&1", tr_root, tr_ca);
	tr_sh(cmd);
}

/* --- one transcript's engine --------------------------------------------- */

static int
tr_start(struct tr *t)
{
	struct serve		*s = &t->s;
	struct fleet_config	 fc;
	char			*cause = NULL;
	size_t			 i;
	static unsigned		 n;

	/* A restart continues from the same state directory. */
	if (t->dir[0] == '\0')
		snprintf(t->dir, sizeof t->dir, "%s/run%u", tr_root, n++);
	if (mkdir(t->dir, 0700) != 0 && errno != EEXIST) {
		tr_fail(t, "cannot create %s", t->dir);
		return (-1);
	}
	serve_options_defaults(&s->opt);
	s->opt.state_dir = t->dir;
	s->opt.unknown_version = t->policy;
	s->opt.quiet_period = t->quiet;
	LIST_INIT(&s->xfers);
	TAILQ_INIT(&s->jobs);
	s->report_fd = -1;
	s->report_pid = -1;
	if ((s->models = model_table_load_default(&cause)) == NULL ||
	    (s->library = library_open(t->empty_library ? tr_emptydir :
	    tr_libdir, &cause)) == NULL ||
	    (s->journal = journal_open(t->dir, 0, &cause)) == NULL)
		goto fail;
	journal_set_syslog_caps(s->journal, s->opt.syslog_keep_phone,
	    s->opt.syslog_keep_total);
	/* Marked dirty on every change; never written (no tick runs it). */
	snprintf(t->reportdir, sizeof t->reportdir, "%s/report", t->dir);
	s->opt.report_dir = t->reportdir;
	for (i = 0; t->damaged != NULL && i < s->library->npackages; i++) {
		if (strncmp(s->library->packages[i].id, t->damaged,
		    strlen(t->damaged)) == 0)
			s->library->packages[i].damage = strdup("sip.ver does "
			    "not match its manifest's SHA-256");
	}
	memset(&fc, 0, sizeof fc);
	fc.unknown_version = t->policy;
	fc.quiet_ms = (int64_t)t->quiet * 1000;
	fc.max_returns = 3;
	fc.max_flashes = t->max_flashes;
	fc.listening_since = serve_now();
	s->fleet = fleet_new(s->journal, s->models, &fc);
	if (fleet_load(s->fleet, &cause) != 0)
		goto fail;
	fleet_set_notify(s->fleet, serve_phone_changed, s);
	fleet_set_forgot(s->fleet, serve_phone_forgotten);
	fleet_restarted(s->fleet, serve_now());
	if (serve_set_repoint(s, t->repoint != NULL ? t->repoint : "ztp",
	    &cause) != 0)
		goto fail;
	if (!t->no_ca && serve_set_ca(s, tr_ca, &cause) != 0)
		goto fail;
	t->started = 1;
	return (0);

fail:
	tr_fail(t, "cannot set up the engine: %s", cause != NULL ? cause :
	    "?");
	free(cause);
	return (-1);
}

static void
tr_stop(struct tr *t)
{
	struct serve		*s = &t->s;
	struct serve_xfer	*x;

	while ((x = LIST_FIRST(&s->xfers)) != NULL) {
		LIST_REMOVE(x, entry);
		free(x->name);
		free(x);
	}
	fleet_free(s->fleet);
	journal_close(s->journal);
	library_free(s->library);
	model_table_free(s->models);
	trust_ca_free(s->ca);
	free(s->template);
	free(s->template_name);
	free(s->repoint_url);
	memset(s, 0, sizeof *s);
}

/* --- words --------------------------------------------------------------- */

static int
tr_split(struct tr *t, char *line)
{
	char	*p = line, *out;

	t->nw = 0;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '\n')
			return (0);
		if (t->nw == TR_WORDS) {
			tr_fail(t, "more than %d words", TR_WORDS);
			return (-1);
		}
		if (*p == '"') {
			t->w[t->nw].text = out = ++p;
			t->w[t->nw].quoted = 1;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n') {
					tr_fail(t, "unterminated string");
					return (-1);
				}
				if (*p == '\\' && p[1] != '\0') {
					p++;
					*out++ = *p == 'n' ? '\n' :
					    *p == 't' ? '\t' : *p;
					p++;
					continue;
				}
				*out++ = *p++;
			}
			p++;
			*out = '\0';
		} else {
			t->w[t->nw].text = p;
			t->w[t->nw].quoted = 0;
			p += strcspn(p, " \t\n");
			if (*p != '\0')
				*p++ = '\0';
		}
		t->nw++;
	}
}

static int
tr_is(struct tr *t, int i, const char *word)
{
	return (i < t->nw && !t->w[i].quoted && strcmp(t->w[i].text,
	    word) == 0);
}

static const char *
tr_arg(struct tr *t, int i)
{
	return (i < t->nw ? t->w[i].text : NULL);
}

/* "~ TEXT" (contains) and "!~ TEXT" (does not) from word i on. */
static void
tr_match(struct tr *t, int i, const char *what, const char *text)
{
	int	want;

	for (; i + 1 < t->nw; i += 2) {
		if (tr_is(t, i, "~"))
			want = 1;
		else if (tr_is(t, i, "!~"))
			want = 0;
		else {
			tr_fail(t, "expected ~ or !~, not '%s'", t->w[i].text);
			return;
		}
		if ((strstr(text, t->w[i + 1].text) != NULL) != want)
			tr_fail(t, "%s %s \"%s\"; it is:\n%.*s%s", what, want ?
			    "does not contain" : "contains", t->w[i + 1].text,
			    TR_SHOW_MAX, text, strlen(text) > TR_SHOW_MAX ?
			    " ..." : "");
	}
	if (i < t->nw)
		tr_fail(t, "a dangling '%s'", t->w[i].text);
}

static uint64_t
tr_number(struct tr *t, const char *s)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(s != NULL ? s : "", &end, 10);
	if (s == NULL || *s == '\0' || *end != '\0' || errno != 0) {
		tr_fail(t, "'%s' is not a number", s != NULL ? s : "");
		return (0);
	}
	return (n);
}

/* --- events to the engine ------------------------------------------------ */

static void
tr_sockaddr(const char *ip, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
}

/* The transfer event, as tftp-server.c and http.c send it. */
static void
tr_deliver(struct tr *t, const struct xfer_event *ev)
{
	struct xfer_event	e = *ev;

	if (e.phase == XFER_UPLOAD_STORED || e.phase == XFER_UPLOAD_REFUSED)
		e.upload = 1;
	serve_xfer_event(&t->s, &e);
}

static int
tr_proto(struct tr *t, int i, enum xfer_proto *proto)
{
	if (tr_is(t, i, "tftp"))
		*proto = XFER_TFTP;
	else if (tr_is(t, i, "http"))
		*proto = XFER_HTTP;
	else if (tr_is(t, i, "https"))
		*proto = XFER_HTTPS;
	else {
		tr_fail(t, "'%s' is not tftp, http or https", tr_arg(t, i) !=
		    NULL ? tr_arg(t, i) : "");
		return (-1);
	}
	return (0);
}

static struct tr_xfer *
tr_xfer_named(struct tr *t, const char *name)
{
	size_t	i;

	for (i = t->nxfers; i > 0; i--) {
		if (!t->xfers[i - 1].ended &&
		    strcmp(t->xfers[i - 1].name, name) == 0)
			return (&t->xfers[i - 1]);
	}
	tr_fail(t, "no transfer of %s is open (was it answered?)", name);
	return (NULL);
}

static void
tr_event(struct tr *t, struct tr_xfer *x, enum xfer_phase phase,
    enum xfer_end end, enum xfer_by by, const char *reason)
{
	struct xfer_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.proto = x->proto;
	ev.phase = phase;
	ev.id = x->id;
	ev.name = x->name;
	ev.peer_ip = x->ip;
	ev.peer_text = x->peer_text;
	ev.user_agent = x->ua;
	ev.bytes = x->bytes;
	ev.total = x->total;
	ev.blksize = x->proto == XFER_TFTP ? x->blksize : 0;
	ev.seconds = (double)(tr_now_ms - x->requested) / 1000;
	ev.end = end;
	ev.by = by;
	ev.reason = reason;
	tr_deliver(t, &ev);
	if (phase == XFER_ENDED)
		x->ended = 1;
}

/*
 *	PROTO get|head NAME from IP [ua "UA"] [-> ok|not-found|denied
 *	    [~ "in the body or cause"] [!~ "..."]]
 *	PROTO fetch NAME from IP [ua "UA"] [~ ...]	(get, started, complete)
 */
static void
tr_request(struct tr *t)
{
	struct tr_xfer		*x = NULL;
	struct sockaddr_storage	 peer, local;
	struct tftp_request	 tq;
	struct tftp_content	 tc;
	struct http_request_info hq;
	struct http_content	 hc;
	enum xfer_proto		 proto;
	const char		*name, *ip, *ua = NULL, *method, *want;
	const char		*got;
	char			 peer_text[96], *cause = NULL, *text = NULL;
	uint64_t		 size = 0;
	int			 fetch, i, rc, status;

	if (tr_proto(t, 0, &proto) != 0)
		return;
	fetch = tr_is(t, 1, "fetch");
	if (!fetch && !tr_is(t, 1, "get") && !tr_is(t, 1, "head")) {
		tr_fail(t, "a request is get, head or fetch");
		return;
	}
	method = tr_is(t, 1, "head") ? "HEAD" : "GET";
	if ((name = tr_arg(t, 2)) == NULL || !tr_is(t, 3, "from") ||
	    (ip = tr_arg(t, 4)) == NULL) {
		tr_fail(t, "usage: %s %s NAME from IP", tr_arg(t, 0),
		    tr_arg(t, 1));
		return;
	}
	i = 5;
	if (tr_is(t, i, "ua")) {
		if ((ua = tr_arg(t, i + 1)) == NULL) {
			tr_fail(t, "ua needs a value");
			return;
		}
		i += 2;
	}
	if (proto == XFER_TFTP && ua != NULL) {
		tr_fail(t, "TFTP carries no User-Agent");
		return;
	}
	snprintf(peer_text, sizeof peer_text, strchr(ip, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", ip, 40000 + t->next_port++);

	if (proto == XFER_TFTP) {
		tr_sockaddr(ip, 40000 + t->next_port, &peer);
		tr_sockaddr("192.0.2.1", 69, &local);
		memset(&tq, 0, sizeof tq);
		tq.name = name;
		tq.peer = &peer;
		tq.local = &local;
		tq.peer_text = peer_text;
		memset(&tc, 0, sizeof tc);
		tc.fd = -1;
		rc = serve_tftp_resolve(&t->s, &tq, &tc, &cause);
		status = rc == 0 ? 200 : rc == TFTP_ERR_ACCESS ? 403 : 404;
		if (rc == 0) {
			size = tc.size;
			if (tc.buf != NULL)
				text = strndup(tc.buf, tc.size);
			if (tc.fd != -1)
				close(tc.fd);
			if (tc.release != NULL)
				tc.release(tc.release_arg);
		}
	} else {
		memset(&hq, 0, sizeof hq);
		hq.method = method;
		hq.name = name;
		hq.user_agent = ua;
		hq.peer_ip = ip;
		hq.peer_text = peer_text;
		hq.tls = proto == XFER_HTTPS;
		memset(&hc, 0, sizeof hc);
		hc.fd = -1;
		status = serve_http_resolve(&t->s, &hq, &hc, &cause);
		if (status == 200) {
			size = hc.size;
			if (hc.buf != NULL)
				text = strndup(hc.buf, hc.size);
			if (hc.fd != -1)
				close(hc.fd);
			if (hc.release != NULL)
				hc.release(hc.release_arg);
		}
	}
	if (status != 200)
		text = cause != NULL ? cause : strdup("");
	else
		free(cause);
	if (text == NULL)
		text = strdup("");
	got = status == 200 ? "ok" : status == 403 ? "denied" :
	    "not-found";
	if (tr_verbose)
		fprintf(stderr, "  %s %s %s from %s: %s %s\n", tr_arg(t, 0),
		    method, name, ip, got, status == 200 ? "" : text);

	if (status == 200 && strcmp(method, "GET") == 0) {
		if (t->nxfers == TR_XFERS) {
			tr_fail(t, "too many transfers in one transcript");
			goto out;
		}
		x = &t->xfers[t->nxfers++];
		memset(x, 0, sizeof *x);
		x->proto = proto;
		x->name = strdup(name);
		snprintf(x->ip, sizeof x->ip, "%s", ip);
		snprintf(x->peer_text, sizeof x->peer_text, "%s", peer_text);
		x->ua = ua != NULL ? strdup(ua) : NULL;
		x->id = ++t->next_id;
		x->total = size;
		x->blksize = 512;
		x->requested = tr_now_ms;
	}

	if (fetch) {
		if (status != 200) {
			tr_fail(t, "answered %s, not ok: %s", got, text);
			goto out;
		}
		tr_match(t, i, "the answer", text);
		tr_event(t, x, XFER_STARTED, XFER_END_NONE, XFER_BY_NONE,
		    NULL);
		x->bytes = x->total;
		tr_event(t, x, XFER_ENDED, XFER_END_COMPLETE, XFER_BY_PEER,
		    NULL);
		goto out;
	}
	if (i == t->nw)
		goto out;
	if (!tr_is(t, i, "->") || (want = tr_arg(t, i + 1)) == NULL) {
		tr_fail(t, "expected '-> ok|not-found|denied'");
		goto out;
	}
	if (strcmp(want, got) != 0) {
		tr_fail(t, "answered %s, expected %s: %s", got, want, text);
		goto out;
	}
	tr_match(t, i + 2, status == 200 ? "the answer" : "the cause",
	    text);
out:
	free(text);
}

static int
tr_end_from(struct tr *t, const char *word, enum xfer_end *end)
{
	int	e;

	for (e = XFER_END_COMPLETE; e < XFER_NENDS; e++) {
		if (strcmp(word, xfer_end_name(e)) == 0) {
			*end = e;
			return (0);
		}
	}
	tr_fail(t, "'%s' is not an ending (complete, silence, unreachable, "
	    "closed, peer-error, option-refused, local-error, shutdown)",
	    word);
	return (-1);
}

/*
 *	started NAME
 *	progress NAME BYTES
 *	ended NAME HOW [by peer|us] [bytes N] [blksize N] [reason "..."]
 */
static void
tr_transfer(struct tr *t)
{
	struct tr_xfer	*x;
	enum xfer_end	 end = XFER_END_NONE;
	enum xfer_by	 by;
	const char	*reason = NULL;
	int		 i;

	if (tr_arg(t, 1) == NULL) {
		tr_fail(t, "usage: %s NAME ...", tr_arg(t, 0));
		return;
	}
	if ((x = tr_xfer_named(t, tr_arg(t, 1))) == NULL)
		return;
	if (tr_is(t, 0, "started")) {
		x->bytes = 0;
		tr_event(t, x, XFER_STARTED, XFER_END_NONE, XFER_BY_NONE, NULL);
		return;
	}
	if (tr_is(t, 0, "progress")) {
		x->bytes = tr_number(t, tr_arg(t, 2));
		tr_event(t, x, XFER_PROGRESS, XFER_END_NONE, XFER_BY_NONE,
		    NULL);
		return;
	}
	if (tr_arg(t, 2) == NULL || tr_end_from(t, tr_arg(t, 2), &end) != 0)
		return;
	/* Who ends it, unless told: we end only what failed on our side. */
	by = end == XFER_END_LOCAL_ERROR || end == XFER_END_SHUTDOWN ?
	    XFER_BY_US : XFER_BY_PEER;
	if (end == XFER_END_COMPLETE)
		x->bytes = x->total;
	for (i = 3; i < t->nw; i += 2) {
		if (tr_is(t, i, "by") && tr_is(t, i + 1, "peer"))
			by = XFER_BY_PEER;
		else if (tr_is(t, i, "by") && tr_is(t, i + 1, "us"))
			by = XFER_BY_US;
		else if (tr_is(t, i, "bytes"))
			x->bytes = tr_number(t, tr_arg(t, i + 1));
		else if (tr_is(t, i, "blksize"))
			x->blksize = tr_number(t, tr_arg(t, i + 1));
		else if (tr_is(t, i, "reason") && tr_arg(t, i + 1) != NULL)
			reason = tr_arg(t, i + 1);
		else {
			tr_fail(t, "unknown '%s'", t->w[i].text);
			return;
		}
	}
	tr_event(t, x, XFER_ENDED, end, by, reason);
}

/*
 *	PROTO put NAME from IP [ua "UA"]	then "| line" lines: the body
 *	PROTO put NAME from IP refused "reason"
 */
static void
tr_upload(struct tr *t, const char *body)
{
	struct xfer_event	 ev;
	enum xfer_proto		 proto;
	char			 path[PATH_MAX], port[96], dir[256];
	const char		*name, *ip;
	int			 i = 5;

	if (tr_proto(t, 0, &proto) != 0)
		return;
	if ((name = tr_arg(t, 2)) == NULL || !tr_is(t, 3, "from") ||
	    (ip = tr_arg(t, 4)) == NULL) {
		tr_fail(t, "usage: %s put NAME from IP", tr_arg(t, 0));
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.proto = proto;
	ev.id = ++t->next_id;
	ev.name = name;
	ev.peer_ip = ip;
	snprintf(port, sizeof port, "%s:%u", ip, 40000 + t->next_port++);
	ev.peer_text = port;
	if (tr_is(t, i, "ua")) {
		ev.user_agent = tr_arg(t, i + 1);
		i += 2;
	}
	if (tr_is(t, i, "refused")) {
		ev.phase = XFER_UPLOAD_REFUSED;
		ev.reason = tr_arg(t, i + 1) != NULL ? tr_arg(t, i + 1) :
		    "refused";
		tr_deliver(t, &ev);
		return;
	}
	if (i != t->nw) {
		tr_fail(t, "unknown '%s'", t->w[i].text);
		return;
	}
	/* Where the quarantine would keep it. */
	snprintf(dir, sizeof dir, "%s/uploads", t->dir);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/%u-%s", dir, ++t->nuploads,
	    strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name);
	tr_put(path, body, 0);
	ev.phase = XFER_UPLOAD_STORED;
	ev.bytes = strlen(body);
	ev.stored_path = path;
	tr_deliver(t, &ev);
}

/* One byte of hex, or -1. */
static int
tr_hex(const char *p)
{
	int	i, v = 0, c;

	for (i = 0; i < 2; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + c - 'A' + 10;
		else
			return (-1);
	}
	return (v);
}

/*
 *	dhcp add|old|del MAC IP [opt60 "ASCII"]
 *	    [opt60 hex 0000363d...]
 *	    [opt60 rfc3925 model "SoundPointIP-SPIP_670" part "2345-12670-001,2"
 *	        app "SIP/4.0.4.2906/05-Jan-13 10:00" updater "BR/..."]
 */
static void
tr_dhcp(struct tr *t)
{
	static const char	*subs[] = { NULL, "vendor", "model", "part",
				    "app", "updater" };
	struct dhcp_lease	 l;
	uint8_t			 o60[255];
	size_t			 n = 0, len, k;
	const char		*hex;
	int			 i, code, b;

	memset(&l, 0, sizeof l);
	if ((l.action = tr_arg(t, 1)) == NULL || (l.mac = tr_arg(t, 2)) ==
	    NULL || (l.ip = tr_arg(t, 3)) == NULL) {
		tr_fail(t, "usage: dhcp add|old|del MAC IP [opt60 ...]");
		return;
	}
	l.hostname = "";
	i = 4;
	if (tr_is(t, i, "opt60") && tr_is(t, i + 1, "hex")) {
		hex = tr_arg(t, i + 2) != NULL ? tr_arg(t, i + 2) : "";
		for (; *hex != '\0' && n < sizeof o60; hex += 2) {
			if ((b = tr_hex(hex)) == -1) {
				tr_fail(t, "bad hex in opt60");
				return;
			}
			o60[n++] = b;
		}
		i += 3;
	} else if (tr_is(t, i, "opt60") && tr_is(t, i + 1, "rfc3925")) {
		o60[0] = 0x00;
		o60[1] = 0x00;
		o60[2] = 0x36;
		o60[3] = 0x3d;
		n = 5;
		o60[n++] = 1;
		o60[n++] = 7;
		memcpy(o60 + n, "Polycom", 7);
		n += 7;
		for (i += 2; i + 1 < t->nw; i += 2) {
			for (code = 2; code <= 5; code++) {
				if (tr_is(t, i, subs[code]))
					break;
			}
			len = strlen(tr_arg(t, i + 1));
			if (code > 5 || n + 2 + len > sizeof o60) {
				tr_fail(t, "unknown opt60 part '%s'",
				    tr_arg(t, i));
				return;
			}
			o60[n++] = code;
			o60[n++] = len;
			memcpy(o60 + n, tr_arg(t, i + 1), len);
			n += len;
		}
		o60[4] = n - 5;
	} else if (tr_is(t, i, "opt60") && tr_arg(t, i + 1) != NULL) {
		len = strlen(tr_arg(t, i + 1));
		for (k = 0; k < len && n < sizeof o60; k++)
			o60[n++] = tr_arg(t, i + 1)[k];
		i += 2;
	}
	if (i != t->nw) {
		tr_fail(t, "unknown '%s'", t->w[i].text);
		return;
	}
	if (n > 0) {
		l.option60 = o60;
		l.option60_len = n;
	}
	serve_dhcp_lease(&t->s, &l);
}

/*	operator hold|release|retry|forget MAC [-> ok|refused [~ ...]] */
static void
tr_operator(struct tr *t)
{
	struct phone	*p;
	const char	*what = tr_arg(t, 1), *mac = tr_arg(t, 2);
	char		*error = NULL;
	int		 rc = 0;

	if (what == NULL || mac == NULL) {
		tr_fail(t, "usage: operator hold|release|retry|forget MAC");
		return;
	}
	if ((p = fleet_find(t->s.fleet, mac)) == NULL) {
		tr_fail(t, "no phone %s to %s", mac, what);
		return;
	}
	/* As serve-control.c's handlers call the fleet. */
	if (strcmp(what, "hold") == 0)
		fleet_hold(t->s.fleet, p, "held by the operator", serve_now(),
		    "control: hold");
	else if (strcmp(what, "release") == 0)
		rc = fleet_release(t->s.fleet, p, serve_now(), &error);
	else if (strcmp(what, "retry") == 0)
		rc = fleet_retry(t->s.fleet, p, serve_now(), &error);
	else if (strcmp(what, "forget") == 0) {
		if ((rc = fleet_forget(t->s.fleet, p, serve_now())) != 0)
			error = strdup("the journal cannot record it");
	}
	else {
		tr_fail(t, "unknown operator action '%s'", what);
		return;
	}
	if (tr_is(t, 3, "->")) {
		if ((rc == 0) != tr_is(t, 4, "ok"))
			tr_fail(t, "the %s was %s: %s", what, rc == 0 ? "done" :
			    "refused", error != NULL ? error : "");
		else
			tr_match(t, 5, "the refusal", error != NULL ? error :
			    "");
	} else if (rc != 0)
		tr_fail(t, "the %s was refused: %s", what, error);
	free(error);
}

/*	clock +N[ms|s|m|h] */
static void
tr_clock_step(struct tr *t)
{
	const char	*a = tr_arg(t, 1);
	char		*end;
	double		 n;

	if (a == NULL || *a != '+') {
		tr_fail(t, "usage: clock +N[ms|s|m|h]");
		return;
	}
	n = strtod(a + 1, &end);
	if (strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		n *= 1000;
	else if (strcmp(end, "m") == 0)
		n *= 60000;
	else if (strcmp(end, "h") == 0)
		n *= 3600000;
	else {
		tr_fail(t, "bad clock step '%s'", a);
		return;
	}
	tr_now_ms += (int64_t)n;
}

/* --- expectations -------------------------------------------------------- */

static char *
tr_value_text(json_t *v)
{
	char	*s;

	if (v == NULL || json_is_null(v))
		return (strdup("none"));
	if (json_is_string(v))
		return (strdup(json_string_value(v)));
	if (json_is_integer(v)) {
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) == -1)
			return (NULL);
		return (s);
	}
	return (json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT));
}

static json_t *
tr_report_phone(json_t *report, const char *mac)
{
	json_t	*p;
	size_t	 i;

	json_array_foreach(json_object_get(report, "phones"), i, p) {
		if (strcmp(json_string_value(json_object_get(p, "mac")),
		    mac) == 0)
			return (p);
	}
	return (NULL);
}

static const char *
tr_str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "");
}

/* The journal's rows for a phone, one line each, as a newcomer reads them. */
static char *
tr_lines(json_t *phone, const char *which, struct journal *j)
{
	json_t	*a, *e;
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0, i;

	fp = open_memstream(&buf, &len);
	if (strcmp(which, "journal") == 0) {
		a = json_object_get(phone, "events");
		json_array_foreach(a, i, e) {
			if (strcmp(tr_str(e, "kind"), "state") == 0)
				fprintf(fp, "state %s -> %s", json_is_null(
				    json_object_get(e, "from")) ? "(new)" :
				    tr_str(e, "from"), tr_str(e, "to"));
			else if (strcmp(tr_str(e, "kind"), "fact") == 0)
				fprintf(fp, "fact %s %s", tr_str(e, "fact"),
				    tr_str(e, "value"));
			else
				fprintf(fp, "%s %s", tr_str(e, "kind"),
				    tr_str(e, "value"));
			if (strcmp(tr_str(e, "kind"), "state") == 0 &&
			    *tr_str(e, "value") != '\0')
				fprintf(fp, ": %s", tr_str(e, "value"));
			fprintf(fp, " [%s]\n", tr_str(e, "evidence"));
		}
	} else if (strcmp(which, "transfers") == 0) {
		a = json_object_get(phone, "transfers");
		json_array_foreach(a, i, e) {
			fprintf(fp, "%s %s %s %" JSON_INTEGER_FORMAT " of %"
			    JSON_INTEGER_FORMAT "%s%s\n", tr_str(e, "proto"),
			    tr_str(e, "name"), tr_str(e, "outcome"),
			    json_integer_value(json_object_get(e, "bytes")),
			    json_integer_value(json_object_get(e, "total")),
			    *tr_str(e, "reason") != '\0' ? ": " : "",
			    tr_str(e, "reason"));
		}
	} else {
		a = journal_syslog_json(j, tr_str(phone, "mac"), 0);
		json_array_foreach(a, i, e)
			fprintf(fp, "%s %s\n", tr_str(e, "ip"),
			    tr_str(e, "line"));
		json_decref(a);
	}
	fclose(fp);
	return (buf);
}

/*
 * Every state change is journalled: each state event starts where the one
 * before it ended, and the last one ends where the phone is now.
 */
static void
tr_chain(struct tr *t, json_t *rp, struct phone *mp)
{
	json_t		*e;
	const char	*last = NULL;
	char		*text;
	size_t		 i;

	json_array_foreach(json_object_get(rp, "events"), i, e) {
		if (strcmp(tr_str(e, "kind"), "state") != 0)
			continue;
		if (last != NULL && strcmp(tr_str(e, "from"), last) != 0) {
			text = tr_lines(rp, "journal", t->s.journal);
			tr_fail(t, "the journal goes from %s to %s -> %s: a "
			    "change to %s was not journalled; its journal:\n%s",
			    last, tr_str(e, "from"), tr_str(e, "to"),
			    tr_str(e, "from"), text);
			free(text);
			return;
		}
		last = tr_str(e, "to");
	}
	if (mp != NULL && last != NULL && strcmp(last,
	    phone_state_name(mp->state)) != 0)
		tr_fail(t, "the journal's last state is %s, the daemon's "
		    "memory says %s", last, phone_state_name(mp->state));
}

/*
 *	expect MAC chain			(every change journalled)
 *	expect MAC FIELD VALUE|none		(the report's field)
 *	expect MAC FIELD ~ "..." [!~ "..."]
 *	expect MAC journal|transfers|syslog ~ "..." [!~ "..."]
 *	expect MAC absent
 *	expect report changed|unchanged	(since the last such line)
 *	expect phones N
 *	expect pending N		(answered requests with no ending yet)
 */
static void
tr_expect(struct tr *t)
{
	struct phone		*mp;
	struct serve_xfer	*x;
	json_t			*report, *rp, *mem = NULL;
	const char		*mac = tr_arg(t, 1), *field = tr_arg(t, 2);
	char			*got = NULL, *mgot = NULL, *text;
	uint64_t		 n;

	if (mac == NULL) {
		tr_fail(t, "usage: expect MAC FIELD VALUE");
		return;
	}
	if (strcmp(mac, "pending") == 0) {
		n = 0;
		LIST_FOREACH(x, &t->s.xfers, entry)
			n++;
		if (n != tr_number(t, field))
			tr_fail(t, "%" PRIu64 " answered requests wait for "
			    "their transfer's ending, expected %s", n, field);
		return;
	}
	if (strcmp(mac, "report") == 0) {
		if (field == NULL || (strcmp(field, "changed") != 0 &&
		    strcmp(field, "unchanged") != 0))
			tr_fail(t, "usage: expect report changed|unchanged");
		else if (t->s.report_dirty != (strcmp(field, "changed") == 0))
			tr_fail(t, "the report kept on disk was %s",
			    t->s.report_dirty ? "marked to be written again" :
			    "not marked to be written again");
		t->s.report_dirty = 0;
		return;
	}
	report = report_json(t->s.journal);
	if (strcmp(mac, "phones") == 0) {
		n = json_array_size(json_object_get(report, "phones"));
		if (n != tr_number(t, field))
			tr_fail(t, "the report has %" PRIu64 " phones, "
			    "expected %s", n, field);
		json_decref(report);
		return;
	}
	if (field != NULL && (strcmp(field, "journal") == 0 ||
	    strcmp(field, "transfers") == 0 || strcmp(field, "syslog") == 0)) {
		/* From the journal's tables: a forgotten phone's rows stay. */
		rp = json_pack("{s:s, s:o, s:o}", "mac", mac, "events",
		    journal_events_json(t->s.journal, mac), "transfers",
		    journal_transfers_json(t->s.journal, mac));
		text = tr_lines(rp, field, t->s.journal);
		tr_match(t, 3, field, text);
		free(text);
		json_decref(rp);
		json_decref(report);
		return;
	}
	rp = tr_report_phone(report, mac);
	mp = fleet_find(t->s.fleet, mac);
	if (field != NULL && strcmp(field, "absent") == 0) {
		if (rp != NULL || mp != NULL)
			tr_fail(t, "phone %s is still known (%s)", mac,
			    rp != NULL ? "in the journal" : "in memory");
		json_decref(report);
		return;
	}
	if (rp == NULL) {
		tr_fail(t, "the report has no phone %s", mac);
		json_decref(report);
		return;
	}
	if (field != NULL && strcmp(field, "chain") == 0) {
		tr_chain(t, rp, mp);
		json_decref(report);
		return;
	}
	if (field == NULL || t->nw < 4) {
		tr_fail(t, "usage: expect MAC FIELD VALUE");
		json_decref(report);
		return;
	}
	if (!json_object_get(rp, field)) {
		tr_fail(t, "the report has no field '%s'", field);
		json_decref(report);
		return;
	}
	got = tr_value_text(json_object_get(rp, field));
	/*
	 * The phone in memory must agree with what the journal says (a field
	 * only the report has, such as model_source, is the journal's alone).
	 */
	if (mp != NULL) {
		mem = fleet_phone_json(t->s.fleet, mp);
		mgot = tr_value_text(json_object_get(mem, field));
		if (json_object_get(mem, field) != NULL && strcmp(got, mgot) != 0)
			tr_fail(t, "%s %s: the journal says \"%s\", the "
			    "daemon's memory \"%s\"", mac, field, got, mgot);
	}
	if (tr_is(t, 3, "~") || tr_is(t, 3, "!~")) {
		tr_match(t, 3, field, got);
	} else if (strcmp(got, tr_arg(t, 3)) != 0) {
		text = tr_lines(rp, "journal", t->s.journal);
		tr_fail(t, "%s %s: expected \"%s\", got \"%s\"; its journal:\n"
		    "%s", mac, field, tr_arg(t, 3), got, text);
		free(text);
	} else if (t->nw > 4)
		tr_fail(t, "one value only (quote it)");
	free(got);
	free(mgot);
	json_decref(mem);
	json_decref(report);
}

/* --- the transcript ------------------------------------------------------ */

/*
 *	set policy upgrade|hold		--unknown-version
 *	set ca none			no CA installed
 *	set quiet N			--quiet-period, seconds
 *	set repoint URL			hand-off instead of ZTP
 *	set library empty		no package imported
 *	set library damaged BUILD	that package fails verification
 */
static void
tr_set(struct tr *t)
{
	const char	*a = tr_arg(t, 2);

	if (t->started) {
		tr_fail(t, "settings come before the first event");
		return;
	}
	if (tr_is(t, 1, "policy") && a != NULL && (strcmp(a, "hold") == 0 ||
	    strcmp(a, "upgrade") == 0))
		t->policy = strcmp(a, "hold") == 0 ? UNKNOWN_HOLD :
		    UNKNOWN_UPGRADE;
	else if (tr_is(t, 1, "ca") && tr_is(t, 2, "none"))
		t->no_ca = 1;
	else if (tr_is(t, 1, "quiet") && a != NULL)
		t->quiet = tr_number(t, a);
	else if (tr_is(t, 1, "max-flashes") && a != NULL)
		t->max_flashes = tr_number(t, a);
	else if (tr_is(t, 1, "repoint") && a != NULL) {
		free(t->repoint);
		t->repoint = strdup(a);
	} else if (tr_is(t, 1, "library") && tr_is(t, 2, "empty"))
		t->empty_library = 1;
	else if (tr_is(t, 1, "library") && tr_is(t, 2, "damaged") &&
	    tr_arg(t, 3) != NULL) {
		free(t->damaged);
		t->damaged = strdup(tr_arg(t, 3));
	} else
		tr_fail(t, "unknown setting");
}

static void	tr_restart(struct tr *);

/*
 *	library import		every package imported now (an import job
 *				ended): the daemon swaps the library in
 */
static void
tr_library(struct tr *t)
{
	struct library	*lib;
	char		*cause = NULL;

	if (!tr_is(t, 1, "import") || tr_arg(t, 2) != NULL) {
		tr_fail(t, "usage: library import");
		return;
	}
	if ((lib = library_open(tr_libdir, &cause)) == NULL) {
		tr_fail(t, "%s", cause);
		free(cause);
		return;
	}
	serve_library_swap(&t->s, lib);
}

static void
tr_step(struct tr *t, const char *body)
{
	const char	*cmd = tr_arg(t, 0);

	if (*body != '\0' && !tr_is(t, 1, "put")) {
		tr_fail(t, "'|' lines belong after a put");
		return;
	}
	if (strcmp(cmd, "set") == 0) {
		tr_set(t);
		return;
	}
	if (!t->started && tr_start(t) != 0)
		return;
	if (tr_is(t, 1, "put"))
		tr_upload(t, body);
	else if (tr_is(t, 0, "tftp") || tr_is(t, 0, "http") ||
	    tr_is(t, 0, "https"))
		tr_request(t);
	else if (strcmp(cmd, "started") == 0 || strcmp(cmd, "progress") == 0 ||
	    strcmp(cmd, "ended") == 0)
		tr_transfer(t);
	else if (strcmp(cmd, "dhcp") == 0)
		tr_dhcp(t);
	else if (strcmp(cmd, "syslog") == 0) {
		if (!tr_is(t, 1, "from") || tr_arg(t, 2) == NULL ||
		    tr_arg(t, 3) == NULL)
			tr_fail(t, "usage: syslog from IP \"LINE\"");
		else
			serve_syslog_line(&t->s, tr_arg(t, 2), tr_arg(t, 3),
			    strlen(tr_arg(t, 3)));
	} else if (strcmp(cmd, "clock") == 0)
		tr_clock_step(t);
	else if (strcmp(cmd, "tick") == 0) {
		fleet_tick(t->s.fleet, serve_now());
		journal_flush(t->s.journal);
	} else if (strcmp(cmd, "restart") == 0)
		tr_restart(t);
	else if (strcmp(cmd, "operator") == 0)
		tr_operator(t);
	else if (strcmp(cmd, "library") == 0)
		tr_library(t);
	else if (strcmp(cmd, "expect") == 0)
		tr_expect(t);
	else
		tr_fail(t, "unknown command '%s'", cmd);
}

/*
 * The daemon stopped and started again: everything in memory is gone (the
 * transfers in flight with it), the fleet continues from the journal.
 */
static void
tr_restart(struct tr *t)
{
	size_t	i;

	tr_stop(t);
	t->started = 0;
	for (i = 0; i < t->nxfers; i++)
		t->xfers[i].ended = 1;
	tr_start(t);
}

/* Run one file; 0 passed, 1 failed. */
static int
tr_run(struct tr *t)
{
	char	*line = NULL, *more = NULL, *copy, *body = NULL, *p;
	size_t	 cap = 0, mcap = 0, blen = 0;
	ssize_t	 n;
	FILE	*bfp;
	long	 at;
	int	 first, last;

	if ((t->fp = fopen(t->path, "r")) == NULL) {
		tr_fail(t, "cannot open: %s", strerror(errno));
		return (1);
	}
	tr_now_ms = TR_EPOCH_MS;
	t->quiet = 120;
	while ((n = getline(&line, &cap, t->fp)) != -1) {
		t->lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		p = line + strspn(line, " \t");
		if (strncmp(p, "# TODO", 6) == 0 && t->todo == NULL) {
			t->todo = strdup(p + 2);
			continue;
		}
		if (*p == '\0' || *p == '#')
			continue;
		t->line = p;
		if (*p == '|') {
			tr_fail(t, "a '|' line belongs after a put");
			continue;
		}
		/* The body of an upload: the "|" lines that follow. */
		first = t->lineno;
		bfp = open_memstream(&body, &blen);
		for (;;) {
			at = ftell(t->fp);
			if (getline(&more, &mcap, t->fp) == -1 ||
			    more[strspn(more, " \t")] != '|') {
				fseek(t->fp, at, SEEK_SET);
				break;
			}
			t->lineno++;
			copy = more + strspn(more, " \t") + 1;
			if (*copy == ' ')
				copy++;
			fputs(copy, bfp);
		}
		fclose(bfp);
		last = t->lineno;
		t->lineno = first;
		copy = strdup(p);
		if (tr_split(t, copy) == 0 && t->nw > 0)
			tr_step(t, body);
		free(copy);
		free(body);
		body = NULL;
		t->lineno = last;
		t->line = NULL;
	}
	free(more);
	free(line);
	fclose(t->fp);
	return (t->failed);
}

static int
tr_names_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
main(int argc, char **argv)
{
	static struct tr	*current;
	struct tr		*t;
	DIR			*d;
	struct dirent		*de;
	char			**files = NULL, cmd[128], *p;
	const char		*base;
	size_t			 nfiles = 0, i, k, len;
	int			 c, failed = 0, todo = 0, rc;

	while ((c = getopt(argc, argv, "v")) != -1) {
		if (c == 'v')
			tr_verbose = 1;
		else {
			fprintf(stderr, "usage: test_transcripts [-v] "
			    "[file...]\n");
			return (2);
		}
	}
	for (; optind < argc; optind++) {
		files = realloc(files, (nfiles + 1) * sizeof *files);
		files[nfiles++] = strdup(argv[optind]);
	}
	if (nfiles == 0) {
		if ((d = opendir(TR_DIR)) == NULL) {
			fprintf(stderr, "test_transcripts: %s: %s (run from "
			    "the top of the tree)\n", TR_DIR, strerror(errno));
			return (1);
		}
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0)
				continue;
			files = realloc(files, (nfiles + 1) * sizeof *files);
			if (asprintf(&files[nfiles++], "%s/%s", TR_DIR,
			    de->d_name) == -1)
				return (1);
		}
		closedir(d);
		qsort(files, nfiles, sizeof *files, tr_names_cmp);
	}

	log_open(stderr, LOG_LEVEL_ERROR);
	log_set_hook(tr_log_hook, &current);
	serve_clock = tr_clock;
	tr_fixture();

	printf("1..%zu\n", nfiles);
	for (i = 0; i < nfiles; i++) {
		t = calloc(1, sizeof *t);
		t->path = files[i];
		t->diagfp = open_memstream(&t->diag, &t->diaglen);
		current = t;
		if (tr_verbose)
			fprintf(stderr, "%s\n", t->path);
		rc = tr_run(t);
		if (t->started)
			tr_stop(t);
		current = NULL;
		fclose(t->diagfp);
		base = strrchr(t->path, '/') != NULL ? strrchr(t->path, '/') +
		    1 : t->path;
		if (t->todo != NULL) {
			printf("%s %zu - %s # %s\n", rc ? "not ok" : "ok",
			    i + 1, base, t->todo);
			todo++;
			if (!rc)
				printf("# %s passes now: remove its TODO "
				    "marker\n", base);
		} else {
			printf("%s %zu - %s\n", rc ? "not ok" : "ok", i + 1,
			    base);
			failed += rc;
		}
		if (rc || tr_verbose) {
			for (p = strtok(t->diag, "\n"); p != NULL;
			    p = strtok(NULL, "\n"))
				printf("#   %s\n", p);
			if (rc && t->todo == NULL) {
				printf("#   the engine's last log lines:\n");
				k = t->nlogs > TR_LOG_TAIL ? t->nlogs -
				    TR_LOG_TAIL : 0;
				for (; k < t->nlogs; k++)
					printf("#     %s\n",
					    t->logs[k % TR_LOG_TAIL]);
			}
		}
		for (k = 0; k < TR_LOG_TAIL; k++)
			free(t->logs[k]);
		for (k = 0; k < t->nxfers; k++) {
			free(t->xfers[k].name);
			free(t->xfers[k].ua);
		}
		free(t->diag);
		free(t->todo);
		free(t->repoint);
		free(t->damaged);
		free(t);
		free(files[i]);
	}
	free(files);
	fflush(stdout);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tr_root);
	tr_sh(cmd);
	if (todo > 0)
		fprintf(stderr, "%d transcripts are known defects (TODO)\n",
		    todo);
	return (failed > 0);
}
