/*
 * Phone syslog: a UDP receiver (RFC 3164/5424 lines as phones send them with
 * device.syslog.*).  It knows nothing of phones: each datagram goes to the
 * callback with the sender's address.
 */
#ifndef ZTP_SYSLOG_H
#define ZTP_SYSLOG_H

#include <stddef.h>

struct event_base;
struct syslog_server;

/* ip, line, length (no trailing newline; may contain anything) */
typedef void (*syslog_line_fn)(void *, const char *, const char *, size_t);

struct syslog_server	*syslog_server_start(struct event_base *, const char *,
			    unsigned, syslog_line_fn, void *, char **);
void			 syslog_server_free(struct syslog_server *);
unsigned		 syslog_server_port(const struct syslog_server *);

#endif
