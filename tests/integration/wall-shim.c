/*
 * LD_PRELOAD shim for tests: CLOCK_REALTIME moved by the number of seconds
 * in the file named by $WALL_SHIM_FILE (re-read each call), as `date -s`
 * would move it, while CLOCK_MONOTONIC goes on.  Built by the suite that
 * uses it (serve-clock.sh).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int	(*real)(clockid_t, struct timespec *);
	const char	*path;
	char		 buf[32];
	ssize_t		 n;
	int		 fd, rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
		    "clock_gettime");
	rc = real(id, ts);
	if (rc != 0 || id != CLOCK_REALTIME ||
	    (path = getenv("WALL_SHIM_FILE")) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (rc);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		ts->tv_sec += strtol(buf, NULL, 10);
	}
	return (rc);
}
