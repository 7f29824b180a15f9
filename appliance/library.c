/*
 * The firmware library on disk: LIBRARY/packages/<build>/ holds one package
 * and its manifest.json.  Opening it loads every manifest and does the cheap
 * checks (every file present, regular, with the size and mtime recorded at
 * import); a package that fails them is kept in the list, marked damaged,
 * and never served.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "library-internal.h"
#include "log.h"
#include "xmalloc.h"

static int	library_mkdir(const char *, char **);
static void	library_remove_stale(const char *);
static int	library_compare_packages(const void *, const void *);

static int
library_mkdir(const char *path, char **cause)
{
	const char	*hint;
	int		 error;

	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		error = errno;
		if (error == ENOTDIR)
			hint = ": a part of that path is a file, not a folder "
			    "(a mistyped path?): name a library folder";
		else if (error == ENOENT)
			hint = ": the folder it would be in does not exist "
			    "(a mistyped path?): create that first, or name "
			    "another library folder";
		else if (error == EACCES || error == EPERM)
			hint = ": run as a user who may write there, or name "
			    "another library folder";
		else if (error == EROFS)
			hint = ": it is on a read-only file system: name a "
			    "library folder on a writable disk";
		else
			hint = "";
		xasprintf(cause, "cannot create the library folder %s: %s%s",
		    path, strerror(error), hint);
		return (-1);
	}
	return (0);
}

/* Remove a tree without following links: only what import itself made. */
int
library_remove_tree(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*child;
	int		 rc = 0;

	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISDIR(sb.st_mode))
		return (unlink(path));
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (library_remove_tree(child) == -1)
			rc = -1;
		free(child);
	}
	closedir(d);
	if (rmdir(path) == -1)
		rc = -1;
	return (rc);
}

/* fsync, except in the fuzzer, where it would only slow every run. */
int
library_sync(int fd)
{
#ifdef ZTP_FUZZ
	(void)fd;
	return (0);
#else
	return (fsync(fd));
#endif
}

/* fsync a file or (dir != 0) a directory by path. */
int
library_fsync_path(const char *path, int dir)
{
	int	fd, rc;

	fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (-1);
	rc = library_sync(fd);
	close(fd);
	return (rc);
}

/* A crashed import leaves LIBRARY/.tmp-PID-XXXXXX behind: remove it once
 * its process is gone (a running import's directory is left alone). */
static void
library_remove_stale(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	long		 pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, LIBRARY_TMP_PREFIX,
		    strlen(LIBRARY_TMP_PREFIX)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(LIBRARY_TMP_PREFIX), NULL, 10);
		if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		log_info("library: removing %s left by an interrupted import",
		    path);
		library_remove_tree(path);
		free(path);
	}
	closedir(d);
}

void
library_check_files(struct library_package *p)
{
	struct library_file	*f;
	struct stat		 sb;
	char			*path;
	size_t			 i;

	for (i = 0; i < p->nfiles && p->damage == NULL; i++) {
		f = &p->files[i];
		xasprintf(&path, "%s/%s", p->dir, f->name);
		if (lstat(path, &sb) == -1)
			xasprintf(&p->damage, "%s is missing (%s)", f->name,
			    strerror(errno));
		else if (!S_ISREG(sb.st_mode))
			xasprintf(&p->damage, "%s is no longer a regular file",
			    f->name);
		else if ((uint64_t)sb.st_size != f->size)
			xasprintf(&p->damage, "%s has %llu bytes, the manifest "
			    "says %llu", f->name,
			    (unsigned long long)sb.st_size,
			    (unsigned long long)f->size);
		else if ((int64_t)sb.st_mtime != f->mtime)
			xasprintf(&p->damage, "%s was modified after import "
			    "(mtime %lld, the manifest says %lld)", f->name,
			    (long long)sb.st_mtime, (long long)f->mtime);
		free(path);
	}
}

static int
library_compare_packages(const void *a, const void *b)
{
	const struct library_package	*pa = a, *pb = b;
	int				 c;

	c = ucs_version_cmp_strict(&pa->version, &pb->version);
	return (c != 0 ? c : strcmp(pa->id, pb->id));
}

char *
library_release_text(const struct library_package *p, char *buf, size_t len)
{
	struct ucs_version	v = p->version;

	if (v.nfields > 3)
		v.nfields = 3;
	v.revision = '\0';
	return (ucs_version_format(&v, buf, len));
}

/* Oldest build first. */
void
library_sort(struct library *lib)
{
	if (lib->npackages > 1)
		qsort(lib->packages, lib->npackages, sizeof *lib->packages,
		    library_compare_packages);
}

/*
 * Whether dir holds a library, without making one (library_open() makes
 * its folders, as serve and import want); -1 with *cause when not.
 */
int
library_present(const char *dir, char **cause)
{
	struct stat	 sb;
	char		*packages;
	int		 error;

	xasprintf(&packages, "%s/%s", dir, LIBRARY_PACKAGES);
	error = stat(packages, &sb) == -1 ? errno :
	    S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
	if (error != 0) {
		if (stat(dir, &sb) == -1)
			xasprintf(cause, "no library at %s (%s)", dir,
			    strerror(errno));
		else
			xasprintf(cause, "%s is not a library (%s: %s)", dir,
			    packages, strerror(error));
	}
	free(packages);
	return (error == 0 ? 0 : -1);
}

