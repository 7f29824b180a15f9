/*
 * Extracting one package, from a zip or a tar (gz/xz/zst) read with
 * libarchive or from a folder.  Entries are streamed into
 * LIBRARY/.tmp-PID-XXXXXX by this code itself (never archive_write_disk),
 * hashed on the way and fsynced.  Anything hostile or broken (links,
 * devices, "..", absolute names, zip bombs, huge entries, truncation, a full
 * disk) stops the extraction with a reason; the caller removes the
 * temporary folder, so nothing is left behind.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "library-internal.h"
#include "log.h"
#include "xmalloc.h"

#define IMPORT_SYNC_EVERY	(8 * 1024 * 1024)
#define IMPORT_PROGRESS_EVERY	(1024 * 1024)
#define IMPORT_NAME_MAX		1024
#define IMPORT_COMPONENT_MAX	255
#define IMPORT_DEPTH_MAX	16

struct import_out {
	char		*name;
	int		 fd;
	EVP_MD_CTX	*ctx;
	uint64_t	 size;
	uint64_t	 synced;
};

static int	import_name(const char *, char **, char **);
static int	import_mkdirs(struct library_import *, const char *, int,
		    char **);
static int	import_open(struct library_import *, const char *,
		    struct import_out *, char **);
static int	import_write(struct library_import *, struct import_out *,
		    const char *, size_t, char **);
static int	import_close(struct library_import *, struct import_out *,
		    char **);
static void	import_abort_out(struct import_out *);
static int	import_refuse_type(const char *, mode_t, const char *,
		    char **);
static void	import_report(struct library_import *, const char *);
static void	import_unchanged(int, const struct stat *, uint64_t,
		    const char *, char **);
static int	import_zeros(struct library_import *, struct import_out *,
		    uint64_t, char **);
static int	import_archive_data(struct library_import *,
		    struct archive_entry *, struct import_out *, char **);

/*
 * The name an entry is stored under: relative, lower case, without "."
 * components.  Returns 1 to skip the entry (desktop litter, "./"), 0 to use
 * *out, or -1 with *cause.
 */
static int
import_name(const char *raw, char **out, char **cause)
{
	const char	*s, *c, *base;
	char		*name, *esc;
	size_t		 len, n = 0, depth = 0;

	if (raw == NULL) {
		xasprintf(cause, "an entry has a name that is not valid text");
		return (-1);
	}
	esc = log_escape(raw, strlen(raw));
	if (*raw == '/') {
		xasprintf(cause, "entry \"%s\" has an absolute path", esc);
		goto fail;
	}
	if (strlen(raw) > IMPORT_NAME_MAX) {
		xasprintf(cause, "entry \"%.64s...\" has a name too long", esc);
		goto fail;
	}
	for (s = raw; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '\\') {
			xasprintf(cause, "entry \"%s\" has a name with a byte "
			    "a firmware package never uses", esc);
			goto fail;
		}
	}
	name = xmalloc(strlen(raw) + 1);
	for (s = raw; *s != '\0'; s = *c == '\0' ? c : c + 1) {
		if ((c = strchr(s, '/')) == NULL)
			c = s + strlen(s);
		len = (size_t)(c - s);
		if (len == 0 || (len == 1 && *s == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			xasprintf(cause, "entry \"%s\" climbs out of the package "
			    "with \"..\"", esc);
			free(name);
			goto fail;
		}
		if (len > IMPORT_COMPONENT_MAX || ++depth > IMPORT_DEPTH_MAX) {
			xasprintf(cause, "entry \"%.64s\" is nested too deep or "
			    "named too long", esc);
			free(name);
			goto fail;
		}
		if (n != 0)
			name[n++] = '/';
		while (len-- > 0)
			name[n++] = (char)tolower((unsigned char)*s++);
	}
	name[n] = '\0';
	free(esc);
	base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	if (n == 0 || strncmp(name, "__macosx/", 9) == 0 ||
	    strcmp(name, "__macosx") == 0 || strcmp(base, ".ds_store") == 0 ||
	    strncmp(base, "._", 2) == 0) {
		free(name);
		return (1);
	}
	*out = name;
	return (0);
fail:
	free(esc);
	return (-1);
}

