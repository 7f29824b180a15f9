/*
 * Phone syslog: a UDP receiver (RFC 3164/5424 lines as phones send them with
 * device.syslog.*).  It knows nothing of phones: each datagram goes to the
 * callback with the sender's address.
 *
 * Anyone on the segment can send to port 514, so lines are rate-limited: a
 * token bucket per sender address (SYSLOG_RATE lines a second, bursts of
 * SYSLOG_BURST: a phone booting with debug logging stays under it) in a
 * table of SYSLOG_SOURCES addresses, and one bucket for all senders
 * (SYSLOG_TOTAL_RATE, SYSLOG_TOTAL_BURST) so that forged addresses cannot
 * add up to more.  When the table is full a new address takes the slot of
 * one whose bucket has filled up again (forgetting it loses nothing); when
 * none has, new addresses share one bucket.  Refused lines are counted.
 */
#ifndef ZTP_SYSLOG_H
#define ZTP_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#define SYSLOG_RATE		50
#define SYSLOG_BURST		200
#define SYSLOG_SOURCES		1024
#define SYSLOG_TOTAL_RATE	1000
#define SYSLOG_TOTAL_BURST	2000

struct event_base;
struct syslog_server;

/* ip, line, length (no trailing newline; may contain anything) */
typedef void (*syslog_line_fn)(void *, const char *, const char *, size_t);

struct syslog_server	*syslog_server_start(struct event_base *, const char *,
			    unsigned, syslog_line_fn, void *, char **);
void			 syslog_server_free(struct syslog_server *);
unsigned		 syslog_server_port(const struct syslog_server *);
/* Lines refused by the rate limit since the start. */
uint64_t		 syslog_server_limited(const struct syslog_server *);

/* The rate limit alone (times in ms, any monotonic origin). */
struct syslog_limiter;
struct syslog_limiter	*syslog_limiter_new(unsigned, unsigned, size_t,
			    unsigned, unsigned);
void			 syslog_limiter_free(struct syslog_limiter *);
/* 1: take the line from this IPv4 address (network order); 0: refuse it. */
int			 syslog_limiter_allow(struct syslog_limiter *,
			    uint32_t, int64_t);
uint64_t		 syslog_limiter_refused(const struct syslog_limiter *);
size_t			 syslog_limiter_sources(const struct syslog_limiter *);

#endif
