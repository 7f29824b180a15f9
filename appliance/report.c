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
static json_t	*report_delivered(json_t *, json_t *);
static int	 report_quiet_period(const char *);
static char	*report_claim(json_t *, json_t *, int);
static void	report_csv_field(char **, size_t *, const char *);
static json_t	*report_silent(struct journal *);
static json_t	*report_ignored(struct journal *);
static const char *report_str(json_t *, const char *);
static void	 report_csv_end(char **, size_t *);
static int	 report_incomplete(struct journal *, char **);
static char	*report_write_hint(const char *, int);
static void	 report_csv_closet(char **, size_t *, json_t *);
static void	 report_csv_section(char **, size_t *, json_t *,
		    const char *const [], const char *const []);
static const char *report_ztp(json_t *);
static json_t	*report_part_source(json_t *, json_t *);
static json_t	*report_model_source(json_t *);

struct report_ctx {
	struct journal	*j;
	json_t		*phones;
	int		 quiet;		/* quiet period in force, s, or -1 */
	int		 ca;		/* a CA installed, by the settings */
};

/* What the report claims, and what it cannot know from a closet. */
#define REPORT_ZTP_UNVERIFIED	"not verified from this closet"

/*
 * Every image and trust file a phone read whole: name, protocol, bytes and
 * the SHA-256 of what was answered under that name (the last "content"
 * note at or before the transfer started; null in journals from before
 * those notes).
 */
static json_t *
report_delivered(json_t *transfers, json_t *events)
{
	json_t		*out = json_array(), *t, *e, *sha;
	const char	*name, *value;
	json_int_t	 started;
	size_t		 i, k;

	json_array_foreach(transfers, i, t) {
		name = json_string_value(json_object_get(t, "name"));
		if (name == NULL || json_integer_value(json_object_get(t,
		    "write")) != 0 || json_string_value(json_object_get(t,
		    "outcome")) == NULL || strcmp(json_string_value(
		    json_object_get(t, "outcome")), "completed") != 0)
			continue;
		if (strstr(name, ".sip.ld") == NULL &&
		    strstr(name, "bootrom.ld") == NULL &&
		    strstr(name, "ztp-rescue-") == NULL)
			continue;
		/* Its trust file before it had earned one: nothing given. */
		if (json_string_value(json_object_get(t, "reason")) != NULL &&
		    strcmp(json_string_value(json_object_get(t, "reason")),
		    JOURNAL_PLACEHOLDER_REASON) == 0)
			continue;
		started = json_integer_value(json_object_get(t, "started"));
		sha = json_null();
		json_array_foreach(events, k, e) {
			value = json_string_value(json_object_get(e, "value"));
			if (json_string_value(json_object_get(e, "fact")) ==
			    NULL || strcmp(json_string_value(json_object_get(e,
			    "fact")), "content") != 0 || value == NULL ||
			    json_string_value(json_object_get(e, "evidence")) ==
			    NULL || strcmp(json_string_value(json_object_get(e,
			    "evidence")), name) != 0 ||
			    json_integer_value(json_object_get(e, "ts")) >
			    started || strchr(value, ' ') == NULL)
				continue;
			json_decref(sha);
			sha = json_string(strchr(value, ' ') + 1);
		}
		json_array_append_new(out, json_pack("{s:s, s:O, s:O, s:o}",
		    "name", name, "proto", json_object_get(t, "proto"),
		    "bytes", json_object_get(t, "bytes"), "sha256", sha));
	}
	return (out);
}

/* "quiet-period=120s" from the daemon's settings note, or -1. */
static int
report_quiet_period(const char *settings)
{
	const char	*q;

	if (settings == NULL ||
	    (q = strstr(settings, "quiet-period=")) == NULL)
		return (-1);
	return (atoi(q + strlen("quiet-period=")));
}

