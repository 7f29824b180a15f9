/*
 * Connecting to the daemon, and starting it when nobody answers, as tmux's
 * client_connect() does: try to connect; on ENOENT or ECONNREFUSED take a
 * lock beside the socket, try once more (another client may have started the
 * daemon meanwhile), then remove the stale socket, start `ztp-rescue serve`
 * in its own session and wait for its socket, still holding the lock.  Two
 * clients starting at once therefore start exactly one daemon.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "xmalloc.h"

#define CONTROL_LOG_NAME "serve.log"

static int	control_mkdirs(const char *, char **);
static pid_t	control_spawn(char *const *, const char *, char **);
static int	control_wait_socket(const char *, pid_t, const char *,
		    char **);
static char	*control_log_tail(const char *);

char **
control_serve_argv(const char *state_dir)
{
	char		**argv;
	const char	 *env;
	char		  exe[PATH_MAX];
	ssize_t		  n;

	argv = xcalloc(6, sizeof *argv);
	env = getenv(CONTROL_SERVE_ENV);
	if (env != NULL && *env != '\0') {
		argv[0] = xstrdup("/bin/sh");
		argv[1] = xstrdup("-c");
		argv[2] = xstrdup(env);
		argv[3] = xstrdup("ztp-rescue-serve");
		argv[4] = xstrdup(state_dir);
		return (argv);
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		snprintf(exe, sizeof exe, "ztp-rescue");
	else
		exe[n] = '\0';
	argv[0] = xstrdup(exe);
	argv[1] = xstrdup("serve");
	argv[2] = xstrdup("--state");
	argv[3] = xstrdup(state_dir);
	return (argv);
}

void
control_serve_argv_free(char **argv)
{
	char	**p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

struct control_client *
control_open(const char *state_dir, int autostart, char **cause)
{
	struct control_client	 *cl;
	char			**argv = NULL;

	if (autostart)
		argv = control_serve_argv(state_dir);
	cl = control_connect(state_dir, argv, cause);
	control_serve_argv_free(argv);
	return (cl);
}

struct control_client *
control_connect(const char *state_dir, char *const *serve_argv, char **cause)
{
	char	*path, *lock;
	int	 fd, lockfd, saved;
	pid_t	 pid;

	xasprintf(&path, "%s/%s", state_dir, CONTROL_SOCKET_NAME);
	if ((fd = control_connect_path(path)) != -1)
		goto connected;
	saved = errno;
	if (saved != ENOENT && saved != ECONNREFUSED) {
		xasprintf(cause, "cannot connect to the daemon at %s: %s",
		    path, strerror(saved));
		goto fail;
	}
	if (serve_argv == NULL) {
		if (saved == ENOENT)
			xasprintf(cause, "no daemon is running for %s (no "
			    "%s): start one with 'ztp-rescue serve --state "
			    "%s'", state_dir, path, state_dir);
		else
			xasprintf(cause, "the daemon of %s is not running "
			    "(%s is stale): start one with 'ztp-rescue serve "
			    "--state %s'", state_dir, path, state_dir);
		goto fail;
	}

	if (control_mkdirs(state_dir, cause) != 0)
		goto fail;
	xasprintf(&lock, "%s/%s", state_dir, CONTROL_LOCK_NAME);
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd == -1) {
		xasprintf(cause, "cannot open the lock %s: %s", lock,
		    strerror(errno));
		free(lock);
		goto fail;
	}
	free(lock);
	while (flock(lockfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			xasprintf(cause, "cannot lock %s/%s: %s", state_dir,
			    CONTROL_LOCK_NAME, strerror(errno));
			close(lockfd);
			goto fail;
		}
	}
	/* Somebody may have started it while we waited for the lock. */
	if ((fd = control_connect_path(path)) != -1) {
		close(lockfd);
		goto connected;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "cannot remove the stale socket %s: %s", path,
		    strerror(errno));
		close(lockfd);
		goto fail;
	}
	if ((pid = control_spawn(serve_argv, state_dir, cause)) == -1) {
		close(lockfd);
		goto fail;
	}
	fd = control_wait_socket(path, pid, state_dir, cause);
	close(lockfd);
	if (fd == -1)
		goto fail;

connected:
	free(path);
	return (control_client_new_fd(fd));

fail:
	free(path);
	return (NULL);
}

/* mkdir -p with owner-only permissions for what we create. */
static int
control_mkdirs(const char *dir, char **cause)
{
	char	*copy, *p;
	int	 last;

	copy = xstrdup(dir);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/' && p[1] == '/')
			continue;
		last = (*p == '\0');
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			xasprintf(cause, "cannot create the state directory "
			    "%s: %s", copy, strerror(errno));
			free(copy);
			return (-1);
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return (0);
}

/*
 * Start the daemon in its own session (a closing terminal must not take it
 * along), with its output in STATE/serve.log.
 */
static pid_t
control_spawn(char *const *argv, const char *state_dir, char **cause)
{
	char	*log;
	pid_t	 pid;
	int	 fd, logfd;

	xasprintf(&log, "%s/%s", state_dir, CONTROL_LOG_NAME);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd == -1) {
		xasprintf(cause, "cannot open %s: %s", log, strerror(errno));
		free(log);
		return (-1);
	}
	free(log);
	switch (pid = fork()) {
	case -1:
		xasprintf(cause, "cannot start the daemon: fork: %s",
		    strerror(errno));
		close(logfd);
		return (-1);
	case 0:
		setsid();
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(logfd);
	return (pid);
}

/* The last line of the daemon's log, to say why it did not start. */
static char *
control_log_tail(const char *state_dir)
{
	char	*path, *line = NULL, buf[1024];
	FILE	*fp;

	xasprintf(&path, "%s/%s", state_dir, CONTROL_LOG_NAME);
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return (xstrdup(""));
	while (fgets(buf, sizeof buf, fp) != NULL) {
		if (buf[0] == '\n')
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		free(line);
		line = xstrdup(buf);
	}
	fclose(fp);
	return (line != NULL ? line : xstrdup(""));
}

static int
control_wait_socket(const char *path, pid_t pid, const char *state_dir,
    char **cause)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	char		*tail;
	int		 fd, i, status, alive = 1;

	for (i = 0; i < CONTROL_AUTOSTART_MS / 20; i++) {
		if ((fd = control_connect_path(path)) != -1)
			return (fd);
		/* serve may fork into the background itself: exit 0 is fine. */
		if (alive && waitpid(pid, &status, WNOHANG) == pid) {
			alive = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				tail = control_log_tail(state_dir);
				xasprintf(cause, "the daemon did not start "
				    "(exit status %d)%s%s; see %s/%s",
				    WIFEXITED(status) ? WEXITSTATUS(status) :
				    128 + WTERMSIG(status), *tail != '\0' ?
				    ": " : "", tail, state_dir,
				    CONTROL_LOG_NAME);
				free(tail);
				return (-1);
			}
		}
		nanosleep(&ts, NULL);
	}
	tail = control_log_tail(state_dir);
	xasprintf(cause, "started the daemon but %s did not appear within "
	    "%d s%s%s; see %s/%s", path, CONTROL_AUTOSTART_MS / 1000,
	    *tail != '\0' ? ": " : "", tail, state_dir, CONTROL_LOG_NAME);
	free(tail);
	return (-1);
}
