/*
 * `library verify`: re-hash every file of every package against its
 * manifest.  A package whose bytes no longer match is marked damaged in its
 * manifest, so neither this process nor a later one serves it, until it is
 * imported again; a package found whole again loses the mark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "library-internal.h"
#include "xmalloc.h"

static int	library_verify_package(struct library_package *,
		    const struct library_progress *, uint64_t *, uint64_t);

static int
library_verify_package(struct library_package *p,
    const struct library_progress *progress, uint64_t *done, uint64_t total)
{
	struct library_file	*f;
	char			*path, hex[65], *why = NULL;
	uint64_t		 size;
	size_t			 i;

	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		xasprintf(&path, "%s/%s", p->dir, f->name);
		if (library_hash_file(path, hex, &size, progress, f->name, done,
		    total, &why) == -1) {
			p->damage = why;
			free(path);
			return (-1);
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
	int			 damaged = 0, was_damaged;

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
		if (library_verify_package(p, progress, &done, total) == -1) {
			damaged++;
		} else if (!was_damaged)
			continue;
		/* Record the verdict where library_open will find it. */
		why = NULL;
		if (library_manifest_write(p->dir, p, NULL, &why) == -1)
			free(why);
	}
	return (damaged);
}
