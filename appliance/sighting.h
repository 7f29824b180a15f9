/*
 * Every phone on the wire, even the silent ones.  A passive listener on the
 * phones' interface (a packet socket with a kernel filter on the Polycom
 * OUIs) records what each phone sends: DHCP on any VLAN tag, ARP and IP from
 * addresses outside the appliance's subnet, LLDP-MED and CDP (model,
 * firmware, serial, VLAN).  From that evidence each phone that does not ask
 * the appliance for anything gets its most likely reason, and its family's
 * factory-reset steps.  Kept apart from the fleet's state machine.
 *
 * lldp-parse.c: one Ethernet frame -> struct frame_info (no I/O, fuzzed).
 * sighting.c:   the table of sightings, the reasons, the listener socket.
 * reset-steps.c: the reset table (appliance/data/reset-steps.tsv).
 */
#ifndef ZTP_SIGHTING_H
#define ZTP_SIGHTING_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

struct oui_list;

enum frame_kind {
	FRAME_OTHER,
	FRAME_DHCP,		/* a client's DHCP message (to port 67) */
	FRAME_ARP,
	FRAME_LLDP,
	FRAME_CDP,
	FRAME_ASK,		/* TCP SYN, or UDP to port 69 or 514 */
	FRAME_IP		/* any other IPv4 */
};

#define FRAME_TEXT	64

struct frame_info {
	uint8_t		 src[6];
	char		 mac[13];	/* 12 lower-case hex */
	int		 vlan;		/* 802.1Q VID the frame carried; -1 */
	enum frame_kind	 kind;

	/* IPv4 (DHCP, ASK, IP) and ARP (sender and target). */
	struct in_addr	 ip_src;
	struct in_addr	 ip_dst;
	unsigned	 dport;
	int		 arp_op;	/* 1 request, 2 reply */

	/* DHCP */
	int		 dhcp_type;	/* option 53 */
	struct in_addr	 dhcp_server_id;
	struct in_addr	 dhcp_requested;
	struct in_addr	 dhcp_ciaddr;

	/* LLDP-MED and CDP: "" when absent, escaped printable text. */
	char		 model[FRAME_TEXT];
	char		 firmware[FRAME_TEXT];
	char		 serial[FRAME_TEXT];
	char		 manufacturer[FRAME_TEXT];
	char		 sysname[FRAME_TEXT];
	char		 port[FRAME_TEXT];
	int		 policy_vlan;	/* voice network policy VID, -1 */
	int		 policy_tagged;	/* the policy says tagged */
	int		 native_vlan;	/* CDP native / 802.1 port VID, -1 */
};

/*
 * Parse one Ethernet frame (from the destination MAC on).  aux_vlan is the
 * VLAN tag the kernel took off the frame (-1 when none): the tag of a frame
 * still carrying its 802.1Q header is read from the frame.  Returns 0, or -1
 * when the frame is too short to have a source MAC.  Never reads outside
 * [buf, buf + len).
 */
int	 frame_parse(const uint8_t *, size_t, int, struct frame_info *);

/* One phone seen on the wire. */
struct sighting {
	char		 mac[13];
	int64_t		 first_seen;	/* unix ms */
	int64_t		 last_seen;
	unsigned long	 frames;

	int		 tag_vlan;	/* last VID on its frames, -1 */
	int		 policy_vlan;	/* from LLDP-MED / CDP, -1 */
	char		 policy_source[16];	/* "LLDP-MED", "CDP" */
	char		 model[FRAME_TEXT];
	char		 firmware[FRAME_TEXT];
	char		 serial[FRAME_TEXT];
	char		 info_source[16];	/* where model &c came from */

	char		 address[INET_ADDRSTRLEN];	/* last it used, "" */
	int		 address_ours;	/* within the appliance's subnet */
	int64_t		 first_dhcp;	/* its first DISCOVER; 0 */
	unsigned	 discovers;
	unsigned	 requests;
	unsigned	 declines;	/* DHCPDECLINEs of our addresses */
	char		 declined[INET_ADDRSTRLEN];	/* the last one */
	int		 last_dhcp;	/* type of its last DHCP message */
	char		 other_server[INET_ADDRSTRLEN];	/* it chose another */
	int64_t		 leased_at;	/* REQUEST to us or lease event; 0 */
	int64_t		 asked_at;	/* TCP SYN / TFTP / syslog to us; 0 */
};

#define SIGHTING_MAX		256
#define SIGHTING_QUIET_MS	60000	/* lease without a request */
#define SIGHTING_REFUSE_MS	20000	/* DISCOVERs without a REQUEST */

