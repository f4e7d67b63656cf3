// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <stdatomic.h>
#include <time.h>

#include "util/clock.h"

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL

static _Atomic u64 start_ns;

u64 clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

s64 clock_now_ms(void)
{
	return clock_now_ns() / NSEC_PER_MSEC;
}

void clock_mark_start(void)
{
	u64 none = 0;

	atomic_compare_exchange_strong(&start_ns, &none, clock_now_ns());
}

u64 clock_start_ns(void)
{
	return atomic_load(&start_ns);
}

u64 clock_since_start_ns(void)
{
	return clock_now_ns() - atomic_load(&start_ns);
}

struct timespec clock_timespec(u64 ns)
{
	return (struct timespec){ .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };
}

int clock_ms_until(const struct timespec *deadline)
{
	s64 left = (s64)(deadline->tv_sec * NSEC_PER_SEC + deadline->tv_nsec) -
		   (s64)clock_now_ns();

	if (left <= 0)
		return 0;
	left = (left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	return left > INT_MAX ? INT_MAX : (int)left;
}
