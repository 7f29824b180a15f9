/* The report, from the journal. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "fleet.h"
#include "journal.h"
#include "report.h"
#include "xmalloc.h"

static void	report_add_phone(void *, const struct phone *);
static void	report_csv_field(char **, size_t *, const char *);

struct report_ctx {
	struct journal	*j;
	json_t		*phones;
};

static void
report_add_phone(void *arg, const struct phone *p)
{
	struct report_ctx	*r = arg;
	json_t			*o;

	o = fleet_phone_json(NULL, p);
	json_object_del(o, "progress");
	json_object_set_new(o, "transfers", journal_transfers_json(r->j,
	    p->mac));
	json_object_set_new(o, "events", journal_events_json(r->j, p->mac));
	json_object_set_new(o, "syslog", journal_syslog_counts_json(r->j,
	    p->mac));
	json_array_append_new(r->phones, o);
}

json_t *
report_json(struct journal *j)
{
	struct report_ctx	 r;
	json_t			*root, *notes, *last = NULL;
	char			 now[32], *cause = NULL;
	size_t			 i;

	r.j = j;
	r.phones = json_array();
	if (journal_load_phones(j, report_add_phone, &r, &cause) != 0)
		free(cause);
	/* The daemon notes its settings when it starts: the last one holds. */
	notes = journal_events_json(j, "");
	for (i = 0; i < json_array_size(notes); i++)
		last = json_array_get(notes, i);
	fleet_format_time((int64_t)time(NULL) * 1000, now, sizeof now);
	root = json_pack("{s:s, s:s, s:O, s:o, s:o}",
	    "report", "ZTP Rescue recovery report",
	    "generated", now,
	    "settings", last != NULL ? json_object_get(last, "value") :
	    json_null(),
	    "syslog", journal_syslog_counts_json(j, NULL),
	    "phones", r.phones);
	json_decref(notes);
	return (root);
}

static void
report_csv_field(char **buf, size_t *len, const char *s)
{
	FILE	*fp;
	char	*out = NULL;
	size_t	 olen = 0;

	fp = open_memstream(&out, &olen);
	fputs(*buf != NULL ? *buf : "", fp);
	if (*buf != NULL && (*buf)[0] != '\0' &&
	    (*buf)[strlen(*buf) - 1] != '\n')
		fputc(',', fp);
	/* RFC 4180: quote every field that needs it, double the quotes. */
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else
		fputs(s, fp);
	fclose(fp);
	free(*buf);
	*buf = out;
	*len = olen;
}

char *
report_csv(struct journal *j)
{
	static const char	*cols[] = { "mac", "ip", "model", "part",
				    "version_before", "version", "target",
				    "ca_sha256", "repoint", "state", "reason",
				    "first_seen", "last_seen", "bytes_served",
				    NULL };
	json_t			*root, *p, *v, *t;
	char			*buf = NULL, *cell, num[32];
	size_t			 len = 0, i, k;
	int			 c;

	root = report_json(j);
	for (c = 0; cols[c] != NULL; c++)
		report_csv_field(&buf, &len, cols[c]);
	report_csv_field(&buf, &len, "transfers");
	buf = xrealloc(buf, len + 2);
	buf[len++] = '\n';
	buf[len] = '\0';
	json_array_foreach(json_object_get(root, "phones"), i, p) {
		for (c = 0; cols[c] != NULL; c++) {
			v = json_object_get(p, cols[c]);
			if (json_is_string(v))
				report_csv_field(&buf, &len,
				    json_string_value(v));
			else if (json_is_integer(v)) {
				snprintf(num, sizeof num, "%lld",
				    (long long)json_integer_value(v));
				report_csv_field(&buf, &len, num);
			} else
				report_csv_field(&buf, &len, "");
		}
		/* Transfers in one cell: "proto name outcome bytes/total; ..." */
		cell = xstrdup("");
		json_array_foreach(json_object_get(p, "transfers"), k, t) {
			char	*next;

			xasprintf(&next, "%s%s%s %s %s %lld/%lld", cell,
			    k > 0 ? "; " : "",
			    json_string_value(json_object_get(t, "proto")),
			    json_string_value(json_object_get(t, "name")),
			    json_string_value(json_object_get(t, "outcome")),
			    (long long)json_integer_value(json_object_get(t,
			    "bytes")), (long long)json_integer_value(
			    json_object_get(t, "total")));
			free(cell);
			cell = next;
		}
		report_csv_field(&buf, &len, cell);
		free(cell);
		buf = xrealloc(buf, len + 2);
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	json_decref(root);
	return (buf);
}

int
report_write(struct journal *j, enum report_format fmt, const char *out,
    char **cause)
{
	json_t	*root;
	char	*text, *tmp, *why = NULL;
	int	 rc, error;

	if (fmt == REPORT_CSV)
		text = report_csv(j);
	else {
		root = report_json(j);
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(root);
		tmp = text;
		xasprintf(&text, "%s\n", tmp);
		free(tmp);
	}
	if (out == NULL) {
		fputs(text, stdout);
		free(text);
		return (fflush(stdout) == 0 ? 0 : -1);
	}
	rc = fileio_replace(out, text, strlen(text), 0644, 0, &why);
	error = errno;
	free(text);
	if (rc != 0) {
		xasprintf(cause, "cannot write the report to %s: %s (is the "
		    "stick full or read-only?)", out, strerror(error));
		free(why);
	}
	return (rc);
}
