/*
 * The voice VLAN the switch offers, through lldpd (Debian's package): the
 * appliance runs lldpd on the phones' interface as an LLDP-MED endpoint
 * (class I), so that a switch answers with its voice network policy, and
 * reads the neighbour with lldpcli.  CDP is read too (lldpd -c).  And the
 * 802.1Q interface to serve on that VLAN (vlan.c).
 */
#ifndef ZTP_LLDP_H
#define ZTP_LLDP_H

#include <sys/types.h>

#include <stddef.h>

struct lldp_voice {
	int	vlan;		/* voice VLAN (LLDP-MED policy), -1 */
	int	native_vlan;	/* port / CDP native VLAN, -1 */
	char	via[16];	/* "LLDP-MED", "LLDP", "CDP" */
	char	chassis[64];	/* the switch's name (or its ID) */
	char	port[64];	/* the switch's port (description or ID) */
};

/*
 * Read `lldpcli show neighbors details -f keyvalue` output for iface.
 * Returns 1 when a neighbour is described (out filled), 0 when none.
 */
int	 lldp_parse_keyvalue(const char *, const char *, struct lldp_voice *);
/* "voice vlan 20 (LLDP-MED from switch sw1, port Gi1/0/7)", or NULL. */
char	*lldp_describe(const struct lldp_voice *);

/* Start lldpd on iface with its control socket at sock; its pid or -1. */
pid_t	 lldp_spawn(const char *, const char *, const char *, char **);
void	 lldp_stop(pid_t);
/* Ask lldpcli (through sock) about iface: 1 found, 0 none, -1 error. */
int	 lldp_query(const char *, const char *, struct lldp_voice *, char **);

/*
 * The 802.1Q interface PARENT.VID: made (rtnetlink) when missing, brought
 * up with its parent.  Its name in name (IFNAMSIZ); *made is 1 when this
 * call made it (a start that then fails removes it: vlan_remove).
 */
int	 vlan_ensure(const char *, unsigned, char *, size_t, int *, char **);
/* Delete the interface named (one vlan_ensure made).  -1 with *cause. */
int	 vlan_remove(const char *, char **);

#endif
