/*
 * chown(2) follows symbolic links: a service user who can write the state
 * directory could plant state/ca.pem -> /etc/shadow and have root hand
 * /etc/shadow over at the next start.  Here the file is opened with O_PATH
 * | O_NOFOLLOW (a link is opened as itself), checked, and the very inode
 * checked is given away (fchownat with AT_EMPTY_PATH).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "xmalloc.h"

int
handover(const char *path, uid_t uid, gid_t gid, char **cause)
{
	struct stat	 sb;
	const char	*what = NULL;
	int		 fd, rc = -1;

	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISLNK(sb.st_mode))
		what = "a symbolic link";
	else if (S_ISREG(sb.st_mode) && sb.st_nlink != 1)
		what = "a file with more than one link";
	else if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode) &&
	    !S_ISSOCK(sb.st_mode))
		what = "neither a file, a folder nor a socket";
	if (what != NULL) {
		xasprintf(cause, "%s is %s: not handed over", path, what);
		goto out;
	}
	if (sb.st_uid == uid && sb.st_gid == gid) {
		rc = 0;
		goto out;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return (rc);
}
