// SPDX-License-Identifier: GPL-2.0
/* The VM: /dev/kvm, API version and capabilities, the vm fd, interrupts. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "kvm/irq.h"
#include "kvm/kvm.h"
#include "util/log.h"

int kvm_cap(const struct vm *vm, long cap)
{
	int fd = vm->vm_fd >= 0 && vm->cap_check_on_vm ? vm->vm_fd : vm->sys_fd;
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_require_cap(const struct vm *vm, long cap, const char *name)
{
	int r = kvm_cap(vm, cap);

	if (!r)
		log_error("KVM lacks capability %s, which vmm needs", name);
	return r ? r : -ENOTSUP;
}

int vm_open(struct vm *vm, const struct vm_config *cfg)
{
	unsigned long type;
	int api, r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->vm_fd = vm->sys_fd = -1;
	bus_init(&vm->bus[BUS_PIO], "pio");
	bus_init(&vm->bus[BUS_MMIO], "mmio");
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		log_error("eventfd: %s", strerror(errno));
		return -errno;
	}

	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		r = -errno;
		log_error("cannot open /dev/kvm: %s%s", strerror(errno),
			  errno == ENOENT ? " (is the kvm module loaded?)" :
			  errno == EACCES ? " (are you in the kvm group?)" : "");
		return r;
	}
	/* api.rst 4.1: anything but 12 is an API we do not speak. */
	api = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		log_error("KVM API version %d, vmm needs %d", api, KVM_API_VERSION);
		return -ENOTSUP;
	}
	vm->vcpu_mmap_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size <= 0) {
		log_error("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -ENOTSUP;
	}

	/* The machine type may depend on capabilities (arm64: IPA size). */
	type = arch_vm_type(vm);
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, type);
	if (vm->vm_fd < 0) {
		r = -errno;
		log_error("KVM_CREATE_VM failed: %s", strerror(errno));
		return r;
	}
	vm->cap_check_on_vm = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION,
				    KVM_CAP_CHECK_EXTENSION_VM) > 0;

	if (kvm_require_cap(vm, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY") < 0)
		return -ENOTSUP;
	/* Missing NR_VCPUS means 4; missing MAX_VCPUS means NR_VCPUS. */
	r = kvm_cap(vm, KVM_CAP_NR_VCPUS);
	vm->max_vcpus = kvm_cap(vm, KVM_CAP_MAX_VCPUS);
	if (!vm->max_vcpus)
		vm->max_vcpus = r ? r : 4;
	vm->nr_memslots = kvm_cap(vm, KVM_CAP_NR_MEMSLOTS);
	return 0;
}

void vm_close(struct vm *vm)
{
	if (vm->bus[BUS_PIO].unhandled || vm->bus[BUS_MMIO].unhandled)
		log_debug("unhandled accesses: %llu port I/O, %llu MMIO",
			  (unsigned long long)vm->bus[BUS_PIO].unhandled,
			  (unsigned long long)vm->bus[BUS_MMIO].unhandled);
	/*
	 * The VM first: with its last reference gone KVM drops the guest's
	 * mappings in one go, where unmapping RAM under a live VM makes it
	 * tear them down page by page through the MMU notifier.
	 */
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
	vm_free_ram(vm);
	irq_routing_free(vm);
	bus_free(&vm->bus[BUS_PIO]);
	bus_free(&vm->bus[BUS_MMIO]);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	vm->vm_fd = vm->sys_fd = vm->stop_fd = -1;
}

/*
 * Only records and wakes: the run loop alone stops the vcpus, so this is
 * safe from any thread at any time until vm_close(), vcpus or not.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	int expected = VM_RUNNING;
	u64 one = 1;

	atomic_compare_exchange_strong(&vm->stop_reason, &expected, reason);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the waiter will wake */
	}
}

enum vm_stop_reason vm_stop_reason(const struct vm *vm)
{
	return atomic_load(&vm->stop_reason);
}
