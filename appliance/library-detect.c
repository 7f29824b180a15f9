/*
 * Recognising a UC Software package among the files of an archive or a
 * folder: sip.ver (the build string, the package's version), split images
 * <part>.sip.ld, a combined sip.ld, possibly all inside one top-level
 * folder.  What is not a package is refused with a sentence saying what it
 * looks like instead.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "library-internal.h"
#include "xmalloc.h"

#define LIBRARY_SIPVER_MAX	64
#define LIBRARY_ROOT_DEPTH	3
#define LIBRARY_HEADER_SIZE	512
#define LIBRARY_SYNTH_MAGIC	"ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE"

struct library_ext_count {
	char	ext[16];
	size_t	count;
};

static char	*library_detect_root(struct library_file *, size_t);
static char	*library_looks_like(struct library_file *, size_t);
static int	 library_read_sipver(const char *, char **, char **);
static int	 library_has_suffix(const char *, const char *);
static int	 library_check_header(const char *, const char *, const char *,
		     const char *, char **);
static int	 library_detect_bootrom(const char *, struct library_file *,
		     size_t, struct library_detect *, int, int, size_t,
		     char **);

static int
library_has_suffix(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return (ls >= lx && strcmp(s + ls - lx, suffix) == 0);
}

static int	 library_is_part_file(const char *, const char *, size_t *);

/* "3111-46162-001.sip.ld": digit groups joined by '-', then ".sip.ld". */
int
library_is_part_image(const char *name, size_t *partlen)
{
	return (library_is_part_file(name, ".sip.ld", partlen));
}

/* "2345-12670-001.bootrom.ld": a split BootROM image. */
int
library_is_part_bootrom(const char *name, size_t *partlen)
{
	return (library_is_part_file(name, ".bootrom.ld", partlen));
}

static int
library_is_part_file(const char *name, const char *suffix, size_t *partlen)
{
	const char	*s = name;
	int		 groups = 0;

	for (;;) {
		if (!isdigit((unsigned char)*s))
			return (0);
		while (isdigit((unsigned char)*s))
			s++;
		groups++;
		if (*s != '-')
			break;
		s++;
	}
	if (groups < 2 || strcmp(s, suffix) != 0)
		return (0);
	if (partlen != NULL)
		*partlen = (size_t)(s - name);
	return (1);
}

/* The folders every file is inside, as "a/b/" (or ""). */
static char *
library_detect_root(struct library_file *files, size_t n)
{
	char		*root = xstrdup(""), *next;
	const char	*first, *slash;
	size_t		 i, rlen = 0, clen;
	int		 depth;

	if (n == 0)
		return (root);
	for (depth = 0; depth < LIBRARY_ROOT_DEPTH; depth++) {
		first = files[0].name + rlen;
		if ((slash = strchr(first, '/')) == NULL)
			break;
		clen = (size_t)(slash - first) + 1;
		for (i = 1; i < n; i++) {
			if (strncmp(files[i].name + rlen, first, clen) != 0)
				break;
		}
		if (i != n)
			break;
		xasprintf(&next, "%s%.*s", root, (int)clen, first);
		free(root);
		root = next;
		rlen += clen;
	}
	return (root);
}

/* A short description of files that are not a UC Software package. */
static char *
library_looks_like(struct library_file *files, size_t n)
{
	struct library_ext_count	 counts[8];
	const char			*base, *dot;
	char				*text, *next;
	size_t				 i, j, ncounts = 0, best;

	if (n == 0)
		return (xstrdup("it is empty"));
	for (i = 0; i < n; i++) {
		base = strrchr(files[i].name, '/');
		base = base != NULL ? base + 1 : files[i].name;
		if (library_has_suffix(base, ".zip") ||
		    strstr(base, ".tar") != NULL || library_has_suffix(base,
		    ".tgz")) {
			xasprintf(&text, "it holds another archive (%s): "
			    "extract that one and import it", files[i].name);
			return (text);
		}
		if (library_has_suffix(base, ".ld")) {
			xasprintf(&text, "it looks like a BootROM or Updater "
			    "package (%s), not UC Software (a BootROM package "
			    "has bootrom.ver with bootrom.ld or "
			    "<part>.bootrom.ld)", files[i].name);
			return (text);
		}
	}
	for (i = 0; i < n; i++) {
		base = strrchr(files[i].name, '/');
		base = base != NULL ? base + 1 : files[i].name;
		dot = strrchr(base, '.');
		dot = dot != NULL && strlen(dot) < sizeof counts[0].ext ?
		    dot : "(no extension)";
		for (j = 0; j < ncounts; j++) {
			if (strcmp(counts[j].ext, dot) == 0)
				break;
		}
		if (j == ncounts) {
			if (ncounts == sizeof counts / sizeof counts[0])
				continue;
			snprintf(counts[j].ext, sizeof counts[j].ext, "%s", dot);
			counts[j].count = 0;
			ncounts++;
		}
		counts[j].count++;
	}
	text = xstrdup("it looks like something else:");
	for (i = 0; i < 3 && ncounts > 0; i++) {
		best = 0;
		for (j = 1; j < ncounts; j++) {
			if (counts[j].count > counts[best].count)
				best = j;
		}
		xasprintf(&next, "%s%s %zu %s file%s", text, i == 0 ? "" : ",",
		    counts[best].count, counts[best].ext,
		    counts[best].count == 1 ? "" : "s");
		free(text);
		text = next;
		counts[best] = counts[--ncounts];
	}
	return (text);
}

