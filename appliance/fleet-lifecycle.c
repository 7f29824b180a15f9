/*
 * The lifecycle: every (state, event) -> state a phone may take, as one
 * table.  fleet.c applies it (fleet_transition: the only writer of
 * p->state), journals each transition and tells the clients.  The state
 * diagram in docs/engine.md is this table, checked by
 * tests/unit/test_fleet_lifecycle.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "xmalloc.h"

#define S(x)	(1U << PHONE_ ## x)
#define ANY	((1U << PHONE_NSTATES) - 1)

static const struct fleet_lifecycle_row fleet_lifecycle[] = {
	/* from, event, to */
	{ S(SEEN), FEV_MODEL, PHONE_IDENTIFIED },
	{ ANY & ~S(HELD), FEV_MODEL_UNKNOWN, PHONE_HELD },
	{ S(SEEN) | S(IDENTIFIED) | S(UPGRADING) | S(REBOOTING),
	    FEV_RUNS_TARGET, PHONE_CURRENT },
	{ S(SEEN) | S(IDENTIFIED), FEV_IMAGE_STARTED, PHONE_UPGRADING },
	{ S(SEEN) | S(IDENTIFIED) | S(UPGRADING) | S(CURRENT),
	    FEV_IMAGE_WHOLE, PHONE_REBOOTING },
	{ S(SEEN) | S(IDENTIFIED) | S(UPGRADING) | S(REBOOTING),
	    FEV_IMAGE_CUT, PHONE_FAILED },
	{ S(UPGRADING), FEV_IMAGE_UNPROVED, FLEET_TO_START },
	{ S(REBOOTING), FEV_STILL_OLDER, PHONE_FAILED },
	{ S(CURRENT) | S(TRUSTING) | S(REPOINTED) | S(RECOVERED) |
	    S(VERIFIED), FEV_TRUST_SENT, PHONE_TRUSTING },
	{ S(TRUSTING), FEV_TRUST_DELIVERED, PHONE_REPOINTED },
	{ S(REPOINTED), FEV_QUIET, PHONE_RECOVERED },
	{ S(REPOINTED) | S(RECOVERED) | S(VERIFIED), FEV_CAME_BACK,
	    PHONE_FAILED },
	{ S(FAILED), FEV_BOOT, FLEET_TO_START },
	{ ANY & ~S(HELD), FEV_VERSION_UNKNOWN, PHONE_HELD },
	{ S(HELD), FEV_VERSION_KNOWN, FLEET_TO_START },
	{ ANY & ~S(HELD), FEV_HOLD, PHONE_HELD },
	{ ANY & ~S(FAILED), FEV_FAIL, PHONE_FAILED },
	{ S(HELD), FEV_RELEASE, FLEET_TO_HELD_FROM },
	{ S(FAILED) | S(HELD), FEV_RETRY, FLEET_TO_START },
	/*
	 * An abandoned image proved the version; the application then says
	 * it runs an older one (User-Agent, option 60): the abandonment was
	 * not what it seemed (a BootROM that cannot load the image stops
	 * after its header too).  Failed with the cause, wherever that
	 * weaker proof had taken the phone.
	 */
	{ S(IDENTIFIED) | S(UPGRADING) | S(CURRENT) | S(TRUSTING) |
	    S(REPOINTED) | S(RECOVERED) | S(VERIFIED), FEV_OLDER_PROVED,
	    PHONE_FAILED },
	/*
	 * Upgrade plans: a step (a BootROM, an intermediate release) proved
	 * by what the phone then reports, or abandoned after its header;
	 * back at the old version with tries left (past the bound it is
	 * still-older: failed).
	 */
	{ S(UPGRADING) | S(REBOOTING), FEV_STEP_PROVED, FLEET_TO_START },
	{ S(REBOOTING), FEV_FLASH_AGAIN, FLEET_TO_START },
	/* The ZTP reachability check: only what it observed (ztpcheck.c). */
	{ S(RECOVERED), FEV_ZTP_VERIFIED, PHONE_VERIFIED },
	{ S(VERIFIED), FEV_ZTP_UNVERIFIED, PHONE_RECOVERED }
};
#define FLEET_NLIFECYCLE (sizeof fleet_lifecycle / sizeof fleet_lifecycle[0])

