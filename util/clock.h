/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_CLOCK_H
#define VMM_UTIL_CLOCK_H

#include "util/types.h"

/* CLOCK_MONOTONIC in nanoseconds. */
u64 clock_now_ns(void);
/* Marks vmm's start (main's first line); later calls keep the first mark. */
void clock_mark_start(void);
/* Nanoseconds since clock_mark_start(). */
u64 clock_since_start_ns(void);

#endif