static int
library_read_sipver(const char *path, char **out, char **cause)
{
	char		 buf[LIBRARY_SIPVER_MAX + 1], *s, *e, *p;
	ssize_t		 n;
	int		 fd, dots = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot read %s: %s", path, strerror(errno));
		return (-1);
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0 || n > LIBRARY_SIPVER_MAX) {
		xasprintf(cause, "sip.ver is not a build string (%s)",
		    n < 0 ? strerror(errno) : "too long");
		return (-1);
	}
	buf[n] = '\0';
	/* The phone reads all of it: "4.1.7.5432\0junk" is not a build. */
	if (memchr(buf, '\0', (size_t)n) != NULL) {
		xasprintf(cause, "sip.ver holds a NUL byte: not a build string "
		    "(a damaged or edited copy? take it again from its "
		    "source)");
		return (-1);
	}
	if (n >= 3 && memcmp(buf, "\357\273\277", 3) == 0) {
		xasprintf(cause, "sip.ver starts with a UTF-8 byte order mark "
		    "(saved by an editor such as Notepad?): take it again from "
		    "its source");
		return (-1);
	}
	/* Tolerate spaces, CR LF or LF around the build. */
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	*e = '\0';
	for (p = s; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (!isdigit((unsigned char)*p))
			break;
	}
	if (*p != '\0' || s == e || dots < 2 || dots > 3 || *s == '.' ||
	    e[-1] == '.' || strstr(s, "..") != NULL) {
		xasprintf(cause, "sip.ver holds \"%.*s\", not a build like "
		    "4.1.7.5432", (int)(e - s) > 32 ? 32 : (int)(e - s), s);
		for (p = *cause; *p != '\0'; p++) {
			if (!isprint((unsigned char)*p))
				*p = '?';
		}
		return (-1);
	}
	*out = xstrdup(s);
	return (0);
}

/*
 * A synthetic image (images/README.md) names its part and build in its
 * header: one that disagrees with its file name or sip.ver belongs to
 * another package.  Real images are not checked: their format is Polycom's.
 */
static int
library_check_header(const char *dir, const char *root, const char *part,
    const char *build, char **cause)
{
	char		 header[LIBRARY_HEADER_SIZE + 1], *path, *line, *end;
	const char	*want;
	ssize_t		 n;
	size_t		 klen;
	int		 fd, i;

	xasprintf(&path, "%s/%s%s.sip.ld", dir, root, part);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return (0);
	n = read(fd, header, LIBRARY_HEADER_SIZE);
	close(fd);
	if (n < (ssize_t)strlen(LIBRARY_SYNTH_MAGIC) ||
	    strncmp(header, LIBRARY_SYNTH_MAGIC,
	    strlen(LIBRARY_SYNTH_MAGIC)) != 0)
		return (0);
	header[n] = '\0';
	for (i = 0; i < 2; i++) {
		want = i == 0 ? part : build;
		line = strstr(header, i == 0 ? "\npart: " : "\nversion: ");
		if (line == NULL)
			continue;
		line = strchr(line, ' ') + 1;
		if ((end = strchr(line, '\n')) == NULL)
			continue;
		klen = (size_t)(end - line);
		if (klen != strlen(want) || strncmp(line, want, klen) != 0) {
			xasprintf(cause, "%s.sip.ld says it is %s %.*s, not %s: "
			    "the package mixes files of different releases",
			    part, i == 0 ? "part" : "version",
			    (int)(klen > 32 ? 32 : klen), line, want);
			for (end = *cause; *end != '\0'; end++) {
				if (!isprint((unsigned char)*end))
					*end = '?';
			}
			return (-1);
		}
	}
	return (0);
}

/*
 * A BootROM package of the SIP 2.x/3.x era: bootrom.ld (a wrapper holding
 * every supported hardware's BootROM) and/or split <part>.bootrom.ld, with
 * bootrom.ver naming the build.  Without bootrom.ver its version cannot be
 * known, and the plan needs it.
 */
