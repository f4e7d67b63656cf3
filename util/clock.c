// SPDX-License-Identifier: GPL-2.0
#include <stdatomic.h>
#include <time.h>

#include "util/clock.h"

static _Atomic u64 start_ns;

u64 clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void clock_mark_start(void)
{
	u64 none = 0;

	atomic_compare_exchange_strong(&start_ns, &none, clock_now_ns());
}

u64 clock_since_start_ns(void)
{
	return clock_now_ns() - atomic_load(&start_ns);
}
