/*
 * Faults on demand: power loss part way into an image, a slow link, lost
 * requests, a phone that never comes back after a reboot, a flash that
 * does not take (the phone comes back at its old version).  Loss is drawn
 * from a generator seeded by the MAC so that a transcript is repeatable.
 */
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

static uint64_t	sim_fault_next(struct sim_faults *);

static long long
sim_fault_number(const char *s, long long max, int *ok)
{
	char		*end;
	long long	 n;

	n = strtoll(s, &end, 10);
	*ok = (*s != '\0' && *end == '\0' && n >= 0 && n <= max);
	return (n);
}

int
sim_fault_parse(struct sim_faults *f, const char *spec, char **cause)
{
	int	ok = 0;

	if (strncmp(spec, "power-loss-at=", 14) == 0)
		f->power_loss_at = sim_fault_number(spec + 14, 1LL << 40, &ok);
	else if (strncmp(spec, "slow=", 5) == 0) {
		f->slow_kbps = (long)sim_fault_number(spec + 5, 100000000, &ok);
		ok = ok && f->slow_kbps > 0;
	} else if (strncmp(spec, "loss=", 5) == 0)
		f->loss_pct = (int)sim_fault_number(spec + 5, 100, &ok);
	else if (strcmp(spec, "no-return-after-reboot") == 0) {
		f->no_return = 1;
		ok = 1;
	} else if (strcmp(spec, "flash-no-take") == 0) {
		f->flash_no_take = 1;
		ok = 1;
	} else {
		sim_asprintf(cause, "unknown fault '%s' (use power-loss-at=BYTES,"
		    " slow=KBPS, loss=PCT, no-return-after-reboot or "
		    "flash-no-take)", spec);
		return (-1);
	}
	if (!ok) {
		sim_asprintf(cause, "fault '%s' has a bad number", spec);
		return (-1);
	}
	return (0);
}

/* xorshift64*: small, seeded, the same sequence every run. */
static uint64_t
sim_fault_next(struct sim_faults *f)
{
	if (f->rng == 0)
		f->rng = 0x9e3779b97f4a7c15ULL;
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (f->rng * 0x2545f4914f6cdd1dULL);
}

/* 1 when this request is lost. */
int
sim_fault_lose(struct sim_faults *f)
{
	if (f->loss_pct <= 0)
		return (0);
	return ((int)(sim_fault_next(f) % 100) < f->loss_pct);
}
