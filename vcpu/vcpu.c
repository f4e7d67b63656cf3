// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu threads: each creates its vcpu, does all of that vcpu's ioctls
 * (api.rst 4.7), runs KVM_RUN and dispatches exits to the buses.
 *
 * Ownership: vcpus_create() makes the threads, the run loop (run/) alone
 * stops them (vcpus_stop) and joins them (vcpus_join), and vcpus_free()
 * frees them once nothing else can reach them. Nobody else touches
 * vm->vcpus: a device that wants the VM stopped calls vm_request_stop(),
 * which only records the reason and wakes the run loop.
 *
 * Stopping: vcpu_stop() sets kvm_run.immediate_exit and sends the kick
 * signal, so a vcpu either leaves KVM_RUN with EINTR or never enters it
 * again; there is no window in which a stop can be lost. Pausing uses the
 * same kick; a paused vcpu sleeps on a condition variable, never spins.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "cli/config.h"
#include "kvm/kvm.h"
#include "util/clock.h"
#include "util/cpulist.h"
#include "util/kick.h"
#include "util/log.h"
#include "util/thread.h"
#include "vcpu/vcpu.h"

/* The VM's vcpu threads as a group; one per VM, made by vcpus_create(). */
struct vcpu_ctl {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* The start gate: all vcpus are created before any runs. */
	unsigned int created;
	bool go;
	/* Pauses: vcpus_pause() waits until every vcpu is out of KVM_RUN. */
	bool pause_requested;
	unsigned int nr_paused;
	unsigned int nr_exited;	/* threads that left their loop for good */
};

static void vcpu_interrupt(struct vcpu *vcpu)
{
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_started)
		kick_thread(vcpu->thread);
}

static void vcpu_stop(struct vcpu *vcpu)
{
	atomic_store(&vcpu->stopped, true);
	vcpu_interrupt(vcpu);
}

void vcpus_stop(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_stop(vm->vcpus[i]);
}

/* On the vcpu thread, out of KVM_RUN: sleep while a pause is requested. */
static void vcpu_pause_point(struct vcpu *vcpu)
{
	struct vcpu_ctl *c = vcpu->vm->vcpu_ctl;

	pthread_mutex_lock(&c->lock);
	if (c->pause_requested) {
		c->nr_paused++;
		pthread_cond_broadcast(&c->cond);
		while (c->pause_requested && !atomic_load(&vcpu->stopped))
			pthread_cond_wait(&c->cond, &c->lock);
		c->nr_paused--;
	}
	/* Re-arm KVM_RUN unless a stop is pending (its kick must stick). */
	if (!atomic_load(&vcpu->stopped))
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&c->lock);
}

