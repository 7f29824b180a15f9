/*
 * The passive listener's parser and reasons, on hand-built frames: LLDP-MED
 * (network policy and inventory), CDP, DHCP with and without an 802.1Q tag,
 * ARP from a static address; what each kind of silent phone is told.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp.h"
#include "sighting.h"

static const uint8_t	phone[6] = { 0x00, 0x04, 0xf2, 0xaa, 0xbb, 0x01 };
static const uint8_t	laptop[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x02 };

struct fb {
	uint8_t	b[1600];
	size_t	n;
};

static void
put(struct fb *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put8(struct fb *f, unsigned v)
{
	f->b[f->n++] = v;
}

static void
put16(struct fb *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

/* Ethernet header; vlan >= 0 adds an 802.1Q tag; type 0 = 802.3 length. */
static void
eth(struct fb *f, const uint8_t *src, int vlan, unsigned type)
{
	static const uint8_t	dst[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };

	f->n = 0;
	put(f, dst, 6);
	put(f, src, 6);
	if (vlan >= 0) {
		put16(f, 0x8100);
		put16(f, vlan);
	}
	put16(f, type);
}

static void
lldp_tlv(struct fb *f, unsigned type, const void *v, size_t len)
{
	put16(f, type << 9 | len);
	put(f, v, len);
}

static void
med_tlv(struct fb *f, unsigned subtype, const char *text)
{
	put16(f, 127 << 9 | (4 + strlen(text)));
	put8(f, 0x00); put8(f, 0x12); put8(f, 0xbb); put8(f, subtype);
	put(f, text, strlen(text));
}

/* A phone's LLDP-MED: voice policy tagged VLAN vid, inventory. */
static void
lldp_med_frame(struct fb *f, int vid)
{
	static const uint8_t	chassis[] = { 4, 0x00, 0x04, 0xf2, 0xaa, 0xbb,
				    0x01 };
	static const uint8_t	port[] = { 3, 0x00, 0x04, 0xf2, 0xaa, 0xbb,
				    0x01 };
	static const uint8_t	ttl[] = { 0, 120 };
	uint32_t		bits;

	eth(f, phone, -1, 0x88cc);
	lldp_tlv(f, 1, chassis, sizeof chassis);
	lldp_tlv(f, 2, port, sizeof port);
	lldp_tlv(f, 3, ttl, sizeof ttl);
	/* Network policy: voice (1), T=1, VLAN vid, priority 5, DSCP 46. */
	bits = 1u << 22 | (uint32_t)vid << 9 | 5u << 6 | 46;
	put16(f, 127 << 9 | 8);
	put8(f, 0x00); put8(f, 0x12); put8(f, 0xbb); put8(f, 2);
	put8(f, 1);
	put8(f, bits >> 16); put8(f, (bits >> 8) & 0xff); put8(f, bits & 0xff);
	med_tlv(f, 6, "5.9.5.0614");
	med_tlv(f, 8, "0004F2AABB01");
	med_tlv(f, 9, "Polycom");
	med_tlv(f, 10, "VVX 411");
	put16(f, 0);		/* end of LLDPDU */
}

/* A DHCP client message in IPv4/UDP; no checksums (not checked). */
static void
dhcp_frame(struct fb *f, const uint8_t *src, int vlan, int type,
    const char *server_id, const char *requested)
{
	uint8_t		bootp[300];
	size_t		olen = 240, ulen;
	struct in_addr	a;

	memset(bootp, 0, sizeof bootp);
	bootp[0] = 1; bootp[1] = 1; bootp[2] = 6;
	memcpy(bootp + 28, src, 6);
	bootp[236] = 99; bootp[237] = 130; bootp[238] = 83; bootp[239] = 99;
	bootp[olen++] = 53; bootp[olen++] = 1; bootp[olen++] = type;
	if (server_id != NULL) {
		inet_pton(AF_INET, server_id, &a);
		bootp[olen++] = 54; bootp[olen++] = 4;
		memcpy(bootp + olen, &a, 4); olen += 4;
	}
	if (requested != NULL) {
		inet_pton(AF_INET, requested, &a);
		bootp[olen++] = 50; bootp[olen++] = 4;
		memcpy(bootp + olen, &a, 4); olen += 4;
	}
	bootp[olen++] = 255;
	ulen = 8 + olen;
	eth(f, src, vlan, 0x0800);
	put8(f, 0x45); put8(f, 0); put16(f, 20 + ulen);
	put16(f, 0); put16(f, 0); put8(f, 64); put8(f, 17); put16(f, 0);
	put8(f, 0); put8(f, 0); put8(f, 0); put8(f, 0);
	put8(f, 255); put8(f, 255); put8(f, 255); put8(f, 255);
	put16(f, 68); put16(f, 67); put16(f, ulen); put16(f, 0);
	put(f, bootp, olen);
}

