/*
 * The phones' network: which interface they are on, the appliance's address
 * there, and DHCP (with the daemon's rogue-DHCP refusal shown as it is).
 * At start on the appliance (console --setup-network) the console takes the
 * only wired interface, or asks which one, before the technician has to
 * look for it in the menu.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <curses.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "dhcp.h"
#include "xmalloc.h"
#include "ui.h"

static char	*ui_iface;	/* the technician's choice, kept for DHCP */
static char	*ui_address;
/*
 * The VLAN the closet last offered (lldpd's voice VLAN, or the tag silent
 * phones use) and why: kept, since turning DHCP off stops the listener.
 */
static int	 ui_vlan_offer;
static char	*ui_vlan_why;

static int	ui_network_wired(char *, size_t);
static int	ui_network_address(struct ui *, const char *, const char *);
static int	ui_network_offered_vlan(struct ui *, const char **);
static int	ui_network_vlan_choice(struct ui *, const char *, int *);

/*
 * The IPv4 address and prefix of interface name, into buf ("" when it has
 * none).
 */
static void
ui_iface_address(struct ifaddrs *ifa, const char *name, char *buf,
    size_t len)
{
	struct ifaddrs		*i;
	struct sockaddr_in	*sin, *mask;
	char			 a[INET_ADDRSTRLEN];
	uint32_t		 m;
	int			 bits;

	*buf = '\0';
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		sin = (struct sockaddr_in *)i->ifa_addr;
		mask = (struct sockaddr_in *)i->ifa_netmask;
		m = mask != NULL ? ntohl(mask->sin_addr.s_addr) : 0;
		for (bits = 0; m & 0x80000000U; m <<= 1)
			bits++;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
		snprintf(buf, len, "%s/%d", a, bits);
		return;
	}
}

/* The appliance's address on iface: asked, with suggest filled in. */
static int
ui_network_address(struct ui *ui, const char *iface, const char *suggest)
{
	struct dhcp_net	 net;
	char		*text, *why = NULL;

	text = ui_input(ui, "Appliance address", "The appliance's address on "
	    "this interface, with its prefix (the phones get addresses from "
	    "the same network):", suggest);
	if (text == NULL)
		return (-1);
	/* Checked here, as DHCP will (it was taken, then refused there). */
	if (dhcp_parse_address(text, &net, &why) != 0) {
		ui_show_error(ui, "Appliance address", why);
		free(why);
		free(text);
		return (-1);
	}
	free(ui_iface);
	free(ui_address);
	ui_iface = xstrdup(iface);
	ui_address = text;
	ui_set_message(ui, 0, "interface %s, address %s: used when DHCP is "
	    "turned on", ui_iface, ui_address);
	return (0);
}

/*
 * How many wired interfaces this machine has, and the name of the last one:
 * Ethernet (ARPHRD_ETHER), backed by a device (not a bridge, veth or
 * tunnel), not wireless.  ZTP_SYSFS_NET replaces /sys/class/net for the
 * tests.
 */
