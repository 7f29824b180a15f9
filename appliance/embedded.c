/* Lookup of the data files compiled into the binary: see embedded.h. */
#include <string.h>

#include "embedded.h"

const char *
embedded_get(const char *name, size_t *len)
{
	const struct embedded_file	*f;

	for (f = embedded_files; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0) {
			if (len != NULL)
				*len = (size_t)(f->end - f->start);
			return (f->start);
		}
	}
	return (NULL);
}
