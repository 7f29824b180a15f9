/*
 * The fleet: every phone the appliance has seen, keyed by MAC, and the state
 * machine of its recovery (docs/engine.md, "States"):
 *
 *   seen -> identified -> upgrading -> rebooting -> current -> trusting
 *        -> repointed -> repointed-quiet,   and failed(reason), held(reason).
 *
 * "repointed-quiet" (PHONE_RECOVERED; "recovered" in older journals) claims
 * only what the closet saw: re-pointed, then no request for the quiet
 * period.  That the phone reached ZTP is not verified from here.
 *
 * The fleet knows nothing of packets: the serving code tells it what a phone
 * did (asked for a file, sent a User-Agent, abandoned an image) together with
 * the evidence in words, and the fleet decides what it means.  The allowed
 * transitions are one table (fleet-lifecycle.c); what a transfer's ending
 * proves is another (fleet-xfer.c).  Every fact and every transition is
 * written to the journal, with its evidence, before the caller answers the
 * phone; a transition the journal cannot record is not made, and the log
 * says so.
 */
#ifndef ZTP_FLEET_H
#define ZTP_FLEET_H

#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>

#include "plan.h"
#include "version.h"
#include "xfer.h"

struct journal;
struct model_table;
struct model;

enum phone_state {
	PHONE_SEEN = 0,
	PHONE_IDENTIFIED,
	PHONE_UPGRADING,
	PHONE_REBOOTING,
	PHONE_CURRENT,
	PHONE_TRUSTING,
	PHONE_REPOINTED,
	PHONE_RECOVERED,
	PHONE_FAILED,
	PHONE_HELD,
	PHONE_VERIFIED		/* repointed-quiet, and its CA and re-point
				   target checked from this closet */
};
#define PHONE_NSTATES 11

/* What moves a phone from one state to another (fleet-lifecycle.c). */
enum fleet_event {
	FEV_MODEL = 0,		/* its model is known */
	FEV_MODEL_UNKNOWN,	/* a model not in the table */
	FEV_RUNS_TARGET,	/* it proved it runs its target, or newer */
	FEV_IMAGE_STARTED,	/* its image transfer started */
	FEV_IMAGE_WHOLE,	/* its image went out whole */
	FEV_IMAGE_CUT,		/* its image stopped part way */
	FEV_IMAGE_UNPROVED,	/* its image ended proving nothing */
	FEV_STILL_OLDER,	/* after the image, still the old version */
	FEV_TRUST_SENT,		/* its trust/re-point file started */
	FEV_TRUST_DELIVERED,	/* ... and was delivered */
	FEV_QUIET,		/* the quiet period after the re-point */
	FEV_CAME_BACK,		/* back too often after the re-point */
	FEV_BOOT,		/* a failed phone asked for its master config */
	FEV_VERSION_UNKNOWN,	/* image asked for, version unknown, policy hold */
	FEV_VERSION_KNOWN,	/* ... and now the version is known */
	FEV_HOLD,		/* held: no image for it, or the operator */
	FEV_FAIL,
	FEV_RELEASE,		/* the operator */
	FEV_RETRY,		/* the operator */
	FEV_OLDER_PROVED,	/* stronger evidence of an older version than
				   the abandonment its state rests on */
	FEV_STEP_PROVED,	/* a step of its plan proved: the next one */
	FEV_FLASH_AGAIN,	/* back at the old version, tries left */
	FEV_ZTP_VERIFIED,	/* its CA and target passed the ZTP check */
	FEV_ZTP_UNVERIFIED	/* ... and a later check failed */
};
#define FLEET_NEVENTS	24

/* Targets that depend on the phone: where it starts again, where it was. */
#define FLEET_TO_START		(PHONE_NSTATES)
#define FLEET_TO_HELD_FROM	(PHONE_NSTATES + 1)

struct fleet_lifecycle_row {
	unsigned		 from;	/* bit per enum phone_state */
	enum fleet_event	 event;
	int			 to;	/* enum phone_state or FLEET_TO_* */
};

const char	*fleet_event_name(enum fleet_event);
const struct fleet_lifecycle_row *fleet_lifecycle_row(enum phone_state,
		    enum fleet_event);
/* Row i of the table, NULL past its end (tests). */
const struct fleet_lifecycle_row *fleet_lifecycle_at(size_t);
int		 fleet_lifecycle_allows(enum phone_state, enum fleet_event);
/* The state event leads to from this one: 0, or -1 when not allowed. */
int		 fleet_lifecycle_next(enum phone_state, enum fleet_event, int,
		    enum phone_state, enum phone_state *);
/* The table as the markdown table of docs/engine.md (to free). */
char		*fleet_lifecycle_markdown(void);

