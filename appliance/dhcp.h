/*
 * DHCP for the isolated segment: dnsmasq as a supervised child, configured by
 * us, bound to one interface, handing out option 66/160 with the appliance's
 * URL, and telling us about every lease.  Re-pointed phones stop getting the
 * boot server (per-MAC tag, reloaded without dropping leases).
 */
#ifndef ZTP_DHCP_H
#define ZTP_DHCP_H

#include <stdint.h>

struct event_base;
struct dhcp;

struct dhcp_config {
	const char	*iface;		/* required */
	const char	*address;	/* "10.99.0.1/24": the appliance's own */
	const char	*boot_url;	/* "http://10.99.0.1/" for options 66 and 160 */
	const char	*state_dir;	/* config, leases, hosts file live here */
	const char	*hook_path;	/* the ztp-rescue binary, for the lease script */
	const char	*dnsmasq;	/* path, default "dnsmasq" */
	int		 force;		/* serve despite a default route / foreign address */
	int		 skip_probe;	/* do not probe for another DHCP server */
};

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
void		 dhcp_stop(struct dhcp *);
/* Stop (or resume) offering 66/160 to this MAC. */
int		 dhcp_set_boot_server(struct dhcp *, const char *, int, char **);
/* "running", "restarting", "stopped" and the reason for the last restart. */
const char	*dhcp_state(const struct dhcp *);

/*
 * Probe the segment on iface for another DHCP server: DISCOVER, wait
 * timeout_ms.  Returns 1 and *found ("server 192.0.2.1 offered 192.0.2.50")
 * when one answers, 0 when none, -1 with *cause on error.
 */
int		 dhcp_probe(const char *, unsigned, char **, char **);

#endif
