/*
 * Serving a directory read-only: the resolver behind `ztp-rescue tftpd`.
 * Every name is opened beneath the root with pathsafe_open(), so symlinks
 * that lead out of the tree are refused like "..".
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pathsafe.h"
#include "tftp.h"
#include "xmalloc.h"

int
tftp_resolve_dir(void *arg, const struct tftp_request *req,
    struct tftp_content *content, char **cause)
{
	struct tftp_dir_resolver	*dr = arg;
	struct stat			 st;
	int				 fd, code;

	if (req->write) {
		xasprintf(cause, "this directory is served read-only");
		return (TFTP_ERR_ACCESS);
	}
	if ((fd = pathsafe_open(dr->rootfd, req->name, &code, cause)) == -1)
		return (code != 0 ? code : TFTP_ERR_UNDEFINED);
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "cannot read the file: %s", strerror(errno));
		close(fd);
		return (TFTP_ERR_UNDEFINED);
	}
	memset(content, 0, sizeof *content);
	content->fd = fd;
	content->size = st.st_size;
	return (0);
}
