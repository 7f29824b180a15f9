/*
 * The HTTP User-Agent of a Polycom phone's file transfers: see ident.h.
 *
 *   FileTransport Polycom<Family>-<MODEL_WITH_UNDERSCORE>-UA/<version>
 *       [(SN:<mac>)] [Type/Application|Type/Updater]
 *
 * Anything else is refused rather than half-understood: the version in it
 * decides whether a phone is flashed.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "log.h"
#include "mac.h"
#include "xmalloc.h"

#define UA_MAX		512
#define UA_QUOTE_MAX	120
#define UA_BLANKS	" \t\r\n"

static int	ua_fail(char **, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	ua_word(const char *, const char *, size_t, struct ident_ua *,
		    int *, char **);

static int
ua_fail(char **cause, const char *ua, const char *fmt, ...)
{
	va_list	 ap;
	char	*why, *esc;
	size_t	 len;

	if (cause == NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	len = strlen(ua);
	esc = log_escape(ua, len > UA_QUOTE_MAX ? UA_QUOTE_MAX : len);
	xasprintf(cause, "User-Agent '%s%s' %s", esc,
	    len > UA_QUOTE_MAX ? "..." : "", why);
	free(esc);
	free(why);
	return (-1);
}

/* One word after the version: the serial number or the Type. */
static int
ua_word(const char *ua, const char *w, size_t len, struct ident_ua *out,
    int *seen_type, char **cause)
{
	char	 text[IDENT_MAC_LEN * 2], *esc;
	size_t	 n;
	int	 rc;

	if (len > 5 && memcmp(w, "(SN:", 4) == 0 && w[len - 1] == ')') {
		if (out->mac[0] != '\0')
			return (ua_fail(cause, ua, "has two serial numbers"));
		n = len - 5;
		if (n < sizeof text) {
			memcpy(text, w + 4, n);
			text[n] = '\0';
			if (mac_parse(text, out->mac) == 0)
				return (0);
		}
		out->mac[0] = '\0';
		return (ua_fail(cause, ua, "has a serial number that is not a "
		    "MAC address"));
	}
	if (len > 5 && memcmp(w, "Type/", 5) == 0) {
		if (*seen_type)
			return (ua_fail(cause, ua, "has two Type/ words"));
		*seen_type = 1;
		if (len == 16 && memcmp(w, "Type/Application", 16) == 0)
			out->type = UA_TYPE_APPLICATION;
		else if (len == 12 && memcmp(w, "Type/Updater", 12) == 0)
			out->type = UA_TYPE_UPDATER;
		else
			return (ua_fail(cause, ua, "has an unknown Type "
			    "(expected Type/Application or Type/Updater)"));
		return (0);
	}
	esc = log_escape(w, len > 40 ? 40 : len);
	rc = ua_fail(cause, ua, "has an unexpected word '%s' after the "
	    "version", esc);
	free(esc);
	return (rc);
}

int
ident_parse_user_agent(const char *ua, struct ident_ua *out, char **cause)
{
	const char	*p, *family, *model, *ver, *end;
	char		 text[UCS_VERSION_TEXT_MAX], *why;
	size_t		 n, i, t;
	int		 seen_type = 0;

	memset(out, 0, sizeof *out);
	if (ua == NULL)
		ua = "";
	if (strlen(ua) > UA_MAX)
		return (ua_fail(cause, ua, "is longer than %d bytes", UA_MAX));

	p = ua + strspn(ua, UA_BLANKS);
	if (strncmp(p, "FileTransport", 13) == 0 &&
	    strchr(UA_BLANKS, p[13]) != NULL && p[13] != '\0') {
		p += 13;
		p += strspn(p, UA_BLANKS);
	}
	if (strncmp(p, "Polycom", 7) != 0)
		return (ua_fail(cause, ua, "is not a Polycom phone's (expected "
		    "'FileTransport Polycom<family>-<model>-UA/<version>')"));
	p += 7;

	family = p;
	while (isalnum((unsigned char)*p))
		p++;
	n = p - family;
	if (n == 0 || n >= sizeof out->family || *p != '-')
		return (ua_fail(cause, ua, "has no family after 'Polycom' "
		    "(such as SoundPointIP or VVX)"));
	memcpy(out->family, family, n);
	out->family[n] = '\0';
	p++;

	model = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == model || strncmp(p, "-UA/", 4) != 0) {
		out->family[0] = '\0';
		return (ua_fail(cause, ua, "has no model and '-UA/' after the "
		    "family"));
	}
	for (i = 0, t = 0; model + i < p; i++) {
		if (model[i] == '_')
			continue;
		if (t == sizeof out->token - 1) {
			memset(out, 0, sizeof *out);
			return (ua_fail(cause, ua, "has a model name too long"));
		}
		out->token[t++] = model[i];
	}
	out->token[t] = '\0';
	if (t == 0) {
		memset(out, 0, sizeof *out);
		return (ua_fail(cause, ua, "has an empty model name"));
	}
	p += 4;

	ver = p;
	p += strcspn(p, UA_BLANKS);
	n = p - ver;
	if (n == 0 || n >= sizeof text) {
		memset(out, 0, sizeof *out);
		return (ua_fail(cause, ua, "has no version after 'UA/'"));
	}
	memcpy(text, ver, n);
	text[n] = '\0';
	if (ucs_version_parse(text, &out->version, &why) != 0) {
		memset(out, 0, sizeof *out);
		ua_fail(cause, ua, "has a bad version: %s", why);
		free(why);
		return (-1);
	}

	for (;;) {
		p += strspn(p, UA_BLANKS);
		if (*p == '\0')
			break;
		end = p + strcspn(p, UA_BLANKS);
		if (ua_word(ua, p, end - p, out, &seen_type, cause) != 0) {
			memset(out, 0, sizeof *out);
			return (-1);
		}
		p = end;
	}
	return (0);
}
