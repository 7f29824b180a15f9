/*
 * ucs-synth --out DIR [--size tiny|small|realistic|BYTES]
 *     [--version 4.0.8|4.1.7|5.4.0|5.4.1|all] [--format zip|tar.gz|dir]
 *     [--sipver-style plain|crlf|newline] [--toplevel-folder NAME]
 *
 * Writes synthetic UC Software packages (see images/README.md) and prints
 * the path of each.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

static void	usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: ucs-synth --out DIR [--size tiny|small|"
	    "realistic|BYTES]\n"
	    "    [--version 4.0.8|4.1.7|5.4.0|5.4.1|all] "
	    "[--format zip|tar.gz|dir]\n"
	    "    [--sipver-style plain|crlf|newline] "
	    "[--toplevel-folder NAME]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "version", required_argument, NULL, 'v' },
		{ "format", required_argument, NULL, 'f' },
		{ "sipver-style", required_argument, NULL, 'S' },
		{ "toplevel-folder", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct synth_options	 o;
	const char		*version = "all";
	char			*end;
	size_t			 i;
	int			 c, found = 0;

	memset(&o, 0, sizeof o);
	o.size = SYNTH_SMALL;
	o.format = SYNTH_ZIP;
	o.sipver_end = "";
	while ((c = getopt_long(argc, argv, "o:s:v:f:S:t:h", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 's':
			if (strcmp(optarg, "tiny") == 0)
				o.size = SYNTH_TINY;
			else if (strcmp(optarg, "small") == 0)
				o.size = SYNTH_SMALL;
			else if (strcmp(optarg, "realistic") == 0)
				o.size = SYNTH_REALISTIC;
			else {
				errno = 0;
				o.size = SYNTH_BYTES;
				o.bytes = strtoull(optarg, &end, 10);
				if (errno != 0 || *end != '\0' ||
				    *optarg < '0' || *optarg > '9' ||
				    o.bytes < SYNTH_HEADER_SIZE)
					errx(2, "--size: '%s' is not tiny, small, "
					    "realistic or a byte count >= 512",
					    optarg);
			}
			break;
		case 'v':
			version = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "zip") == 0)
				o.format = SYNTH_ZIP;
			else if (strcmp(optarg, "tar.gz") == 0 ||
			    strcmp(optarg, "tgz") == 0)
				o.format = SYNTH_TGZ;
			else if (strcmp(optarg, "dir") == 0)
				o.format = SYNTH_DIR;
			else
				errx(2, "--format: '%s' is not zip, tar.gz or dir",
				    optarg);
			break;
		case 'S':
			if (strcmp(optarg, "plain") == 0)
				o.sipver_end = "";
			else if (strcmp(optarg, "crlf") == 0)
				o.sipver_end = "\r\n";
			else if (strcmp(optarg, "newline") == 0)
				o.sipver_end = "\n";
			else
				errx(2, "--sipver-style: '%s' is not plain, crlf "
				    "or newline", optarg);
			break;
		case 't':
			if (*optarg == '\0' || strchr(optarg, '/') != NULL ||
			    strcmp(optarg, "..") == 0 || strcmp(optarg, ".") == 0)
				errx(2, "--toplevel-folder: '%s' must be one "
				    "folder name", optarg);
			o.toplevel = optarg;
			break;
		default:
			usage();
		}
	}
	if (o.out == NULL || optind != argc)
		usage();
	if (mkdir(o.out, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", o.out);
	for (i = 0; i < synth_nreleases; i++) {
		if (strcmp(version, "all") != 0 &&
		    strcmp(version, synth_releases[i].name) != 0 &&
		    strcmp(version, synth_releases[i].build) != 0 &&
		    strcmp(version, synth_releases[i].seed) != 0)
			continue;
		synth_write_package(&synth_releases[i], &o);
		found = 1;
	}
	if (!found)
		errx(2, "--version: '%s' is not 4.0.8, 4.1.7, 5.4.0, 5.4.1 or all",
		    version);
	return (0);
}