static void
arp_frame(struct fb *f, const char *sender, const char *target)
{
	struct in_addr	a;

	eth(f, phone, -1, 0x0806);
	put16(f, 1); put16(f, 0x0800); put8(f, 6); put8(f, 4); put16(f, 1);
	put(f, phone, 6);
	inet_pton(AF_INET, sender, &a); put(f, &a, 4);
	memset(f->b + f->n, 0, 6); f->n += 6;
	inet_pton(AF_INET, target, &a); put(f, &a, 4);
}

/* A TCP SYN from the phone to addr:port. */
static void
syn_frame(struct fb *f, const char *src, const char *dst, unsigned port)
{
	struct in_addr	a;

	eth(f, phone, -1, 0x0800);
	put8(f, 0x45); put8(f, 0); put16(f, 40);
	put16(f, 0); put16(f, 0x4000); put8(f, 64); put8(f, 6); put16(f, 0);
	inet_pton(AF_INET, src, &a); put(f, &a, 4);
	inet_pton(AF_INET, dst, &a); put(f, &a, 4);
	put16(f, 40000); put16(f, port);
	put16(f, 0); put16(f, 0); put16(f, 0); put16(f, 0);
	put8(f, 0x50); put8(f, 0x02); put16(f, 0); put16(f, 0); put16(f, 0);
}

static void
cdp_frame(struct fb *f, int voice_vlan)
{
	static const uint8_t	snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0x0c,
				    0x20, 0x00 };
	size_t			start;

	eth(f, phone, -1, 0);
	start = f->n;
	put(f, snap, 8);
	put8(f, 2); put8(f, 180); put16(f, 0);
	put16(f, 0x0001); put16(f, 4 + 13); put(f, "SEP0004F2AABB", 13);
	put16(f, 0x0006); put16(f, 4 + 18); put(f, "Polycom SPIP650 PN", 18);
	put16(f, 0x0005); put16(f, 4 + 8); put(f, "4.0.15.1", 8);
	put16(f, 0x000f); put16(f, 7); put8(f, 1); put16(f, voice_vlan);
	f->b[start - 2] = (f->n - start) >> 8;
	f->b[start - 1] = (f->n - start) & 0xff;
}

static void
test_lldp_med(void **state)
{
	struct fb		f;
	struct frame_info	fi;

	lldp_med_frame(&f, 20);
	assert_int_equal(frame_parse(f.b, f.n, -1, &fi), 0);
	assert_int_equal(fi.kind, FRAME_LLDP);
	assert_string_equal(fi.mac, "0004f2aabb01");
	assert_int_equal(fi.vlan, -1);
	assert_int_equal(fi.policy_vlan, 20);
	assert_int_equal(fi.policy_tagged, 1);
	assert_string_equal(fi.model, "VVX 411");
	assert_string_equal(fi.firmware, "5.9.5.0614");
	assert_string_equal(fi.serial, "0004F2AABB01");
	assert_string_equal(fi.manufacturer, "Polycom");
}

static void
test_cdp(void **state)
{
	struct fb		f;
	struct frame_info	fi;

	cdp_frame(&f, 30);
	assert_int_equal(frame_parse(f.b, f.n, -1, &fi), 0);
	assert_int_equal(fi.kind, FRAME_CDP);
	assert_int_equal(fi.policy_vlan, 30);
	assert_string_equal(fi.model, "Polycom SPIP650 PN");
	assert_string_equal(fi.firmware, "4.0.15.1");
	assert_string_equal(fi.sysname, "SEP0004F2AABB");
}