int vcpus_pause(struct vm *vm, int timeout_ms)
{
	struct vcpu_ctl *c = vm->vcpu_ctl;
	struct timespec until = clock_timespec(clock_now_ns() + timeout_ms * 1000000ULL);
	int r = 0;

	pthread_mutex_lock(&c->lock);
	c->pause_requested = true;
	pthread_mutex_unlock(&c->lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_interrupt(vm->vcpus[i]);
	pthread_mutex_lock(&c->lock);
	while (c->nr_paused + c->nr_exited < vm->nr_vcpus && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	/* A vcpu stuck in a device (a stalled console write): let them all go on. */
	if (c->nr_paused + c->nr_exited < vm->nr_vcpus) {
		c->pause_requested = false;
		pthread_cond_broadcast(&c->cond);
		r = -ETIMEDOUT;
	} else {
		r = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void vcpus_resume(struct vm *vm)
{
	struct vcpu_ctl *c = vm->vcpu_ctl;

	pthread_mutex_lock(&c->lock);
	c->pause_requested = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static const char *exit_reason_name(u32 reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS", [KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

static void vcpu_fatal(struct vcpu *vcpu, enum vm_stop_reason reason)
{
	arch_vcpu_dump(vcpu);
	vm_request_stop(vcpu->vm, reason);
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	bus_pio_exit(&vcpu->vm->bus[BUS_PIO], vcpu, run->io.port,
		     (u8 *)run + run->io.data_offset, run->io.size, run->io.count,
		     run->io.direction == KVM_EXIT_IO_OUT);
}

static void vcpu_report_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	static const char *const sub[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
	};
	u32 n = MIN(run->internal.ndata, (u32)ARRAY_SIZE(run->internal.data));
	const char *what = run->internal.suberror < ARRAY_SIZE(sub) &&
			   sub[run->internal.suberror] ? sub[run->internal.suberror] : "unknown";
	char text[3 * 16 * 8 + 32] = "";
	size_t off = 0;

	/*
	 * Emulation failures with flag bit 0 carry the instruction: data[1]
	 * holds its length in the low byte and the bytes follow (kvm.h
	 * emulation_failure). Show those; otherwise the raw words.
	 */
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && n >= 2 &&
	    (run->internal.data[0] & 1)) {
		const u8 *b = (const u8 *)&run->internal.data[1];
		u32 len = MIN((u32)b[0], MIN(15u, (n - 1) * 8 - 1));

		off += snprintf(text, sizeof(text), "instruction bytes");
		for (u32 i = 0; i < len; i++)
			off += snprintf(text + off, sizeof(text) - off, " %02x", b[1 + i]);
	} else {
		off += snprintf(text, sizeof(text), "data");
		for (u32 i = 0; i < n; i++)
			off += snprintf(text + off, sizeof(text) - off, " %llx",
					(unsigned long long)run->internal.data[i]);
	}
	log_error("vcpu %u: KVM internal error, suberror %u (%s), %s", vcpu->id,
		  run->internal.suberror, what, n ? text : "no data");
}

/* Returns false when the vcpu must stop. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	/* Only this thread writes them; the control API reads them (relaxed). */
	__atomic_store_n(&vcpu->nr_exits, vcpu->nr_exits + 1, __ATOMIC_RELAXED);
	if (run->exit_reason == KVM_EXIT_IO)
		__atomic_store_n(&vcpu->nr_exits_io, vcpu->nr_exits_io + 1, __ATOMIC_RELAXED);
	else if (run->exit_reason == KVM_EXIT_MMIO)
		__atomic_store_n(&vcpu->nr_exits_mmio, vcpu->nr_exits_mmio + 1, __ATOMIC_RELAXED);
	if (log_debug_enabled) {
		if (run->exit_reason == KVM_EXIT_IO)
			log_debug("vcpu %u: exit IO %s port 0x%x size %u count %u", vcpu->id,
				  run->io.direction ? "out" : "in", run->io.port,
				  run->io.size, run->io.count);
		else if (run->exit_reason == KVM_EXIT_MMIO)
			log_debug("vcpu %u: exit MMIO %s 0x%llx len %u", vcpu->id,
				  run->mmio.is_write ? "write" : "read",
				  (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		else
			log_debug("vcpu %u: exit %s (%u)", vcpu->id,
				  exit_reason_name(run->exit_reason), run->exit_reason);
	}

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		bus_access(&vcpu->vm->bus[BUS_MMIO], vcpu, run->mmio.phys_addr,
			   run->mmio.data, MIN(run->mmio.len, 8u), run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; never expected, but harmless. */
		return true;
	case KVM_EXIT_SHUTDOWN:
		log_error("vcpu %u: guest triple fault (KVM_EXIT_SHUTDOWN)", vcpu->id);
		vcpu_fatal(vcpu, VM_STOP_CRASH);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(vcpu->vm, VM_STOP_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_stop(vcpu->vm, VM_STOP_RESET);
			break;
		case KVM_SYSTEM_EVENT_CRASH:
			log_error("vcpu %u: guest reported a crash", vcpu->id);
			vm_request_stop(vcpu->vm, VM_STOP_PANIC);
			break;
		default:
			log_error("vcpu %u: unknown system event %u", vcpu->id,
				  run->system_event.type);
			vm_request_stop(vcpu->vm, VM_STOP_CRASH);
		}
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vcpu %u: KVM_EXIT_FAIL_ENTRY, hardware entry failure reason 0x%llx",
			  vcpu->id, (unsigned long long)
			  run->fail_entry.hardware_entry_failure_reason);
		vcpu_fatal(vcpu, VM_STOP_CRASH);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report_internal_error(vcpu);
		vcpu_fatal(vcpu, VM_STOP_CRASH);
		return false;
	case KVM_EXIT_UNKNOWN:
		log_error("vcpu %u: KVM_EXIT_UNKNOWN, hardware exit reason 0x%llx", vcpu->id,
			  (unsigned long long)run->hw.hardware_exit_reason);
		vcpu_fatal(vcpu, VM_STOP_CRASH);
		return false;
	default:
		if (arch_handle_exit(vcpu) == 0)
			return true;
		log_error("vcpu %u: unexpected exit %s (%u)", vcpu->id,
			  exit_reason_name(run->exit_reason), run->exit_reason);
		vcpu_fatal(vcpu, VM_STOP_CRASH);
		return false;
	}
}

static void vcpu_loop(struct vcpu *vcpu)
{
	/* A stop this vcpu asked for ends its loop at once, not at the kick. */
	while (!atomic_load(&vcpu->stopped) && vm_stop_reason(vcpu->vm) == VM_RUNNING) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			int err = errno;

			if (err == EINTR || err == EAGAIN) {
				vcpu_pause_point(vcpu);
				continue;
			}
#ifdef KVM_EXIT_MEMORY_FAULT	/* newer UAPI headers only */
			if (err == EFAULT && vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				log_error("vcpu %u: guest memory fault at 0x%llx size 0x%llx",
					  vcpu->id,
					  (unsigned long long)vcpu->run->memory_fault.gpa,
					  (unsigned long long)vcpu->run->memory_fault.size);
				vcpu_fatal(vcpu, VM_STOP_CRASH);
				return;
			}
#endif
			if (err == ENOSYS) {
				/*
				 * arm64: a data abort KVM cannot decode (no valid
				 * ISV: a load/store pair, writeback...) on MMIO.
				 * The guest did that; it is its crash, not ours.
				 */
				log_error("vcpu %u: guest made an MMIO access KVM cannot decode",
					  vcpu->id);
				vcpu_fatal(vcpu, VM_STOP_CRASH);
				return;
			}
			log_error("vcpu %u: KVM_RUN failed: %s", vcpu->id, strerror(err));
			vcpu_fatal(vcpu, VM_STOP_HOST_ERROR);
			return;
		}
		if (!vcpu_handle_exit(vcpu))
			return;
	}
}

static int vcpu_setup(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	void *run;

	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->id);
	if (vcpu->fd < 0) {
		log_error("KVM_CREATE_VCPU %u failed: %s", vcpu->id, strerror(errno));
		return -errno;
	}
	/* api.rst 4.5: map exactly KVM_GET_VCPU_MMAP_SIZE bytes at offset 0. */
	run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		log_error("mmap of vcpu %u failed: %s", vcpu->id, strerror(errno));
		return -errno;
	}
	vcpu->run = run;
	/* A stop may have come before the mapping existed. */
	if (atomic_load(&vcpu->stopped))
		vcpu->run->immediate_exit = 1;
	return arch_vcpu_init(vcpu);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vcpu_ctl *c = vcpu->vm->vcpu_ctl;

	vcpu->init_error = vcpu_setup(vcpu);

	pthread_mutex_lock(&c->lock);
	c->created++;
	pthread_cond_broadcast(&c->cond);
	while (!c->go)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);

	if (!vcpu->init_error && !atomic_load(&vcpu->stopped))
		vcpu_loop(vcpu);

	/* A pause in progress must not wait for this one. */
	pthread_mutex_lock(&c->lock);
	c->nr_exited++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* With --vcpu-affinity, the thread runs on its one CPU from its first instruction. */