static int
import_refuse_type(const char *name, mode_t type, const char *link,
    char **cause)
{
	char	*esc = log_escape(name, strlen(name)), *lesc;

	switch (type) {
	case AE_IFLNK:
		lesc = log_escape(link != NULL ? link : "",
		    link != NULL ? strlen(link) : 0);
		xasprintf(cause, "entry \"%s\" is a symbolic link (to \"%s\"): "
		    "a firmware package has no links", esc, lesc);
		free(lesc);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		xasprintf(cause, "entry \"%s\" is a device file: a firmware "
		    "package has none", esc);
		break;
	case AE_IFIFO:
		xasprintf(cause, "entry \"%s\" is a FIFO: a firmware package "
		    "has none", esc);
		break;
	case AE_IFSOCK:
		xasprintf(cause, "entry \"%s\" is a socket: a firmware package "
		    "has none", esc);
		break;
	default:
		xasprintf(cause, "entry \"%s\" is not a regular file or a "
		    "folder", esc);
		break;
	}
	free(esc);
	return (-1);
}

/* Create the folders of a stored name (all of it when dir is set). */
static int
import_mkdirs(struct library_import *imp, const char *name, int dir,
    char **cause)
{
	char	*path, *s;

	path = xstrdup(name);
	for (s = path;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '\0' && !dir)
			break;
		{
			char	save = *s;

			*s = '\0';
			/*
			 * A folder costs an inode and a block as a file does:
			 * 300,000 empty ones in a zip took the disk's last
			 * inodes under the file cap.
			 */
			if (faccessat(imp->tmpfd, path, F_OK,
			    AT_SYMLINK_NOFOLLOW) != 0 &&
			    ++imp->entries > LIBRARY_ENTRIES_MAX) {
				xasprintf(cause, "more than %d files and "
				    "folders: not a firmware package",
				    LIBRARY_ENTRIES_MAX);
				free(path);
				return (-1);
			}
			if (mkdirat(imp->tmpfd, path, 0755) == 0) {
				imp->dirs = xreallocarray(imp->dirs,
				    imp->ndirs + 1, sizeof *imp->dirs);
				imp->dirs[imp->ndirs++] = xstrdup(path);
			} else if (errno != EEXIST) {
				xasprintf(cause, "cannot create folder %s in "
				    "%s: %s", path, imp->tmp, errno == ENOSPC ?
				    "the disk is full" : strerror(errno));
				free(path);
				return (-1);
			}
			*s = save;
		}
		if (*s == '\0')
			break;
	}
	free(path);
	return (0);
}

static int
import_open(struct library_import *imp, const char *name,
    struct import_out *o, char **cause)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if (++imp->entries > LIBRARY_ENTRIES_MAX) {
		xasprintf(cause, "more than %d files and folders: not a "
		    "firmware package", LIBRARY_ENTRIES_MAX);
		return (-1);
	}
	if (import_mkdirs(imp, name, 0, cause) == -1)
		return (-1);
	o->fd = openat(imp->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o->fd == -1) {
		if (errno == EEXIST)
			xasprintf(cause, "two entries are named %s (names that "
			    "differ only in case count as the same)", name);
		else
			xasprintf(cause, "cannot create %s in %s: %s", name,
			    imp->tmp, strerror(errno));
		return (-1);
	}
	o->name = xstrdup(name);
	o->ctx = EVP_MD_CTX_new();
	if (o->ctx == NULL ||
	    EVP_DigestInit_ex(o->ctx, EVP_sha256(), NULL) != 1) {
		xasprintf(cause, "SHA-256 is not available from OpenSSL");
		return (-1);
	}
	return (0);
}

/*
 * How much an import may write in all: no more than the package limit, an
 * archive no more than LIBRARY_TOTAL_RATIO times its size (plus the slack),
 * and never so much that less than LIBRARY_DISK_RESERVE would stay free on
 * the library's disk (the journal must always be able to commit).
 */
