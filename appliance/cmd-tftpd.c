/*
 * `ztp-rescue tftpd`: the appliance's TFTP engine serving one directory
 * read-only, for upgrading switches and other gear by hand.  Uploads go only
 * into --upload-dir, never over an earlier file.  A summary line per transfer
 * goes to stdout; on a terminal, running transfers show progress.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "log.h"
#include "pathsafe.h"
#include "tftp.h"
#include "upload.h"
#include "xmalloc.h"

#define TFTPD_UPLOAD_MAX	(1024ULL * 1024 * 1024)

static int	cmd_tftpd_exec(const struct cmd_entry *, int, char **);
static void	cmd_tftpd_event(void *, const struct xfer_event *);
static void	cmd_tftpd_signal(evutil_socket_t, short, void *);

enum {
	OPT_UPLOAD_DIR = CMD_LONG_ONLY,
	OPT_BLKSIZE_MAX,
	OPT_WINDOWSIZE_MAX,
	OPT_UPLOAD_MAX,
	OPT_ABANDON_MS,
	OPT_WORKERS
};

static const struct cmd_option cmd_tftpd_options[] = {
	{ "root", 'r', "DIR", "the directory to serve (read-only)" },
	{ "listen", 'l', "ADDR", "the address to listen on (default 0.0.0.0)" },
	{ "port", 'p', "N", "the UDP port (default 69)" },
	{ "upload-dir", OPT_UPLOAD_DIR, "DIR",
	    "accept uploads into DIR (default: refuse every upload)" },
	{ "upload-max", OPT_UPLOAD_MAX, "BYTES",
	    "the largest upload accepted (default 1 GiB)" },
	{ "blksize-max", OPT_BLKSIZE_MAX, "N",
	    "the largest block size granted, 8..65464 (default 65464, "
	    "and never above the interface MTU - 32)" },
	{ "windowsize-max", OPT_WINDOWSIZE_MAX, "N",
	    "the largest RFC 7440 window granted, 1..1024 (default 64)" },
	{ "abandon-ms", OPT_ABANDON_MS, "MS",
	    "silence after which a transfer ends as abandoned (default "
	    "3000; a client's own RFC 2349 timeout can lengthen it)" },
	{ "workers", OPT_WORKERS, "N",
	    "threads that run downloads, each with its own event loop, "
	    "0..64 (default: one per online CPU; 0: all in one loop)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_tftpd_entry = {
	.name = "tftpd",
	.args = "",
	.summary = "serve a directory over TFTP with a summary line per "
	    "transfer",
	.options = cmd_tftpd_options,
	.exec = cmd_tftpd_exec
};

static int	cmd_tftpd_tty;

static void
cmd_tftpd_event(void *arg, const struct xfer_event *ev)
{
	const char	*what = ev->upload ? "write" : "read";
	char		*name, *result = NULL;
	double		 secs, rate;

	name = log_escape(ev->name, strlen(ev->name));
	secs = ev->seconds > 0.001 ? ev->seconds : 0.001;
	rate = ev->bytes / 1e6 / secs;
	switch (ev->phase) {
	case XFER_STARTED:
	case XFER_UPLOAD_REFUSED:
		break;
	case XFER_PROGRESS:
		if (!cmd_tftpd_tty)
			break;
		if (ev->total > 0)
			printf("\r\033[K%s %s %s: %llu of %llu bytes (%u%%), "
			    "%.1f MB/s", ev->peer_text, what, name,
			    (unsigned long long)ev->bytes,
			    (unsigned long long)ev->total,
			    (unsigned)(ev->bytes * 100 / ev->total), rate);
		else
			printf("\r\033[K%s %s %s: %llu bytes, %.1f MB/s",
			    ev->peer_text, what, name,
			    (unsigned long long)ev->bytes, rate);
		fflush(stdout);
		break;
	case XFER_UPLOAD_STORED:
		printf("%s%s %s %s: stored as %s\n", cmd_tftpd_tty ?
		    "\r\033[K" : "", ev->peer_text, what, name,
		    ev->stored_path);
		break;
	case XFER_ENDED:
		/* A reader that stopped part way left: the usual TFTP end. */
		if (ev->end == XFER_END_COMPLETE)
			result = xstrdup("completed");
		else if (!ev->upload && ev->by == XFER_BY_PEER &&
		    ev->end != XFER_END_OPTION_REFUSED)
			xasprintf(&result, "abandoned after %llu bytes: %s",
			    (unsigned long long)ev->bytes, ev->reason);
		else
			xasprintf(&result, "failed: %s", ev->reason != NULL ?
			    ev->reason : xfer_end_name(ev->end));
		printf("%s%s %s %s: %s, %llu bytes, blksize %u, window %u, "
		    "%.2f s, %.2f MB/s, %u retransmits\n", cmd_tftpd_tty ?
		    "\r\033[K" : "", ev->peer_text, what, name, result,
		    (unsigned long long)ev->bytes, ev->blksize,
		    ev->windowsize, ev->seconds, rate, ev->retransmits);
		free(result);
		break;
	}
	free(name);
}

