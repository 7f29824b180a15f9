/*
 * `library verify`: re-hash every file of every package against its
 * manifest.  A package whose bytes no longer match is marked damaged in its
 * manifest, so neither this process nor a later one serves it, until it is
 * imported again; a package found whole again loses the mark.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "library-internal.h"
#include "xmalloc.h"

static int	library_verify_package(struct library_package *,
		    const struct library_progress *, uint64_t *, uint64_t, int *);

/*
 * Re-hash p's files; -1 with p->damage at the first that differs.  A file
 * whose bytes match but whose time changed (copied without keeping it)
 * has the new time recorded (*retimed): the cheap check at the next start
 * refused it as "modified after import" while the verification said "0
 * damaged".
 */
static int
library_verify_package(struct library_package *p,
    const struct library_progress *progress, uint64_t *done, uint64_t total,
    int *retimed)
{
	struct library_file	*f;
	struct stat		 before, after;
	char			*path, hex[65], *why = NULL;
	uint64_t		 size;
	size_t			 i;
	int			 timed;

	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		xasprintf(&path, "%s/%s", p->dir, f->name);
		timed = stat(path, &before) == 0;
		if (library_hash_file(path, hex, &size, progress, f->name, done,
		    total, &why) == -1) {
			p->damage = why;
			free(path);
			return (-1);
		}
		/* The same time before and after the hash: it is these bytes'. */
		if (timed && stat(path, &after) == 0 &&
		    after.st_mtime == before.st_mtime &&
		    (int64_t)after.st_mtime != f->mtime &&
		    strcmp(hex, f->sha256) == 0 && size == f->size) {
			f->mtime = (int64_t)after.st_mtime;
			*retimed = 1;
		}
		free(path);
		if (size != f->size) {
			xasprintf(&p->damage, "%s has %llu bytes, the manifest "
			    "says %llu", f->name, (unsigned long long)size,
			    (unsigned long long)f->size);
			return (-1);
		}
		if (strcmp(hex, f->sha256) != 0) {
			xasprintf(&p->damage, "%s does not match its SHA-256 in "
			    "the manifest: damaged since import", f->name);
			return (-1);
		}
	}
	return (0);
}

int
library_verify(struct library *lib, const struct library_progress *progress)
{
	struct library_package	*p;
	uint64_t		 total = 0, done = 0;
	size_t			 i, j;
	char			*why;
	int			 damaged = 0, was_damaged, retimed;

	for (i = 0; i < lib->npackages; i++) {
		for (j = 0; j < lib->packages[i].nfiles; j++)
			total += lib->packages[i].files[j].size;
	}
	for (i = 0; i < lib->npackages; i++) {
		p = &lib->packages[i];
		if (p->nfiles == 0 && p->damage != NULL) {
			/* No readable manifest: nothing to check against. */
			damaged++;
			continue;
		}
		was_damaged = p->damage != NULL;
		free(p->damage);
		p->damage = NULL;
		retimed = 0;
		if (library_verify_package(p, progress, &done, total,
		    &retimed) == -1) {
			damaged++;
		} else if (!was_damaged && !retimed)
			continue;
		/* Record the verdict where library_open will find it. */
		why = NULL;
		if (library_manifest_write(p->dir, p, NULL, &why) == -1)
			free(why);
	}
	return (damaged);
}
