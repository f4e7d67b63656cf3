/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_CLOCK_H
#define VMM_UTIL_CLOCK_H

#include <time.h>

#include "util/types.h"

/* vmm's one time base: CLOCK_MONOTONIC, immune to wall-clock jumps. */

/* Now, in nanoseconds and in milliseconds. */
u64 clock_now_ns(void);
s64 clock_now_ms(void);
/* Marks vmm's start (main's first line); later calls keep the first mark. */
void clock_mark_start(void);
/* vmm's start, and the time since, in nanoseconds. */
u64 clock_start_ns(void);
u64 clock_since_start_ns(void);
/*
 * @ns on this clock as a timespec: an absolute deadline for
 * pthread_cond_timedwait() on a condition variable set to CLOCK_MONOTONIC.
 */
struct timespec clock_timespec(u64 ns);
/* Milliseconds from now to @deadline, rounded up: 0 once it has passed, capped for poll(). */
int clock_ms_until(const struct timespec *deadline);

#endif
