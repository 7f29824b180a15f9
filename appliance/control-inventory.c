/*
 * The inventory a batch waits for: a CSV of mac[,model][,label], header
 * optional, '#' comments and blank lines ignored.  MACs are normalised to
 * the daemon's form (12 lower-case hex digits).  A bad line is refused with
 * FILE:LINE and the reason, so a script author fixes the file, not the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control.h"
#include "fileio.h"
#include "log.h"
#include "mac.h"
#include "xmalloc.h"

#define INVENTORY_MAX_FIELDS 3
#define INVENTORY_FIELD_MAX 128

static int	inventory_split(char *, char **, size_t *);
static char	*inventory_trim(char *);
static int	inventory_is_header(char **, size_t);

static char *
inventory_trim(char *s)
{
	char	*e;

	s = fileio_trim(s);
	e = s + strlen(s);
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return (s);
}

/* Split on commas; -1 when there are too many fields. */
static int
inventory_split(char *line, char **fields, size_t *n)
{
	char	*p;

	*n = 0;
	for (;;) {
		if (*n == INVENTORY_MAX_FIELDS)
			return (-1);
		p = strchr(line, ',');
		if (p != NULL)
			*p = '\0';
		fields[(*n)++] = inventory_trim(line);
		if (p == NULL)
			return (0);
		line = p + 1;
	}
}

static int
inventory_is_header(char **fields, size_t n)
{
	return (strcasecmp(fields[0], "mac") == 0 ||
	    strcasecmp(fields[0], "mac address") == 0 ||
	    strcasecmp(fields[0], "macaddress") == 0);
}

int
control_inventory_load(const char *path, struct control_inventory *inv,
    char **cause)
{
	FILE				*fp;
	struct control_inventory_phone	*ph, *dup;
	char				*line = NULL, *fields[INVENTORY_MAX_FIELDS];
	char				*esc, mac[CONTROL_MAC_LEN + 1];
	size_t				 size = 0, n, i;
	ssize_t				 len;
	unsigned int			 lineno = 0, data_lines = 0;

	memset(inv, 0, sizeof *inv);
	if ((fp = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while ((len = getline(&line, &size, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			xasprintf(cause, "%s:%u: contains a NUL byte (is it a "
			    "text CSV file?)", path, lineno);
			goto fail;
		}
		if (lineno == 1)
			fileio_strip_bom(line);
		line[strcspn(line, "\r\n")] = '\0';
		if (*inventory_trim(line) == '\0' ||
		    *inventory_trim(line) == '#')
			continue;
		if (inventory_split(line, fields, &n) != 0) {
			xasprintf(cause, "%s:%u: more than %d fields (expected "
			    "mac[,model][,label])", path, lineno,
			    INVENTORY_MAX_FIELDS);
			goto fail;
		}
		if (data_lines++ == 0 && inventory_is_header(fields, n))
			continue;
		if (mac_parse(fields[0], mac) != 0) {
			esc = log_escape(fields[0], strlen(fields[0]));
			xasprintf(cause, "%s:%u: '%s' is not a MAC address "
			    "(12 hex digits, optionally separated by ':', '-' "
			    "or '.')", path, lineno, esc);
			free(esc);
			goto fail;
		}
		for (i = 1; i < n; i++) {
			if (strlen(fields[i]) > INVENTORY_FIELD_MAX) {
				xasprintf(cause, "%s:%u: field %zu is longer "
				    "than %d characters", path, lineno, i + 1,
				    INVENTORY_FIELD_MAX);
				goto fail;
			}
		}
		if ((dup = control_inventory_find(inv, mac)) != NULL) {
			xasprintf(cause, "%s:%u: %s is listed twice (first on "
			    "line %u)", path, lineno, mac, dup->line);
			goto fail;
		}
		inv->phones = xreallocarray(inv->phones, inv->n + 1,
		    sizeof *inv->phones);
		ph = &inv->phones[inv->n++];
		memset(ph, 0, sizeof *ph);
		memcpy(ph->mac, mac, sizeof ph->mac);
		ph->line = lineno;
		if (n > 1 && *fields[1] != '\0')
			ph->model = log_escape(fields[1], strlen(fields[1]));
		if (n > 2 && *fields[2] != '\0')
			ph->label = log_escape(fields[2], strlen(fields[2]));
	}
	if (ferror(fp)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (inv->n == 0) {
		xasprintf(cause, "%s: no phones listed (expected lines of "
		    "mac[,model][,label])", path);
		goto fail;
	}
	free(line);
	fclose(fp);
	return (0);

fail:
	free(line);
	fclose(fp);
	control_inventory_free(inv);
	return (-1);
}

void
control_inventory_free(struct control_inventory *inv)
{
	size_t	i;

	for (i = 0; i < inv->n; i++) {
		free(inv->phones[i].model);
		free(inv->phones[i].label);
	}
	free(inv->phones);
	memset(inv, 0, sizeof *inv);
}

struct control_inventory_phone *
control_inventory_find(struct control_inventory *inv, const char *mac)
{
	size_t	i;

	for (i = 0; i < inv->n; i++) {
		if (strcmp(inv->phones[i].mac, mac) == 0)
			return (&inv->phones[i]);
	}
	return (NULL);
}
