/*
 * How the clients (watch, batch, the console) print what the daemon says:
 * MACs, sizes, durations and one-line events.  Every string the daemon sends
 * may carry bytes a phone put on the wire, so it passes through log_escape()
 * before it reaches a terminal.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "log.h"
#include "xmalloc.h"

static const char *control_first_key(json_t *, const char *const *);

char *
control_text(json_t *obj, const char *key)
{
	json_t		*v = json_object_get(obj, key);
	const char	*s;
	char		*out;

	if (v == NULL || json_is_null(v))
		return (xstrdup("-"));
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s == '\0')
			return (xstrdup("-"));
		return (log_escape(s, json_string_length(v)));
	}
	if (json_is_integer(v)) {
		xasprintf(&out, "%lld", (long long)json_integer_value(v));
		return (out);
	}
	if (json_is_real(v)) {
		xasprintf(&out, "%g", json_real_value(v));
		return (out);
	}
	if (json_is_boolean(v))
		return (xstrdup(json_is_true(v) ? "yes" : "no"));
	s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	out = log_escape(s, strlen(s));
	free((void *)s);
	return (out);
}

/*
 * As control_text(), for a string the daemon made of several lines (one
 * import error per file): each line escaped, the line ends kept, so a
 * message box shows one per line rather than "\x0a" between them.
 */
char *
control_text_lines(json_t *obj, const char *key)
{
	json_t		*v = json_object_get(obj, key);
	const char	*s, *end;
	char		*out, *line, *next;

	if (!json_is_string(v))
		return (control_text(obj, key));
	s = json_string_value(v);
	out = xstrdup("");
	for (;;) {
		end = memchr(s, '\n', json_string_length(v) -
		    (size_t)(s - json_string_value(v)));
		line = log_escape(s, end != NULL ? (size_t)(end - s) :
		    strlen(s));
		xasprintf(&next, "%s%s%s", out, *out != '\0' ? "\n" : "",
		    line);
		free(out);
		free(line);
		out = next;
		if (end == NULL)
			break;
		s = end + 1;
	}
	if (*out == '\0') {
		free(out);
		return (xstrdup("-"));
	}
	return (out);
}

void
control_fmt_bytes(double n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%.0fB", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1fK", n / 1024);
	else if (n < 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1fM", n / (1024 * 1024));
	else
		snprintf(buf, len, "%.1fG", n / (1024.0 * 1024 * 1024));
}

void
control_fmt_duration(long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", secs / 3600,
		    (secs / 60) % 60, secs % 60);
	else
		snprintf(buf, len, "%ld:%02ld", secs / 60, secs % 60);
}

/*
 * Seconds, or numbers with units as people write them: "90", "90s",
 * "30m", "45min", "2h", "1h30m" (units h, m or min, s; each at most once,
 * largest first).  At most a week, more than 0.
 */
int
control_parse_duration(const char *s, long *secs, char **cause)
{
	static const struct {
		const char	*name;
		long		 mult;
	} units[] = { { "h", 3600 }, { "min", 60 }, { "m", 60 }, { "s", 1 } };
	const char	*p = s;
	char		*end;
	unsigned long	 v;
	long		 total = 0, last = 0;
	size_t		 i, n;

	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v > 7 * 24 * 3600)
			goto bad;
		if (*end == '\0' && p == s) {
			total = (long)v;	/* plain seconds */
			p = end;
			break;
		}
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			n = strlen(units[i].name);
			if (strncasecmp(end, units[i].name, n) == 0 &&
			    !isalpha((unsigned char)end[n]))
				break;
		}
		if (i == sizeof units / sizeof units[0] ||
		    (last != 0 && units[i].mult >= last))
			goto bad;
		last = units[i].mult;
		total += (long)v * units[i].mult;
		if (total > 7 * 24 * 3600)
			goto bad;
		p = end + strlen(units[i].name);
	}
	if (total <= 0 || total > 7 * 24 * 3600)
		goto bad;
	*secs = total;
	return (0);
bad:
	xasprintf(cause, "'%s' is not a duration: give seconds, or numbers "
	    "with h, m or s (for example 90s, 30m, 1h30m, 2h; at most a week)",
	    s);
	return (-1);
}

/*
 * The version after the arrow, for status, batch, watch and the console's
 * BEFORE>AFTER: the one it runs once it reached its target (current and
 * on), the one it is being taken to before (its target).  "4.1.4.7430 ->
 * 4.1.4.7430 upgrading" read as an upgrade to the version it already ran.
 * A phone with no target (nothing is served to it) shows the version it
 * runs.
 */
char *
control_phone_after(json_t *ph)
{
	static const char *const reached[] = { "current", "trusting",
	    "repointed", "repointed-quiet", "verified", NULL };
	const char	*state = json_string_value(json_object_get(ph, "state"));
	size_t		 i;

	for (i = 0; state != NULL && reached[i] != NULL; i++) {
		if (strcmp(state, reached[i]) == 0)
			return (control_text(ph, "version"));
	}
	if (json_is_string(json_object_get(ph, "target")))
		return (control_text(ph, "target"));
	return (control_text(ph, "version"));
}

char *
control_format_phone(json_t *ph)
{
	char	*mac, *ip, *model, *before, *after, *state, *reason, *out;

	mac = control_text(ph, "mac");
	ip = control_text(ph, "ip");
	model = control_text(ph, "model");
	before = control_text(ph, "version_before");
	after = control_phone_after(ph);
	state = control_text(ph, "state");
	reason = control_text(ph, "reason");
	xasprintf(&out, "%s %s %s %s -> %s %s%s%s%s", mac, ip, model, before,
	    after, state, strcmp(reason, "-") != 0 ? " (" : "",
	    strcmp(reason, "-") != 0 ? reason : "",
	    strcmp(reason, "-") != 0 ? ")" : "");
	free(mac);
	free(ip);
	free(model);
	free(before);
	free(after);
	free(state);
	free(reason);
	return (out);
}

