/* SPDX-License-Identifier: BSD-2-Clause */
/* Deadlines on the monotonic clock, for connecting, accepting and lingering. */
#include <stdint.h>
#include <time.h>

#include "shim.h"

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t
deadline_after(long ms)
{
	return now_ms() + ms;
}

int
remaining_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}
