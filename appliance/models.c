/*
 * The models table (appliance/data/models.tsv, compiled in) and operator
 * override files: see models.h.  Both are parsed strictly, because a wrong
 * target flashes the wrong software onto a phone: any line that is not
 * understood stops the load with FILE:LINE and the reason.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "embedded.h"
#include "fileio.h"
#include "ident.h"
#include "log.h"
#include "models.h"
#include "xmalloc.h"

#define MODELS_TABLE_COLUMNS	6
#define MODELS_TOKEN_MAX	31
#define MODELS_OVERRIDE_MAX	(1024 * 1024)

struct models_lines {
	const char	*p;
	const char	*end;
	unsigned int	 lineno;
};

struct models_pending {
	size_t			 row;
	struct ucs_version	 version;
	unsigned int		 lineno;
};

static int	 models_next_line(struct models_lines *, const char **,
		     size_t *);
static int	 models_fail(char **, const char *, unsigned int, const char *,
		     ...) __attribute__((format(printf, 4, 5)));
static int	 models_is_token(const char *, size_t);
static int	 models_has_control(const char *, size_t);
static int	 models_parse_row(struct model_table *, const char *, size_t,
		     const char *, unsigned int, unsigned int *, char **);
static int	 models_check_duplicate(struct model_table *,
		     const unsigned int *, const char *, unsigned int, char **);
static int	 models_override_line(const struct model_table *, char *,
		     const char *, unsigned int, struct models_pending **,
		     size_t *, char **);

/* The next line (without its LF or CR LF); 0 at the end. */
static int
models_next_line(struct models_lines *l, const char **line, size_t *len)
{
	const char	*nl;

	if (l->p >= l->end)
		return (0);
	l->lineno++;
	*line = l->p;
	if ((nl = memchr(l->p, '\n', l->end - l->p)) == NULL)
		nl = l->end;
	*len = nl - l->p;
	l->p = nl < l->end ? nl + 1 : nl;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return (1);
}

static int
models_fail(char **cause, const char *name, unsigned int lineno,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	if (cause == NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	if (lineno == 0)
		xasprintf(cause, "%s: %s", name, why);
	else
		xasprintf(cause, "%s:%u: %s", name, lineno, why);
	free(why);
	return (-1);
}

static int
models_is_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > MODELS_TOKEN_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

static int
models_has_control(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (1);
	}
	return (0);
}