static void
test_dhcp_tagged_and_aux(void **state)
{
	struct fb		f;
	struct frame_info	fi;

	/* The tag in the frame ... */
	dhcp_frame(&f, phone, 20, DHCP_DISCOVER, NULL, NULL);
	assert_int_equal(frame_parse(f.b, f.n, -1, &fi), 0);
	assert_int_equal(fi.kind, FRAME_DHCP);
	assert_int_equal(fi.vlan, 20);
	assert_int_equal(fi.dhcp_type, DHCP_DISCOVER);
	/* ... or taken off by the kernel and handed over aside. */
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "10.99.0.1", "10.99.0.7");
	assert_int_equal(frame_parse(f.b, f.n, 0x2000 | 21, &fi), 0);
	assert_int_equal(fi.vlan, 21);
	assert_int_equal(fi.dhcp_type, DHCP_REQUEST);
	assert_string_equal(inet_ntoa(fi.dhcp_server_id), "10.99.0.1");
	assert_string_equal(inet_ntoa(fi.dhcp_requested), "10.99.0.7");
}

static void
test_arp_and_syn(void **state)
{
	struct fb		f;
	struct frame_info	fi;

	arp_frame(&f, "10.20.4.17", "10.20.4.1");
	assert_int_equal(frame_parse(f.b, f.n, -1, &fi), 0);
	assert_int_equal(fi.kind, FRAME_ARP);
	assert_int_equal(fi.arp_op, 1);
	assert_string_equal(inet_ntoa(fi.ip_src), "10.20.4.17");
	syn_frame(&f, "10.99.0.7", "10.99.0.1", 80);
	assert_int_equal(frame_parse(f.b, f.n, -1, &fi), 0);
	assert_int_equal(fi.kind, FRAME_ASK);
	assert_int_equal(fi.dport, 80);
}

/* Every prefix of every frame parses without reading past its end. */
static void
test_truncated(void **state)
{
	struct fb		f[5];
	struct frame_info	fi;
	size_t			i, n;
	uint8_t			*copy;

	lldp_med_frame(&f[0], 20);
	cdp_frame(&f[1], 30);
	dhcp_frame(&f[2], phone, 20, DHCP_REQUEST, "10.99.0.1", NULL);
	arp_frame(&f[3], "10.20.4.17", "10.20.4.1");
	syn_frame(&f[4], "10.99.0.7", "10.99.0.1", 80);
	for (i = 0; i < 5; i++) {
		for (n = 0; n <= f[i].n; n++) {
			copy = malloc(n + 1);	/* ASan catches overreads */
			memcpy(copy, f[i].b, n);
			assert_int_equal(frame_parse(copy, n, -1, &fi),
			    n < 14 ? -1 : 0);
			free(copy);
		}
	}
}

static void
table(struct sighting_table *st, int served_vlan)
{
	struct in_addr	self, mask;

	inet_pton(AF_INET, "10.99.0.1", &self);
	inet_pton(AF_INET, "255.255.255.0", &mask);
	sighting_table_init(st, &self, &mask, served_vlan);
}

static void
feed(struct sighting_table *st, struct fb *f, int aux, int64_t now)
{
	struct frame_info	fi;

	assert_int_equal(frame_parse(f->b, f->n, aux, &fi), 0);
	sighting_feed(st, &fi, now);
}

static void
reason_is(struct sighting_table *st, int64_t now, const char *want,
    const char *evidence)
{
	char	reason[160], ev[512];

	assert_int_equal(sighting_reason(st, &st->v[0], now, reason,
	    sizeof reason, ev, sizeof ev), want != NULL);
	if (want == NULL)
		return;
	assert_string_equal(reason, want);
	assert_non_null(strstr(ev, evidence));
}