struct sighting_table {
	struct sighting	 v[SIGHTING_MAX];
	size_t		 n;
	struct in_addr	 self;		/* the appliance's address */
	struct in_addr	 netmask;
	int		 served_vlan;	/* -1: untagged */
	int64_t		 quiet_ms;	/* SIGHTING_QUIET_MS */
	int64_t		 refuse_ms;	/* SIGHTING_REFUSE_MS */
	const struct oui_list *ouis;	/* NULL: oui_current() */
};

void	 sighting_table_init(struct sighting_table *, const struct in_addr *,
	    const struct in_addr *, int);
/* The appliance's address or served VLAN changed; the sightings stay. */
void	 sighting_table_rebase(struct sighting_table *,
	    const struct in_addr *, const struct in_addr *, int);
/* Record one parsed frame; ignores frames whose source is not a phone. */
void	 sighting_feed(struct sighting_table *, const struct frame_info *,
	    int64_t);
/*
 * The DHCP server gave this MAC this address (a lease event), with the model
 * its option 60 named (NULL or "" when none).
 */
void	 sighting_leased(struct sighting_table *, const char *, const char *,
	    const char *, int64_t);
struct sighting *sighting_find(struct sighting_table *, const char *);

/*
 * Why is this phone silent?  0 when it is not (it asks, or there is not
 * yet anything to say), else 1 with the reason ("tags VLAN 20 (LLDP-MED)")
 * and the evidence that supports it.
 */
int	 sighting_reason(const struct sighting_table *, const struct sighting *,
	    int64_t, char *, size_t, char *, size_t);

/* The recovery steps for a model (reset-steps.c). */
struct reset_steps {
	char	family[48];	/* "VVX", "SoundPoint IP 550/560/650/670" */
	char	keys[32];	/* "1, 3, 5" */
	char	source[200];
	char	confidence[4];	/* "H", "M", "L" */
};
/*
 * The row for this model name (LLDP-MED model, option 60 token, "" when
 * unknown): 0 and *out, or -1 when no row matches.
 */
int	 reset_steps_find(const char *, struct reset_steps *);
/* "password: the MAC 0004F2AABB01 typed on the keypad (letters ...)". */
void	 reset_password_rule(const char *, char *, size_t);

/* The listener: a packet socket on iface, filtered on the OUIs. */
struct sighting_listener;
struct sighting_listener *sighting_listen(const char *,
	    const struct oui_list *, char **);
int	 sighting_listener_fd(const struct sighting_listener *);
/* Read what is waiting (bounded) into the table. */
void	 sighting_listener_drain(struct sighting_listener *,
	    struct sighting_table *, int64_t);
void	 sighting_listener_free(struct sighting_listener *);

#endif

/*
 * The closet watch (closet.c): the listener on an event loop, the table, and
 * a check every second that tells fn about each phone whose reason appears
 * or changes.  Used by `serve` and `dhcpd`.
 */
struct event_base;
struct closet;
typedef void (*closet_fn)(void *, const struct sighting *, const char *,
    const char *);
struct closet	*closet_start(struct event_base *, const char *,
		    const struct in_addr *, const struct in_addr *, int,
		    closet_fn, void *, char **);
void		 closet_leased(struct closet *, const char *, const char *,
		    const uint8_t *, size_t);
/*
 * A DHCP restart, or a move to a VLAN of the same wire, stops the watch but
 * not what it saw: a phone that keeps to itself may send nothing for
 * minutes, and it is still there.  closet_pause() closes the listener and
 * lldpd and keeps the table (while paused nothing is watched, so no phone
 * is listed as silent); closet_resume() listens again on the same
 * interface with the new address and VLAN, the phones seen before kept and
 * judged anew (each one still silent is told again).  -1 with *cause when
 * the listener cannot be opened or the interface is another.
 */
void		 closet_pause(struct closet *);
int		 closet_resume(struct closet *, struct event_base *,
		    const char *, const struct in_addr *,
		    const struct in_addr *, int, char **);
int		 closet_paused(const struct closet *);
/*
 * Ask lldpd every CLOSET_LLDP_EVERY seconds what the switch offers on the
 * phones' interface; fn is told the description when it changes.  With
 * sock NULL, run lldpd as our child (an LLDP-MED endpoint, lldp.h: needs
 * root); else ask the lldpd already listening on sock.  -1 with *cause
 * when lldpd cannot be started.
 */
#define CLOSET_LLDP_EVERY	10
typedef void (*closet_voice_fn)(void *, const char *);
int		 closet_lldp_start(struct closet *, const char *,
		    const char *, closet_voice_fn, char **);
/* {vlan, via, switch, port, text} or null: the last answer. */
struct json_t	*closet_voice_json(struct closet *);
/* The silent phones: [{mac, address, vlan, model, ..., reason, reset}]. */
struct json_t;
struct json_t	*closet_silent_json(struct closet *);
void		 closet_free(struct closet *);
