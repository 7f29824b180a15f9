/*
 * Small files, whole: replacing one so that a reader (or the next start
 * after a power cut) sees the old contents or the new, never a mix or a
 * truncated file; and reading one, bounded, NUL-terminated.
 */
#ifndef ZTP_FILEIO_H
#define ZTP_FILEIO_H

#include <sys/types.h>

#include <stddef.h>

/* Skip both fsyncs: a file rebuilt at every start (dnsmasq's hosts). */
#define FILEIO_NOSYNC	0x1

/*
 * Replace path with len bytes of data, mode exactly (no umask): a new file
 * next to it (path.tmp.PID, O_EXCL | O_NOFOLLOW, so never through a link
 * planted there), every byte written, fsync, close, rename over path, fsync
 * of the folder.  Every step is checked; on failure path is untouched, the
 * new file is removed and *cause says which step failed and why.  A failure
 * to sync the folder after the rename is reported too (the new contents are
 * in place but may not survive a power cut).
 */
int	 fileio_replace(const char *, const void *, size_t, mode_t, int,
	     char **);

/*
 * The whole of the regular file path (no more than max bytes), with a NUL
 * after it and its length in *len; NULL and *cause when it cannot be opened
 * or read, is not a regular file, or is larger than max.  what (or NULL)
 * names the file in *cause before its path: "cannot open the CA file /x:".
 */
char	*fileio_read(const char *, const char *, size_t, size_t *, char **);

/*
 * The next line of a text file into *line (grown as getline(3) does),
 * without its end: "\n" (Unix), "\r\n" (Windows) or a lone "\r" (classic
 * Mac, as Excel for Mac's "CSV (Macintosh)" saves), which getline would
 * leave inside one long line.  Its length (NUL bytes in it counted), or -1
 * at the end of the file.
 */
ssize_t	 fileio_getline(char **, size_t *, FILE *);

/* A line read from a file, without the white space at either end (in place). */
char	*fileio_trim(char *);

/*
 * The first line of a text file without its UTF-8 byte order mark (in
 * place): Excel's "CSV UTF-8" and older Notepad write one.
 */
void	 fileio_strip_bom(char *);

#endif
