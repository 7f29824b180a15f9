/*
 * UC Software versions: see version.h.
 *
 * Accepted, after trimming blanks (a sip.ver file may end in CR/LF):
 *   [UC Software |UCS ]N.N[.N[.N]][L]
 * Each field is 1 to 10 decimal digits no larger than 4294967295; the optional
 * letter L (a package revision, "H" of 4.0.8H) may follow a version of at most
 * three fields and is stored upper case.  "4.08H" is the seed's shorthand for
 * 4.0.8H: a two-field version whose second field is written as "0" and one
 * more digit is read as three fields, since no UC Software release numbers
 * its minor version with a leading zero.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "version.h"
#include "xmalloc.h"

#define UCS_FIELD_DIGITS_MAX	10
#define UCS_FIELD_MAX		4294967295UL
#define UCS_QUOTE_MAX		48

static int	 ucs_is_blank(int);
static char	*ucs_quote(const char *, size_t);
static int	 ucs_fail(char **, const char *, size_t, const char *);
static const char *ucs_skip_prefix(const char *, const char *);

static int
ucs_is_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* The input as it may appear in a message: escaped and bounded. */
static char *
ucs_quote(const char *s, size_t len)
{
	char	*esc, *out;

	if (len > UCS_QUOTE_MAX) {
		esc = log_escape(s, UCS_QUOTE_MAX);
		xasprintf(&out, "%s...", esc);
		free(esc);
		return (out);
	}
	return (log_escape(s, len));
}

static int
ucs_fail(char **cause, const char *s, size_t len, const char *why)
{
	char	*q;

	if (cause != NULL) {
		q = ucs_quote(s, len);
		xasprintf(cause, "version '%s' %s; expected a UC Software "
		    "version such as 4.0.8H or 4.1.7.5432", q, why);
		free(q);
	}
	return (-1);
}

/* After a case-insensitive PREFIX and at least one blank, or NULL. */
static const char *
ucs_skip_prefix(const char *s, const char *prefix)
{
	size_t	n = strlen(prefix);

	if (strncasecmp(s, prefix, n) != 0 || !ucs_is_blank((unsigned char)s[n]))
		return (NULL);
	s += n;
	while (ucs_is_blank((unsigned char)*s))
		s++;
	return (s);
}

int
ucs_version_parse(const char *text, struct ucs_version *v, char **cause)
{
	const char	*s, *end, *p, *after;
	unsigned long	 value;
	size_t		 ndigits;
	int		 n = 0;

	memset(v, 0, sizeof *v);
	if (text == NULL)
		return (ucs_fail(cause, "", 0, "is missing"));

	/* Trim blanks both sides. */
	s = text;
	while (ucs_is_blank((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && ucs_is_blank((unsigned char)end[-1]))
		end--;
	if ((after = ucs_skip_prefix(s, "UC Software")) != NULL ||
	    (after = ucs_skip_prefix(s, "UCS")) != NULL)
		s = after;
	if (s >= end)
		return (ucs_fail(cause, text, strlen(text), "is empty"));

	p = s;
	for (;;) {
		if (!isdigit((unsigned char)*p)) {
			if (p == end || *p == '.')
				return (ucs_fail(cause, s, end - s,
				    "has an empty field"));
			return (ucs_fail(cause, s, end - s,
			    "has a non-numeric field"));
		}
		if (n == UCS_VERSION_FIELDS)
			return (ucs_fail(cause, s, end - s,
			    "has more than four fields"));
		value = 0;
		ndigits = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			if (++ndigits > UCS_FIELD_DIGITS_MAX)
				return (ucs_fail(cause, s, end - s,
				    "has a field too large"));
			value = value * 10 + (unsigned long)(*p - '0');
			p++;
		}
		if (value > UCS_FIELD_MAX)
			return (ucs_fail(cause, s, end - s,
			    "has a field too large"));
		v->field[n] = value;
		v->digits[n] = (unsigned char)ndigits;
		n++;
		if (p == end || *p != '.')
			break;
		p++;
	}

	if (p < end && isalpha((unsigned char)*p) && p + 1 == end) {
		if (n == UCS_VERSION_FIELDS)
			return (ucs_fail(cause, s, end - s,
			    "has a revision letter after a four-field build"));
		v->revision = (char)toupper((unsigned char)*p);
		p++;
	}
	if (p != end) {
		if (ucs_is_blank((unsigned char)*p))
			return (ucs_fail(cause, s, end - s,
			    "has a blank inside"));
		if (isalpha((unsigned char)*p))
			return (ucs_fail(cause, s, end - s,
			    "has more than one revision letter"));
		return (ucs_fail(cause, s, end - s,
		    "has a non-numeric field"));
	}
	if (n < 2)
		return (ucs_fail(cause, s, end - s,
		    "needs at least major.minor"));

	/* The seed's "4.08H": minor written as "0" and one digit. */
	if (n == 2 && v->digits[1] == 2 && v->field[1] < 10) {
		v->field[2] = v->field[1];
		v->field[1] = 0;
		v->digits[1] = v->digits[2] = 1;
		n = 3;
	}
	v->nfields = n;
	return (0);
}

int
ucs_version_known(const struct ucs_version *v)
{
	return (v->nfields > 0);
}

int
ucs_version_cmp(const struct ucs_version *a, const struct ucs_version *b)
{
	int	i, n;

	n = a->nfields < b->nfields ? a->nfields : b->nfields;
	for (i = 0; i < n; i++) {
		if (a->field[i] != b->field[i])
			return (a->field[i] < b->field[i] ? -1 : 1);
	}
	return (0);
}

int
ucs_version_cmp_strict(const struct ucs_version *a,
    const struct ucs_version *b)
{
	unsigned long	fa, fb;
	int		i;

	for (i = 0; i < UCS_VERSION_FIELDS; i++) {
		fa = i < a->nfields ? a->field[i] : 0;
		fb = i < b->nfields ? b->field[i] : 0;
		if (fa != fb)
			return (fa < fb ? -1 : 1);
	}
	return (0);
}

char *
ucs_version_format(const struct ucs_version *v, char *buf, size_t len)
{
	size_t	off = 0;
	int	i, n, w;

	if (len == 0)
		return (buf);
	buf[0] = '\0';
	for (i = 0; i < v->nfields && i < UCS_VERSION_FIELDS; i++) {
		w = v->digits[i];
		n = snprintf(buf + off, len - off, "%s%0*lu", i == 0 ? "" : ".",
		    w, v->field[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return (buf);
}

char *
ucs_version_format_release(const struct ucs_version *v, char *buf,
    size_t len)
{
	size_t	off;

	ucs_version_format(v, buf, len);
	off = strlen(buf);
	if (v->nfields > 0 && v->revision != '\0' && off + 1 < len) {
		buf[off] = v->revision;
		buf[off + 1] = '\0';
	}
	return (buf);
}
