/*
 * The upload quarantine: files phones write (logs, override files,
 * directories) over TFTP WRQ or HTTP PUT.  Names are checked, sizes capped,
 * writes go to a temporary file that is fsynced and then linked to a name
 * that has never been used: a previous upload is never overwritten
 * (NAME, NAME.1, NAME.2, ...).  A full disk gives a clean error and leaves no
 * partial file.
 */
#ifndef ZTP_UPLOAD_H
#define ZTP_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

enum upload_policy {
	UPLOAD_PHONE_FILES,	/* only names a phone uploads (ident_is_upload_kind) */
	UPLOAD_ANY_SAFE_NAME	/* any name pathsafe_check accepts (standalone tftpd) */
};

struct upload_store;
struct upload;

struct upload_store	*upload_store_open(const char *, enum upload_policy,
			    uint64_t, char **);
void			 upload_store_free(struct upload_store *);
const char		*upload_store_dir(const struct upload_store *);
/* The size cap given to upload_store_open(). */
uint64_t		 upload_store_max(const struct upload_store *);

/* Start an upload; NULL with *cause when the name is refused or on I/O error. */
struct upload	*upload_begin(struct upload_store *, const char *, char **);
/* Append bytes; -1 with *cause over the size cap or on a full disk. */
int		 upload_write(struct upload *, const void *, size_t, char **);
/*
 * fsync and give it its final, never-used name; *stored_path is allocated.
 * The upload is freed whether or not this succeeds (a failed commit leaves
 * no file behind).
 */
int		 upload_commit(struct upload *, char **, char **);
/* Throw the partial upload away (and free it). */
void		 upload_abort(struct upload *);
uint64_t	 upload_bytes(const struct upload *);

#endif