static int
ui_network_wired(char *name, size_t len)
{
	const char	*root = getenv("ZTP_SYSFS_NET");
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 path[512], type[16];
	FILE		*f;
	int		 n = 0;

	if (root == NULL || *root == '\0')
		root = "/sys/class/net";
	if ((d = opendir(root)) == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/type", root, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(type, sizeof type, f) == NULL)
			type[0] = '\0';
		fclose(f);
		if (atoi(type) != 1)
			continue;
		snprintf(path, sizeof path, "%s/%s/device", root, e->d_name);
		if (stat(path, &sb) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s/wireless", root, e->d_name);
		if (stat(path, &sb) == 0)
			continue;
		if (strlen(e->d_name) >= len)
			continue;	/* not an interface name (IFNAMSIZ) */
		memcpy(name, e->d_name, strlen(e->d_name) + 1);
		n++;
	}
	closedir(d);
	return (n);
}

/*
 * At start, while DHCP is off (a later boot with DHCP kept on skips this):
 * the only wired interface is taken, several are offered, none is said.
 * Then the same question as the menu's: serve DHCP there now?
 */
void
ui_menu_network_start(struct ui *ui)
{
	struct ifaddrs	*ifa;
	char		 name[IF_NAMESIZE + 1], a[64];
	int		 n, rc;

	if (strcmp(ui_app(ui, "dhcp"), "off") != 0)
		return;
	n = ui_network_wired(name, sizeof name);
	if (n == 0) {
		ui_set_message(ui, 1, "no wired network interface: plug in a "
		    "USB Ethernet adapter, then m, 1 (Network)");
		return;
	}
	if (n == 1) {
		a[0] = '\0';
		if (getifaddrs(&ifa) == 0) {
			ui_iface_address(ifa, name, a, sizeof a);
			freeifaddrs(ifa);
		}
		ui_set_message(ui, 0, "%s is the only wired interface: the "
		    "phones are on it", name);
		ui_redraw(ui);
		rc = ui_network_address(ui, name, *a != '\0' ? a :
		    UI_DEFAULT_ADDRESS);
	} else
		rc = ui_menu_network(ui);
	if (rc == 0 && ui_confirm(ui, "DHCP", "Serve DHCP on this interface "
	    "now?"))
		ui_menu_dhcp(ui);
	ui->dirty = 1;
}

int
ui_menu_network(struct ui *ui)
{
	struct ifaddrs	 *ifa, *i;
	char		**items = NULL, **names = NULL, **addrs = NULL, a[64];
	size_t		  n = 0, k;
	int		  choice, rc = -1;

	if (getifaddrs(&ifa) == -1) {
		ui_show_error(ui, "Network", "cannot list the network "
		    "interfaces");
		return (-1);
	}
	/*
	 * Every interface, with or without an address: in the closet the
	 * phones' interface usually has none yet (nobody gave it one).  The
	 * link entries (AF_PACKET) name each interface once.
	 */
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_PACKET)
			continue;
		ui_iface_address(ifa, i->ifa_name, a, sizeof a);
		items = xreallocarray(items, n + 1, sizeof *items);
		names = xreallocarray(names, n + 1, sizeof *names);
		addrs = xreallocarray(addrs, n + 1, sizeof *addrs);
		xasprintf(&items[n], "%-12s %-18s %s", i->ifa_name,
		    *a != '\0' ? a : "no address",
		    (i->ifa_flags & IFF_LOOPBACK) ? "(loopback)" :
		    (i->ifa_flags & IFF_RUNNING) ? "link up (cable in)" :
		    (i->ifa_flags & IFF_UP) ? "no carrier (check the cable)" :
		    "down");
		names[n] = xstrdup(i->ifa_name);
		/* A private address for an isolated segment when it has none. */
		addrs[n] = xstrdup(*a != '\0' ? a : UI_DEFAULT_ADDRESS);
		n++;
	}
	freeifaddrs(ifa);
	if (n == 0) {
		ui_show_error(ui, "Network", "this machine has no network "
		    "interface: plug in a USB Ethernet adapter");
		return (-1);
	}
	choice = ui_choose(ui, "Interface the phones are on",
	    (const char *const *)items, n, 0);
	if (choice >= 0)
		rc = ui_network_address(ui, names[choice], addrs[choice]);
	for (k = 0; k < n; k++) {
		free(items[k]);
		free(names[k]);
		free(addrs[k]);
	}
	free(items);
	free(names);
	free(addrs);
	return (rc);
}

/*
 * What the closet says about VLANs: the voice VLAN the switch offers (the
 * daemon's lldpd) and the VLAN silent phones tag.  NULL when nothing.
 */
