/*
 * The journal: the fleet, every event, every transfer and every syslog line
 * in SQLite (WAL).  A phone change (its row and the event that explains it)
 * is committed before its function returns, and fsynced before the phone is
 * answered, so neither a killed daemon nor a pulled plug loses anything it
 * acted on, and a restarted one continues every phone from its row.
 *
 * What carries no fact (a phone's row alone: last seen, bytes served; syslog
 * lines; counters) is grouped: written into an open transaction that
 * journal_flush() commits (the daemon calls journal_flush_async() every
 * JOURNAL_FLUSH_MS), as does the next fact or JOURNAL_GROUP_MAX pending
 * writes.  journal_close() flushes.  journal.c says when the WAL is fsynced.
 */
#ifndef ZTP_JOURNAL_H
#define ZTP_JOURNAL_H

#include <stdint.h>

#include <jansson.h>

#define JOURNAL_FILE "journal.db"

#define JOURNAL_FLUSH_MS		250
#define JOURNAL_GROUP_MAX		1024
/* Syslog rows kept: per phone (and for lines no phone claims), in total. */
#define JOURNAL_SYSLOG_PER_PHONE	2000
#define JOURNAL_SYSLOG_TOTAL		100000

struct journal;
struct phone;

struct journal_event {
	int64_t		 ts;		/* unix ms */
	const char	*mac;
	const char	*kind;		/* "state", "fact", "note" */
	const char	*from;		/* state before, or NULL */
	const char	*to;		/* state after, or NULL */
	const char	*fact;		/* "model", "version", ... or NULL */
	const char	*value;
	const char	*evidence;	/* which request, header or line */
};

struct journal_transfer {
	const char	*mac;		/* may be "" when no phone is known */
	const char	*ip;
	const char	*proto;		/* "tftp", "http", "https" */
	const char	*name;
	int		 write;
	int64_t		 started;
	int64_t		 ended;
	uint64_t	 bytes;
	uint64_t	 total;
	const char	*outcome;	/* completed, abandoned, interrupted, failed, refused, head */
	const char	*reason;
};

/* Open (creating) STATE/journal.db; readonly opens an existing one only. */
struct journal	*journal_open(const char *, int, char **);
void		 journal_close(struct journal *);

/*
 * Commit the grouped writes and fsync every commit (0; -1: lost or not
 * synced).
 */
int		 journal_flush(struct journal *);
/*
 * Inside a reply scope (a request being answered) the facts' fsync waits
 * for journal_scope_end(), once for all of them; inside an event scope (a
 * transfer's end: nothing is answered) for the next flush, reply or request
 * of the same phone.  Outside any scope a fact is fsynced when it commits.
 */
#define JOURNAL_SCOPE_REPLY	1
#define JOURNAL_SCOPE_EVENT	2
void		 journal_scope_begin(struct journal *, int);
void		 journal_scope_end(struct journal *);
/* fsyncs of the WAL so far; whether every committed fact is fsynced. */
uint64_t	 journal_syncs(struct journal *);
int		 journal_synced(struct journal *);
/*
 * fn(arg, need) runs before every fsync of the WAL, in the loop or in the
 * journal's thread, once a fact has named something outside the journal
 * that must be durable first (an upload): need is the largest number given
 * to journal_presync_need().  NULL removes it (waiting for a call under
 * way); it returns the number before.  journal_last_fact() tells whether
 * a fact was committed since.
 */
void		 journal_set_presync(struct journal *,
		    void (*)(void *, uint64_t), void *);
uint64_t	 journal_presync_need(struct journal *, uint64_t);
/*
 * SQLite's checkpoints (they fsync the WAL) run after a commit once the WAL
 * holds this many pages (SQLite's default), with the presync hook first.
 */
#define JOURNAL_CHECKPOINT_PAGES	1000
uint64_t	 journal_checkpoints(struct journal *);
/* Take back need (no fact named it after all): was is what it returned. */
void		 journal_presync_restore(struct journal *, uint64_t, uint64_t);
uint64_t	 journal_last_fact(const struct journal *);
/* Commit the grouped writes; a thread fsyncs them beside the loop. */
int		 journal_flush_async(struct journal *);
unsigned	 journal_pending(const struct journal *);
/* Commit when this many grouped writes are pending; 0: every write alone. */
void		 journal_set_group(struct journal *, unsigned);
/* Syslog rows kept per sender and in total (0: no cap). */
void		 journal_set_syslog_caps(struct journal *, int64_t, int64_t);

