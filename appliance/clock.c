/* Milliseconds (clock.h). */
#include <time.h>

#include "clock.h"

static int64_t
clock_read(clockid_t id, int64_t per_sec)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * per_sec + (int64_t)ts.tv_nsec /
	    (1000000000 / per_sec));
}

int64_t
clock_mono_ms(void)
{
	return (clock_read(CLOCK_MONOTONIC, 1000));
}

int64_t
clock_mono_us(void)
{
	return (clock_read(CLOCK_MONOTONIC, 1000000));
}

int64_t
clock_wall_ms(void)
{
	return (clock_read(CLOCK_REALTIME, 1000));
}

/*
 * How far the wall clock was set since the last call (ms; 0 below
 * CLOCK_JUMP_MS, the drift and the tick's own lateness): the wall and the
 * monotonic clock should have moved alike.  *last holds the last pair.
 */
int64_t
clock_wall_jump(struct clock_pair *last, int64_t wall, int64_t mono)
{
	int64_t	jump = 0;

	if (last->mono != 0) {
		jump = (wall - last->wall) - (mono - last->mono);
		if (jump > -CLOCK_JUMP_MS && jump < CLOCK_JUMP_MS)
			jump = 0;
	}
	last->wall = wall;
	last->mono = mono;
	return (jump);
}