/* One sentence that claims only what the journal shows. */
static char *
report_claim(json_t *o, json_t *delivered, int quiet)
{
	const char	*state, *version, *source, *ca, *repoint, *ztp;
	char		*text, *next, *files = xstrdup("");
	json_t		*d;
	size_t		 i;

	state = json_string_value(json_object_get(o, "state"));
	version = json_string_value(json_object_get(o, "version"));
	source = json_string_value(json_object_get(o, "version_source"));
	ca = json_string_value(json_object_get(o, "ca_sha256"));
	repoint = json_string_value(json_object_get(o, "repoint"));
	ztp = json_string_value(json_object_get(o, "ztp_reachability"));
	json_array_foreach(delivered, i, d) {
		xasprintf(&next, "%s%s%s (%lld bytes, sha256 %s)", files,
		    i > 0 ? ", " : "", json_string_value(json_object_get(d,
		    "name")), (long long)json_integer_value(json_object_get(d,
		    "bytes")), json_is_string(json_object_get(d, "sha256")) ?
		    json_string_value(json_object_get(d, "sha256")) :
		    "not recorded");
		free(files);
		files = next;
	}
	xasprintf(&text, "Seen running %s (%s). Delivered: %s. CA sha256 %s. "
	    "Re-point target %s. ZTP reachability %s.",
	    version != NULL ? version : "an unknown version",
	    source != NULL ? source : "no evidence",
	    *files != '\0' ? files : "nothing",
	    ca != NULL ? ca : "not given",
	    repoint != NULL ? repoint : "not sent", ztp != NULL ? ztp :
	    REPORT_ZTP_UNVERIFIED);
	free(files);
	if (state != NULL && strcmp(state, "repointed-quiet") == 0) {
		if (quiet >= 0)
			xasprintf(&next, "%s Repointed-quiet means: re-pointed, "
			    "then no request for the quiet period (%d s); not "
			    "that it registered at ZTP.", text, quiet);
		else
			xasprintf(&next, "%s Repointed-quiet means: re-pointed, "
			    "then no request for the quiet period; not that it "
			    "registered at ZTP.", text);
		free(text);
		text = next;
	}
	if (state != NULL && strcmp(state, "verified") == 0) {
		xasprintf(&next, "%s Verified means: repointed-quiet, and the "
		    "host it was re-pointed to presented a chain its installed "
		    "CA accepts, seen from this closet; not that it registered "
		    "at ZTP.", text);
		free(text);
		text = next;
	}
	return (text);
}

/*
 * Where the part number came from: the phone itself (a "part" fact, when
 * the table has none for its model and it asked for <part>.sip.ld), else
 * the models table for its model; null while no part is known.
 */
static json_t *
report_part_source(json_t *o, json_t *events)
{
	json_t		*e;
	const char	*fact, *said = NULL, *model;
	size_t		 i;

	json_array_foreach(events, i, e) {
		fact = json_string_value(json_object_get(e, "fact"));
		if (fact != NULL && strcmp(fact, "part") == 0)
			said = json_string_value(json_object_get(e,
			    "evidence"));
	}
	if (said != NULL)
		return (json_string(said));
	if (!json_is_string(json_object_get(o, "part")))
		return (json_null());
	model = json_string_value(json_object_get(o, "model"));
	return (json_sprintf("the models table%s%s", model != NULL ?
	    ", for model " : "", model != NULL ? model : ""));
}

/*
 * Where the model came from: the evidence of its last "model" fact (a
 * token the table does not know says "named by the phone only, not
 * verified"), null while none was learnt.
 */
static json_t *
report_model_source(json_t *events)
{
	json_t		*e;
	const char	*fact, *said = NULL;
	size_t		 i;

	json_array_foreach(events, i, e) {
		fact = json_string_value(json_object_get(e, "fact"));
		if (fact != NULL && strcmp(fact, "model") == 0)
			said = json_string_value(json_object_get(e,
			    "evidence"));
	}
	return (said != NULL ? json_string(said) : json_null());
}

