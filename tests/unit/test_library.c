/*
 * The firmware library API: import of folders and zips, the manifest,
 * library_find, library_open_file's cheap check, verify's damage mark,
 * refusals that leave nothing behind.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "library.h"
#include "models.h"
#include "version.h"

struct fixture {
	char	 root[64];
	char	*src;
	char	*libdir;
	char	 notes[2048];
	uint64_t last_done, last_total;
	int	 calls;
};

static void
put(const char *dir, const char *name, const char *text)
{
	char	path[512];
	FILE	*fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static char *
package_dir(struct fixture *f, const char *name, const char *sipver)
{
	char	*dir, image[64];

	assert_true(asprintf(&dir, "%s/%s", f->root, name) > 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(dir, "sip.ver", sipver);
	snprintf(image, sizeof image, "image 3111-46162-001");
	put(dir, "3111-46162-001.sip.ld", image);
	put(dir, "3111-44600-001.sip.ld", "image 3111-44600-001");
	put(dir, "000000000000.cfg", "<APPLICATION/>\n");
	return (dir);
}

static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return (n);
}

static void
note(void *arg, const char *text)
{
	struct fixture	*f = arg;

	strncat(f->notes, text, sizeof f->notes - strlen(f->notes) - 2);
	strcat(f->notes, "\n");
}

static void
progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	struct fixture	*f = arg;

	f->calls++;
	f->last_done = done;
	f->last_total = total;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);

	snprintf(f->root, sizeof f->root, "/tmp/test_library.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_true(asprintf(&f->libdir, "%s/lib", f->root) > 0);
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f->libdir);
	free(f->src);
	free(f);
	return (0);
}

static int
import(struct fixture *f, struct library *lib, const char *path, char **cause)
{
	struct library_progress	 p = { progress, f, note, NULL };
	char			**ids = NULL;
	int			 rc, i;

	*cause = NULL;
	rc = library_import(lib, NULL, path, &p, &ids, cause);
	for (i = 0; ids != NULL && ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
	return (rc);
}

static void
parse(const char *text, struct ucs_version *v)
{
	char	*cause = NULL;

	assert_int_equal(ucs_version_parse(text, v, &cause), 0);
}

static void
test_import_folder_and_find(void **state)
{
	struct fixture			*f = *state;
	struct library			*lib;
	const struct library_package	*p;
	struct library_progress		 prog = { progress, f, note, NULL };
	struct model_table		*models;
	struct ucs_version		 v;
	char				*cause = NULL, **ids = NULL;
	size_t				 i;

	f->src = package_dir(f, "pkg", "4.1.7.5432");
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_non_null(models = model_table_load_default(&cause));
	assert_int_equal(library_import(lib, models, f->src, &prog, &ids,
	    &cause), 0);
	assert_string_equal(ids[0], "4.1.7.5432");
	assert_null(ids[1]);
	free(ids[0]);
	free(ids);
	assert_non_null(strstr(f->notes, "imported 4.1.7.5432 from "));
	assert_non_null(strstr(f->notes, ": 2 images for VVX410, VVX600\n"));
	assert_int_equal(lib->npackages, 1);
	p = &lib->packages[0];
	assert_string_equal(p->sip_ver, "4.1.7.5432");
	assert_int_equal(p->nfiles, 4);
	assert_int_equal(p->nparts, 2);
	assert_null(p->damage);
	for (i = 0; i < p->nfiles; i++) {
		if (strcmp(p->files[i].name, "sip.ver") == 0) {
			assert_int_equal(p->files[i].size, 10);
			assert_string_equal(p->files[i].sha256, "5f0ebd213d7b624ad9200707d000c846632f1ebb8fcd91f2e369a2bec5eb5bd0");
		}
	}
	/* The seed's "4.1.7G" finds the 4.1.7 build. */
	parse("4.1.7G", &v);
	assert_ptr_equal(library_find(lib, &v, "3111-46162-001"), p);
	assert_null(library_find(lib, &v, "3111-48450-001"));
	parse("4.1.6", &v);
	assert_null(library_find(lib, &v, "3111-46162-001"));
	assert_int_equal(f->last_done, f->last_total);
	model_table_free(models);
	library_free(lib);

	/* Reopened from disk, the same. */
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(lib->npackages, 1);
	assert_null(lib->packages[0].damage);
	assert_string_equal(lib->packages[0].id, "4.1.7.5432");
	library_free(lib);
}

