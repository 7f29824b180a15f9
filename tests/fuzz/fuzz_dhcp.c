/*
 * Fuzz what reaches the DHCP module from outside: the lease line (from the
 * hook), a DHCP message (from the probe's socket) and an IPv4 packet (from
 * the option 60 sniffer).  The first byte chooses; the rest is the input.
 * Besides the sanitizers: an accepted lease line formats back to itself, and
 * the sniffer only ever keeps an option 60 that the packet really carried.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_lease(const uint8_t *, size_t);
static void	fuzz_packet(const uint8_t *, size_t);
static void	fuzz_sniff(const uint8_t *, size_t);

static void
fuzz_lease(const uint8_t *data, size_t size)
{
	struct dhcp_lease_msg	 msg;
	char			*cause = NULL, *line, host[65], vendor[256];

	if (dhcp_lease_parse((const char *)data, size, &msg, &cause) != 0) {
		free(cause);
		return;
	}
	/* Round trip, when the fields are C strings (no NUL inside). */
	if (memchr(msg.hostname, '\0', msg.hostname_len) != NULL ||
	    memchr(msg.vendor, '\0', msg.vendor_len) != NULL)
		return;
	memcpy(host, msg.hostname, msg.hostname_len);
	host[msg.hostname_len] = '\0';
	memcpy(vendor, msg.vendor, msg.vendor_len);
	vendor[msg.vendor_len] = '\0';
	line = dhcp_lease_format(msg.action, msg.mac, msg.ip, host, vendor,
	    msg.iface, &cause);
	if (line == NULL)
		abort();
	if (size == 0 || data[size - 1] != '\n')
		line[strlen(line) - 1] = '\0';
	if (strlen(line) != size || memcmp(line, data, size) != 0) {
		/* Only the IP's spelling may differ (inet_pton is lenient). */
		struct dhcp_lease_msg	again;

		if (dhcp_lease_parse(line, strlen(line), &again, &cause) != 0 ||
		    memcmp(&again, &msg, sizeof msg) != 0)
			abort();
	}
	free(line);
}

static void
fuzz_packet(const uint8_t *data, size_t size)
{
	struct dhcp_packet_info	pi;

	if (dhcp_packet_parse(data, size, &pi) != 0)
		return;
	if (pi.vendor != NULL && (pi.vendor < data ||
	    pi.vendor + pi.vendor_len > data + size))
		abort();
	if (pi.opt66 != NULL && pi.opt66 + pi.opt66_len > data + size)
		abort();
	if (pi.opt160 != NULL && pi.opt160 + pi.opt160_len > data + size)
		abort();
}

static void
fuzz_sniff(const uint8_t *data, size_t size)
{
	struct dhcp_sniff	*ds = dhcp_sniff_new();
	struct dhcp_packet_info	 pi;
	const uint8_t		*v;
	size_t			 vlen, ihl;

	dhcp_sniff_feed(ds, data, size);
	if (size >= 20) {
		ihl = (data[0] & 0xf) * 4;
		if (ihl >= 20 && size >= ihl + 8 &&
		    dhcp_packet_parse(data + ihl + 8, size - ihl - 8, &pi) ==
		    0 && pi.mac[0] != '\0') {
			v = dhcp_sniff_vendor(ds, pi.mac, &vlen);
			if (v != NULL && (vlen == 0 || vlen > 255))
				abort();
		}
	}
	dhcp_sniff_free(ds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return (0);
	switch (data[0] % 3) {
	case 0:
		fuzz_lease(data + 1, size - 1);
		break;
	case 1:
		fuzz_packet(data + 1, size - 1);
		break;
	case 2:
		fuzz_sniff(data + 1, size - 1);
		break;
	}
	return (0);
}
