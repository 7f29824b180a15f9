/*
 * Allocation that never returns NULL: on exhaustion the process logs and
 * exits, so call sites carry no out-of-memory noise (tmux's xmalloc.c).
 */
#ifndef ZTP_XMALLOC_H
#define ZTP_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list);

#endif
