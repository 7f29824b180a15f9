/*
 * The documented device.* parameters (appliance/data/params.tsv): see
 * params.h.  Parsed strictly: a row that is not understood stops the load
 * with FILE:LINE and the reason, since a wrong row would let a template send
 * what no phone takes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "params.h"
#include "xmalloc.h"

#define PARAMS_COLUMNS	5
#define PARAMS_PEM_BEGIN "-----BEGIN CERTIFICATE-----"

static int	params_row(struct param_table *, char *, const char *,
		    unsigned int, char **);
static int	params_values(struct param_rule *, const char *);
static void	params_rule_free(struct param_rule *);
static char	*params_join(char **);

/* "A, B, C". */
static char *
params_join(char **v)
{
	char	*out = xstrdup(""), *next;

	for (; *v != NULL; v++) {
		xasprintf(&next, "%s%s%s", out, *out != '\0' ? ", " : "", *v);
		free(out);
		out = next;
	}
	return (out);
}

static void
params_rule_free(struct param_rule *r)
{
	char	**v;

	free(r->name);
	if (r->values != NULL) {
		for (v = r->values; *v != NULL; v++)
			free(*v);
		free(r->values);
	}
	free(r->values_text);
	free(r->source);
}

/* Parses the values column into r; -1 when it is not understood. */
static int
params_values(struct param_rule *r, const char *text)
{
	const char	*p, *bar;
	char		*end;
	size_t		 n = 0;

	r->values_text = xstrdup(text);
	if (strcmp(text, "pem") == 0) {
		r->kind = PARAM_PEM;
		return (0);
	}
	if (strcmp(text, "text") == 0) {
		r->kind = PARAM_TEXT;
		return (0);
	}
	if (strncmp(text, "int:", 4) == 0) {
		r->kind = PARAM_INT;
		errno = 0;
		r->min = strtol(text + 4, &end, 10);
		if (errno != 0 || end == text + 4 || strncmp(end, "..", 2) != 0)
			return (-1);
		p = end + 2;
		r->max = strtol(p, &end, 10);
		if (errno != 0 || end == p || *end != '\0' || r->max < r->min)
			return (-1);
		return (0);
	}
	if (strncmp(text, "enum:", 5) != 0 || text[5] == '\0')
		return (-1);
	r->kind = PARAM_ENUM;
	for (p = text + 5; p != NULL; p = bar != NULL ? bar + 1 : NULL) {
		bar = strchr(p, '|');
		if ((bar != NULL ? (size_t)(bar - p) : strlen(p)) == 0)
			return (-1);
		r->values = xreallocarray(r->values, n + 2, sizeof *r->values);
		r->values[n++] = bar != NULL ? xstrndup(p, (size_t)(bar - p)) :
		    xstrdup(p);
		r->values[n] = NULL;
	}
	return (0);
}

static int
params_row(struct param_table *t, char *line, const char *name,
    unsigned int lineno, char **cause)
{
	char			*col[PARAMS_COLUMNS], *p = line, *why;
	struct param_rule	 r;
	int			 n = 0;

	while (n < PARAMS_COLUMNS) {
		col[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != PARAMS_COLUMNS || p != NULL) {
		xasprintf(cause, "%s:%u: %d columns instead of %d (separate "
		    "them with one TAB)", name, lineno, p != NULL ?
		    PARAMS_COLUMNS + 1 : n, PARAMS_COLUMNS);
		return (-1);
	}
	memset(&r, 0, sizeof r);
	if (strncmp(col[0], "device.", 7) != 0 && strcmp(col[0], "device.set")
	    != 0) {
		xasprintf(cause, "%s:%u: '%s' is not a device.* parameter",
		    name, lineno, col[0]);
		return (-1);
	}
	if (param_find(t, col[0]) != NULL) {
		xasprintf(cause, "%s:%u: %s is listed twice", name, lineno,
		    col[0]);
		return (-1);
	}
	r.name = xstrdup(col[0]);
	if (params_values(&r, col[1]) != 0) {
		xasprintf(cause, "%s:%u: values '%s' are not enum:A|B, pem, "
		    "text or int:MIN..MAX", name, lineno, col[1]);
		goto fail;
	}
	if (ucs_version_parse(col[2], &r.first, &why) != 0) {
		xasprintf(cause, "%s:%u: first release: %s", name, lineno, why);
		free(why);
		goto fail;
	}
	if (strlen(col[3]) != 1 || strchr("HML", col[3][0]) == NULL) {
		xasprintf(cause, "%s:%u: confidence '%s' is not H, M or L", name,
		    lineno, col[3]);
		goto fail;
	}
	r.confidence = col[3][0];
	if (col[4][0] == '\0') {
		xasprintf(cause, "%s:%u: %s has no source: never list a "
		    "parameter without one", name, lineno, r.name);
		goto fail;
	}
	r.source = xstrdup(col[4]);
	t->rules = xreallocarray(t->rules, t->count + 1, sizeof *t->rules);
	t->rules[t->count++] = r;
	return (0);
fail:
	params_rule_free(&r);
	return (-1);
}

struct param_table *
param_table_parse(const char *buf, size_t len, const char *name,
    char **cause)
{
	struct param_table	*t;
	const char		*p = buf, *end = buf + len, *nl;
	char			*line;
	unsigned int		 lineno = 0;
	size_t			 n;
	int			 rc;

	t = xcalloc(1, sizeof *t);
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		line = xstrndup(p, n);
		p = nl < end ? nl + 1 : nl;
		if (line[0] == '#' || line[0] == '\0') {
			free(line);
			continue;
		}
		rc = params_row(t, line, name, lineno, cause);
		free(line);
		if (rc != 0) {
			param_table_free(t);
			return (NULL);
		}
	}
	if (t->count == 0) {
		xasprintf(cause, "%s lists no parameter", name);
		param_table_free(t);
		return (NULL);
	}
	return (t);
}