struct library *
library_open(const char *dir, char **cause)
{
	struct library		*lib;
	struct library_package	*p;
	DIR			*d;
	struct dirent		*de;
	char			*packages, *why;

	if (library_mkdir(dir, cause) == -1)
		return (NULL);
	xasprintf(&packages, "%s/%s", dir, LIBRARY_PACKAGES);
	if (library_mkdir(packages, cause) == -1 ||
	    (d = opendir(packages)) == NULL) {
		if (*cause == NULL)
			xasprintf(cause, "cannot read the library folder %s: %s",
			    packages, strerror(errno));
		free(packages);
		return (NULL);
	}
	library_remove_stale(dir);

	lib = xcalloc(1, sizeof *lib);
	lib->dir = xstrdup(dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		lib->packages = xreallocarray(lib->packages,
		    lib->npackages + 1, sizeof *lib->packages);
		p = &lib->packages[lib->npackages++];
		memset(p, 0, sizeof *p);
		why = NULL;
		if (library_manifest_read(packages, de->d_name, p, &why) == -1) {
			/* Listed so the operator sees it; never served. */
			p->damage = why;
			continue;
		}
		if (p->damage == NULL)
			library_check_files(p);
	}
	closedir(d);
	free(packages);
	library_sort(lib);
	return (lib);
}

void
library_free(struct library *lib)
{
	size_t	i;

	if (lib == NULL)
		return;
	for (i = 0; i < lib->npackages; i++)
		library_package_clear(&lib->packages[i]);
	free(lib->packages);
	free(lib->dir);
	free(lib);
}

const struct library_package *
library_find(const struct library *lib, const struct ucs_version *want,
    const char *part)
{
	const struct library_package	*p, *best = NULL;
	size_t				 i, j;
	int				 k, n;

	n = want->nfields < 3 ? want->nfields : 3;
	if (n == 0 || part == NULL)
		return (NULL);
	for (i = 0; i < lib->npackages; i++) {
		p = &lib->packages[i];
		if (p->damage != NULL || p->kind != LIBRARY_UCS ||
		    p->version.nfields < n)
			continue;
		for (k = 0; k < n; k++) {
			if (p->version.field[k] != want->field[k])
				break;
		}
		if (k != n)
			continue;
		for (j = 0; j < p->nparts; j++) {
			if (strcmp(p->parts[j], part) == 0)
				break;
		}
		if (j == p->nparts)
			continue;
		if (best == NULL ||
		    ucs_version_cmp_strict(&p->version, &best->version) > 0)
			best = p;
	}
	return (best);
}

const char *
library_kind_name(enum library_kind k)
{
	return (k == LIBRARY_BOOTROM ? "bootrom" : "ucs");
}

const struct library_package *
library_find_bootrom(const struct library *lib, const struct ucs_version *min,
    const char *part, const char **file)
{
	const struct library_package	*p, *best = NULL;
	int				 split, best_split = 0;
	size_t				 i, j;

	*file = NULL;
	for (i = 0; lib != NULL && i < lib->npackages; i++) {
		p = &lib->packages[i];
		if (p->damage != NULL || p->kind != LIBRARY_BOOTROM ||
		    ucs_version_cmp_strict(&p->version, min) < 0)
			continue;
		split = 0;
		for (j = 0; part != NULL && j < p->nparts; j++) {
			if (strcmp(p->parts[j], part) == 0)
				split = 1;
		}
		if (!split && !p->has_combined)
			continue;
		if (best == NULL ||
		    ucs_version_cmp_strict(&p->version, &best->version) > 0) {
			best = p;
			best_split = split;
		}
	}
	if (best != NULL)
		*file = best_split ? "split" : "bootrom.ld";
	return (best);
}

int
library_open_file(const struct library_package *p, const char *name,
    uint64_t *size, char **cause)
{
	const struct library_file	*f = NULL;
	struct stat			 sb;
	char				*path;
	size_t				 i;
	int				 fd;

	if (p->damage != NULL) {
		xasprintf(cause, "package %s is damaged and is not served: %s",
		    p->id, p->damage);
		return (-1);
	}
	for (i = 0; i < p->nfiles; i++) {
		if (strcasecmp(p->files[i].name, name) == 0) {
			f = &p->files[i];
			break;
		}
	}
	if (f == NULL) {
		xasprintf(cause, "package %s has no file named %s", p->id, name);
		return (-1);
	}
	xasprintf(&path, "%s/%s", p->dir, f->name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(cause, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != f->size ||
	    (int64_t)sb.st_mtime != f->mtime) {
		xasprintf(cause, "%s changed since it was imported (size or "
		    "time differ from the manifest): not served; run "
		    "'ztp-rescue library verify' and import the package again",
		    path);
		close(fd);
		free(path);
		return (-1);
	}
	free(path);
	*size = f->size;
	return (fd);
}