static void
test_reason_voice_vlan(void **state)
{
	static struct sighting_table	st;
	struct fb			f;

	table(&st, -1);
	lldp_med_frame(&f, 20);
	feed(&st, &f, -1, 1000);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.v[0].model, "VVX 411");
	assert_string_equal(st.v[0].info_source, "LLDP-MED");
	reason_is(&st, 1000, "tags VLAN 20 (LLDP-MED)",
	    "serve on VLAN 20 (serve --vlan 20)");
	/* Its DHCP, tagged 20, agrees. */
	dhcp_frame(&f, phone, 20, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, -1, 2000);
	reason_is(&st, 2000, "tags VLAN 20 (LLDP-MED)",
	    "its frames carry an 802.1Q tag");
	/* Served on VLAN 20: no longer a reason; it has not asked yet. */
	st.served_vlan = 20;
	reason_is(&st, 2000, NULL, NULL);

	/* A tag without LLDP: the tag is the evidence. */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, 30, 1000);
	reason_is(&st, 1000, "tags VLAN 30 (802.1Q tag on its frames)",
	    "the appliance serves untagged");
	/*
	 * An untagged frame that says nothing of where it does its IPv4
	 * (IPv6 neighbour discovery, say) leaves the tag as it was.
	 */
	{
		static const uint8_t	v6[40] = { 0x60 };

		eth(&f, phone, -1, 0x86dd);
		put(&f, v6, sizeof v6);
		feed(&st, &f, -1, 1100);
		reason_is(&st, 1100, "tags VLAN 30 (802.1Q tag on its frames)",
		    "the appliance serves untagged");
	}
	/*
	 * Given VLAN 20 by LLDP-MED, it went on untagged and asked the
	 * appliance (it recovered here): it was listed "tags VLAN 20", and
	 * "serve on VLAN 20", beside its verdict.  An untagged DHCP alone
	 * proves less (a phone that then rebooted onto the VLAN sends one
	 * first): the policy still counts after it.
	 */
	table(&st, -1);
	lldp_med_frame(&f, 20);
	feed(&st, &f, -1, 1000);
	dhcp_frame(&f, phone, -1, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, -1, 1500);
	reason_is(&st, 1500, "tags VLAN 20 (LLDP-MED)",
	    "serve on VLAN 20 (serve --vlan 20)");
	syn_frame(&f, "10.99.0.7", "10.99.0.1", 80);
	feed(&st, &f, -1, 2000);
	reason_is(&st, 2000, NULL, NULL);
	/* Its LLDP-MED again, every 30 s: it asked, it works here. */
	lldp_med_frame(&f, 20);
	feed(&st, &f, -1, 31000);
	reason_is(&st, 31000, NULL, NULL);

	/* CDP's VoIP VLAN. */
	table(&st, -1);
	cdp_frame(&f, 40);
	feed(&st, &f, -1, 1000);
	reason_is(&st, 1000, "tags VLAN 40 (CDP)", "CDP voice network policy");
}

/* A phone with a stored address outside ours: it ARPs, and is silent. */
static void
static_phone(struct sighting_table *st)
{
	struct fb	f;

	table(st, -1);
	arp_frame(&f, "10.20.4.17", "10.20.4.1");
	feed(st, &f, -1, 1000);
	reason_is(st, 1000, "static address 10.20.4.17, no DHCP",
	    "outside the appliance's subnet");
}

