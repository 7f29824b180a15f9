/*
 * The daemon, `ztp-rescue serve`: one process, one libevent loop.  serve.c
 * sets it up (options, state directory, binding, dropping root, signals);
 * the engine turns requests and transfers into fleet facts and answers:
 * serve-ident.c (which phone, what it says), serve-answer.c (the bytes for
 * a request), serve-xfer.c (the transfers in flight and what their endings
 * mean), serve-package.c (the package a phone waits for), serve-phone.c
 * (a phone changed: DHCP, report, clients);
 * serve-control.c answers the control socket.
 */
#ifndef ZTP_SERVE_H
#define ZTP_SERVE_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

#include <jansson.h>

#include "dhcp.h"
#include "fleet.h"
#include "http.h"
#include "provision.h"
#include "tftp.h"

struct event_base;
struct event;
struct journal;
struct library;
struct model;
struct model_table;
struct param_table;
struct tftp_server;
struct http_server;
struct syslog_server;
struct control_server;
struct control_later;
struct dhcp;
struct upload_store;
struct trust_ca;
struct bufferevent;

/*
 * Phones a claim no lease of ours binds may add to the fleet: far more than
 * any closet holds, few enough that a host forging a MAC per request cannot
 * grow the fleet, the journal and every status answer without bound.
 */
#define SERVE_PHONE_LIMIT	2048

struct serve_options {
	const char		*listen;
	unsigned		 tftp_port;
	int			 tftp_workers;	/* -1: one per online CPU */
	int			 http_workers;	/* -1: one per online CPU */
	unsigned		 http_port;
	unsigned		 https_port;	/* 0: no HTTPS */
	int			 syslog_port;	/* -1: no syslog */
	const char		*state_dir;
	const char		*library_dir;	/* default STATE/library */
	const char		*ca_file;
	const char		*models_file;
	const char		*repoint;	/* "ztp" or a URL */
	const char		*repoint_template;	/* operator file */
	enum unknown_policy	 unknown_version;
	unsigned		 quiet_period;	/* seconds */
	unsigned		 max_flashes;	/* tries at one image */
	int			 no_dhcp;
	const char		*iface;
	const char		*address;
	int			 force_dhcp;
	int			 dhcp_any;	/* answer every client */
	unsigned		 vlan;		/* serve on IF.VLAN; 0: IF */
	const char		*lldpd_socket;	/* ask this lldpd; NULL none */
	int			 foreground;
	const char		*user;
	uint64_t		 upload_max;
	uint64_t		 upload_quota;	/* all uploads, bytes */
	uint64_t		 upload_phone_quota; /* per phone, bytes */
	unsigned		 phone_limit;	/* phones on unbound claims; 0 any */
	int			 no_verify;	/* no re-hash at start */
	const char		*report_dir;	/* keep the report here */
	int64_t			 syslog_keep_phone;	/* rows per phone */
	int64_t			 syslog_keep_total;	/* rows in all */
	const char		*verify_via;	/* ZTP check out of this IF */
	const char		*verify_hosts;	/* its resolver's only file */
	const char		*ztp_host;	/* HOST[:PORT] for "ztp" */
	/* Given on the command line: wins over STATE/settings.json. */
	int			 unknown_version_set;
	int			 repoint_set;
	int			 max_flashes_set;
};

/* One transfer the daemon is watching, for the journal's transfer row. */
struct serve_xfer {
	uint64_t		 id;
	enum xfer_proto		 proto;
	char			 mac[13];
	char			 ip[64];
	char			*name;
	int			 image;		/* a <part>.sip.ld, or bootrom */
	int			 bootrom;	/* ... a BootROM image */
	int			 phone_file;	/* the per-phone trust file */
	int			 phase2;	/* it carried trust + re-point */
	struct ucs_version	 image_version;
	int64_t			 since;		/* resolved, serve_now() ms */
	uint64_t		 total;
	uint64_t		 bytes;		/* acknowledged, last progress */
	uint64_t		 window;	/* fleet_xfer_window() */
	int			 decided;	/* image outcome already told */
	int			 abandon_told;	/* ... as read-the-header */
	int			 started;	/* the server said it started */
	LIST_ENTRY(serve_xfer)	 entry;
};

