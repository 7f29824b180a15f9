/*
 * Upgrade plans: when one step is not possible (a SIP 2.x/3.x phone whose
 * BootROM refuses UC Software 4.x, a phone that needs an intermediate
 * release), the steps a phone takes to its target, from the rules of
 * appliance/data/upgrade-paths.tsv (source and confidence per row).
 * Pure: what the phone is known to run in, the plan out.
 */
#ifndef ZTP_PLAN_H
#define ZTP_PLAN_H

#include <stddef.h>

#include "version.h"

enum plan_kind {
	PLAN_BOOTROM = 0,	/* the separate BootROM, bootrom.ld */
	PLAN_RELEASE,		/* an intermediate application release */
	PLAN_TARGET		/* the target application */
};

struct plan_rule {
	enum plan_kind		 kind;	/* PLAN_BOOTROM or PLAN_RELEASE */
	char			*families;	/* "SoundPointIP,SoundStationIP" */
	struct ucs_version	 app_before;
	struct ucs_version	 target_from;
	struct ucs_version	 needs;
	char			 confidence;	/* 'H', 'M' or 'L' */
	char			*source;
};

struct plan_table {
	struct plan_rule	*rules;
	size_t			 count;
};

struct plan_table	*plan_table_load_default(char **);
/* A table in upgrade-paths.tsv format ("name" names it in errors). */
struct plan_table	*plan_table_parse(const char *, size_t, const char *,
			    char **);
void			 plan_table_free(struct plan_table *);

enum plan_status {
	STEP_DONE = 0,		/* proved by what the phone reports */
	STEP_CURRENT,		/* the one served now */
	STEP_PENDING		/* after the current one */
};

#define PLAN_MAX_STEPS	6

struct plan_step {
	enum plan_kind		 kind;
	struct ucs_version	 version;	/* at least this */
	enum plan_status	 status;
	const struct plan_rule	*rule;		/* NULL for the target */
};

/* What is known of a phone; unknown versions have nfields 0. */
struct plan_phone {
	const char		*family;	/* models.tsv family, or NULL */
	const char		*model;		/* its token (VVX1500), or NULL */
	struct ucs_version	 start;		/* what it ran when first seen */
	struct ucs_version	 app;		/* the application it runs now */
	struct ucs_version	 bootrom;	/* its separate BootROM */
	int			 has_bootrom;	/* it asked for bootrom.ld */
	struct ucs_version	 target;
};

struct plan {
	struct plan_step	 steps[PLAN_MAX_STEPS];
	size_t			 n;
	size_t			 current;	/* index; n when all are done */
};

/* The steps of a phone, the target last; current is the first not done. */
void		 plan_make(const struct plan_table *, const struct plan_phone *,
		    struct plan *);
const char	*plan_kind_name(enum plan_kind);
const char	*plan_status_name(enum plan_status);
/* "BootROM 4.0.0 (done) -> UC Software 4.0.8 (current)", into buf. */
char		*plan_text(const struct plan *, char *, size_t);

#endif
