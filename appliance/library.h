/*
 * The firmware library: UC Software packages imported from zips, tarballs,
 * folders or a USB stick, each in its own directory with a SHA-256 manifest.
 *
 *   LIBRARY/packages/<sip.ver build>/manifest.json, sip.ver, <part>.sip.ld, ...
 *
 * A package appears whole or not at all (temporary directory, fsync, rename).
 * Files are checked cheaply (size, mtime) before they are served and fully
 * re-hashed on demand; a damaged file is never served.
 */
#ifndef ZTP_LIBRARY_H
#define ZTP_LIBRARY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "version.h"

struct model_table;

/* Where the appliance keeps its library unless told otherwise. */
#define LIBRARY_DEFAULT_DIR	"/var/lib/ztp-rescue/library"

/* What import accepts: a firmware package is a few hundred MB of plain files. */
#define LIBRARY_ENTRY_MAX	(256ULL * 1024 * 1024)	/* one file */
#define LIBRARY_PACKAGE_MAX	(4ULL * 1024 * 1024 * 1024) /* one package */
#define LIBRARY_ENTRIES_MAX	10000
#define LIBRARY_RATIO_MAX	100	/* unpacked : packed, beyond the slack */
#define LIBRARY_RATIO_SLACK	(16ULL * 1024 * 1024)
/*
 * The whole of an archive, unpacked: at most this many times its packed
 * size (plus the slack).  A UC Software package is mostly images that are
 * compressed already (about 1:1); the per-stream ratio above alone let a
 * 40 MB archive write 4 GB before anything refused it.
 */
#define LIBRARY_TOTAL_RATIO	8
/* Free space an import always leaves on the library's disk (the journal's). */
#define LIBRARY_DISK_RESERVE	(32ULL * 1024 * 1024)
#define LIBRARY_SCAN_DEPTH	4	/* folders below a mount point */

struct library_file {
	char		*name;		/* relative to the package directory */
	uint64_t	 size;
	char		 sha256[65];	/* lower-case hex */
	int64_t		 mtime;
};

/*
 * What a package is: UC Software (sip.ver, <part>.sip.ld), or a BootROM
 * of the SIP 2.x/3.x era (bootrom.ver, bootrom.ld and/or the split
 * <part>.bootrom.ld; docs/library.md "BootROM packages").
 */
enum library_kind {
	LIBRARY_UCS = 0,
	LIBRARY_BOOTROM
};
#define LIBRARY_BOOTROM_PREFIX	"bootrom-"	/* its id: bootrom-<build> */

struct library_package {
	char			*id;		/* directory name: the sip.ver build */
	enum library_kind	 kind;
	char			*dir;		/* absolute path */
	char			*sip_ver;	/* as found, trimmed */
	struct ucs_version	 version;
	char			*source;	/* what it was imported from */
	int64_t			 imported;	/* unix time */
	struct library_file	*files;
	size_t			 nfiles;
	char			**parts;	/* part numbers with a split image
						   (<part>.bootrom.ld for a BootROM) */
	size_t			 nparts;
	int			 has_combined;	/* a combined sip.ld (bootrom.ld) */
	char			*damage;	/* NULL, or why the package must not be served */
};

struct library {
	char			*dir;
	struct library_package	*packages;
	size_t			 npackages;
};

/* Load every manifest under dir (created if missing); cheap checks only. */
struct library	*library_open(const char *, char **);
int		 library_present(const char *, char **);
void		 library_free(struct library *);

/*
 * The package that serves part number `part` at release `want` (its first
 * three fields; the newest build of that release when several), or NULL.
 */
const struct library_package *library_find(const struct library *,
		    const struct ucs_version *, const char *);

/*
 * The newest BootROM package at least `min` that serves part: its split
 * <part>.bootrom.ld, else its combined bootrom.ld (the BootROM picks its
 * own hardware's image from the wrapper).  *file names the file to serve.
 */
const struct library_package *library_find_bootrom(const struct library *,
		    const struct ucs_version *, const char *, const char **);
const char	*library_kind_name(enum library_kind);

/*
 * Open one file of a package for serving after the cheap check against the
 * manifest (size, mtime).  Returns an fd and *size, or -1 with *cause.
 */
int		 library_open_file(const struct library_package *,
		    const char *, uint64_t *, char **);

struct library_progress {
	void	(*fn)(void *, const char *, uint64_t, uint64_t);	/* what, done, total */
	void	*arg;
	/* Optional: one sentence per package ("... already in the library"). */
	void	(*note)(void *, const char *);
	/* Optional: a package found already in the library, its id. */
	void	(*present)(void *, const char *);
};

/*
 * Import PATH (zip, tar.gz/xz/zst, folder, or a mount point scanned for
 * packages).  *imported lists the package ids added (allocated,
 * NULL-terminated), on failure too: a scan may add some packages and fail
 * on others (NULL when none was added).
 * Refuses what is not a UC Software package, saying what was found, and
 * anything hostile; leaves nothing behind on failure.  Adding a package may
 * move lib->packages: pointers from library_find() do not survive it.
 * Blocks until done (seconds for a large package).
 */
int		 library_import(struct library *, const struct model_table *,
		    const char *, const struct library_progress *, char ***,
		    char **);

/* "4.1.7" for package build 4.1.7.5432: the release it belongs to. */
char		*library_release_text(const struct library_package *, char *,
		    size_t);

/* Re-hash every file; marks damaged packages.  Returns the number damaged. */
int		 library_verify(struct library *,
		    const struct library_progress *);

#endif
