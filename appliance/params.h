/*
 * The device.* parameters a trust/re-point template may send: names, the
 * values a phone accepts, the first UC Software release that has each, the
 * source and a confidence mark.  The data is one file,
 * appliance/data/params.tsv, compiled in (docs/repoint.md cites each row).
 */
#ifndef ZTP_PARAMS_H
#define ZTP_PARAMS_H

#include <stddef.h>

#include "version.h"

enum param_kind {
	PARAM_ENUM,	/* one of values[] */
	PARAM_PEM,	/* one PEM certificate */
	PARAM_TEXT,	/* anything */
	PARAM_INT	/* min..max */
};

struct param_rule {
	char			*name;	/* "device.prov.ztpEnabled" */
	enum param_kind		 kind;
	char			**values; /* PARAM_ENUM: NULL-terminated */
	long			 min, max; /* PARAM_INT */
	char			*values_text; /* the column as written */
	struct ucs_version	 first;	/* first release known to have it */
	char			 confidence; /* 'H', 'M' or 'L' */
	char			*source;
};

struct param_table {
	struct param_rule	*rules;
	size_t			 count;
};

/* The compiled-in table; NULL with *cause on a broken build. */
struct param_table	*param_table_load_default(char **);
/* A table in params.tsv format from memory ("name" names it in errors). */
struct param_table	*param_table_parse(const char *, size_t, const char *,
			    char **);
void			 param_table_free(struct param_table *);
const struct param_rule	*param_find(const struct param_table *, const char *);

/*
 * Whether a phone at version v (unknown: any) takes name=value.  "X.set"
 * takes 0 or 1 when X is known.  Returns 0, or -1 with *cause saying which
 * and why (unknown parameter, value outside the list, newer than v).
 */
int	param_check(const struct param_table *, const char *, const char *,
	    const struct ucs_version *, char **);

#endif
