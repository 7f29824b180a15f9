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

/*
 * What a hostile client may fill: in all (total), per phone (the MAC in
 * the name; names without one count only in the total), and free space
 * kept on the file system so the journal can always commit.  Every file
 * counts at least UPLOAD_MIN_CHARGE bytes, so empty files cannot exhaust
 * inodes.  0 for total or phone: no quota.
 */
#define UPLOAD_MIN_CHARGE	4096
#define UPLOAD_RESERVE_DEFAULT	(64ULL * 1024 * 1024)
struct upload_limits {
	uint64_t	total_max;
	uint64_t	phone_max;
	uint64_t	reserve;	/* bytes left free on the file system
					   (0: the default for its size) */
};

struct upload_store	*upload_store_open(const char *, enum upload_policy,
			    uint64_t, char **);
void			 upload_store_free(struct upload_store *);
const char		*upload_store_dir(const struct upload_store *);
/* The size cap given to upload_store_open(). */
uint64_t		 upload_store_max(const struct upload_store *);
/*
 * Quotas and the reserve.  By default there is no quota and the reserve is
 * UPLOAD_RESERVE_DEFAULT or 5% of the file system, whichever is smaller.
 */
void			 upload_store_set_limits(struct upload_store *,
			    const struct upload_limits *);
/* Bytes charged to the quota: stored files and uploads in progress. */
uint64_t		 upload_store_used(const struct upload_store *);
/* Bytes charged to the phone with this MAC (12 lower-case hex). */
uint64_t		 upload_store_phone_used(const struct upload_store *,
			    const char *);

/*
 * Files are numbered from 1 in the order they are committed;
 * upload_store_linked() is the number of the last one (0: none yet).
 * upload_store_settle_upto() waits until the files up to that number are
 * fsynced with the folder (a power cut keeps them), upload_store_settle()
 * for every file committed so far.  The daemon's journal calls the former
 * before it fsyncs its WAL when a fact names an upload, from the loop or
 * from the journal's thread.
 */
uint64_t		 upload_store_linked(struct upload_store *);
void			 upload_store_settle_upto(struct upload_store *,
			    uint64_t);
void			 upload_store_settle(struct upload_store *);
/* Whether every file committed so far is durable. */
int			 upload_store_durable(struct upload_store *);
struct upload_sync_stats {
	uint64_t	files;		/* files fsynced */
	uint64_t	folders;	/* fsyncs of the folder */
	uint64_t	failed;		/* fsyncs that failed */
};
void			 upload_store_sync_stats(struct upload_store *,
			    struct upload_sync_stats *);

/* Start an upload; NULL with *cause when the name is refused or on I/O error. */
struct upload	*upload_begin(struct upload_store *, const char *, char **);
/* The name alone: 0, or -1 with *cause (upload_begin checks it too). */
int		 upload_check_name(const struct upload_store *, const char *,
		    char **);
/*
 * The upload will be this long: charge the quotas for all of it now and
 * check that the disk keeps its reserve, so a body that cannot fit is
 * refused before it is sent; -1 with *cause if not.
 */
int		 upload_expect(struct upload *, uint64_t, char **);
/*
 * The last refusal of upload_expect was for room all uploads share (the
 * total quota, which it could fit, or the disk), not the phone's own quota
 * or the size cap: what others hold could make room for it.
 */
int		 upload_refused_for_room(const struct upload *);
/* Append bytes; -1 with *cause over the size cap or on a full disk. */
int		 upload_write(struct upload *, const void *, size_t, char **);
/*
 * Give it its final, never-used name; *stored_path is allocated.  The file
 * is whole and visible at once; the store's thread fsyncs it and the
 * folder beside the loop (upload_store_settle waits for that).  The upload
 * is freed whether or not this succeeds (a failed commit leaves no file
 * behind).
 */
int		 upload_commit(struct upload *, char **, char **);
/* Throw the partial upload away (and free it). */
void		 upload_abort(struct upload *);
uint64_t	 upload_bytes(const struct upload *);

#endif
