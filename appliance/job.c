/*
 * The unattended job file: "key = value" lines, '#' comments and blank
 * lines ignored; a value may be in double quotes.  Nobody is at the
 * keyboard to answer a question, so the file is read strictly: every key
 * must be known, given once, and its value valid, or the whole job is
 * refused before anything is changed.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "dhcp.h"
#include "fileio.h"
#include "fleet.h"
#include "job.h"
#include "log.h"
#include "provision.h"
#include "xmalloc.h"

#define JOB_VALUE_MAX	512

enum job_key {
	JOB_INVENTORY,
	JOB_CA,
	JOB_REPOINT,
	JOB_UNKNOWN_VERSION,
	JOB_ONLY_INVENTORY,
	JOB_TIMEOUT,
	JOB_DHCP,
	JOB_ADDRESS,
	JOB_REPORT,
	JOB_MAX_FLASHES,
	JOB_VLAN,
	JOB_NKEYS
};

static const char *job_keys[JOB_NKEYS] = {
	"inventory", "ca", "repoint", "unknown-version", "only-inventory",
	"timeout", "dhcp", "address", "report", "max-flashes",
	"vlan"
};

static char	*job_path(struct job *, const char *);
static char	*job_unquote(char *);
static int	 job_value(struct job *, enum job_key, const char *, char **);

/*
 * A path in the job file is relative to the job file's folder; it was
 * likely written on Windows, so a backslash separates folders too.
 */
static char *
job_path(struct job *j, const char *v)
{
	char	*p, *q;

	if (*v == '/' || *v == '\\')
		p = xstrdup(v);
	else
		xasprintf(&p, "%s/%s", j->dir, v);
	for (q = p; *q != '\0'; q++)
		if (*q == '\\')
			*q = '/';
	return (p);
}

/*
 * "closet 3.csv" in quotes, as Windows writes a path with a space: the
 * quotes are not part of it (a FAT or Windows file name cannot hold one).
 */
static char *
job_unquote(char *v)
{
	size_t	len = strlen(v);

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		v++;
	}
	return (v);
}

static int
job_yesno(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

/* Check and keep one value; -1 with *why saying what a good one is. */
static int
job_value(struct job *j, enum job_key k, const char *v, char **why)
{
	struct dhcp_net	 net;
	const char	*p;
	char		*cause, *end;
	unsigned long	 n;

	switch (k) {
	case JOB_INVENTORY:
		j->inventory = job_path(j, v);
		return (0);
	case JOB_CA:
		j->ca = job_path(j, v);
		return (0);
	case JOB_REPOINT:
		if (strcasecmp(v, "ztp") == 0)
			v = "ztp";	/* "ZTP", as it is written in prose */
		if (strcmp(v, "ztp") != 0 && strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0) {
			*why = xstrdup("must be \"ztp\" (Polycom ZTP) or the "
			    "provisioning server's URL (http:// or https://)");
			return (-1);
		}
		for (p = v; *p != '\0'; p++) {
			if (isspace((unsigned char)*p) ||
			    !isprint((unsigned char)*p)) {
				*why = xstrdup("a URL has no spaces or control "
				    "characters");
				return (-1);
			}
		}
		/* The daemon's own check, said with the line. */
		if (strcmp(v, "ztp") != 0 &&
		    provision_check_server_url(v, &cause) != 0) {
			*why = cause;
			return (-1);
		}
		j->repoint = xstrdup(v);
		return (0);
	case JOB_UNKNOWN_VERSION:
		if (strcmp(v, "upgrade") != 0 && strcmp(v, "hold") != 0) {
			*why = xstrdup("must be \"upgrade\" or \"hold\"");
			return (-1);
		}
		j->unknown_version = xstrdup(v);
		return (0);
	case JOB_ONLY_INVENTORY:
		if (job_yesno(v, &j->only_inventory) != 0) {
			*why = xstrdup("must be \"yes\" or \"no\"");
			return (-1);
		}
		return (0);
	case JOB_TIMEOUT:
		if (control_parse_duration(v, &j->timeout, &cause) != 0) {
			*why = cause;
			return (-1);
		}
		return (0);
	case JOB_DHCP:
		if (strcmp(v, "off") == 0)
			return (0);
		/* "auto IFACE": only where no other DHCP server answers. */
		if (strcmp(v, "auto") == 0) {
			*why = xstrdup("\"auto\" needs the phones' interface "
			    "after it (for example \"auto eth0\")");
			return (-1);
		}
		if (strncmp(v, "auto", 4) == 0 && isspace((unsigned char)v[4])) {
			j->dhcp_auto = 1;
			v = fileio_trim((char *)v + 4);
		}
		if (*v == '\0' || strlen(v) > 15 ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(v)) {
			*why = xstrdup("must be \"off\", the name of the "
			    "phones' interface (for example eth0), or \"auto\" "
			    "and that name (\"auto eth0\": DHCP only if no other "
			    "DHCP server answers there)");
			return (-1);
		}
		j->dhcp_iface = xstrdup(v);
		return (0);
	case JOB_ADDRESS:
		if (strspn(v, "0123456789./") != strlen(v) ||
		    strchr(v, '/') == NULL) {
			*why = xstrdup("must be the appliance's address with "
			    "its prefix length (for example 10.99.0.1/24)");
			return (-1);
		}
		/* DHCP's own check, said with the line (300.0.0.1 passed). */
		if (dhcp_parse_address(v, &net, &cause) != 0) {
			*why = cause;
			return (-1);
		}
		j->dhcp_address = xstrdup(v);
		return (0);
	case JOB_REPORT:
		if (strlen(v) > 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v)) {
			*why = xstrdup("must be a plain file name without an "
			    "extension (letters, digits, '-' and '_', at most "
			    "64): the report is written as NAME.json, "
			    "NAME.csv and NAME.txt in reports/");
			return (-1);
		}
		free(j->report);
		j->report = xstrdup(v);
		return (0);
	case JOB_MAX_FLASHES:
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' ||
		    n < FLEET_MAX_FLASHES_MIN || n > FLEET_MAX_FLASHES_MAX) {
			xasprintf(why, "must be a number from %d to %d: the "
			    "times a phone may take the same image whole and "
			    "come back unchanged", FLEET_MAX_FLASHES_MIN,
			    FLEET_MAX_FLASHES_MAX);
			return (-1);
		}
		j->max_flashes = n;
		return (0);
	case JOB_VLAN:
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || n < 1 ||
		    n > 4094) {
			*why = xstrdup("must be the voice VLAN's ID, 1 to 4094 "
			    "(the phones' interface carries it tagged)");
			return (-1);
		}
		j->dhcp_vlan = n;
		return (0);
	case JOB_NKEYS:
		break;
	}
	return (-1);
}

