/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_UTIL_KICK_H
#define VMM_UTIL_KICK_H

#include <pthread.h>
#include <signal.h>

/*
 * The kick signal interrupts a thread's blocking system call (KVM_RUN, a
 * write(2) to a stalled terminal) with EINTR: its handler does nothing and
 * is installed without SA_RESTART. A thread that wants to be kickable
 * unblocks KICK_SIGNAL; every other thread keeps it blocked.
 *
 * A kick sent just before the thread enters the call is consumed by the
 * handler and the call then blocks: kick users either have a flag the call
 * itself honours (kvm_run.immediate_exit) or kick again until the thread
 * answers.
 */
#define KICK_SIGNAL SIGUSR1

/* Install the handler (once per process; any thread). */
void kick_init(void);
/* Unblock KICK_SIGNAL on the calling thread. */
void kick_accept(void);
void kick_thread(pthread_t thread);

#endif
