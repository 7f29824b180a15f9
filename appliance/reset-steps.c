/*
 * The factory-reset steps for a silent phone's family, from
 * appliance/data/reset-steps.tsv (compiled in): see sighting.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "sighting.h"

#define RESET_TABLE	"reset-steps.tsv"

/* Lower-case letters and digits only: "SoundPoint IP 650" -> "soundpointip650". */
static void
reset_squash(const char *in, char *out, size_t size)
{
	size_t	n = 0;

	for (; *in != '\0' && n + 1 < size; in++) {
		if (isalnum((unsigned char)*in))
			out[n++] = tolower((unsigned char)*in);
	}
	out[n] = '\0';
}

/* Field i (0-based) of a TAB-separated line [p, eol) into out. */
static int
reset_field(const char *p, const char *eol, int i, char *out, size_t size)
{
	const char	*end;

	for (; i > 0; i--) {
		if ((p = memchr(p, '\t', eol - p)) == NULL)
			return (-1);
		p++;
	}
	if ((end = memchr(p, '\t', eol - p)) == NULL)
		end = eol;
	snprintf(out, size, "%.*s", (int)(end - p), p);
	return (0);
}

int
reset_steps_find(const char *model, struct reset_steps *out)
{
	const char	*text, *p, *end, *eol;
	char		 name[128], match[48];
	size_t		 len;

	memset(out, 0, sizeof *out);
	reset_squash(model != NULL ? model : "", name, sizeof name);
	if (name[0] == '\0' ||
	    (text = embedded_get(RESET_TABLE, &len)) == NULL)
		return (-1);
	for (p = text, end = text + len; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (*p == '#' || p == eol)
			continue;
		if (reset_field(p, eol, 0, match, sizeof match) != 0 ||
		    match[0] == '\0' || strstr(name, match) == NULL)
			continue;
		if (reset_field(p, eol, 1, out->family, sizeof out->family) ||
		    reset_field(p, eol, 2, out->keys, sizeof out->keys) ||
		    reset_field(p, eol, 3, out->confidence,
		    sizeof out->confidence) ||
		    reset_field(p, eol, 4, out->source, sizeof out->source))
			continue;
		return (0);
	}
	memset(out, 0, sizeof *out);
	return (-1);
}

void
reset_password_rule(const char *mac, char *out, size_t size)
{
	char	upper[13];
	size_t	i;

	for (i = 0; i < 12 && mac[i] != '\0'; i++)
		upper[i] = toupper((unsigned char)mac[i]);
	upper[i] = '\0';
	snprintf(out, size, "when it asks for a password, type its MAC "
	    "address %s on the keypad (digits as they are; A-C on key 2, "
	    "D-F on key 3 in letter mode), then confirm the reset; the admin "
	    "password is 456 afterwards", upper);
}
