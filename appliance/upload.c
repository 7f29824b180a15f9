/*
 * The upload quarantine: see upload.h.  Bytes go to an unnamed O_TMPFILE in
 * the store directory, so an interrupted or refused upload never leaves a
 * file behind; commit links it to the first free name of NAME, NAME.1, ...
 * with linkat(), which fails rather than replace an existing file.
 *
 * The directory is read once when the store opens: the bytes each phone has
 * stored (for the quotas) and the next free version of each name, kept in a
 * small hash table, so committing costs one linkat() rather than a probe of
 * every earlier version.
 *
 * The fsyncs run in a thread beside the loop (on a USB stick each costs
 * 5-50 ms): commit links the written file to its name and hands its
 * descriptor to the thread, which fsyncs every file handed since it last
 * woke, then the folder once for all of them.  A linked file is whole (its
 * bytes were written before the link), so a killed daemon leaves it whole;
 * a power cut can take the files the thread has not reached yet.
 * upload_store_settle_upto() waits for the thread: the journal calls it
 * before it fsyncs its WAL when a fact names an upload, so no fsynced fact
 * names an upload that is not.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
/* Names tried past the expected next version (another writer's files). */
#define UPLOAD_LINK_TRIES	64
/* The free space is looked at again after this many bytes. */
#define UPLOAD_STATFS_EVERY	(1024 * 1024)

/* A name's next free version, or a phone's bytes: one table for both. */
struct upload_entry {
	struct upload_entry	*next;
	char			*key;		/* "n<name>" or "p<mac>" */
	unsigned		 version;	/* next free version of a name */
	uint64_t		 bytes;		/* charged to a phone */
};

struct upload_store {
	char			*dir;
	int			 dirfd;
	enum upload_policy	 policy;
	uint64_t		 max;
	struct upload_limits	 limits;
	uint64_t		 used;		/* charged in all */
	struct upload_entry	**table;
	size_t			 nbuckets;
	size_t			 nentries;

	/* The syncer thread; everything below is under mu. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* to the thread */
	pthread_cond_t		 done;		/* from it */
	pthread_t		 syncer;
	int			 syncer_on;
	int			 syncer_stop;
	int			*queue;		/* descriptors to fsync */
	size_t			 nqueue;
	size_t			 queue_size;
	uint64_t		 linked;	/* files handed to the thread */
	uint64_t		 durable;	/* of those, fsynced with the folder */
	struct upload_sync_stats stats;
};

struct upload {
	struct upload_store	*store;
	char			*base;		/* the final name, no directory */
	struct upload_entry	*phone;		/* NULL: no MAC in the name */
	int			 fd;
	char			*tmpname;	/* without O_TMPFILE only */
	uint64_t		 bytes;
	uint64_t		 charged;	/* to the quotas */
	uint64_t		 statfs_at;	/* bytes when space was checked */
	int			 no_room;	/* last refusal: all uploads' room */
};

static struct upload_entry *upload_entry(struct upload_store *, char,
		    const char *, size_t);
static void	upload_scan(struct upload_store *);
static void	upload_note_file(struct upload_store *, const char *,
		    uint64_t);
static struct upload_entry *upload_phone_of(struct upload_store *,
		    const char *);
static int	upload_charge(struct upload *, uint64_t, char **);
static int	upload_space(struct upload *, size_t, char **);

static int	upload_phone_name(const char *);
static int	upload_disk_error(int);
static int	upload_link(struct upload *, const char *);

static uint32_t
upload_hash(char kind, const char *key, size_t len)
{
	uint32_t	h = 2166136261u ^ (uint8_t)kind;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * 16777619u;
	return (h);
}

