/*
 * `import`: PATH is an archive, a package folder, or a folder (a mounted
 * stick) scanned for both.  Each package is extracted into
 * LIBRARY/.tmp-PID-XXXXXX (library-extract.c), recognised
 * (library-detect.c), given its manifest, fsynced and renamed into
 * LIBRARY/packages/<build>: it appears whole or not at all.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "library-internal.h"
#include "log.h"
#include "models.h"
#include "xmalloc.h"

/* What import_one says about a source. */
enum import_outcome {
	IMPORT_ADDED,
	IMPORT_PRESENT,
	IMPORT_NOT_PACKAGE,
	IMPORT_FAILED
};

static enum import_outcome import_one(struct library *,
		    const struct model_table *, const char *, int,
		    const struct library_progress *, char **, char **);
static int	import_finish(struct library_import *, char **, int *,
		    char **);
static int	import_sync_dirs(struct library_import *, char **);
static char	*import_models_note(const struct model_table *,
		    const struct library_package *);
static int	import_is_package_dir(const char *);
static int	import_is_archive_name(const char *);
static void	import_scan(const char *, int, char ***, size_t *);
static void	import_note(const struct library_progress *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	import_compare_strings(const void *, const void *);
static int	import_path(struct library *, const struct model_table *,
		    const char *, const struct library_progress *, char ***,
		    char **);
static struct library_package *import_add_package(struct library *,
		    const char *);

static void
import_note(const struct library_progress *progress, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	if (progress != NULL && progress->note != NULL)
		progress->note(progress->arg, text);
	else
		log_info("%s", text);
	free(text);
}

static int
import_compare_strings(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
import_is_archive_name(const char *name)
{
	static const char *const suffixes[] = { ".zip", ".tar", ".tar.gz",
	    ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.bz2", NULL };
	const char *const	*s;
	size_t			 len = strlen(name), sl;

	for (s = suffixes; *s != NULL; s++) {
		sl = strlen(*s);
		if (len > sl && strcasecmp(name + len - sl, *s) == 0)
			return (1);
	}
	return (0);
}

/* A folder holding sip.ver, bootrom.ver or a *.sip.ld, *.bootrom.ld. */
static int
import_is_package_dir(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 found = 0;

	if ((d = opendir(path)) == NULL)
		return (0);
	while (!found && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strcasecmp(de->d_name, "sip.ver") == 0 ||
		    strcasecmp(de->d_name, "bootrom.ver") == 0 ||
		    (len > 7 && strcasecmp(de->d_name + len - 7, ".sip.ld") == 0) ||
		    (len >= 10 && strcasecmp(de->d_name + len - 10,
		    "bootrom.ld") == 0))
			found = 1;
	}
	closedir(d);
	return (found);
}

/* Packages under a mount point: archives and package folders, bounded. */
static void
import_scan(const char *path, int depth, char ***found, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*child;

	if (import_is_package_dir(path)) {
		*found = xreallocarray(*found, *n + 1, sizeof **found);
		(*found)[(*n)++] = xstrdup(path);
		return;
	}
	if (depth > LIBRARY_SCAN_DEPTH || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* Dot folders are the desktop's (.Trash-1000, .Spotlight). */
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (lstat(child, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				import_scan(child, depth + 1, found, n);
			else if (S_ISREG(sb.st_mode) &&
			    import_is_archive_name(de->d_name)) {
				*found = xreallocarray(*found, *n + 1,
				    sizeof **found);
				(*found)[(*n)++] = xstrdup(child);
			}
		}
		free(child);
	}
	closedir(d);
}

/* "VVX201, VVX300, ..." for the import message, from the models table. */
static char *
import_models_note(const struct model_table *models,
    const struct library_package *p)
{
	const struct model	*m;
	char			*text = xstrdup(""), *next;
	size_t			 i, unknown = 0;

	for (i = 0; i < p->nparts; i++) {
		m = models != NULL ? model_by_part(models, p->parts[i]) : NULL;
		if (m == NULL) {
			unknown++;
			continue;
		}
		/* A package of another release than the model's target. */
		xasprintf(&next, "%s%s%s%s", text, *text != '\0' ? ", " : "",
		    m->token != NULL ? m->token : p->parts[i],
		    p->kind == LIBRARY_BOOTROM || ucs_version_cmp(&m->target,
		    &p->version) == 0 ? "" : " (not its target)");
		free(text);
		text = next;
	}
	if (unknown > 0) {
		xasprintf(&next, "%s%s%zu part number%s not in the models "
		    "table", text, *text != '\0' ? "; " : "", unknown,
		    unknown == 1 ? "" : "s");
		free(text);
		text = next;
	}
	return (text);
}

static struct library_package *
import_add_package(struct library *lib, const char *id)
{
	struct library_package	*p = NULL;
	char			*packages, *why = NULL;
	size_t			 i;

	xasprintf(&packages, "%s/%s", lib->dir, LIBRARY_PACKAGES);
	/* A damaged copy replaced: its entry is read again. */
	for (i = 0; i < lib->npackages && p == NULL; i++) {
		if (strcmp(lib->packages[i].id, id) == 0) {
			p = &lib->packages[i];
			library_package_clear(p);
		}
	}
	if (p == NULL) {
		lib->packages = xreallocarray(lib->packages,
		    lib->npackages + 1, sizeof *lib->packages);
		p = &lib->packages[lib->npackages++];
	}
	memset(p, 0, sizeof *p);
	if (library_manifest_read(packages, id, p, &why) == -1)
		p->damage = why;
	free(packages);
	return (p);
}

static int
import_sync_dirs(struct library_import *imp, char **cause)
{
	char	*path;
	size_t	 i;

	for (i = imp->ndirs; i > 0; i--) {
		xasprintf(&path, "%s/%s", imp->tmp, imp->dirs[i - 1]);
		if (library_fsync_path(path, 1) == -1) {
			xasprintf(cause, "cannot sync %s: %s", path,
			    strerror(errno));
			free(path);
			return (-1);
		}
		free(path);
	}
	if (library_sync(imp->tmpfd) == -1) {
		xasprintf(cause, "cannot sync %s: %s", imp->tmp,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Recognise what was extracted, write its manifest and rename it into
 * place.  *present is set when the same package is already there.
 */
static int
import_finish(struct library_import *imp, char **id, int *present,
    char **cause)
{
	struct library_detect	 d;
	struct library_package	 p, old;
	struct stat		 sb;
	char			*root = NULL, *dest = NULL, *packages = NULL;
	char			*diff = NULL, *why = NULL, real[PATH_MAX];
	char			*aside = NULL, *moved;
	size_t			 i, rlen;
	int			 rc = -1, aside_back = 1;

	memset(&p, 0, sizeof p);
	memset(&old, 0, sizeof old);
	if (library_detect(imp->tmp, imp->files, imp->nfiles, &d, cause) == -1)
		goto out;
	rlen = strlen(d.root);
	p.kind = d.kind;
	if (p.kind == LIBRARY_BOOTROM)
		xasprintf(&p.id, "%s%s", LIBRARY_BOOTROM_PREFIX, d.sip_ver);
	else
		p.id = xstrdup(d.sip_ver);
	p.sip_ver = xstrdup(d.sip_ver);
	if (ucs_version_parse(p.sip_ver, &p.version, &why) == -1) {
		xasprintf(cause, "%s: %s", p.kind == LIBRARY_BOOTROM ?
		    "bootrom.ver" : "sip.ver", why);
		goto out;
	}
	p.source = xstrdup(realpath(imp->source, real) != NULL ? real :
	    imp->source);
	p.imported = (int64_t)time(NULL);
	p.has_combined = d.has_combined;
	p.parts = d.parts;
	p.nparts = d.nparts;
	d.parts = NULL;
	d.nparts = 0;
	p.files = xcalloc(imp->nfiles + 1, sizeof *p.files);
	for (i = 0; i < imp->nfiles; i++) {
		p.files[i] = imp->files[i];
		p.files[i].name = xstrdup(imp->files[i].name + rlen);
	}
	p.nfiles = imp->nfiles;

	xasprintf(&packages, "%s/%s", imp->lib->dir, LIBRARY_PACKAGES);
	xasprintf(&dest, "%s/%s", packages, p.id);
	if (lstat(dest, &sb) == 0) {
		/*
		 * A manifest that cannot be read is damage like any other:
		 * "import it again" (what `library` says) replaces it.  It
		 * said "remove it" instead, and nothing removes a package.
		 */
		if (library_manifest_read(packages, p.id, &old, &why) == -1) {
			library_package_clear(&old);
			xasprintf(&old.damage, "its manifest is unreadable (%s)",
			    why);
		} else if (!library_files_equal(&p, &old, &diff)) {
			/*
			 * The whole package over a copy that lacked some of
			 * it (a part of the zip, a file deleted): it adds
			 * and changes nothing served, so it takes its place.
			 * Nothing at the appliance removes a package, and
			 * "remove it first" left the phones of the missing
			 * image unserved for good.
			 */
			if (library_files_extend(&old, &p, &imp->lacks)) {
				/* A part of what is there: nothing to add. */
				*present = 1;
				*id = xstrdup(p.id);
				rc = 0;
				goto out;
			}
			if (!library_files_extend(&p, &old, &imp->completed)) {
				xasprintf(cause, "a different package with build "
				    "%s is already in the library (%s): remove "
				    "%s first if this one should replace it",
				    p.id, diff, dest);
				goto out;
			}
			free(old.damage);
			xasprintf(&old.damage, "it lacked %s", imp->completed);
		}
		/* Marked by a verify, or seen now: "import it again" heals. */
		if (old.damage == NULL)
			library_check_files(&old);
		if (old.damage == NULL) {
			*present = 1;
			*id = xstrdup(p.id);
			rc = 0;
			goto out;
		}
		/*
		 * Set aside beside the import's folder (inside it, it went
		 * into the new package when that folder was its root); a
		 * crash leaves it under the prefix that library_open sweeps.
		 */
		xasprintf(&moved, "%s.damaged", imp->tmp);
		if (rename(dest, moved) == -1) {
			xasprintf(cause, "build %s is in the library but damaged "
			    "(%s), and cannot be moved aside to replace it: %s",
			    p.id, old.damage, strerror(errno));
			free(moved);
			goto out;
		}
		aside = moved;
		imp->replaced = xstrdup(old.damage);
	}

	xasprintf(&root, "%s/%.*s", imp->tmp, rlen > 0 ? (int)rlen - 1 : 0,
	    d.root);
	if (library_manifest_write(root, &p, imp->models, cause) == -1 ||
	    import_sync_dirs(imp, cause) == -1)
		goto out;
	if (rename(root, dest) == -1) {
		xasprintf(cause, "cannot move the package into %s: %s", dest,
		    errno == EEXIST || errno == ENOTEMPTY ? "another import "
		    "of the same build finished first" : strerror(errno));
		goto out;
	}
	aside_back = 0;
	if (library_fsync_path(packages, 1) == -1) {
		xasprintf(cause, "cannot sync %s: %s", packages,
		    strerror(errno));
		library_remove_tree(dest);
		goto out;
	}
	*id = xstrdup(p.id);
	rc = 0;
out:
	/* Not replaced after all: the damaged copy stays, marked so. */
	if (aside != NULL && aside_back && rename(aside, dest) == -1)
		log_warn("library: %s could not be put back from %s: %s", dest,
		    aside, strerror(errno));
	else if (aside != NULL && !aside_back)
		library_remove_tree(aside);
	free(aside);
	free(why);
	free(diff);
	free(root);
	free(dest);
	free(packages);
	library_package_clear(&old);
	library_package_clear(&p);
	library_detect_clear(&d);
	return (rc);
}

static enum import_outcome
import_one(struct library *lib, const struct model_table *models,
    const char *path, int is_dir, const struct library_progress *progress,
    char **id, char **cause)
{
	struct library_import	 imp;
	enum import_outcome	 outcome = IMPORT_FAILED;
	const struct library_package *p;
	char			*note;
	size_t			 i;
	int			 fd = -1, present = 0, rc;

	memset(&imp, 0, sizeof imp);
	imp.lib = lib;
	imp.models = models;
	imp.progress = progress;
	imp.source = path;
	imp.tmpfd = -1;
	xasprintf(&imp.tmp, "%s/%s%ld-XXXXXX", lib->dir, LIBRARY_TMP_PREFIX,
	    (long)getpid());
	/* mkdtemp makes it 0700: the daemon reads it after dropping root. */
	if (mkdtemp(imp.tmp) == NULL || (imp.tmpfd = open(imp.tmp,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fchmod(imp.tmpfd, 0755) == -1) {
		xasprintf(cause, "cannot create a folder in the library %s: %s",
		    lib->dir, errno == ENOSPC ? "the disk is full" :
		    strerror(errno));
		free(imp.tmp);
		return (IMPORT_FAILED);
	}
	imp.buf = xmalloc(IMPORT_CHUNK);
	if (is_dir) {
		if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1) {
			xasprintf(cause, "cannot read folder: %s",
			    strerror(errno));
			rc = -1;
		} else {
			imp.total = library_folder_size(fd, 0);
			rc = library_extract_folder(&imp, fd, "", 0, cause);
			close(fd);
			if (rc == 0 && progress != NULL && progress->fn != NULL)
				progress->fn(progress->arg, path, imp.done,
				    imp.done);
		}
	} else
		rc = library_extract_archive(&imp, cause);
	if (rc == 0 && import_finish(&imp, id, &present, cause) == 0)
		outcome = present ? IMPORT_PRESENT : IMPORT_ADDED;
	else if (*cause != NULL && strncmp(*cause, "not a UC Software",
	    17) == 0)
		outcome = IMPORT_NOT_PACKAGE;

	close(imp.tmpfd);
	library_remove_tree(imp.tmp);
	if (outcome == IMPORT_ADDED) {
		p = import_add_package(lib, *id);
		note = import_models_note(models, p);
		import_note(progress, "%s %s from %s: %zu %simage%s%s%s%s%s%s",
		    imp.completed != NULL ? "completed the copy of" :
		    imp.replaced != NULL ? "replaced the damaged copy of" :
		    "imported", *id, path, p->nparts + (p->has_combined ? 1 :
		    0), p->kind == LIBRARY_BOOTROM ? "BootROM " : "",
		    p->nparts + p->has_combined == 1 ? "" : "s",
		    *note != '\0' ? " for " : "", note,
		    imp.replaced != NULL ? " (it was: " : "",
		    imp.replaced != NULL ? imp.replaced : "",
		    imp.replaced != NULL ? ")" : "");
		free(note);
	} else if (outcome == IMPORT_PRESENT) {
		if (imp.lacks != NULL)
			import_note(progress, "%s: build %s is already in the "
			    "library with every file of this one and more (this "
			    "one lacks %s); nothing to do", path, *id,
			    imp.lacks);
		else
			import_note(progress, "%s: build %s is already in the "
			    "library with the same files; nothing to do", path,
			    *id);
		if (progress != NULL && progress->present != NULL)
			progress->present(progress->arg, *id);
	}
	for (i = 0; i < imp.nfiles; i++)
		free(imp.files[i].name);
	free(imp.files);
	for (i = 0; i < imp.ndirs; i++)
		free(imp.dirs[i]);
	free(imp.dirs);
	free(imp.buf);
	free(imp.tmp);
	free(imp.replaced);
	free(imp.completed);
	free(imp.lacks);
	return (outcome);
}

static int
import_path(struct library *lib, const struct model_table *models,
    const char *path, const struct library_progress *progress,
    char ***imported, char **cause)
{
	struct stat		 sb;
	char			**sources = NULL, **ids = NULL, *id, *why;
	char			*errors = NULL, *next, *esc;
	size_t			 nsources = 0, nids = 0, i, failed = 0;
	size_t			 ok = 0;
	enum import_outcome	 outcome;
	int			 scanning;

	*imported = NULL;
	if (stat(path, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s is neither an archive nor a folder", path);
		return (-1);
	}
	scanning = S_ISDIR(sb.st_mode) && !import_is_package_dir(path);
	if (scanning) {
		import_scan(path, 0, &sources, &nsources);
		if (nsources == 0) {
			xasprintf(cause, "no UC Software package under %s "
			    "(looked %d folders deep for *.zip, *.tar.* and "
			    "folders holding sip.ver or *.sip.ld, or a BootROM's bootrom.ver)", path,
			    LIBRARY_SCAN_DEPTH);
			return (-1);
		}
		qsort(sources, nsources, sizeof *sources,
		    import_compare_strings);
	} else {
		sources = xcalloc(1, sizeof *sources);
		sources[nsources++] = xstrdup(path);
	}
	ids = xcalloc(nsources + 1, sizeof *ids);
	for (i = 0; i < nsources; i++) {
		id = why = NULL;
		if (stat(sources[i], &sb) == -1) {
			xasprintf(&why, "%s", strerror(errno));
			outcome = IMPORT_FAILED;
		} else
			outcome = import_one(lib, models, sources[i],
			    S_ISDIR(sb.st_mode), progress, &id, &why);
		if (outcome == IMPORT_ADDED)
			ids[nids++] = id;
		else
			free(id);
		if (outcome == IMPORT_ADDED || outcome == IMPORT_PRESENT)
			ok++;
		else if (outcome == IMPORT_NOT_PACKAGE && scanning)
			import_note(progress, "skipped %s: %s", sources[i], why);
		else {
			failed++;
			esc = log_escape(sources[i], strlen(sources[i]));
			xasprintf(&next, "%s%s%s: %s", errors != NULL ? errors :
			    "", errors != NULL ? "\n" : "", esc, why);
			free(esc);
			free(errors);
			errors = next;
		}
		free(why);
		free(sources[i]);
	}
	free(sources);
	library_sort(lib);
	if (failed == 0 && ok == 0)
		xasprintf(&errors, "no UC Software package under %s: every "
		    "archive found was something else", path);
	if (errors != NULL) {
		/* Packages added beside the failure stay, and are named. */
		if (nids > 0)
			*imported = ids;
		else
			free(ids);
		*cause = errors;
		return (-1);
	}
	*imported = ids;
	return (0);
}

int
library_import(struct library *lib, const struct model_table *models,
    const char *path, const struct library_progress *progress,
    char ***imported, char **cause)
{
	char	*top, *packages;
	size_t	 len;
	int	 rc, lockfd;

	/*
	 * One import into a library at a time (a stick imported at boot
	 * while the console imports another): each checks the disk's room
	 * once, at its first write, and three at once filled the disk.
	 */
	xasprintf(&packages, "%s/%s", lib->dir, LIBRARY_PACKAGES);
	lockfd = open(packages, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd != -1 && flock(lockfd, LOCK_EX | LOCK_NB) == -1 &&
	    errno == EWOULDBLOCK) {
		import_note(progress, "another import into %s is under way: "
		    "waiting for it to finish", lib->dir);
		while (flock(lockfd, LOCK_EX) == -1 && errno == EINTR)
			;
	}
	free(packages);

	/* "/media/usb/" and "/media/usb" name the same place in messages. */
	top = xstrdup(path);
	for (len = strlen(top); len > 1 && top[len - 1] == '/'; len--)
		top[len - 1] = '\0';
	rc = import_path(lib, models, top, progress, imported, cause);
	free(top);
	if (lockfd != -1)
		close(lockfd);
	return (rc);
}
