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
	_Atomic bool stopped;	/* leave KVM_RUN for good (vcpus_stop) */
	int init_error;		/* set by the thread if creation failed */
	u64 nr_exits;
	u64 nr_exits_io, nr_exits_mmio;	/* of nr_exits: KVM_EXIT_IO, KVM_EXIT_MMIO */
	void *arch;		/* hw/<arch>/ per-vcpu state */
};

/*
 * Start one thread per vcpu. Each creates its own vcpu fd and does every
 * ioctl on it (api.rst 4.7), runs arch_vcpu_init(), then waits until all are
 * created, arch_vm_vcpus_created() has run, and vcpus_start() releases them.
 * On failure the caller still calls vcpus_free().
 */
int vcpus_create(struct vm *vm, unsigned int nr);
/* Release the vcpus into KVM_RUN. */
void vcpus_start(struct vm *vm);
/* Make every vcpu leave KVM_RUN for good; does not wait. The run loop only. */
void vcpus_stop(struct vm *vm);
/* Stop every vcpu and join its thread: no vcpu runs after this. */
void vcpus_join(struct vm *vm);
/* Join (if not yet) and free every vcpu; nothing may reach them after. */
void vcpus_free(struct vm *vm);
/*
 * Take every vcpu out of KVM_RUN and keep it asleep until vcpus_resume();
 * returns 0 once all are paused or gone, or -ETIMEDOUT after @timeout_ms
 * with every vcpu let go again (one is held in a device). Not from a vcpu.
 */
int vcpus_pause(struct vm *vm, int timeout_ms);
void vcpus_resume(struct vm *vm);

#endif
