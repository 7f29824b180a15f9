/*
 * UC Software versions as a phone reports them: four integer fields
 * (4.1.4.7430), compared field by field as integers, never as strings.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

/* Returns 0 and the fields, or -1 when the text is not a version. */
int
sim_version_parse(const char *s, unsigned long f[4], int *n)
{
	char	*end;

	*n = 0;
	memset(f, 0, 4 * sizeof *f);
	while (*n < 4) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		f[(*n)++] = strtoul(s, &end, 10);
		s = end;
		if (*s == '\0')
			break;
		if (*s != '.')
			return (-1);
		s++;
	}
	if (*s != '\0' || *n < 2)
		return (-1);
	return (0);
}

/*
 * <0, 0, >0.  Only the first "fields" fields count (3 to compare with a
 * release such as "4.1.7"); an unparsable side compares lowest.
 */
int
sim_version_cmp(const char *a, const char *b, int fields)
{
	unsigned long	fa[4], fb[4];
	int		na, nb, i;

	if (sim_version_parse(a, fa, &na) != 0)
		return (sim_version_parse(b, fb, &nb) != 0 ? 0 : -1);
	if (sim_version_parse(b, fb, &nb) != 0)
		return (1);
	for (i = 0; i < fields && i < 4; i++) {
		if (fa[i] != fb[i])
			return (fa[i] < fb[i] ? -1 : 1);
	}
	return (0);
}

int
sim_version_major(const char *s)
{
	unsigned long	f[4];
	int		n;

	if (sim_version_parse(s, f, &n) != 0)
		return (0);
	return ((int)f[0]);
}