static void
test_find_newest_build(void **state)
{
	struct fixture			*f = *state;
	struct library			*lib;
	const struct library_package	*p;
	struct ucs_version		 v;
	char				*cause = NULL, *a, *b;

	a = package_dir(f, "a", "4.1.7.5432");
	b = package_dir(f, "b", "4.1.7.6000\r\n");
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, b, &cause), 0);
	assert_int_equal(import(f, lib, a, &cause), 0);
	parse("4.1.7.5432", &v);
	assert_non_null(p = library_find(lib, &v, "3111-44600-001"));
	assert_string_equal(p->id, "4.1.7.6000");
	assert_string_equal(lib->packages[0].id, "4.1.7.5432");
	free(a);
	free(b);
	library_free(lib);
}

static void
test_open_file_cheap_check(void **state)
{
	struct fixture			*f = *state;
	struct library			*lib;
	const struct library_package	*p;
	char				*cause = NULL, buf[64], path[512];
	uint64_t			 size = 0;
	ssize_t				 n;
	int				 fd;

	f->src = package_dir(f, "pkg", "5.4.1.18370\n");
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), 0);
	p = &lib->packages[0];
	assert_string_equal(p->id, "5.4.1.18370");
	fd = library_open_file(p, "3111-46162-001.sip.ld", &size, &cause);
	assert_true(fd >= 0);
	assert_int_equal(size, 20);
	n = read(fd, buf, sizeof buf);
	assert_int_equal(n, 20);
	assert_memory_equal(buf, "image 3111-46162-001", 20);
	close(fd);

	assert_int_equal(library_open_file(p, "nope.sip.ld", &size, &cause), -1);
	assert_non_null(strstr(cause, "has no file named nope.sip.ld"));
	free(cause);
	cause = NULL;

	snprintf(path, sizeof path, "%s/3111-46162-001.sip.ld", p->dir);
	put(p->dir, "3111-46162-001.sip.ld", "image 3111-46162-001 and more");
	assert_int_equal(library_open_file(p, "3111-46162-001.sip.ld", &size,
	    &cause), -1);
	assert_non_null(strstr(cause, "changed since it was imported"));
	free(cause);
	library_free(lib);
}

static void
test_verify_marks_damage(void **state)
{
	struct fixture			*f = *state;
	struct library			*lib;
	struct ucs_version		 v;
	struct stat			 sb;
	struct timespec			 ts[2];
	char				*cause = NULL, path[512];
	uint64_t			 size;
	int				 fd;

	f->src = package_dir(f, "pkg", "4.0.8.0931");
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), 0);
	assert_int_equal(library_verify(lib, NULL), 0);

	/* One byte changed; size and mtime put back. */
	snprintf(path, sizeof path, "%s/3111-44600-001.sip.ld",
	    lib->packages[0].dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 3), 1);
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(library_verify(lib, NULL), 1);
	assert_non_null(strstr(lib->packages[0].damage,
	    "3111-44600-001.sip.ld does not match its SHA-256"));
	parse("4.0.8H", &v);
	assert_null(library_find(lib, &v, "3111-44600-001"));
	assert_int_equal(library_open_file(&lib->packages[0], "sip.ver", &size,
	    &cause), -1);
	assert_non_null(strstr(cause, "is damaged and is not served"));
	free(cause);
	library_free(lib);

	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_non_null(lib->packages[0].damage);
	assert_null(library_find(lib, &v, "3111-44600-001"));
	library_free(lib);
}

static void
test_not_a_package(void **state)
{
	struct fixture	*f = *state;
	struct library	*lib;
	char		*cause = NULL, *dir, packages[256];

	assert_true(asprintf(&dir, "%s/docs", f->root) > 0);
	mkdir(dir, 0755);
	put(dir, "a.txt", "a");
	put(dir, "b.txt", "b");
	put(dir, "c.pdf", "c");
	assert_non_null(lib = library_open(f->libdir, &cause));
	/* A folder without a package is scanned; a zip of it is refused. */
	assert_int_equal(import(f, lib, dir, &cause), -1);
	assert_non_null(strstr(cause, "no UC Software package under"));
	free(cause);
	f->src = dir;
	library_free(lib);

	snprintf(packages, sizeof packages, "%s/packages", f->libdir);
	assert_int_equal(count_entries(packages), 0);
	assert_int_equal(count_entries(f->libdir), 1);
}

