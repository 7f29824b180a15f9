/*
 * Writing a package as a zip, a tar.gz or a folder.  Images are streamed in
 * chunks and deflated, as in a real release zip (their payload does not
 * compress, as a real image's does not).  Every timestamp,
 * owner and mode is fixed so the same arguments give the same bytes.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "synth.h"

/* 2015-06-01 00:00:00 UTC, about when these releases were current. */
#define SYNTH_MTIME	1433116800

static void	synth_write_archive(const struct synth_release *,
		    const struct synth_options *, struct synth_file *, size_t,
		    const char *);
static void	synth_write_dir(const struct synth_options *,
		    struct synth_file *, size_t, const char *);
static void	synth_mkdirs(const char *);

static void
synth_write_archive(const struct synth_release *r,
    const struct synth_options *o, struct synth_file *files, size_t n,
    const char *path)
{
	struct archive		*a;
	struct archive_entry	*e;
	struct synth_stream	 st;
	char			*buf, *tmp;
	size_t			 i, got;

	if ((buf = malloc(SYNTH_CHUNK)) == NULL)
		err(1, "malloc");
	if (asprintf(&tmp, "%s.tmp", path) == -1)
		err(1, "asprintf");
	a = archive_write_new();
	if (o->format == SYNTH_ZIP) {
		archive_write_set_format_zip(a);
		archive_write_set_format_option(a, "zip", "compression",
		    "deflate");
	} else {
		archive_write_set_format_pax_restricted(a);
		archive_write_add_filter_gzip(a);
		archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
	}
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK)
		errx(1, "%s: %s", tmp, archive_error_string(a));
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, files[i].name);
		archive_entry_set_mtime(e, SYNTH_MTIME, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (files[i].is_dir) {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)files[i].size);
		}
		if (archive_write_header(a, e) != ARCHIVE_OK)
			errx(1, "%s: %s", files[i].name, archive_error_string(a));
		archive_entry_free(e);
		if (files[i].is_dir)
			continue;
		synth_stream_start(&st, &files[i]);
		while ((got = synth_stream_read(&st, buf, SYNTH_CHUNK)) > 0) {
			if (archive_write_data(a, buf, got) != (la_ssize_t)got)
				errx(1, "%s: %s", tmp, archive_error_string(a));
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		errx(1, "%s: %s", tmp, archive_error_string(a));
	archive_write_free(a);
	if (rename(tmp, path) == -1)
		err(1, "rename %s", tmp);
	free(tmp);
	free(buf);
	(void)r;
}

static void
synth_mkdirs(const char *path)
{
	char	*p, *s;

	if ((p = strdup(path)) == NULL)
		err(1, "strdup");
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			err(1, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", p);
	free(p);
}

static void
synth_write_dir(const struct synth_options *o, struct synth_file *files,
    size_t n, const char *path)
{
	struct synth_stream	 st;
	struct timespec		 ts[2];
	char			*buf, *full;
	size_t			 i, got;
	int			 fd;

	if ((buf = malloc(SYNTH_CHUNK)) == NULL)
		err(1, "malloc");
	synth_mkdirs(path);
	ts[0].tv_sec = ts[1].tv_sec = SYNTH_MTIME;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	for (i = 0; i < n; i++) {
		if (asprintf(&full, "%s/%s", path, files[i].name) == -1)
			err(1, "asprintf");
		if (files[i].is_dir) {
			synth_mkdirs(full);
			free(full);
			continue;
		}
		fd = open(full, O_WRONLY|O_CREAT|O_TRUNC, 0644);
		if (fd == -1)
			err(1, "%s", full);
		synth_stream_start(&st, &files[i]);
		while ((got = synth_stream_read(&st, buf, SYNTH_CHUNK)) > 0) {
			if (write(fd, buf, got) != (ssize_t)got)
				err(1, "write %s", full);
		}
		futimens(fd, ts);
		if (close(fd) == -1)
			err(1, "close %s", full);
		free(full);
	}
	free(buf);
	(void)o;
}

int
synth_write_package(const struct synth_release *r,
    const struct synth_options *o)
{
	struct synth_file	*files;
	size_t			 n;
	char			*base, *path;
	const char		*ext;

	files = synth_package_files(r, o, &n);
	base = synth_package_name(r);
	switch (o->format) {
	case SYNTH_ZIP:
		ext = ".zip";
		break;
	case SYNTH_TGZ:
		ext = ".tar.gz";
		break;
	default:
		ext = "";
		break;
	}
	if (asprintf(&path, "%s/%s%s", o->out, base, ext) == -1)
		err(1, "asprintf");
	if (o->format == SYNTH_DIR)
		synth_write_dir(o, files, n, path);
	else
		synth_write_archive(r, o, files, n, path);
	printf("%s\n", path);
	free(path);
	free(base);
	synth_files_free(files, n);
	return (0);
}