static void
import_set_limit(struct library_import *imp)
{
	struct statvfs	sv;
	uint64_t	avail, disk;

	imp->limit = LIBRARY_PACKAGE_MAX;
	imp->limit_why = "more than a firmware package ever is";
	if (imp->a != NULL && imp->total != 0 &&
	    imp->total * LIBRARY_TOTAL_RATIO + LIBRARY_RATIO_SLACK <
	    imp->limit) {
		imp->limit = imp->total * LIBRARY_TOTAL_RATIO +
		    LIBRARY_RATIO_SLACK;
		imp->limit_why = NULL;	/* the ratio: said with the sizes */
	}
	if (imp->tmpfd != -1 && fstatvfs(imp->tmpfd, &sv) == 0) {
		avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		disk = avail > LIBRARY_DISK_RESERVE ? avail -
		    LIBRARY_DISK_RESERVE : 1;
		if (disk < imp->limit) {
			imp->limit = disk;
			imp->limit_why = "the disk holding the library is "
			    "full (an import leaves at least 32 MB free for the "
			    "journal): free some space and import again";
		}
	}
}

static int
import_write(struct library_import *imp, struct import_out *o,
    const char *buf, size_t len, char **cause)
{
	uint64_t	in;
	ssize_t		n;
	size_t		off = 0;

	o->size += len;
	imp->written += len;
	if (imp->limit == 0)
		import_set_limit(imp);
	if (imp->written > imp->limit) {
		if (imp->limit_why == NULL)
			xasprintf(cause, "%llu MB unpacked from a %llu MB "
			    "archive: more than %d times its size, as in a zip "
			    "bomb", (unsigned long long)(imp->written >> 20),
			    (unsigned long long)(imp->total >> 20),
			    LIBRARY_TOTAL_RATIO);
		else
			xasprintf(cause, "%llu MB unpacked (at %s): %s",
			    (unsigned long long)(imp->written >> 20), o->name,
			    imp->limit_why);
		return (-1);
	}
	if (o->size > LIBRARY_ENTRY_MAX) {
		xasprintf(cause, "entry %s is bigger than %llu MB: no firmware "
		    "file is", o->name, LIBRARY_ENTRY_MAX / (1024 * 1024));
		return (-1);
	}
	if (imp->written > LIBRARY_PACKAGE_MAX) {
		xasprintf(cause, "more than %llu MB unpacked: no firmware "
		    "package is", LIBRARY_PACKAGE_MAX / (1024 * 1024));
		return (-1);
	}
	if (imp->a != NULL) {
		in = (uint64_t)archive_filter_bytes(imp->a, -1);
		if (imp->written > LIBRARY_RATIO_SLACK &&
		    imp->written / LIBRARY_RATIO_MAX > in) {
			xasprintf(cause, "%llu MB unpacked from %llu KB (at %s): "
			    "an absurd compression ratio, as in a zip bomb",
			    (unsigned long long)(imp->written >> 20),
			    (unsigned long long)(in >> 10), o->name);
			return (-1);
		}
	}
	EVP_DigestUpdate(o->ctx, buf, len);
	while (off < len) {
		n = write(o->fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno == ENOSPC || errno == EDQUOT)
				xasprintf(cause, "the disk holding the library "
				    "is full (writing %s): free some space and "
				    "import again", o->name);
			else
				xasprintf(cause, "cannot write %s: %s", o->name,
				    strerror(errno));
			return (-1);
		}
		off += (size_t)n;
	}
	/* Start write-back early so the final fsync has little left to do. */
	if (o->size - o->synced >= IMPORT_SYNC_EVERY) {
		sync_file_range(o->fd, (off64_t)o->synced,
		    (off64_t)(o->size - o->synced), SYNC_FILE_RANGE_WRITE);
		o->synced = o->size;
	}
	return (0);
}

static void
import_abort_out(struct import_out *o)
{
	if (o->fd != -1)
		close(o->fd);
	EVP_MD_CTX_free(o->ctx);
	free(o->name);
	memset(o, 0, sizeof *o);
	o->fd = -1;
}

static int
import_close(struct library_import *imp, struct import_out *o,
    char **cause)
{
	struct library_file	*f;
	struct stat		 sb;
	unsigned char		 md[32];

	if (library_sync(o->fd) == -1 || fstat(o->fd, &sb) == -1) {
		xasprintf(cause, "cannot write %s: %s", o->name,
		    errno == ENOSPC ? "the disk holding the library is full" :
		    strerror(errno));
		return (-1);
	}
	EVP_DigestFinal_ex(o->ctx, md, NULL);
	imp->files = xreallocarray(imp->files, imp->nfiles + 1,
	    sizeof *imp->files);
	f = &imp->files[imp->nfiles++];
	f->name = o->name;
	o->name = NULL;
	f->size = o->size;
	f->mtime = (int64_t)sb.st_mtime;
	library_sha256_hex(md, f->sha256);
	import_abort_out(o);
	return (0);
}