/* Where a version came from, weakest first. */
enum version_source {
	VSRC_NONE = 0,
	VSRC_APPLOG,		/* the uploaded app log */
	VSRC_ABANDON,		/* abandoned its target image after the header */
	VSRC_OPTION60,		/* DHCP option 60 sub-option 4 */
	VSRC_UA			/* HTTP User-Agent Type/Application */
};

enum unknown_policy {
	UNKNOWN_UPGRADE = 0,	/* offer the target image; the phone abandons it if current */
	UNKNOWN_HOLD		/* offer nothing until the version is known */
};

struct phone {
	char			 mac[13];
	char			 ip[64];
	char			 model[32];	/* token, "" while unknown */
	char			 part[32];
	char			 version[UCS_VERSION_TEXT_MAX];	/* running now, "" unknown */
	enum version_source	 version_source;
	char			 version_before[UCS_VERSION_TEXT_MAX];
	char			 target[UCS_VERSION_TEXT_MAX];
	enum phone_state	 state;
	enum phone_state	 held_from;	/* where release returns to */
	char			*reason;	/* failed/held, or a note; NULL */
	char			*held_reason;	/* the reason before a hold: a
						   release gives it back */
	int64_t			 first_seen;	/* unix ms */
	int64_t			 last_seen;
	int64_t			 state_since;
	uint64_t		 bytes_served;
	char			 ca_sha256[65];	/* of the CA it was given */
	char			 repoint[256];	/* "ztp" or the hand-off URL */
	unsigned		 returns;	/* boot cycles after re-point */
	char			 bootrom[UCS_VERSION_TEXT_MAX]; /* its separate
						   BootROM (SIP 2.x/3.x), "" */
	enum version_source	 bootrom_source;
	int			 has_bootrom;	/* it asked for bootrom.ld */
	unsigned		 flashes;	/* images taken whole without
						   progress (the loop bound) */
	char			 flashed[96];	/* the last image taken whole */

	/* In memory only: the transfer in progress. */
	char			 progress_file[96];
	uint64_t		 progress_bytes;
	uint64_t		 progress_total;
	double			 progress_rate;
	int			 boot_server_off; /* DHCP told to stop 66/160 */
	int64_t			 boot_server_retry; /* after a failed update */
	char			 lease_ip[64];	/* our DHCP's lease for it, or "" */
	int64_t			 image_withheld_at; /* a master config withheld
						   its image since it was
						   last taken whole: app logs
						   since are the flash's
						   result */

	TAILQ_ENTRY(phone)	 entry;
};
TAILQ_HEAD(phone_list, phone);

struct fleet_config {
	enum unknown_policy	 unknown_version;
	int64_t			 quiet_ms;	/* silence after re-point = repointed-quiet */
	unsigned		 max_returns;	/* boot cycles after re-point before failed */
	unsigned		 max_flashes;	/* images taken whole without
						   progress before failed */
	int64_t			 listening_since; /* the daemon's start: a quiet
						   period never counts before it */
};

/*
 * Tries at one image before a phone that comes back unchanged fails: the
 * default, and the range serve --max-flashes and set-policy accept.
 */
#define FLEET_MAX_FLASHES	3
#define FLEET_MAX_FLASHES_MIN	1
#define FLEET_MAX_FLASHES_MAX	20

/* What an image transfer's ending means (fleet-xfer.c decides). */
enum image_outcome {
	IMAGE_COMPLETE,		/* every byte delivered */
	IMAGE_ABANDONED,	/* stopped after the header: it runs this image */
	IMAGE_INTERRUPTED,	/* stopped part way: vanished mid-image */
	IMAGE_FAILED_OURS,	/* our side failed: nothing known of the phone */
	IMAGE_UNPROVED		/* ended proving nothing (refusal, shutdown) */
};

/*
 * The transfer-meaning table (fleet-xfer.c): (protocol, how it ended, bytes
 * acknowledged relative to the image header, who ended it) -> meaning.
 */
#define FLEET_IMAGE_HEADER	512	/* what a phone reads before it decides */
#define FLEET_ABANDON_MAX	(8ULL * 1024 * 1024)	/* and no more than this */
#define FLEET_SPAN_NONE		0x01	/* nothing acknowledged */
#define FLEET_SPAN_SHORT	0x02	/* less than the header */
#define FLEET_SPAN_HEADER	0x04	/* the header, not past the abandon limit */
#define FLEET_SPAN_PART		0x08	/* past it, not whole */
#define FLEET_SPAN_WHOLE	0x10	/* every byte */
#define FLEET_NXFER_RULES	14

struct fleet_xfer_rule {
	unsigned		 protos;	/* bit per enum xfer_proto */
	enum xfer_end		 end;
	unsigned		 spans;		/* FLEET_SPAN_* */
	int			 by;		/* enum xfer_by, or -1 any */
	enum image_outcome	 meaning;	/* for an image */
	const char		*image_word;	/* the journal's outcome */
	const char		*file_word;	/* the same for other files */
};

