/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_SIGNALS_H
#define VMM_RUN_SIGNALS_H

#include <stdbool.h>

/*
 * The signals that stop vmm: SIGTERM, SIGINT, SIGHUP and SIGQUIT, from the
 * first moment to the last.
 *
 * While a VM runs (stop_signals_defer(true), from vm_run()), a signal is a
 * stop request: the handler records it and wakes the run loop through
 * stop_signals_fd(). At every other moment (parsing, opening files, loading
 * the kernel, tearing down, between reboots, restoring the terminal at
 * exit) nothing would read it, so the handler ends vmm itself: terminal
 * restored, status 128+N. A second signal always ends vmm at once. A
 * signal the parent left ignored (nohup) stays ignored.
 */
int stop_signals_init(void);
/* Readable once a deferred signal arrived. */
int stop_signals_fd(void);
/*
 * The first deferred signal, or 0. It stays recorded: the caller that saw
 * it decides what it means (a stop of the VM, no reboot after it).
 */
int stop_signals_pending(void);
void stop_signals_defer(bool defer);

#endif