static void
test_reason_static_and_lease(void **state)
{
	static struct sighting_table	st;
	struct fb			f;

	static_phone(&st);

	/* Our lease, then nothing for 60 s; then it asks: not silent. */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "10.99.0.1", "10.99.0.7");
	feed(&st, &f, -1, 1000);
	sighting_leased(&st, "0004f2aabb01", "10.99.0.7", "VVX411", 1500);
	assert_string_equal(st.v[0].model, "VVX411");
	assert_string_equal(st.v[0].info_source, "option 60");
	reason_is(&st, 1000 + SIGHTING_QUIET_MS - 1, NULL, NULL);
	reason_is(&st, 1000 + SIGHTING_QUIET_MS,
	    "took our lease, asked for nothing in 60 s", "leased 10.99.0.7");
	syn_frame(&f, "10.99.0.7", "10.99.0.1", 80);
	feed(&st, &f, -1, 70000);
	reason_is(&st, 70000, NULL, NULL);

	/* A REQUEST naming another server. */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "192.0.2.1", "192.0.2.50");
	feed(&st, &f, -1, 1000);
	reason_is(&st, 1000, "took the offer of another DHCP server "
	    "192.0.2.1", "names server 192.0.2.1");
	/* What to do is to remove that server, not to reset the phone. */
	reason_is(&st, 2000, "took the offer of another DHCP server "
	    "192.0.2.1", "then power-cycle the phone; no factory reset is "
	    "needed for this");

	/* DISCOVERs and never a REQUEST. */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, -1, 1000);
	feed(&st, &f, -1, 2000);
	reason_is(&st, 2000, NULL, NULL);
	feed(&st, &f, -1, 3000);
	reason_is(&st, 3000, NULL, NULL);	/* dnsmasq pings first */
	/* Only DISCOVERs are seen: it did not say an offer was made. */
	reason_is(&st, 1000 + SIGHTING_REFUSE_MS, "DHCP but took no offer of ours",
	    "3 DISCOVERs in 20 s and no REQUEST");
	reason_is(&st, 1000 + SIGHTING_REFUSE_MS, "DHCP but took no offer of ours",
	    "or the appliance made it no offer (its address pool full");
}

/*
 * DHCP restarted on another subnet or VLAN of the same wire: the phones
 * stay, and what is "ours" or "another VLAN" is judged against the new one.
 */
static void
test_rebase(void **state)
{
	static struct sighting_table	st;
	struct in_addr			self, mask;

	static_phone(&st);
	assert_int_equal(st.v[0].address_ours, 0);

	/* Now served on its subnet, tagged 20: its address is ours. */
	inet_pton(AF_INET, "10.20.4.1", &self);
	inet_pton(AF_INET, "255.255.255.0", &mask);
	sighting_table_rebase(&st, &self, &mask, 20);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.served_vlan, 20);
	assert_int_equal(st.v[0].address_ours, 1);
	assert_int_equal(st.v[0].first_seen, 1000);
	assert_int_equal(st.v[0].frames, 1);
	reason_is(&st, 2000, NULL, NULL);

	/* And back: it is outside again. */
	inet_pton(AF_INET, "10.99.0.1", &self);
	sighting_table_rebase(&st, &self, &mask, -1);
	assert_int_equal(st.v[0].address_ours, 0);
	reason_is(&st, 3000, "static address 10.20.4.17, no DHCP",
	    "outside the appliance's subnet");
}

/*
 * Our ACK, then a DHCPDECLINE (RFC 2131 section 4.4.1): the phone found the
 * address in use.  Not "took our lease": dnsmasq has dropped that lease.
 */