/* A child process working on the library (serve-job.c). */
enum serve_job_kind {
	SERVE_JOB_IMPORT,
	SERVE_JOB_VERIFY
};

struct serve_job {
	struct serve		*s;
	unsigned int		 id;
	enum serve_job_kind	 kind;
	json_t			*paths;		/* import: what to import */
	pid_t			 pid;		/* -1 waiting, -2 exited */
	struct bufferevent	*bev;		/* its stdout */
	struct event		*reap;
	json_t			*final;		/* import: its last line */
	char			*doc;		/* verify: its whole output */
	uint64_t		 done;
	uint64_t		 total;
	TAILQ_ENTRY(serve_job)	 entry;
};

/*
 * Where DHCP runs, and a move to another VLAN that did not serve (the
 * "dhcp" control command, serve-dhcp-move.c).  A move stops DHCP where it
 * runs and starts it at the new place; when that refuses, DHCP goes back
 * to where it was and the note says so until the next "dhcp" command.
 */
struct dhcp_place {
	char		 iface[32];	/* the phones' interface, "eth1" */
	char		 address[64];	/* the appliance's, "10.99.0.1/24" */
	unsigned	 vlan;		/* 0: untagged */
	int		 force;
};

struct dhcp_move {
	int			 going_back;	/* the way back is starting */
	int			 was_on;	/* DHCP served at from */
	struct dhcp_place	 from;
	struct dhcp_place	 to;
	char			 made[32];	/* the 802.1Q link made for to */
	char			*refused;	/* why to did not serve; NULL:
						 * no failed move to show */
	char			*back_failed;	/* why from did not either */
};

/* How long a start waits for a killed daemon's children to let go. */
#define SERVE_HOLD_WAIT_MS	10000

struct serve {
	struct serve_options	 opt;
	char			*state_abs;	/* a relative opt.state_dir, full */
	int			 state_lock;	/* flock()ed while it runs */
	struct event_base	*base;
	struct journal		*journal;
	struct model_table	*models;
	struct param_table	*params;	/* documented device.* parameters */
	struct library		*library;
	struct fleet		*fleet;
	struct trust_ca		*ca;
	char			*template;	/* re-point template bytes */
	size_t			 template_len;
	char			*template_name;
	char			*repoint_url;	/* NULL: ZTP */
	struct provision	 prov;
	struct upload_store	*uploads;
	struct tftp_server	*tftp;
	struct http_server	*http;
	struct syslog_server	*syslog;
	struct control_server	*control;
	struct dhcp		*dhcp;
	struct closet		*closet;	/* serve-closet.c */
	struct control_later	*dhcp_later;	/* a "dhcp" still starting */
	int			 dhcp_later_auto; /* ... asked with "auto" */
	char			*dhcp_iface;	/* where DHCP last started */
	char			*dhcp_address;
	int			 dhcp_force;
	struct dhcp_move	 dhcp_move;	/* serve-dhcp-move.c */
	char			*boot_url;
	struct event		*tick;
	struct event		*journal_tick;	/* commits grouped writes */
	uint64_t		 syslog_limited;	/* told the journal */
	/* serve-ident.c: new-MAC claims dropped at --phone-limit. */
	uint64_t		 claims_over_limit;
	/* A damaged journal renamed aside at start: where, and why. */
	char			*journal_aside;
	char			*journal_aside_why;
	int64_t			 claims_over_limit_told;	/* monotonic ms */
	struct event		*sig_int;
	struct event		*sig_term;
	struct event		*sig_hup;
	LIST_HEAD(, serve_xfer)	 xfers;
	/*
	 * BootROMs served to an address before any phone there named itself
	 * (serve-answer.c): the phone that then does is given them.
	 */
	struct {
		char			 ip[64];
		char			 name[64];
		char			 sha256[65];
		uint64_t		 size;
		int64_t			 ts;
		unsigned		 given;	/* times served, same BootROM */
		int			 told;	/* its loop logged */
		char			 bootrom[32];	/* its UA said then */
	}			 unowned[8];
	unsigned int		 unowned_next;
	TAILQ_HEAD(, serve_job)	 jobs;
	unsigned int		 last_job;
	char			*self_exe;	/* what jobs run */
	char			*stored_repoint; /* from settings.json */
	char			*settings_error; /* settings.json unreadable */
	/* serve-log.c: log events, rate-limited. */
	int64_t			 log_tokens;
	int64_t			 log_refilled;	/* monotonic ms */
	uint64_t		 log_dropped;
	int64_t			 log_told;	/* last "missed" event */
	int			 log_busy;
	/* serve-report.c: the report kept in --report-dir. */
	int			 report_dirty;
	int64_t			 report_written;	/* wall-clock ms */
	char			*report_error;	/* last failure told */
	pid_t			 report_pid;	/* the writer, or -1 */
	int			 report_fd;	/* its cause, or -1 */
	int			 exit_code;
	struct serve_ztp	*ztp;		/* serve-ztpcheck.c */
};

