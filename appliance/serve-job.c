/*
 * Library work beside the event loop: an import or a full verification runs
 * as a child process (`ztp-rescue import --progress-json`, `ztp-rescue
 * library verify --json`) so the daemon keeps serving phones for the
 * seconds or minutes it takes.  Its stdout is read with a bufferevent, its
 * progress is broadcast to control subscribers, and when it has exited the
 * library is opened again and swapped in (a transfer in flight holds its
 * own descriptor, so nothing it serves is pulled from under it).  One job
 * runs at a time; later ones wait in order.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "control.h"
#include "library.h"
#include "log.h"
#include "serve.h"
#include "xmalloc.h"

/* A child's line longer than this is not ours: the job is stopped. */
#define SERVE_JOB_LINE_MAX	(64 * 1024)
/* verify prints one document at the end; bigger than this is not ours. */
#define SERVE_JOB_DOC_MAX	(4 * 1024 * 1024)

static const char *serve_job_names[] = { "import", "verify" };

static int	serve_job_spawn(struct serve *, struct serve_job *, char **);
static void	serve_job_read(struct bufferevent *, void *);
static void	serve_job_line(struct serve_job *, const char *);
static void	serve_job_eof(struct bufferevent *, short, void *);
static void	serve_job_reap(evutil_socket_t, short, void *);
static void	serve_job_finish(struct serve_job *, int);
static void	serve_job_finish_import(struct serve_job *, int);
static void	serve_job_finish_verify(struct serve_job *, int, json_t *);
static void	serve_job_next(struct serve *);
static void	serve_job_free(struct serve_job *);
static void	serve_job_event(struct serve_job *, const char *, json_t *);

/* Open the library again and swap it in; the old one stays on failure. */
int
serve_library_reload(struct serve *s, char **cause)
{
	struct library	*lib;

	if ((lib = library_open(s->library->dir, cause)) == NULL)
		return (-1);
	serve_library_swap(s, lib);
	return (0);
}

/* What phones are offered follows; those held for a package are told. */
void
serve_library_swap(struct serve *s, struct library *lib)
{
	library_free(s->library);
	s->library = lib;
	serve_refresh_provision(s);
	serve_package_recheck(s, serve_now());
}

static void
serve_job_event(struct serve_job *j, const char *status, json_t *payload)
{
	if (payload == NULL)
		payload = json_object();
	json_object_set_new(payload, "job", json_integer(j->id));
	json_object_set_new(payload, "status", json_string(status));
	if (j->s->control != NULL)
		control_broadcast(j->s->control, serve_job_names[j->kind],
		    payload);
	else
		json_decref(payload);
}

unsigned int
serve_job_start(struct serve *s, enum serve_job_kind kind, json_t *paths,
    int *queued)
{
	struct serve_job	*j;

	j = xcalloc(1, sizeof *j);
	j->s = s;
	j->id = ++s->last_job;
	j->kind = kind;
	j->pid = -1;
	j->paths = paths != NULL ? json_incref(paths) : json_array();
	*queued = !TAILQ_EMPTY(&s->jobs);
	TAILQ_INSERT_TAIL(&s->jobs, j, entry);
	if (!*queued)
		serve_job_next(s);
	return (j->id);
}

/* Start the job at the head of the queue; a job that cannot start fails. */
static void
serve_job_next(struct serve *s)
{
	struct serve_job	*j;
	char			*cause = NULL;

	while ((j = TAILQ_FIRST(&s->jobs)) != NULL && j->pid == -1) {
		if (serve_job_spawn(s, j, &cause) == 0) {
			serve_job_event(j, "started", json_pack("{s:O}",
			    "paths", j->paths));
			log_info("%s job %u started (pid %ld)",
			    serve_job_names[j->kind], j->id, (long)j->pid);
			return;
		}
		log_warn("%s job %u: %s", serve_job_names[j->kind], j->id,
		    cause);
		serve_job_event(j, "failed", json_pack("{s:s, s:[]}", "error",
		    cause, "imported"));
		free(cause);
		cause = NULL;
		TAILQ_REMOVE(&s->jobs, j, entry);
		serve_job_free(j);
	}
}

