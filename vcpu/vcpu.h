/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_VCPU_VCPU_H
#define VMM_VCPU_VCPU_H

#include <pthread.h>
#include <stdatomic.h>

#include "util/types.h"

struct vm;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	_Atomic bool thread_started;
	_Atomic bool kicked;	/* a stop was requested: leave KVM_RUN */
	int init_error;		/* set by the thread if creation failed */
	u64 nr_exits;
	u64 nr_exits_io, nr_exits_mmio;	/* of nr_exits: KVM_EXIT_IO, KVM_EXIT_MMIO */
	void *arch;		/* hw/<arch>/ per-vcpu state */
};

/*
 * Start one thread per vcpu. Each creates its own vcpu fd and does every
 * ioctl on it (api.rst 4.7), runs arch_vcpu_init(), then waits until all are
 * created, arch_vm_vcpus_created() has run, and vcpus_run() releases them.
 */
int vcpus_create(struct vm *vm, unsigned int nr);
/* Release the vcpus into KVM_RUN and wait until the VM stops. */
void vcpus_run(struct vm *vm, unsigned int timeout_sec);
/* Join and free every vcpu thread (after vcpus_run or a failed create). */
void vcpus_destroy(struct vm *vm);
/* Make the vcpu leave KVM_RUN for good (stop); from any thread. */
void vcpu_kick(struct vcpu *vcpu);
/*
 * Take every vcpu out of KVM_RUN and keep it asleep until vcpus_resume();
 * returns once all are paused (or the VM is stopping). Not from a vcpu.
 */
void vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);

#endif