/* Wall-clock ms; serve_clock, when set, replaces the clock (transcripts). */
extern int64_t	(*serve_clock)(void);
/* From now on serve_now() moves s's phones' times with a clock set. */
void		 serve_watch_clock(struct serve *);
int64_t	 serve_now(void);
int	 serve_main(struct serve_options *);
void	 serve_options_defaults(struct serve_options *);
void	 serve_refresh_provision(struct serve *);
int	 serve_set_ca(struct serve *, const char *, char **);
int	 serve_set_repoint(struct serve *, const char *, char **);
int	 serve_dhcp_start(struct serve *, const char *, const char *, int,
	    char **);
/* The same without blocking the loop; fn is called once (dhcp.h). */
int	 serve_dhcp_start_async(struct serve *, const char *, const char *,
	    int, int, void (*)(void *, struct dhcp *, const char *), char **);

/* serve-ztpcheck.c: the optional ZTP reachability check. */
int	 serve_ztp_start(struct serve *, const char *, char **);
void	 serve_ztp_tick(struct serve *);
json_t	*serve_ztp_json(struct serve *);
void	 serve_ztp_free(struct serve *);

/* serve-report.c: the report kept on disk as phones change. */
void	 serve_report_changed(struct serve *);
void	 serve_report_tick(struct serve *, int64_t);
void	 serve_report_flush(struct serve *);

/* serve.c: the grouped journal writes, committed now. */
void	 serve_journal_flush(struct serve *);
void	 serve_journal_sync(struct serve *);

/*
 * The engine's entry points: hooks for the protocol servers, and what
 * engine transcripts drive without sockets.
 */
int	 serve_tftp_resolve(void *, const struct tftp_request *,
	    struct tftp_content *, char **);
int	 serve_http_resolve(void *, const struct http_request_info *,
	    struct http_content *, char **);
void	 serve_xfer_event(void *, const struct xfer_event *);
void	 serve_syslog_line(void *, const char *, const char *, size_t);
void	 serve_dhcp_lease(void *, const struct dhcp_lease *);
void	 serve_phone_changed(void *, const struct phone *);
void	 serve_phone_forgotten(void *, const struct phone *);
/* serve-phone.c: failed boot-server updates tried again. */
void	 serve_phones_tick(struct serve *);
json_t	*serve_status_json(struct serve *);

/* serve-ident.c: which phone asks, and what its request says. */
struct ident_name;
struct phone	*serve_identify(struct serve *, const char *,
		    const struct ident_name *, const char *, const char *,
		    const char *, int, int64_t, char **);
void		 serve_upload_event(struct serve *, const struct xfer_event *);