static void
import_report(struct library_import *imp, const char *what)
{
	if (imp->progress == NULL || imp->progress->fn == NULL)
		return;
	if (what == NULL && imp->done - imp->reported < IMPORT_PROGRESS_EVERY)
		return;
	imp->reported = imp->done;
	imp->progress->fn(imp->progress->arg, imp->source, imp->done,
	    imp->total);
}

/* Zeros for the holes of a sparse entry: they count as unpacked bytes. */
static int
import_zeros(struct library_import *imp, struct import_out *o, uint64_t upto,
    char **cause)
{
	size_t	n;

	memset(imp->buf, 0, IMPORT_CHUNK);
	while (o->size < upto) {
		n = upto - o->size > IMPORT_CHUNK ? IMPORT_CHUNK :
		    (size_t)(upto - o->size);
		if (import_write(imp, o, imp->buf, n, cause) == -1)
			return (-1);
	}
	return (0);
}

/* One entry's data, block by block as libarchive decodes it (no copy). */
static int
import_archive_data(struct library_import *imp, struct archive_entry *e,
    struct import_out *o, char **cause)
{
	const void	*block;
	const char	*msg;
	size_t		 len;
	la_int64_t	 offset;
	int		 r;

	for (;;) {
		r = archive_read_data_block(imp->a, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			msg = archive_error_string(imp->a);
			xasprintf(cause, "the archive is damaged or truncated "
			    "(in %s): %s", o->name, msg != NULL ? msg :
			    "unreadable data");
			return (-1);
		}
		if (offset < 0 || (uint64_t)offset < o->size) {
			xasprintf(cause, "the archive is damaged (in %s): data "
			    "out of order", o->name);
			return (-1);
		}
		if (import_zeros(imp, o, (uint64_t)offset, cause) == -1 ||
		    import_write(imp, o, block, len, cause) == -1)
			return (-1);
		imp->done = (uint64_t)archive_filter_bytes(imp->a, -1);
		import_report(imp, NULL);
	}
	/* A sparse entry may end in a hole. */
	if (archive_entry_size_is_set(e) && import_zeros(imp, o,
	    (uint64_t)archive_entry_size(e), cause) == -1)
		return (-1);
	if (archive_entry_size_is_set(e) &&
	    o->size != (uint64_t)archive_entry_size(e)) {
		xasprintf(cause, "the archive is damaged (in %s): %llu bytes "
		    "where the header says %lld", o->name,
		    (unsigned long long)o->size,
		    (long long)archive_entry_size(e));
		return (-1);
	}
	return (0);
}

/*
 * A tar ends at its end-of-archive blocks, before the end of the zstd
 * frame whose checksum libzstd checks (when the frame has one, as the
 * zstd tool writes it): the stream alone, read once more to its end.
 */
static int
import_zstd_check(struct library_import *imp, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	const void		*buf;
	size_t			 len;
	la_int64_t		 off;
	int			 r;

	a = archive_read_new();
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	r = archive_read_open_filename(a, imp->source, IMPORT_CHUNK);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	while (r == ARCHIVE_OK)
		r = archive_read_data_block(a, &buf, &len, &off);
	if (r != ARCHIVE_EOF) {
		xasprintf(cause, "the archive is damaged or truncated: %s "
		    "(copy it again from its source)", archive_error_string(a)
		    != NULL ? archive_error_string(a) : "unreadable");
		archive_read_free(a);
		return (-1);
	}
	archive_read_free(a);
	return (0);
}

/*
 * libarchive does not check a gzip trailer's CRC-32 and length: a byte
 * flipped in a .tar.gz often inflates without an error, and the damaged
 * image would be taken, its damage recorded in the manifest as the truth.
 * zlib checks them: the file is read through it once more to its end.
 */