/* One table row; row_line[] remembers where each row came from. */
static int
models_parse_row(struct model_table *t, const char *line, size_t len,
    const char *name, unsigned int lineno, unsigned int *row_line,
    char **cause)
{
	const char	*col[MODELS_TABLE_COLUMNS];
	size_t		 clen[MODELS_TABLE_COLUMNS];
	const char	*p = line, *end = line + len, *tab;
	struct model	*m;
	struct ucs_version version;
	char		*text, *esc, *why;
	int		 n = 0, i;

	for (;;) {
		tab = memchr(p, '\t', end - p);
		if (n == MODELS_TABLE_COLUMNS)
			return (models_fail(cause, name, lineno, "more than %d "
			    "TAB-separated columns (token, name, family, part, "
			    "target, note)", MODELS_TABLE_COLUMNS));
		col[n] = p;
		clen[n] = (tab != NULL ? tab : end) - p;
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (n < MODELS_TABLE_COLUMNS - 1)
		return (models_fail(cause, name, lineno, "%d column%s, expected "
		    "%d separated by TABs (token, name, family, part, target, "
		    "note)", n, n == 1 ? "" : "s", MODELS_TABLE_COLUMNS));
	if (n == MODELS_TABLE_COLUMNS - 1) {
		col[n] = end;
		clen[n] = 0;
	}
	for (i = 0; i < MODELS_TABLE_COLUMNS; i++) {
		if (models_has_control(col[i], clen[i]))
			return (models_fail(cause, name, lineno,
			    "column %d has a control character", i + 1));
	}
	esc = NULL;
	if (!(clen[0] == 7 && memcmp(col[0], "unknown", 7) == 0) &&
	    !models_is_token(col[0], clen[0])) {
		esc = log_escape(col[0], clen[0]);
		models_fail(cause, name, lineno, "token '%s' is not up to %d "
		    "letters and digits (or 'unknown')", esc, MODELS_TOKEN_MAX);
		free(esc);
		return (-1);
	}
	if (clen[1] == 0)
		return (models_fail(cause, name, lineno, "the name is empty"));
	for (i = 0; i < (int)clen[2]; i++) {
		if (!isalpha((unsigned char)col[2][i]))
			break;
	}
	if (clen[2] == 0 || i != (int)clen[2]) {
		esc = log_escape(col[2], clen[2]);
		models_fail(cause, name, lineno, "family '%s' is not a word "
		    "such as SoundPointIP or VVX", esc);
		free(esc);
		return (-1);
	}
	if (!(clen[3] == 7 && memcmp(col[3], "unknown", 7) == 0) &&
	    !ident_is_part_number(col[3], clen[3])) {
		esc = log_escape(col[3], clen[3]);
		models_fail(cause, name, lineno, "part number '%s' is not like "
		    "2345-12670-001 (or 'unknown')", esc);
		free(esc);
		return (-1);
	}
	text = xstrndup(col[4], clen[4]);
	if (ucs_version_parse(text, &version, &why) != 0) {
		free(text);
		models_fail(cause, name, lineno, "target %s", why);
		free(why);
		return (-1);
	}
	free(text);

	t->models = xreallocarray(t->models, t->count + 1, sizeof *t->models);
	m = &t->models[t->count];
	memset(m, 0, sizeof *m);
	if (clen[0] == 7 && memcmp(col[0], "unknown", 7) == 0)
		m->token = NULL;
	else
		m->token = xstrndup(col[0], clen[0]);
	m->name = xstrndup(col[1], clen[1]);
	m->family = xstrndup(col[2], clen[2]);
	if (clen[3] == 7 && memcmp(col[3], "unknown", 7) == 0)
		m->part = NULL;
	else
		m->part = xstrndup(col[3], clen[3]);
	m->target = version;
	m->target_source = xstrdup("seed");
	m->note = xstrndup(col[5], clen[5]);
	row_line[t->count] = lineno;
	t->count++;
	return (models_check_duplicate(t, row_line, name, lineno, cause));
}

/*
 * A token or part on two rows must mean one phone and one image: the seed's
 * separate SoundStation IP 7000 HDX row is allowed, a contradiction is not.
 */
static int
models_check_duplicate(struct model_table *t, const unsigned int *row_line,
    const char *name, unsigned int lineno, char **cause)
{
	const struct model	*m = &t->models[t->count - 1], *o;
	size_t			 i;
	int			 same_token, same_part, agree;

	for (i = 0; i < t->count - 1; i++) {
		o = &t->models[i];
		same_token = m->token != NULL && o->token != NULL &&
		    strcmp(m->token, o->token) == 0;
		same_part = m->part != NULL && o->part != NULL &&
		    strcmp(m->part, o->part) == 0;
		if (!same_token && !same_part)
			continue;
		agree = same_token && same_part &&
		    ucs_version_cmp_strict(&m->target, &o->target) == 0 &&
		    m->target.revision == o->target.revision;
		if (agree)
			continue;
		if (same_token)
			return (models_fail(cause, name, lineno, "token %s is "
			    "also on line %u with a different part or target",
			    m->token, row_line[i]));
		return (models_fail(cause, name, lineno, "part %s is also on "
		    "line %u for another model", m->part, row_line[i]));
	}
	return (0);
}

struct model_table *
model_table_parse(const char *buf, size_t len, const char *name, char **cause)
{
	struct model_table	*t;
	struct models_lines	 l = { buf, buf + len, 0 };
	const char		*line;
	size_t			 llen, i;
	unsigned int		*row_line = NULL;

	t = xcalloc(1, sizeof *t);
	while (models_next_line(&l, &line, &llen)) {
		if (memchr(line, '\0', llen) != NULL) {
			models_fail(cause, name, l.lineno,
			    "contains a NUL byte");
			goto fail;
		}
		for (i = 0; i < llen; i++) {
			if (!isspace((unsigned char)line[i]))
				break;
		}
		if (i == llen || line[0] == '#')
			continue;
		row_line = xreallocarray(row_line, t->count + 1,
		    sizeof *row_line);
		if (models_parse_row(t, line, llen, name, l.lineno, row_line,
		    cause) != 0)
			goto fail;
	}
	free(row_line);
	if (t->count == 0) {
		models_fail(cause, name, 0, "no models in the table");
		model_table_free(t);
		return (NULL);
	}
	return (t);

fail:
	free(row_line);
	model_table_free(t);
	return (NULL);
}

struct model_table *
model_table_load_default(char **cause)
{
	const char	*buf;
	size_t		 len;

	if ((buf = embedded_get("models.tsv", &len)) == NULL) {
		xasprintf(cause, "models.tsv is not compiled in; rebuild "
		    "ztp-rescue");
		return (NULL);
	}
	return (model_table_parse(buf, len, "models.tsv", cause));
}

void
model_table_free(struct model_table *t)
{
	size_t		 i;
	struct model	*m;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++) {
		m = &t->models[i];
		free((char *)m->token);
		free((char *)m->name);
		free((char *)m->family);
		free((char *)m->part);
		free((char *)m->target_source);
		free((char *)m->note);
	}
	free(t->models);
	free(t);
}

const struct model *
model_by_token(const struct model_table *t, const char *token)
{
	size_t	i;

	if (token == NULL)
		return (NULL);
	for (i = 0; i < t->count; i++) {
		if (t->models[i].token != NULL &&
		    strcmp(t->models[i].token, token) == 0)
			return (&t->models[i]);
	}
	return (NULL);
}

