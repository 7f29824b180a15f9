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

#endif
