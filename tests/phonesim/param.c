/*
 * Name/value lists: configuration parameters and the phone's flash; and the
 * documented device.* parameters a phone takes.
 */
#include <stdio.h>
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

/*
 * The documented device.* parameters (appliance/data/params.tsv, read at
 * start; the simulator keeps its own parser): a phone ignores, with a line
 * in its app log, a parameter or value that is not documented for its
 * version.
 */
struct sim_rule {
	char	 *name;
	char	 *kind;		/* "enum", "pem", "text", "int" */
	char	**values;	/* enum: NULL-terminated */
	long	  min, max;
	char	 *first;	/* first release known to have it */
};

static struct sim_rule	*sim_rules;
static size_t		 sim_nrules;

static void
sim_rules_row(char *line, const char *path, unsigned int lineno)
{
	char		*col[5], *p = line, *v, *bar;
	struct sim_rule	 r;
	size_t		 n = 0;
	int		 c = 0;

	while (c < 5) {
		col[c++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	if (c != 5)
		sim_fatalx("%s:%u: not five columns", path, lineno);
	memset(&r, 0, sizeof r);
	r.name = sim_strdup(col[0]);
	r.first = sim_strdup(col[2]);
	if (strncmp(col[1], "enum:", 5) == 0) {
		r.kind = sim_strdup("enum");
		for (v = col[1] + 5; v != NULL; v = bar) {
			if ((bar = strchr(v, '|')) != NULL)
				*bar++ = '\0';
			r.values = sim_realloc(r.values, (n + 2) *
			    sizeof *r.values);
			r.values[n++] = sim_strdup(v);
			r.values[n] = NULL;
		}
	} else if (strncmp(col[1], "int:", 4) == 0) {
		r.kind = sim_strdup("int");
		if (sscanf(col[1] + 4, "%ld..%ld", &r.min, &r.max) != 2)
			sim_fatalx("%s:%u: bad int range", path, lineno);
	} else if (strcmp(col[1], "pem") == 0 || strcmp(col[1], "text") == 0)
		r.kind = sim_strdup(col[1]);
	else
		sim_fatalx("%s:%u: unknown values '%s'", path, lineno, col[1]);
	sim_rules = sim_realloc(sim_rules, (sim_nrules + 1) *
	    sizeof *sim_rules);
	sim_rules[sim_nrules++] = r;
}

void
sim_rules_load(const char *path)
{
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	unsigned int	 lineno = 0;

	if ((fp = fopen(path, "r")) == NULL)
		sim_fatalx("cannot read the parameter list %s", path);
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		sim_rules_row(line, path, lineno);
	}
	free(line);
	fclose(fp);
	if (sim_nrules == 0)
		sim_fatalx("%s lists no parameter", path);
}

void
sim_rules_free(void)
{
	size_t	i, k;

	for (i = 0; i < sim_nrules; i++) {
		free(sim_rules[i].name);
		free(sim_rules[i].kind);
		free(sim_rules[i].first);
		for (k = 0; sim_rules[i].values != NULL &&
		    sim_rules[i].values[k] != NULL; k++)
			free(sim_rules[i].values[k]);
		free(sim_rules[i].values);
	}
	free(sim_rules);
	sim_rules = NULL;
	sim_nrules = 0;
}

/*
 * Whether a phone running version takes name=value: NULL, or why not (to
 * free).  Without a loaded list everything is taken.
 */
char *
sim_rules_check(const char *name, const char *value, const char *version)
{
	const struct sim_rule	*r = NULL;
	char			*why, *end;
	size_t			 i;
	long			 n;

	if (sim_nrules == 0)
		return (NULL);
	for (i = 0; i < sim_nrules; i++) {
		if (strcmp(sim_rules[i].name, name) == 0)
			r = &sim_rules[i];
	}
	if (r == NULL)
		return (sim_strdup("unknown parameter"));
	if (sim_version_cmp(version, r->first, 3) < 0) {
		sim_asprintf(&why, "unknown before %s", r->first);
		return (why);
	}
	if (strcmp(r->kind, "enum") == 0) {
		for (i = 0; r->values[i] != NULL; i++) {
			if (strcmp(r->values[i], value) == 0)
				return (NULL);
		}
	} else if (strcmp(r->kind, "int") == 0) {
		n = strtol(value, &end, 10);
		if (end != value && *end == '\0' && n >= r->min && n <= r->max)
			return (NULL);
	} else
		return (NULL);	/* pem is checked when installed, text is any */
	sim_asprintf(&why, "value \"%s\" out of range", value);
	return (why);
}
