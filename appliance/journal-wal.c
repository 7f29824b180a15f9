/*
 * SQLite's write-ahead log read as SQLite reads it (the WAL format of
 * https://www.sqlite.org/fileformat2.html#walformat): a chain of frames,
 * each with a checksum over everything before it.  SQLite stops silently at
 * the first frame whose checksum fails and takes the commits before it as
 * the whole log; at the next close it copies those into the journal and
 * deletes the log.  A byte lost in the middle (a flash that lost a page)
 * thus erased every later commit without a word.  This says, before SQLite
 * opens the journal, whether frames of the same log follow the break.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "xmalloc.h"

#define WAL_HEADER	32
#define WAL_FRAME_HEADER 24
#define WAL_MAGIC	0x377f0682U

static uint32_t
wal_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* SQLite's checksum over len bytes (a multiple of 8), from s. */
static void
wal_checksum(int big_endian, const uint8_t *p, size_t len, uint32_t s[2])
{
	uint32_t	x0, x1;
	size_t		i;

	for (i = 0; i + 8 <= len; i += 8) {
		if (big_endian) {
			x0 = wal_get32(p + i);
			x1 = wal_get32(p + i + 4);
		} else {
			x0 = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
			    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
			x1 = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 |
			    (uint32_t)p[i + 6] << 16 | (uint32_t)p[i + 7] << 24;
		}
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

int
journal_wal_damaged(const char *path, char **why)
{
	uint8_t		 hdr[WAL_HEADER], again[WAL_HEADER], *frame = NULL;
	uint32_t	 s[2], salt1, salt2, page, n = 0, bad = 0;
	uint32_t	 commits_after = 0, frames_after = 0;
	size_t		 fsize;
	int		 fd, big_endian, broken = 0, header_bad;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);		/* no log: nothing after the journal */
	if (read(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr ||
	    (wal_get32(hdr) & ~1U) != WAL_MAGIC) {
		close(fd);
		return (0);		/* SQLite ignores such a log too */
	}
	big_endian = wal_get32(hdr) & 1;
	page = wal_get32(hdr + 8);
	salt1 = wal_get32(hdr + 16);
	salt2 = wal_get32(hdr + 20);
	s[0] = s[1] = 0;
	wal_checksum(big_endian, hdr, 24, s);
	header_bad = s[0] != wal_get32(hdr + 24) || s[1] != wal_get32(hdr + 28);
	if (page < 512 || page > 65536 || (page & (page - 1)) != 0) {
		close(fd);
		return (0);		/* no frame can be found in it */
	}
	/*
	 * A header SQLite cannot trust hides the whole log from it: what
	 * follows is counted as after a break (its salts, if damaged, are
	 * taken from the first frame).
	 */
	fsize = WAL_FRAME_HEADER + page;
	frame = xmalloc(fsize);
	if (header_bad)
		broken = 1;
	while (read(fd, frame, fsize) == (ssize_t)fsize) {
		n++;
		if (header_bad && n == 1) {
			salt1 = wal_get32(frame + 8);
			salt2 = wal_get32(frame + 12);
		}
		/*
		 * Other salts: a frame of an older log past the end of this
		 * one, or this log's frame with its salt damaged.  Only
		 * frames of this log after it tell the two apart.
		 */
		if (wal_get32(frame + 8) != salt1 ||
		    wal_get32(frame + 12) != salt2) {
			if (!broken) {
				broken = 1;
				bad = n;
			}
			continue;
		}
		if (broken) {
			frames_after++;
			if (wal_get32(frame + 4) != 0)
				commits_after++;
			continue;
		}
		wal_checksum(big_endian, frame, 8, s);
		wal_checksum(big_endian, frame + WAL_FRAME_HEADER, page, s);
		if (s[0] != wal_get32(frame + 16) ||
		    s[1] != wal_get32(frame + 20)) {
			broken = 1;
			bad = n;
		}
	}
	free(frame);
	/*
	 * A reader beside the daemon: SQLite restarts the log after a
	 * checkpoint, writing a new header over the old one, and frames it
	 * writes meanwhile look like a break with an old log's commits
	 * after it.  A header that changed while it was read is a restart,
	 * not damage (a healthy journal was reported damaged).
	 */
	if (broken && (pread(fd, again, sizeof again, 0) !=
	    (ssize_t)sizeof again || memcmp(again, hdr, sizeof hdr) != 0)) {
		close(fd);
		return (0);
	}
	close(fd);
	/*
	 * A power cut tears at most the last commit, which was never
	 * promised (the daemon fsyncs before it answers): one commit of this
	 * log after the break can be that.  Two or more are a log damaged
	 * in the middle.
	 */
	if (commits_after < 2)
		return (0);
	if (header_bad)
		xasprintf(why, "its write-ahead log (%s) has a damaged header: "
		    "%u frames of %u commits could not be read", JOURNAL_FILE
		    "-wal", frames_after, commits_after);
	else
		xasprintf(why, "its write-ahead log (%s) is damaged at frame "
		    "%u: %u later frames of %u commits could not be read",
		    JOURNAL_FILE "-wal", bad, frames_after, commits_after);
	return (1);
}
