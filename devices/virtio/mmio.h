/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_DEVICES_VIRTIO_MMIO_H
#define VMM_DEVICES_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdio.h>

#include "devices/virtio/virtio.h"
#include "util/types.h"

/*
 * virtio-mmio, version 2 (virtio 1.x section 4.2): one device in a 0x200
 * byte window, registers below 0x100, device config from 0x100.
 *
 * Queue kicks: an ioeventfd per queue on QueueNotify (datamatch = queue
 * index), so a kick never exits to userspace; a write that still traps
 * (no ioeventfd, or an index no ioeventfd matches) is handed to the I/O
 * thread the same way. Interrupts: an irqfd on @gsi, each used-buffer or
 * config notification one edge (KVM pulses the line); without irqfd the
 * same edge through KVM_IRQ_LINE. Describe the line as edge-triggered to
 * the guest (x86: an ISA-style IRQ below 16; arm64 FDT: edge rising).
 */

#define VIRTIO_MMIO_SIZE	0x200

struct vm;
struct virtio_mmio;
struct vcpu;

/*
 * Create the transport and its device core (which starts the I/O thread),
 * register [base, base + VIRTIO_MMIO_SIZE) on the MMIO bus. NULL with
 * *err = -errno on failure. The backend (@ops, @opaque) must outlive it.
 */
struct virtio_mmio *virtio_mmio_create(struct vm *vm, u64 base, u32 gsi,
				       const struct virtio_dev_ops *ops,
				       void *opaque, int *err);
/*
 * Stop the I/O thread, drop ioeventfds and the irqfd, free. The bus range
 * stays registered (the bus cannot unregister): call this only once the
 * vcpus have stopped, before vm_close().
 */
void virtio_mmio_destroy(struct virtio_mmio *m);

/*
 * KVM refuses an irqfd (EAGAIN) until the in-kernel interrupt controller is
 * initialised: on arm64 the vgic, at CTRL_INIT once every vcpu exists, after
 * the devices were created. Until this call, interrupts use KVM_IRQ_LINE; call
 * it then, before the vcpus run (nothing to do if the irqfd is attached).
 */
void virtio_mmio_irqfd_late(struct virtio_mmio *m);

/*
 * Without irqfd, interrupts go through irq_line_set(), whose number is
 * arch-encoded (arm64: arm64_spi_irq(spi), while the irqfd gsi is the SPI
 * index). Default: @gsi, right for x86.
 */
void virtio_mmio_set_irq_line(struct virtio_mmio *m, u32 line);

/* The bus handler (kvm/bus.h bus_handler_t), exposed for tests. */
void virtio_mmio_io(struct vcpu *vcpu, u64 offset, u8 *data, u32 len,
		    bool is_write, void *opaque);

/* Interrupts raised so far (for tests and --debug statistics). */
u64 virtio_mmio_nr_irqs(const struct virtio_mmio *m);
/* A stall report: the window, interrupts sent and acknowledged, virtio_dev_dump(). */
void virtio_mmio_dump(struct virtio_mmio *m, FILE *f);
struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m);

/*
 * x86 announces virtio-mmio devices on the kernel command line:
 * "virtio_mmio.device=512@0xd0000000:5". Returns what snprintf returns.
 */
int virtio_mmio_cmdline(char *buf, size_t size, u64 base, u32 irq);

#endif
