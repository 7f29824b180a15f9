/*
 * The upload quarantine: see upload.h.  Bytes go to an unnamed O_TMPFILE in
 * the store directory, so an interrupted or refused upload never leaves a
 * file behind; commit links it to the first free name of NAME, NAME.1, ...
 * with linkat(), which fails rather than replace an existing file.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "log.h"
#include "pathsafe.h"
#include "upload.h"
#include "xmalloc.h"

#define UPLOAD_MAX_VERSIONS 100000

struct upload_store {
	char			*dir;
	int			 dirfd;
	enum upload_policy	 policy;
	uint64_t		 max;
};

struct upload {
	struct upload_store	*store;
	char			*base;		/* the final name, no directory */
	int			 fd;
	char			*tmpname;	/* without O_TMPFILE only */
	uint64_t		 bytes;
};

static int	upload_phone_name(const char *);
static int	upload_disk_error(int);
static int	upload_link(struct upload *, const char *);

static int
upload_phone_name(const char *base)
{
	struct ident_name	in;

	ident_classify_name(base, &in);
	return (ident_is_upload_kind(in.kind));
}

static int
upload_disk_error(int error)
{
	return (error == ENOSPC || error == EDQUOT || error == EFBIG);
}

struct upload_store *
upload_store_open(const char *dir, enum upload_policy policy, uint64_t max,
    char **cause)
{
	struct upload_store	*st;
	int			 fd;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		xasprintf(cause, "cannot create upload directory %s: %s", dir,
		    strerror(errno));
		return (NULL);
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot open upload directory %s: %s", dir,
		    strerror(errno));
		return (NULL);
	}
	st = xcalloc(1, sizeof *st);
	st->dir = xstrdup(dir);
	st->dirfd = fd;
	st->policy = policy;
	st->max = max;
	return (st);
}

void
upload_store_free(struct upload_store *st)
{
	if (st == NULL)
		return;
	close(st->dirfd);
	free(st->dir);
	free(st);
}

const char *
upload_store_dir(const struct upload_store *st)
{
	return (st->dir);
}

uint64_t
upload_store_max(const struct upload_store *st)
{
	return (st->max);
}

struct upload *
upload_begin(struct upload_store *st, const char *name, char **cause)
{
	struct upload	*up;
	const char	*base;
	char		*e, tmp[64];
	int		 fd, i;

	if (pathsafe_check(name, strlen(name), cause) != 0)
		return (NULL);
	/* Uploads are kept flat: any directory the client named is dropped. */
	base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	if (st->policy == UPLOAD_PHONE_FILES && !upload_phone_name(base)) {
		e = log_escape(name, strlen(name));
		xasprintf(cause, "'%s' is not a file phones upload (logs, "
		    "override files, directory or call lists)", e);
		free(e);
		return (NULL);
	}
	up = xcalloc(1, sizeof *up);
	up->store = st;
	up->base = xstrdup(base);
	fd = openat(st->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		/* No O_TMPFILE here: a hidden name, removed on abort. */
		for (i = 0; i < 100 && fd == -1; i++) {
			snprintf(tmp, sizeof tmp, ".upload-%ld-%08x",
			    (long)getpid(), (unsigned)random());
			fd = openat(st->dirfd, tmp, O_CREAT | O_EXCL |
			    O_WRONLY | O_CLOEXEC, 0640);
			if (fd == -1 && errno != EEXIST)
				break;
		}
		if (fd != -1)
			up->tmpname = xstrdup(tmp);
	}
	if (fd == -1) {
		xasprintf(cause, "cannot create a file in %s: %s", st->dir,
		    strerror(errno));
		free(up->base);
		free(up);
		return (NULL);
	}
	up->fd = fd;
	return (up);
}

int
upload_write(struct upload *up, const void *buf, size_t len, char **cause)
{
	const char	*p = buf;
	ssize_t		 n;

	if (up->bytes + len > up->store->max) {
		xasprintf(cause, "the upload is over the limit of %llu bytes",
		    (unsigned long long)up->store->max);
		return (-1);
	}
	while (len > 0) {
		n = write(up->fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (upload_disk_error(errno))
				xasprintf(cause, "the disk holding %s is full",
				    up->store->dir);
			else
				xasprintf(cause, "cannot write to %s: %s",
				    up->store->dir, strerror(errno));
			return (-1);
		}
		up->bytes += n;
		p += n;
		len -= n;
	}
	return (0);
}

/* Link the data to name; -1 with errno (EEXIST: try the next name). */
static int
upload_link(struct upload *up, const char *name)
{
	char	proc[64];

	if (up->tmpname != NULL)
		return (linkat(up->store->dirfd, up->tmpname,
		    up->store->dirfd, name, 0));
	if (linkat(up->fd, "", up->store->dirfd, name, AT_EMPTY_PATH) == 0)
		return (0);
	if (errno != ENOENT && errno != EPERM)
		return (-1);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", up->fd);
	return (linkat(AT_FDCWD, proc, up->store->dirfd, name,
	    AT_SYMLINK_FOLLOW));
}

int
upload_commit(struct upload *up, char **stored_path, char **cause)
{
	char	*name = NULL;
	int	 i, rc = -1;

	if (fsync(up->fd) == -1) {
		xasprintf(cause, upload_disk_error(errno) ? "the disk holding "
		    "%s is full" : "cannot write to %s", up->store->dir);
		goto out;
	}
	for (i = 0; i < UPLOAD_MAX_VERSIONS; i++) {
		free(name);
		if (i == 0)
			name = xstrdup(up->base);
		else
			xasprintf(&name, "%s.%d", up->base, i);
		if (upload_link(up, name) == 0)
			break;
		if (errno != EEXIST) {
			xasprintf(cause, "cannot store %s in %s: %s", up->base,
			    up->store->dir, upload_disk_error(errno) ?
			    "the disk is full" : strerror(errno));
			goto out;
		}
	}
	if (i == UPLOAD_MAX_VERSIONS) {
		xasprintf(cause, "%s already has %d versions in %s", up->base,
		    UPLOAD_MAX_VERSIONS, up->store->dir);
		goto out;
	}
	fsync(up->store->dirfd);
	xasprintf(stored_path, "%s/%s", up->store->dir, name);
	rc = 0;
out:
	free(name);
	upload_abort(up);
	return (rc);
}

void
upload_abort(struct upload *up)
{
	if (up == NULL)
		return;
	close(up->fd);
	if (up->tmpname != NULL)
		unlinkat(up->store->dirfd, up->tmpname, 0);
	free(up->tmpname);
	free(up->base);
	free(up);
}

uint64_t
upload_bytes(const struct upload *up)
{
	return (up->bytes);
}
