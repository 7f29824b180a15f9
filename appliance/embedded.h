/*
 * Data files compiled into the binary from appliance/data/ (the models table,
 * the re-point templates): the appliance never fails for want of a file.
 */
#ifndef ZTP_EMBEDDED_H
#define ZTP_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char	*name;		/* basename in appliance/data/ */
	const char	*start;		/* followed by a NUL at end */
	const char	*end;
};

extern const struct embedded_file embedded_files[];

/* The bytes of data file NAME (NUL-terminated) and their length, or NULL. */
const char	*embedded_get(const char *, size_t *);

#endif
