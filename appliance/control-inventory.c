/*
 * The inventory a batch waits for: a CSV of mac[,model][,label], header
 * optional, '#' comments and blank lines ignored.  MACs are normalised to
 * the daemon's form (12 lower-case hex digits).  A bad line is refused with
 * FILE:LINE and the reason, so a script author fixes the file, not the run.
 *
 * The file is often saved by a spreadsheet, so the CSV is read as they
 * write it (RFC 4180 on one line): a field may be quoted, with "" for a
 * quote and the separator inside; the separator is ',' or, where Excel's
 * locale uses the comma for decimals, ';' (or a tab for "Text"), taken per
 * line as the first one outside quotes (a MAC never holds one); empty
 * columns after the label, which Excel writes when another row had more,
 * are ignored.
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
#define INVENTORY_SEPARATORS ",;\t"

static int	inventory_split(char *, char **, size_t *, char **);
static char	*inventory_field(char **, char, size_t, char **);
static char	 inventory_separator(const char *);
static int	inventory_is_header(char **, size_t);

/* The line's separator: the first of ',' ';' tab outside quotes. */
static char
inventory_separator(const char *line)
{
	int	quoted = 0;

	for (; *line != '\0'; line++) {
		if (*line == '"')
			quoted = !quoted;
		else if (!quoted && strchr(INVENTORY_SEPARATORS, *line) != NULL)
			return (*line);
	}
	return (',');
}

/*
 * Take one field from *line, unquoted and trimmed, in place; *line moves
 * past its separator, or to NULL at the line's end.
 */
static char *
inventory_field(char **line, char sep, size_t number, char **cause)
{
	char	*p = *line, *field, *out;

	while (*p == ' ' || (*p == '\t' && sep != '\t'))
		p++;
	if (*p != '"') {
		field = p;
		p = strchr(p, sep);
		if (p != NULL)
			*p++ = '\0';
		*line = p;
		return (fileio_trim(field));
	}
	field = out = ++p;
	for (;;) {
		if (*p == '\0') {
			xasprintf(cause, "field %zu opens a quote that is not "
			    "closed on the line", number);
			return (NULL);
		}
		if (*p == '"' && p[1] == '"') {
			*out++ = '"';
			p += 2;
		} else if (*p == '"') {
			p++;
			break;
		} else
			*out++ = *p++;
	}
	*out = '\0';
	while (*p == ' ' || (*p == '\t' && sep != '\t'))
		p++;
	if (*p != '\0' && *p != sep) {
		xasprintf(cause, "field %zu has text after its closing quote",
		    number);
		return (NULL);
	}
	*line = *p == '\0' ? NULL : p + 1;
	return (field);
}

/* Split a line into at most 3 fields; -1 with the cause otherwise. */
static int
inventory_split(char *line, char **fields, size_t *n, char **cause)
{
	char	 sep = inventory_separator(line), *field, *esc;
	size_t	 number = 0;

	*n = 0;
	while (line != NULL) {
		number++;
		if ((field = inventory_field(&line, sep, number, cause)) ==
		    NULL)
			return (-1);
		if (number <= INVENTORY_MAX_FIELDS) {
			fields[(*n)++] = field;
			continue;
		}
		if (*field == '\0')
			continue;	/* an empty spreadsheet column */
		esc = log_escape(field, strlen(field));
		xasprintf(cause, "field %zu ('%s') is one too many: the "
		    "columns are mac, model and label; delete the ones after "
		    "the label", number, esc);
		free(esc);
		return (-1);
	}
	return (0);
}

static int
inventory_is_header(char **fields, size_t n)
{
	return (strcasecmp(fields[0], "mac") == 0 ||
	    strcasecmp(fields[0], "mac address") == 0 ||
	    strcasecmp(fields[0], "mac_address") == 0 ||
	    strcasecmp(fields[0], "macaddress") == 0);
}

int
control_inventory_load(const char *path, struct control_inventory *inv,
    char **cause)
{
	FILE				*fp;
	struct control_inventory_phone	*ph, *dup;
	char				*line = NULL, *fields[INVENTORY_MAX_FIELDS];
	char				*esc, *why = NULL;
	char				 mac[CONTROL_MAC_LEN + 1];
	size_t				 size = 0, n, i;
	ssize_t				 len;
	unsigned int			 lineno = 0, data_lines = 0;

	memset(inv, 0, sizeof *inv);
	if ((fp = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while ((len = fileio_getline(&line, &size, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			xasprintf(cause, "%s:%u: contains a NUL byte (is it a "
			    "text CSV file?)", path, lineno);
			goto fail;
		}
		if (lineno == 1)
			fileio_strip_bom(line);
		if (*fileio_trim(line) == '\0' || *fileio_trim(line) == '#')
			continue;
		if (inventory_split(line, fields, &n, &why) != 0) {
			xasprintf(cause, "%s:%u: %s", path, lineno, why);
			free(why);
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
		/*
		 * No device has these: a typo or a placeholder would wait
		 * for a phone that cannot come, the whole time limit.  A
		 * group address has the low bit of its first byte set.
		 */
		if (strcmp(mac, "000000000000") == 0 ||
		    strchr("13579bdf", mac[1]) != NULL) {
			xasprintf(cause, "%s:%u: %s is not a phone's MAC "
			    "address (%s): check the label on the phone", path,
			    lineno, mac, strcmp(mac, "000000000000") == 0 ?
			    "all zeros" : "a group address: its first byte is "
			    "odd");
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