struct param_table *
param_table_load_default(char **cause)
{
	const char	*buf;
	size_t		 len;

	if ((buf = embedded_get("params.tsv", &len)) == NULL) {
		xasprintf(cause, "params.tsv is not compiled in; rebuild");
		return (NULL);
	}
	return (param_table_parse(buf, len, "params.tsv", cause));
}

void
param_table_free(struct param_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++)
		params_rule_free(&t->rules[i]);
	free(t->rules);
	free(t);
}

const struct param_rule *
param_find(const struct param_table *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->count; i++) {
		if (strcmp(t->rules[i].name, name) == 0)
			return (&t->rules[i]);
	}
	return (NULL);
}

int
param_check(const struct param_table *t, const char *name, const char *value,
    const struct ucs_version *v, char **cause)
{
	const struct param_rule	*r;
	char			*base, *end, *list, have[UCS_VERSION_TEXT_MAX];
	char			 first[UCS_VERSION_TEXT_MAX];
	size_t			 len = strlen(name);
	char			**e;
	long			 n;

	if (len > 4 && strcmp(name + len - 4, ".set") == 0 &&
	    strcmp(name, "device.set") != 0) {
		base = xstrndup(name, len - 4);
		r = param_find(t, base);
		free(base);
		if (r == NULL) {
			xasprintf(cause, "%s switches a parameter that is not "
			    "in the documented list (params.tsv)", name);
			return (-1);
		}
		if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
			xasprintf(cause, "%s=\"%s\": a .set switch takes 0 or 1",
			    name, value);
			return (-1);
		}
	} else if ((r = param_find(t, name)) == NULL) {
		xasprintf(cause, "%s is not a documented parameter (not in "
		    "params.tsv): a phone would ignore it", name);
		return (-1);
	} else {
		switch (r->kind) {
		case PARAM_ENUM:
			for (e = r->values; *e != NULL; e++) {
				if (strcmp(*e, value) == 0)
					break;
			}
			if (*e != NULL)
				break;
			list = params_join(r->values);
			xasprintf(cause, "%s=\"%s\" is not a documented value "
			    "(documented: %s; confidence %c, see docs/repoint.md)"
			    ": a phone would ignore it", name, value, list,
			    r->confidence);
			free(list);
			return (-1);
		case PARAM_PEM:
			if (strncmp(value, PARAMS_PEM_BEGIN,
			    strlen(PARAMS_PEM_BEGIN)) == 0)
				break;
			xasprintf(cause, "%s takes one PEM certificate, not "
			    "\"%.40s\"", name, value);
			return (-1);
		case PARAM_INT:
			errno = 0;
			n = strtol(value, &end, 10);
			if (errno == 0 && end != value && *end == '\0' &&
			    n >= r->min && n <= r->max)
				break;
			xasprintf(cause, "%s=\"%s\" is outside %ld..%ld", name,
			    value, r->min, r->max);
			return (-1);
		case PARAM_TEXT:
			break;
		}
	}
	/* A .set switch is as old as its parameter: reported there. */
	if (r != NULL && strcmp(r->name, name) == 0 && v != NULL &&
	    ucs_version_known(v) &&
	    ucs_version_cmp_strict(v, &r->first) < 0) {
		xasprintf(cause, "%s is not known before UC Software %s "
		    "(confidence %c, see docs/repoint.md): a phone on %s would "
		    "ignore it", name,
		    ucs_version_format(&r->first, first, sizeof first),
		    r->confidence,
		    ucs_version_format_release(v, have, sizeof have));
		return (-1);
	}
	return (0);
}
