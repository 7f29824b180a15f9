/*
 * UC Software versions.  A phone reports four integer fields
 * (4.0.11.0583, 4.1.0.84959); Polycom names release packages with three and
 * a revision letter (4.0.8H, 4.1.7G), once even as "4.08H".  Fields compare
 * as integers, never as strings; the letter is kept apart and never takes
 * part in ordering.
 */
#ifndef ZTP_VERSION_H
#define ZTP_VERSION_H

#include <stddef.h>

#define UCS_VERSION_FIELDS 4

struct ucs_version {
	unsigned long	field[UCS_VERSION_FIELDS];
	int		nfields;	/* 0 = unknown, 2..4 */
	char		revision;	/* 'H' of "4.0.8H", or '\0' */
	unsigned char	digits[UCS_VERSION_FIELDS]; /* as written ("0473": 4), so
						     * formatting keeps leading
						     * zeros; 0 = no padding */
};

/*
 * Parse "4.0.8H", "UC Software 4.0.8H", "4.08H", "4.0.8", "4.0.8.0473",
 * "4.1.0.84959", "5.4.1", " 5.9.8.5760\r\n" (sip.ver).  Returns 0, or -1 with
 * *cause saying what was wrong ("version '4.x' has a non-numeric field").
 */
int	ucs_version_parse(const char *, struct ucs_version *, char **);

/*
 * Order two versions field by field as integers (<0, 0, >0).  A field missing
 * on one side is not compared (4.0.8 == 4.0.8.0473: the same release), so this
 * is not a total order (4.0.8.1 < 4.0.8.2 yet both equal 4.0.8) and an unknown
 * version (nfields 0) equals anything; use ucs_version_cmp_strict() for a
 * total order where missing fields count as 0.  The revision letter never
 * takes part.
 */
int	ucs_version_cmp(const struct ucs_version *, const struct ucs_version *);
int	ucs_version_cmp_strict(const struct ucs_version *,
	    const struct ucs_version *);

/*
 * "4.0.8" / "4.0.8.0473" (no letter, leading zeros as parsed) and "4.0.8H"
 * (with it), into buf; "" for an unknown version.  Returns buf.
 */
char	*ucs_version_format(const struct ucs_version *, char *, size_t);
char	*ucs_version_format_release(const struct ucs_version *, char *, size_t);

#define UCS_VERSION_TEXT_MAX 64

/* 1 when the version is known (parsed, nfields > 0). */
int	ucs_version_known(const struct ucs_version *);

#endif
