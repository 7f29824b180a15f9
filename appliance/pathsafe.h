/*
 * Names that come from the network (TFTP, HTTP) are checked before any file
 * system call: no "..", no absolute paths, no NUL or control bytes, no
 * backslashes, bounded length; and files are opened beneath a root directory
 * so that a symlink cannot lead out of it (openat2 RESOLVE_BENEATH).
 */
#ifndef ZTP_PATHSAFE_H
#define ZTP_PATHSAFE_H

#include <stddef.h>

#define PATHSAFE_NAME_MAX 255

/* 0 when name (len bytes, may contain NULs) is acceptable; else -1 and *cause. */
int	pathsafe_check(const char *, size_t, char **);

/*
 * Open a regular file for reading beneath rootfd.  Returns the fd, or -1 with
 * *cause and *tftp_error set (1 not found, 2 access) for the caller's protocol.
 */
int	pathsafe_open(int, const char *, int *, char **);

/*
 * 0 when this kernel confines lookups beneath rootfd (openat2 with
 * RESOLVE_BENEATH, Linux 5.6); else -1 and *cause, so that a server can
 * refuse to start rather than refuse every request.
 */
int	pathsafe_probe(int, char **);

#endif
