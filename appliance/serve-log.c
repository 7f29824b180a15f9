/*
 * The daemon's log lines as "log" events for control subscribers (the
 * console's log pane, `ztp-rescue watch`).  A token bucket limits them, so
 * that a storm of lines (a phone hammering a missing file, a flapping
 * dnsmasq) costs the loop no more than a few dozen events a second; lines
 * over the limit stay in the daemon's log, and subscribers are told how
 * many they missed.  Debug lines are not sent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"

/* Lines a second, and how many may come at once. */
#define SERVE_LOG_RATE	50
#define SERVE_LOG_BURST	100

static const char *serve_log_levels[] = { "error", "warn", "info", "debug" };

static void	serve_log_hook(enum log_level, const char *, void *);
static int64_t	serve_log_refill(struct serve *);
static void	serve_log_flush(struct serve *, int64_t);

/* Add the tokens earned since the last time; returns now (monotonic ms). */
static int64_t
serve_log_refill(struct serve *s)
{
	int64_t		now, added;

	now = clock_mono_ms();
	if (s->log_refilled == 0) {
		s->log_refilled = now;
		s->log_tokens = SERVE_LOG_BURST;
		return (now);
	}
	added = (now - s->log_refilled) * SERVE_LOG_RATE / 1000;
	if (added <= 0)
		return (now);
	s->log_tokens += added;
	if (s->log_tokens > SERVE_LOG_BURST)
		s->log_tokens = SERVE_LOG_BURST;
	s->log_refilled = now;
	return (now);
}

/*
 * Tell subscribers how many lines they missed: at most once a second, and
 * only when there is room again.
 */
static void
serve_log_flush(struct serve *s, int64_t now)
{
	char	*text;

	if (s->log_dropped == 0 || s->log_tokens < 1 ||
	    now - s->log_told < 1000)
		return;
	s->log_told = now;
	s->log_tokens--;
	xasprintf(&text, "%llu log line(s) were not sent to control clients "
	    "(more than %d a second): they are in the daemon's log",
	    (unsigned long long)s->log_dropped, SERVE_LOG_RATE);
	control_broadcast(s->control, "log", json_pack("{s:s, s:s, s:I}",
	    "level", "warn", "text", text, "suppressed",
	    (json_int_t)s->log_dropped));
	free(text);
	s->log_dropped = 0;
}

static void
serve_log_hook(enum log_level level, const char *text, void *arg)
{
	struct serve	*s = arg;
	int64_t		 now;

	/* A line logged while broadcasting one is not sent (no recursion). */
	if (level > LOG_LEVEL_INFO || s->control == NULL || s->log_busy)
		return;
	s->log_busy = 1;
	now = serve_log_refill(s);
	serve_log_flush(s, now);
	if (s->log_tokens >= 1) {
		s->log_tokens--;
		control_broadcast(s->control, "log", json_pack("{s:s, s:s}",
		    "level", serve_log_levels[level], "text", text));
	} else
		s->log_dropped++;
	s->log_busy = 0;
}

/* Every second: the count of missed lines goes out even if all is quiet. */
void
serve_log_tick(struct serve *s)
{
	if (s->control == NULL || s->log_busy)
		return;
	s->log_busy = 1;
	serve_log_flush(s, serve_log_refill(s));
	s->log_busy = 0;
}

void
serve_log_start(struct serve *s)
{
	log_set_hook(serve_log_hook, s);
}

void
serve_log_stop(struct serve *s)
{
	log_set_hook(NULL, NULL);
}