static void
write_zip(const char *path, const char *const *names,
    const char *const *texts, size_t n)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	size_t			 i;

	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		archive_write_data(a, texts[i], strlen(texts[i]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void
test_zip_top_folder_upper_case(void **state)
{
	static const char *const names[] = { "Pkg/SIP.VER",
	    "Pkg/3111-46162-001.SIP.LD", "Pkg/Config/Site.CFG" };
	static const char *const texts[] = { " 5.4.0.12410 \r\n", "img",
	    "<x/>" };
	struct fixture	*f = *state;
	struct library	*lib;
	char		*cause = NULL;

	assert_true(asprintf(&f->src, "%s/p.zip", f->root) > 0);
	write_zip(f->src, names, texts, 3);
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), 0);
	assert_int_equal(lib->npackages, 1);
	assert_string_equal(lib->packages[0].id, "5.4.0.12410");
	assert_string_equal(lib->packages[0].files[0].name, "sip.ver");
	assert_string_equal(lib->packages[0].files[1].name,
	    "3111-46162-001.sip.ld");
	assert_string_equal(lib->packages[0].files[2].name, "config/site.cfg");
	assert_string_equal(lib->packages[0].parts[0], "3111-46162-001");
	assert_true(f->calls > 0);
	assert_int_equal(f->last_done, f->last_total);
	library_free(lib);
}

static void
test_zip_traversal_leaves_nothing(void **state)
{
	static const char *const names[] = { "sip.ver", "1-2.sip.ld",
	    "config/../../evil" };
	static const char *const texts[] = { "4.1.7.1", "img", "evil" };
	struct fixture	*f = *state;
	struct library	*lib;
	char		*cause = NULL, evil[256];

	assert_true(asprintf(&f->src, "%s/p.zip", f->root) > 0);
	write_zip(f->src, names, texts, 3);
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), -1);
	assert_non_null(strstr(cause, "climbs out of the package"));
	free(cause);
	assert_int_equal(lib->npackages, 0);
	library_free(lib);
	assert_int_equal(count_entries(f->libdir), 1);
	snprintf(evil, sizeof evil, "%s/evil", f->root);
	assert_int_equal(access(evil, F_OK), -1);
}

/* What is not a package is refused with what it looks like instead. */
static void
check_looks_like(struct fixture *f, const char *const *names, size_t n,
    const char *want)
{
	static const char *const texts[] = { "a", "b", "c" };
	struct library	*lib;
	char		*cause = NULL;

	free(f->src);
	assert_true(asprintf(&f->src, "%s/x.zip", f->root) > 0);
	write_zip(f->src, names, texts, n);
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), -1);
	if (strstr(cause, want) == NULL)
		fail_msg("got \"%s\", want \"%s\"", cause, want);
	free(cause);
	assert_int_equal(lib->npackages, 0);
	library_free(lib);
	assert_int_equal(count_entries(f->libdir), 1);
}

static void
test_looks_like(void **state)
{
	static const char *const bootrom[] = { "bootrom.bin.ld", "readme.txt" };
	static const char *const nested[] = { "Polycom/ucs.zip" };
	static const char *const photos[] = { "a.jpg", "b.jpg", "c.txt" };
	struct fixture	*f = *state;

	check_looks_like(f, bootrom, 2, "not a UC Software package: no "
	    "sip.ver and no *.sip.ld among 2 files: it looks like a BootROM "
	    "or Updater package (bootrom.bin.ld), not UC Software");
	check_looks_like(f, nested, 1, "among 1 file: it holds another "
	    "archive (polycom/ucs.zip): extract that one and import it");
	check_looks_like(f, photos, 3, "among 3 files: it looks like "
	    "something else: 2 .jpg files, 1 .txt file");
}

/*
 * BootROM packages of the SIP 2.x/3.x era: bootrom.ver names the build,
 * bootrom.ld (every part) and/or <part>.bootrom.ld.  Listed as their kind,
 * found by part and at least a version, never as UC Software.
 */
