/*
 * Archive import with arbitrary bytes as the archive: never a crash, never
 * a leak, and never anything left behind in the library but whole packages
 * (no temporary folder after any run).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "library-internal.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	fuzz_root[64];
static char	fuzz_lib[128];
static char	fuzz_input[128];

static void
fuzz_setup(void)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    "/tmp";

	snprintf(fuzz_root, sizeof fuzz_root, "%s/fuzz_import.XXXXXX", base);
	if (mkdtemp(fuzz_root) == NULL)
		abort();
	snprintf(fuzz_lib, sizeof fuzz_lib, "%s/lib", fuzz_root);
	snprintf(fuzz_input, sizeof fuzz_input, "%s/input", fuzz_root);
	log_set_level(LOG_LEVEL_ERROR);
}

static void
fuzz_cleanup(void)
{
	library_remove_tree(fuzz_root);
}

/* After a run the library holds "packages" and nothing else. */
static void
fuzz_check_clean(void)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(fuzz_lib)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "packages") != 0)
			abort();
	}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct library	*lib;
	FILE		*fp;
	char		*cause = NULL, **ids = NULL;
	size_t		 i;
	int		 rc;

	if (fuzz_root[0] == '\0') {
		fuzz_setup();
		atexit(fuzz_cleanup);
	}
	if ((fp = fopen(fuzz_input, "w")) == NULL)
		abort();
	fwrite(data, 1, size, fp);
	fclose(fp);
	if ((lib = library_open(fuzz_lib, &cause)) == NULL)
		abort();
	rc = library_import(lib, NULL, fuzz_input, NULL, &ids, &cause);
	/* Success adds exactly the packages it names; failure explains. */
	if (rc == 0 && cause != NULL)
		abort();
	if (rc == -1 && cause == NULL)
		abort();
	free(cause);
	for (i = 0; ids != NULL && ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
	library_free(lib);
	fuzz_check_clean();
	library_remove_tree(fuzz_lib);
	return (0);
}