/*
 * What the ZTP reachability check said of this phone's CA and target: its
 * last "ztp-reachability" fact, while the phone has stayed repointed-quiet
 * or verified since (a phone given its trust file again, or failed, is
 * not covered by an older check).
 */
static const char *
report_ztp(json_t *events)
{
	json_t		*e;
	const char	*kind, *fact, *to, *said = NULL;
	size_t		 i;

	json_array_foreach(events, i, e) {
		kind = json_string_value(json_object_get(e, "kind"));
		fact = json_string_value(json_object_get(e, "fact"));
		to = json_string_value(json_object_get(e, "to"));
		if (kind != NULL && strcmp(kind, "state") == 0 && (to == NULL ||
		    (strcmp(to, "verified") != 0 &&
		    strcmp(to, "repointed-quiet") != 0)))
			said = NULL;
		else if (fact != NULL && strcmp(fact, "ztp-reachability") == 0)
			said = json_string_value(json_object_get(e, "value"));
	}
	return (said != NULL ? said : REPORT_ZTP_UNVERIFIED);
}

static void
report_add_phone(void *arg, const struct phone *p)
{
	struct report_ctx	*r = arg;
	json_t			*o, *transfers, *events, *delivered;
	char			*claim;
	const char		*next;

	o = fleet_phone_json(NULL, p);
	json_object_del(o, "progress");
	transfers = journal_transfers_json(r->j, p->mac);
	events = journal_events_json(r->j, p->mac);
	delivered = report_delivered(transfers, events);
	json_object_set_new(o, "model_source", report_model_source(events));
	json_object_set_new(o, "part_source", report_part_source(o, events));
	json_object_set_new(o, "delivered", delivered);
	json_object_set_new(o, "quiet_period", r->quiet >= 0 ?
	    json_integer(r->quiet) : json_null());
	json_object_set_new(o, "ztp_reachability",
	    json_string(report_ztp(events)));
	claim = report_claim(o, delivered, r->quiet);
	json_object_set_new(o, "claim", json_string(claim));
	free(claim);
	next = report_next_step(json_string_value(json_object_get(o,
	    "state")), r->ca, json_string_value(json_object_get(o,
	    "repoint")), json_string_value(json_object_get(o, "reason")));
	json_object_set_new(o, "next_step", next != NULL ? json_string(next) :
	    json_null());
	json_object_set_new(o, "transfers", transfers);
	json_object_set_new(o, "events", events);
	json_object_set_new(o, "syslog", journal_syslog_counts_json(r->j,
	    p->mac));
	json_array_append_new(r->phones, o);
}

/*
 * Phones seen on the wire that never asked (the daemon's listener notes a
 * "silent" fact when a phone's reason appears or changes, "asks" when it
 * starts asking): the last reason of each that still holds.  The fact's
 * evidence is {address, model, evidence, reset}; a journal written before
 * that holds the evidence as one sentence.
 */
static json_t *
report_silent(struct journal *j)
{
	json_t		*all, *e, *last, *out, *v, *ev, *o;
	const char	*mac, *key, *value, *text;
	char		*both;
	size_t		 i;

	all = journal_events_json(j, NULL);
	last = json_object();
	for (i = 0; i < json_array_size(all); i++) {
		e = json_array_get(all, i);
		mac = json_string_value(json_object_get(e, "mac"));
		value = json_string_value(json_object_get(e, "fact"));
		if (mac == NULL || *mac == '\0' || value == NULL ||
		    strcmp(value, "silent") != 0)
			continue;
		json_object_set(last, mac, e);
	}
	out = json_array();
	json_object_foreach(last, key, v) {
		value = json_string_value(json_object_get(v, "value"));
		if (value == NULL || strcmp(value, "asks") == 0)
			continue;
		text = json_string_value(json_object_get(v, "evidence"));
		ev = text != NULL ? json_loads(text, 0, NULL) : NULL;
		if (!json_is_object(ev)) {
			json_decref(ev);
			json_array_append_new(out, json_pack("{s:s, s:O, s:s, "
			    "s:s, s:s, s:s, s:s}", "mac", key, "ts",
			    json_object_get(v, "ts"), "reason", value,
			    "evidence", text != NULL ? text : "", "address", "",
			    "model", "", "reset", ""));
			continue;
		}
		/* "evidence" keeps the steps, as it always has. */
		xasprintf(&both, "%s; reset: %s", report_str(ev, "evidence"),
		    report_str(ev, "reset"));
		o = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s}", "mac", key,
		    "ts", json_object_get(v, "ts"), "reason", value, "evidence",
		    both, "address", report_str(ev, "address"), "model",
		    report_str(ev, "model"), "reset", report_str(ev, "reset"));
		free(both);
		json_decref(ev);
		json_array_append_new(out, o);
	}
	json_decref(last);
	json_decref(all);
	return (out);
}

