/*
 * DHCP for the isolated segment: dnsmasq as a supervised child, configured by
 * us, bound to one interface, handing out option 66/160 with the appliance's
 * URL, and telling us about every lease.  Re-pointed phones stop getting the
 * boot server (per-MAC tag, reloaded without dropping leases).
 */
#ifndef ZTP_DHCP_H
#define ZTP_DHCP_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct dhcp;
struct oui_list;

struct dhcp_config {
	const char	*iface;		/* required */
	const char	*address;	/* "10.99.0.1/24": the appliance's own */
	const char	*boot_url;	/* "http://10.99.0.1/" for options 66 and 160 */
	const char	*state_dir;	/* config, leases, hosts file live here */
	const char	*hook_path;	/* the ztp-rescue binary, for the lease script */
	const char	*dnsmasq;	/* path, default "dnsmasq" */
	int		 force;		/* serve despite a default route / foreign address */
	int		 skip_probe;	/* do not probe for another DHCP server */
	unsigned	 probe_ms;	/* how long the probe listens; 0: 6000 */
	const char	*user;		/* dnsmasq drops root to this user (the
					 * daemon's own, so that it can signal
					 * it); NULL: the state dir's owner */
	int		 any;		/* answer every client, not only
					 * Polycom phones (OUI or vendor
					 * class "Polycom") */
	const struct oui_list *ouis;	/* NULL: oui_current() */
	const char	*vlan_parent;	/* iface is vlan_parent.vlan_id, an
					 * 802.1Q link made for the phones'
					 * voice VLAN (made again if it goes);
					 * NULL: untagged */
	unsigned	 vlan_id;
};

struct dhcp_ignored;
typedef void (*dhcp_ignored_fn)(void *, const struct dhcp_ignored *);

struct dhcp_lease {
	const char	*action;	/* "add", "old", "del" */
	const char	*mac;		/* 12 lower-case hex */
	const char	*ip;
	const char	*hostname;	/* may be "" */
	const uint8_t	*option60;	/* raw vendor class, may be NULL */
	size_t		 option60_len;
};

typedef void (*dhcp_lease_fn)(void *, const struct dhcp_lease *);

struct dhcp	*dhcp_start(struct event_base *, const struct dhcp_config *,
		    dhcp_lease_fn, void *, char **);
/*
 * The same without blocking the loop (the control command): the probe runs
 * in a child process and dnsmasq's readiness is awaited by events.  *dp is
 * the new dhcp at once (state "starting"); the callback is called once,
 * with NULL when it serves, or with why not (then the caller stops it).
 * dhcp_stop before that cancels the start without calling back.  -1 with
 * *cause when it cannot even begin (bad address, interface checks).
 */
typedef void (*dhcp_started_fn)(void *, struct dhcp *, const char *);
int		 dhcp_start_async(struct event_base *,
		    const struct dhcp_config *, dhcp_lease_fn, void *,
		    dhcp_started_fn, void *, struct dhcp **, char **);
void		 dhcp_stop(struct dhcp *);
/*
 * Stop, and take the appliance's address from the interface, whoever put
 * it there: DHCP moves to another link, and the address goes with it (the
 * same subnet on two links sends replies out of either).
 */
void		 dhcp_leave(struct dhcp *);
/* Stop (or resume) offering 66/160 to this MAC. */
int		 dhcp_set_boot_server(struct dhcp *, const char *, int, char **);
/* "starting", "running", "restarting", "stopped"; the last restart's reason. */
const char	*dhcp_state(const struct dhcp *);
/*
 * What the probe found when another DHCP server answered and the start was
 * refused for it ("server 192.0.2.1 offered 192.0.2.50"), else NULL.
 */
const char	*dhcp_other_server(const struct dhcp *);
/* Told once per MAC when a client is first ignored. */
void		 dhcp_set_ignored_fn(struct dhcp *, dhcp_ignored_fn, void *);
/*
 * Told when the interface is a new one (an adapter plugged in again) and
 * has its address back: what else listens on it must bind to it again.
 */
void		 dhcp_set_new_link_fn(struct dhcp *, void (*)(void *), void *);
/* The clients ignored so far (oldest first), *n of them; NULL when none. */
const struct dhcp_ignored *dhcp_ignored(const struct dhcp *, size_t *);

/*
 * Probe the segment on iface for another DHCP server: DISCOVER, wait
 * timeout_ms.  Returns 1 and *found ("server 192.0.2.1 offered 192.0.2.50")
 * when one answers, 0 when none, -1 with *cause on error.  Answers from the
 * server identifier self (our own dnsmasq, once it serves) do not count.
 */
int		 dhcp_probe(const char *, unsigned, const struct in_addr *,
		    char **, char **);

/*
 * The same probe in a child process (the start, and again while DHCP
 * serves when the phones' link came back: the start-up probe may have run
 * with no cable in).  The callback gets the probe's return and its text
 * (valid until dhcp_probe_child_free), once; not after
 * dhcp_probe_child_free.
 */
