/*
 * An LD_PRELOAD shim for the benchmarks: fsync() and fdatasync() of a file
 * under $SLOW_FSYNC_DIR take $SLOW_FSYNC_MS (default 20) milliseconds longer,
 * as on a slow USB stick.  At exit the number of slowed calls is appended to
 * $SLOW_FSYNC_LOG when set; $SLOW_FSYNC_TRACE names a file that gets the
 * path of every slowed call.  $SLOW_FSYNC_PREFIX instead of $SLOW_FSYNC_DIR
 * slows only the files whose path starts with it (e.g. STATE/journal.db: the
 * journal, its WAL and its rollback journal).  Built by tests/bench/bench-closet.sh:
 *
 *   cc -shared -fPIC -O2 -o slow-fsync.so tests/bench/slow-fsync.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long	slowed;

static int
under_dir(int fd)
{
	const char	*dir = getenv("SLOW_FSYNC_DIR");
	const char	*prefix = getenv("SLOW_FSYNC_PREFIX");
	const char	*trace = getenv("SLOW_FSYNC_TRACE");
	char		 link[64], path[4096];
	ssize_t		 n;
	size_t		 len;
	FILE		*fp;

	if ((dir == NULL || *dir == '\0') && (prefix == NULL || *prefix == '\0'))
		return (0);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return (0);
	path[n] = '\0';
	if (prefix != NULL && *prefix != '\0') {
		if (strncmp(path, prefix, strlen(prefix)) != 0)
			return (0);
	} else {
		len = strlen(dir);
		if (strncmp(path, dir, len) != 0 ||
		    (path[len] != '/' && path[len] != '\0'))
			return (0);
	}
	if (trace != NULL && (fp = fopen(trace, "a")) != NULL) {
		fprintf(fp, "%s\n", path);
		fclose(fp);
	}
	return (1);
}

static void
slow(int fd)
{
	const char	*ms = getenv("SLOW_FSYNC_MS");
	struct timespec	 ts;
	long		 v;

	if (!under_dir(fd))
		return;
	v = ms != NULL ? atol(ms) : 20;
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	__atomic_add_fetch(&slowed, 1, __ATOMIC_RELAXED);
	while (nanosleep(&ts, &ts) != 0)
		;
}

int
fsync(int fd)
{
	static int	(*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	slow(fd);
	return (real(fd));
}

int
fdatasync(int fd)
{
	static int	(*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	slow(fd);
	return (real(fd));
}

__attribute__((destructor)) static void
slow_fsync_report(void)
{
	const char	*log = getenv("SLOW_FSYNC_LOG");
	FILE		*fp;

	if (log == NULL || slowed == 0)
		return;
	if ((fp = fopen(log, "a")) != NULL) {
		fprintf(fp, "%d %lu\n", (int)getpid(), slowed);
		fclose(fp);
	}
}