/* Devices the DHCP server did not answer (not Polycom phones). */
static json_t *
report_ignored(struct journal *j)
{
	json_t		*all, *e, *seen, *out, *ev;
	const char	*mac, *fact, *text;
	size_t		 i;

	all = journal_events_json(j, NULL);
	seen = json_object();
	out = json_array();
	for (i = 0; i < json_array_size(all); i++) {
		e = json_array_get(all, i);
		mac = json_string_value(json_object_get(e, "mac"));
		fact = json_string_value(json_object_get(e, "fact"));
		if (mac == NULL || *mac == '\0' || fact == NULL ||
		    strcmp(fact, "ignored") != 0 ||
		    json_object_get(seen, mac) != NULL)
			continue;
		json_object_set_new(seen, mac, json_true());
		text = json_string_value(json_object_get(e, "evidence"));
		ev = text != NULL ? json_loads(text, 0, NULL) : NULL;
		json_array_append_new(out, json_pack("{s:s, s:O, s:s, s:s}",
		    "mac", mac, "ts", json_object_get(e, "ts"), "vendor",
		    report_str(ev, "vendor"), "hostname",
		    report_str(ev, "hostname")));
		json_decref(ev);
	}
	json_decref(seen);
	json_decref(all);
	return (out);
}

/* A string member, or "" when absent. */
static const char *
report_str(json_t *o, const char *key)
{
	const char	*v = json_string_value(json_object_get(o, key));

	return (v != NULL ? v : "");
}