/* serve-xfer.c: the transfers answered and in flight. */
struct serve_xfer *serve_xfer_pending(struct serve *, enum xfer_proto,
		    const char *, const char *, const char *);
void		 serve_xfer_drop(struct serve *, struct serve_xfer *);
void		 serve_xfer_head(struct serve *, enum xfer_proto,
		    const char *, const char *, const char *, const char *,
		    uint64_t);
void		 serve_xfers_free(struct serve *);
void		 serve_moved_on(struct serve *, struct phone *, const char *,
		    int, int64_t);
/* A phone new at ip: BootROMs served there before it named itself. */
void		 serve_claim_bootrom(struct serve *, struct phone *,
		    const char *, int64_t);

/*
 * serve-package.c: the package a phone waits for.  A hold's reason starts
 * with one of CONTROL_LACKS_* (control.h) when it is for a package; the
 * recheck after the library or a target changed releases only those.
 */
/* The package serving m's target for part; NULL with why when none. */
const struct library_package *serve_image_package(struct serve *,
		    const struct model *, const char *, char **);
/* NULL when it holds a BootROM of want or later for m, else the reason. */
char		*serve_bootrom_lacking(struct serve *, const struct model *,
		    const struct ucs_version *);
/*
 * At each request (ua NULL over TFTP): an identified phone that needs an
 * image the library lacks is held; one held for a package it no longer
 * needs, or that is there now, is released.
 */
/* Held with what to import when its plan's BootROM step has no package. */
void		 serve_bootrom_missing(struct serve *, struct phone *, int64_t,
		    const char *);
void		 serve_package_wait(struct serve *, struct phone *,
		    const char *, int64_t, const char *);
/* The library or a target changed: release the phones it was held for. */
void		 serve_package_recheck(struct serve *, int64_t);

/* serve-job.c: imports and verification in a child process. */
unsigned int	 serve_job_start(struct serve *, enum serve_job_kind, json_t *,
		    int *);
void		 serve_jobs_free(struct serve *);
json_t		*serve_jobs_json(struct serve *);
int		 serve_library_reload(struct serve *, char **);
/* Use lib (opened) from now on: the provisioning and held phones follow. */
void		 serve_library_swap(struct serve *, struct library *);

/* serve-log.c: log lines to control subscribers. */
void		 serve_log_start(struct serve *);
void		 serve_log_stop(struct serve *);
void		 serve_log_tick(struct serve *);

/* serve-settings.c: STATE/settings.json */
void		 serve_settings_load(struct serve *);
int		 serve_settings_save(struct serve *, char **);
void		 serve_settings_changed(struct serve *, int);

/* serve-closet.c: what the closet shows besides the fleet. */
/* Add "ignored" (DHCP clients not answered) to a status object. */
void	 serve_closet_status(struct serve *, json_t *);
/* The passive listener on the phones' interface, with DHCP. */
void	 serve_closet_start(struct serve *, const char *, const char *);
void	 serve_closet_stop(struct serve *);
/* DHCP's interface is a new one: the listener binds to it again. */
void	 serve_closet_relisten(void *);
void	 serve_closet_free(struct serve *);
/* The lease hook for dhcp_start: the listener learns, then the fleet. */
void	 serve_closet_lease(void *, const struct dhcp_lease *);
struct dhcp_ignored;
void	 serve_closet_ignored(void *, const struct dhcp_ignored *);

/* serve-dhcp-move.c: the "dhcp" control command. */
int	 serve_ctl_dhcp(void *, json_t *, json_t **, char **);
/* "VLAN 20: DHCP refused: WHY; still serving on eth1 (untagged)". */
char	*serve_move_sentence(const struct dhcp_move *);
/* Add "dhcp_iface" and "dhcp_move" (null or the failed move) to status. */
void	 serve_move_status(struct serve *, json_t *);
void	 serve_move_clear(struct dhcp_move *);

/* serve-control.c */
void	 serve_control_register(struct serve *);
/* A journal note of the settings in force (policy, re-point, CA). */
void	 serve_note_settings(struct serve *);

#endif