unsigned	 fleet_xfer_span(uint64_t, uint64_t, uint64_t);
/*
 * How far past the header a phone that read only the header may have
 * acknowledged: over TFTP one window (blksize, windowsize); over HTTP what
 * its kernel may take unread (the event's unread_max), 0 when unmeasured.
 */
uint64_t	 fleet_xfer_window(enum xfer_proto, unsigned, unsigned,
		    uint64_t);
/* The row for an ending; _window with fleet_xfer_window()'s bytes. */
const struct fleet_xfer_rule *fleet_xfer_rule(enum xfer_proto, enum xfer_end,
		    uint64_t, uint64_t, enum xfer_by);
const struct fleet_xfer_rule *fleet_xfer_rule_window(enum xfer_proto,
		    enum xfer_end, uint64_t, uint64_t, enum xfer_by, uint64_t);
/* Row i of the table, NULL past its end (tests). */
const struct fleet_xfer_rule *fleet_xfer_rule_at(size_t);

/* May a phone be given its model's image? */
enum image_verdict {
	IMAGE_OFFER,
	IMAGE_REFUSE_NEWER,	/* known newer than the target: never downgrade */
	IMAGE_REFUSE_HELD,	/* held, or version unknown under policy hold */
	IMAGE_REFUSE_STEP	/* its plan needs another step first (BootROM) */
};

/* A phone changed; a phone forgotten (it is freed after the call). */
typedef void (*fleet_notify_fn)(void *, const struct phone *);
typedef void (*fleet_forgot_fn)(void *, const struct phone *);

struct fleet {
	struct journal		*journal;
	struct model_table	*models;
	struct fleet_config	 config;
	struct phone_list	 phones;
	unsigned		 nphones;
	char			 ca_sha256[65];	/* "" while no CA is set */
	char			 repoint[256];
	/* The last ZTP reachability check (serve-ztpcheck.c), or ok -1. */
	struct fleet_ztp {
		int		 ok;		/* 1, 0, -1 none */
		char		 ca_sha256[65];
		char		 repoint[256];
		char		*sentence;	/* "verified from ..." */
	}			 ztp;
	fleet_notify_fn		 notify;
	fleet_forgot_fn		 forgot;	/* a phone forgotten, may be NULL */
	void			*notify_arg;
	struct plan_table	*plans;		/* upgrade-paths.tsv */
	/*
	 * The phones' link is down (a cable out): silence there proves
	 * nothing, and the quiet period counts again from its return.
	 */
	int			 deaf;
	int			 relistened;	/* listening_since: the link */
};

const char	*phone_state_name(enum phone_state);
int		 phone_state_from_name(const char *);
const char	*version_source_name(enum version_source);
enum version_source version_source_from_name(const char *);
const char	*unknown_policy_name(enum unknown_policy);

struct fleet	*fleet_new(struct journal *, struct model_table *,
		    const struct fleet_config *);
/* Continue every phone from the journal. */
int		 fleet_load(struct fleet *, char **);
/*
 * The daemon starts again on its journal: the transfers it was making are
 * gone, and a phone left upgrading waits for nothing (the daemon, once).
 */
void		 fleet_restarted(struct fleet *, int64_t);
void		 fleet_free(struct fleet *);
void		 fleet_set_notify(struct fleet *, fleet_notify_fn, void *);
/* Told of a phone forgotten, before it is freed. */
void		 fleet_set_forgot(struct fleet *, fleet_forgot_fn);
/* The CA fingerprint ("" for none) and re-point target now in force. */
void		 fleet_set_trust(struct fleet *, const char *, const char *);

struct phone	*fleet_find(struct fleet *, const char *);
/* The phone most recently seen at this address (the TFTP association). */
struct phone	*fleet_by_ip(struct fleet *, const char *);

/*
 * A request that names the phone (its MAC): creates it in "seen" or touches
 * it.  master is 1 for a master config request: the start of a boot cycle.
 */
struct phone	*fleet_seen(struct fleet *, const char *, const char *, int,
		    int64_t, const char *);
/* Any other request by a known phone: last_seen, and the quiet timer. */
void		 fleet_touch(struct fleet *, struct phone *, const char *,
		    int64_t);
/* The model, by token (part may be NULL) or by part number (token NULL). */
void		 fleet_learn_model(struct fleet *, struct phone *, const char *,
		    const char *, int64_t, const char *);
/*
 * The phone's model when the table knows it but not its part number
 * (SoundStation Duo), else NULL; fleet_learn_part() records the part the
 * phone named itself by asking for <part>.sip.ld under a generic
 * APP_FILE_PATH, as evidence, and its recovery goes on with that part.
 */
