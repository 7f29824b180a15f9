/*
 * Control characters from outside never reach a terminal: see termsafe.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "termsafe.h"
#include "xmalloc.h"

/*
 * The length of the well-formed UTF-8 sequence at s (of at most len bytes)
 * that is a character a terminal shows; 0 when it is not one (a control, a
 * malformed or overlong sequence, a surrogate: one byte is then replaced),
 * and with *skip set to 2 for a well-formed C1 control (replaced whole).
 */
static size_t
termsafe_char(const unsigned char *s, size_t len, size_t *skip)
{
	uint32_t	cp;
	size_t		n, i;

	*skip = 1;
	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	if (cp >= 0x80 && cp <= 0x9f) {
		*skip = n;
		return (0);
	}
	return (n);
}

int
termsafe_clean(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, skip;

	while (i < len) {
		if ((n = termsafe_char(p + i, len - i, &skip)) == 0)
			return (0);
		i += n;
	}
	return (1);
}

char *
termsafe(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out;
	size_t			 i = 0, o = 0, n, skip;

	out = xmalloc(len + 1);
	while (i < len) {
		if ((n = termsafe_char(p + i, len - i, &skip)) == 0) {
			out[o++] = '?';
			i += skip;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return (out);
}

char *
termsafe_lines(const char *s, size_t len)
{
	char	*out, *line;
	size_t	 o = 0, n;

	out = xmalloc(len + 1);
	for (;;) {
		n = 0;
		while (n < len && s[n] != '\n')
			n++;
		line = termsafe(s, n);
		memcpy(out + o, line, strlen(line));
		o += strlen(line);
		free(line);
		if (n == len)
			break;
		out[o++] = '\n';
		s += n + 1;
		len -= n + 1;
	}
	out[o] = '\0';
	return (out);
}

/*
 * Every string in v made safe; one under the key lines (when not NULL)
 * keeps its line ends, each line made safe on its own.
 */
static void
termsafe_walk(json_t *v, const char *lines, int keep_lines)
{
	const char	*key;
	json_t		*item;
	size_t		 i;
	char		*safe;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, item)
			termsafe_walk(item, lines, lines != NULL &&
			    strcmp(key, lines) == 0);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
			termsafe_walk(item, lines, 0);
		break;
	case JSON_STRING:
		if (keep_lines)
			safe = termsafe_lines(json_string_value(v),
			    json_string_length(v));
		else if (termsafe_clean(json_string_value(v),
		    json_string_length(v)))
			break;
		else
			safe = termsafe(json_string_value(v),
			    json_string_length(v));
		json_string_set(v, safe);
		free(safe);
		break;
	default:
		break;
	}
}

void
termsafe_json(json_t *v)
{
	termsafe_walk(v, NULL, 0);
}

void
termsafe_json_lines(json_t *v, const char *lines)
{
	termsafe_walk(v, lines, 0);
}
