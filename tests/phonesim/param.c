/* Name/value lists: configuration parameters and the phone's flash. */
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

void
sim_params_init(struct sim_params *ps)
{
	TAILQ_INIT(ps);
}

static struct sim_param *
sim_params_find(struct sim_params *ps, const char *name)
{
	struct sim_param	*p;

	TAILQ_FOREACH(p, ps, entry) {
		if (strcmp(p->name, name) == 0)
			return (p);
	}
	return (NULL);
}

const char *
sim_params_get(struct sim_params *ps, const char *name)
{
	struct sim_param	*p;

	p = sim_params_find(ps, name);
	return (p != NULL ? p->value : NULL);
}

/* Adds name=value unless name is already there: the first value wins. */
int
sim_params_add_first(struct sim_params *ps, const char *name,
    const char *value)
{
	struct sim_param	*p;

	if (sim_params_find(ps, name) != NULL)
		return (0);
	p = sim_calloc(1, sizeof *p);
	p->name = sim_strdup(name);
	p->value = sim_strdup(value);
	TAILQ_INSERT_TAIL(ps, p, entry);
	return (1);
}

void
sim_params_set(struct sim_params *ps, const char *name, const char *value)
{
	struct sim_param	*p;

	if ((p = sim_params_find(ps, name)) == NULL) {
		sim_params_add_first(ps, name, value);
		return;
	}
	free(p->value);
	p->value = sim_strdup(value);
}

void
sim_params_clear(struct sim_params *ps)
{
	struct sim_param	*p;

	while ((p = TAILQ_FIRST(ps)) != NULL) {
		TAILQ_REMOVE(ps, p, entry);
		free(p->name);
		free(p->value);
		free(p);
	}
}
