/*
 * Fuzz what the passive listener reads from the wire: one Ethernet frame
 * (any bytes, as a phone or anyone spoofing its MAC could send), parsed,
 * fed to a sighting table and asked for a reason.  The first byte chooses
 * the VLAN tag the kernel would have handed over aside (0xff: none).
 * Besides the sanitizers: every text field is NUL-terminated printable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "sighting.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_text(const char *s)
{
	size_t	i, n = strnlen(s, FRAME_TEXT);

	if (n == FRAME_TEXT)
		abort();
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sighting_table	st;
	struct frame_info		fi;
	struct in_addr			self, mask;
	char				reason[160], evidence[400];
	uint8_t				*copy;
	int				aux;

	if (size < 1)
		return (0);
	aux = data[0] == 0xff ? -1 : data[0];
	copy = malloc(size - 1 + 1);
	memcpy(copy, data + 1, size - 1);
	if (frame_parse(copy, size - 1, aux, &fi) == 0) {
		check_text(fi.model);
		check_text(fi.firmware);
		check_text(fi.serial);
		check_text(fi.manufacturer);
		check_text(fi.sysname);
		check_text(fi.port);
		if (fi.vlan > 4095 || fi.policy_vlan > 4095 ||
		    fi.native_vlan > 4095)
			abort();
		inet_pton(AF_INET, "10.99.0.1", &self);
		inet_pton(AF_INET, "255.255.255.0", &mask);
		sighting_table_init(&st, &self, &mask, -1);
		/* Pretend it came from a phone so that the table sees it. */
		fi.src[0] = 0x00; fi.src[1] = 0x04; fi.src[2] = 0xf2;
		sighting_feed(&st, &fi, 1000);
		if (st.n == 1)
			(void)sighting_reason(&st, &st.v[0], 100000, reason,
			    sizeof reason, evidence, sizeof evidence);
	}
	free(copy);
	return (0);
}