/* The entry for key (created if missing). */
static struct upload_entry *
upload_entry(struct upload_store *st, char kind, const char *key, size_t len)
{
	struct upload_entry	*e, **old, *next;
	size_t			 i, oldn;
	uint32_t		 h;

	h = upload_hash(kind, key, len);
	for (e = st->table[h & (st->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->key[0] == kind && strlen(e->key + 1) == len &&
		    memcmp(e->key + 1, key, len) == 0)
			return (e);
	}
	if (st->nentries >= st->nbuckets) {
		old = st->table;
		oldn = st->nbuckets;
		st->nbuckets *= 2;
		st->table = xcalloc(st->nbuckets, sizeof *st->table);
		for (i = 0; i < oldn; i++) {
			for (e = old[i]; e != NULL; e = next) {
				next = e->next;
				h = upload_hash(e->key[0], e->key + 1,
				    strlen(e->key + 1)) & (st->nbuckets - 1);
				e->next = st->table[h];
				st->table[h] = e;
			}
		}
		free(old);
		h = upload_hash(kind, key, len);
	}
	e = xcalloc(1, sizeof *e);
	e->key = xmalloc(len + 2);
	e->key[0] = kind;
	memcpy(e->key + 1, key, len);
	e->key[len + 1] = '\0';
	e->next = st->table[h & (st->nbuckets - 1)];
	st->table[h & (st->nbuckets - 1)] = e;
	st->nentries++;
	return (e);
}

/* The phone a (base) name belongs to, NULL if it names none. */
static struct upload_entry *
upload_phone_of(struct upload_store *st, const char *base)
{
	struct ident_name	in;

	ident_classify_name(base, &in);
	if (in.mac[0] == '\0')
		return (NULL);
	return (upload_entry(st, 'p', in.mac, strlen(in.mac)));
}

/* A stored file: its bytes to its phone, its version to its name. */
static void
upload_note_file(struct upload_store *st, const char *name, uint64_t size)
{
	struct upload_entry	*e;
	const char		*dot = strrchr(name, '.'), *p;
	char			*base;
	unsigned long		 v = 0;
	size_t			 len = strlen(name);

	if (size < UPLOAD_MIN_CHARGE)
		size = UPLOAD_MIN_CHARGE;
	st->used += size;
	/* NAME.N: N is a version when it is all digits. */
	if (dot != NULL && dot[1] != '\0' && dot[1] != '0') {
		for (p = dot + 1; *p != '\0' && isdigit((u_char)*p); p++)
			;
		if (*p == '\0' && strlen(dot + 1) <= 6) {
			v = strtoul(dot + 1, NULL, 10);
			len = dot - name;
		}
	}
	base = xstrndup(name, len);
	if ((e = upload_phone_of(st, base)) != NULL)
		e->bytes += size;
	e = upload_entry(st, 'n', base, len);
	if (e->version < v + 1)
		e->version = v + 1;
	free(base);
}

/* Read the directory once: what is stored, and each name's next version. */
static void
upload_scan(struct upload_store *st)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	int		 fd;

	if ((fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", a temporary .upload-* */
		if (fstatat(st->dirfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
			continue;
		upload_note_file(st, de->d_name, sb.st_size);
	}
	closedir(d);
}

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

/*
 * The syncer thread: fsync every file handed to it, then the folder once,
 * then say how far that reaches.  At stop it drains the queue first.
 */
static void *
upload_syncer(void *arg)
{
	struct upload_store	*st = arg;
	int			*fds;
	size_t			 n, i;
	uint64_t		 upto, failed;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (st->nqueue == 0 && !st->syncer_stop)
			pthread_cond_wait(&st->work, &st->mu);
		if (st->nqueue == 0)
			break;		/* stopped, nothing left */
		fds = st->queue;
		n = st->nqueue;
		upto = st->linked;
		st->queue = NULL;
		st->nqueue = st->queue_size = 0;
		pthread_mutex_unlock(&st->mu);

		failed = 0;
		for (i = 0; i < n; i++) {
			if (fsync(fds[i]) == -1)
				failed++;
			close(fds[i]);
		}
		free(fds);
		if (fsync(st->dirfd) == -1)
			failed++;

		pthread_mutex_lock(&st->mu);
		st->stats.files += n;
		st->stats.folders++;
		st->stats.failed += failed;
		st->durable = upto;
		pthread_cond_broadcast(&st->done);
	}
	pthread_mutex_unlock(&st->mu);
	return (NULL);
}

/* Hand a linked file's descriptor to the thread (fsync here without it). */
static void
upload_sync_later(struct upload_store *st, int fd)
{
	int	failed = 0;

	if (!st->syncer_on && !st->syncer_stop) {
		if (pthread_create(&st->syncer, NULL, upload_syncer, st) == 0)
			st->syncer_on = 1;
		else {
			log_warn("uploads: no thread for the fsyncs, they run "
			    "in the loop");
			st->syncer_stop = 1;	/* do not try again */
		}
	}
	if (!st->syncer_on) {
		failed += fsync(fd) == -1;
		close(fd);
		failed += fsync(st->dirfd) == -1;
		pthread_mutex_lock(&st->mu);
		st->stats.files++;
		st->stats.folders++;
		st->stats.failed += failed;
		st->durable = ++st->linked;
		pthread_mutex_unlock(&st->mu);
		return;
	}
	pthread_mutex_lock(&st->mu);
	if (st->nqueue == st->queue_size) {
		st->queue_size = st->queue_size == 0 ? 16 : st->queue_size * 2;
		st->queue = xreallocarray(st->queue, st->queue_size,
		    sizeof *st->queue);
	}
	st->queue[st->nqueue++] = fd;
	st->linked++;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->mu);
}

void
upload_store_settle_upto(struct upload_store *st, uint64_t upto)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	if (upto > st->linked)
		upto = st->linked;
	while (st->durable < upto)
		pthread_cond_wait(&st->done, &st->mu);
	pthread_mutex_unlock(&st->mu);
}