/*
 * Write the phone row and, when ev is not NULL, its event.  With an event it
 * is durable on return (0), or not made at all (-1); without one it is a
 * grouped write.
 */
int		 journal_save(struct journal *, const struct phone *,
		    const struct journal_event *);
int		 journal_add_event(struct journal *, const struct journal_event *);
int		 journal_delete_phone(struct journal *, const char *);
int		 journal_add_transfer(struct journal *,
		    const struct journal_transfer *);
/*
 * Give mac the transfer rows of no phone from ip whose name ends in suffix,
 * started at or after since (ms).  The number of rows, or -1.
 */
int		 journal_claim_transfers(struct journal *, const char *,
		    const char *, const char *, int64_t);
int		 journal_add_syslog(struct journal *, const char *, const char *,
		    int64_t, const char *);
int		 journal_counter_add(struct journal *, const char *, int64_t);
/*
 * Why writes fail now (the disk is full...), or NULL.  journal_writable()
 * tries one small write (at most each second) while they fail: 1 when they
 * work.
 */
const char	*journal_failing(const struct journal *);
/* The first read that stopped on an error (a damaged journal), or NULL. */
const char	*journal_read_error(const struct journal *);
/* A journal SQLite cannot read whole renamed aside (journal.c); 1 if so. */
int		 journal_set_aside_damaged(const char *, char **, char **);
/*
 * The mark journal_set_aside_damaged() leaves until the new journal holds
 * what was copied (journal_salvage_done() removes it).  A start that finds
 * it was stopped while it copied: the new journal is removed and the copy
 * made again from the same file (1 with *aside and *why); 0 when none.
 */
#define JOURNAL_SALVAGE_MARK	"journal.salvaging"
int		 journal_salvage_pending(const char *, char **, char **);
/* The mark alone, read (report and status): 1 with the file and why. */
int		 journal_salvage_unfinished(const char *, char **, char **);
void		 journal_salvage_done(const char *);
/*
 * A journal set aside that is shorter than its header says (cut short by a
 * page: every statement then fails, and nothing was salvaged): a copy of it
 * (with its -wal and -shm) made as long as the header says, the pages cut
 * off read as zeros, to salvage from; NULL to read the file itself.  _done
 * removes the copy and frees its name.
 */
/*
 * Why the journal in this folder cannot be opened or read that is no
 * damage of its own: its file system read-only, or its disk full (under
 * JOURNAL_DISK_FULL_BELOW free); NULL when neither.
 */
#define JOURNAL_DISK_FULL_BELOW	(256 * 1024)
const char	*journal_disk_problem(const char *);
/* The state folder it was opened in. */
const char	*journal_dir(const struct journal *);
char		*journal_salvage_source(const char *);
void		 journal_salvage_source_done(char *);
/*
 * 1 with *why when the write-ahead log at path has commits past a frame
 * whose checksum fails (journal-wal.c); 0 when whole, torn only at its
 * last commit, or absent.
 */
int		 journal_wal_damaged(const char *, char **);
/*
 * What a journal set aside still holds, copied into j (just opened, before
 * the fleet loads it): every row of each table up to the first page SQLite
 * cannot read.  *summary says how many rows of each (allocated).  1 when
 * phones were copied, 0 when none, -1 when nothing could be.
 */
int		 journal_salvage(struct journal *, const char *, char **);
int		 journal_writable(struct journal *, int64_t);
int64_t		 journal_counter(struct journal *, const char *);

/* Call fn for every phone row, in first-seen order. */
int		 journal_load_phones(struct journal *,
		    void (*)(void *, const struct phone *), void *, char **);

/* JSON arrays for one phone (all phones when mac is NULL). */
json_t		*journal_events_json(struct journal *, const char *);
json_t		*journal_transfers_json(struct journal *, const char *);
/* A transfer's reason when it was a trust file with nothing in it yet. */
#define JOURNAL_PLACEHOLDER_REASON "a placeholder: nothing for the phone yet"

json_t		*journal_syslog_json(struct journal *, const char *, int);
int64_t		 journal_count(struct journal *, const char *);
json_t		*journal_syslog_counts_json(struct journal *, const char *);

#endif
