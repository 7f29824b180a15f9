/*
 * DHCP option 60 (vendor class) of a Polycom phone: see ident.h.
 *
 * Binary form, as RFC 3925 lays out a vendor's data:
 *   00 00 36 3d        enterprise 13885 (Polycom), big-endian
 *   LEN                length of what follows, which must be all the rest
 *   CODE LEN VALUE...  sub-options: 1 "Polycom", 2 model
 *                      ("SoundPointIP-SPIP_601"), 3 part and revision
 *                      ("2345-11605-001,2"), 4 "SIP/<build>/<date>",
 *                      5 "BR/<build>/<date>"; other codes are skipped
 * ASCII form: "Polycom-SPIP670" (one trailing NUL, as some DHCP clients
 * send strings, is allowed).
 *
 * Every length is checked against the bytes actually present before it is
 * used; a length that claims more, or leaves bytes over, is a lie and the
 * whole option is refused.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "log.h"
#include "xmalloc.h"

#define OPT60_ENTERPRISE	13885UL
#define OPT60_HEADER		5	/* enterprise + data length */
#define OPT60_PART_LEN		14

static int	opt60_fail(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	opt60_printable(const uint8_t *, size_t);
static int	opt60_model(const uint8_t *, size_t, struct ident_opt60 *,
		    char **);
static int	opt60_version(int, const char *, const uint8_t *, size_t,
		    struct ucs_version *, char **);
static int	opt60_binary(const uint8_t *, size_t, struct ident_opt60 *,
		    char **);
static int	opt60_ascii(const uint8_t *, size_t, struct ident_opt60 *,
		    char **);

static int
opt60_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	if (cause == NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	xasprintf(cause, "DHCP option 60 %s", why);
	free(why);
	return (-1);
}

static int
opt60_printable(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e)
			return (0);
	}
	return (1);
}

/* "SoundPointIP-SPIP_601" or "SPIP670": the token is the last part. */
static int
opt60_model(const uint8_t *p, size_t len, struct ident_opt60 *out,
    char **cause)
{
	size_t	i, start = 0, t = 0;
	char	*esc;

	if (len == 0 || len >= sizeof out->model)
		return (opt60_fail(cause, "has a model name of %zu bytes",
		    len));
	for (i = 0; i < len; i++) {
		if (p[i] == '-')
			start = i + 1;
		else if (!isalnum(p[i]) && p[i] != '_') {
			esc = log_escape(p, len);
			opt60_fail(cause, "has a model name '%s' that is not "
			    "letters, digits, '-' and '_'", esc);
			free(esc);
			return (-1);
		}
	}
	for (i = start; i < len; i++) {
		if (p[i] != '_')
			out->token[t++] = (char)p[i];
	}
	out->token[t] = '\0';
	if (t == 0) {
		esc = log_escape(p, len);
		opt60_fail(cause, "has a model name '%s' with no model token",
		    esc);
		free(esc);
		return (-1);
	}
	memcpy(out->model, p, len);
	out->model[len] = '\0';
	return (0);
}

/* "SIP/4.0.15.1047/date" (code 4) or "BR/5.0.3.1667/date" (code 5). */
static int
opt60_version(int code, const char *prefix, const uint8_t *p, size_t len,
    struct ucs_version *v, char **cause)
{
	char		 text[UCS_VERSION_TEXT_MAX], *why, *esc;
	size_t		 plen = strlen(prefix), n;
	const uint8_t	*slash;

	if (len <= plen || memcmp(p, prefix, plen) != 0) {
		esc = log_escape(p, len);
		opt60_fail(cause, "sub-option %d '%s' does not start with "
		    "'%s'", code, esc, prefix);
		free(esc);
		return (-1);
	}
	p += plen;
	len -= plen;
	slash = memchr(p, '/', len);
	n = slash != NULL ? (size_t)(slash - p) : len;
	if (n == 0 || n >= sizeof text)
		return (opt60_fail(cause, "sub-option %d has no version",
		    code));
	memcpy(text, p, n);
	text[n] = '\0';
	if (ucs_version_parse(text, v, &why) != 0) {
		opt60_fail(cause, "sub-option %d has a bad %s", code, why);
		free(why);
		return (-1);
	}
	return (0);
}

