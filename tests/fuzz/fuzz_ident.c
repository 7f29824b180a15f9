/*
 * Fuzz the identification parsers with what a phone (or anything on the
 * wire) can send.  The first byte chooses the parser: 0 User-Agent,
 * 1 DHCP option 60, 2 file name, 3 version text, 4 MAC address; the rest is
 * the input.  Besides the sanitizers, what a parser accepts must hold its
 * promises (tokens are letters and digits, parts are part numbers, a parsed
 * version survives formatting and parsing again).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "mac.h"
#include "version.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_check_token(const char *, size_t);
static void	fuzz_check_version(const struct ucs_version *);
static void	fuzz_ua(const char *);
static void	fuzz_opt60(const uint8_t *, size_t);
static void	fuzz_name(const char *);
static void	fuzz_mac(const char *);

static void
fuzz_check_token(const char *s, size_t size)
{
	size_t	i;

	if (memchr(s, '\0', size) == NULL)
		abort();
	for (i = 0; s[i] != '\0'; i++) {
		if (!isalnum((unsigned char)s[i]))
			abort();
	}
}

/* Formatting a parsed version and parsing it again gives the same version. */
static void
fuzz_check_version(const struct ucs_version *v)
{
	struct ucs_version	again;
	char			buf[UCS_VERSION_TEXT_MAX];

	if (v->nfields == 0)
		return;
	if (v->nfields < 2 || v->nfields > UCS_VERSION_FIELDS)
		abort();
	ucs_version_format_release(v, buf, sizeof buf);
	if (ucs_version_parse(buf, &again, NULL) != 0)
		abort();
	if (ucs_version_cmp_strict(v, &again) != 0 ||
	    again.revision != v->revision || again.nfields != v->nfields)
		abort();
}

static void
fuzz_ua(const char *s)
{
	struct ident_ua	 ua;
	char		*cause = NULL;

	if (ident_parse_user_agent(s, &ua, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	fuzz_check_token(ua.token, sizeof ua.token);
	fuzz_check_token(ua.family, sizeof ua.family);
	fuzz_check_token(ua.mac, sizeof ua.mac);
	if (ua.token[0] == '\0' || ua.version.nfields == 0)
		abort();
	if (ua.mac[0] != '\0' && strlen(ua.mac) != IDENT_MAC_LEN)
		abort();
	fuzz_check_version(&ua.version);
}

static void
fuzz_opt60(const uint8_t *data, size_t size)
{
	struct ident_opt60	 o;
	char			*cause = NULL;

	if (ident_parse_option60(data, size, &o, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	fuzz_check_token(o.token, sizeof o.token);
	if (memchr(o.model, '\0', sizeof o.model) == NULL ||
	    memchr(o.part, '\0', sizeof o.part) == NULL)
		abort();
	if (o.part[0] != '\0' &&
	    !ident_is_part_number(o.part, strlen(o.part)))
		abort();
	if (o.token[0] == '\0' && o.part[0] == '\0')
		abort();
	fuzz_check_version(&o.app_version);
	fuzz_check_version(&o.updater_version);
}

static void
fuzz_name(const char *s)
{
	struct ident_name	n;
	size_t			len = strlen(s);

	ident_classify_name(s, &n);
	if (n.base < s || n.base > s + len || strchr(n.base, '/') != NULL)
		abort();
	if (memchr(n.mac, '\0', sizeof n.mac) == NULL)
		abort();
	switch (n.kind) {
	case IDENT_FILE_IMAGE:
		if (!ident_is_part_number(n.part, strlen(n.part)))
			abort();
		break;
	case IDENT_FILE_BOOTROM:
		/* bootrom.ld, or a part's split <part>.bootrom.ld. */
		if (n.part[0] != '\0' &&
		    !ident_is_part_number(n.part, strlen(n.part)))
			abort();
		break;
	case IDENT_FILE_MASTER_MAC:
	case IDENT_FILE_BOOT_LOG:
	case IDENT_FILE_APP_LOG:
	case IDENT_FILE_PHONE_CFG:
	case IDENT_FILE_WEB_CFG:
	case IDENT_FILE_CALLS:
		if (strlen(n.mac) != IDENT_MAC_LEN ||
		    strncmp(n.base, n.mac, IDENT_MAC_LEN) != 0)
			abort();
		break;
	default:
		break;
	}
}

static void
fuzz_mac(const char *s)
{
	char	out[IDENT_MAC_LEN + 1];
	int	i;

	if (mac_parse(s, out) != 0)
		return;
	for (i = 0; i < IDENT_MAC_LEN; i++) {
		if (!isdigit((unsigned char)out[i]) &&
		    (out[i] < 'a' || out[i] > 'f'))
			abort();
	}
	if (out[IDENT_MAC_LEN] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ucs_version	 v;
	uint8_t			*exact;
	char			*text, *cause = NULL;
	int			 which;

	if (size == 0)
		return (0);
	which = data[0] % 5;
	data++;
	size--;

	if (which == 1) {
		/* An exact-size copy: any read past it is caught. */
		exact = malloc(size == 0 ? 1 : size);
		memcpy(exact, data, size);
		fuzz_opt60(exact, size);
		free(exact);
		return (0);
	}

	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	switch (which) {
	case 0:
		fuzz_ua(text);
		break;
	case 2:
		fuzz_name(text);
		break;
	case 3:
		if (ucs_version_parse(text, &v, &cause) == 0)
			fuzz_check_version(&v);
		else if (cause == NULL)
			abort();
		free(cause);
		break;
	case 4:
		fuzz_mac(text);
		break;
	}
	free(text);
	return (0);
}
