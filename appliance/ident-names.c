/*
 * What the names of requested and uploaded files say about a phone: see
 * ident.h.
 *
 * MACs in names must be lower case.  Phones always write them so (the
 * [PHONE_MAC_ADDRESS] they substitute is lower-case hex), and a real boot
 * server's file system is case-sensitive, so "0004F2AABBCC.cfg" is not a name
 * any phone asks for: it comes from a person or a scanner.  Such names are
 * classified IDENT_FILE_OTHER rather than normalised, so that a stray request
 * can never be taken as evidence about a phone or advance its state.
 */
#include <ctype.h>
#include <string.h>

#include "ident.h"

#define IDENT_PART_LEN		14	/* "2345-12670-001" */
#define IDENT_IMAGE_SUFFIX	".sip.ld"
#define IDENT_ZERO_MAC		"000000000000"

static const struct {
	const char	*suffix;
	enum ident_file	 kind;
	int		 zeros;		/* 000000000000<suffix> is a real name too */
} ident_suffixes[] = {
	{ "-boot.log", IDENT_FILE_BOOT_LOG, 0 },
	{ "-app.log", IDENT_FILE_APP_LOG, 0 },
	{ "-phone.cfg", IDENT_FILE_PHONE_CFG, 0 },
	{ "-web.cfg", IDENT_FILE_WEB_CFG, 0 },
	{ "-license.cfg", IDENT_FILE_LICENSE, 1 },
	{ "-directory.xml", IDENT_FILE_DIRECTORY, 1 },
	{ "-calls.xml", IDENT_FILE_CALLS, 0 },
	{ ".cfg", IDENT_FILE_MASTER_MAC, 1 }
};

static int	ident_is_lower_mac(const char *);
static int	ident_hex_value(char);
static void	ident_no_image(const char *, size_t, struct ident_name *);