const struct model *
model_by_part(const struct model_table *t, const char *part)
{
	size_t	i;

	if (part == NULL)
		return (NULL);
	for (i = 0; i < t->count; i++) {
		if (t->models[i].part != NULL &&
		    strcmp(t->models[i].part, part) == 0)
			return (&t->models[i]);
	}
	return (NULL);
}

const struct model *
model_of_phone(const struct model_table *t, const char *token,
    const char *part)
{
	const struct model	*m;
	int			 has_token = token != NULL && *token != '\0';

	if (has_token && (m = model_by_token(t, token)) != NULL)
		return (m);
	if (part == NULL || *part == '\0' ||
	    (m = model_by_part(t, part)) == NULL)
		return (NULL);
	if (has_token && m->token != NULL)
		return (NULL);
	return (m);
}

/* One line of an override file, NUL-terminated and writable. */
static int
models_override_line(const struct model_table *t, char *line,
    const char *path, unsigned int lineno, struct models_pending **pending,
    size_t *npending, char **cause)
{
	static const char	 blanks[] = " \t\r\v\f";
	char			*word[3], *p, *esc, *why;
	const struct model	*hint;
	struct ucs_version	 version;
	size_t			 i, j, matched = 0;
	int			 n = 0;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = line; n < 3; n++) {
		p += strspn(p, blanks);
		if (*p == '\0')
			break;
		word[n] = p;
		p += strcspn(p, blanks);
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n == 0)
		return (0);
	if (n != 2)
		return (models_fail(cause, path, lineno, "expected a model "
		    "and a version (e.g. 'VVX201 5.4.0'), found %s", n == 1 ?
		    "one word" : "more than two words"));

	if (ucs_version_parse(word[1], &version, &why) != 0) {
		models_fail(cause, path, lineno, "%s", why);
		free(why);
		return (-1);
	}
	for (i = 0; i < t->count; i++) {
		if ((t->models[i].token == NULL ||
		    strcmp(t->models[i].token, word[0]) != 0) &&
		    (t->models[i].part == NULL ||
		    strcmp(t->models[i].part, word[0]) != 0))
			continue;
		for (j = 0; j < *npending; j++) {
			if ((*pending)[j].row == i)
				return (models_fail(cause, path, lineno,
				    "%s was already given on line %u", word[0],
				    (*pending)[j].lineno));
		}
		*pending = xreallocarray(*pending, *npending + 1,
		    sizeof **pending);
		(*pending)[*npending].row = i;
		(*pending)[*npending].version = version;
		(*pending)[*npending].lineno = lineno;
		(*npending)++;
		matched++;
	}
	if (matched != 0)
		return (0);

	hint = NULL;
	for (i = 0; i < t->count && hint == NULL; i++) {
		if (t->models[i].token != NULL &&
		    strcasecmp(t->models[i].token, word[0]) == 0)
			hint = &t->models[i];
	}
	esc = log_escape(word[0], strlen(word[0]));
	if (hint != NULL)
		models_fail(cause, path, lineno, "unknown model '%s' (did you "
		    "mean %s?)", esc, hint->token);
	else
		models_fail(cause, path, lineno, "unknown model '%s'; "
		    "'ztp-rescue models' lists the tokens and part numbers",
		    esc);
	free(esc);
	return (-1);
}

int
model_table_apply_overrides(struct model_table *t, const char *path,
    char **cause)
{
	struct models_lines	 l;
	struct models_pending	*pending = NULL;
	struct model		*m;
	const char		*line;
	char			*buf, *copy, *source;
	size_t			 len, llen, npending = 0, i;
	int			 rc;

	if ((buf = fileio_read(path, "the override file",
	    MODELS_OVERRIDE_MAX, &len, cause)) == NULL)
		return (-1);
	l.p = buf;
	l.end = buf + len;
	l.lineno = 0;
	while (models_next_line(&l, &line, &llen)) {
		if (memchr(line, '\0', llen) != NULL) {
			models_fail(cause, path, l.lineno,
			    "contains a NUL byte");
			goto fail;
		}
		copy = xstrndup(line, llen);
		if (l.lineno == 1)
			fileio_strip_bom(copy);	/* Notepad's UTF-8 */
		rc = models_override_line(t, copy, path, l.lineno, &pending,
		    &npending, cause);
		free(copy);
		if (rc != 0)
			goto fail;
	}

	/* The whole file is good: now apply it. */
	for (i = 0; i < npending; i++) {
		m = &t->models[pending[i].row];
		m->target = pending[i].version;
		free((char *)m->target_source);
		xasprintf(&source, "%s:%u", path, pending[i].lineno);
		m->target_source = source;
	}
	free(pending);
	free(buf);
	return (0);

fail:
	free(pending);
	free(buf);
	return (-1);
}