int
job_load(const char *path, struct job *j, char **cause)
{
	FILE		*fp;
	char		*line = NULL, *key, *value, *eq, *esc, *why, *copy;
	size_t		 size = 0;
	ssize_t		 len;
	unsigned int	 lineno = 0, seen[JOB_NKEYS];
	int		 k;

	memset(j, 0, sizeof *j);
	memset(seen, 0, sizeof seen);
	j->path = xstrdup(path);
	copy = xstrdup(path);
	j->dir = xstrdup(dirname(copy));
	free(copy);
	j->only_inventory = 1;
	j->timeout = 30 * 60;
	j->report = xstrdup("unattended-report");
	if ((fp = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s: put a job file there (see "
		    "docs/batch.md, \"Unattended recovery from the stick\")",
		    path, strerror(errno));
		goto fail;
	}
	while ((len = fileio_getline(&line, &size, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			xasprintf(cause, "%s:%u: contains a NUL byte: save it "
			    "as a plain text file", path, lineno);
			goto fail;
		}
		if (lineno == 1)
			fileio_strip_bom(line);
		key = fileio_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			esc = log_escape(key, strlen(key));
			xasprintf(cause, "%s:%u: '%s' is not \"key = value\": "
			    "write it as, for example, \"timeout = 45m\"",
			    path, lineno, esc);
			free(esc);
			goto fail;
		}
		*eq = '\0';
		key = fileio_trim(key);
		value = job_unquote(fileio_trim(eq + 1));
		for (k = 0; k < JOB_NKEYS; k++)
			if (strcmp(key, job_keys[k]) == 0)
				break;
		if (k == JOB_NKEYS) {
			esc = log_escape(key, strlen(key));
			xasprintf(cause, "%s:%u: unknown key '%s': remove it or "
			    "use one of inventory, ca, repoint, unknown-version, "
			    "only-inventory, timeout, dhcp, address, report, "
			    "max-flashes, vlan",
			    path, lineno, esc);
			free(esc);
			goto fail;
		}
		if (seen[k] != 0) {
			xasprintf(cause, "%s:%u: '%s' is given twice (first on "
			    "line %u): keep one", path, lineno, key, seen[k]);
			goto fail;
		}
		seen[k] = lineno;
		if (*value == '\0' || strlen(value) > JOB_VALUE_MAX) {
			xasprintf(cause, "%s:%u: '%s' needs a value (at most "
			    "%d characters)", path, lineno, key, JOB_VALUE_MAX);
			goto fail;
		}
		why = NULL;
		if (job_value(j, k, value, &why) != 0) {
			esc = log_escape(value, strlen(value));
			xasprintf(cause, "%s:%u: %s '%s': %s", path, lineno, key,
			    esc, why);
			free(esc);
			free(why);
			goto fail;
		}
	}
	if (ferror(fp)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (seen[JOB_INVENTORY] == 0) {
		xasprintf(cause, "%s: no 'inventory': name the CSV of the "
		    "phones to recover (for example \"inventory = "
		    "phones.csv\", mac[,model][,label] a line)", path);
		goto fail;
	}
	if (seen[JOB_REPOINT] == 0) {
		xasprintf(cause, "%s: no 'repoint': say where the phones go "
		    "after the upgrade (\"repoint = ztp\" or \"repoint = "
		    "https://prov.example.com/\")", path);
		goto fail;
	}
	if ((j->dhcp_iface != NULL) != (seen[JOB_ADDRESS] != 0)) {
		xasprintf(cause, "%s:%u: 'dhcp = IFACE' and 'address = A/N' "
		    "go together: give both, or \"dhcp = off\" and no "
		    "address", path, seen[JOB_DHCP] != 0 ? seen[JOB_DHCP] :
		    seen[JOB_ADDRESS]);
		goto fail;
	}
	if (j->dhcp_vlan != 0 && j->dhcp_iface == NULL) {
		xasprintf(cause, "%s:%u: 'vlan' needs 'dhcp = IFACE' and "
		    "'address = A/N': DHCP is served on that VLAN of IFACE",
		    path, seen[JOB_VLAN]);
		goto fail;
	}
	free(line);
	fclose(fp);
	return (0);

fail:
	free(line);
	if (fp != NULL)
		fclose(fp);
	job_free(j);
	return (-1);
}

void
job_free(struct job *j)
{
	free(j->path);
	free(j->dir);
	free(j->inventory);
	free(j->ca);
	free(j->repoint);
	free(j->unknown_version);
	free(j->dhcp_iface);
	free(j->dhcp_address);
	free(j->report);
	memset(j, 0, sizeof *j);
}
