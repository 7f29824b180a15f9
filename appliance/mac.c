/* MAC addresses in one grammar (mac.h). */
#include <ctype.h>
#include <string.h>

#include "mac.h"

int
mac_parse(const char *text, char out[MAC_TEXT_LEN + 1])
{
	size_t	len, i, n = 0, group;
	char	sep;

	if (text == NULL)
		return (-1);
	len = strlen(text);
	if (len == 12) {
		group = 0;
		sep = '\0';
	} else if (len == 17 && (text[2] == ':' || text[2] == '-')) {
		group = 2;
		sep = text[2];
	} else if (len == 14 && text[4] == '.') {
		group = 4;
		sep = '.';
	} else
		return (-1);
	for (i = 0; i < len; i++) {
		/* A separator after every group, and only there. */
		if (group != 0 && i % (group + 1) == group) {
			if (text[i] != sep)
				return (-1);
			continue;
		}
		if (!isxdigit((unsigned char)text[i]))
			return (-1);
		out[n++] = (char)tolower((unsigned char)text[i]);
	}
	if (n != MAC_TEXT_LEN)
		return (-1);
	out[n] = '\0';
	return (0);
}
