/*
 * Checking names from the network and opening them beneath a root: see
 * pathsafe.h.  The string check refuses the obvious forms with a clear
 * message; openat2(RESOLVE_BENEATH) is what actually confines the lookup,
 * symlinks included, so a string filter bug cannot leak a file.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pathsafe.h"
#include "xmalloc.h"

int
pathsafe_check(const char *name, size_t len, char **cause)
{
	const char	*comp, *slash, *end = name + len;
	char		*e;
	size_t		 i, clen;

	if (len == 0) {
		xasprintf(cause, "the file name is empty");
		return (-1);
	}
	if (len > PATHSAFE_NAME_MAX) {
		xasprintf(cause, "the file name is %zu bytes long, over the "
		    "limit of %d", len, PATHSAFE_NAME_MAX);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c == '\0' || c < 0x20 || c == 0x7f || c == '\\') {
			e = log_escape(name, len);
			xasprintf(cause, "the file name '%s' contains %s", e,
			    c == '\0' ? "a NUL byte" : c == '\\' ?
			    "a backslash" : "a control character");
			free(e);
			return (-1);
		}
	}
	if (name[0] == '/') {
		e = log_escape(name, len);
		xasprintf(cause, "the file name '%s' is absolute; names are "
		    "relative to the served directory", e);
		free(e);
		return (-1);
	}
	for (comp = name; comp < end; comp = slash + 1) {
		if ((slash = memchr(comp, '/', end - comp)) == NULL)
			slash = end;
		clen = slash - comp;
		if (clen == 0 || (clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.')) {
			e = log_escape(name, len);
			xasprintf(cause, "the file name '%s' has an empty, '.' "
			    "or '..' component", e);
			free(e);
			return (-1);
		}
		if (slash == end)
			break;
	}
	if (name[len - 1] == '/') {
		e = log_escape(name, len);
		xasprintf(cause, "the file name '%s' ends with a slash", e);
		free(e);
		return (-1);
	}
	return (0);
}

int
pathsafe_probe(int rootfd, char **cause)
{
	struct open_how	 how;
	int		 fd;

	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	if ((fd = syscall(SYS_openat2, rootfd, ".", &how, sizeof how)) == -1) {
		if (errno == ENOSYS)
			xasprintf(cause, "this kernel has no openat2, which "
			    "keeps requested names inside the served "
			    "directory (Linux 5.6 or later is needed; under "
			    "a container, allow the openat2 system call)");
		else
			xasprintf(cause, "openat2: %s", strerror(errno));
		return (-1);
	}
	close(fd);
	return (0);
}

int
pathsafe_open(int rootfd, const char *name, int *tftp_error, char **cause)
{
	struct open_how	 how;
	struct stat	 st;
	char		*e;
	int		 fd, saved;

	if (pathsafe_check(name, strlen(name), cause) != 0) {
		*tftp_error = 2;
		return (-1);
	}
	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rootfd, name, &how, sizeof how);
	if (fd == -1) {
		saved = errno;
		e = log_escape(name, strlen(name));
		switch (saved) {
		case ENOENT:
		case ENOTDIR:
			*tftp_error = 1;
			xasprintf(cause, "'%s' was not found", e);
			break;
		case EXDEV:
			*tftp_error = 2;
			xasprintf(cause, "'%s' leads outside the served "
			    "directory", e);
			break;
		case ELOOP:
			/* A loop, links nested too deep, or a /proc link. */
			*tftp_error = 2;
			xasprintf(cause, "'%s' is a symbolic link that loops or "
			    "nests too deep: check where it points", e);
			break;
		default:
			*tftp_error = 2;
			xasprintf(cause, "'%s' cannot be opened: %s", e,
			    strerror(saved));
			break;
		}
		free(e);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		e = log_escape(name, strlen(name));
		*tftp_error = 2;
		xasprintf(cause, "'%s' is not a regular file", e);
		free(e);
		close(fd);
		return (-1);
	}
	/* Reads are positional; blocking mode is what pread expects. */
	if (fcntl(fd, F_SETFL, 0) == -1) {
		saved = errno;
		close(fd);
		xasprintf(cause, "fcntl: %s", strerror(saved));
		*tftp_error = 0;
		return (-1);
	}
	return (fd);
}