json_t *
report_json(struct journal *j)
{
	struct report_ctx	 r;
	json_t			*root, *notes, *last = NULL, *ztp = NULL, *n;
	json_t			*aside = NULL, *loops = json_array();
	const char		*fact;
	char			 now[32], *cause = NULL;
	size_t			 i;

	r.j = j;
	r.phones = json_array();
	/* The daemon notes its settings when it starts: the last one holds. */
	notes = journal_events_json(j, "");
	for (i = 0; i < json_array_size(notes); i++) {
		n = json_array_get(notes, i);
		fact = json_string_value(json_object_get(n, "fact"));
		if (fact != NULL && strcmp(fact, "settings") == 0)
			last = n;
		else if (fact != NULL && strcmp(fact, "ztp-check") == 0)
			ztp = n;
		else if (fact != NULL && strcmp(fact, "journal-set-aside") == 0)
			aside = n;
		else if (fact != NULL && strcmp(fact, "bootrom-loop") == 0)
			/* Never named itself: no row of its own. */
			json_array_append_new(loops, json_pack("{s:O, s:O, s:O}",
			    "ts", json_object_get(n, "ts"), "ip",
			    json_object_get(n, "value"), "why",
			    json_object_get(n, "evidence")));
	}
	r.quiet = report_quiet_period(last != NULL ? json_string_value(
	    json_object_get(last, "value")) : NULL);
	/* "ca=none" in the settings in force; without a note, say nothing. */
	r.ca = last == NULL || json_string_value(json_object_get(last,
	    "value")) == NULL || strstr(json_string_value(json_object_get(last,
	    "value")), "ca=none;") == NULL;
	if (journal_load_phones(j, report_add_phone, &r, &cause) != 0)
		free(cause);
	fleet_format_time((int64_t)time(NULL) * 1000, now, sizeof now);
	root = json_pack("{s:s, s:s, s:O, s:o, s:o}",
	    "report", "ZTP Rescue recovery report",
	    "generated", now,
	    "settings", last != NULL ? json_object_get(last, "value") :
	    json_null(),
	    "syslog", journal_syslog_counts_json(j, NULL),
	    "phones", r.phones);
	json_object_set_new(root, "silent", report_silent(j));
	json_object_set_new(root, "bootrom_loops", loops);
	/* The daemon started a new journal: the earlier phones are there. */
	json_object_set_new(root, "journal_set_aside", aside != NULL ?
	    json_pack("{s:O, s:O, s:O}", "ts", json_object_get(aside, "ts"),
	    "path", json_object_get(aside, "value"), "why",
	    json_object_get(aside, "evidence")) : json_null());
	/* Read from a damaged journal: what it lost is missing. */
	json_object_set_new(root, "incomplete", journal_read_error(j) != NULL ?
	    json_string(journal_read_error(j)) : json_null());
	json_object_set_new(root, "ignored", report_ignored(j));
	/* The last ZTP reachability check: its sentence and addresses. */
	json_object_set_new(root, "ztp_check", ztp != NULL ? json_pack(
	    "{s:O, s:O, s:O}", "ts", json_object_get(ztp, "ts"), "result",
	    json_object_get(ztp, "value"), "addresses", json_object_get(ztp,
	    "evidence")) : json_null());
	json_decref(notes);
	return (root);
}

static void
report_csv_field(char **buf, size_t *len, const char *s)
{
	FILE	*fp;
	char	*out = NULL;
	size_t	 olen = 0;
	int	 formula;

	fp = open_memstream(&out, &olen);
	fputs(*buf != NULL ? *buf : "", fp);
	if (*buf != NULL && (*buf)[0] != '\0' &&
	    (*buf)[strlen(*buf) - 1] != '\n')
		fputc(',', fp);
	/*
	 * A cell that starts like a formula is one to Excel, which the
	 * report is opened in on Windows, and some cells hold what any host
	 * on the segment says (a DHCP host name, a vendor class): a leading
	 * apostrophe keeps it text (OWASP's "CSV injection" advice).
	 */
	formula = *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
	/* RFC 4180: quote a field that needs it, double the quotes. */
	if (formula || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		if (formula)
			fputc('\'', fp);
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
				    "version_before", "version",
				    "version_source", "target",
				    "ca_sha256", "repoint", "state", "reason",
				    "first_seen", "last_seen", "bytes_served",
				    "quiet_period", "ztp_reachability",
				    "model_source", "part_source", "next_step",
				    NULL };
	json_t			*root, *p, *v, *t;
	char			*buf = NULL, *cell, num[32];
	size_t			 len = 0, i, k;
	int			 c;

	root = report_json(j);
	/*
	 * The journal was set aside at start: the JSON names it, and the
	 * spreadsheet looked whole.  Said first, as INCOMPLETE is.
	 */
	v = json_object_get(root, "journal_set_aside");
	if (json_is_object(v)) {
		xasprintf(&cell, "JOURNAL SET ASIDE: the journal was damaged "
		    "when the daemon started and is kept as %s (%s); the phones "
		    "below are those that could be copied from it and those "
		    "seen since", json_string_value(json_object_get(v, "path")),
		    json_is_string(json_object_get(v, "why")) ?
		    json_string_value(json_object_get(v, "why")) : "?");
		report_csv_field(&buf, &len, cell);
		report_csv_end(&buf, &len);
		free(cell);
	}
	for (c = 0; cols[c] != NULL; c++)
		report_csv_field(&buf, &len, cols[c]);
	report_csv_field(&buf, &len, "delivered");
	report_csv_field(&buf, &len, "transfers");
	report_csv_field(&buf, &len, "plan");
	report_csv_end(&buf, &len);
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
		/* Deliveries in one cell: "name bytes sha256; ..." */
		cell = xstrdup("");
		json_array_foreach(json_object_get(p, "delivered"), k, t) {
			char	*next;

			xasprintf(&next, "%s%s%s %lld %s", cell,
			    k > 0 ? "; " : "",
			    json_string_value(json_object_get(t, "name")),
			    (long long)json_integer_value(json_object_get(t,
			    "bytes")), json_is_string(json_object_get(t,
			    "sha256")) ? json_string_value(json_object_get(t,
			    "sha256")) : "-");
			free(cell);
			cell = next;
		}
		report_csv_field(&buf, &len, cell);
		free(cell);
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
		/* The upgrade plan in one cell: "kind version status; ..." */
		cell = xstrdup("");
		json_array_foreach(json_object_get(p, "plan"), k, t) {
			char	*next;

			xasprintf(&next, "%s%s%s %s %s", cell, k > 0 ? "; " :
			    "", json_string_value(json_object_get(t, "kind")),
			    json_string_value(json_object_get(t, "version")),
			    json_string_value(json_object_get(t, "status")));
			free(cell);
			cell = next;
		}
		report_csv_field(&buf, &len, cell);
		free(cell);
		report_csv_end(&buf, &len);
	}
	report_csv_closet(&buf, &len, root);
	json_decref(root);
	return (buf);
}