static char *
ui_network_vlan_note(struct ui *ui)
{
	json_t		*voice = json_object_get(ui->status, "voice_vlan");
	json_t		*silent = json_object_get(ui->status, "silent"), *v;
	const char	*text = json_string_value(json_object_get(voice,
			    "text"));
	char		*note = NULL, *esc;
	size_t		 i;
	json_int_t	 tag = -1;
	unsigned	 n = 0;

	for (i = 0; i < json_array_size(silent); i++) {
		v = json_object_get(json_array_get(silent, i), "vlan");
		if (json_is_integer(v)) {
			if (tag == -1)
				tag = json_integer_value(v);
			n++;
		}
	}
	if (text == NULL && n == 0)
		return (NULL);
	esc = text != NULL ? control_text(voice, "text") : xstrdup("");
	if (n != 0)
		xasprintf(&note, "%s%s%u silent phone%s tag%s VLAN %lld: they "
		    "are served only on that VLAN (ztp-rescue serve --vlan "
		    "%lld).", esc, *esc != '\0' ? ". " : "", n, n == 1 ? "" :
		    "s", n == 1 ? "s" : "", (long long)tag, (long long)tag);
	else
		xasprintf(&note, "The switch offers: %s.", esc);
	free(esc);
	return (note);
}

/*
 * The VLAN to offer: the voice VLAN the switch names (the daemon's lldpd),
 * else the one silent phones tag; 0 when the closet has said none yet.
 */
static int
ui_network_offered_vlan(struct ui *ui, const char **why)
{
	json_t		*voice = json_object_get(ui->status, "voice_vlan");
	json_t		*silent = json_object_get(ui->status, "silent"), *v;
	json_int_t	 vid = 0;
	unsigned	 n = 0;
	size_t		 i;
	char		*text;

	v = json_object_get(voice, "vlan");
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < 4095) {
		text = control_text(voice, "via");
		free(ui_vlan_why);
		xasprintf(&ui_vlan_why, "the switch offers it, %s", text);
		free(text);
		ui_vlan_offer = (int)json_integer_value(v);
	} else {
		for (i = 0; i < json_array_size(silent); i++) {
			v = json_object_get(json_array_get(silent, i), "vlan");
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 4094)
				continue;
			if (vid == 0)
				vid = json_integer_value(v);
			if (json_integer_value(v) == vid)
				n++;
		}
		if (vid != 0) {
			free(ui_vlan_why);
			xasprintf(&ui_vlan_why, "%u silent phone%s tag%s it", n,
			    n == 1 ? "" : "s", n == 1 ? "s" : "");
			ui_vlan_offer = (int)vid;
		}
	}
	*why = ui_vlan_why;
	return (ui_vlan_offer);
}

/*
 * Serve on the offered VLAN or untagged: 0 and *vlan (0 untagged), or -1
 * when the technician backs out.
 */
static int
ui_network_vlan_choice(struct ui *ui, const char *iface, int *vlan)
{
	const char	*why;
	char		*items[2];
	int		 offer, choice;

	*vlan = 0;
	if ((offer = ui_network_offered_vlan(ui, &why)) == 0)
		return (0);
	xasprintf(&items[0], "VLAN %d on %s.%d (%s)", offer, iface, offer,
	    why);
	xasprintf(&items[1], "untagged on %s", iface);
	choice = ui_choose(ui, "Serve the phones on",
	    (const char *const *)items, 2, 0);
	free(items[0]);
	free(items[1]);
	if (choice < 0)
		return (-1);
	*vlan = choice == 0 ? offer : 0;
	return (0);
}

