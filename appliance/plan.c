/*
 * The upgrade planner (plan.h): rules parsed from upgrade-paths.tsv, and a
 * phone's chain of steps from what it is known to run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "plan.h"
#include "xmalloc.h"

#define PLAN_COLUMNS	7

static const char *plan_kind_names[] = { "bootrom", "release", "target" };
static const char *plan_status_names[] = { "done", "current", "pending" };

static int	plan_family_in(const char *, const char *);
static int	plan_parse_line(char *, const char *, unsigned,
		    struct plan_rule *, char **);

const char *
plan_kind_name(enum plan_kind k)
{
	return ((unsigned)k <= PLAN_TARGET ? plan_kind_names[k] : "?");
}

const char *
plan_status_name(enum plan_status s)
{
	return ((unsigned)s <= STEP_PENDING ? plan_status_names[s] : "?");
}

static int
plan_parse_line(char *line, const char *name, unsigned lineno,
    struct plan_rule *r, char **cause)
{
	char		*col[PLAN_COLUMNS], *s, *why = NULL;
	size_t		 n = 0;
	int		 i;

	for (s = line; n < PLAN_COLUMNS; n++) {
		col[n] = s;
		if ((s = strchr(s, '\t')) == NULL) {
			n++;
			break;
		}
		*s++ = '\0';
	}
	if (n != PLAN_COLUMNS || s != NULL) {
		xasprintf(cause, "%s:%u: %zu columns, want %d separated by "
		    "one TAB", name, lineno, s != NULL ? n + 1 : n,
		    PLAN_COLUMNS);
		return (-1);
	}
	memset(r, 0, sizeof *r);
	if (strcmp(col[0], "bootrom") == 0)
		r->kind = PLAN_BOOTROM;
	else if (strcmp(col[0], "release") == 0)
		r->kind = PLAN_RELEASE;
	else {
		xasprintf(cause, "%s:%u: kind \"%.32s\" is not bootrom or "
		    "release", name, lineno, col[0]);
		return (-1);
	}
	for (i = 2; i <= 4; i++) {
		if (ucs_version_parse(col[i], i == 2 ? &r->app_before : i == 3 ?
		    &r->target_from : &r->needs, &why) != 0) {
			xasprintf(cause, "%s:%u: %s", name, lineno, why);
			free(why);
			return (-1);
		}
	}
	if (strlen(col[5]) != 1 || strchr("HML", col[5][0]) == NULL) {
		xasprintf(cause, "%s:%u: confidence \"%.8s\" is not H, M or L",
		    name, lineno, col[5]);
		return (-1);
	}
	if (col[1][0] == '\0' || col[6][0] == '\0') {
		xasprintf(cause, "%s:%u: no families or no source", name,
		    lineno);
		return (-1);
	}
	r->confidence = col[5][0];
	r->families = xstrdup(col[1]);
	r->source = xstrdup(col[6]);
	return (0);
}

struct plan_table *
plan_table_parse(const char *buf, size_t len, const char *name, char **cause)
{
	struct plan_table	*t;
	char			*text, *line, *next;
	unsigned		 lineno = 0;

	t = xcalloc(1, sizeof *t);
	text = xstrndup(buf, len);
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		t->rules = xreallocarray(t->rules, t->count + 1,
		    sizeof *t->rules);
		if (plan_parse_line(line, name, lineno, &t->rules[t->count],
		    cause) != 0) {
			free(text);
			plan_table_free(t);
			return (NULL);
		}
		t->count++;
	}
	free(text);
	return (t);
}

struct plan_table *
plan_table_load_default(char **cause)
{
	const char	*buf;
	size_t		 len;

	if ((buf = embedded_get("upgrade-paths.tsv", &len)) == NULL) {
		*cause = xstrdup("upgrade-paths.tsv is not compiled in");
		return (NULL);
	}
	return (plan_table_parse(buf, len, "upgrade-paths.tsv", cause));
}

void
plan_table_free(struct plan_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++) {
		free(t->rules[i].families);
		free(t->rules[i].source);
	}
	free(t->rules);
	free(t);
}

/* family (or a model token) is one of the comma list. */
static int
plan_family_in(const char *list, const char *family)
{
	size_t		 flen = strlen(family), n;
	const char	*s = list;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == flen && strncmp(s, family, n) == 0)
			return (1);
		s += n;
		if (*s == ',')
			s++;
	}
	return (0);
}