struct dhcp_probe_child;
typedef void (*dhcp_probe_child_fn)(void *, int, const char *);
struct dhcp_probe_child *dhcp_probe_child_start(struct event_base *, const char *,
		    unsigned, const struct in_addr *, dhcp_probe_child_fn, void *,
		    char **);
void		 dhcp_probe_child_free(struct dhcp_probe_child *);

/*
 * Everything below is the module's own plumbing, exposed for the standalone
 * `dhcpd` and `net` commands and for the tests.
 */
#define DHCP_MAC_LEN	12	/* lower-case hex, no separators */

/*
 * A client that asked for an address and was not answered: not a Polycom
 * phone (neither its OUI nor a vendor class naming Polycom).
 */
struct dhcp_ignored {
	char		 mac[DHCP_MAC_LEN + 1];
	char		 vendor[64];	/* option 60, escaped, "" when none */
	char		 hostname[64];	/* option 12, escaped, "" when none */
	unsigned long	 requests;
	int64_t		 first_seen;	/* unix seconds */
	int64_t		 last_seen;
};
#define DHCP_IGNORED_MAX	64

/* Names of the files kept in the state directory. */
#define DHCP_CONF_NAME		"dnsmasq.conf"
#define DHCP_LEASES_NAME	"dnsmasq.leases"
#define DHCP_HOSTS_NAME		"dhcp-hosts"
#define DHCP_HOOK_NAME		"dhcp-lease-hook"
#define DHCP_SOCKET_NAME	"dhcp-events.sock"
#define DHCP_CHILD_PID_NAME	"dnsmasq.child-pid"

/* The appliance's address and the pool derived from it (dhcp-config.c). */
struct dhcp_net {
	struct in_addr	addr;
	int		prefix;
	struct in_addr	netmask;
	struct in_addr	network;
	struct in_addr	broadcast;
	struct in_addr	range_start;
	struct in_addr	range_end;
};

/* "10.99.0.1/24": the pool is the larger run of hosts beside the address. */
int	 dhcp_parse_address(const char *, struct dhcp_net *, char **);
/* The dnsmasq configuration text (allocated), or NULL with *cause. */
char	*dhcp_config_render(const struct dhcp_config *, const struct dhcp_net *,
	    char **);
/* The dhcp-hostsfile text for these re-pointed MACs (12 hex each). */
char	*dhcp_hosts_render(char (*)[DHCP_MAC_LEN + 1], size_t);
/* The lease-script wrapper that dnsmasq runs (a two-line shell script). */
char	*dhcp_hook_render(const char *, const char *, char **);
int	 dhcp_open_leases(const char *, char **);

/*
 * One lease event as the hook sends it to the daemon (dhcp-lease.c): one
 * datagram, "ztp-lease 1 ACTION MAC IP HOSTNAME-HEX VENDOR-HEX IFACE\n",
 * empty fields as "-".  Hex, because both come from the network.
 */
#define DHCP_LEASE_LINE_MAX	1024
struct dhcp_lease_msg {
	char		action[8];
	char		mac[DHCP_MAC_LEN + 1];
	char		ip[INET_ADDRSTRLEN];
	char		hostname[64];
	size_t		hostname_len;
	uint8_t		vendor[255];
	size_t		vendor_len;
	char		iface[16];
};
char	*dhcp_lease_format(const char *, const char *, const char *,
	    const char *, const char *, const char *, char **);
int	 dhcp_lease_parse(const char *, size_t, struct dhcp_lease_msg *,
	    char **);
/* Send one line to the daemon's socket; -1 with *cause if nobody listens. */
int	 dhcp_lease_send(const char *, const char *, char **);

/* A BOOTP/DHCP message, as far as we need it (dhcp-packet.c). */
struct dhcp_packet_info {
	int		 op;		/* 1 request, 2 reply */
	uint32_t	 xid;
	char		 mac[DHCP_MAC_LEN + 1];	/* "" unless htype 1, hlen 6 */
	struct in_addr	 yiaddr;
	struct in_addr	 siaddr;
	struct in_addr	 server_id;	/* option 54, 0 when absent */
	int		 msgtype;	/* option 53, 0 when absent */
	const uint8_t	*vendor;	/* option 60 in the packet, or NULL */
	size_t		 vendor_len;
	const uint8_t	*opt66;		/* option 66, or NULL */
	size_t		 opt66_len;
	const uint8_t	*opt160;	/* option 160, or NULL */
	size_t		 opt160_len;
	const uint8_t	*hostname;	/* option 12, or NULL */
	size_t		 hostname_len;
	struct in_addr	 requested;	/* option 50, 0 when absent */
};
#define DHCP_DISCOVER	1
#define DHCP_OFFER	2
#define DHCP_REQUEST	3
#define DHCP_DECLINE	4
#define DHCP_ACK	5
int	 dhcp_packet_parse(const uint8_t *, size_t, struct dhcp_packet_info *);
/* A DISCOVER with the broadcast flag; returns its length (<= len) or 0. */
size_t	 dhcp_packet_discover(uint8_t *, size_t, const uint8_t *, uint32_t);