void
upload_store_settle(struct upload_store *st)
{
	if (st != NULL)
		upload_store_settle_upto(st, upload_store_linked(st));
}

uint64_t
upload_store_linked(struct upload_store *st)
{
	uint64_t	n;

	pthread_mutex_lock(&st->mu);
	n = st->linked;
	pthread_mutex_unlock(&st->mu);
	return (n);
}

int
upload_store_durable(struct upload_store *st)
{
	int	yes;

	pthread_mutex_lock(&st->mu);
	yes = st->durable == st->linked;
	pthread_mutex_unlock(&st->mu);
	return (yes);
}

void
upload_store_sync_stats(struct upload_store *st,
    struct upload_sync_stats *out)
{
	pthread_mutex_lock(&st->mu);
	*out = st->stats;
	pthread_mutex_unlock(&st->mu);
}

struct upload_store *
upload_store_open(const char *dir, enum upload_policy policy, uint64_t max,
    char **cause)
{
	struct upload_store	*st;
	struct statvfs		 sv;
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
	st->nbuckets = 64;
	st->table = xcalloc(st->nbuckets, sizeof *st->table);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->work, NULL);
	pthread_cond_init(&st->done, NULL);
	st->limits.reserve = UPLOAD_RESERVE_DEFAULT;
	if (fstatvfs(fd, &sv) == 0 &&
	    (uint64_t)sv.f_blocks * sv.f_frsize / 20 < st->limits.reserve)
		st->limits.reserve = (uint64_t)sv.f_blocks * sv.f_frsize / 20;
	upload_scan(st);
	return (st);
}

void
upload_store_set_limits(struct upload_store *st,
    const struct upload_limits *limits)
{
	uint64_t	reserve = st->limits.reserve;

	st->limits = *limits;
	if (st->limits.reserve == 0)
		st->limits.reserve = reserve;
}

uint64_t
upload_store_used(const struct upload_store *st)
{
	return (st->used);
}

uint64_t
upload_store_phone_used(const struct upload_store *st, const char *mac)
{
	struct upload_entry	*e;
	uint32_t		 h = upload_hash('p', mac, strlen(mac));

	for (e = st->table[h & (st->nbuckets - 1)]; e != NULL; e = e->next) {
		if (e->key[0] == 'p' && strcmp(e->key + 1, mac) == 0)
			return (e->bytes);
	}
	return (0);
}