static const char *fleet_event_names[FLEET_NEVENTS] = {
	"model", "model-unknown", "runs-target", "image-started",
	"image-whole", "image-cut", "image-unproved", "still-older", "trust-sent",
	"trust-delivered", "quiet", "came-back", "boot", "version-unknown",
	"version-known", "hold", "fail", "release", "retry", "older-proved",
	"step-proved", "flash-again",
	"ztp-verified", "ztp-unverified"
};

const char *
fleet_event_name(enum fleet_event e)
{
	return ((unsigned)e < FLEET_NEVENTS ? fleet_event_names[e] : "?");
}

const struct fleet_lifecycle_row *
fleet_lifecycle_row(enum phone_state from, enum fleet_event e)
{
	size_t	i;

	for (i = 0; i < FLEET_NLIFECYCLE; i++) {
		if (fleet_lifecycle[i].event == e &&
		    (fleet_lifecycle[i].from & (1U << from)) != 0)
			return (&fleet_lifecycle[i]);
	}
	return (NULL);
}

const struct fleet_lifecycle_row *
fleet_lifecycle_at(size_t i)
{
	return (i < FLEET_NLIFECYCLE ? &fleet_lifecycle[i] : NULL);
}

int
fleet_lifecycle_allows(enum phone_state from, enum fleet_event e)
{
	return (fleet_lifecycle_row(from, e) != NULL);
}

int
fleet_lifecycle_next(enum phone_state from, enum fleet_event e,
    int model_known, enum phone_state held_from, enum phone_state *to)
{
	const struct fleet_lifecycle_row	*r;

	if ((r = fleet_lifecycle_row(from, e)) == NULL)
		return (-1);
	if (r->to == FLEET_TO_HELD_FROM && held_from != PHONE_HELD &&
	    held_from != PHONE_FAILED && (unsigned)held_from < PHONE_NSTATES)
		*to = held_from;
	else if (r->to == FLEET_TO_START || r->to == FLEET_TO_HELD_FROM)
		*to = model_known ? PHONE_IDENTIFIED : PHONE_SEEN;
	else
		*to = r->to;
	return (0);
}

/* "seen, identified" or "any but held": the from column of the diagram. */
static void
fleet_lifecycle_from_text(unsigned from, char *buf, size_t len)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < PHONE_NSTATES; i++) {
		if (from == (ANY & ~(1U << i))) {
			snprintf(buf, len, "any but %s", phone_state_name(i));
			return;
		}
	}
	for (i = 0; i < PHONE_NSTATES; i++) {
		if ((from & (1U << i)) == 0)
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off > 0 ? ", " :
		    "", phone_state_name(i));
		if (off >= len)
			return;
	}
}

/* The table as docs/engine.md shows it: "| from | event | to |" lines. */
char *
fleet_lifecycle_markdown(void)
{
	const struct fleet_lifecycle_row	*r;
	char					*out, *line, from[256];
	const char				*to;
	size_t					 i;

	out = xstrdup("| from | event | to |\n|---|---|---|\n");
	for (i = 0; i < FLEET_NLIFECYCLE; i++) {
		r = &fleet_lifecycle[i];
		fleet_lifecycle_from_text(r->from, from, sizeof from);
		if (r->to == FLEET_TO_START)
			to = "identified (seen while the model is unknown)";
		else if (r->to == FLEET_TO_HELD_FROM)
			to = "the state it was held from (identified or seen "
			    "if that was failed)";
		else
			to = phone_state_name(r->to);
		xasprintf(&line, "%s| %s | %s | %s |\n", out, from,
		    fleet_event_name(r->event), to);
		free(out);
		out = line;
	}
	return (out);
}