static int
import_gzip_check(struct library_import *imp, char **cause)
{
	gzFile		 gz;
	const char	*msg;
	int		 n, errnum;

	if ((gz = gzopen(imp->source, "rb")) == NULL) {
		xasprintf(cause, "cannot read it again to check it: %s",
		    strerror(errno != 0 ? errno : ENOMEM));
		return (-1);
	}
	gzbuffer(gz, IMPORT_CHUNK);
	while ((n = gzread(gz, imp->buf, IMPORT_CHUNK)) > 0)
		;
	/*
	 * A file cut short, its trailer gone, ends with 0 from gzread and
	 * only gzerror says so (Z_BUF_ERROR): its damage went unseen.
	 */
	msg = gzerror(gz, &errnum);
	if (n < 0 || errnum != Z_OK) {
		xasprintf(cause, "the archive is damaged or truncated: its gzip "
		    "check failed (%s): copy it again from its source",
		    errnum == Z_ERRNO ? strerror(errno) : msg);
		gzclose(gz);
		return (-1);
	}
	gzclose(gz);
	return (0);
}

/*
 * Whether the file starts as a zip or a compressed stream does: one that
 * then fails to open is damaged (a small archive cut short fails while
 * libarchive is still deciding what it is, with "unreadable").
 */
static int
import_known_magic(const char *path)
{
	static const struct {
		const char	*magic;
		size_t		 len;
	} known[] = {
		{ "PK\003\004", 4 },			/* zip */
		{ "\037\213", 2 },			/* gzip */
		{ "\375" "7zXZ\000", 6 },		/* xz */
		{ "BZh", 3 },				/* bzip2 */
		{ "\050\265\057\375", 4 },		/* zstd */
	};
	unsigned char	head[8];
	ssize_t		n;
	size_t		i;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return (0);
	n = read(fd, head, sizeof head);
	close(fd);
	for (i = 0; n > 0 && i < sizeof known / sizeof known[0]; i++)
		if ((size_t)n >= known[i].len &&
		    memcmp(head, known[i].magic, known[i].len) == 0)
			return (1);
	return (0);
}

/*
 * The checks of the compressed stream that reading the tar did not make
 * (xz and bzip2 check their own blocks as they are read).
 */
static int
import_stream_check(struct library_import *imp, char **cause)
{
	int	i;

	for (i = 0; i < archive_filter_count(imp->a); i++) {
		if (archive_filter_code(imp->a, i) == ARCHIVE_FILTER_GZIP)
			return (import_gzip_check(imp, cause));
		if (archive_filter_code(imp->a, i) == ARCHIVE_FILTER_ZSTD)
			return (import_zstd_check(imp, cause));
	}
	return (0);
}

/*
 * Only the compressions UC Software packages come in (zip's own deflate
 * aside): gzip, xz, zstd, bzip2, each only when libarchive has it built in.
 * archive_read_support_filter_all() also reads lrzip, lzop, grzip, lz4,
 * lzip, uuencode, rpm... and for those it lacks a library for it runs an
 * external program (lrzip -d, ...) on the stranger's file.  A filter that
 * would need one (ARCHIVE_WARN from its support call, tried on a scratch
 * reader first) is left out.
 */
static void
import_support_filters(struct archive *a)
{
	int	(*const filters[])(struct archive *) = {
		archive_read_support_filter_gzip,
		archive_read_support_filter_xz,
		archive_read_support_filter_zstd,
		archive_read_support_filter_bzip2,
	};
	struct archive	*probe;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		probe = archive_read_new();
		r = filters[i](probe);
		archive_read_free(probe);
		if (r == ARCHIVE_OK)
			filters[i](a);
	}
}