static void
test_reason_decline(void **state)
{
	static struct sighting_table	st;
	struct fb			f;

	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "10.99.0.1", "10.99.0.7");
	feed(&st, &f, -1, 1000);
	sighting_leased(&st, "0004f2aabb01", "10.99.0.7", "VVX411", 1100);
	dhcp_frame(&f, phone, -1, DHCP_DECLINE, "10.99.0.1", "10.99.0.7");
	feed(&st, &f, -1, 2000);
	/* The lease script's event for that lease, late: still declined. */
	sighting_leased(&st, "0004f2aabb01", "10.99.0.7", NULL, 2100);
	assert_string_equal(st.v[0].address, "");	/* it holds none */
	reason_is(&st, 2000, "declined our address 10.99.0.7 (it says the "
	    "address is in use: another host on the segment has it)",
	    "1 DHCPDECLINE for 10.99.0.7 after the appliance's ACK");
	reason_is(&st, 2000 + SIGHTING_QUIET_MS, "declined our address "
	    "10.99.0.7 (it says the address is in use: another host on the "
	    "segment has it)", "the appliance's DHCP range may overlap a "
	    "static host");
	/* It retries and declines the next address too: the last is named. */
	dhcp_frame(&f, phone, -1, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, -1, 12000);
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "10.99.0.1", "10.99.0.8");
	feed(&st, &f, -1, 12100);
	/* Leased again, quiet for less than the period: still the DECLINE. */
	reason_is(&st, 12100, "declined our address 10.99.0.7 (it says the "
	    "address is in use: another host on the segment has it)",
	    "1 DHCPDECLINE for 10.99.0.7");
	dhcp_frame(&f, phone, -1, DHCP_DECLINE, "10.99.0.1", "10.99.0.8");
	feed(&st, &f, -1, 13000);
	reason_is(&st, 13000, "declined our address 10.99.0.8 (it says the "
	    "address is in use: another host on the segment has it)",
	    "2 DHCPDECLINEs, the last for 10.99.0.8");
	/* Then it keeps an address and asks for nothing: that reason. */
	dhcp_frame(&f, phone, -1, DHCP_REQUEST, "10.99.0.1", "10.99.0.9");
	feed(&st, &f, -1, 24000);
	sighting_leased(&st, "0004f2aabb01", "10.99.0.9", NULL, 24050);
	reason_is(&st, 24000 + SIGHTING_QUIET_MS,
	    "took our lease, asked for nothing in 60 s", "leased 10.99.0.9");
	/*
	 * A DECLINE with no lease of ours before it (a host forging them
	 * for random MACs): it was "declined our address ... after the
	 * appliance's ACK" with no ACK ever sent.
	 */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_DECLINE, "10.99.0.1", "10.99.0.7");
	feed(&st, &f, -1, 1000);
	reason_is(&st, 1000, NULL, NULL);
	/* A DECLINE to another server is not about our address. */
	table(&st, -1);
	dhcp_frame(&f, phone, -1, DHCP_DECLINE, "192.0.2.1", "192.0.2.50");
	feed(&st, &f, -1, 1000);
	reason_is(&st, 1000, NULL, NULL);
}

static void
test_only_phones(void **state)
{
	static struct sighting_table	st;
	struct fb			f;

	table(&st, -1);
	dhcp_frame(&f, laptop, -1, DHCP_DISCOVER, NULL, NULL);
	feed(&st, &f, -1, 1000);
	assert_int_equal(st.n, 0);
	sighting_leased(&st, "020000aabb02", "10.99.0.9", NULL, 1000);
	assert_int_equal(st.n, 0);
}

static void
test_reset_steps(void **state)
{
	struct reset_steps	rs;
	char			rule[300];

	assert_int_equal(reset_steps_find("VVX 411", &rs), 0);
	assert_string_equal(rs.family, "VVX");
	assert_string_equal(rs.keys, "1, 3, 5");
	assert_string_equal(rs.confidence, "M");
	assert_int_equal(reset_steps_find("VVX1500", &rs), 0);
	assert_string_equal(rs.keys, "4, 6, 8, *");
	assert_string_equal(rs.confidence, "L");
	assert_int_equal(reset_steps_find("SPIP650", &rs), 0);
	assert_string_equal(rs.keys, "4, 6, 8, *");
	assert_int_equal(reset_steps_find("SoundPoint IP 331", &rs), 0);
	assert_string_equal(rs.keys, "1, 3, 5, 7");
	assert_int_equal(reset_steps_find("SSIP6000", &rs), 0);
	assert_string_equal(rs.keys, "6, 8, *");
	assert_int_equal(reset_steps_find("SSDuo", &rs), 0);
	assert_string_equal(rs.family, "SoundStation Duo");
	assert_int_equal(reset_steps_find("", &rs), -1);
	assert_int_equal(reset_steps_find("Trio 8800", &rs), -1);
	reset_password_rule("0004f2aabb01", rule, sizeof rule);
	assert_non_null(strstr(rule, "MAC address 0004F2AABB01 on the keypad"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lldp_med),
		cmocka_unit_test(test_cdp),
		cmocka_unit_test(test_dhcp_tagged_and_aux),
		cmocka_unit_test(test_arp_and_syn),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_rebase),
		cmocka_unit_test(test_reason_voice_vlan),
		cmocka_unit_test(test_reason_static_and_lease),
		cmocka_unit_test(test_reason_decline),
		cmocka_unit_test(test_only_phones),
		cmocka_unit_test(test_reset_steps),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