/*
 * Option 60 as the phone sent it, read from its DISCOVER/REQUEST on a packet
 * socket (dhcp-sniff.c): dnsmasq cuts the vendor class at the first NUL
 * before handing it to the lease script, and Polycom's binary form starts
 * with one.  Keyed by MAC, the newest few hundred kept.
 */
struct dhcp_sniff;
struct dhcp_sniff *dhcp_sniff_open(const char *, char **);
int	 dhcp_sniff_fd(const struct dhcp_sniff *);
void	 dhcp_sniff_drain(struct dhcp_sniff *);
/*
 * The probe's every OFFER, with the server's identifier (from this host
 * too): for the technician's "who serves DHCP here?".
 */
typedef void (*dhcp_offer_fn)(void *, const struct in_addr *,
    const struct dhcp_packet_info *);
int	 dhcp_probe_offers(const char *, unsigned, dhcp_offer_fn, void *,
	    char **);

/* Feed one IPv4 packet (from the IP header on); for the socket and tests. */
void	 dhcp_sniff_feed(struct dhcp_sniff *, const uint8_t *, size_t);
const uint8_t *dhcp_sniff_vendor(const struct dhcp_sniff *, const char *,
	    size_t *);
struct dhcp_sniff *dhcp_sniff_new(void);	/* no socket: tests */
/* Answers from this server identifier are ours, not another server's. */
void	 dhcp_sniff_set_self(struct dhcp_sniff *, const struct in_addr *);
/*
 * Record the requests of clients that are not Polycom phones (by this OUI
 * list or their vendor class) as ignored; fn is told of each new one.
 */
void	 dhcp_sniff_only_phones(struct dhcp_sniff *, const struct oui_list *,
	    dhcp_ignored_fn, void *);
const struct dhcp_ignored *dhcp_sniff_ignored(const struct dhcp_sniff *,
	    size_t *);
/* "server 10.99.0.2 offered 10.99.0.153" (the last), *count of them; NULL. */
const char *dhcp_sniff_rogue(const struct dhcp_sniff *, unsigned long *);
int	 dhcp_sniff_rebind(struct dhcp_sniff *, const char *, char **);
void	 dhcp_sniff_free(struct dhcp_sniff *);

/*
 * Refuse an interface that looks like a production network (dhcp-guard.c):
 * a default route through it, or an address other than the appliance's.
 */
int	 dhcp_guard_check(const char *, const struct dhcp_net *, char **);
/* 1 when a default route (IPv4 or IPv6) leaves through the interface. */
int	 dhcp_guard_default_route(const char *);

/* The interface itself (dhcp-netif.c), over rtnetlink. */
int	 dhcp_netif_set_address(const char *, const struct dhcp_net *, char **);
int	 dhcp_netif_has_address(const char *, const struct in_addr *);
int	 dhcp_netif_remove_address(const char *, const struct dhcp_net *,
	    char **);
/* Link state, carrier, addresses and default route, one fact a line. */
int	 dhcp_netif_describe(const char *, char **, char **);

/*
 * The DHCP interface watched while DHCP runs (dhcp-link.c): a cable pulled,
 * a USB adapter plugged out and in.  The callback is told when the
 * interface is a new one (plugged in again), up with its address, and when
 * everything wrong with it was put right (the link is back).
 */
struct dhcp_link;
enum dhcp_link_change {
	DHCP_LINK_NEW_INTERFACE,
	DHCP_LINK_BACK
};
typedef void (*dhcp_link_fn)(void *, enum dhcp_link_change);
struct dhcp_link *dhcp_link_watch(struct event_base *,
	    const struct dhcp_config *, const struct dhcp_net *, dhcp_link_fn,
	    void *, char **);
void	 dhcp_link_free(struct dhcp_link *);
const char *dhcp_link_text(const struct dhcp_link *);	/* NULL: up */

/* "running"/"restarting"/"stopped": why the last restart happened, or NULL. */
const char	*dhcp_last_restart(const struct dhcp *);
/* What is wrong with the interface DHCP serves on, or NULL (dhcp-link.c). */
const char	*dhcp_link_problem(const struct dhcp *);
/* dnsmasq said "no address available" in the last minute: why, or NULL. */
const char	*dhcp_pool_problem(const struct dhcp *);
/* How often dnsmasq was restarted since dhcp_start. */
unsigned	 dhcp_restarts(const struct dhcp *);
/*
 * Another DHCP server seen answering on the segment while we serve: the
 * last answer ("server 10.99.0.2 offered 10.99.0.153"), or what the probe
 * found when the link came back, or NULL.
 */
const char	*dhcp_rogue(const struct dhcp *);
/* Process id of the current dnsmasq, or -1. */
int		 dhcp_child_pid(const struct dhcp *);

#endif
