/*
 * The recovery report: one row per phone (MAC, IP, model, version before
 * and after and the evidence for it, target, CA fingerprint, re-point
 * target, state, reason, first and last seen, bytes served, every image and
 * trust file delivered whole with its bytes and SHA-256, the quiet period,
 * "ZTP reachability not verified from this closet", a one-sentence claim,
 * the next step, every transfer), as JSON or CSV, from the journal alone, so it can be
 * written with or without a running daemon.  "repointed-quiet" claims only
 * what the closet saw: re-pointed, then quiet for the quiet period.
 * Written to a temporary name, fsynced, renamed: a USB stick pulled too
 * early holds the previous report or the new one, never half of one.
 */
#ifndef ZTP_REPORT_H
#define ZTP_REPORT_H

#include <jansson.h>

struct journal;

enum report_format { REPORT_JSON, REPORT_CSV };

json_t	*report_json(struct journal *);
char	*report_csv(struct journal *);
/*
 * What to do next for a phone in this state, with or without a CA, sent
 * where, held why (report-next.c), or NULL.
 */
const char *report_next_step(const char *, int, const char *, const char *);
/* out NULL: stdout.  Returns 0, or -1 with *cause. */
int	 report_write(struct journal *, enum report_format, const char *,
	    char **);

#endif