static int
library_detect_bootrom(const char *dir, struct library_file *files, size_t n,
    struct library_detect *d, int has_bootver, int bootrom_ld, size_t images,
    char **cause)
{
	const char	*name;
	char		*path, *why = NULL;
	size_t		 i, rlen = strlen(d->root), partlen;

	if (!has_bootver) {
		xasprintf(cause, "%zu BootROM image%s (bootrom.ld, "
		    "<part>.bootrom.ld) but no bootrom.ver, so the BootROM "
		    "build cannot be known: import the complete BootROM "
		    "package", images, images == 1 ? "" : "s");
		return (-1);
	}
	xasprintf(&path, "%s/%sbootrom.ver", dir, d->root);
	if (library_read_sipver(path, &d->sip_ver, &why) == -1) {
		free(path);
		/* The same grammar as sip.ver; say which file. */
		if (strncmp(why, "sip.ver", 7) == 0)
			xasprintf(cause, "bootrom.ver%s", why + 7);
		else
			xasprintf(cause, "%s", why);
		free(why);
		return (-1);
	}
	free(path);
	for (i = 0; i < n; i++) {
		name = files[i].name + rlen;
		if (strchr(name, '/') == NULL &&
		    library_is_part_bootrom(name, &partlen))
			d->parts[d->nparts++] = xstrndup(name, partlen);
	}
	d->kind = LIBRARY_BOOTROM;
	d->has_combined = bootrom_ld;
	return (0);
}

int
library_detect(const char *dir, struct library_file *files, size_t n,
    struct library_detect *d, char **cause)
{
	const char	*name, *slash;
	char		*path, *what;
	size_t		 i, rlen, images = 0, partlen, bootroms = 0;
	int		 has_sipver = 0, has_bootver = 0, bootrom_ld = 0;

	memset(d, 0, sizeof *d);
	d->root = library_detect_root(files, n);
	rlen = strlen(d->root);
	d->parts = xcalloc(n + 1, sizeof *d->parts);
	for (i = 0; i < n; i++) {
		name = files[i].name + rlen;
		if ((slash = strrchr(name, '/')) != NULL) {
			/*
			 * A package inside a package (an older release kept in
			 * old/): its images would be stored as files of this
			 * one, and its own release never imported, unsaid.
			 */
			if (strcmp(slash + 1, "sip.ver") == 0 ||
			    strcmp(slash + 1, "bootrom.ver") == 0 ||
			    library_is_part_image(slash + 1, &partlen)) {
				xasprintf(cause, "folder %.*s holds a package of "
				    "its own (%s): two packages in one; import "
				    "each on its own", (int)(slash - name), name,
				    slash + 1);
				return (-1);
			}
			continue;
		}
		/* A copy to the stick that did not finish (Windows leaves 0). */
		if (files[i].size == 0 && (strcmp(name, "sip.ld") == 0 ||
		    strcmp(name, "bootrom.ld") == 0 ||
		    library_is_part_image(name, &partlen) ||
		    library_is_part_bootrom(name, &partlen))) {
			xasprintf(cause, "image %s is empty (0 bytes): a copy "
			    "that did not finish? copy the package again from "
			    "its source", name);
			return (-1);
		}
		if (strcmp(name, "sip.ver") == 0)
			has_sipver = 1;
		else if (strcmp(name, "bootrom.ver") == 0)
			has_bootver = 1;
		else if (strcmp(name, "bootrom.ld") == 0) {
			bootrom_ld = 1;
			bootroms++;
		} else if (library_is_part_bootrom(name, &partlen))
			bootroms++;
		else if (strcmp(name, "sip.ld") == 0) {
			d->has_combined = 1;
			images++;
		} else if (library_is_part_image(name, &partlen)) {
			d->parts[d->nparts++] = xstrndup(name, partlen);
			images++;
		} else if (strcmp(name, LIBRARY_MANIFEST) == 0) {
			xasprintf(cause, "the package holds a file named %s, "
			    "a name the library keeps for itself: this is a "
			    "package of a ZTP Rescue library, not one as "
			    "Polycom ships it; import the original zip instead",
			    name);
			return (-1);
		}
	}
	if (!has_sipver && images == 0 && bootroms > 0)
		return (library_detect_bootrom(dir, files, n, d, has_bootver,
		    bootrom_ld, bootroms, cause));
	if (!has_sipver && images == 0) {
		what = library_looks_like(files, n);
		xasprintf(cause, "not a UC Software package: no sip.ver and no "
		    "*.sip.ld among %zu file%s: %s", n, n == 1 ? "" : "s", what);
		free(what);
		return (-1);
	}
	if (!has_sipver) {
		xasprintf(cause, "%zu image%s (*.sip.ld) but no sip.ver, so the "
		    "build cannot be known: import the complete release "
		    "package", images, images == 1 ? "" : "s");
		return (-1);
	}
	xasprintf(&path, "%s/%ssip.ver", dir, d->root);
	if (library_read_sipver(path, &d->sip_ver, cause) == -1) {
		free(path);
		return (-1);
	}
	free(path);
	if (images == 0) {
		xasprintf(cause, "sip.ver says %s but there is no image "
		    "(<part>.sip.ld or sip.ld): import the complete release "
		    "package", d->sip_ver);
		return (-1);
	}
	for (i = 0; i < d->nparts; i++) {
		if (library_check_header(dir, d->root, d->parts[i], d->sip_ver,
		    cause) == -1)
			return (-1);
	}
	return (0);
}

void
library_detect_clear(struct library_detect *d)
{
	size_t	i;

	free(d->root);
	free(d->sip_ver);
	for (i = 0; i < d->nparts; i++)
		free(d->parts[i]);
	free(d->parts);
	memset(d, 0, sizeof *d);
}