static int vcpu_thread_start(struct vcpu *vcpu)
{
	const struct vm_config *cfg = vcpu->vm->cfg;
	pthread_attr_t attr;
	cpu_set_t one;
	char name[16];
	int err;

	CPU_ZERO(&one);
	if (cfg && cfg->vcpu_affinity_set)
		CPU_SET(cpulist_nth(&cfg->vcpu_affinity, vcpu->id), &one);
	err = -cpulist_thread_attr(&attr, CPU_COUNT(&one) ? &one : NULL);
	if (err)
		return err;
	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	err = thread_spawn(&vcpu->thread, &attr, name, true, vcpu_thread, vcpu);
	pthread_attr_destroy(&attr);
	return err;
}

int vcpus_create(struct vm *vm, unsigned int nr)
{
	struct vcpu_ctl *c;
	int err = 0;

	c = calloc(1, sizeof(*c));
	vm->vcpus = calloc(nr, sizeof(*vm->vcpus));
	if (!c || !vm->vcpus) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	{
		pthread_condattr_t attr;

		/* vcpus_pause()'s bound must not move with the wall clock. */
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&c->cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	vm->vcpu_ctl = c;

	for (unsigned int i = 0; i < nr; i++) {
		struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

		if (!vcpu)
			return -ENOMEM;
		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->fd = -1;
		vm->vcpus[i] = vcpu;
		vm->nr_vcpus = i + 1;
		/* api.rst: vcpus are created in order, each in its own thread. */
		err = vcpu_thread_start(vcpu);
		if (err) {
			log_error("cannot start vcpu thread: %s", strerror(err));
			return -err;
		}
		vcpu->thread_started = true;

		pthread_mutex_lock(&c->lock);
		while (c->created < i + 1)
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
		if (vcpu->init_error)
			return vcpu->init_error;
	}
	return arch_vm_vcpus_created(vm);
}

static void vcpus_release(struct vm *vm)
{
	struct vcpu_ctl *c = vm->vcpu_ctl;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->go = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void vcpus_start(struct vm *vm)
{
	vcpus_release(vm);
}

void vcpus_join(struct vm *vm)
{
	vcpus_stop(vm);
	vcpus_release(vm);	/* threads parked at the gate must exit too */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		if (vcpu->thread_started) {
			pthread_join(vcpu->thread, NULL);
			vcpu->thread_started = false;
		}
	}
}

void vcpus_free(struct vm *vm)
{
	vcpus_join(vm);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		log_debug("vcpu %u: %llu exits (%llu io, %llu mmio)", vcpu->id,
			  (unsigned long long)vcpu->nr_exits, (unsigned long long)vcpu->nr_exits_io,
			  (unsigned long long)vcpu->nr_exits_mmio);
		arch_vcpu_destroy(vcpu);
		if (vcpu->run)
			munmap(vcpu->run, vm->vcpu_mmap_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		free(vcpu);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	if (vm->vcpu_ctl) {
		pthread_cond_destroy(&vm->vcpu_ctl->cond);
		pthread_mutex_destroy(&vm->vcpu_ctl->lock);
		free(vm->vcpu_ctl);
		vm->vcpu_ctl = NULL;
	}
}