void
upload_store_free(struct upload_store *st)
{
	struct upload_entry	*e, *next;
	size_t			 i;

	if (st == NULL)
		return;
	if (st->syncer_on) {
		/* The thread fsyncs what it was handed, then stops. */
		pthread_mutex_lock(&st->mu);
		st->syncer_stop = 1;
		pthread_cond_signal(&st->work);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->syncer, NULL);
	}
	if (st->stats.failed > 0)
		log_warn("uploads: %llu fsyncs of %s failed",
		    (unsigned long long)st->stats.failed, st->dir);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->done);
	free(st->queue);
	for (i = 0; i < st->nbuckets; i++) {
		for (e = st->table[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(st->table);
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

int
upload_check_name(const struct upload_store *st, const char *name,
    char **cause)
{
	const char	*base;
	char		*e;

	if (pathsafe_check(name, strlen(name), cause) != 0)
		return (-1);
	base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	if (st->policy == UPLOAD_PHONE_FILES && !upload_phone_name(base)) {
		e = log_escape(name, strlen(name));
		xasprintf(cause, "'%s' is not a file phones upload (logs, "
		    "override files, directory or call lists)", e);
		free(e);
		return (-1);
	}
	return (0);
}

struct upload *
upload_begin(struct upload_store *st, const char *name, char **cause)
{
	struct upload	*up;
	const char	*base;
	char		 tmp[64];
	int		 fd, i;

	if (upload_check_name(st, name, cause) != 0)
		return (NULL);
	/* Uploads are kept flat: any directory the client named is dropped. */
	base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	up = xcalloc(1, sizeof *up);
	up->store = st;
	up->base = xstrdup(base);
	up->phone = upload_phone_of(st, base);
	up->fd = -1;
	if (upload_charge(up, UPLOAD_MIN_CHARGE, cause) != 0) {
		upload_abort(up);
		return (NULL);
	}
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
		upload_abort(up);
		return (NULL);
	}
	up->fd = fd;
	return (up);
}

/* Charge the upload up to total bytes; -1 with *cause over a quota. */
static int
upload_charge(struct upload *up, uint64_t total, char **cause)
{
	struct upload_store	*st = up->store;
	uint64_t		 more;

	if (total < UPLOAD_MIN_CHARGE)
		total = UPLOAD_MIN_CHARGE;
	if (total <= up->charged)
		return (0);
	more = total - up->charged;
	up->no_room = 0;
	/* Its phone's own first: room others give back cannot help it. */
	if (st->limits.phone_max != 0 && up->phone != NULL &&
	    up->phone->bytes + more > st->limits.phone_max) {
		xasprintf(cause, "phone %s has used its upload quota of %llu "
		    "bytes", up->phone->key + 1,
		    (unsigned long long)st->limits.phone_max);
		return (-1);
	}
	if (st->limits.total_max != 0 && st->used + more >
	    st->limits.total_max) {
		/* Others' uploads hold the room it needs (it could fit). */
		up->no_room = total <= st->limits.total_max;
		xasprintf(cause, "the upload store %s is full (its quota of "
		    "%llu bytes for all uploads is used)", st->dir,
		    (unsigned long long)st->limits.total_max);
		return (-1);
	}
	st->used += more;
	if (up->phone != NULL)
		up->phone->bytes += more;
	up->charged = total;
	return (0);
}

/* Keep the reserve free on the file system (the journal must commit). */
static int
upload_space(struct upload *up, size_t len, char **cause)
{
	struct upload_store	*st = up->store;
	struct statvfs		 sv;
	uint64_t		 avail;

	/* The first write, then every UPLOAD_STATFS_EVERY bytes. */
	if (up->statfs_at != 0 && up->bytes + len - up->statfs_at <
	    UPLOAD_STATFS_EVERY)
		return (0);
	up->statfs_at = up->bytes + len + 1;
	if (fstatvfs(st->dirfd, &sv) == -1)
		return (0);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail >= st->limits.reserve + len)
		return (0);
	xasprintf(cause, "the disk holding %s is full (%llu bytes are kept "
	    "free for the appliance's own records)", st->dir,
	    (unsigned long long)st->limits.reserve);
	return (-1);
}

int
upload_expect(struct upload *up, uint64_t size, char **cause)
{
	struct upload_store	*st = up->store;
	struct statvfs		 sv;

	up->no_room = 0;
	if (size > st->max) {
		xasprintf(cause, "the upload of %llu bytes is over the limit "
		    "of %llu bytes", (unsigned long long)size,
		    (unsigned long long)st->max);
		return (-1);
	}
	if (upload_charge(up, size, cause) != 0)
		return (-1);
	if (fstatvfs(st->dirfd, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < st->limits.reserve + size) {
		up->no_room = 1;
		xasprintf(cause, "the disk holding %s has no room for %llu "
		    "bytes (%llu bytes are kept free for the appliance's own "
		    "records)", st->dir, (unsigned long long)size,
		    (unsigned long long)st->limits.reserve);
		return (-1);
	}
	return (0);
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
	if (upload_charge(up, up->bytes + len, cause) != 0 ||
	    upload_space(up, len, cause) != 0)
		return (-1);
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
	struct upload_entry	*e;
	char			*name = NULL;
	unsigned		 v, tries;
	int			 rc = -1;

	/*
	 * The next version is known; a file someone else put there (a name
	 * taken) only moves it on, a few times at most.
	 */
	e = upload_entry(up->store, 'n', up->base, strlen(up->base));
	for (tries = 0, v = e->version; tries < UPLOAD_LINK_TRIES; tries++,
	    v++) {
		if (v >= UPLOAD_MAX_VERSIONS) {
			xasprintf(cause, "%s already has %d versions in %s",
			    up->base, UPLOAD_MAX_VERSIONS, up->store->dir);
			goto out;
		}
		free(name);
		if (v == 0)
			name = xstrdup(up->base);
		else
			xasprintf(&name, "%s.%u", up->base, v);
		if (upload_link(up, name) == 0)
			break;
		if (errno != EEXIST) {
			xasprintf(cause, "cannot store %s in %s: %s", up->base,
			    up->store->dir, upload_disk_error(errno) ?
			    "the disk is full" : strerror(errno));
			goto out;
		}
	}
	if (tries == UPLOAD_LINK_TRIES) {
		xasprintf(cause, "cannot store %s in %s: every name tried is "
		    "taken", up->base, up->store->dir);
		e->version = v;
		goto out;
	}
	e->version = v + 1;
	/* Whole and named: the thread makes it durable, beside the loop. */
	upload_sync_later(up->store, up->fd);
	up->fd = -1;
	xasprintf(stored_path, "%s/%s", up->store->dir, name);
	up->charged = 0;	/* stored: it stays charged */
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
	/* What was never stored is given back to the quotas. */
	up->store->used -= up->charged;
	if (up->phone != NULL)
		up->phone->bytes -= up->charged;
	if (up->fd != -1)
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

int
upload_refused_for_room(const struct upload *up)
{
	return (up->no_room);
}