int
library_extract_archive(struct library_import *imp, char **cause)
{
	struct archive_entry	*e;
	struct import_out	 o;
	struct stat		 sb;
	const char		*raw, *msg;
	char			*name = NULL, *esc;
	int			 r, skip, rc = -1, empty;

	o.fd = -1;
	o.ctx = NULL;
	o.name = NULL;
	empty = 0;
	if (stat(imp->source, &sb) == 0) {
		imp->total = (uint64_t)sb.st_size;
		empty = S_ISREG(sb.st_mode) && sb.st_size == 0;
	}
	imp->a = archive_read_new();
	import_support_filters(imp->a);
	archive_read_support_format_zip(imp->a);
	archive_read_support_format_tar(imp->a);
	if (archive_read_open_filename(imp->a, imp->source, IMPORT_CHUNK) !=
	    ARCHIVE_OK) {
		/*
		 * A compression libarchive recognised that then fails to
		 * decompress is a damaged archive, not a foreign one: where
		 * the damage lands decides whether it shows here or later.
		 */
		msg = archive_error_string(imp->a);
		if (msg == NULL)
			msg = "unreadable";
		if (empty)
			/* Windows leaves 0 bytes of a copy that did not finish. */
			xasprintf(cause, "the file is empty (0 bytes): a copy "
			    "that did not finish? copy it again from its source");
		else if (archive_filter_count(imp->a) > 1 ||
		    strstr(msg, "decompression") != NULL ||
		    import_known_magic(imp->source))
			xasprintf(cause, "the archive is damaged or truncated: "
			    "%s (copy it again from its source)", msg);
		else
			xasprintf(cause, "not an archive that can be imported "
			    "(zip, tar.gz, tar.xz, tar.zst): %s", msg);
		archive_read_free(imp->a);
		imp->a = NULL;
		return (-1);
	}
	for (;;) {
		r = archive_read_next_header(imp->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		msg = archive_error_string(imp->a);
		/*
		 * A name libarchive could not convert to the locale's
		 * characters (é in a zip, under the daemon's C locale): the
		 * name's own refusal says it, not "damaged".
		 */
		if (r == ARCHIVE_WARN && msg != NULL &&
		    strstr(msg, "cannot be converted") != NULL) {
			if ((raw = archive_entry_pathname(e)) == NULL)
				raw = archive_entry_pathname_utf8(e);
			if (raw == NULL)
				xasprintf(cause, "an entry has a name with a "
				    "letter outside ASCII, a byte a firmware "
				    "package never uses");
			if (raw == NULL || import_name(raw, &name, cause) == -1)
				goto out;
			free(name);
			name = NULL;
		}
		if (r != ARCHIVE_OK) {
			/* Even a warning: a good package reads cleanly. */
			msg = archive_error_string(imp->a);
			xasprintf(cause, "the archive is damaged or truncated: "
			    "%s", msg != NULL ? msg : "unreadable header");
			goto out;
		}
		raw = archive_entry_pathname(e);
		if ((skip = import_name(raw, &name, cause)) == -1)
			goto out;
		if (archive_entry_hardlink(e) != NULL) {
			esc = log_escape(raw, strlen(raw));
			xasprintf(cause, "entry \"%s\" is a hard link: a firmware "
			    "package has no links", esc);
			free(esc);
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFDIR) {
			if (!skip && import_mkdirs(imp, name, 1, cause) == -1)
				goto out;
			free(name);
			name = NULL;
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			import_refuse_type(raw, archive_entry_filetype(e),
			    archive_entry_symlink(e), cause);
			goto out;
		}
		if (archive_entry_size_is_set(e) &&
		    (uint64_t)archive_entry_size(e) > LIBRARY_ENTRY_MAX) {
			xasprintf(cause, "entry %s says it has %llu MB: no "
			    "firmware file is bigger than %llu MB", skip ?
			    "(skipped)" : name,
			    (unsigned long long)archive_entry_size(e) >> 20,
			    LIBRARY_ENTRY_MAX / (1024 * 1024));
			goto out;
		}
		if (skip) {
			archive_read_data_skip(imp->a);
			continue;
		}
		if (import_open(imp, name, &o, cause) == -1)
			goto out;
		import_report(imp, name);
		if (import_archive_data(imp, e, &o, cause) == -1)
			goto out;
		if (import_close(imp, &o, cause) == -1)
			goto out;
		free(name);
		name = NULL;
	}
	if (import_stream_check(imp, cause) == -1)
		goto out;
	imp->done = imp->total;
	import_report(imp, "");
	rc = 0;
out:
	import_abort_out(&o);
	free(name);
	archive_read_free(imp->a);
	imp->a = NULL;
	return (rc);
}

/*
 * A file still being written (a copy to the stick still running, or
 * stopped half way and resumed) is taken only as it was when its copy
 * began, or not at all: what was read must be the whole file, unchanged.
 */
static void
import_unchanged(int fd, const struct stat *before, uint64_t copied,
    const char *rel, char **cause)
{
	struct stat	after;

	if (fstat(fd, &after) == -1) {
		xasprintf(cause, "cannot read %s: %s", rel, strerror(errno));
		return;
	}
	if (copied != (uint64_t)before->st_size ||
	    after.st_size != before->st_size ||
	    after.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		xasprintf(cause, "%s changed while it was copied (%llu bytes "
		    "when the copy began, %llu now): is a copy to the stick "
		    "still running? wait for it to end and import again", rel,
		    (unsigned long long)before->st_size,
		    (unsigned long long)after.st_size);
}

uint64_t
library_folder_size(int dirfd, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	uint64_t	 total = 0;
	int		 fd;

	if (depth > IMPORT_DEPTH_MAX || (fd = dup(dirfd)) == -1)
		return (0);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (0);
	}
	rewinddir(d);	/* a dup shares its offset with the original */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISREG(sb.st_mode))
			total += (uint64_t)sb.st_size;
		else if (S_ISDIR(sb.st_mode) && (fd = openat(dirfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
			total += library_folder_size(fd, depth + 1);
			close(fd);
		}
	}
	closedir(d);
	return (total);
}

/* A folder: the same checks as an archive's entries, read with read(2). */
int
library_extract_folder(struct library_import *imp, int dirfd,
    const char *prefix, int depth, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct import_out o;
	char		*rel, *name = NULL, link[256];
	ssize_t		 n;
	int		 fd, sub, skip, rc = -1;

	o.fd = -1;
	o.ctx = NULL;
	o.name = NULL;
	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		xasprintf(cause, "cannot read folder %s: %s", imp->source,
		    strerror(errno));
		return (-1);
	}
	rewinddir(d);	/* a dup shares its offset with the original */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&rel, "%s%s%s", prefix, *prefix != '\0' ? "/" : "",
		    de->d_name);
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			xasprintf(cause, "cannot read %s: %s", rel,
			    strerror(errno));
			free(rel);
			goto out;
		}
		skip = import_name(rel, &name, cause);
		if (skip == -1) {
			free(rel);
			goto out;
		}
		if (S_ISLNK(sb.st_mode)) {
			n = readlinkat(dirfd, de->d_name, link, sizeof link - 1);
			link[n < 0 ? 0 : n] = '\0';
			import_refuse_type(rel, AE_IFLNK, link, cause);
			free(rel);
			goto out;
		}
		if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
			import_refuse_type(rel, sb.st_mode & S_IFMT, NULL, cause);
			free(rel);
			goto out;
		}
		if (skip) {
			free(rel);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1 || depth >= IMPORT_DEPTH_MAX ||
			    import_mkdirs(imp, name, 1, cause) == -1 ||
			    library_extract_folder(imp, sub, rel, depth + 1,
			    cause) == -1) {
				if (sub == -1 || (depth >= IMPORT_DEPTH_MAX &&
				    *cause == NULL))
					xasprintf(cause, "cannot read folder "
					    "%s", rel);
				if (sub != -1)
					close(sub);
				free(rel);
				goto out;
			}
			close(sub);
		} else {
			if (sb.st_size > (off_t)LIBRARY_ENTRY_MAX) {
				xasprintf(cause, "%s has %llu MB: no firmware "
				    "file is bigger than %llu MB", rel,
				    (unsigned long long)sb.st_size >> 20,
				    LIBRARY_ENTRY_MAX / (1024 * 1024));
				free(rel);
				goto out;
			}
			sub = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (sub == -1 || import_open(imp, name, &o,
			    cause) == -1) {
				if (sub == -1)
					xasprintf(cause, "cannot read %s: %s",
					    rel, strerror(errno));
				else
					close(sub);
				free(rel);
				goto out;
			}
			import_report(imp, name);
			while ((n = read(sub, imp->buf, IMPORT_CHUNK)) > 0) {
				if (import_write(imp, &o, imp->buf, (size_t)n,
				    cause) == -1)
					break;
				imp->done += (uint64_t)n;
				import_report(imp, NULL);
			}
			if (n != 0 && *cause == NULL)
				xasprintf(cause, "cannot read %s: %s", rel,
				    strerror(errno));
			if (*cause == NULL)
				import_unchanged(sub, &sb, o.size, rel, cause);
			close(sub);
			if (*cause != NULL || import_close(imp, &o,
			    cause) == -1) {
				free(rel);
				goto out;
			}
		}
		free(rel);
		free(name);
		name = NULL;
	}
	rc = 0;
out:
	import_abort_out(&o);
	free(name);
	closedir(d);
	return (rc);
}
