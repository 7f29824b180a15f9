/*
 * phonesim: a simulated Polycom phone for tests.  It follows the boot
 * sequence of docs/phonesim.md (after the provisioning reference) over
 * libcurl's TFTP and HTTP clients, and shares no code with the appliance so
 * that the two cannot agree on a mistake.
 */
#ifndef PHONESIM_H
#define PHONESIM_H

#include <sys/queue.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#define SIM_HEADER_SIZE		512
#define SIM_MAX_BOOTS		8
#define SIM_MAC_LEN		12

/* util.c: allocation that never fails, small string helpers. */
void	*sim_malloc(size_t);
void	*sim_calloc(size_t, size_t);
void	*sim_realloc(void *, size_t);
char	*sim_strdup(const char *);
char	*sim_strndup(const char *, size_t);
int	 sim_asprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sim_fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
char	*sim_escape(const void *, size_t);
char	*sim_printable(const char *);
char	*sim_json_string(const char *);
char	*sim_replace(const char *, const char *, const char *);
char	*sim_trim(char *);
char	*sim_sha256_hex(const void *, size_t);

/* A growable byte buffer. */
struct sim_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};
void	 sim_buf_add(struct sim_buf *, const void *, size_t);
void	 sim_buf_printf(struct sim_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sim_buf_free(struct sim_buf *);

/* version.c: four integer fields, compared as integers. */
int	 sim_version_parse(const char *, unsigned long[4], int *);
int	 sim_version_cmp(const char *, const char *, int);
int	 sim_version_major(const char *);

/* models.c: the simulator's own copy of the models table. */
struct sim_model {
	const char	*token;		/* "VVX410" */
	const char	*family;	/* "VVX": PolycomVVX-... in the UA */
	const char	*ua_model;	/* "VVX_410" */
	const char	*part;		/* "3111-46162-001", NULL if unknown */
	const char	*sha2_min;	/* first SHA-2-capable release "4.1.7" */
};
const struct sim_model	*sim_model_find(const char *);
void			 sim_model_list(FILE *);
const struct sim_model	*sim_model_custom(const char *, const char *,
			    const char *);
void			 sim_model_free(const struct sim_model *);

/* param.c: name=value lists, first value wins. */
struct sim_param {
	char			*name;
	char			*value;
	TAILQ_ENTRY(sim_param)	 entry;
};
TAILQ_HEAD(sim_params, sim_param);
void		 sim_params_init(struct sim_params *);
const char	*sim_params_get(struct sim_params *, const char *);
int		 sim_params_add_first(struct sim_params *, const char *,
		     const char *);
void		 sim_params_set(struct sim_params *, const char *, const char *);
void		 sim_params_clear(struct sim_params *);
/* The documented parameters (params.tsv): a phone ignores the rest. */
void		 sim_rules_load(const char *);
void		 sim_rules_free(void);
char		*sim_rules_check(const char *, const char *, const char *);

/* fault.c: faults injected on demand. */
struct sim_faults {
	long long	power_loss_at;	/* bytes into the image, -1 = none */
	int		power_loss_done;
	long		slow_kbps;	/* 0 = full speed */
	int		loss_pct;	/* requests lost, 0..100 */
	int		no_return;	/* never comes back after a reboot */
	int		flash_no_take;	/* a flashed image does not take */
	uint64_t	rng;		/* deterministic per phone */
};
int	 sim_fault_parse(struct sim_faults *, const char *, char **);
int	 sim_fault_lose(struct sim_faults *);

/* transcript.c: one line per request, per phone. */
struct sim_transcript {
	char		 mac[SIM_MAC_LEN + 1];
	FILE		*live;		/* written as it happens, or NULL */
	struct sim_buf	 saved;		/* kept for a fleet's sections */
};
void	 sim_transcript_line(struct sim_transcript *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sim_transcript_lock(void);
void	 sim_transcript_unlock(void);

/* The phone: identity, flash and what it learned on this run. */
struct phone {
	char			 mac[SIM_MAC_LEN + 1];
	const struct sim_model	*model;
	char			*part;
	char			*version;	/* running UCS version */
	char			*version_before;
	char			*updater;	/* Updater (BootROM) version */
	char			*required;	/* version it must end at */
	char			*server;	/* static boot server URL */
	char			*ztp;		/* ZTP URL or NULL */
	char			*ztp_ca;	/* extra factory trust, or NULL */
	char			*state_path;
	char			*source;	/* the phone's own IPv4 address */
	char			*dhcp_iface;	/* --dhcp: lease at every boot */
	char			*dhcp_server;	/* boot server from this lease */
	char			*lldp_iface;	/* --lldp-med: sent at every boot */
	int			 lldp_vlan;	/* --voice-vlan: its policy, 0 none */
	char			*static_ip;	/* --static-ip IFACE=A/N */
	char			*refuse_iface;	/* --dhcp-refuse */
	char			*learn_iface;	/* --learn-vlan */
	char			*decline_iface;	/* --dhcp-decline */
	int			 decline_wait;	/* --decline-wait, seconds */
	int			 tftp_blksize;	/* 0: no options (RFC 1350) */
	int			 tftp_plain;	/* reads on tftp-get.c */
	time_t			 deadline;

	/* Flash. */
	struct sim_params	 device;	/* applied device.* settings */
	char			*ca_pem;	/* device.sec.TLS.customCaCert1 */
	char			*ca_sha256;
	struct sim_buf		 applog;	/* log of the previous run */

	/* This run. */
	int			 boots;
	int			 stage_app;	/* 0: Updater, 1: Application */
	char			*why_no_image;
	char			*fail;		/* reason it stopped early */
	int			 reached_ztp;
	char			*handoff;	/* hand-off server reached */
	struct sim_buf		 ignored;	/* "name (why)" the phone ignored */
	struct sim_faults	 faults;
	struct sim_transcript	 ts;
	CURL			*curl;
	int			 ok;
};

/* lldp.c: the phone's LLDP-MED frame (inventory, voice policy). */
int	sim_lldp_send(const struct phone *, char **);

/* closet.c: the awkward phones of a real closet, on packet sockets. */
#define SIM_FRAME	1518
int64_t	sim_now_ms(void);
int	sim_mac_bytes(const struct phone *, unsigned char *);
int	sim_packet_socket(const char *, unsigned, int *, char **);
size_t	sim_dhcp_frame(const struct phone *, int, uint32_t, int,
	    struct in_addr, struct in_addr, unsigned char *);
int	sim_dhcp_next_reply(int, uint32_t, int64_t, struct in_addr *,
	    struct in_addr *);
int	sim_dhcp_discover_only(struct phone *, const char *, int, int,
	    char **);
int	sim_lldp_learn(struct phone *, const char *, int, char **);
int	sim_vlan_link(const char *, int, char **);
int	sim_static_ip(struct phone *, const char *, char **);
/* decline.c: a phone that declines each address it is given. */
#define SIM_DECLINES		2	/* rounds before it gives up */
#define SIM_DECLINE_WAIT	10	/* RFC 2131 section 3.1 step 5 */
int	sim_dhcp_decline(struct phone *, const char *, int, int, char **);

/* phone.c: state and flash persistence. */
void	 phone_init(struct phone *);
void	 phone_free(struct phone *);
int	 phone_load_state(struct phone *, char **);
int	 phone_save_state(struct phone *, char **);
enum target_kind { TARGET_NONE, TARGET_BOOT, TARGET_HANDOFF, TARGET_ZTP };
const char *phone_target(struct phone *, enum target_kind *);
int	 phone_is_5x(struct phone *);
/* SIP 2.x to 3.2: a separate BootROM (ph->updater) boots the application. */
int	 phone_is_legacy(struct phone *);
void	 phone_log(struct phone *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* dhcp.c */
int	 phone_dhcp(struct phone *, char **);

/* ua.c */
char	*phone_user_agent(struct phone *);

/* transport.c: one request over TFTP or HTTP, written to the transcript. */
enum sim_method { SIM_GET, SIM_HEAD, SIM_PUT };
struct sim_fetch {
	enum sim_method	 method;
	const char	*name;		/* path under the server root */
	const void	*body;		/* PUT */
	size_t		 body_len;
	/* Called with each chunk; return 0 to go on, -1 to abort. */
	int		(*sink)(void *, const char *, size_t);
	void		*sink_arg;
	long		 max_recv;	/* bytes/s, 0 = unlimited */
	/* Results. */
	int		 found;		/* 200..299 or TFTP success */
	long		 status;	/* HTTP status or TFTP error code */
	int		 aborted;	/* the sink stopped it */
	char		*outcome;	/* set by the sink: transcript text */
	struct sim_buf	 data;		/* body, when there is no sink */
	size_t		 bytes;
};
#define SIM_BODY_MAX	(16 * 1024 * 1024)	/* a body kept in memory */
int	 sim_is_tftp(const char *);
char	*sim_url_join(const char *, const char *);
int	 phone_fetch(struct phone *, const char *, struct sim_fetch *);
void	 sim_fetch_free(struct sim_fetch *);

/* tftp-get.c: phonesim's own stop-and-wait RRQ (--tftp-client plain). */
enum {
	SIM_TFTP_OK, SIM_TFTP_ERROR, SIM_TFTP_TIMEOUT, SIM_TFTP_ABORTED,
	SIM_TFTP_FAILED
};
int	 sim_tftp_get(const char *, const char *, time_t, struct sim_fetch *,
	     char *, size_t);

/* mastercfg.c */
struct master_cfg {
	char	*app_file_path;
	char	*config_files;
	char	*log_dir;
	char	*overrides_dir;
	char	*contacts_dir;
};
int	 master_cfg_parse(struct phone *, const char *, size_t,
	     struct master_cfg *, char **);
void	 master_cfg_free(struct master_cfg *);
char	*master_cfg_image_name(struct phone *, const char *);

/* appcfg.c */
int	 app_cfg_parse(const char *, size_t, struct sim_params *, char **);
int	 app_cfg_apply(struct phone *, struct sim_params *, struct sim_buf *);
int	 app_cfg_trusts_ca1(struct phone *);

/* image.c: download and header check. */
enum image_result {
	IMAGE_MISSING, IMAGE_CURRENT, IMAGE_FLASHED, IMAGE_BAD, IMAGE_CUT,
	IMAGE_LOST
};
enum image_result image_check(struct phone *, const char *, const char *);
/* SIP 2.x/3.x: the BootROM's bootrom.ld (part "bootrom" in its header). */
enum image_result image_check_bootrom(struct phone *, const char *);

/* upload.c */
void	 upload_logs(struct phone *, const char *, const char *);
void	 upload_log(struct phone *, const char *, const char *,
	     const char *);

/* boot.c: the reboot loop. */
int	 phone_run(struct phone *);

/* ztp.c: the phone's HTTPS contact with ZTP. */
int	 ztp_contact(struct phone *, char **);

/* ztpmock.c, pki.c: subcommands. */
int	 cmd_ztp_mock(int, char **);
int	 cmd_make_test_pki(int, char **);

/* report.c: the final JSON line. */
void	 phone_report_json(struct phone *, FILE *);

#endif