static int
opt60_binary(const uint8_t *buf, size_t len, struct ident_opt60 *out,
    char **cause)
{
	const uint8_t	*p, *end, *value, *comma;
	size_t		 dlen, vlen, plen;
	unsigned int	 seen = 0;
	int		 code;

	if (len < OPT60_HEADER)
		return (opt60_fail(cause, "is truncated: %zu bytes, the "
		    "enterprise number and data length need %d", len,
		    OPT60_HEADER));
	dlen = buf[4];
	if (dlen > len - OPT60_HEADER)
		return (opt60_fail(cause, "says %zu bytes of vendor data but "
		    "only %zu follow", dlen, len - OPT60_HEADER));
	if (dlen < len - OPT60_HEADER)
		return (opt60_fail(cause, "has %zu bytes after its %zu bytes "
		    "of vendor data", len - OPT60_HEADER - dlen, dlen));

	p = buf + OPT60_HEADER;
	end = p + dlen;
	while (p < end) {
		if (end - p < 2)
			return (opt60_fail(cause, "has a sub-option cut short "
			    "at byte %zu", (size_t)(p - buf)));
		code = p[0];
		vlen = p[1];
		if (vlen > (size_t)(end - p - 2))
			return (opt60_fail(cause, "sub-option %d says %zu "
			    "bytes but only %zu follow", code, vlen,
			    (size_t)(end - p - 2)));
		value = p + 2;
		p = value + vlen;
		if (code < 1 || code > 5)
			continue;
		if (seen & (1U << code))
			return (opt60_fail(cause, "has sub-option %d twice",
			    code));
		seen |= 1U << code;
		if (!opt60_printable(value, vlen))
			return (opt60_fail(cause, "sub-option %d has a "
			    "non-printable byte", code));
		switch (code) {
		case 1:
			if (vlen != 7 || memcmp(value, "Polycom", 7) != 0)
				return (opt60_fail(cause, "sub-option 1 is not "
				    "'Polycom'"));
			break;
		case 2:
			if (opt60_model(value, vlen, out, cause) != 0)
				return (-1);
			break;
		case 3:
			comma = memchr(value, ',', vlen);
			plen = comma != NULL ? (size_t)(comma - value) : vlen;
			if (plen != OPT60_PART_LEN ||
			    !ident_is_part_number((const char *)value, plen))
				return (opt60_fail(cause, "sub-option 3 is not "
				    "a part number like 2345-11605-001,2"));
			memcpy(out->part, value, plen);
			out->part[plen] = '\0';
			break;
		case 4:
			if (opt60_version(4, "SIP/", value, vlen,
			    &out->app_version, cause) != 0)
				return (-1);
			break;
		case 5:
			if (opt60_version(5, "BR/", value, vlen,
			    &out->updater_version, cause) != 0)
				return (-1);
			break;
		}
	}
	if (out->token[0] == '\0' && out->part[0] == '\0')
		return (opt60_fail(cause, "names neither a model (sub-option "
		    "2) nor a part number (sub-option 3)"));
	out->binary = 1;
	return (0);
}

static int
opt60_ascii(const uint8_t *buf, size_t len, struct ident_opt60 *out,
    char **cause)
{
	char	*esc;

	if (len > 0 && buf[len - 1] == '\0')
		len--;
	if (!opt60_printable(buf, len) || len < 8 ||
	    memcmp(buf, "Polycom-", 8) != 0) {
		esc = log_escape(buf, len > 64 ? 64 : len);
		opt60_fail(cause, "'%s%s' is not a Polycom phone's (expected "
		    "'Polycom-<model>' or enterprise 13885)", esc,
		    len > 64 ? "..." : "");
		free(esc);
		return (-1);
	}
	return (opt60_model(buf + 8, len - 8, out, cause));
}

int
ident_parse_option60(const uint8_t *buf, size_t len, struct ident_opt60 *out,
    char **cause)
{
	unsigned long	enterprise;
	int		rc;

	memset(out, 0, sizeof *out);
	if (buf == NULL || len == 0)
		return (opt60_fail(cause, "is empty"));
	/* Text starts with a printable byte; RFC 3925 with a zero byte. */
	if (buf[0] >= 0x20 && buf[0] <= 0x7e)
		rc = opt60_ascii(buf, len, out, cause);
	else if (len < 4)
		rc = opt60_fail(cause, "is truncated: %zu bytes, the enterprise "
		    "number needs 4", len);
	else {
		enterprise = (unsigned long)buf[0] << 24 |
		    (unsigned long)buf[1] << 16 | (unsigned long)buf[2] << 8 |
		    buf[3];
		if (enterprise != OPT60_ENTERPRISE)
			rc = opt60_fail(cause, "names enterprise %lu, not "
			    "Polycom's %lu", enterprise, OPT60_ENTERPRISE);
		else
			rc = opt60_binary(buf, len, out, cause);
	}
	if (rc != 0)
		memset(out, 0, sizeof *out);
	return (rc);
}