static void
report_csv_end(char **buf, size_t *len)
{
	*buf = xrealloc(*buf, *len + 2);
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
}

/*
 * One section after the phones: a blank line, its header, then a row per
 * entry (those fields, then its time, "seen"); nothing when the list is
 * empty (a closet without them reads as it always did).
 */
static void
report_csv_section(char **buf, size_t *len, json_t *list,
    const char *const header[], const char *const fields[])
{
	json_t	*o;
	char	 when[32];
	size_t	 i;
	int	 c;

	if (json_array_size(list) == 0)
		return;
	report_csv_end(buf, len);
	for (c = 0; header[c] != NULL; c++)
		report_csv_field(buf, len, header[c]);
	report_csv_end(buf, len);
	json_array_foreach(list, i, o) {
		for (c = 0; fields[c] != NULL; c++)
			report_csv_field(buf, len, report_str(o, fields[c]));
		fleet_format_time(json_integer_value(json_object_get(o, "ts")),
		    when, sizeof when);
		report_csv_field(buf, len, when);
		report_csv_end(buf, len);
	}
}

/*
 * The phones on the wire that never asked, the devices DHCP did not
 * answer, and the BootROMs that looped before their phone named itself:
 * each a section of its own after the phones (a spreadsheet shows them
 * below the phones).
 */
static void
report_csv_closet(char **buf, size_t *len, json_t *root)
{
	static const char *const silent[] = { "silent_mac", "address",
				    "model", "reason", "evidence", "reset",
				    "seen", NULL };
	static const char *const silent_fields[] = { "mac", "address",
				    "model", "reason", "evidence", "reset",
				    NULL };
	static const char *const ignored[] = { "ignored_mac", "vendor",
				    "hostname", "seen", NULL };
	static const char *const ignored_fields[] = { "mac", "vendor",
				    "hostname", NULL };
	static const char *const loops[] = { "bootrom_loop_address", "why",
				    "seen", NULL };
	static const char *const loops_fields[] = { "ip", "why", NULL };

	report_csv_section(buf, len, json_object_get(root, "silent"), silent,
	    silent_fields);
	report_csv_section(buf, len, json_object_get(root, "ignored"), ignored,
	    ignored_fields);
	report_csv_section(buf, len, json_object_get(root, "bootrom_loops"),
	    loops, loops_fields);
}