static void
cmd_tftpd_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static int
cmd_tftpd_exec(const struct cmd_entry *self, int argc, char **argv)
{
	struct tftp_config		 cfg;
	struct tftp_hooks		 hooks;
	struct tftp_dir_resolver	 dr;
	struct tftp_server		*srv;
	struct upload_store		*uploads = NULL;
	struct event_base		*base;
	struct event			*ev_int, *ev_term;
	const char			*arg, *root = NULL, *updir = NULL;
	unsigned long			 v, upmax = TFTPD_UPLOAD_MAX;
	char				*cause;
	int				 c, first;

	tftp_config_defaults(&cfg);
	cfg.workers = tftp_workers_default();
	while ((c = cmd_next_option(self, argc, argv, &arg, &first)) != 0) {
		switch (c) {
		case -1:
			return (EXIT_USAGE);
		case 'l':
			cfg.listen = arg;
			break;
		case 'p':
			if (cmd_parse_uint(self, "--port", arg, 0, 65535,
			    &v) != 0)
				return (EXIT_USAGE);
			cfg.port = v;
			break;
		case 'r':
			root = arg;
			break;
		case OPT_UPLOAD_DIR:
			updir = arg;
			break;
		case OPT_UPLOAD_MAX:
			if (cmd_parse_uint(self, "--upload-max", arg, 1,
			    ~0UL, &upmax) != 0)
				return (EXIT_USAGE);
			break;
		case OPT_ABANDON_MS:
			if (cmd_parse_uint(self, "--abandon-ms", arg, 100,
			    3600000, &v) != 0)
				return (EXIT_USAGE);
			cfg.abandon_ms = v;
			break;
		case OPT_BLKSIZE_MAX:
			if (cmd_parse_uint(self, "--blksize-max", arg, 8,
			    65464, &v) != 0)
				return (EXIT_USAGE);
			cfg.max_blksize = v;
			break;
		case OPT_WORKERS:
			if (cmd_parse_uint(self, "--workers", arg, 0,
			    TFTP_WORKERS_MAX, &v) != 0)
				return (EXIT_USAGE);
			cfg.workers = v;
			break;
		case OPT_WINDOWSIZE_MAX:
			if (cmd_parse_uint(self, "--windowsize-max", arg, 1,
			    1024, &v) != 0)
				return (EXIT_USAGE);
			cfg.max_windowsize = v;
			break;
		}
	}
	if (first != argc)
		return (cmd_usage_error(self, "unexpected argument '%s'",
		    argv[first]));
	if (root == NULL)
		return (cmd_usage_error(self, "--root DIR is required"));

	log_open(NULL, LOG_LEVEL_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cmd_tftpd_tty = isatty(STDOUT_FILENO);
	if ((dr.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		fprintf(stderr, "ztp-rescue tftpd: cannot open --root %s: %s\n",
		    root, strerror(errno));
		return (EXIT_RUNTIME);
	}
	if (pathsafe_probe(dr.rootfd, &cause) != 0) {
		fprintf(stderr, "ztp-rescue tftpd: cannot serve --root %s: "
		    "%s\n", root, cause);
		free(cause);
		close(dr.rootfd);
		return (EXIT_RUNTIME);
	}
	if (updir != NULL && (uploads = upload_store_open(updir,
	    UPLOAD_ANY_SAFE_NAME, upmax, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue tftpd: %s\n", cause);
		free(cause);
		close(dr.rootfd);
		return (EXIT_RUNTIME);
	}
	cfg.uploads = uploads;
	signal(SIGPIPE, SIG_IGN);

	base = event_base_new();
	memset(&hooks, 0, sizeof hooks);
	hooks.resolve = tftp_resolve_dir;
	hooks.event = cmd_tftpd_event;
	hooks.arg = &dr;
	if ((srv = tftp_server_start(base, &cfg, &hooks, &cause)) == NULL) {
		fprintf(stderr, "ztp-rescue tftpd: %s\n", cause);
		free(cause);
		event_base_free(base);
		upload_store_free(uploads);
		close(dr.rootfd);
		return (EXIT_RUNTIME);
	}
	log_info("tftpd: serving %s on %s port %u%s%s", root, cfg.listen,
	    tftp_server_port(srv), updir != NULL ? ", uploads into " : "",
	    updir != NULL ? updir : "");
	ev_int = evsignal_new(base, SIGINT, cmd_tftpd_signal, base);
	ev_term = evsignal_new(base, SIGTERM, cmd_tftpd_signal, base);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_term, NULL);

	event_base_dispatch(base);

	tftp_server_free(srv);
	event_free(ev_int);
	event_free(ev_term);
	event_base_free(base);
	upload_store_free(uploads);
	close(dr.rootfd);
	return (EXIT_OK);
}
