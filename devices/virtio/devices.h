/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_DEVICES_H
#define VMM_DEVICES_VIRTIO_DEVICES_H

#include <stdio.h>

struct vm;

/*
 * The virtio devices the command line asks for (disks, rng), each on a
 * virtio-mmio window the machine hands out (arch_virtio_mmio_slot()), listed
 * in vm->virtio[] for the machine to describe to the guest. After
 * arch_vm_init(), before arch_load_kernel(). Errors are logged.
 */
int virtio_devices_create(struct vm *vm);
/*
 * The in-kernel interrupt controller is initialised (arm64: after the vgic's
 * CTRL_INIT, before the vcpus run): attach the irqfds KVM refused earlier.
 */
void virtio_devices_irqchip_ready(struct vm *vm);
/*
 * Why a guest's I/O may be stuck: per device its transport (interrupts sent
 * and acknowledged), status, per queue the indices on both sides, the
 * notification state and counts, and the backend's state (net: frame held,
 * tap watched). Any thread, while the devices exist.
 */
void virtio_devices_dump(struct vm *vm, FILE *f);
/* The same, a warning per line (stderr may be a raw terminal). */
void virtio_devices_log(struct vm *vm);
/* After the vcpus have stopped: their I/O threads, files and transports. */
void virtio_devices_destroy(struct vm *vm);

#endif
