/*
 * The transcript: one line per request or event, "<mac> <what>", with no
 * time stamps so that tests can compare exact sequences.  A single phone
 * writes as it goes; a fleet keeps each phone's lines and writes them as a
 * section at the end.  Control and non-ASCII bytes that came from the
 * network are shown as \xNN (a line is always one printable line).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "phonesim.h"

static pthread_mutex_t	sim_transcript_mutex = PTHREAD_MUTEX_INITIALIZER;

void
sim_transcript_lock(void)
{
	pthread_mutex_lock(&sim_transcript_mutex);
}

void
sim_transcript_unlock(void)
{
	pthread_mutex_unlock(&sim_transcript_mutex);
}

void
sim_transcript_line(struct sim_transcript *ts, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *raw;

	va_start(ap, fmt);
	if (vasprintf(&raw, fmt, ap) == -1)
		sim_fatalx("out of memory formatting a string");
	va_end(ap);
	msg = sim_printable(raw);
	free(raw);
	sim_buf_printf(&ts->saved, "%s %s\n", ts->mac, msg);
	if (ts->live != NULL) {
		sim_transcript_lock();
		fprintf(ts->live, "%s %s\n", ts->mac, msg);
		fflush(ts->live);
		sim_transcript_unlock();
	}
	free(msg);
}
