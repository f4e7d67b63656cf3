/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_THREAD_H
#define VMM_UTIL_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/*
 * Every thread of vmm but main starts here, so all share one signal policy:
 * - asynchronous signals (SIGTERM, SIGINT, ...) are blocked: main takes
 *   them (run/signals.c);
 * - the synchronous fault signals stay open, and run their handler on a
 *   stack of the thread's own (sigaltstack), so a crash from a stack
 *   overflow still restores the terminal;
 * - with @kickable, KICK_SIGNAL (util/kick.h) interrupts its system calls.
 * @name is the thread's name (15 characters at most are kept).
 * Returns 0 or a positive errno, like pthread_create().
 */
int thread_spawn(pthread_t *thread, const pthread_attr_t *attr, const char *name,
		 bool kickable, void *(*fn)(void *), void *arg);

/* An alternate signal stack for the calling thread (main calls it once). */
void thread_altstack_init(void);

#endif