/*
 * A rule applies to a phone of its family (or model) whose target is at least
 * target_from and that ran, when first seen (else now), an application
 * older than app_before, or reported a BootROM (bootrom rules).  A BootROM step is done when the BootROM reported is at
 * least `needs`, or when the application already runs target_from or newer
 * (it was loaded: the BootROM took it).  A release step is done when the
 * application is at least `needs`.  The target is last.
 */
void
plan_make(const struct plan_table *t, const struct plan_phone *ph,
    struct plan *pl)
{
	const struct plan_rule	*r;
	struct plan_step	*st;
	int			 app = ucs_version_known(&ph->app);
	int			 boot = ucs_version_known(&ph->bootrom);
	const struct ucs_version *first;
	int			 legacy, done, was;
	size_t			 i;

	memset(pl, 0, sizeof *pl);
	first = ucs_version_known(&ph->start) ? &ph->start : &ph->app;
	was = ucs_version_known(first);
	for (i = 0; t != NULL && ph->family != NULL && i < t->count &&
	    pl->n < PLAN_MAX_STEPS - 1; i++) {
		r = &t->rules[i];
		if ((!plan_family_in(r->families, ph->family) &&
		    (ph->model == NULL ||
		    !plan_family_in(r->families, ph->model))) ||
		    !ucs_version_known(&ph->target) ||
		    ucs_version_cmp_strict(&ph->target, &r->target_from) < 0)
			continue;
		if (r->kind == PLAN_BOOTROM) {
			legacy = boot || ph->has_bootrom || (was &&
			    ucs_version_cmp_strict(first, &r->app_before) < 0);
			if (!legacy)
				continue;
			done = (boot && ucs_version_cmp_strict(&ph->bootrom,
			    &r->needs) >= 0) || (app &&
			    ucs_version_cmp_strict(&ph->app, &r->target_from) >=
			    0);
		} else {
			if (!was || ucs_version_cmp_strict(first,
			    &r->app_before) >= 0)
				continue;
			done = app && ucs_version_cmp_strict(&ph->app,
			    &r->needs) >= 0;
		}
		st = &pl->steps[pl->n++];
		st->kind = r->kind;
		st->version = r->needs;
		st->status = done ? STEP_DONE : STEP_PENDING;
		st->rule = r;
	}
	/* No target (a part the models table lacks): no plan, not "target ''". */
	if (ucs_version_known(&ph->target)) {
		st = &pl->steps[pl->n++];
		st->kind = PLAN_TARGET;
		st->version = ph->target;
		st->status = app && ucs_version_cmp(&ph->app, &ph->target) >=
		    0 ? STEP_DONE : STEP_PENDING;
	}
	pl->current = pl->n;
	for (i = 0; i < pl->n; i++) {
		if (pl->steps[i].status == STEP_DONE)
			continue;
		if (pl->current == pl->n) {
			pl->current = i;
			pl->steps[i].status = STEP_CURRENT;
		}
	}
}

char *
plan_text(const struct plan *pl, char *buf, size_t len)
{
	char	 v[UCS_VERSION_TEXT_MAX];
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < pl->n && off < len; i++) {
		off += snprintf(buf + off, len - off, "%s%s %s (%s)",
		    i > 0 ? " -> " : "", pl->steps[i].kind == PLAN_BOOTROM ?
		    "BootROM" : "UC Software", ucs_version_format(
		    &pl->steps[i].version, v, sizeof v),
		    plan_status_name(pl->steps[i].status));
	}
	return (buf);
}
