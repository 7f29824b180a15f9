/*
 * The package a phone waits for.  A phone older than its target (or of an
 * unknown version, which only the image would prove) whose image the
 * library lacks (no package of the target's release for its part, or only
 * a damaged one) is offered no image: its master config names none, so it
 * boots what it has and would sit "identified" with nothing said.  It is
 * held instead, with the package to import as the reason, at the first
 * request that shows it (its master config, or its application's first
 * request, which names the version).  A BootROM the plan needs and the
 * library lacks is held the same way (serve-answer.c).
 *
 * When the library or a target changes (an import, a verification, SIGHUP,
 * set-target), each phone held for a package is looked at again and
 * released when what it waited for is there, or no longer needed: it is
 * served at its next boot.  The reasons' first words say which holds these
 * are (CONTROL_LACKS_*, control.h), so a hold by the operator is never undone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "plan.h"
#include "serve.h"
#include "xmalloc.h"

static const struct library_package *serve_damaged_package(struct serve *,
		    const struct model *, const char *);
static char	*serve_package_ready(struct serve *, struct phone *, int *);

static int
serve_starts(const char *s, const char *prefix)
{
	return (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0);
}

/*
 * The damaged package library_find() passed over for this model's target,
 * if any: a phone held for it must be told why, not "import the package".
 */
static const struct library_package *
serve_damaged_package(struct serve *s, const struct model *m,
    const char *part)
{
	const struct library_package	*pkg;
	size_t				 i, j;
	int				 k, n;

	n = m->target.nfields < 3 ? m->target.nfields : 3;
	for (i = 0; s->library != NULL && i < s->library->npackages; i++) {
		pkg = &s->library->packages[i];
		if (pkg->damage == NULL || pkg->version.nfields < n)
			continue;
		for (k = 0; k < n; k++) {
			if (pkg->version.field[k] != m->target.field[k])
				break;
		}
		for (j = 0; k == n && j < pkg->nparts; j++) {
			if (strcmp(pkg->parts[j], part) == 0)
				return (pkg);
		}
	}
	return (NULL);
}

const struct library_package *
serve_image_package(struct serve *s, const struct model *m, const char *part,
    char **cause)
{
	const struct library_package	*pkg;
	char				 rel[UCS_VERSION_TEXT_MAX];

	if (s->library != NULL && (pkg = library_find(s->library, &m->target,
	    part)) != NULL)
		return (pkg);
	ucs_version_format_release(&m->target, rel, sizeof rel);
	if ((pkg = serve_damaged_package(s, m, part)) != NULL)
		xasprintf(cause, CONTROL_DAMAGED_IMAGE "%s package %s is "
		    "damaged and is not served (%s): import it again", rel,
		    pkg->id, pkg->damage);
	else
		xasprintf(cause, CONTROL_LACKS_IMAGE "%s image for part %s "
		    "(%s): import the package", rel, part, m->name);
	return (NULL);
}

char *
serve_bootrom_lacking(struct serve *s, const struct model *m,
    const struct ucs_version *want)
{
	const char	*which;
	char		*cause, v[UCS_VERSION_TEXT_MAX];

	if (s->library != NULL && library_find_bootrom(s->library, want,
	    m->part, &which) != NULL)
		return (NULL);
	xasprintf(&cause, CONTROL_LACKS_BOOTROM "of %s or later for part %s "
	    "(%s): import the BootROM package (bootrom.ver with bootrom.ld or "
	    "%s.bootrom.ld)", ucs_version_format(want, v, sizeof v), m->part,
	    m->name, m->part);
	return (cause);
}

/*
 * It needs an image: it runs a version older than its target, or its
 * version is unknown and would be proved by offering it the image (the
 * policy "upgrade"): without one it can never show it.
 */
static int
serve_needs_image(struct serve *s, const struct phone *p)
{
	if (p->version[0] == '\0')
		return (s->fleet->config.unknown_version == UNKNOWN_UPGRADE);
	return (fleet_below_target(s->fleet, p));
}