void
ui_menu_dhcp(struct ui *ui)
{
	json_t	*args, *r, *served;
	char	*error = NULL, *q, *note, iface[96], address[96], vid[32];
	int	 on = strcmp(ui_app(ui, "dhcp"), "off") != 0, vlan = 0;
	int	 move = 0;

	served = json_object_get(ui->status, "vlan");
	snprintf(vid, sizeof vid, "vlan:=0");
	if (on) {
		/* Serving: offer the move to the VLAN the closet names. */
		const char	*why;
		char		*items[2];
		int		 offer, choice;

		offer = ui_network_offered_vlan(ui, &why);
		if (offer != 0 && (!json_is_integer(served) ||
		    json_integer_value(served) != offer)) {
			xasprintf(&items[0], "serve on VLAN %d instead (%s)",
			    offer, why);
			items[1] = xstrdup("turn DHCP off");
			choice = ui_choose(ui, "DHCP",
			    (const char *const *)items, 2, 0);
			free(items[0]);
			free(items[1]);
			if (choice < 0)
				return;
			move = choice == 0;
			vlan = offer;
		}
	}
	if (move) {
		snprintf(vid, sizeof vid, "vlan:=%d", vlan);
		ui_cmdline(ui, "ctl", "dhcp", "enable:=true", vid, NULL);
		args = json_pack("{s:b,s:i}", "enable", 1, "vlan", vlan);
	} else if (on) {
		ui_cmdline(ui, "ctl", "dhcp", "enable:=false", NULL);
		args = json_pack("{s:b}", "enable", 0);
	} else {
		if ((ui_iface == NULL || ui_address == NULL) &&
		    ui_menu_network(ui) != 0)
			return;
		if (ui_network_vlan_choice(ui, ui_iface, &vlan) != 0)
			return;
		note = ui_network_vlan_note(ui);
		if (vlan != 0)
			xasprintf(&q, "Serve DHCP on VLAN %d (%s.%d) as %s?  "
			    "TFTP, HTTP and syslog answer there too.  Only on "
			    "the phones' own network: the appliance first "
			    "listens for another DHCP server and refuses to "
			    "serve if one answers.", vlan, ui_iface, vlan,
			    ui_address);
		else
			xasprintf(&q, "Serve DHCP on %s as %s?  Only on the "
			    "phones' own switch: the appliance first listens "
			    "for another DHCP server and refuses to serve if "
			    "one answers.%s%s", ui_iface, ui_address,
			    note != NULL ? "\n\n" : "", note != NULL ? note :
			    "");
		free(note);
		if (!ui_confirm(ui, "Turn DHCP on", q)) {
			free(q);
			return;
		}
		free(q);
		snprintf(iface, sizeof iface, "iface=%s", ui_iface);
		snprintf(address, sizeof address, "address=%s", ui_address);
		snprintf(vid, sizeof vid, "vlan:=%d", vlan);
		ui_cmdline(ui, "ctl", "dhcp", "enable:=true", iface, address,
		    vlan != 0 ? vid : NULL, NULL);
		args = json_pack("{s:b,s:s,s:s,s:i}", "enable", 1, "iface",
		    ui_iface, "address", ui_address, "vlan", vlan);
	}
	r = ui_request(ui, "dhcp", args, &error);
	if (r == NULL && !on && ui->connected &&
	    strstr(error, "another DHCP server") == NULL &&
	    strstr(error, "802.1Q") == NULL &&
	    strstr(error, "\"iface\"") == NULL) {
		/* The interface guard (a default route, a foreign address). */
		xasprintf(&q, "%s\n\nServe DHCP anyway?  Only if this "
		    "interface is cabled to the phones alone.", error);
		free(error);
		error = NULL;
		if (ui_confirm(ui, "DHCP refused", q)) {
			json_object_set_new(args, "force", json_true());
			ui_cmdline(ui, "ctl", "dhcp", "enable:=true", iface,
			    address, "force:=true", vlan != 0 ? vid : NULL,
			    NULL);
			r = ui_request(ui, "dhcp", args, &error);
		} else
			error = xstrdup("DHCP stays off");
		free(q);
	}
	json_decref(args);
	if (r == NULL) {
		ui_show_error(ui, "DHCP", error);
		free(error);
		return;
	}
	q = control_text(r, "state");
	if (vlan != 0)
		ui_set_message(ui, 0, "DHCP is %s on VLAN %d", q, vlan);
	else
		ui_set_message(ui, 0, "DHCP is %s", q);
	free(q);
	json_decref(r);
}
