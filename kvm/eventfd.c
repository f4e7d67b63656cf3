// SPDX-License-Identifier: GPL-2.0
/* KVM_IOEVENTFD and KVM_IRQFD: queue kicks and interrupts that bypass vcpu
 * exits. api.rst 4.59 (ioeventfd), 4.75 (irqfd). */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "kvm/eventfd.h"
#include "kvm/kvm.h"

static int vm_ioeventfd(struct vm *vm, u64 addr, u32 len, bool pio,
			bool datamatch, u64 data, int fd, bool del)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch ? data : 0,
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	if (vm->vm_fd < 0)
		return -ENOSYS;
	/* Only these widths exist in the ABI; anything else is our bug. */
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (datamatch)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (del)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	return 0;
}

int vm_ioeventfd_add(struct vm *vm, u64 addr, u32 len, bool pio,
		     bool datamatch, u64 data, int fd)
{
	return vm_ioeventfd(vm, addr, len, pio, datamatch, data, fd, false);
}

int vm_ioeventfd_del(struct vm *vm, u64 addr, u32 len, bool pio,
		     bool datamatch, u64 data, int fd)
{
	return vm_ioeventfd(vm, addr, len, pio, datamatch, data, fd, true);
}

int vm_irqfd_add(struct vm *vm, u32 gsi, int fd, int resample_fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	if (vm->vm_fd < 0)
		return -ENOSYS;
	if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	return 0;
}

int vm_irqfd_del(struct vm *vm, u32 gsi, int fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi,
				   .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (vm->vm_fd < 0)
		return -ENOSYS;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	return 0;
}
