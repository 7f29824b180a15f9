/*
 * Small files, whole (fileio.h): the one way the appliance replaces a file
 * (settings, CA, report, manifest, certificates, dnsmasq's files) and reads
 * a small one (templates, CA, overrides).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "xmalloc.h"

static int	fileio_sync(int);
static int	fileio_write_all(int, const char *, size_t);
static const char *fileio_error(int);

/* fsync, except in the fuzzer, where it would only slow every run. */
static int
fileio_sync(int fd)
{
#ifdef ZTP_FUZZ
	(void)fd;
	return (0);
#else
	return (fsync(fd));
#endif
}

static int
fileio_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0) {
			errno = EIO;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static const char *
fileio_error(int error)
{
	if (error == ENOSPC || error == EDQUOT)
		return ("the disk is full");
	if (error == EFBIG)
		return ("the file would be too large");
	return (strerror(error));
}

int
fileio_replace(const char *path, const void *data, size_t len, mode_t mode,
    int flags, char **cause)
{
	const int	 oflags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			     O_CLOEXEC;
	char		*tmp, *copy, *step;
	int		 fd, dfd, error;

	/* A name of our own: one left by a dead process with our pid goes. */
	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, oflags, mode)) == -1 && errno == EEXIST &&
	    unlink(tmp) == 0)
		fd = open(tmp, oflags, mode);
	if (fd == -1) {
		error = errno;
		xasprintf(cause, "cannot write %s: %s (while creating %s)",
		    path, fileio_error(error), tmp);
		free(tmp);
		errno = error;
		return (-1);
	}
	step = NULL;
	if (fchmod(fd, mode) == -1)
		step = "setting the mode of";
	else if (fileio_write_all(fd, data, len) == -1)
		step = "writing";
	else if (!(flags & FILEIO_NOSYNC) && fileio_sync(fd) == -1)
		step = "syncing";
	error = errno;
	if (close(fd) == -1 && step == NULL) {
		step = "closing";
		error = errno;
	}
	if (step == NULL && rename(tmp, path) == -1) {
		step = "renaming";
		error = errno;
	}
	if (step != NULL) {
		xasprintf(cause, "cannot write %s: %s (while %s %s; %s is left "
		    "as it was)", path, fileio_error(error), step, tmp, path);
		unlink(tmp);
		free(tmp);
		errno = error;
		return (-1);
	}
	free(tmp);
	if (flags & FILEIO_NOSYNC)
		return (0);

	/* The rename itself must reach the disk. */
	copy = xstrdup(path);
	if ((dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fileio_sync(dfd) == -1) {
		error = errno;
		xasprintf(cause, "%s is written but its folder cannot be "
		    "synced (it may not survive a power cut): %s", path,
		    fileio_error(error));
		if (dfd != -1)
			close(dfd);
		free(copy);
		errno = error;
		return (-1);
	}
	close(dfd);
	free(copy);
	return (0);
}

char *
fileio_read(const char *path, const char *what, size_t max, size_t *len,
    char **cause)
{
	struct stat	 st;
	char		*buf;
	size_t		 have = 0, size;
	ssize_t		 n;
	const char	*sep = " ";
	int		 fd;

	if (what == NULL)
		what = sep = "";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot open %s%s%s: %s", what, sep, path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s%s%s is not a regular file", what, sep,
		    path);
		close(fd);
		return (NULL);
	}
	if ((uintmax_t)st.st_size > max) {
		xasprintf(cause, "%s%s%s is larger than %zu bytes", what, sep,
		    path, max);
		close(fd);
		return (NULL);
	}
	/* Read to the end, not to st_size: the file may be growing. */
	size = (size_t)st.st_size + 1;
	buf = xmalloc(size + 1);
	while (have <= max) {
		if (have == size) {
			size = size * 2 > max + 1 ? max + 1 : size * 2;
			buf = xrealloc(buf, size + 1);
		}
		n = read(fd, buf + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "cannot read %s%s%s: %s", what, sep,
			    path, strerror(errno));
			close(fd);
			free(buf);
			return (NULL);
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (have > max) {
		xasprintf(cause, "%s%s%s is larger than %zu bytes", what, sep,
		    path, max);
		free(buf);
		return (NULL);
	}
	buf[have] = '\0';
	*len = have;
	return (buf);
}

char *
fileio_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

ssize_t
fileio_getline(char **line, size_t *size, FILE *fp)
{
	size_t	len = 0;
	int	c;

	while ((c = getc(fp)) != EOF) {
		if (c == '\n')
			break;
		if (c == '\r') {
			if ((c = getc(fp)) != '\n' && c != EOF)
				ungetc(c, fp);
			c = '\n';
			break;
		}
		if (*line == NULL || len + 2 > *size) {
			*size = *size < 128 ? 128 : *size * 2;
			*line = xrealloc(*line, *size);
		}
		(*line)[len++] = (char)c;
	}
	if (c == EOF && len == 0)
		return (-1);
	if (*line == NULL || len + 1 > *size) {
		*size = len + 1 < 128 ? 128 : len + 1;
		*line = xrealloc(*line, *size);
	}
	(*line)[len] = '\0';
	return ((ssize_t)len);
}

void
fileio_strip_bom(char *line)
{
	if ((unsigned char)line[0] == 0xef && (unsigned char)line[1] == 0xbb &&
	    (unsigned char)line[2] == 0xbf)
		memmove(line, line + 3, strlen(line + 3) + 1);
}
