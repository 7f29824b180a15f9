/*
 * The Polycom OUI list and the vendor-class test: see oui.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "oui.h"
#include "xmalloc.h"

#define OUI_BUILTIN	"polycom-oui.txt"
#define OUI_FILE_MAX	(64 * 1024)

static struct oui_list	oui_loaded;
static int		oui_have;	/* 0: parse the built-in first */

static int
oui_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
oui_parse(const char *text, size_t len, const char *name,
    struct oui_list *ol, char **cause)
{
	const char	*p = text, *end = text + len, *eol;
	unsigned	 line = 0;
	size_t		 i;
	int		 hi, lo;

	memset(ol, 0, sizeof *ol);
	for (; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (p == eol || *p == '#' || (eol - p == 1 && *p == '\r'))
			continue;
		/* "00:04:f2" then end of line, a TAB or a space. */
		if (eol - p < 8 || p[2] != ':' || p[5] != ':' ||
		    (eol - p > 8 && p[8] != '\t' && p[8] != ' ' &&
		    p[8] != '\r')) {
			xasprintf(cause, "%s line %u: not an OUI (want three "
			    "hex bytes such as 00:04:f2, then a TAB and the "
			    "assignee)", name, line);
			return (-1);
		}
		if (ol->n == OUI_MAX) {
			xasprintf(cause, "%s: more than %d OUIs", name,
			    OUI_MAX);
			return (-1);
		}
		for (i = 0; i < 3; i++) {
			hi = oui_hex((unsigned char)p[i * 3]);
			lo = oui_hex((unsigned char)p[i * 3 + 1]);
			if (hi < 0 || lo < 0) {
				xasprintf(cause, "%s line %u: '%.8s' is not "
				    "three hex bytes", name, line, p);
				return (-1);
			}
			ol->oui[ol->n][i] = hi << 4 | lo;
		}
		ol->n++;
		if (eol == end)
			break;
	}
	if (ol->n == 0) {
		xasprintf(cause, "%s lists no OUI", name);
		return (-1);
	}
	return (0);
}

const struct oui_list *
oui_current(void)
{
	const char	*text;
	size_t		 len;
	char		*cause = NULL;

	if (!oui_have) {
		text = embedded_get(OUI_BUILTIN, &len);
		if (text == NULL || oui_parse(text, len, OUI_BUILTIN,
		    &oui_loaded, &cause) != 0) {
			/* Only a broken build gets here. */
			fprintf(stderr, "ztp-rescue: %s: %s\n", OUI_BUILTIN,
			    cause != NULL ? cause : "not compiled in");
			abort();
		}
		oui_have = 1;
	}
	return (&oui_loaded);
}

int
oui_load(const char *path, char **cause)
{
	struct oui_list	 ol;
	FILE		*f;
	char		*buf;
	size_t		 len;
	int		 rc;

	if (path == NULL) {
		oui_have = 0;
		return (0);
	}
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "cannot read the OUI list %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	buf = xmalloc(OUI_FILE_MAX + 1);
	len = fread(buf, 1, OUI_FILE_MAX + 1, f);
	fclose(f);
	if (len > OUI_FILE_MAX) {
		xasprintf(cause, "the OUI list %s is larger than %d bytes",
		    path, OUI_FILE_MAX);
		free(buf);
		return (-1);
	}
	rc = oui_parse(buf, len, path, &ol, cause);
	free(buf);
	if (rc != 0)
		return (-1);
	oui_loaded = ol;
	oui_have = 1;
	return (0);
}

int
oui_match(const struct oui_list *ol, const uint8_t *mac)
{
	size_t	i;

	for (i = 0; i < ol->n; i++) {
		if (memcmp(ol->oui[i], mac, 3) == 0)
			return (1);
	}
	return (0);
}

int
oui_match_text(const struct oui_list *ol, const char *mac)
{
	uint8_t	b[3];
	int	i, hi, lo;

	if (strlen(mac) < 6)
		return (0);
	for (i = 0; i < 3; i++) {
		hi = oui_hex((unsigned char)mac[i * 2]);
		lo = oui_hex((unsigned char)mac[i * 2 + 1]);
		if (hi < 0 || lo < 0)
			return (0);
		b[i] = hi << 4 | lo;
	}
	return (oui_match(ol, b));
}

int
oui_vendor_is_polycom(const uint8_t *v, size_t len)
{
	return (v != NULL && memmem(v, len, "Polycom", 7) != NULL);
}
