/*
 * Milliseconds, the one way: monotonic for timeouts, rates and durations
 * (never jumps when the wall clock is set), wall for what is recorded and
 * shown (the journal, the report, evidence lines).
 */
#ifndef ZTP_CLOCK_H
#define ZTP_CLOCK_H

#include <stdint.h>

int64_t	clock_mono_ms(void);
int64_t	clock_mono_us(void);
int64_t	clock_wall_ms(void);

/* A wall clock set by hand (date -s, a technician fixing the time). */
#define CLOCK_JUMP_MS	2000
struct clock_pair {
	int64_t	wall;
	int64_t	mono;
};
int64_t	clock_wall_jump(struct clock_pair *, int64_t, int64_t);

#endif