static int
ident_hex_value(char c)
{
	return (isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
}

/* 12 lower-case hex digits exactly at s (more may follow). */
static int
ident_is_lower_mac(const char *s)
{
	int	i;

	for (i = 0; i < IDENT_MAC_LEN; i++) {
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return (0);
	}
	return (1);
}

int
ident_is_part_number(const char *s, size_t len)
{
	size_t	i;

	if (len != IDENT_PART_LEN)
		return (0);
	for (i = 0; i < len; i++) {
		if (i == 4 || i == 10) {
			if (s[i] != '-')
				return (0);
		} else if (!isdigit((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/*
 * "ztp-rescue-no-image-<token>.sip.ld" (len: without ".sip.ld"), or a 5.x
 * phone's "<part>.ztp-rescue-no-image-<token>.sip.ld": the never-served
 * name a model is offered when no image may be given.  Its token (and
 * part) name the phone's model.
 */
static void
ident_no_image(const char *base, size_t len, struct ident_name *out)
{
	static const char	 prefix[] = "ztp-rescue-no-image-";
	const char		*at = base;
	size_t			 n, i;

	if (len > IDENT_PART_LEN + 1 && at[IDENT_PART_LEN] == '.' &&
	    ident_is_part_number(at, IDENT_PART_LEN)) {
		memcpy(out->part, at, IDENT_PART_LEN);
		out->part[IDENT_PART_LEN] = '\0';
		at += IDENT_PART_LEN + 1;
		len -= IDENT_PART_LEN + 1;
	}
	n = sizeof prefix - 1;
	if (len <= n || len - n >= sizeof out->token ||
	    strncmp(at, prefix, n) != 0) {
		out->part[0] = '\0';
		return;
	}
	for (i = n; i < len; i++) {
		if (!isalnum((unsigned char)at[i]) && at[i] != '_') {
			out->part[0] = '\0';
			return;
		}
	}
	out->kind = IDENT_FILE_NO_IMAGE;
	memcpy(out->token, at + n, len - n);
	out->token[len - n] = '\0';
}

void
ident_classify_name(const char *name, struct ident_name *out)
{
	const char	*base, *slash;
	size_t		 len, slen, plen, i;

	memset(out, 0, sizeof *out);
	out->kind = IDENT_FILE_OTHER;
	if (name == NULL) {
		out->base = "";
		return;
	}
	base = (slash = strrchr(name, '/')) != NULL ? slash + 1 : name;
	out->base = base;
	len = strlen(base);

	if (strcmp(base, "sip.ld") == 0) {
		out->kind = IDENT_FILE_COMBINED_IMAGE;
		return;
	}
	/* SIP 2.x/3.x BootROMs ask for bootrom.ld first (reference sec. 8). */
	if (strcmp(base, "bootrom.ld") == 0) {
		out->kind = IDENT_FILE_BOOTROM;
		return;
	}
	if (len == IDENT_PART_LEN + strlen(".bootrom.ld") &&
	    strcmp(base + IDENT_PART_LEN, ".bootrom.ld") == 0 &&
	    ident_is_part_number(base, IDENT_PART_LEN)) {
		out->kind = IDENT_FILE_BOOTROM;
		memcpy(out->part, base, IDENT_PART_LEN);
		out->part[IDENT_PART_LEN] = '\0';
		return;
	}
	slen = strlen(IDENT_IMAGE_SUFFIX);
	if (len > slen && strcmp(base + len - slen, IDENT_IMAGE_SUFFIX) == 0) {
		plen = len - slen;
		/*
		 * "<part>.<part>.sip.ld" is a 5.x phone prefixing its part to
		 * an APP_FILE_PATH that already named it.  Different parts
		 * would be a phone asking for another model's image: not
		 * something to take as identification.
		 */
		if (plen == 2 * IDENT_PART_LEN + 1 &&
		    base[IDENT_PART_LEN] == '.' &&
		    memcmp(base, base + IDENT_PART_LEN + 1,
		    IDENT_PART_LEN) == 0)
			plen = IDENT_PART_LEN;
		if (plen == IDENT_PART_LEN &&
		    ident_is_part_number(base, IDENT_PART_LEN)) {
			out->kind = IDENT_FILE_IMAGE;
			memcpy(out->part, base, IDENT_PART_LEN);
			out->part[IDENT_PART_LEN] = '\0';
		} else
			ident_no_image(base, plen, out);
		return;
	}

	if (len <= IDENT_MAC_LEN || !ident_is_lower_mac(base))
		return;
	for (i = 0; i < sizeof ident_suffixes / sizeof ident_suffixes[0]; i++) {
		if (strcmp(base + IDENT_MAC_LEN, ident_suffixes[i].suffix) != 0)
			continue;
		if (memcmp(base, IDENT_ZERO_MAC, IDENT_MAC_LEN) == 0) {
			if (!ident_suffixes[i].zeros)
				return;
			out->kind = ident_suffixes[i].kind;
			if (out->kind == IDENT_FILE_MASTER_MAC)
				out->kind = IDENT_FILE_MASTER_DEFAULT;
			return;
		}
		/*
		 * A group address (the low bit of the first byte set, as in
		 * ff:ff:ff:ff:ff:ff) is no phone's: such a name is a stray
		 * or forged one, never evidence about a phone.
		 */
		if (ident_hex_value(base[1]) & 1)
			return;
		out->kind = ident_suffixes[i].kind;
		memcpy(out->mac, base, IDENT_MAC_LEN);
		out->mac[IDENT_MAC_LEN] = '\0';
		return;
	}
}

int
ident_is_upload_kind(enum ident_file kind)
{
	switch (kind) {
	case IDENT_FILE_BOOT_LOG:
	case IDENT_FILE_APP_LOG:
	case IDENT_FILE_PHONE_CFG:
	case IDENT_FILE_WEB_CFG:
	case IDENT_FILE_DIRECTORY:
	case IDENT_FILE_CALLS:
		return (1);
	default:
		return (0);
	}
}