static int
serve_job_spawn(struct serve *s, struct serve_job *j, char **cause)
{
	json_t		*v;
	char		**argv;
	size_t		 n = 0, i;
	int		 fds[2], null;

	argv = xcalloc(8 + json_array_size(j->paths), sizeof *argv);
	argv[n++] = xstrdup("ztp-rescue");
	if (j->kind == SERVE_JOB_IMPORT) {
		argv[n++] = xstrdup("import");
		argv[n++] = xstrdup("--library");
		argv[n++] = xstrdup(s->library->dir);
		argv[n++] = xstrdup("--progress-json");
		json_array_foreach(j->paths, i, v)
			argv[n++] = xstrdup(json_string_value(v));
	} else {
		argv[n++] = xstrdup("library");
		argv[n++] = xstrdup("verify");
		argv[n++] = xstrdup("--library");
		argv[n++] = xstrdup(s->library->dir);
		argv[n++] = xstrdup("--json");
	}
	argv[n] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		xasprintf(cause, "cannot make a pipe for it: %s",
		    strerror(errno));
		goto out;
	}
	if ((j->pid = fork()) == -1) {
		xasprintf(cause, "cannot start a process: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (j->pid == 0) {
		/*
		 * stdout to us, stdin empty, stderr shared: the daemon's log.
		 * The network capabilities kept for DHCP (serve.c) are not
		 * for a process that reads archives from a stick.
		 */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (dup2(fds[1], STDOUT_FILENO) == -1 ||
		    (null = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(null, STDIN_FILENO) == -1)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execv(s->self_exe, argv);
		_exit(127);
	}
	close(fds[1]);
	evutil_make_socket_nonblocking(fds[0]);
	j->bev = bufferevent_socket_new(s->base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(j->bev, serve_job_read, NULL, serve_job_eof, j);
	bufferevent_enable(j->bev, EV_READ);
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return (j->pid == -1 ? -1 : 0);
}

static void
serve_job_line(struct serve_job *j, const char *line)
{
	json_t		*obj, *what;
	const char	*note;
	char		*esc;

	if ((obj = json_loads(line, 0, NULL)) == NULL || !json_is_object(obj)) {
		json_decref(obj);
		esc = log_escape(line, strlen(line));
		log_warn("import job %u said something else: %s", j->id, esc);
		free(esc);
		return;
	}
	if ((what = json_object_get(obj, "what")) != NULL) {
		j->done = json_integer_value(json_object_get(obj, "done"));
		j->total = json_integer_value(json_object_get(obj, "total"));
		serve_job_event(j, "progress", json_pack("{s:O, s:O, s:O}",
		    "what", what, "done", json_object_get(obj, "done"),
		    "total", json_object_get(obj, "total")));
	} else if ((note = json_string_value(json_object_get(obj, "note"))) !=
	    NULL) {
		esc = log_escape(note, strlen(note));
		log_info("import job %u: %s", j->id, esc);
		free(esc);
	} else if (json_object_get(obj, "imported") != NULL) {
		json_decref(j->final);
		j->final = json_incref(obj);
	}
	json_decref(obj);
}

static void
serve_job_read(struct bufferevent *bev, void *arg)
{
	struct serve_job	*j = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	if (j->kind == SERVE_JOB_VERIFY) {
		/* One document, parsed at the end. */
		if (evbuffer_get_length(in) > SERVE_JOB_DOC_MAX) {
			log_warn("verify job %u: its output is too long",
			    j->id);
			kill(j->pid, SIGTERM);
			evbuffer_drain(in, evbuffer_get_length(in));
		}
		return;
	}
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		serve_job_line(j, line);
		free(line);
	}
	if (evbuffer_get_length(in) > SERVE_JOB_LINE_MAX) {
		log_warn("import job %u: a line longer than %d bytes", j->id,
		    SERVE_JOB_LINE_MAX);
		kill(j->pid, SIGTERM);
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

/* Its stdout closed: it is exiting.  Reap it without blocking the loop. */
static void
serve_job_eof(struct bufferevent *bev, short what, void *arg)
{
	struct serve_job	*j = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct timeval		 tv = { 0, 0 };
	size_t			 len;

	if (j->kind == SERVE_JOB_VERIFY) {
		len = evbuffer_get_length(in);
		j->doc = xmalloc(len + 1);
		evbuffer_remove(in, j->doc, len);
		j->doc[len] = '\0';
	}
	bufferevent_free(j->bev);
	j->bev = NULL;
	j->reap = evtimer_new(j->s->base, serve_job_reap, j);
	evtimer_add(j->reap, &tv);
}

static void
serve_job_reap(evutil_socket_t fd, short events, void *arg)
{
	struct serve_job	*j = arg;
	struct timeval		 tv = { 0, 20 * 1000 };
	pid_t			 r;
	int			 status;

	r = waitpid(j->pid, &status, WNOHANG);
	if (r == 0) {
		evtimer_add(j->reap, &tv);
		return;
	}
	if (r == -1)
		status = -1;
	j->pid = -2;	/* gone */
	serve_job_finish(j, status);
}

static void
serve_job_finish(struct serve_job *j, int status)
{
	struct serve	*s = j->s;
	json_t		*doc = NULL;
	char		*cause = NULL;

	if (serve_library_reload(s, &cause) != 0) {
		log_warn("the library could not be opened again after %s job "
		    "%u: %s", serve_job_names[j->kind], j->id, cause);
		free(cause);
	}
	if (j->kind == SERVE_JOB_IMPORT)
		serve_job_finish_import(j, status);
	else {
		if (j->doc != NULL)
			doc = json_loads(j->doc, 0, NULL);
		serve_job_finish_verify(j, status, doc);
		json_decref(doc);
	}
	TAILQ_REMOVE(&s->jobs, j, entry);
	serve_job_free(j);
	serve_job_next(s);
}

static void
serve_job_finish_import(struct serve_job *j, int status)
{
	json_t		*imported, *error, *present;
	char		*why;

	imported = j->final != NULL ? json_object_get(j->final, "imported") :
	    NULL;
	/* Packages found already in the library: named, not "0 imported". */
	present = j->final != NULL ? json_object_get(j->final, "present") :
	    NULL;
	if (!json_is_array(present))
		present = NULL;
	error = j->final != NULL ? json_object_get(j->final, "error") : NULL;
	if (j->final != NULL && error == NULL && json_is_array(imported) &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("import job %u done: %zu package(s) imported, %zu in "
		    "the library", j->id, json_array_size(imported),
		    j->s->library->npackages);
		serve_job_event(j, "done", json_pack("{s:O, s:o, s:I}",
		    "imported", imported, "present", present != NULL ?
		    json_incref(present) : json_array(), "packages",
		    (json_int_t)j->s->library->npackages));
		return;
	}
	if (json_is_string(error))
		why = xstrdup(json_string_value(error));
	else if (WIFSIGNALED(status))
		xasprintf(&why, "the import was stopped by signal %d",
		    WTERMSIG(status));
	else if (status == -1)
		why = xstrdup("the import process was lost");
	else
		xasprintf(&why, "the import stopped with status %d before "
		    "it said how it went", WEXITSTATUS(status));
	log_warn("import job %u failed: %s", j->id, why);
	serve_job_event(j, "failed", json_pack("{s:s, s:o, s:o, s:I}", "error",
	    why, "imported", json_is_array(imported) ? json_incref(imported) :
	    json_array(), "present", present != NULL ? json_incref(present) :
	    json_array(), "packages", (json_int_t)j->s->library->npackages));
	free(why);
}

static void
serve_job_finish_verify(struct serve_job *j, int status, json_t *doc)
{
	struct serve	*s = j->s;
	json_t		*packages, *p, *list;
	const char	*id, *damage;
	char		*e1, *e2;
	size_t		 i, k;
	int		 damaged;

	packages = doc != NULL ? json_object_get(doc, "packages") : NULL;
	if (!json_is_array(packages) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1) {
		log_warn("library verification (job %u) did not finish: "
		    "status %d", j->id, status);
		serve_job_event(j, "failed", json_pack("{s:s}", "error",
		    "the verification did not finish (see the daemon's log)"));
		return;
	}
	damaged = (int)json_integer_value(json_object_get(doc, "damaged"));
	list = json_array();
	json_array_foreach(packages, i, p) {
		id = json_string_value(json_object_get(p, "id"));
		damage = json_string_value(json_object_get(p, "damage"));
		if (id == NULL || damage == NULL)
			continue;
		/*
		 * The child marks the manifest too, but may not be allowed to
		 * (a library owned by root, the daemon running as --user):
		 * the mark is set here, in the library just reopened.
		 */
		for (k = 0; k < s->library->npackages; k++) {
			if (strcmp(s->library->packages[k].id, id) == 0 &&
			    s->library->packages[k].damage == NULL)
				s->library->packages[k].damage =
				    xstrdup(damage);
		}
		e1 = log_escape(id, strlen(id));
		e2 = log_escape(damage, strlen(damage));
		log_warn("library: package %s is damaged and is not served: "
		    "%s", e1, e2);
		free(e1);
		free(e2);
		json_array_append_new(list, json_pack("{s:s, s:s}", "id", id,
		    "damage", damage));
	}
	serve_refresh_provision(s);
	log_info("library verified: %zu package(s), %d damaged",
	    json_array_size(packages), damaged);
	serve_job_event(j, "done", json_pack("{s:I, s:i, s:o}", "packages",
	    (json_int_t)json_array_size(packages), "damaged", damaged,
	    "damage", list));
}

static void
serve_job_free(struct serve_job *j)
{
	if (j->bev != NULL)
		bufferevent_free(j->bev);
	if (j->reap != NULL)
		event_free(j->reap);
	json_decref(j->paths);
	json_decref(j->final);
	free(j->doc);
	free(j);
}

/* At exit: stop every child (an import leaves only a temporary folder). */
void
serve_jobs_free(struct serve *s)
{
	struct serve_job	*j;
	int			 status;

	while ((j = TAILQ_FIRST(&s->jobs)) != NULL) {
		if (j->pid > 0) {
			kill(j->pid, SIGTERM);
			waitpid(j->pid, &status, 0);
		}
		TAILQ_REMOVE(&s->jobs, j, entry);
		serve_job_free(j);
	}
}

/* The running and waiting jobs, for the status document. */
json_t *
serve_jobs_json(struct serve *s)
{
	struct serve_job	*j;
	json_t			*list = json_array();

	TAILQ_FOREACH(j, &s->jobs, entry) {
		json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:I, "
		    "s:I}", "job", (int)j->id, "kind", serve_job_names[j->kind],
		    "state", j->pid > 0 ? "running" : "waiting",
		    "done", (json_int_t)j->done, "total", (json_int_t)j->total));
	}
	return (list);
}