void
serve_package_wait(struct serve *s, struct phone *p, const char *ua,
    int64_t now, const char *evidence)
{
	const struct model	*m;
	const struct plan_step	*st;
	struct plan		 pl;
	const char		*part;
	char			*cause, *why;
	int			 mine;

	if (p == NULL)
		return;
	/* Held for a package it no longer needs (its version now known). */
	if ((why = serve_package_ready(s, p, &mine)) != NULL) {
		if (fleet_release_for(s->fleet, p, now, why, &cause) != 0) {
			log_warn("phone %s: %s", p->mac, cause);
			free(cause);
		}
		free(why);
		return;
	}
	/*
	 * Over HTTP the application's User-Agent names an unknown version
	 * soon; over TFTP nothing may ever name it but the image.
	 */
	if (p->state != PHONE_IDENTIFIED || !serve_needs_image(s, p) ||
	    (p->version[0] == '\0' && ua != NULL))
		return;
	if ((m = model_of_phone(s->models, p->model, p->part)) == NULL)
		return;
	part = m->part != NULL ? m->part : p->part;
	if (part == NULL || *part == '\0')
		return;
	/* A BootROM first: its own package is what it waits for now. */
	if ((st = fleet_plan_current(s->fleet, p, &pl)) != NULL &&
	    st->kind == PLAN_BOOTROM)
		return;
	if (serve_image_package(s, m, part, &cause) != NULL)
		return;
	fleet_hold(s->fleet, p, cause, now, evidence);
	free(cause);
}

/*
 * Why a phone held for a package may go now (the evidence of its release),
 * or NULL while it still waits.  *mine: 0 when it is not held for a
 * package at all.
 */
static char *
serve_package_ready(struct serve *s, struct phone *p, int *mine)
{
	const struct model	*m;
	const struct plan_step	*st;
	struct plan		 pl;
	const char		*part;
	char			*cause, rel[UCS_VERSION_TEXT_MAX], *why;

	*mine = 0;
	if (p->state != PHONE_HELD)
		return (NULL);
	if (serve_starts(p->reason, CONTROL_LACKS_BOOTROM)) {
		*mine = 1;
		m = model_of_phone(s->models, p->model, p->part);
		st = fleet_plan_current(s->fleet, p, &pl);
		if (m == NULL || m->part == NULL || st == NULL ||
		    st->kind != PLAN_BOOTROM)
			return (xstrdup("its plan needs no BootROM now: it is "
			    "served at its next boot"));
		if ((cause = serve_bootrom_lacking(s, m, &st->version)) !=
		    NULL) {
			free(cause);
			return (NULL);
		}
		xasprintf(&why, "the library now holds a BootROM package of "
		    "%s or later for part %s: it is served at its next boot",
		    ucs_version_format(&st->version, rel, sizeof rel),
		    m->part);
		return (why);
	}
	if (!serve_starts(p->reason, CONTROL_LACKS_IMAGE) &&
	    !serve_starts(p->reason, CONTROL_DAMAGED_IMAGE))
		return (NULL);
	*mine = 1;
	m = model_of_phone(s->models, p->model, p->part);
	part = m == NULL ? NULL : m->part != NULL ? m->part : p->part;
	if (m == NULL || part == NULL || *part == '\0')
		return (NULL);
	ucs_version_format_release(&m->target, rel, sizeof rel);
	if (!serve_needs_image(s, p)) {
		xasprintf(&why, "it needs no image now: it runs %s, and its "
		    "target is %s", p->version[0] != '\0' ? p->version :
		    "a version not known", rel);
		return (why);
	}
	if (serve_image_package(s, m, part, &cause) == NULL) {
		free(cause);
		return (NULL);
	}
	xasprintf(&why, "the library now holds UC Software %s for part %s: "
	    "it is served at its next boot", rel, part);
	return (why);
}

void
serve_package_recheck(struct serve *s, int64_t now)
{
	struct phone	*p;
	char		*why, *cause = NULL;
	unsigned	 released = 0, waiting = 0;
	int		 mine;

	TAILQ_FOREACH(p, &s->fleet->phones, entry) {
		why = serve_package_ready(s, p, &mine);
		if (why == NULL) {
			waiting += mine;
			continue;
		}
		if (fleet_release_for(s->fleet, p, now, why, &cause) != 0) {
			log_warn("phone %s: %s", p->mac, cause);
			free(cause);
			cause = NULL;
		} else
			released++;
		free(why);
	}
	if (released > 0 || waiting > 0)
		log_info("library: %u phone(s) released, %u still held for a "
		    "package", released, waiting);
}
