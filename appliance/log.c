/* The process logger: see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "log.h"
#include "termsafe.h"
#include "xmalloc.h"

static FILE		*log_fp;
static enum log_level	 log_level = LOG_LEVEL_INFO;
static log_hook_fn	 log_hook;
static void		*log_hook_arg;

static const char *const log_level_names[] = {
	"error", "warn", "info", "debug"
};

void
log_open(FILE *fp, enum log_level level)
{
	log_fp = fp;
	log_level = level;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return (log_level);
}

void
log_set_hook(log_hook_fn fn, void *arg)
{
	log_hook = fn;
	log_hook_arg = arg;
}

void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	FILE		*fp = log_fp != NULL ? log_fp : stderr;
	char		*msg, *raw;
	char		 stamp[32];
	struct timeval	 tv;
	struct tm	 tm;

	if (level > log_level && log_hook == NULL)
		return;
	if (vasprintf(&raw, fmt, ap) == -1)
		return;
	/* Lines go to the journal, tty1 and the serial port: no controls. */
	msg = termsafe(raw, strlen(raw));
	free(raw);
	if (level <= log_level) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(fp, "%s.%03ld %s: %s\n", stamp,
		    (long)(tv.tv_usec / 1000), log_level_names[level], msg);
		fflush(fp);
	}
	if (log_hook != NULL)
		log_hook(level, msg, log_hook_arg);
	free(msg);
}

#define LOG_FUNCTION(name, level)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	ap;					\
							\
	va_start(ap, fmt);				\
	log_vwrite(level, fmt, ap);			\
	va_end(ap);					\
}
LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 saved = errno;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	log_error("fatal: %s: %s", msg != NULL ? msg : fmt, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_escape(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	char			*out, *o;
	size_t			 i;

	o = out = xmalloc(len * 4 + 1);
	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (p[i] >= 0x20 && p[i] < 0x7f)
			*o++ = (char)p[i];
		else
			o += sprintf(o, "\\x%02x", p[i]);
	}
	*o = '\0';
	return (out);
}