int
report_write(struct journal *j, enum report_format fmt, const char *out,
    char **cause)
{
	struct stat	 sb;
	json_t		*root;
	char		*text, *tmp, *why = NULL, *hint;
	int		 rc, error;

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
	/*
	 * A damaged journal reads in part: the report says so in itself
	 * (where it travels) and the caller is told; it would look whole.
	 */
	if (journal_read_error(j) != NULL && fmt == REPORT_CSV) {
		tmp = text;
		xasprintf(&text, "INCOMPLETE: the journal cannot be read whole "
		    "(%s); phones or events it lost are missing below\n%s",
		    journal_read_error(j), tmp);
		free(tmp);
	}
	if (out == NULL) {
		rc = fputs(text, stdout) == EOF || fflush(stdout) != 0 ? -1 : 0;
		if (rc != 0)
			xasprintf(cause, "cannot write the report to standard "
			    "output: %s (is the disk full?)", strerror(errno));
		free(text);
		return (rc != 0 ? rc : report_incomplete(j, cause));
	}
	/*
	 * The report is renamed into place: a device, a pipe or a folder
	 * there would be replaced (as root, /dev/full became a JSON file).
	 */
	if (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "cannot write the report to %s: it is %s, not "
		    "a file: name a file for the report", out,
		    S_ISDIR(sb.st_mode) ? "a folder" : "a device or a pipe");
		free(text);
		return (-1);
	}
	rc = fileio_replace(out, text, strlen(text), 0644, 0, &why);
	error = errno;
	free(text);
	if (rc != 0) {
		hint = report_write_hint(out, error);
		xasprintf(cause, "cannot write the report to %s: %s (%s)", out,
		    strerror(error), hint);
		free(hint);
		free(why);
	}
	return (rc != 0 ? rc : report_incomplete(j, cause));
}

/* What to do about a report that cannot be written to out, by its errno. */
static char *
report_write_hint(const char *out, int error)
{
	struct stat	 sb;
	char		*copy, *hint;

	switch (error) {
	case ENOENT:
	case ENOTDIR:
		copy = xstrdup(out);
		/* /proc/r.csv: the folder is there, no file can be made. */
		if (stat(dirname(copy), &sb) == 0 && S_ISDIR(sb.st_mode))
			xasprintf(&hint, "no file can be made in %s: name a "
			    "folder on the stick", copy);
		else
			xasprintf(&hint, "there is no folder %s: is the stick "
			    "plugged in and mounted there?", copy);
		free(copy);
		return (hint);
	case ENOSPC:
	case EDQUOT:
		return (xstrdup("the stick is full: free space on it, or use "
		    "another"));
	case EROFS:
		return (xstrdup("it is mounted read-only: use a writable "
		    "stick or folder; the appliance mounts sticks other than "
		    "its own read-only and keeps the report on its own, in "
		    "ZTPDATA\\reports"));
	case EACCES:
	case EPERM:
		return (xstrdup("writing there is not allowed: choose "
		    "another folder"));
	case EIO:
		return (xstrdup("the stick fails to write: use another"));
	default:
		return (xstrdup("is the stick full or read-only?"));
	}
}

/* Written, but from a damaged journal: -1 with what to do. */
static int
report_incomplete(struct journal *j, char **cause)
{
	if (journal_read_error(j) == NULL)
		return (0);
	/* A full or read-only disk is no damage: nothing to keep aside. */
	if (journal_disk_problem(journal_dir(j)) != NULL) {
		xasprintf(cause, "the report is INCOMPLETE: the journal cannot "
		    "be read whole here (%s), and what could not be read is "
		    "missing from it", journal_read_error(j));
		return (-1);
	}
	xasprintf(cause, "the report is INCOMPLETE: the journal cannot be "
	    "read whole (%s), and what it lost is missing from it; keep the "
	    "damaged journal.db (copy it off the stick: 'sqlite3 journal.db "
	    ".dump > journal.sql' on any Linux machine writes out every row "
	    "it can still read)",
	    journal_read_error(j));
	return (-1);
}