static void
test_bootrom_package(void **state)
{
	static const char *const names[] = { "BootROM_4_2_2/bootrom.ver",
	    "BootROM_4_2_2/bootrom.ld", "BootROM_4_2_2/2345-12670-001.bootrom.ld" };
	static const char *const texts[] = { "4.2.2.0710\r\n", "combined",
	    "split 670" };
	static const char *const nover[] = { "bootrom.ld" };
	struct fixture			*f = *state;
	struct library			*lib;
	const struct library_package	*p;
	struct ucs_version		 v;
	const char			*file;
	char				*cause = NULL;

	assert_true(asprintf(&f->src, "%s/bootrom.zip", f->root) > 0);
	write_zip(f->src, names, texts, 3);
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), 0);
	assert_int_equal(lib->npackages, 1);
	p = &lib->packages[0];
	assert_string_equal(p->id, "bootrom-4.2.2.0710");
	assert_int_equal(p->kind, LIBRARY_BOOTROM);
	assert_int_equal(p->has_combined, 1);
	assert_int_equal(p->nparts, 1);
	assert_string_equal(p->parts[0], "2345-12670-001");
	assert_non_null(strstr(f->notes, ": 2 BootROM images"));
	library_free(lib);

	/* Read back from its manifest. */
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(lib->npackages, 1);
	assert_int_equal(lib->packages[0].kind, LIBRARY_BOOTROM);
	assert_null(lib->packages[0].damage);
	/* Never UC Software. */
	parse("4.2.2", &v);
	assert_null(library_find(lib, &v, "2345-12670-001"));
	/* The split image for its part, the wrapper for another. */
	parse("4.0.0", &v);
	assert_ptr_equal(library_find_bootrom(lib, &v, "2345-12670-001",
	    &file), &lib->packages[0]);
	assert_string_equal(file, "split");
	assert_ptr_equal(library_find_bootrom(lib, &v, "2345-12600-001",
	    &file), &lib->packages[0]);
	assert_string_equal(file, "bootrom.ld");
	/* Not old enough for a plan that needs 4.3. */
	parse("4.3.0", &v);
	assert_null(library_find_bootrom(lib, &v, "2345-12670-001", &file));
	library_free(lib);

	/* Without bootrom.ver its build cannot be known: refused. */
	free(f->src);
	assert_true(asprintf(&f->src, "%s/nover.zip", f->root) > 0);
	write_zip(f->src, nover, texts + 1, 1);
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), -1);
	assert_non_null(strstr(cause, "1 BootROM image (bootrom.ld, "
	    "<part>.bootrom.ld) but no bootrom.ver"));
	free(cause);
	assert_int_equal(lib->npackages, 1);
	library_free(lib);
}

static void
test_bad_sipver(void **state)
{
	struct fixture	*f = *state;
	struct library	*lib;
	char		*cause = NULL;

	f->src = package_dir(f, "pkg", "4.1.x\n");
	assert_non_null(lib = library_open(f->libdir, &cause));
	assert_int_equal(import(f, lib, f->src, &cause), -1);
	assert_non_null(strstr(cause, "sip.ver holds \"4.1.x\", not a build"));
	free(cause);
	library_free(lib);
}

static void
test_stale_tmp_removed(void **state)
{
	struct fixture	*f = *state;
	struct library	*lib;
	char		*cause = NULL, dead[256], live[256];

	mkdir(f->libdir, 0755);
	snprintf(dead, sizeof dead, "%s/.tmp-2147483600-abcdef", f->libdir);
	snprintf(live, sizeof live, "%s/.tmp-%ld-abcdef", f->libdir,
	    (long)getpid());
	assert_int_equal(mkdir(dead, 0755), 0);
	assert_int_equal(mkdir(live, 0755), 0);
	put(dead, "half.sip.ld", "half");
	assert_non_null(lib = library_open(f->libdir, &cause));
	library_free(lib);
	assert_int_equal(access(dead, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_folder_and_find,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_newest_build,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_cheap_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_marks_damage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_package,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_zip_top_folder_upper_case,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_zip_traversal_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sipver,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootrom_package, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_looks_like,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_removed,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("library", tests, NULL, NULL));
}
