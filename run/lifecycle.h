/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_RUN_LIFECYCLE_H
#define VMM_RUN_LIFECYCLE_H

#include <poll.h>
#include <time.h>

#include "kvm/kvm.h"

/*
 * A VM's life: created (vcpus parked at the start gate) -> running <->
 * paused -> stopping (vcpus told to stop, console writers no longer
 * blocked) -> stopped (threads joined, everything freed). One thread, the
 * caller of vm_run(), owns the transitions; every other thread asks for a
 * stop with vm_request_stop() and the run loop acts on it.
 */
enum vm_state {
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_STOPPING,
	VM_STATE_STOPPED,
};

/*
 * More fds for the run loop to watch, from its caller (main.c: the control
 * API, which outlives the VM across reboots). prepare() fills up to @max
 * entries and may shorten *timeout_ms (-1: none) for its own timers;
 * ready() gets them back after each poll (revents may be 0: a timer) on
 * the run loop's thread, where it may pause, resume or ask @vm to stop.
 */
#define RUN_HOOK_MAX_FDS 64
struct run_hook {
	unsigned int (*prepare)(void *opaque, struct pollfd *pfd, unsigned int max,
				int *timeout_ms);
	void (*ready)(void *opaque, struct vm *vm, const struct pollfd *pfd, unsigned int n);
	void *opaque;
};

/*
 * Release the vcpus and wait for the first stop: a request from the guest,
 * a device, the console or @hook, a stop signal (run/signals.h), or
 * @deadline (absolute CLOCK_MONOTONIC; NULL: none), which is
 * VM_STOP_TIMEOUT even if it passed before the VM started. @hook may be
 * NULL. Returns the reason; every vcpu has been told to stop by then.
 */
enum vm_stop_reason vm_run(struct vm *vm, const struct timespec *deadline,
			   const struct run_hook *hook);
/*
 * Take the VM apart in the one safe order, after vm_run() or a failed
 * build: vcpus stopped and joined, device threads stopped, then vcpus,
 * devices, machine and VM freed. Nothing may call into the VM after.
 */
void vm_teardown(struct vm *vm);
/*
 * Pause and resume a running VM (not from a vcpu). vm_pause() gives up
 * after VM_PAUSE_TIMEOUT_MS if a vcpu does not come out of a device (a
 * device that does not answer): -ETIMEDOUT, the VM runs on;
 * -EINVAL if it is not running.
 */
#define VM_PAUSE_TIMEOUT_MS 2000
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
enum vm_state vm_state(const struct vm *vm);
/*
 * A graceful shutdown (not from a vcpu): press the machine's power button
 * and stop the VM with VM_STOP_SHUTDOWN_TIMEOUT if the guest has not
 * powered off within --shutdown-timeout of the first press. Again while
 * one is under way: the button is pressed again, the deadline stays.
 * -EINVAL if the VM is not running (a paused guest could not answer),
 * -ENOTSUP if the machine has no power button.
 */
int vm_shutdown(struct vm *vm);
/* Milliseconds left before a requested shutdown stops the VM; -1: none asked. */
int vm_shutdown_left_ms(const struct vm *vm);

#endif
