/*
 * Handing a file in the state directory to the service user, as root:
 * chown that never follows a link planted there.
 */
#ifndef ZTP_HANDOVER_H
#define ZTP_HANDOVER_H

#include <sys/types.h>

/*
 * Give path (not what it may point to) to uid:gid.  Only a directory, a
 * socket or a regular file with a single link is handed over; a symbolic
 * link, a second hard link of some other file, a device or a FIFO is left
 * as it is.  Returns 0 when handed over (or already theirs), 1 when path
 * does not exist, -1 with *cause when refused or failed.
 */
int	 handover(const char *, uid_t, gid_t, char **);

#endif
