/*
 * Text from outside (names from sticks and phones, certificate subjects,
 * package names) on its way to tty1 or the serial port: shown, never obeyed.
 */
#ifndef ZTP_TERMSAFE_H
#define ZTP_TERMSAFE_H

#include <stddef.h>

#include <jansson.h>

/*
 * A copy of the len bytes at s in which every C0 control (tab and newline
 * included), DEL and every C1 control (U+0080-U+009F: U+009B is CSI, U+009D
 * OSC) is a '?', and so is every byte that is not part of well-formed UTF-8
 * (a lone 0x9b is CSI to a terminal not in UTF-8 mode).  Other characters,
 * multi-byte ones included, are kept.
 */
char	*termsafe(const char *, size_t);

/* 1 when termsafe() would change nothing. */
int	 termsafe_clean(const char *, size_t);

/* The same, but every '\n' kept: a text of several lines for a box. */
char	*termsafe_lines(const char *, size_t);

/* Every string value in a JSON tree (objects and arrays), made so in place. */
void	 termsafe_json(json_t *);

/*
 * The same, except that a string under the key named keeps its line ends
 * (an import's "error": one line per file refused).
 */
void	 termsafe_json_lines(json_t *, const char *);

#endif
