/*
 * The models table: which UC Software each phone model must run, from the
 * seed notice (Technical Notification 117101).  The data is one file,
 * appliance/data/models.tsv, compiled in; an operator file (--models FILE)
 * overrides targets per model.
 */
#ifndef ZTP_MODELS_H
#define ZTP_MODELS_H

#include <stddef.h>

#include "version.h"

struct model {
	const char		*token;	/* "SPIP670", "VVX410": the phone's own name;
					 * NULL when unknown (SoundStructure) */
	const char		*name;	/* "SoundPoint IP 670" */
	const char		*family; /* "SoundPointIP", "SoundStationIP", "VVX", "SoundStructure" */
	const char		*part;	/* "2345-12670-001", or NULL when unknown */
	struct ucs_version	 target; /* required version, "4.0.8H" */
	const char		*target_source; /* "seed" (the table) or "FILE:LINE"
						 * of an override */
	const char		*note;	/* free text from the table, or "" */
};

struct model_table {
	struct model	*models;
	size_t		 count;
};

/* The compiled-in table.  Returns NULL with *cause on a broken build. */
struct model_table	*model_table_load_default(char **);
/* Parse a table in models.tsv format from memory ("name" names it in errors). */
struct model_table	*model_table_parse(const char *, size_t, const char *,
			    char **);
/*
 * Apply an operator override file ("TOKEN<TAB>VERSION" lines, or any blanks
 * between the two words; # starts a comment).  A part number may stand for the
 * token (the SoundStructure has none).  Nothing is applied unless the whole
 * file is good: a malformed, unknown or repeated line is refused with
 * "FILE:LINE: reason".
 */
int			 model_table_apply_overrides(struct model_table *,
			    const char *, char **);
void			 model_table_free(struct model_table *);

/* The first row with this token or part (exact, case-sensitive), or NULL. */
const struct model	*model_by_token(const struct model_table *, const char *);
const struct model	*model_by_part(const struct model_table *, const char *);
/*
 * A phone's row from what it said: its token (may be "" or NULL), else its
 * part number.  A token the table does not know (a User-Agent's, such as a
 * SoundStructure's) takes the row of its part only when that row has no
 * token either: a part the table gives another model never relabels it.
 */
const struct model	*model_of_phone(const struct model_table *,
			    const char *, const char *);

#endif
