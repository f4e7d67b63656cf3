/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_KVM_EVENTFD_H
#define VMM_KVM_EVENTFD_H

#include "util/types.h"

struct vm;

/*
 * Thin KVM_IOEVENTFD / KVM_IRQFD wrappers: 0 or -errno. Without a VM fd
 * (unit tests) they return -ENOSYS, and callers fall back to their
 * synchronous paths (a trapped write, irq_line_set()).
 *
 * ioeventfd: a guest write of @len bytes (1, 2, 4 or 8) to @addr (port
 * I/O when @pio) signals @fd instead of exiting to vmm; with @datamatch
 * only a write of exactly @data does. _del takes the same arguments.
 */
int vm_ioeventfd_add(struct vm *vm, u64 addr, u32 len, bool pio,
		     bool datamatch, u64 data, int fd);
int vm_ioeventfd_del(struct vm *vm, u64 addr, u32 len, bool pio,
		     bool datamatch, u64 data, int fd);

/*
 * irqfd: a write to @fd pulses @gsi (1 then 0: an edge). With
 * @resample_fd >= 0 the line is level-triggered instead: it stays asserted
 * until the guest's EOI, which then signals @resample_fd.
 */
int vm_irqfd_add(struct vm *vm, u32 gsi, int fd, int resample_fd);
int vm_irqfd_del(struct vm *vm, u32 gsi, int fd);

#endif