/*
 * The status document's "counts" as one line, states in the order of the
 * lifecycle, those with no phone left out: "12 phones: 9 repointed-quiet,
 * 1 failed, 2 upgrading".  NULL when there is no phone.
 */
char *
control_format_counts(json_t *counts)
{
	const char	*state;
	json_t		*n;
	json_int_t	 total = 0;
	char		*list = NULL, *tmp, *out;

	json_object_foreach(counts, state, n) {
		if (!json_is_integer(n) || json_integer_value(n) <= 0)
			continue;
		total += json_integer_value(n);
		xasprintf(&tmp, "%s%s%" JSON_INTEGER_FORMAT " %s",
		    list != NULL ? list : "", list != NULL ? ", " : "",
		    json_integer_value(n), state);
		free(list);
		list = tmp;
	}
	if (total == 0)
		return (NULL);
	xasprintf(&out, "%" JSON_INTEGER_FORMAT " phone%s: %s", total,
	    total == 1 ? "" : "s", list);
	free(list);
	return (out);
}

/*
 * A phone on the wire that does not ask, from the status document's
 * "silent" list: what it uses, why, the evidence and its reset steps.
 */
char *
control_format_silent(json_t *sp)
{
	json_t	*rs = json_object_get(sp, "reset");
	char	*mac, *addr, *model, *reason, *evidence, *family, *keys;
	char	*conf, *source, *password, *out;

	mac = control_text(sp, "mac");
	addr = control_text(sp, "address");
	model = control_text(sp, "model");
	reason = control_text(sp, "reason");
	evidence = control_text(sp, "evidence");
	family = control_text(rs, "family");
	keys = control_text(rs, "keys");
	conf = control_text(rs, "confidence");
	source = control_text(rs, "source");
	password = control_text(rs, "password");
	if (strcmp(keys, "-") != 0)
		xasprintf(&out, "silent %s address %s model %s: %s; evidence: "
		    "%s; reset: %s, hold %s while it boots [%s: %s]; %s", mac,
		    addr, model, reason, evidence, family, keys, conf, source,
		    password);
	else
		xasprintf(&out, "silent %s address %s model %s: %s; evidence: "
		    "%s; reset: model unknown (see the field guide for the "
		    "keys); %s", mac, addr, model, reason, evidence, password);
	free(mac);
	free(addr);
	free(model);
	free(reason);
	free(evidence);
	free(family);
	free(keys);
	free(conf);
	free(source);
	free(password);
	return (out);
}

/* A DHCP client that is not a phone, from the "ignored" list. */
char *
control_format_ignored(json_t *ig)
{
	char	*mac, *vendor, *hostname, *out;

	mac = control_text(ig, "mac");
	vendor = control_text(ig, "vendor");
	hostname = control_text(ig, "hostname");
	xasprintf(&out, "ignored %s vendor %s hostname %s: not a Polycom "
	    "phone, no DHCP answer", mac, vendor, hostname);
	free(mac);
	free(vendor);
	free(hostname);
	return (out);
}

static const char *
control_first_key(json_t *obj, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		if (json_object_get(obj, *keys) != NULL)
			return (*keys);
	}
	return (keys[-1]);
}

char *
control_format_event(json_t *ev)
{
	static const char *const status_keys[] = { "status", "state", "kind",
	    NULL };
	static const char *const file_keys[] = { "file", "path", NULL };
	json_t		*t;
	const char	*name;
	char		*out, *a, *b, *c, *d, rate[32], bytes[32], total[32];

	name = json_string_value(json_object_get(ev, "event"));
	if (name == NULL)
		name = "?";
	if (strcmp(name, "phone") == 0) {
		a = control_format_phone(json_object_get(ev, "phone"));
		xasprintf(&out, "phone %s", a);
		free(a);
		return (out);
	}
	if (strcmp(name, "forgotten") == 0) {
		a = control_text(ev, "mac");
		xasprintf(&out, "phone %s forgotten", a);
		free(a);
		return (out);
	}
	if (strcmp(name, "transfer") == 0) {
		t = json_object_get(ev, "transfer");
		a = control_text(t, "mac");
		b = control_text(t, control_first_key(t, file_keys));
		c = control_text(t, control_first_key(t, status_keys));
		d = control_text(t, "proto");
		control_fmt_bytes(json_number_value(json_object_get(t,
		    "bytes")), bytes, sizeof bytes);
		control_fmt_bytes(json_number_value(json_object_get(t,
		    "total")), total, sizeof total);
		control_fmt_bytes(json_number_value(json_object_get(t,
		    "rate")), rate, sizeof rate);
		xasprintf(&out, "transfer %s %s %s %s/%s %s/s%s%s", a, b, c,
		    bytes, total, rate, strcmp(d, "-") != 0 ? " " : "",
		    strcmp(d, "-") != 0 ? d : "");
		free(a);
		free(b);
		free(c);
		free(d);
		return (out);
	}
	if (strcmp(name, "log") == 0) {
		a = control_text(ev, "level");
		b = control_text(ev, "text");
		xasprintf(&out, "log %s %s", a, b);
		free(a);
		free(b);
		return (out);
	}
	if (strcmp(name, "dropped") == 0) {
		xasprintf(&out, "dropped %lld events: this client read too "
		    "slowly", (long long)json_integer_value(json_object_get(ev,
		    "count")));
		return (out);
	}
	a = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
	b = log_escape(a, strlen(a));
	c = log_escape(name, strlen(name));
	xasprintf(&out, "%s %s", c, b);
	free(a);
	free(b);
	free(c);
	return (out);
}
