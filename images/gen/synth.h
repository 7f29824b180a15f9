/*
 * ucs-synth: writes synthetic packages shaped like Polycom UC Software
 * release zips, for tests and the demo.  Nothing they contain is Polycom
 * software: every image is a readable header and pseudo-random bytes.
 */
#ifndef UCS_SYNTH_H
#define UCS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_HEADER_SIZE	512
#define SYNTH_CHUNK		(64 * 1024)

struct synth_model {
	const char	*token;
	const char	*part;
};

struct synth_release {
	const char			*name;		/* "4.1.7" */
	const char			*build;		/* sip.ver: "4.1.7.5432" */
	const char			*seed;		/* the seed's name: "4.1.7G" */
	const struct synth_model	*models;
	size_t				 nmodels;
};

enum synth_size {
	SYNTH_TINY,
	SYNTH_SMALL,
	SYNTH_REALISTIC,
	SYNTH_BYTES
};

enum synth_format {
	SYNTH_ZIP,
	SYNTH_TGZ,
	SYNTH_DIR
};

struct synth_options {
	const char		*out;
	enum synth_size		 size;
	uint64_t		 bytes;		/* SYNTH_BYTES: whole image size */
	enum synth_format	 format;
	const char		*sipver_end;	/* "", "\r\n" or "\n" */
	const char		*toplevel;	/* folder inside the package, or NULL */
};

/* One file of a package: either fixed text or a generated image. */
struct synth_file {
	char			*name;		/* relative, '/' separated */
	int			 is_dir;
	char			*text;		/* fixed contents, or NULL */
	size_t			 textlen;
	const struct synth_model *model;	/* an image when not NULL */
	uint64_t		 size;		/* total bytes */
	uint64_t		 seed;
	uint64_t		 payload;
	char			 header[SYNTH_HEADER_SIZE];
};

struct synth_stream {
	const struct synth_file	*file;
	uint64_t		 offset;
	uint64_t		 state;
	uint8_t			 word[8];	/* a word split across reads */
	unsigned		 wpos;		/* 8: none pending */
};

extern const struct synth_release synth_releases[];
extern const size_t synth_nreleases;

/* synth-content.c */
struct synth_file	*synth_package_files(const struct synth_release *,
			    const struct synth_options *, size_t *);
void			 synth_files_free(struct synth_file *, size_t);
char			*synth_package_name(const struct synth_release *);
void			 synth_stream_start(struct synth_stream *,
			    const struct synth_file *);
size_t			 synth_stream_read(struct synth_stream *, char *,
			    size_t);

/* synth-write.c */
int			 synth_write_package(const struct synth_release *,
			    const struct synth_options *);

#endif
