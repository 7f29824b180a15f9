/*
 * Shared between the library*.c files only: manifests, hashing and the
 * recognition of a UC Software package among extracted files.
 */
#ifndef ZTP_LIBRARY_INTERNAL_H
#define ZTP_LIBRARY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "library.h"

#define LIBRARY_MANIFEST	"manifest.json"
#define LIBRARY_PACKAGES	"packages"
#define LIBRARY_TMP_PREFIX	".tmp-"

struct archive;
struct model_table;

/* library-manifest.c */
int	library_manifest_read(const char *, const char *,
	    struct library_package *, char **);
int	library_manifest_write(const char *, const struct library_package *,
	    const struct model_table *, char **);
void	library_package_clear(struct library_package *);
void	library_sha256_hex(const unsigned char *, char *);
int	library_hash_file(const char *, char *, uint64_t *,
	    const struct library_progress *, const char *, uint64_t *,
	    uint64_t, char **);
int	library_name_safe(const char *);
int	library_files_equal(const struct library_package *,
	    const struct library_package *, char **);
/*
 * Whether the first holds every file of the second, the same, and more:
 * 1 with *extra the first it adds, else 0.
 */
int	library_files_extend(const struct library_package *,
	    const struct library_package *, char **);

/* library-detect.c */
struct library_detect {
	char		*root;		/* "" or the top-level folder, with '/' */
	enum library_kind kind;
	char		*sip_ver;	/* trimmed build string (bootrom.ver) */
	char		**parts;
	size_t		 nparts;
	int		 has_combined;
};

int	library_detect(const char *, struct library_file *, size_t,
	    struct library_detect *, char **);
void	library_detect_clear(struct library_detect *);
int	library_is_part_image(const char *, size_t *);
int	library_is_part_bootrom(const char *, size_t *);

/* library-extract.c: one package being imported. */
#define IMPORT_CHUNK		(256 * 1024)

struct library_import {
	struct library			*lib;
	const struct model_table	*models;
	const struct library_progress	*progress;
	const char			*source;
	char				*tmp;		/* LIBRARY/.tmp-PID-XXXXXX */
	int				 tmpfd;
	struct library_file		*files;		/* as extracted */
	size_t				 nfiles;
	char				**dirs;		/* folders made, for fsync */
	size_t				 ndirs;
	size_t				 entries;
	uint64_t			 written;	/* bytes unpacked */
	uint64_t			 limit;		/* most it may write */
	const char			*limit_why;	/* why that much */
	uint64_t			 done;		/* progress */
	uint64_t			 total;
	uint64_t			 reported;
	struct archive			*a;		/* NULL for a folder */
	char				*buf;
	char				*replaced;	/* a damaged copy's fault */
	char				*completed;	/* or a file the copy lacked */
	char				*lacks;		/* a file this one lacks */
};

/* The cheap check of a package's files (missing, size, mtime): p->damage. */
void		library_check_files(struct library_package *);

int		library_extract_archive(struct library_import *, char **);
int		library_extract_folder(struct library_import *, int,
		    const char *, int, char **);
uint64_t	library_folder_size(int, int);

/* library.c */
int	library_remove_tree(const char *);
int	library_sync(int);
int	library_fsync_path(const char *, int);
void	library_sort(struct library *);

#endif