const struct model *fleet_part_unknown(const struct fleet *,
		    const struct phone *);
void		 fleet_learn_part(struct fleet *, struct phone *, const char *,
		    int64_t, const char *);
void		 fleet_learn_version(struct fleet *, struct phone *,
		    const struct ucs_version *, enum version_source, int64_t,
		    const char *);
/* The concrete target build of the phone's model (package in the library). */
void		 fleet_set_target(struct fleet *, struct phone *, const char *);

/* Without side effects (rendering); verdict() also holds the phone. */
enum image_verdict fleet_image_check(const struct fleet *,
		    const struct phone *, const char **);
/* Its master config offers no image: taken whole up to the bound. */
int		 fleet_image_withheld(const struct fleet *, const struct phone *);
enum image_verdict fleet_image_verdict(struct fleet *, struct phone *,
		    int64_t, const char **);
void		 fleet_image_started(struct fleet *, struct phone *,
		    const char *, uint64_t, int64_t, const char *);
void		 fleet_image_finished(struct fleet *, struct phone *,
		    const char *, const struct ucs_version *, enum image_outcome,
		    uint64_t, uint64_t, int64_t, const char *);

/*
 * Upgrade plans (plan.h): the phone's chain of steps, and the step served
 * now (NULL when none is left).  A BootROM: asked for (bootrom.ld), its
 * version (a User-Agent without Type/, or its image abandoned), its image's
 * ending.
 */
void		 fleet_plan(const struct fleet *, const struct phone *,
		    struct plan *);
const struct plan_step *fleet_plan_current(const struct fleet *,
		    const struct phone *, struct plan *);
void		 fleet_asked_bootrom(struct fleet *, struct phone *, int64_t,
		    const char *);
void		 fleet_learn_bootrom(struct fleet *, struct phone *,
		    const struct ucs_version *, enum version_source, int64_t,
		    const char *);
void		 fleet_bootrom_finished(struct fleet *, struct phone *,
		    const char *, const struct ucs_version *, enum image_outcome,
		    uint64_t, uint64_t, int64_t, const char *);

/* 1 when the phone's known version is older than its model's target. */
int		 fleet_below_target(const struct fleet *, const struct phone *);
/* 1 when the phone has proved it runs its target: phase 2 may begin. */
int		 fleet_proved_target(struct fleet *, const struct phone *);
/* The trust/re-point file was rendered (complete 0) or delivered (1). */
void		 fleet_phase2_served(struct fleet *, struct phone *, int,
		    int64_t, const char *);

void		 fleet_fail(struct fleet *, struct phone *, const char *,
		    int64_t, const char *);
void		 fleet_hold(struct fleet *, struct phone *, const char *,
		    int64_t, const char *);
int		 fleet_release(struct fleet *, struct phone *, int64_t,
		    char **);
/* Released for the reason evidence gives (not the operator). */
int		 fleet_release_for(struct fleet *, struct phone *, int64_t,
		    const char *, char **);
int		 fleet_retry(struct fleet *, struct phone *, int64_t, char **);
/* Journalled ("forgotten"), told, then gone; -1 if not recorded. */
int		 fleet_forget(struct fleet *, struct phone *, int64_t);
void		 fleet_add_bytes(struct fleet *, struct phone *, uint64_t);
void		 fleet_progress(struct fleet *, struct phone *, const char *,
		    uint64_t, uint64_t, double);

/* Quiet-period rule: re-pointed phones silent long enough are repointed-quiet. */
void		 fleet_tick(struct fleet *, int64_t);
/* The wall clock was set by this many ms: the phones' times move with it. */
void		 fleet_clock_moved(struct fleet *, int64_t);
/*
 * Whether the daemon can hear the phones now (their interface has its
 * link and address): no phone is made quiet while it cannot, and the
 * quiet period counts from when it can again.
 */
void		 fleet_set_listening(struct fleet *, int, int64_t);
/*
 * A ZTP reachability check ended (ok 1 or 0) for this CA fingerprint and
 * re-point target: kept, and told to every repointed-quiet or verified
 * phone given that CA and target (a "ztp-reachability" fact), which
 * becomes verified, or repointed-quiet again when the check failed.
 */
void		 fleet_ztp_result(struct fleet *, int, const char *,
		    const char *, const char *, int64_t);

/* The phone object of docs/control-protocol.md. */
json_t		*fleet_phone_json(const struct fleet *, const struct phone *);
/* "counts" and "phones" of the status document. */
json_t		*fleet_counts_json(const struct fleet *);
json_t		*fleet_phones_json(const struct fleet *);

/* "2026-11-27T10:00:00Z" of unix ms, into buf (at least 32 bytes). */
char		*fleet_format_time(int64_t, char *, size_t);

#endif
