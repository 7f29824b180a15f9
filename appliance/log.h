/*
 * Logging.  One logger for the whole process: stderr in the foreground,
 * a file under the state directory for the daemon; a hook lets the daemon copy
 * lines to its control clients.  fatal()/fatalx() are for programming errors
 * and unrecoverable start-up failures only: user-facing failures are returned
 * to the caller as a cause string (the tmux idiom `char **cause`).
 */
#ifndef ZTP_LOG_H
#define ZTP_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Where lines go: stderr when fp is NULL.  Level: lines above it are dropped. */
void	log_open(FILE *, enum log_level);
void	log_set_level(enum log_level);
enum log_level log_get_level(void);

/* Called for every line that is written (after formatting). */
typedef void (*log_hook_fn)(enum log_level, const char *, void *);
void	log_set_hook(log_hook_fn, void *);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vwrite(enum log_level, const char *, va_list);

/* Log with strerror(errno) appended, then exit(1). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Log, then exit(1). */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escape bytes that come from the network (file names, User-Agents, log
 * lines) before they reach a log, a terminal or a report: printable ASCII
 * stays, backslash becomes "\\", everything else becomes "\xHH" (like
 * OpenBSD's strvis).  Returns a new string.
 */
char	*log_escape(const void *, size_t);

#endif
