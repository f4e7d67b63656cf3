// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop: one poll() on the VM's stop eventfd, the stop-signal
 * eventfd and its caller's fds (struct run_hook: the control API), with the
 * deadline as its timeout. It alone stops the vcpus.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "devices/term.h"
#include "devices/virtio/devices.h"
#include "kvm/arch.h"
#include "run/lifecycle.h"
#include "run/signals.h"
#include "util/clock.h"
#include "util/log.h"
#include "vcpu/vcpu.h"

static void vm_state_set(struct vm *vm, enum vm_state state)
{
	atomic_store(&vm->state, state);
}

enum vm_state vm_state(const struct vm *vm)
{
	return atomic_load(&vm->state);
}

static void vm_drain_fd(int fd)
{
	u64 v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was there */
	}
}

int vm_shutdown(struct vm *vm)
{
	int r;

	if (vm_state(vm) != VM_STATE_RUNNING)
		return -EINVAL;
	r = arch_power_button(vm);
	if (r < 0)
		return r;
	if (!vm->shutdown_requested) {
		vm->shutdown_requested = true;
		vm->shutdown_deadline = clock_timespec(clock_now_ns() +
			vm->cfg->shutdown_timeout_sec * 1000000000ULL);
	}
	return 0;
}

int vm_shutdown_left_ms(const struct vm *vm)
{
	return vm->shutdown_requested ? clock_ms_until(&vm->shutdown_deadline) : -1;
}

/* The poll timeout: the nearer of --timeout and a shutdown's deadline. */
static int vm_run_timeout(const struct vm *vm, const struct timespec *deadline)
{
	int t = deadline ? clock_ms_until(deadline) : -1;
	int s = vm_shutdown_left_ms(vm);

	return s >= 0 && (t < 0 || s < t) ? s : t;
}

/* SIGTERM under --on-sigterm shutdown presses the button; any other signal stops. */
static void vm_run_signal(struct vm *vm, int sig)
{
	int r;

	if (sig == SIGTERM && vm->cfg->sigterm_shutdown) {
		if (vm->shutdown_requested)
			return;
		r = vm_shutdown(vm);
		if (r == 0) {
			log_info("SIGTERM: power button pressed; the guest has %u s to power off"
				 " (another signal stops it now)", vm->cfg->shutdown_timeout_sec);
			return;
		}
		log_warn("SIGTERM: %s: stopping the VM now",
			 r == -ENOTSUP ? "this machine has no power button" :
			 "the VM is paused and cannot shut down");
	}
	vm->stop_signal = sig;
	vm_request_stop(vm, VM_STOP_SIGNAL);
}

enum vm_stop_reason vm_run(struct vm *vm, const struct timespec *deadline,
			   const struct run_hook *hook)
{
	struct pollfd pfd[2 + RUN_HOOK_MAX_FDS] = {
		{ .fd = vm->stop_fd, .events = POLLIN },
		{ .fd = stop_signals_fd(), .events = POLLIN },
	};
	int nfds = pfd[1].fd >= 0 ? 2 : 1;

	if (vm->term)
		term_output_block(vm->term, true);
	stop_signals_defer(true);
	vm->shutdown_requested = false;
	if (stop_signals_pending()) {
		vm->stop_signal = stop_signals_pending();
		vm_request_stop(vm, VM_STOP_SIGNAL);
	}
	if (deadline && clock_ms_until(deadline) == 0)
		vm_request_stop(vm, VM_STOP_TIMEOUT);
	if (vm_stop_reason(vm) == VM_RUNNING) {
		vm_state_set(vm, VM_STATE_RUNNING);
		vm->run_start_ns = clock_now_ns();
		vcpus_start(vm);
	}

	while (vm_stop_reason(vm) == VM_RUNNING) {
		int timeout = vm_run_timeout(vm, deadline), n;
		unsigned int nhook = 0;

		if (hook)
			nhook = hook->prepare(hook->opaque, pfd + nfds, RUN_HOOK_MAX_FDS, &timeout);
		n = poll(pfd, nfds + nhook, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("run loop: poll: %s", strerror(errno));
			vm_request_stop(vm, VM_STOP_HOST_ERROR);
		} else if (n >= 0 && deadline && clock_ms_until(deadline) == 0) {
			vm_request_stop(vm, VM_STOP_TIMEOUT);
		} else if (n >= 0 && vm_shutdown_left_ms(vm) == 0) {
			log_warn("the guest did not power off within %u s of the power button:"
				 " stopping it", vm->cfg->shutdown_timeout_sec);
			vm_request_stop(vm, VM_STOP_SHUTDOWN_TIMEOUT);
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			vm_drain_fd(vm->stop_fd);
		if (n > 0 && nfds > 1 && (pfd[1].revents & POLLIN)) {
			vm_drain_fd(pfd[1].fd);
			vm_run_signal(vm, stop_signals_pending());
		}
		/* A stop that came in the same poll goes first: nothing to pause then. */
		if (n >= 0 && hook && vm_stop_reason(vm) == VM_RUNNING)
			hook->ready(hook->opaque, vm, pfd + nfds, nhook);
	}

	/*
	 * Whoever asked, the vcpus leave KVM_RUN now, and nobody may block on
	 * the console any more: a vcpu or device thread waiting for room in a
	 * stalled terminal would hold up the stop.
	 */
	vm_state_set(vm, VM_STATE_STOPPING);
	if (vm->term)
		term_output_block(vm->term, false);
	vcpus_stop(vm);
	/*
	 * Nothing reads the stop signals now: one during the teardown (a disk
	 * slow to answer a reset) ends vmm at once.
	 */
	stop_signals_defer(false);
	return vm_stop_reason(vm);
}

void vm_teardown(struct vm *vm)
{
	vm_state_set(vm, VM_STATE_STOPPING);
	if (vm->term)
		term_output_block(vm->term, false);
	/* No vcpu runs after this, so no device is entered from the guest. */
	vcpus_join(vm);
	/* Device threads stop before what they may still reach goes away. */
	virtio_devices_destroy(vm);
	vcpus_free(vm);
	arch_vm_destroy(vm);
	vm_close(vm);
	vm_state_set(vm, VM_STATE_STOPPED);
}

int vm_pause(struct vm *vm)
{
	int r;

	if (vm_state(vm) != VM_STATE_RUNNING)
		return -EINVAL;
	/* Bounded: the run loop must go on serving stops and the deadline. */
	r = vcpus_pause(vm, VM_PAUSE_TIMEOUT_MS);
	if (r == 0)
		vm_state_set(vm, VM_STATE_PAUSED);
	return r;
}

void vm_resume(struct vm *vm)
{
	if (vm_state(vm) != VM_STATE_PAUSED)
		return;
	vm_state_set(vm, VM_STATE_RUNNING);
	vcpus_resume(vm);
}
